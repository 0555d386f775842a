//===- ranks.h - The processes of a data-parallel run -----------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_RANKS_H
#define GPT3_DRIVER_RANKS_H

#include <nlohmann/json.hpp>

#include <string>

namespace gpt3 {

/// The processes of a run compiled with gpt3-compile --ranks N and
/// launched with mpirun -np N: this one's rank, and their number. Each
/// rank trains on its own slice of the global batch; rank 0 (the lead)
/// prints, logs and writes the run directory.
struct Ranks {
  int rank = 0;
  int size = 1;
  bool joined = false;
  bool lead() const { return rank == 0; }
};

/// The number of ranks the model was compiled for (1 when it says none).
int compiledRanks(const nlohmann::json &manifest);

/// Joins the run of a model compiled for several ranks; a one-rank model
/// joins nothing. An empty string, or why this process cannot take part
/// (then it has left again, and `ranks` says which one it was).
std::string joinRanks(const nlohmann::json &manifest, Ranks &ranks);

/// Gathers every rank's `count` floats of `share` into `all` on the lead
/// rank, in rank order (`all` holds ranks x count there; others pass
/// anything); with one rank, a copy. Every rank must call it.
void gatherToLead(const float *share, int64_t count, float *all);

/// Leaves a joined run: a clean finish when `code` is 0, otherwise every
/// rank is stopped with `code`. Returns `code`.
int leaveRanks(const Ranks &ranks, int code);

} // namespace gpt3

#endif // GPT3_DRIVER_RANKS_H
