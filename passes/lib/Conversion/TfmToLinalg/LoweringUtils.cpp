//===- LoweringUtils.cpp - Shared helpers of tfm-to-linalg ------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
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

Value packHeads(OpBuilder &b, Location loc, Value qkv, int64_t heads,
                int64_t parts) {
  RankedTensorType type = tensorType(qkv);
  int64_t headDim = type.getDimSize(2) / parts / heads;
  return tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get(
          {type.getDimSize(0), type.getDimSize(1), parts, heads, headDim},
          type.getElementType()),
      qkv, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
}

Value headRows(OpBuilder &b, Location loc, Value packed, Value bi, Value t0,
               int64_t which, Value h, int64_t count) {
  RankedTensorType type = tensorType(packed);
  int64_t headDim = type.getDimSize(4);
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({count, headDim}, type.getElementType()),
      packed,
      SmallVector<OpFoldResult>{bi, t0, b.getIndexAttr(which), h,
                                b.getIndexAttr(0)},
      getAsIndexOpFoldResult(b.getContext(), {1, count, 1, 1, headDim}),
      getAsIndexOpFoldResult(b.getContext(), {1, 1, 1, 1, 1}));
}

Value headColumns(OpBuilder &b, Location loc, Value x, Value bi, Value h,
                  Value t0, int64_t count) {
  RankedTensorType type = tensorType(x);
  int64_t headDim = type.getDimSize(2);
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({headDim, count}, type.getElementType()),
      x, SmallVector<OpFoldResult>{bi, h, b.getIndexAttr(0), t0},
      getAsIndexOpFoldResult(b.getContext(), {1, 1, headDim, count}),
      getAsIndexOpFoldResult(b.getContext(), {1, 1, 1, 1}));
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

Value storeInCache(OpBuilder &b, Location loc, Value packed, int64_t which,
                   Value cache, Value start) {
  RankedTensorType packedType = tensorType(packed);
  int64_t batch = packedType.getDimSize(0), fresh = packedType.getDimSize(1);
  int64_t heads = packedType.getDimSize(3), headDim = packedType.getDimSize(4);
  int64_t capacity = tensorType(cache).getDimSize(2);
  Value capacityIdx = arith::ConstantIndexOp::create(b, loc, capacity);
  auto index = [&](OpBuilder &nb, int64_t v) { return nb.getIndexAttr(v); };
  auto rows = scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 0),
      arith::ConstantIndexOp::create(b, loc, fresh),
      arith::ConstantIndexOp::create(b, loc, 1), ValueRange{cache},
      [&](OpBuilder &nb, Location l, Value row, ValueRange carried) {
        Value slot = arith::RemUIOp::create(
            nb, l, arith::AddIOp::create(nb, l, start, row), capacityIdx);
        Value source = tensor::ExtractSliceOp::create(
            nb, l, packed,
            SmallVector<OpFoldResult>{index(nb, 0), row, index(nb, which),
                                      index(nb, 0), index(nb, 0)},
            SmallVector<OpFoldResult>{index(nb, batch), index(nb, 1),
                                      index(nb, 1), index(nb, heads),
                                      index(nb, headDim)},
            SmallVector<OpFoldResult>(5, index(nb, 1)));
        SmallVector<OpFoldResult> offsets = {index(nb, 0), index(nb, 0), slot,
                                             index(nb, 0)};
        SmallVector<OpFoldResult> sizes = {index(nb, batch), index(nb, heads),
                                           index(nb, 1), index(nb, headDim)};
        SmallVector<OpFoldResult> strides(4, index(nb, 1));
        Value dest = tensor::ExtractSliceOp::create(nb, l, carried[0], offsets,
                                                    sizes, strides);
        Value updated = tensor::InsertSliceOp::create(
            nb, l, copyHeadPart(nb, l, source, 0, dest), carried[0], offsets,
            sizes, strides);
        scf::YieldOp::create(nb, l, updated);
      });
  return rows.getResult(0);
}

