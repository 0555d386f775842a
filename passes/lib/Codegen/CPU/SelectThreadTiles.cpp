//===- SelectThreadTiles.cpp - A contraction's thread block, once -*- C++ -*-=//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The thread block of each contraction is decided here and carried as the
// attribute `tfm.thread_tiles`; matmul epilogue fusion tiles the epilogue
// into those blocks and tile-and-vectorize register-tiles them, both reading
// the attribute rather than deciding again.
//
//===----------------------------------------------------------------------===//

#include "ThreadTiles.h"

#include "tfm/Codegen/CPU/Passes.h"

#define DEBUG_TYPE "tfm-cpu-select-thread-tiles"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPUSELECTTHREADTILESPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
struct TfmCpuSelectThreadTilesPass
    : tfm::impl::TfmCpuSelectThreadTilesPassBase<TfmCpuSelectThreadTilesPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!op.hasPureTensorSemantics())
        return;
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      if (llvm::any_of(ranges, ShapedType::isDynamic))
        return;
      if (std::optional<SmallVector<int64_t>> tiles =
              tfm::contractionThreadTiles(op, ranges, threadTileM, threadTileN))
        tfm::setThreadTiles(op, *tiles);
    });
  }
};
} // namespace
