//===- TrainLowering.cpp - Backward and optimizer ops to linalg -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The backward ops lower like the forward ones: matmuls as plain
// linalg.matmul on row-major operands (a transposed operand is copied once
// so the matmul tiles as the forward ones do), row-wise work as generics on
// the (N, C) view. AdamW updates the parameter and its moments in one
// elementwise generic whose outputs are the old tensors, so bufferization
// writes them in place.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/LoweringUtils.h"

#include "tfm/Dialect/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <limits>

#define DEBUG_TYPE "convert-tfm-to-linalg"

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::lowering;

namespace {

Value add(OpBuilder &b, Location l, Value x, Value y) {
  return arith::AddFOp::create(b, l, x, y);
}
Value sub(OpBuilder &b, Location l, Value x, Value y) {
  return arith::SubFOp::create(b, l, x, y);
}
Value mul(OpBuilder &b, Location l, Value x, Value y) {
  return arith::MulFOp::create(b, l, x, y);
}

/// The (R, C) `x` as (C, R).
Value transpose2d(OpBuilder &b, Location loc, Value x) {
  RankedTensorType type = tensorType(x);
  return linalg::TransposeOp::create(
             b, loc, x,
             emptyTensor(b, loc, {type.getDimSize(1), type.getDimSize(0)},
                         type.getElementType()),
             ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

/// lhs @ rhs for row-major (M, K) and (K, N), summed in `element`.
Value matmul(OpBuilder &b, Location loc, Value lhs, Value rhs, Type element) {
  RankedTensorType l = tensorType(lhs), r = tensorType(rhs);
  Value zeros =
      filledTensor(b, loc, {l.getDimSize(0), r.getDimSize(1)}, element, 0.0);
  return linalg::MatmulOp::create(b, loc, TypeRange{zeros.getType()},
                                  ValueRange{lhs, rhs}, ValueRange{zeros})
      .getResult(0);
}

/// The sum over rows of the (N, C) `x`: (C).
Value sumColumns(OpBuilder &b, Location loc, Value x) {
  MLIRContext *ctx = b.getContext();
  RankedTensorType type = tensorType(x);
  return generic(
      b, loc, x,
      filledTensor(b, loc, {type.getDimSize(1)}, type.getElementType(), 0.0),
      {dimsMap(ctx, 2, {0, 1}), dimsMap(ctx, 2, {1})}, {kRed, kPar},
      [](OpBuilder &nb, Location l, ValueRange a) {
        return add(nb, l, a[0], a[1]);
      });
}

/// The sum over rows of (N, C) `x` times (N, C) `y`, elementwise: (C).
Value sumColumnsOfProduct(OpBuilder &b, Location loc, Value x, Value y) {
  MLIRContext *ctx = b.getContext();
  RankedTensorType type = tensorType(x);
  AffineMap full = dimsMap(ctx, 2, {0, 1});
  return generic(
      b, loc, {x, y},
      filledTensor(b, loc, {type.getDimSize(1)}, type.getElementType(), 0.0),
      {full, full, dimsMap(ctx, 2, {1})}, {kRed, kPar},
      [](OpBuilder &nb, Location l, ValueRange a) {
        return add(nb, l, mul(nb, l, a[0], a[1]), a[2]);
      });
}

/// A stand-in for a result nothing reads, so it is never computed.
Value unused(OpBuilder &b, Location loc, Value result) {
  RankedTensorType type = tensorType(result);
  return emptyTensor(b, loc, type.getShape(), type.getElementType());
}

/// d_wte: each row of d_out added into the row of its token (a loop over
/// the B*T rows, since the destination row is data dependent); d_wpe: the
/// sum over the batch, in the first T rows of zeros.
struct EmbeddingGradLowering : OpConversionPattern<EmbeddingGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    RankedTensorType wteType = op.getDWte().getType();
    RankedTensorType wpeType = op.getDWpe().getType();
    Type element = wteType.getElementType();
    int64_t width = wteType.getDimSize(1);
    Value rows = collapseTo2d(rewriter, loc, adaptor.getDOut());
    Value tokens = tensor::CollapseShapeOp::create(
        rewriter, loc, adaptor.getTokens(),
        SmallVector<ReassociationIndices>{{0, 1}});
    int64_t count = tensorType(rows).getDimSize(0);
    auto index = [&](OpBuilder &b, int64_t v) -> OpFoldResult {
      return b.getIndexAttr(v);
    };
    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    auto scatter = scf::ForOp::create(
        rewriter, loc, arith::ConstantIndexOp::create(rewriter, loc, 0),
        arith::ConstantIndexOp::create(rewriter, loc, count),
        arith::ConstantIndexOp::create(rewriter, loc, 1),
        ValueRange{
            filledTensor(rewriter, loc, wteType.getShape(), element, 0.0)},
        [&](OpBuilder &b, Location l, Value n, ValueRange carried) {
          Value token = tensor::ExtractOp::create(b, l, tokens, ValueRange{n});
          Value v = arith::IndexCastOp::create(b, l, b.getIndexType(), token);
          SmallVector<OpFoldResult> sizes = {index(b, 1), index(b, width)};
          SmallVector<OpFoldResult> strides = {index(b, 1), index(b, 1)};
          SmallVector<OpFoldResult> at = {v, index(b, 0)};
          Value grad = tensor::ExtractSliceOp::create(
              b, l, rows, SmallVector<OpFoldResult>{n, index(b, 0)}, sizes,
              strides);
          Value dest = tensor::ExtractSliceOp::create(b, l, carried[0], at,
                                                      sizes, strides);
          Value sum = generic(b, l, grad, dest, {id2, id2}, {kPar, kPar},
                              [](OpBuilder &nb, Location nl, ValueRange a) {
                                return add(nb, nl, a[0], a[1]);
                              });
          scf::YieldOp::create(b, l,
                               tensor::InsertSliceOp::create(
                                   b, l, sum, carried[0], at, sizes, strides)
                                   .getResult());
        });

    int64_t seq = tensorType(adaptor.getTokens()).getDimSize(1);
    Value positions =
        generic(rewriter, loc, adaptor.getDOut(),
                filledTensor(rewriter, loc, {seq, width}, element, 0.0),
                {dimsMap(ctx, 3, {0, 1, 2}), dimsMap(ctx, 3, {1, 2})},
                {kRed, kPar, kPar}, [](OpBuilder &b, Location l, ValueRange a) {
                  return add(b, l, a[0], a[1]);
                });
    Value wpe = filledTensor(rewriter, loc, wpeType.getShape(), element, 0.0);
    wpe = tensor::InsertSliceOp::create(
        rewriter, loc, positions, wpe,
        SmallVector<OpFoldResult>{index(rewriter, 0), index(rewriter, 0)},
        SmallVector<OpFoldResult>{index(rewriter, seq), index(rewriter, width)},
        SmallVector<OpFoldResult>{index(rewriter, 1), index(rewriter, 1)});
    rewriter.replaceOp(op, {scatter.getResult(0), wpe});
    return success();
  }
};

/// With xhat = (x - mean) rstd and g = d_out gamma, per row:
/// d_input = rstd (g - mean(g) - xhat mean(g xhat)).
struct LayerNormGradLowering : OpConversionPattern<LayerNormGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    RankedTensorType type = op.getDInput().getType();
    Type element = type.getElementType();
    Value x = collapseTo2d(rewriter, loc, adaptor.getInput());
    Value dy = collapseTo2d(rewriter, loc, adaptor.getDOut());
    int64_t rows = tensorType(x).getDimSize(0);
    int64_t width = tensorType(x).getDimSize(1);
    auto [mean, rstd] =
        layerNormStats(rewriter, loc, x, op.getEpsilon().convertToDouble());
    AffineMap full = dimsMap(ctx, 2, {0, 1}), row = dimsMap(ctx, 2, {0});
    AffineMap col = dimsMap(ctx, 2, {1});
    Value xhat = generic(rewriter, loc, {x, mean, rstd},
                         emptyTensor(rewriter, loc, {rows, width}, element),
                         {full, row, row, full}, {kPar, kPar},
                         [](OpBuilder &b, Location l, ValueRange a) {
                           return mul(b, l, sub(b, l, a[0], a[1]), a[2]);
                         });
    // Per row: sum(g) and sum(g xhat), g = dy gamma.
    auto rowSum = [&](bool timesXhat) {
      return generic(rewriter, loc, {dy, adaptor.getGamma(), xhat},
                     filledTensor(rewriter, loc, {rows}, element, 0.0),
                     {full, col, full, row}, {kPar, kRed},
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       Value g = mul(b, l, a[0], a[1]);
                       return add(b, l, timesXhat ? mul(b, l, g, a[2]) : g,
                                  a[3]);
                     });
    };
    Value sumG = rowSum(false), sumGX = rowSum(true);
    Value invWidth = floatConstant(rewriter, loc, element, 1.0 / width);
    Value dx = generic(rewriter, loc,
                       {dy, adaptor.getGamma(), xhat, sumG, sumGX, rstd},
                       emptyTensor(rewriter, loc, {rows, width}, element),
                       {full, col, full, row, row, row, full}, {kPar, kPar},
                       [&](OpBuilder &b, Location l, ValueRange a) {
                         Value g = mul(b, l, a[0], a[1]);
                         Value meanG = mul(b, l, a[3], invWidth);
                         Value meanGX = mul(b, l, a[4], invWidth);
                         Value centred = sub(b, l, sub(b, l, g, meanG),
                                             mul(b, l, a[2], meanGX));
                         return mul(b, l, a[5], centred);
                       });
    rewriter.replaceOp(op, {expandFrom2d(rewriter, loc, dx, type),
                            sumColumnsOfProduct(rewriter, loc, dy, xhat),
                            sumColumns(rewriter, loc, dy)});
    return success();
  }
};

