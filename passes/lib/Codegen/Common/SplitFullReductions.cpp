//===- SplitFullReductions.cpp - Sums to a scalar in parallel ---*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The gradient norm sums the squares of every gradient into one float64:
// written as one reduction over each tensor, nothing splits it among
// threads or blocks, and its additions form one chain of dependent adds
// (124M of them for GPT-3 Small: a tenth of a CPU training step, on one
// core). Summed as fixed partials and then the partials in order, it runs
// in parallel and stays deterministic: the partition depends on the shape
// only, not on the threads.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Common/Passes.h"
#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMSPLITFULLREDUCTIONSPASS
#include "tfm/Codegen/Common/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
/// `out = f(in) + out` over every element of one input into a scalar, the
/// sum's addf found: the form of a norm's or a loss's sum.
arith::AddFOp fullSum(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      !op.hasPureTensorSemantics() ||
      cast<ShapedType>(op.getResult(0).getType()).getRank() != 0 ||
      op.getNumParallelLoops() != 0 ||
      !op.getIndexingMapsArray()[0].isIdentity())
    return nullptr;
  auto input = cast<ShapedType>(op.getDpsInputs()[0].getType());
  if (!input.hasStaticShape() || input.getRank() == 0)
    return nullptr;
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  Value out = body.getArgument(1);
  if (!add || (add.getLhs() != out && add.getRhs() != out) || !out.hasOneUse())
    return nullptr;
  return add;
}

struct SplitFullReduction : OpRewritePattern<linalg::GenericOp> {
  SplitFullReduction(MLIRContext *ctx, int64_t partials, int64_t minElements)
      : OpRewritePattern(ctx), partials(partials), minElements(minElements) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    arith::AddFOp add = fullSum(op);
    if (!add)
      return failure();
    Value input = op.getDpsInputs()[0];
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t elements = inputType.getNumElements();
    int64_t count = tfm::lowering::largestDivisor(elements, partials);
    if (elements < minElements || count < 2)
      return rewriter.notifyMatchFailure(op, "too small to split");

    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Type accumulator = op.getDpsInits()[0].getType();
    Type element = cast<ShapedType>(accumulator).getElementType();
    SmallVector<ReassociationIndices> all(1);
    for (int64_t d = 0; d < inputType.getRank(); ++d)
      all[0].push_back(d);
    Value flat = tensor::CollapseShapeOp::create(rewriter, loc, input, all);
    auto rowsType = RankedTensorType::get({count, elements / count},
                                          inputType.getElementType());
    Value rows = tensor::ExpandShapeOp::create(
        rewriter, loc, rowsType, flat, ArrayRef<ReassociationIndices>{{0, 1}});

    Value zero = arith::ConstantOp::create(rewriter, loc, element,
                                           rewriter.getZeroAttr(element));
    Value empty = tensor::EmptyOp::create(rewriter, loc,
                                          ArrayRef<int64_t>{count}, element);
    Value init =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    AffineExpr p = getAffineDimExpr(0, ctx), i = getAffineDimExpr(1, ctx);
    auto partialSums = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ValueRange{rows},
        ValueRange{init},
        ArrayRef<AffineMap>{AffineMap::get(2, 0, {p, i}, ctx),
                            AffineMap::get(2, 0, {p}, ctx)},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                      utils::IteratorType::reduction});
    rewriter.cloneRegionBefore(op.getRegion(), partialSums.getRegion(),
                               partialSums.getRegion().end());

    auto total = linalg::GenericOp::create(
        rewriter, loc, TypeRange{accumulator}, partialSums.getResult(0),
        op.getDpsInits()[0],
        ArrayRef<AffineMap>{AffineMap::get(1, 0, {p}, ctx),
                            AffineMap::get(1, 0, {}, ctx)},
        ArrayRef<utils::IteratorType>{utils::IteratorType::reduction},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value sum = arith::AddFOp::create(b, loc, args[0], args[1],
                                            add.getFastmathAttr());
          linalg::YieldOp::create(b, loc, sum);
        });
    rewriter.replaceOp(op, total.getResult(0));
    return success();
  }

  int64_t partials, minElements;
};

struct TfmSplitFullReductionsPass
    : tfm::impl::TfmSplitFullReductionsPassBase<TfmSplitFullReductionsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitFullReduction>(&getContext(), partials, minElements);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
