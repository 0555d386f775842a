//===- ScanLowering.cpp - The layer loop as scf.for -------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A tfm.scan becomes an scf.for whose iteration reads slice i of each
// stacked input in place and writes its stacked outputs into slice i of
// tensors carried through the loop, which bufferization turns into writes
// into one buffer; so are the carries. It runs before the conversion of the
// other ops (a plain rewrite of tfm to tfm inside scf), which then convert the
// body's ops where they are.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/LoweringUtils.h"

#include "tfm/Dialect/TfmOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::lowering;

namespace {

/// Offsets, sizes and strides of slice `i` of a `(count, ...)` tensor.
struct SliceOfStack {
  SliceOfStack(OpBuilder &b, Value i, RankedTensorType stacked) {
    offsets.assign(stacked.getRank(), b.getIndexAttr(0));
    offsets[0] = i;
    sizes = getAsIndexOpFoldResult(b.getContext(), stacked.getShape());
    sizes[0] = b.getIndexAttr(1);
    strides.assign(stacked.getRank(), b.getIndexAttr(1));
  }
  SmallVector<OpFoldResult> offsets, sizes, strides;
};

/// Whether `value` is `carried` updated by insert_slices, so that it is
/// written in the carried buffer.
bool updatesInPlace(Value value, Value carried) {
  while (auto insert = value.getDefiningOp<tensor::InsertSliceOp>())
    value = insert.getDest();
  return value == carried;
}

RankedTensorType sliceType(RankedTensorType stacked) {
  return RankedTensorType::get(stacked.getShape().drop_front(),
                               stacked.getElementType());
}

struct ScanLowering : OpRewritePattern<ScanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScanOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    size_t numCarries = op.getInits().size();
    SmallVector<Value> iterArgs(op.getInits());
    for (Value y : op.getYs()) {
      auto type = cast<RankedTensorType>(y.getType());
      iterArgs.push_back(
          emptyTensor(rewriter, loc, type.getShape(), type.getElementType()));
    }
    Value lower = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value upper = arith::ConstantIndexOp::create(rewriter, loc, op.getCount());
    Value step = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto loop = scf::ForOp::create(rewriter, loc, lower, upper, step, iterArgs);

    Block *body = loop.getBody();
    rewriter.setInsertionPointToStart(body);
    Value i = loop.getInductionVar();
    if (op.getReverse()) // i = count - 1 - j
      i = arith::SubIOp::create(
          rewriter, loc,
          arith::ConstantIndexOp::create(rewriter, loc, op.getCount() - 1), i);
    SmallVector<Value> bodyArgs = {i};
    llvm::append_range(bodyArgs,
                       loop.getRegionIterArgs().take_front(numCarries));
    for (Value x : op.getXs()) {
      auto stacked = cast<RankedTensorType>(x.getType());
      SliceOfStack slice(rewriter, i, stacked);
      bodyArgs.push_back(tensor::ExtractSliceOp::create(
          rewriter, loc, sliceType(stacked), x, slice.offsets, slice.sizes,
          slice.strides));
    }
    // The body's own terminator ends the loop's block; its values are the
    // next carries and the slices to write.
    if (body->mightHaveTerminator())
      rewriter.eraseOp(body->getTerminator());
    rewriter.mergeBlocks(&op.getBodyBlock(), body, bodyArgs);
    auto yield = cast<YieldOp>(body->getTerminator());
    rewriter.setInsertionPoint(yield);
    SmallVector<Value> stacked;
    for (auto [slice, stackedSoFar] :
         llvm::zip(yield.getValues().drop_front(numCarries),
                   loop.getRegionIterArgs().drop_front(numCarries))) {
      SliceOfStack where(rewriter, i,
                         cast<RankedTensorType>(stackedSoFar.getType()));
      stacked.push_back(tensor::InsertSliceOp::create(
          rewriter, loc, slice, stackedSoFar, where.offsets, where.sizes,
          where.strides));
    }
    // A carry the body computes anew (the residual stream) is copied into
    // the carried buffer at the end of the iteration, after its last read
    // (the slices above may read it): each iteration then reads and writes
    // the same buffer, where a new buffer per iteration would have to
    // outlive the loop.
    SmallVector<Value> next;
    for (auto [value, carried] :
         llvm::zip(yield.getValues().take_front(numCarries),
                   loop.getRegionIterArgs().take_front(numCarries)))
      next.push_back(updatesInPlace(value, carried)
                         ? value
                         : linalg::CopyOp::create(rewriter, loc, value, carried)
                               .getResult(0));
    next.append(stacked);
    rewriter.replaceOpWithNewOp<scf::YieldOp>(yield, next);
    rewriter.replaceOp(op, loop.getResults());
    return success();
  }
};
} // namespace

void mlir::tfm::lowering::populateScanLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ScanLowering>(patterns.getContext());
}