/// d_input = d_out @ W^T, d_weight = x^T @ d_out, d_bias = column sums of
/// d_out; results nothing reads are skipped.
struct LinearGradLowering : OpConversionPattern<LinearGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type element = op.getDOut().getType().getElementType();
    Type operand = matmulOperandType(op);
    auto narrow = [&](Value v) {
      return matmulOperand(rewriter, loc, v, operand);
    };
    Value x = collapseTo2d(rewriter, loc, adaptor.getInput());
    Value dy = collapseTo2d(rewriter, loc, adaptor.getDOut());
    Value dyOperand = narrow(dy);
    Value dx =
        op.getDInput().use_empty()
            ? unused(rewriter, loc, op.getDInput())
            : expandFrom2d(rewriter, loc,
                           matmul(rewriter, loc, dyOperand,
                                  transpose2d(rewriter, loc,
                                              narrow(adaptor.getWeight())),
                                  element),
                           op.getDInput().getType());
    Value dw =
        op.getDWeight().use_empty()
            ? unused(rewriter, loc, op.getDWeight())
            : matmul(rewriter, loc, transpose2d(rewriter, loc, narrow(x)),
                     dyOperand, element);
    Value db = op.getDBias().use_empty() ? unused(rewriter, loc, op.getDBias())
                                         : sumColumns(rewriter, loc, dy);
    rewriter.replaceOp(op, {dx, dw, db});
    return success();
  }
};