std::pair<Value, Value> cacheBlockRange(OpBuilder &b, Location loc, Value start,
                                        int64_t fresh, int64_t block,
                                        int64_t window) {
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value last = arith::AddIOp::create(b, loc, start, index(fresh - 1));
  Value hi = arith::AddIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, last, index(block)), index(1));
  if (!window)
    return {index(0), hi};
  Value first = arith::SubIOp::create(
      b, loc,
      arith::MaxUIOp::create(b, loc,
                             arith::AddIOp::create(b, loc, start, index(1)),
                             index(window)),
      index(window));
  return {arith::DivUIOp::create(b, loc, first, index(block)), hi};
}

Value normalizeLayer(OpBuilder &b, Location loc, Value x, Value mean,
                     Value rstd, Value gamma, Value beta, Value dest) {
  MLIRContext *ctx = b.getContext();
  return generic(b, loc, {x, mean, rstd, gamma, beta}, dest,
                 {dimsMap(ctx, 2, {0, 1}), dimsMap(ctx, 2, {0}),
                  dimsMap(ctx, 2, {0}), dimsMap(ctx, 2, {1}),
                  dimsMap(ctx, 2, {1}), dimsMap(ctx, 2, {0, 1})},
                 {kPar, kPar}, [](OpBuilder &nb, Location l, ValueRange a) {
                   Value centred = arith::SubFOp::create(nb, l, a[0], a[1]);
                   Value scaled = arith::MulFOp::create(nb, l, centred, a[2]);
                   Value gamma = arith::MulFOp::create(nb, l, scaled, a[3]);
                   return arith::AddFOp::create(nb, l, gamma, a[4]).getResult();
                 });
}

namespace {
/// exp(x - max(m1, m2)): a score against the larger of two row maxima.
Value expMinusMax(OpBuilder &b, Location loc, Value x, Value m1, Value m2) {
  Value top = maxF(b, loc, m1, m2);
  return math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, x, top))
      .getResult();
}

/// The running state of an online softmax over blocks of keys: the row
/// maximum and the sum of exponentials (..., Q), and the unnormalized
/// output (..., Q, D).
struct OnlineSoftmax {
  Value max, sum, acc;
};

/// Scores one block of keys, given as (score, query row, key column) with
/// the last two the block's linalg.index values: the scaled score when the
/// key is visible, else kHiddenScore.
using MaskFn = function_ref<Value(OpBuilder &, Location, Value score, Value row,
                                  Value column)>;

