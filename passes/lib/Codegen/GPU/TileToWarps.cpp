//===- TileToWarps.cpp - A block's contractions shared by warps -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Tensor cores multiply per warp: inside each thread block, a contraction
// whose tile holds whole 16 x 8 x 16 fragments is split among the block's
// warps, each taking a rectangle of its output; tfm-gpu-contract-to-mma
// turns a warp's share into fragments. What does not fit stays for the
// threads.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Codegen/GPU/Passes.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUTILETOWARPSPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm::distribution;

namespace {
struct TfmGpuTileToWarpsPass
    : tfm::impl::TfmGpuTileToWarpsPassBase<TfmGpuTileToWarpsPass> {
  using Base::Base;

  /// Warps per loop for `op`, or nothing when its tile is not made of
  /// whole fragments: the innermost m, n and k loops; any other parallel
  /// loop has extent 1 in the block.
  std::optional<SmallVector<int64_t>> warpCounts(linalg::LinalgOp op) const {
    if (!linalg::isaContractionOpInterface(op))
      return std::nullopt;
    for (Value operand : op->getOperands())
      if (!cast<ShapedType>(operand.getType()).getElementType().isF32())
        return std::nullopt;
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty() ||
        llvm::any_of(ranges, ShapedType::isDynamic))
      return std::nullopt;
    unsigned m = dims->m.back(), n = dims->n.back(), k = dims->k.back();
    for (unsigned d :
         llvm::concat<const unsigned>(dims->batch, dims->m, dims->n))
      if (d != m && d != n && ranges[d] != 1)
        return std::nullopt;
    if (ranges[m] % kFragmentM || ranges[n] % kFragmentN ||
        ranges[k] % kFragmentK)
      return std::nullopt;
    // Of the warp tiles in whole fragments up to warp-tile-m x
    // warp-tile-n: the busiest warps (tiles over rounds of warps), then the
    // largest tiles, then the smallest perimeter (fewest fragment loads).
    int64_t warps = std::max<int64_t>(1, threads / kThreadsPerWarp);
    int64_t rows = 0, cols = 0;
    auto key = [&](int64_t r, int64_t c) {
      int64_t tiles = (ranges[m] / r) * (ranges[n] / c);
      int64_t rounds = llvm::divideCeil(tiles, warps);
      return std::make_tuple(double(tiles) / double(rounds * warps), r * c,
                             -(r + c));
    };
    for (int64_t r = kFragmentM; r <= std::min<int64_t>(ranges[m], warpTileM);
         r += kFragmentM)
      for (int64_t c = kFragmentN; c <= std::min<int64_t>(ranges[n], warpTileN);
           c += kFragmentN)
        if (ranges[m] % r == 0 && ranges[n] % c == 0 &&
            (rows == 0 || key(r, c) > key(rows, cols)))
          std::tie(rows, cols) = std::make_pair(r, c);
    if (rows == 0)
      return std::nullopt;
    SmallVector<int64_t> counts(ranges.size(), 1);
    counts[m] = ranges[m] / rows;
    counts[n] = ranges[n] / cols;
    return counts;
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> contractions;
    getOperation().walk([&](linalg::LinalgOp op) {
      auto block = op->getParentOfType<scf::ForallOp>();
      if (block && isMappedTo(block, Level::Block) &&
          op.hasPureBufferSemantics())
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : contractions) {
      std::optional<SmallVector<int64_t>> counts = warpCounts(op);
      if (!counts)
        continue;
      if (failed(distribute(rewriter, op, *counts, Level::Warp))) {
        op->emitError("cannot be distributed over a block's warps");
        return signalPassFailure();
      }
    }
  }
};
} // namespace