/// d_out * gelu'(x), with u = k0 (x + k1 x^3) and t = tanh u:
/// gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) k0 (1 + 3 k1 x^2).
struct GeluGradLowering : OpConversionPattern<GeluGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GeluGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    unsigned rank = type.getRank();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, getContext());
    auto c = [&](double v) { return floatConstant(rewriter, loc, element, v); };
    Value half = c(0.5), one = c(1.0), k0 = c(std::sqrt(2.0 / M_PI));
    Value k1 = c(0.044715), k3 = c(3.0 * 0.044715);
    Value result = generic(
        rewriter, loc, {adaptor.getInput(), adaptor.getDOut()},
        emptyTensor(rewriter, loc, type.getShape(), element), {id, id, id},
        SmallVector<IteratorType>(rank, kPar),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value x = a[0], x2 = mul(b, l, x, x);
          Value inner =
              mul(b, l, k0, add(b, l, x, mul(b, l, k1, mul(b, l, x2, x))));
          Value t = math::TanhOp::create(b, l, inner);
          Value sech2 = sub(b, l, one, mul(b, l, t, t));
          Value slope = mul(b, l, k0, add(b, l, one, mul(b, l, k3, x2)));
          Value left = mul(b, l, half, add(b, l, one, t));
          Value right = mul(b, l, mul(b, l, half, x), mul(b, l, sech2, slope));
          return mul(b, l, a[1], add(b, l, left, right));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// d_input = y (d_out - sum_j d_out_j y_j) per row.
struct SoftmaxGradLowering : OpConversionPattern<SoftmaxGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    RankedTensorType type = op.getType();
    if (type.getRank() == 1)
      return rewriter.notifyMatchFailure(op, "rank-1 softmax is not lowered");
    Value y = collapseTo2d(rewriter, loc, adaptor.getOutput());
    Value dy = collapseTo2d(rewriter, loc, adaptor.getDOut());
    RankedTensorType rows = tensorType(y);
    AffineMap full = dimsMap(ctx, 2, {0, 1}), row = dimsMap(ctx, 2, {0});
    Value dot = generic(rewriter, loc, {y, dy},
                        filledTensor(rewriter, loc, {rows.getDimSize(0)},
                                     type.getElementType(), 0.0),
                        {full, full, row}, {kPar, kRed},
                        [](OpBuilder &b, Location l, ValueRange a) {
                          return add(b, l, mul(b, l, a[0], a[1]), a[2]);
                        });
    Value dx = generic(
        rewriter, loc, {y, dy, dot},
        emptyTensor(rewriter, loc, rows.getShape(), type.getElementType()),
        {full, full, row, full}, {kPar, kPar},
        [](OpBuilder &b, Location l, ValueRange a) {
          return mul(b, l, a[0], sub(b, l, a[1], a[2]));
        });
    rewriter.replaceOp(op, expandFrom2d(rewriter, loc, dx, type));
    return success();
  }
};

