//===- ThreadTiles.h - Thread blocks of the CPU pipeline --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The thread block of a contraction, shared by the pass that tiles it and
// the pass that fuses its epilogue into the same blocks.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CODEGEN_CPU_THREADTILES_H
#define TFM_CODEGEN_CPU_THREADTILES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir::tfm {

/// The thread block `tfm-cpu-select-thread-tiles` chose for a contraction:
/// per loop, the scf.forall tile size (0 for the reductions).
inline constexpr llvm::StringLiteral kThreadTilesAttr = "tfm.thread_tiles";

/// The thread block chosen for `op`, if one was.
std::optional<SmallVector<int64_t>> chosenThreadTiles(Operation *op);

/// The largest divisor of `n` that is at most `cap` (and at least 1).
int64_t largestDivisorAtMost(int64_t n, int64_t cap);

/// A contraction's thread block: per loop, the scf.forall tile size (0 for
/// the reductions), with the innermost m and n loops blocked by at most
/// `tileM` x `tileN` and other m, n and batch loops stepping by one; a
/// block spans whole panels of a packed right operand. None for ops that
/// are not matmul-like contractions, or that are tiled as dot products
/// (one or two rows against a right operand read along the reduction).
std::optional<SmallVector<int64_t>>
contractionThreadTiles(linalg::LinalgOp op, ArrayRef<int64_t> ranges,
                       int64_t tileM, int64_t tileN);

} // namespace mlir::tfm

#endif // TFM_CODEGEN_CPU_THREADTILES_H
