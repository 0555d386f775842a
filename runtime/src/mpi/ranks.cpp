//===- ranks.cpp - Joining a data-parallel run over MPI ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Linked (whole) into model binaries compiled with --ranks N > 1 only, so
// that a one-process binary needs no MPI library. The driver calls these
// through weak references; the compiled collectives use MPI_COMM_WORLD.
//
//===----------------------------------------------------------------------===//

#include <mpi.h>

extern "C" {

/// Initializes MPI (once) and reports this process's rank and the number
/// of processes. MPI's default error handler aborts the job on failure.
void gpt3_mpi_join(int *rank, int *size) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized)
    MPI_Init(nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
}

/// Ends this process's part: a clean finish after success; after a
/// failure, MPI_Abort, so that no other rank waits forever in a
/// collective this one will never reach.
void gpt3_mpi_leave(int code) {
  if (code == 0)
    MPI_Finalize();
  else
    MPI_Abort(MPI_COMM_WORLD, code);
}
}