/// d_input = d_logits @ wte, d_wte = d_logits^T @ x.
struct LmHeadGradLowering : OpConversionPattern<LmHeadGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LmHeadGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type element = op.getDLogits().getType().getElementType();
    Type operand = matmulOperandType(op);
    auto narrow = [&](Value v) {
      return matmulOperand(rewriter, loc, v, operand);
    };
    Value x = collapseTo2d(rewriter, loc, adaptor.getInput());
    Value dl = narrow(collapseTo2d(rewriter, loc, adaptor.getDLogits()));
    Value dx = op.getDInput().use_empty()
                   ? unused(rewriter, loc, op.getDInput())
                   : expandFrom2d(rewriter, loc,
                                  matmul(rewriter, loc, dl,
                                         narrow(adaptor.getWte()), element),
                                  op.getDInput().getType());
    Value dwte = op.getDWte().use_empty()
                     ? unused(rewriter, loc, op.getDWte())
                     : matmul(rewriter, loc, transpose2d(rewriter, loc, dl),
                              narrow(x), element);
    rewriter.replaceOp(op, {dx, dwte});
    return success();
  }
};

/// d_logits = d_loss (softmax(logits) - onehot(targets)) / N, the softmax
/// recomputed from the row max and the sum of exponentials.
struct CrossEntropyGradLowering : OpConversionPattern<CrossEntropyGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CrossEntropyGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    Value logits = collapseTo2d(rewriter, loc, adaptor.getLogits());
    Value targets = tensor::CollapseShapeOp::create(
        rewriter, loc, adaptor.getTargets(),
        SmallVector<ReassociationIndices>{{0, 1}});
    RankedTensorType rows = tensorType(logits);
    AffineMap full = dimsMap(ctx, 2, {0, 1}), row = dimsMap(ctx, 2, {0});
    AffineMap scalar = AffineMap::get(2, 0, {}, ctx);
    auto [rowMax, sumExp] = rowMaxAndSumExp(rewriter, loc, logits);
    Value invRows =
        floatConstant(rewriter, loc, element, 1.0 / rows.getDimSize(0));
    Value zero = floatConstant(rewriter, loc, element, 0.0);
    Value one = floatConstant(rewriter, loc, element, 1.0);
    Value grad = generic(
        rewriter, loc, {logits, rowMax, sumExp, targets, adaptor.getDLoss()},
        emptyTensor(rewriter, loc, rows.getShape(), element),
        {full, row, row, row, scalar, full}, {kPar, kPar},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value e = math::ExpOp::create(b, l, sub(b, l, a[0], a[1]));
          Value p = arith::DivFOp::create(b, l, e, a[2]);
          Value v = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, 1));
          Value t = arith::ExtSIOp::create(b, l, b.getI64Type(), a[3]);
          Value hit =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, v, t);
          Value onehot = arith::SelectOp::create(b, l, hit, one, zero);
          return mul(b, l, sub(b, l, p, onehot), mul(b, l, a[4], invRows));
        });
    rewriter.replaceOp(op, expandFrom2d(rewriter, loc, grad, type));
    return success();
  }
};

/// sqrt(sum of squares): each tensor, flattened, adds its squares into one
/// rank-0 accumulator, in f64 so that millions of terms keep f32 accuracy.
struct GlobalNormLowering : OpConversionPattern<GlobalNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GlobalNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Type element = op.getType().getElementType();
    Type wide = rewriter.getF64Type();
    Value total = filledTensor(rewriter, loc, {}, wide, 0.0);
    for (Value input : adaptor.getInputs()) {
      unsigned rank = tensorType(input).getRank();
      total = generic(rewriter, loc, input, total,
                      {AffineMap::getMultiDimIdentityMap(rank, ctx),
                       AffineMap::get(rank, 0, {}, ctx)},
                      SmallVector<IteratorType>(rank, kRed),
                      [&](OpBuilder &b, Location l, ValueRange a) {
                        Value x = arith::ExtFOp::create(b, l, wide, a[0]);
                        return add(b, l, mul(b, l, x, x), a[1]);
                      });
    }
    AffineMap none = AffineMap::get(0, 0, {}, ctx);
    Value norm = generic(
        rewriter, loc, total, emptyTensor(rewriter, loc, {}, element),
        {none, none}, {}, [&](OpBuilder &b, Location l, ValueRange a) {
          Value root = math::SqrtOp::create(b, l, a[0]);
          return arith::TruncFOp::create(b, l, element, root).getResult();
        });
    rewriter.replaceOp(op, norm);
    return success();
  }
};

