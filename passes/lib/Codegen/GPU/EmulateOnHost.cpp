//===- EmulateOnHost.cpp - The distributed form run by the CPU --*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Checks the GPU's tiling, staging and distribution without a GPU: thread
// (and warp) steps run one thread (warp) after another (a step completes before
// the next, as the barrier between them guarantees on the device), and thread
// blocks become the CPU's parallel loops. Nothing else changes, so a wrong
// index in the distributed form is a wrong number here.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUEMULATEONHOSTPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm::distribution;

namespace {
struct TfmGpuEmulateOnHostPass
    : tfm::impl::TfmGpuEmulateOnHostPassBase<TfmGpuEmulateOnHostPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ForallOp> steps, blocks;
    getOperation().walk([&](scf::ForallOp forall) {
      if (isStep(forall))
        steps.push_back(forall);
      else if (isMappedTo(forall, Level::Block))
        blocks.push_back(forall);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ForallOp step : steps) {
      rewriter.setInsertionPoint(step);
      if (failed(scf::forallToForLoop(rewriter, step)))
        return signalPassFailure();
    }
    for (scf::ForallOp block : blocks)
      block->removeAttr(block.getMappingAttrName());
    getOperation().walk(
        [&](mlir::gpu::BarrierOp barrier) { rewriter.eraseOp(barrier); });
  }
};
} // namespace