/// Folds one block of keys into `state`: q (..., Q, D), keys (..., K, D) or
/// (..., D, K) when `keysTransposed`, values (..., K, D), with the leading
/// dimensions shared.
///   s = mask(q . k); m' = max(m, rowmax s); c = exp(m - m')
///   p = exp(s - m'); l' = l c + rowsum p; acc' = acc c + p . v
OnlineSoftmax attendBlock(OpBuilder &b, Location loc, Value q, Value keys,
                          bool keysTransposed, Value values,
                          const OnlineSoftmax &state, MaskFn mask) {
  MLIRContext *ctx = b.getContext();
  RankedTensorType qType = tensorType(q);
  Type element = qType.getElementType();
  unsigned lead = qType.getRank() - 2;
  RankedTensorType keyType = tensorType(keys);
  int64_t block = keyType.getDimSize(keysTransposed ? lead + 1 : lead);
  SmallVector<int64_t> rowShape(qType.getShape().drop_back());
  SmallVector<int64_t> scoreShape(rowShape);
  scoreShape.push_back(block);

  // Contractions iterate (lead..., i, j, r), r reduced.
  SmallVector<unsigned> leadDims = llvm::to_vector(llvm::seq(lead));
  auto with = [&](std::initializer_list<unsigned> last) {
    SmallVector<unsigned> dims(leadDims);
    dims.append(last);
    return dimsMap(ctx, lead + 3, dims);
  };
  unsigned i = lead, j = lead + 1, r = lead + 2;
  AffineMap keyMap = keysTransposed ? with({r, j}) : with({j, r});
  auto contract = [&](Value lhs, Value rhs, Value init, AffineMap rhsMap) {
    return linalg::ContractOp::create(
               b, loc, ValueRange{lhs, rhs}, ValueRange{init},
               b.getAffineMapArrayAttr({with({i, r}), rhsMap, with({i, j})}))
        .getResult(0);
  };
  AffineMap full = AffineMap::getMultiDimIdentityMap(lead + 2, ctx);
  AffineMap rows = AffineMap::getMultiDimIdentityMap(lead + 1, ctx);
  AffineMap rowOf = full.dropResult(lead + 1);
  SmallVector<IteratorType> parFull(lead + 2, kPar), parRows(lead + 1, kPar);
  SmallVector<IteratorType> reduceLast(parFull);
  reduceLast.back() = kRed;

  Value scores =
      contract(q, keys, filledTensor(b, loc, scoreShape, element, 0.0), keyMap);
  Value masked = generic(
      b, loc, scores, emptyTensor(b, loc, scoreShape, element), {full, full},
      parFull, [&](OpBuilder &nb, Location nl, ValueRange a) {
        return mask(nb, nl, a[0], linalg::IndexOp::create(nb, nl, i),
                    linalg::IndexOp::create(nb, nl, j));
      });
  // Every read of the running values comes before the op that overwrites
  // them, so each update happens in its loop-carried buffer.
  Value blockMax = generic(
      b, loc, masked, filledTensor(b, loc, rowShape, element, kHiddenScore),
      {full, rowOf}, reduceLast, [](OpBuilder &nb, Location nl, ValueRange a) {
        return maxF(nb, nl, a[0], a[1]);
      });
  Value correction =
      generic(b, loc, {state.max, blockMax},
              emptyTensor(b, loc, rowShape, element), {rows, rows, rows},
              parRows, [&](OpBuilder &nb, Location nl, ValueRange a) {
                return expMinusMax(nb, nl, a[0], a[0], a[1]);
              });
  Value probs = generic(b, loc, {masked, state.max, blockMax},
                        emptyTensor(b, loc, scoreShape, element),
                        {full, rowOf, rowOf, full}, parFull,
                        [&](OpBuilder &nb, Location nl, ValueRange a) {
                          return expMinusMax(nb, nl, a[0], a[1], a[2]);
                        });
  Value scaledSum =
      generic(b, loc, correction, state.sum, {rows, rows}, parRows,
              [](OpBuilder &nb, Location nl, ValueRange a) {
                return arith::MulFOp::create(nb, nl, a[0], a[1]).getResult();
              });
  Value newSum =
      generic(b, loc, probs, scaledSum, {full, rowOf}, reduceLast,
              [](OpBuilder &nb, Location nl, ValueRange a) {
                return arith::AddFOp::create(nb, nl, a[0], a[1]).getResult();
              });
  Value scaledAcc =
      generic(b, loc, correction, state.acc, {rowOf, full}, parFull,
              [](OpBuilder &nb, Location nl, ValueRange a) {
                return arith::MulFOp::create(nb, nl, a[0], a[1]).getResult();
              });
  Value newAcc = contract(probs, values, scaledAcc, with({r, j}));
  // Last, once nothing reads the old maximum any more.
  Value newMax = generic(b, loc, blockMax, state.max, {rows, rows}, parRows,
                         [](OpBuilder &nb, Location nl, ValueRange a) {
                           return maxF(nb, nl, a[0], a[1]);
                         });
  return {newMax, newSum, newAcc};
}

/// acc / sum, row by row, written into `dest` (the shape of acc).
Value normalizeRows(OpBuilder &b, Location loc, const OnlineSoftmax &state,
                    Value dest) {
  unsigned rank = tensorType(state.acc).getRank();
  AffineMap full = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  return generic(b, loc, {state.acc, state.sum}, dest,
                 {full, full.dropResult(rank - 1), full},
                 SmallVector<IteratorType>(rank, kPar),
                 [](OpBuilder &nb, Location nl, ValueRange a) {
                   return arith::DivFOp::create(nb, nl, a[0], a[1]).getResult();
                 });
}

} // namespace

Value windowIndex(OpBuilder &b, Location loc, int64_t window) {
  return arith::ConstantIndexOp::create(
      b, loc, window ? window : std::numeric_limits<int32_t>::max());
}

