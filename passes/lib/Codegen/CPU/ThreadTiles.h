//===- ThreadTiles.h - Thread blocks of the CPU pipeline --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// How the CPU target blocks a contraction among its threads.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CODEGEN_CPU_THREADTILES_H
#define TFM_CODEGEN_CPU_THREADTILES_H

#include "tfm/Codegen/Common/ThreadTiles.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir::tfm {

/// Up to this many rows (a decode step), a product with a right operand
/// read along the reduction (x @ W^T, W in place) runs as dot products: a
/// transposed copy of W would move three times the bytes the product reads.
inline constexpr int64_t kDotProductRows = 2;

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
