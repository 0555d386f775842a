//===- LoweringUtils.cpp - Shared helpers of tfm-to-linalg ------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

namespace mlir::tfm::lowering {

RankedTensorType tensorType(Value value) {
  return llvm::cast<RankedTensorType>(value.getType());
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type element) {
  return tensor::EmptyOp::create(b, loc, shape, element);
}

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

int64_t largestDivisor(int64_t n, int64_t cap) {
  for (int64_t d = std::min(n, cap); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

Value indexOf(OpBuilder &b, Location loc, Value scalar) {
  Value element = tensor::ExtractOp::create(b, loc, scalar, ValueRange{});
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), element);
}

Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Type element, double value) {
  Value init = emptyTensor(b, loc, shape, element);
  return linalg::FillOp::create(b, loc, floatConstant(b, loc, element, value),
                                init)
      .getResult(0);
}

AffineMap dimsMap(MLIRContext *ctx, unsigned numDims, ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(numDims, 0, exprs, ctx);
}

namespace {
/// (0, ..., rank - 2) and (rank - 1): the leading dimensions as rows.
SmallVector<ReassociationIndices> rowGroups(int64_t rank) {
  ReassociationIndices leading;
  for (int64_t i = 0; i < rank - 1; ++i)
    leading.push_back(i);
  return {leading, {rank - 1}};
}
} // namespace

Value collapseTo2d(OpBuilder &b, Location loc, Value value) {
  RankedTensorType type = tensorType(value);
  if (type.getRank() == 2)
    return value;
  return tensor::CollapseShapeOp::create(b, loc, value,
                                         rowGroups(type.getRank()));
}

Value expandFrom2d(OpBuilder &b, Location loc, Value value,
                   RankedTensorType type) {
  if (type.getRank() == 2)
    return value;
  return tensor::ExpandShapeOp::create(b, loc, type, value,
                                       rowGroups(type.getRank()));
}

Value generic(OpBuilder &b, Location loc, ValueRange inputs, Value init,
              ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iterators,
              BodyFn body) {
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
      });
  return op.getResult(0);
}

Value reduceRows(OpBuilder &b, Location loc, Value input, double initValue,
                 BodyFn combine) {
  RankedTensorType type = tensorType(input);
  MLIRContext *ctx = b.getContext();
  Value init = filledTensor(b, loc, {type.getDimSize(0)}, type.getElementType(),
                            initValue);
  return generic(b, loc, input, init,
                 {dimsMap(ctx, 2, {0, 1}), dimsMap(ctx, 2, {0})}, {kPar, kRed},
                 combine);
}

Value maxF(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MaximumFOp::create(b, loc, x, y);
}

Value softmaxRows(OpBuilder &b, Location loc, Value x) {
  MLIRContext *ctx = b.getContext();
  RankedTensorType type = tensorType(x);
  Type element = type.getElementType();
  Value rowMax = reduceRows(b, loc, x, -std::numeric_limits<double>::infinity(),
                            [](OpBuilder &nb, Location l, ValueRange a) {
                              return maxF(nb, l, a[0], a[1]);
                            });
  AffineMap full = dimsMap(ctx, 2, {0, 1}), row = dimsMap(ctx, 2, {0});
  Value exps =
      generic(b, loc, {x, rowMax},
              emptyTensor(b, loc, type.getShape(), element), {full, row, full},
              {kPar, kPar}, [](OpBuilder &nb, Location l, ValueRange a) {
                return math::ExpOp::create(
                           nb, l, arith::SubFOp::create(nb, l, a[0], a[1]))
                    .getResult();
              });
  Value sum = reduceRows(
      b, loc, exps, 0.0, [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::AddFOp::create(nb, l, a[0], a[1]).getResult();
      });
  return generic(b, loc, {exps, sum},
                 emptyTensor(b, loc, type.getShape(), element),
                 {full, row, full}, {kPar, kPar},
                 [](OpBuilder &nb, Location l, ValueRange a) {
                   return arith::DivFOp::create(nb, l, a[0], a[1]).getResult();
                 });
}

Value packHeads(OpBuilder &b, Location loc, Value qkv, int64_t heads) {
  RankedTensorType type = tensorType(qkv);
  int64_t headDim = type.getDimSize(2) / 3 / heads;
  return tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get(
          {type.getDimSize(0), type.getDimSize(1), 3, heads, headDim},
          type.getElementType()),
      qkv, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
}

