//===- ThreadTiles.cpp - Thread blocks of the CPU pipeline ------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "ThreadTiles.h"

#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"

namespace mlir::tfm {

std::optional<SmallVector<int64_t>>
contractionThreadTiles(linalg::LinalgOp op, ArrayRef<int64_t> ranges,
                       int64_t tileM, int64_t tileN) {
  if (!linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
    return std::nullopt;
  // One or two rows times a right operand whose rows run along the
  // reduction (x . W^T, W read in place): no vector runs along n, so these
  // are dot products, tiled like row reductions. Panels of bf16 pairs end
  // in a reduction of 2 too, but their columns do run along n.
  AffineMap rhs = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  int64_t rows = 1;
  for (unsigned m : dims->m)
    rows *= ranges[m];
  if (rows <= kDotProductRows && rhs.getNumResults() > 0 &&
      rhs.getResults().back() ==
          getAffineDimExpr(dims->k.back(), op.getContext()) &&
      ranges[dims->k.back()] > 2)
    return std::nullopt;
  SmallVector<int64_t> threads(ranges.size(), 1);
  unsigned m = dims->m.back(), n = dims->n.back();
  threads[m] = lowering::largestDivisor(ranges[m], tileM);
  threads[n] = lowering::largestDivisor(ranges[n], tileN);
  // A single row (a decode step) streams W once and is over in
  // microseconds: an odd number of column blocks (768 / 256 = 3) leaves a
  // thread of each pair idle for a whole block. Halving the block evens
  // them out (1 x 768 x 768 from 96 to 130 GB/s of W on 2 threads).
  auto evenBlocks = [&](unsigned d, int64_t unit) {
    while ((ranges[d] / threads[d]) % 2 != 0 && threads[d] % (2 * unit) == 0)
      threads[d] /= 2;
  };
  bool packed = threads[n] == ranges[n] && dims->n.size() > 1;
  if (rows == 1 && !packed)
    evenBlocks(n, /*unit=*/16);
  // Columns split into panels (j, p) after packing: a block spans whole
  // panels, as many as fit `tileN` columns (an even number of blocks for a
  // single row, as above).
  if (packed) {
    unsigned panels = dims->n[dims->n.size() - 2];
    threads[panels] = lowering::largestDivisor(
        ranges[panels], std::max<int64_t>(1, tileN / threads[n]));
    if (rows == 1)
      evenBlocks(panels, /*unit=*/1);
  }
  for (unsigned k : dims->k)
    threads[k] = 0;
  return threads;
}

} // namespace mlir::tfm