std::pair<Value, Value> foldIntoLogSumExp(OpBuilder &b, Location loc, Value s,
                                          Value m, Value l) {
  unsigned rank = tensorType(m).getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap full = AffineMap::getMultiDimIdentityMap(rank + 1, ctx);
  AffineMap rowOf = full.dropResult(rank);
  AffineMap rows = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<IteratorType> reduceLast(rank + 1, kPar), parRows(rank, kPar);
  reduceLast.back() = kRed;
  Value blockMax = generic(
      b, loc, s,
      filledTensor(b, loc, tensorType(m).getShape(),
                   tensorType(m).getElementType(), kHiddenScore),
      {full, rowOf}, reduceLast, [](OpBuilder &nb, Location nl, ValueRange a) {
        return maxF(nb, nl, a[0], a[1]);
      });
  // Each update writes its running value's buffer after the last read of
  // the old one.
  Value scaledSum = generic(
      b, loc, {m, blockMax}, l, {rows, rows, rows}, parRows,
      [](OpBuilder &nb, Location nl, ValueRange a) {
        return arith::MulFOp::create(nb, nl, a[2],
                                     expMinusMax(nb, nl, a[0], a[0], a[1]))
            .getResult();
      });
  Value sum = generic(b, loc, {s, m, blockMax}, scaledSum,
                      {full, rowOf, rowOf, rowOf}, reduceLast,
                      [](OpBuilder &nb, Location nl, ValueRange a) {
                        Value e = expMinusMax(nb, nl, a[0], a[1], a[2]);
                        return arith::AddFOp::create(nb, nl, e, a[3])
                            .getResult();
                      });
  Value max = generic(b, loc, blockMax, m, {rows, rows}, parRows,
                      [](OpBuilder &nb, Location nl, ValueRange a) {
                        return maxF(nb, nl, a[0], a[1]);
                      });
  return {max, sum};
}

Value logSumExpOf(OpBuilder &b, Location loc, Value m, Value l, Value dest) {
  unsigned rank = tensorType(m).getRank();
  AffineMap rows = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  return generic(b, loc, {m, l}, dest, {rows, rows, rows},
                 SmallVector<IteratorType>(rank, kPar),
                 [](OpBuilder &nb, Location nl, ValueRange a) {
                   Value log = math::LogOp::create(nb, nl, a[1]);
                   return arith::AddFOp::create(nb, nl, a[0], log).getResult();
                 });
}

Value attendKeyBlocks(OpBuilder &b, Location loc, Value q, Value q0, Value lo,
                      Value hi, bool keysTransposed, int64_t window, Value dest,
                      KeyBlockFn blockAt) {
  RankedTensorType qType = tensorType(q);
  Type element = qType.getElementType();
  int64_t headDim = qType.getShape().back();
  SmallVector<int64_t> rowShape(qType.getShape().drop_back());
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value scale = floatConstant(b, loc, element,
                              1.0 / std::sqrt(static_cast<double>(headDim)));
  Value hidden = floatConstant(b, loc, element, kHiddenScore);
  Value windowIdx = windowIndex(b, loc, window);
  OnlineSoftmax initial = {
      filledTensor(b, loc, rowShape, element, kHiddenScore),
      filledTensor(b, loc, rowShape, element, 0.0),
      filledTensor(b, loc, qType.getShape(), element, 0.0)};
  auto loop = scf::ForOp::create(
      b, loc, lo, hi, index(1),
      ValueRange{initial.max, initial.sum, initial.acc},
      [&](OpBuilder &nb, Location l, Value blockIndex, ValueRange carried) {
        KeyBlock block = blockAt(nb, l, blockIndex);
        OnlineSoftmax next = attendBlock(
            nb, l, q, block.keys, keysTransposed, block.values,
            {carried[0], carried[1], carried[2]},
            [&](OpBuilder &mb, Location ml, Value score, Value row,
                Value column) {
              Value key = arith::AddIOp::create(mb, ml, block.firstKey, column);
              Value query = arith::AddIOp::create(mb, ml, q0, row);
              return maskedScore(mb, ml, score, key, query, windowIdx, scale,
                                 hidden);
            });
        scf::YieldOp::create(nb, l, ValueRange{next.max, next.sum, next.acc});
      });
  return normalizeRows(
      b, loc, {loop.getResult(0), loop.getResult(1), loop.getResult(2)}, dest);
}

} // namespace mlir::tfm::lowering
