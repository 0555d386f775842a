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

#include <cstdint>
#include <cstdio>

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

namespace {
/// MPI counts are ints; the compiler refuses larger shares.
int mpiCount(int64_t share) {
  if (share > INT32_MAX) {
    std::fprintf(stderr,
                 "error: a share of %lld elements is more than one "
                 "MPI call carries\n",
                 static_cast<long long>(share));
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return static_cast<int>(share);
}
} // namespace

extern "C" {

/// ZeRO's reduce-scatter, called by compiled code: the sum over the ranks
/// of `send` (ranks x `share` floats), of which rank r receives share r in
/// `recv`.
void gpt3_mpi_reduce_scatter_f32(int64_t send, int64_t recv, int64_t share) {
  MPI_Reduce_scatter_block(reinterpret_cast<const float *>(send),
                           reinterpret_cast<float *>(recv), mpiCount(share),
                           MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

/// Rank 0 receives every rank's `count` floats of `share` into `all`, in
/// rank order (a checkpoint of ZeRO-1's sharded moments).
void gpt3_mpi_gather_f32(const float *share, int64_t count, float *all) {
  MPI_Gather(share, mpiCount(count), MPI_FLOAT, all, mpiCount(count), MPI_FLOAT,
             0, MPI_COMM_WORLD);
}

/// ZeRO's all-gather: every rank's `share` floats of `send`, in rank
/// order, into `recv`.
void gpt3_mpi_all_gather_f32(int64_t send, int64_t recv, int64_t share) {
  MPI_Allgather(reinterpret_cast<const float *>(send), mpiCount(share),
                MPI_FLOAT, reinterpret_cast<float *>(recv), mpiCount(share),
                MPI_FLOAT, MPI_COMM_WORLD);
}
}