Value copyHeadPart(OpBuilder &b, Location loc, Value packed, int64_t which,
                   Value dest, bool transposed) {
  MLIRContext *ctx = b.getContext();
  // Loops (b, h, t, d) read packed[b, t, which, h, d].
  AffineExpr bi = getAffineDimExpr(0, ctx), h = getAffineDimExpr(1, ctx);
  AffineExpr t = getAffineDimExpr(2, ctx), d = getAffineDimExpr(3, ctx);
  AffineMap in = AffineMap::get(
      4, 0, {bi, t, getAffineConstantExpr(which, ctx), h, d}, ctx);
  AffineMap out = transposed ? AffineMap::get(4, 0, {bi, h, d, t}, ctx)
                             : AffineMap::get(4, 0, {bi, h, t, d}, ctx);
  return generic(b, loc, packed, dest, {in, out}, {kPar, kPar, kPar, kPar},
                 [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

Value mergeHeads(OpBuilder &b, Location loc, Value heads4,
                 RankedTensorType type) {
  RankedTensorType in = tensorType(heads4);
  Value merged = linalg::TransposeOp::create(
                     b, loc, heads4,
                     emptyTensor(b, loc,
                                 {in.getDimSize(0), in.getDimSize(2),
                                  in.getDimSize(1), in.getDimSize(3)},
                                 in.getElementType()),
                     ArrayRef<int64_t>{0, 2, 1, 3})
                     .getResult()[0];
  return tensor::CollapseShapeOp::create(
      b, loc, type, merged,
      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
}

Value maskedScore(OpBuilder &b, Location loc, Value score, Value key,
                  Value query, Value window, Value scale, Value hidden) {
  Value causal =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, key, query);
  Value distance = arith::SubIOp::create(b, loc, query, key);
  Value inBand = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                       distance, window);
  Value visible = arith::AndIOp::create(b, loc, causal, inBand);
  Value scaled = arith::MulFOp::create(b, loc, score, scale);
  return arith::SelectOp::create(b, loc, visible, scaled, hidden);
}

std::pair<Value, Value> rowMaxAndSumExp(OpBuilder &b, Location loc, Value x) {
  MLIRContext *ctx = b.getContext();
  RankedTensorType type = tensorType(x);
  Value rowMax = reduceRows(b, loc, x, -std::numeric_limits<double>::infinity(),
                            [](OpBuilder &nb, Location l, ValueRange a) {
                              return maxF(nb, l, a[0], a[1]);
                            });
  AffineMap full = dimsMap(ctx, 2, {0, 1}), row = dimsMap(ctx, 2, {0});
  Value sumExp = generic(
      b, loc, {x, rowMax},
      filledTensor(b, loc, {type.getDimSize(0)}, type.getElementType(), 0.0),
      {full, row, row}, {kPar, kRed},
      [](OpBuilder &nb, Location l, ValueRange a) {
        Value e = math::ExpOp::create(nb, l,
                                      arith::SubFOp::create(nb, l, a[0], a[1]));
        return arith::AddFOp::create(nb, l, e, a[2]).getResult();
      });
  return {rowMax, sumExp};
}

std::pair<Value, Value> layerNormStats(OpBuilder &b, Location loc, Value x,
                                       double epsilon) {
  MLIRContext *ctx = b.getContext();
  Type element = tensorType(x).getElementType();
  int64_t rows = tensorType(x).getDimSize(0);
  int64_t width = tensorType(x).getDimSize(1);
  Value invWidth = floatConstant(b, loc, element, 1.0 / width);
  Value eps = floatConstant(b, loc, element, epsilon);
  AffineMap row = dimsMap(ctx, 1, {0});

  Value sum =
      reduceRows(b, loc, x, 0.0, [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::AddFOp::create(nb, l, a[0], a[1]).getResult();
      });
  Value mean =
      generic(b, loc, sum, emptyTensor(b, loc, {rows}, element), {row, row},
              {kPar}, [&](OpBuilder &nb, Location l, ValueRange a) {
                return arith::MulFOp::create(nb, l, a[0], invWidth).getResult();
              });
  Value sumSq = generic(
      b, loc, {x, mean}, filledTensor(b, loc, {rows}, element, 0.0),
      {dimsMap(ctx, 2, {0, 1}), dimsMap(ctx, 2, {0}), dimsMap(ctx, 2, {0})},
      {kPar, kRed}, [](OpBuilder &nb, Location l, ValueRange a) {
        Value d = arith::SubFOp::create(nb, l, a[0], a[1]);
        Value sq = arith::MulFOp::create(nb, l, d, d);
        return arith::AddFOp::create(nb, l, sq, a[2]).getResult();
      });
  Value rstd =
      generic(b, loc, sumSq, emptyTensor(b, loc, {rows}, element), {row, row},
              {kPar}, [&](OpBuilder &nb, Location l, ValueRange a) {
                Value var = arith::MulFOp::create(nb, l, a[0], invWidth);
                Value shifted = arith::AddFOp::create(nb, l, var, eps);
                return math::RsqrtOp::create(nb, l, shifted).getResult();
              });
  return {mean, rstd};
}

} // namespace mlir::tfm::lowering
