//===- checkpoint.cpp - Training checkpoints --------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "checkpoint.h"

#include "cli.h"

using namespace gpt3;

namespace {
constexpr int kCheckpointVersion = 1;

std::vector<std::string> momentNames(const std::vector<std::string> &params) {
  std::vector<std::string> names;
  for (const char *moment : {"m.", "v."})
    for (const std::string &p : params)
      names.push_back(moment + p);
  return names;
}

gpt3_status_t badCheckpoint(const std::string &path, const std::string &why) {
  std::string message = path + ": " + why;
  return gpt3_status_create(GPT3_STATUS_DATA_LOSS, message.c_str());
}
} // namespace

gpt3_status_t gpt3::contextTensors(Context &ctx,
                                   const std::vector<std::string> &names,
                                   std::vector<gpt3_tensor_t> &out) {
  for (const std::string &name : names) {
    gpt3_tensor_t t;
    if (gpt3_status_t s = gpt3_context_tensor(ctx.handle, name.c_str(), &t))
      return s;
    out.push_back(t);
  }
  return nullptr;
}

gpt3_status_t gpt3::saveTensors(const std::string &path,
                                const std::vector<std::string> &names,
                                const std::vector<gpt3_tensor_t> &tensors) {
  std::vector<const char *> cNames;
  for (const std::string &name : names)
    cNames.push_back(name.c_str());
  return gpt3_safetensors_save(path.c_str(), cNames.data(), tensors.data(),
                               tensors.size());
}

gpt3_status_t gpt3::saveCheckpoint(Context &ctx, const std::string &dir,
                                   const std::vector<std::string> &params,
                                   const TrainState &state) {
  std::vector<gpt3_tensor_t> weights, moments;
  std::vector<std::string> moment = momentNames(params);
  if (gpt3_status_t s = contextTensors(ctx, params, weights))
    return s;
  if (gpt3_status_t s = contextTensors(ctx, moment, moments))
    return s;
  if (gpt3_status_t s =
          saveTensors(dir + "/model.safetensors", params, weights))
    return s;
  if (gpt3_status_t s =
          saveTensors(dir + "/optimizer.safetensors", moment, moments))
    return s;
  nlohmann::json json = {{"version", kCheckpointVersion},
                         {"step", state.step},
                         {"updates", state.updates},
                         {"rng", state.rng},
                         {"settings", state.settings},
                         {"model", "model.safetensors"},
                         {"optimizer", "optimizer.safetensors"}};
  std::string text = json.dump(2) + "\n";
  return gpt3_write_file_atomic((dir + "/checkpoint.json").c_str(), text.data(),
                                text.size());
}

gpt3_status_t gpt3::loadCheckpoint(Context &ctx, const std::string &dir,
                                   TrainState &state) {
  std::string path = dir + "/checkpoint.json", text;
  if (!readFile(path, text))
    return gpt3_status_create(
        GPT3_STATUS_NOT_FOUND,
        ("no checkpoint to resume: cannot read " + path).c_str());
  nlohmann::json json =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return badCheckpoint(path, "not a JSON object");
  if (json.value("version", 0) != kCheckpointVersion)
    return badCheckpoint(path, "not a version-1 checkpoint");
  for (const char *key : {"step", "updates"})
    if (!json.contains(key) || !json[key].is_number_integer() ||
        json[key].get<int64_t>() < 0)
      return badCheckpoint(path, std::string("'") + key +
                                     "' must be an integer >= 0");
  if (!json.contains("rng") || !json["rng"].is_string() ||
      !json.contains("settings") || !json["settings"].is_object())
    return badCheckpoint(path, "'rng' and 'settings' are missing");
  if (gpt3_status_t s = gpt3_context_load_weights(
          ctx.handle, (dir + "/model.safetensors").c_str()))
    return s;
  if (gpt3_status_t s = gpt3_context_load_states(
          ctx.handle, (dir + "/optimizer.safetensors").c_str()))
    return s;
  state.step = json["step"].get<int64_t>();
  state.updates = json["updates"].get<int64_t>();
  state.rng = json["rng"].get<std::string>();
  state.settings = json["settings"];
  return nullptr;
}
