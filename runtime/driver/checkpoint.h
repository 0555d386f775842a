//===- checkpoint.h - Training checkpoints ----------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A checkpoint directory holds model.safetensors (the parameters, Hugging
// Face names, so `generate --weights DIR` reads it), optimizer.safetensors
// (the AdamW moments) and checkpoint.json (step, data-loader state, RNG
// state, settings), each written atomically and checkpoint.json last: a
// checkpoint.json names only files that are complete.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_CHECKPOINT_H
#define GPT3_DRIVER_CHECKPOINT_H

#include "model.h"

#include <string>
#include <vector>

namespace gpt3 {

/// What resuming needs besides the tensors.
struct TrainState {
  int64_t step = 0;        // steps taken (skipped ones included)
  int64_t updates = 0;     // AdamW updates applied
  std::string rng;         // the data loader's generator, serialized
  nlohmann::json settings; // the run's resolved settings
};

/// Views of the parameters or states called `names` in the context.
gpt3_status_t contextTensors(Context &ctx,
                             const std::vector<std::string> &names,
                             std::vector<gpt3_tensor_t> &out);

/// Writes `tensors` under `names` to the safetensors file `path`,
/// atomically.
gpt3_status_t saveTensors(const std::string &path,
                          const std::vector<std::string> &names,
                          const std::vector<gpt3_tensor_t> &tensors);

/// Writes the parameters, the moments `m.*` and `v.*`, and `state` into
/// `dir`.
gpt3_status_t saveCheckpoint(Context &ctx, const std::string &dir,
                             const std::vector<std::string> &params,
                             const TrainState &state);

/// Reads a checkpoint written by saveCheckpoint back into the context (the
/// weights must be bound) and `state`.
gpt3_status_t loadCheckpoint(Context &ctx, const std::string &dir,
                             TrainState &state);

} // namespace gpt3

#endif // GPT3_DRIVER_CHECKPOINT_H