/// The step's scalars (the clipping factor, the bias corrections, whether
/// the step is skipped) are computed once, as scalar arithmetic on the
/// extracted rank-0 inputs, and captured by one elementwise generic that
/// updates p, m and v together. Scalar generics would be fused into the
/// update and recomputed per element.
struct AdamWLowering : OpConversionPattern<AdamWOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AdamWOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    RankedTensorType type = tensorType(adaptor.getParam());
    Type element = type.getElementType();
    unsigned rank = type.getRank();
    double beta1 = op.getBeta1().convertToDouble();
    double beta2 = op.getBeta2().convertToDouble();
    double maxNorm = op.getMaxNorm().convertToDouble();
    OpBuilder &b = rewriter;
    auto c = [&](double v) { return floatConstant(b, loc, element, v); };
    auto scalarOf = [&](Value tensor) {
      return tensor::ExtractOp::create(b, loc, tensor, ValueRange{})
          .getResult();
    };
    // The gradient's scale, min(1, max_norm / (norm + 1e-6)); a norm that
    // is not finite skips the step: p, m and v are kept.
    Value norm = scalarOf(adaptor.getGradNorm());
    Value scale = c(1.0);
    if (maxNorm > 0)
      scale = arith::MinimumFOp::create(
          b, loc, scale,
          arith::DivFOp::create(b, loc, c(maxNorm),
                                add(b, loc, norm, c(1e-6))));
    Value skip = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::UGE, math::AbsFOp::create(b, loc, norm),
        c(std::numeric_limits<double>::infinity()));
    // 1 / (1 - beta^t) for both moments.
    Value t =
        arith::SIToFPOp::create(b, loc, element, scalarOf(adaptor.getStep()));
    auto correction = [&](double beta) {
      Value power = math::PowFOp::create(b, loc, c(beta), t);
      return arith::DivFOp::create(b, loc, c(1.0), sub(b, loc, c(1.0), power))
          .getResult();
    };
    Value corr1 = correction(beta1), corr2 = correction(beta2);
    Value lr = scalarOf(adaptor.getLr());

    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    double eps = op.getEpsilon().convertToDouble();
    double decay = op.getWeightDecay().convertToDouble();
    auto update = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type, type, type},
        ValueRange{adaptor.getGrad()},
        ValueRange{adaptor.getParam(), adaptor.getM(), adaptor.getV()},
        SmallVector<AffineMap>{id, id, id, id},
        SmallVector<IteratorType>(rank, kPar),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value p = a[1], m = a[2], v = a[3];
          Value g = mul(nb, l, a[0], scale);
          Value m2 = add(nb, l, mul(nb, l, c(beta1), m),
                         mul(nb, l, c(1.0 - beta1), g));
          Value v2 = add(nb, l, mul(nb, l, c(beta2), v),
                         mul(nb, l, c(1.0 - beta2), mul(nb, l, g, g)));
          Value mHat = mul(nb, l, m2, corr1);
          Value vHat = mul(nb, l, v2, corr2);
          Value denom = add(nb, l, math::SqrtOp::create(nb, l, vHat), c(eps));
          Value step = add(nb, l, arith::DivFOp::create(nb, l, mHat, denom),
                           mul(nb, l, c(decay), p));
          Value p2 = sub(nb, l, p, mul(nb, l, lr, step));
          auto keep = [&](Value updated, Value old) {
            return arith::SelectOp::create(nb, l, skip, old, updated)
                .getResult();
          };
          linalg::YieldOp::create(
              nb, l, ValueRange{keep(p2, p), keep(m2, m), keep(v2, v)});
        });
    rewriter.replaceOp(op, update.getResults());
    return success();
  }
};
} // namespace

void mlir::tfm::lowering::populateTrainLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AdamWLowering, CrossEntropyGradLowering, EmbeddingGradLowering,
               GeluGradLowering, GlobalNormLowering, LayerNormGradLowering,
               LinearGradLowering, LmHeadGradLowering, SoftmaxGradLowering>(
      patterns.getContext());
}
