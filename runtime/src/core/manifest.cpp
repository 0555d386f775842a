//===- manifest.cpp - An artefact's manifest, read once ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "manifest.h"

#include "status.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <dlfcn.h>

using namespace gpt3;

namespace {
gpt3_status_t malformed(const std::string &what) {
  return makeStatus(GPT3_STATUS_DATA_LOSS,
                    "the artefact's manifest is malformed: " + what);
}

bool parseKind(const std::string &text, gpt3_arg_kind_t &out) {
  static const std::pair<const char *, gpt3_arg_kind_t> kinds[] = {
      {"input", GPT3_ARG_INPUT},
      {"output", GPT3_ARG_OUTPUT},
      {"param", GPT3_ARG_PARAM},
      {"state", GPT3_ARG_STATE},
      {"workspace", GPT3_ARG_WORKSPACE}};
  for (auto [name, kind] : kinds)
    if (text == name) {
      out = kind;
      return true;
    }
  return false;
}

bool parseDtype(const std::string &text, gpt3_dtype_t &out) {
  for (gpt3_dtype_t dtype : {GPT3_DTYPE_F32, GPT3_DTYPE_I32, GPT3_DTYPE_I64,
                             GPT3_DTYPE_I8, GPT3_DTYPE_BF16})
    if (text == dtypeName(dtype)) {
      out = dtype;
      return true;
    }
  return false;
}

/// Records the shape of state `arg`; states of one name must agree in shape
/// across entry points.
gpt3_status_t declareState(Manifest &m, const ArgSpec &arg) {
  auto [known, fresh] = m.stateShapes.emplace(arg.name, arg.shape);
  if (fresh || known->second == arg.shape)
    return nullptr;
  return malformed("state '" + arg.name + "' has two shapes, " +
                   shapeString(known->second) + " and " +
                   shapeString(arg.shape));
}

/// Declares state `arg` and, for a stack, each slice under its own name;
/// a sharded stack's slices are on other ranks too, so it has none.
gpt3_status_t declareStack(Manifest &m, const ArgSpec &arg) {
  GPT3_RETURN_IF_ERROR(declareState(m, arg));
  if (!arg.shardOf.empty()) {
    m.stateShards[arg.name] = {arg.shardOf, arg.layers};
    return nullptr;
  }
  ArgSpec slice = arg;
  slice.shape.erase(slice.shape.begin());
  for (size_t i = 0; i < arg.layers.size(); ++i) {
    slice.name = arg.layers[i];
    GPT3_RETURN_IF_ERROR(declareState(m, slice));
    m.stateSlices[slice.name] = {arg.name, static_cast<int64_t>(i)};
  }
  return nullptr;
}

/// The arena offset of parameter argument `arg` of `entry`: its own, or for
/// a stack (`layers`: the stacked parameters' names) the first layer's,
/// after checking that the layers lie one after another in the arena with
/// the slice shape, so that the stack is a view of it.
gpt3_status_t resolveParam(const Manifest &m, const Entry &entry,
                           ArgSpec &arg) {
  std::string where = "entry '" + entry.name + "' argument '" + arg.name + "'";
  if (arg.layers.empty()) {
    const Param *param = m.param(arg.name);
    if (!param)
      return malformed("entry '" + entry.name + "' takes unknown parameter '" +
                       arg.name + "'");
    if (param->dtype != arg.dtype || param->storedShape() != arg.shape)
      return malformed(where + " is " + dtypeName(arg.dtype) + " " +
                       shapeString(arg.shape) + ", but the parameter is " +
                       dtypeName(param->dtype) + " " +
                       shapeString(param->storedShape()));
    arg.paramOffset = param->offset;
    return nullptr;
  }
  const std::vector<std::string> &names = arg.layers;
  std::vector<int64_t> slice(arg.shape.begin() + 1, arg.shape.end());
  size_t next = 0;
  for (const std::string &name : names) {
    const Param *param = m.param(name);
    if (!param)
      return malformed(where + " stacks unknown parameter '" + name + "'");
    if (param->storedShape() != slice || param->dtype != arg.dtype)
      return malformed(where + " stacks '" + name + "', " +
                       dtypeName(param->dtype) + " " +
                       shapeString(param->storedShape()) + ", as " +
                       dtypeName(arg.dtype) + " " + shapeString(slice));
    if (&name != &names.front() && param->offset != next)
      return malformed(where + " stacks '" + name +
                       "', which does not follow the previous layer in the "
                       "weight arena");
    next = param->offset + param->bytes();
  }
  arg.paramOffset = m.param(names.front())->offset;
  return nullptr;
}

gpt3_status_t parseArg(Manifest &m, const Entry &entry, const nlohmann::json &a,
                       ArgSpec &arg) {
  arg.name = a.at("name").get<std::string>();
  std::string kind = a.at("kind").get<std::string>();
  std::string dtype = a.at("dtype").get<std::string>();
  arg.shape = a.at("shape").get<std::vector<int64_t>>();
  if (!parseKind(kind, arg.kind))
    return malformed("entry '" + entry.name + "' argument '" + arg.name +
                     "' has unknown kind '" + kind + "'");
  if (!parseDtype(dtype, arg.dtype))
    return malformed("entry '" + entry.name + "' argument '" + arg.name +
                     "' has unknown dtype '" + dtype + "'");
  if (arg.shape.size() > 8)
    return malformed("entry '" + entry.name + "' argument '" + arg.name +
                     "' has rank " + std::to_string(arg.shape.size()) +
                     ", more than 8");
  if (auto whole = a.find("shard_of"); whole != a.end()) {
    arg.shardOf = whole->get<std::vector<int64_t>>();
    int64_t ranks = m.ranks;
    if (arg.kind != GPT3_ARG_STATE || arg.shape.size() != 1 || ranks < 2 ||
        arg.shape[0] != (numElements(arg.shardOf) + ranks - 1) / ranks)
      return malformed(
          "entry '" + entry.name + "' argument '" + arg.name +
          "' is not a state's share of " + shapeString(arg.shardOf) + " over " +
          std::to_string(ranks) + " ranks: " + shapeString(arg.shape));
  }
  if (auto layers = a.find("layers"); layers != a.end()) {
    arg.layers = layers->get<std::vector<std::string>>();
    const std::vector<int64_t> &stacked =
        arg.shardOf.empty() ? arg.shape : arg.shardOf;
    if (arg.layers.empty() || stacked.empty() ||
        stacked[0] != static_cast<int64_t>(arg.layers.size()))
      return malformed("entry '" + entry.name + "' argument '" + arg.name +
                       "' stacks " + std::to_string(arg.layers.size()) +
                       " layers but has shape " + shapeString(arg.shape));
  }
  if (arg.kind == GPT3_ARG_PARAM)
    return resolveParam(m, entry, arg);
  if (arg.kind == GPT3_ARG_STATE)
    return declareStack(m, arg);
  return nullptr;
}

gpt3_status_t parseEntry(Manifest &m, const nlohmann::json &e, void *symbols,
                         Entry &entry) {
  entry.name = e.at("name").get<std::string>();
  entry.workspaceBytes = e.value("workspace_bytes", int64_t{0});
  std::string symbol = e.at("symbol").get<std::string>();
  entry.fn = reinterpret_cast<EntryFn>(dlsym(symbols, symbol.c_str()));
  if (!entry.fn)
    return makeStatus(GPT3_STATUS_NOT_FOUND, "entry point symbol '" + symbol +
                                                 "' not found in the artefact");
  for (const nlohmann::json &a : e.at("args")) {
    ArgSpec arg;
    GPT3_RETURN_IF_ERROR(parseArg(m, entry, a, arg));
    entry.args.push_back(std::move(arg));
  }
  return nullptr;
}

/// The C API's view of `entry`'s arguments, pointing into `entry.args`,
/// which no longer moves.
void buildView(Entry &entry) {
  for (const ArgSpec &arg : entry.args) {
    std::vector<const char *> names;
    for (const std::string &layer : arg.layers)
      names.push_back(layer.c_str());
    entry.layerViews.push_back(std::move(names));
  }
  for (size_t i = 0; i < entry.args.size(); ++i) {
    const ArgSpec &arg = entry.args[i];
    const std::vector<const char *> &names = entry.layerViews[i];
    gpt3_arg_t view{};
    view.num_layers = static_cast<int32_t>(names.size());
    view.layers = names.empty() ? nullptr : names.data();
    view.name = arg.name.c_str();
    view.kind = arg.kind;
    view.dtype = arg.dtype;
    view.rank = static_cast<int32_t>(arg.shape.size());
    std::copy(arg.shape.begin(), arg.shape.end(), view.shape);
    entry.view.push_back(view);
  }
}

gpt3_status_t parseJson(const nlohmann::json &j, void *symbols, Manifest &m) {
  if (!j.is_object() || j.value("version", 0) != 1)
    return makeStatus(GPT3_STATUS_DATA_LOSS,
                      "the artefact's manifest is not a version-1 manifest");
  const auto config = j.find("config");
  if (config == j.end() || !config->is_object())
    return malformed("it has no 'config' object");
  std::string device = j.value("device", std::string("cpu"));
  if (device != "cpu" && device != "cuda")
    return malformed("unknown device '" + device + "'");
  m.device = device == "cuda" ? GPT3_DEVICE_CUDA : GPT3_DEVICE_CPU;
  m.vocabSize = config->at("vocab_size").get<int64_t>();
  m.positions = j.at("seq").get<int64_t>();
  m.ranks = j.value("ranks", int64_t{1});
  for (const nlohmann::json &p : j.at("params")) {
    Param param{p.at("name").get<std::string>(),
                p.at("shape").get<std::vector<int64_t>>()};
    std::string dtype = p.at("dtype").get<std::string>();
    if (!parseDtype(dtype, param.dtype) ||
        (param.dtype != GPT3_DTYPE_F32 && param.dtype != GPT3_DTYPE_BF16))
      return malformed("parameter '" + param.name + "' has dtype '" + dtype +
                       "'; parameters are f32 or bf16");
    std::string layout = p.value("layout", std::string());
    param.panels = layout == "panels";
    size_t rank = param.shape.size();
    if ((!layout.empty() && !param.panels) ||
        (param.panels &&
         (rank < 2 || param.shape[rank - 1] % kPanelColumns != 0 ||
          (param.dtype == GPT3_DTYPE_BF16 && param.shape[rank - 2] % 2 != 0))))
      return malformed("parameter '" + param.name + "' cannot have layout '" +
                       layout + "'");
    // Aligned to its element: a stack's layers of one dtype stay adjacent.
    size_t align = dtypeBytes(param.dtype);
    param.offset = (m.weightBytes + align - 1) / align * align;
    m.weightBytes = param.offset + param.bytes();
    m.params.push_back(std::move(param));
  }
  for (const nlohmann::json &e : j.at("entries")) {
    Entry entry;
    GPT3_RETURN_IF_ERROR(parseEntry(m, e, symbols, entry));
    m.workspaceBytes = std::max(m.workspaceBytes, entry.workspaceBytes);
    m.entries.push_back(std::move(entry));
  }
  for (Entry &entry : m.entries)
    buildView(entry);
  return nullptr;
}
} // namespace

const Entry *Manifest::entry(const std::string &name) const {
  for (const Entry &e : entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

const Param *Manifest::param(const std::string &name) const {
  for (const Param &p : params)
    if (p.name == name)
      return &p;
  return nullptr;
}

gpt3_status_t gpt3::parseManifest(const std::string &text, void *symbols,
                                  Manifest &out) {
  nlohmann::json j =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return malformed("it is not JSON");
  try {
    return parseJson(j, symbols, out);
  } catch (const nlohmann::json::exception &e) {
    // A missing field or one of the wrong type.
    return malformed(e.what());
  }
}

const char *gpt3::dtypeName(gpt3_dtype_t dtype) {
  switch (dtype) {
  case GPT3_DTYPE_F32:
    return "f32";
  case GPT3_DTYPE_I32:
    return "i32";
  case GPT3_DTYPE_I64:
    return "i64";
  case GPT3_DTYPE_I8:
    return "i8";
  case GPT3_DTYPE_BF16:
    return "bf16";
  }
  return "unknown";
}
