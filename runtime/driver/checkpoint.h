//===- checkpoint.h - Training checkpoints ----------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A checkpoint is one atomic unit. Its tensors go to files unique to it,
// model-<step>.safetensors (the parameters, Hugging Face names) and
// optimizer-<step>.safetensors (the AdamW moments); then checkpoint.json,
// which names them with their sizes and XXH3-64 checksums, replaces the
// previous one atomically. That rename is the commit: a kill at any instant
// leaves the previous checkpoint or the new one, never a mix. The previous
// checkpoint's files are removed only after the commit, and
// model.safetensors is then linked to the new weights so that
// `generate --weights DIR` reads them. Resuming verifies every checksum,
// checkpoint.json's own included, and names the file that differs.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_CHECKPOINT_H
#define GPT3_DRIVER_CHECKPOINT_H

#include "model.h"
#include "ranks.h"

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

/// The parameters or states called `names` in host memory: views of the
/// context's own on the CPU, copies (held in `copies`) from a GPU.
gpt3_status_t hostTensors(Context &ctx, const std::vector<std::string> &names,
                          std::vector<gpt3_tensor_t> &out,
                          std::vector<std::vector<char>> &copies);

/// Writes `tensors` under `names` to the safetensors file `path`,
/// atomically.
gpt3_status_t saveTensors(const std::string &path,
                          const std::vector<std::string> &names,
                          const std::vector<gpt3_tensor_t> &tensors);

/// Commits a checkpoint of the parameters, the moments `m.*` and `v.*`, and
/// `state` in `dir`, then removes the previous one. On failure the previous
/// checkpoint is intact and the status says so. Every rank calls it: the
/// moments each holds a share of (ZeRO-1) are gathered whole to the lead,
/// which alone writes, in one process's format.
gpt3_status_t saveCheckpoint(Context &ctx, const std::string &dir,
                             const std::vector<std::string> &params,
                             const TrainState &state, const Ranks &ranks);

/// Verifies the checkpoint committed in `dir` and reads it back into the
/// context (the weights must be bound) and `state`; then removes what an
/// interrupted checkpoint left behind.
gpt3_status_t loadCheckpoint(Context &ctx, const std::string &dir,
                             TrainState &state);

} // namespace gpt3

#endif // GPT3_DRIVER_CHECKPOINT_H
