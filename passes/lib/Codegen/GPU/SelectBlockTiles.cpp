//===- SelectBlockTiles.cpp - A contraction's thread-block tile -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The GPU's counterpart of the CPU's thread tiles: the output tile of one
// thread block, decided once and carried as `tfm.thread_tiles`, so that the
// kernels both targets build (matmul epilogues) block the same way the
// later GPU passes distribute.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Common/ThreadTiles.h"
#include "tfm/Codegen/GPU/Passes.h"
#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#define DEBUG_TYPE "tfm-gpu-select-block-tiles"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUSELECTBLOCKTILESPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using tfm::lowering::largestDivisor;

namespace {
struct TfmGpuSelectBlockTilesPass
    : tfm::impl::TfmGpuSelectBlockTilesPassBase<TfmGpuSelectBlockTilesPass> {
  using Base::Base;
  void runOnOperation() override {
    // Every contraction outside a kernel, also in the layer loop; the
    // kernels' own (attention) are tiled by their builders.
    getOperation().walk([&](linalg::LinalgOp linalgOp) {
      if (!linalgOp.hasPureTensorSemantics() ||
          !linalg::isaContractionOpInterface(linalgOp) ||
          linalgOp->getParentOfType<scf::ForallOp>())
        return;
      SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
      FailureOr<linalg::ContractionDimensions> dims =
          linalg::inferContractionDims(linalgOp);
      if (llvm::any_of(ranges, ShapedType::isDynamic) || failed(dims) ||
          dims->m.empty() || dims->n.empty())
        return;
      SmallVector<int64_t> tiles(ranges.size(), 1);
      unsigned m = dims->m.back(), n = dims->n.back();
      tiles[m] = largestDivisor(ranges[m], blockM);
      tiles[n] = largestDivisor(ranges[n], blockN);
      for (unsigned k : dims->k)
        tiles[k] = 0;
      tfm::setThreadTiles(linalgOp, tiles);
    });
  }
};
} // namespace
