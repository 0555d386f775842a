//===- Distribution.h - Ops spread over blocks and threads ------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The distributed form both the device and the host emulation start from:
// bufferized loops where each `scf.forall` mapped to `#gpu.block` is one
// kernel launch, and each `scf.forall` mapped to `#gpu.thread` (or to
// `#gpu.warp`: a step whose iterations are warps, for tensor cores) inside
// it is one step that the block's threads share, with a barrier after it.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CODEGEN_GPU_DISTRIBUTION_H
#define TFM_CODEGEN_GPU_DISTRIBUTION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tfm::distribution {

enum class Level { Block, Warp, Thread };

/// Threads of a warp; the m16 n8 k16 tensor-core fragment (tf32 takes k in
/// two steps of 8).
constexpr int64_t kThreadsPerWarp = 32;
constexpr int64_t kFragmentM = 16, kFragmentN = 8, kFragmentK = 16;

/// Whether `forall` is mapped to thread blocks (or to a block's warps or
/// threads).
bool isMappedTo(scf::ForallOp forall, Level level);

/// Whether `forall` is a step of a block: mapped to its warps or threads.
bool isStep(scf::ForallOp forall);

/// Iterations per loop of `forall`, whose bounds and steps must be
/// static; nothing otherwise.
std::optional<SmallVector<int64_t>> tripCounts(scf::ForallOp forall);

/// `#gpu.block<linear_dim_k>` (`#gpu.warp`, `#gpu.thread`), for each
/// of `rank` loops; the last loop varies fastest (linear_dim_0), so
/// consecutive threads touch consecutive elements of the innermost loop.
ArrayAttr mappingFor(MLIRContext *ctx, Level level, unsigned rank);

/// Per loop of `op`, how many workers share it: `budget` workers go to the
/// parallel loops innermost first, each taking the largest divisor of its
/// extent that the budget left allows; reductions are not split.
SmallVector<int64_t> splitParallelLoops(linalg::LinalgOp op, int64_t budget);

/// Replaces `op`, a linalg op on buffers, by an `scf.forall` mapped to
/// `level` with `counts[i]` iterations for loop i (1: not split), each
/// running `op` on its tile. Every count must divide its extent.
FailureOr<scf::ForallOp> distribute(RewriterBase &rewriter, linalg::LinalgOp op,
                                    ArrayRef<int64_t> counts, Level level);

/// Splits the one reduction loop of `op` (a generic on buffers whose rows
/// are too few for `threads`) among threads: a fill of partials with the
/// combiner's identity, the reduction of every S-th element of each row
/// into its partial, and the fold of the partials into the result. Returns
/// the three ops, which replace `op`; fails (changing nothing) where the
/// split would not pay or the reduction has no single combiner with an
/// identity.
FailureOr<SmallVector<linalg::LinalgOp>>
splitReduction(RewriterBase &rewriter, linalg::LinalgOp op, int64_t threads);

/// A `memref.copy` as the `linalg.copy` it is, so it can be distributed.
linalg::LinalgOp copyAsLinalg(RewriterBase &rewriter, Operation *copy);

} // namespace mlir::tfm::distribution

#endif // TFM_CODEGEN_GPU_DISTRIBUTION_H
