//===- MergeSingleBlockKernels.cpp - One launch for one-block runs -*- C++ -*-//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A decode step is mostly kernels of one thread block (a row's layer norm,
// a bias, a copy into the cache): launching each costs more than it
// computes. Consecutive one-block kernels become one kernel whose steps
// run in order: a barrier ends every step, and a barrier makes a block's
// global writes visible to its own threads, so what one former kernel
// wrote, the next reads, as across launches.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Codegen/GPU/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUMERGESINGLEBLOCKKERNELSPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm::distribution;

namespace {
/// Whether `forall` is a kernel of one block.
bool isSingleBlock(scf::ForallOp forall) {
  if (!isMappedTo(forall, Level::Block))
    return false;
  std::optional<SmallVector<int64_t>> counts = tripCounts(forall);
  return counts && ShapedType::getNumElements(*counts) == 1;
}

/// Bytes of the block scratch `forall` allocates outside its steps.
int64_t sharedBytes(scf::ForallOp forall) {
  int64_t bytes = 0;
  forall.walk([&](memref::AllocOp alloc) {
    if (alloc->getParentOfType<scf::ForallOp>() == forall)
      bytes += alloc.getType().getNumElements() *
               alloc.getType().getElementTypeBitWidth() / 8;
  });
  return bytes;
}

struct TfmGpuMergeSingleBlockKernelsPass
    : tfm::impl::TfmGpuMergeSingleBlockKernelsPassBase<
          TfmGpuMergeSingleBlockKernelsPass> {
  using Base::Base;

  /// Merges the runs of one-block kernels in `block`, moving the pure ops
  /// between two of them (views, constants) before the first.
  void mergeRuns(Block &block, RewriterBase &rewriter) {
    scf::ForallOp run;
    SmallVector<Operation *> between;
    for (Operation &op : llvm::make_early_inc_range(block)) {
      auto forall = dyn_cast<scf::ForallOp>(&op);
      if (forall && isSingleBlock(forall)) {
        if (run && sharedBytes(run) + sharedBytes(forall) <= sharedMemory) {
          for (Operation *pure : between)
            pure->moveBefore(run);
          // The former kernel's body joins the run's, its block index 0.
          Block *body = forall.getBody();
          rewriter.eraseOp(body->getTerminator());
          SmallVector<Value> origins;
          for (OpFoldResult lb : forall.getMixedLowerBound()) {
            rewriter.setInsertionPoint(run.getBody()->getTerminator());
            origins.push_back(
                getValueOrCreateConstantIndexOp(rewriter, forall.getLoc(), lb));
          }
          rewriter.inlineBlockBefore(body, run.getBody()->getTerminator(),
                                     origins);
          rewriter.eraseOp(forall);
        } else {
          run = forall;
        }
        between.clear();
        continue;
      }
      if (run && isPure(&op) && op.getNumRegions() == 0) {
        between.push_back(&op);
        continue;
      }
      run = nullptr;
      between.clear();
    }
  }

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<Block *> blocks;
    getOperation().walk([&](Block *block) {
      if (!block->getParentOp()->getParentOfType<scf::ForallOp>() &&
          !isa<scf::ForallOp>(block->getParentOp()))
        blocks.push_back(block);
    });
    for (Block *block : blocks)
      mergeRuns(*block, rewriter);
  }
};
} // namespace
