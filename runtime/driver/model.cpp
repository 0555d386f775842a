//===- model.cpp - The compiled model as the driver sees it -----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "model.h"

gpt3_status_t gpt3::openModel(Context &ctx, int32_t threads) {
  gpt3_context_options_t options;
  gpt3_context_options_initialize(&options);
  options.num_threads = threads;
  gpt3_status_t status =
      gpt3_context_create(&options, gpt3_allocator_system(), &ctx.handle);
  if (!status)
    ctx.manifest = nlohmann::json::parse(gpt3_context_manifest(ctx.handle));
  return status;
}

const nlohmann::json *gpt3::findEntry(const nlohmann::json &manifest,
                                      const std::string &name) {
  for (const auto &entry : manifest["entries"])
    if (entry["name"] == name)
      return &entry;
  return nullptr;
}

std::vector<int64_t> gpt3::argShape(const nlohmann::json &entry,
                                    const std::string &name) {
  for (const auto &arg : entry["args"])
    if (arg["name"] == name)
      return arg["shape"].get<std::vector<int64_t>>();
  return {};
}

int64_t gpt3::numElements(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  return count;
}
