//===- model.h - The compiled model as the driver sees it -------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The context and its manifest, shared by the driver's commands.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_MODEL_H
#define GPT3_DRIVER_MODEL_H

#include "gpt3/runtime.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace gpt3 {

struct Context {
  gpt3_context_t *handle = nullptr;
  nlohmann::json manifest;
  ~Context() { gpt3_context_release(handle); }
};

/// Opens the model linked into this binary and reads its manifest.
/// Opens the model linked into this binary; `threads` worker threads for
/// its entry points (0: OpenMP's default, every core).
gpt3_status_t openModel(Context &ctx, int32_t threads,
                        const std::string &device);

/// The manifest's entry point `name`, or null.
/// The arguments of entry point `name`, as the runtime read them from the
/// manifest; empty when the model has no such entry.
std::vector<gpt3_arg_t> entryArgs(const Context &ctx, const std::string &name);

bool hasEntry(const Context &ctx, const std::string &name);

/// The shape of argument `arg` of entry point `entry`; empty if none.
std::vector<int64_t> argShape(const Context &ctx, const std::string &entry,
                              const std::string &arg);

std::vector<int64_t> shapeOf(const gpt3_arg_t &arg);

int64_t numElements(const std::vector<int64_t> &shape);

/// The compiled `loss` of one batch of `tokens` and `targets`, of `shape`
/// [B, T]: the mean over its tokens (and over the ranks of a data-parallel
/// model).
gpt3_status_t batchLoss(Context &ctx, int32_t *tokens, int32_t *targets,
                        const std::vector<int64_t> &shape, float &loss);

} // namespace gpt3

#endif // GPT3_DRIVER_MODEL_H
