//===- TileToThreads.cpp - A block's steps shared by its threads -*- C++ -*-=//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Inside each thread block, every loop nest (a linalg op or a copy, also
// inside the block's own sequential loops, such as attention's key blocks)
// is shared among the block's threads; what one step writes to the block's
// scratch, the next reads after a barrier.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Codegen/GPU/Passes.h"
#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUTILETOTHREADSPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm::distribution;

namespace {
struct TfmGpuTileToThreadsPass
    : tfm::impl::TfmGpuTileToThreadsPassBase<TfmGpuTileToThreadsPass> {
  using Base::Base;

  /// Threads per loop of `op`: a contraction gives each thread an output
  /// tile of up to 4 x 8 (rows x columns), which it keeps in registers
  /// (tfm-gpu-contract-to-registers); any other op spreads the budget over
  /// its parallel loops.
  SmallVector<int64_t> threadCounts(linalg::LinalgOp op) const {
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::isaContractionOpInterface(op)
            ? linalg::inferContractionDims(op)
            : FailureOr<linalg::ContractionDimensions>(failure());
    if (failed(dims) || dims->m.empty() || dims->n.empty())
      return splitParallelLoops(op, threads);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    SmallVector<int64_t> counts(ranges.size(), 1);
    for (auto [i, kind] : llvm::enumerate(kinds))
      if (kind == utils::IteratorType::parallel)
        counts[i] = ranges[i];
    unsigned m = dims->m.back(), n = dims->n.back();
    counts[m] = ranges[m] / tfm::lowering::largestDivisor(ranges[m], 4);
    counts[n] = ranges[n] / tfm::lowering::largestDivisor(ranges[n], 8);
    return counts;
  }

  void runOnOperation() override {
    SmallVector<Operation *> steps;
    WalkResult walk = getOperation().walk([&](Operation *op) {
      auto block = op->getParentOfType<scf::ForallOp>();
      // A warp step's contraction is the warp's; anything else in it (the
      // staging copies) is shared by all the block's threads.
      auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
      if (block && isMappedTo(block, Level::Warp) &&
          !(linalgOp && linalg::isaContractionOpInterface(linalgOp)))
        block = block->getParentOfType<scf::ForallOp>();
      if (!block || !isMappedTo(block, Level::Block))
        return WalkResult::advance();
      if (isa<memref::CopyOp>(op) || isa<linalg::LinalgOp>(op)) {
        steps.push_back(op);
        return WalkResult::advance();
      }
      // Every thread would run it: the same write from each of them.
      if (isa<memref::StoreOp, vector::TransferWriteOp>(op)) {
        op->emitError("writes memory in a thread block outside any "
                      "thread-distributed step");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    IRRewriter rewriter(&getContext());
    for (Operation *op : steps) {
      auto linalgOp = isa<memref::CopyOp>(op) ? copyAsLinalg(rewriter, op)
                                              : cast<linalg::LinalgOp>(op);
      SmallVector<linalg::LinalgOp> parts = {linalgOp};
      if (FailureOr<SmallVector<linalg::LinalgOp>> split =
              splitReduction(rewriter, linalgOp, threads);
          succeeded(split))
        parts = *split;
      for (linalg::LinalgOp part : parts)
        if (failed(distribute(rewriter, part, threadCounts(part),
                              Level::Thread))) {
          part->emitError("cannot be distributed over a block's threads: "
                          "it needs static shapes on buffers");
          return signalPassFailure();
        }
    }
  }
};
} // namespace
