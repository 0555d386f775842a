//===- SplitRaggedContractions.cpp - Tiles that divide the work -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Block tiles and tensor-core fragments need the innermost m, n and k of a
// contraction to divide evenly. The vocabulary (50257 = 29 x 1733) does
// not, and it is a dimension of the largest matmuls there are: the output
// projection (n), and in training its input gradient (k) and the table's
// gradient (m). Split into a part that 128 divides and a narrow tail, the
// part runs on tensor cores and only the tail on the SIMT units.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUSPLITRAGGEDCONTRACTIONSPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
struct SplitRaggedPattern : OpInterfaceRewritePattern<linalg::LinalgOp> {
  SplitRaggedPattern(MLIRContext *ctx, int64_t multiple, int64_t minExtent)
      : OpInterfaceRewritePattern(ctx), multiple(multiple),
        minExtent(minExtent) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<func::FuncOp>(op->getParentOp()) || !op.hasPureTensorSemantics() ||
        !linalg::isaContractionOpInterface(op))
      return failure();
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty() ||
        llvm::any_of(ranges, ShapedType::isDynamic))
      return failure();
    int64_t rows = 1;
    for (unsigned d : llvm::concat<const unsigned>(dims->batch, dims->m))
      rows *= ranges[d];
    // Fewer rows than one tensor-core fragment (a decode step's one) gain
    // nothing from a split: they stay on the SIMT path whole.
    if (rows < tfm::distribution::kFragmentM)
      return failure();
    for (unsigned d : {dims->m.back(), dims->n.back(), dims->k.back()}) {
      int64_t extent = ranges[d];
      if (extent < minExtent || extent % multiple == 0)
        continue;
      auto [main, tail] =
          linalg::splitOp(rewriter, cast<TilingInterface>(op.getOperation()), d,
                          rewriter.getIndexAttr(extent - extent % multiple));
      return success(main && tail);
    }
    return failure();
  }

  int64_t multiple, minExtent;
};

struct TfmGpuSplitRaggedContractionsPass
    : tfm::impl::TfmGpuSplitRaggedContractionsPassBase<
          TfmGpuSplitRaggedContractionsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitRaggedPattern>(&getContext(), multiple, minExtent);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
