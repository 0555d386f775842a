//===- ranks.cpp - The processes of a data-parallel run ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "ranks.h"

// Defined by the MPI part of the runtime (runtime/src/mpi), which
// gpt3-compile links only into binaries compiled for several ranks.
extern "C" __attribute__((weak)) void gpt3_mpi_join(int *rank, int *size);
extern "C" __attribute__((weak)) void gpt3_mpi_leave(int code);
extern "C" __attribute__((weak)) void
gpt3_mpi_gather_f32(const float *share, int64_t count, float *all);

int gpt3::compiledRanks(const nlohmann::json &manifest) {
  return manifest.value("ranks", 1);
}

std::string gpt3::joinRanks(const nlohmann::json &manifest, Ranks &ranks) {
  int want = compiledRanks(manifest);
  if (want <= 1)
    return "";
  if (!gpt3_mpi_join || !gpt3_mpi_leave)
    return "this binary was compiled for " + std::to_string(want) +
           " ranks but linked without MPI; recompile it with gpt3-compile";
  gpt3_mpi_join(&ranks.rank, &ranks.size);
  ranks.joined = true;
  if (ranks.size == want)
    return "";
  std::string why =
      "the model was compiled for " + std::to_string(want) + " ranks, " +
      (ranks.size == 1 ? std::string("and this is one process")
                       : "and this run has " + std::to_string(ranks.size)) +
      ": launch it with mpirun -np " + std::to_string(want) +
      ", or recompile with gpt3-compile --ranks " + std::to_string(ranks.size);
  gpt3_mpi_leave(0);
  ranks.joined = false;
  return why;
}

void gpt3::gatherToLead(const float *share, int64_t count, float *all) {
  if (gpt3_mpi_gather_f32)
    gpt3_mpi_gather_f32(share, count, all);
  else
    std::copy(share, share + count, all);
}

int gpt3::leaveRanks(const Ranks &ranks, int code) {
  if (ranks.joined)
    gpt3_mpi_leave(code);
  return code;
}
