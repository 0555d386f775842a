//===- AttentionGradLowering.cpp - Attention backward to linalg -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The backward pass of attention recomputes the probabilities block by block
// of keys, as FlashAttention's does, instead of keeping the T x T matrix of
// the forward pass: a first sweep finds each query row's log-sum-exp with an
// online softmax, a second recomputes P for one key block at a time and
// accumulates dQ while writing that block's dK and dV. Each key block only
// meets the queries that can see it (those at or after it, and within the
// window for a banded layer), so the static block sizes follow the causal
// and banded structure and a banded layer's cost grows with its window.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/LoweringUtils.h"

#include "tfm/Dialect/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

#define DEBUG_TYPE "convert-tfm-to-linalg"

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::lowering;

namespace {

class AttentionGradBuilder : AttentionGeometry {
public:
  AttentionGradBuilder(OpBuilder &b, Location loc, AttentionGradOp op)
      : AttentionGeometry(op.getDOut().getType(), op.getNumHeads(),
                          op.getPattern().getWindow()),
        b(b), loc(loc), ctx(b.getContext()),
        block(largestDivisor(seq, kCacheBlock)),
        scale(1.0 / std::sqrt(static_cast<double>(headDim))) {}

  Value build(Value qkv, Value out, Value dOut, RankedTensorType qkvType) {
    Value packed = packHeads(b, loc, qkv, heads);
    Value q = copyHeadPart(b, loc, packed, 0, empty4(seq));
    Value k = copyHeadPart(b, loc, packed, 1, empty4(seq));
    Value v = copyHeadPart(b, loc, packed, 2, empty4(seq));
    Value o = splitHeads(out), dO = splitHeads(dOut);
    // D = rowsum(dO * O): (B, H, T).
    Value d = generic(
        b, loc, {dO, o}, filled3(seq, 0.0), {id4(), id4(), rows4()},
        {kPar, kPar, kPar, kRed}, [](OpBuilder &nb, Location l, ValueRange a) {
          Value p = arith::MulFOp::create(nb, l, a[0], a[1]);
          return arith::AddFOp::create(nb, l, p, a[2]).getResult();
        });
    Value lse = logSumExp(q, k);

    Value dQ = filled4(seq, 0.0), dK = filled4(seq, 0.0);
    Value dV = filled4(seq, 0.0);
    for (int64_t first = 0; first < seq; first += block) {
      int64_t lo = first, rows = queryRows(first);
      Value qs = rowSlice(q, lo, rows), dOs = rowSlice(dO, lo, rows);
      Value ks = rowSlice(k, first, block), vs = rowSlice(v, first, block);
      Value ls = rowSlice(lse, lo, rows), ds = rowSlice(d, lo, rows);
      // P = exp(S * scale - L) where visible, else 0: (B, H, Q, Bk).
      Value scores = contract(qs, ks, filled4(rows, block, 0.0), kScoreMaps);
      Value probs = generic(
          b, loc, {scores, ls}, empty4(rows, block), {id4(), rows4(), id4()},
          {kPar, kPar, kPar, kPar},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value visible = isVisible(nb, l, lo, first);
            Value s = arith::MulFOp::create(nb, l, a[0], constant(nb, scale));
            Value p = math::ExpOp::create(
                nb, l, arith::SubFOp::create(nb, l, s, a[1]));
            return arith::SelectOp::create(nb, l, visible, p, constant(nb, 0.0))
                .getResult();
          });
      // dV_j = P^T dO; dP = dO V_j^T; dS = P (dP - D) * scale.
      Value dVs = contract(probs, dOs, filled4(block, 0.0), kTransposedMaps);
      Value dP = contract(dOs, vs, filled4(rows, block, 0.0), kScoreMaps);
      Value dS =
          generic(b, loc, {probs, dP, ds}, empty4(rows, block),
                  {id4(), id4(), rows4(), id4()}, {kPar, kPar, kPar, kPar},
                  [&](OpBuilder &nb, Location l, ValueRange a) {
                    Value diff = arith::SubFOp::create(nb, l, a[1], a[2]);
                    Value g = arith::MulFOp::create(nb, l, a[0], diff);
                    return arith::MulFOp::create(nb, l, g, constant(nb, scale))
                        .getResult();
                  });
      // dQ rows += dS K_j; dK_j = dS^T Q.
      Value dQs = contract(dS, ks, rowSlice(dQ, lo, rows), kProductMaps);
      dQ = insertRows(dQs, dQ, lo);
      dK = insertRows(contract(dS, qs, filled4(block, 0.0), kTransposedMaps),
                      dK, first);
      dV = insertRows(dVs, dV, first);
    }
    return packGradients(dQ, dK, dV, qkvType);
  }

private:
  /// Maps of the (b, h, i, j, r) contractions, r reduced:
  /// scores (i, j) from (i, r) x (j, r); products (i, j) from (i, r) x (r, j);
  /// transposed products (i, j) from (r, i) x (r, j).
  enum Maps { kScoreMaps, kProductMaps, kTransposedMaps };

  Value contract(Value lhs, Value rhs, Value init, Maps maps) {
    auto m = [&](ArrayRef<unsigned> dims) { return dimsMap(ctx, 5, dims); };
    SmallVector<AffineMap> affine;
    if (maps == kScoreMaps)
      affine = {m({0, 1, 2, 4}), m({0, 1, 3, 4}), m({0, 1, 2, 3})};
    else if (maps == kProductMaps)
      affine = {m({0, 1, 2, 4}), m({0, 1, 4, 3}), m({0, 1, 2, 3})};
    else
      affine = {m({0, 1, 4, 2}), m({0, 1, 4, 3}), m({0, 1, 2, 3})};
    return linalg::ContractOp::create(b, loc, TypeRange{init.getType()},
                                      ValueRange{lhs, rhs}, ValueRange{init},
                                      b.getAffineMapArrayAttr(affine))
        .getResult(0);
  }

  /// How many queries from `first` on see some key of the block starting
  /// at `first`: all later ones, or those within the window.
  int64_t queryRows(int64_t first) const {
    int64_t end = window ? std::min(seq, first + block + window - 1) : seq;
    return end - first;
  }

  /// Whether key `first + j` is visible from query `lo + i`, (i, j) the
  /// last two loop indices of the enclosing generic.
  Value isVisible(OpBuilder &nb, Location l, int64_t lo, int64_t first) {
    Value i = linalg::IndexOp::create(nb, l, 2);
    Value j = linalg::IndexOp::create(nb, l, 3);
    Value query = arith::AddIOp::create(
        nb, l, i, arith::ConstantIndexOp::create(nb, l, lo));
    Value key = arith::AddIOp::create(
        nb, l, j, arith::ConstantIndexOp::create(nb, l, first));
    Value causal =
        arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ule, key, query);
    if (!window)
      return causal;
    Value distance = arith::SubIOp::create(nb, l, query, key);
    Value inBand =
        arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, distance,
                              arith::ConstantIndexOp::create(nb, l, window));
    return arith::AndIOp::create(nb, l, causal, inBand);
  }

  /// The log-sum-exp of each query row's visible scores, by an online
  /// softmax over the key blocks: (B, H, T).
  Value logSumExp(Value q, Value k) {
    Value m = filled3(seq, kHiddenScore), l = filled3(seq, 0.0);
    for (int64_t first = 0; first < seq; first += block) {
      int64_t lo = first, rows = queryRows(first);
      Value scores = contract(rowSlice(q, lo, rows), rowSlice(k, first, block),
                              filled4(rows, block, 0.0), kScoreMaps);
      Value masked = generic(
          b, loc, scores, empty4(rows, block), {id4(), id4()},
          {kPar, kPar, kPar, kPar},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value s = arith::MulFOp::create(nb, nl, a[0], constant(nb, scale));
            return arith::SelectOp::create(nb, nl, isVisible(nb, nl, lo, first),
                                           s, constant(nb, kHiddenScore))
                .getResult();
          });
      auto [newMax, newSum] = foldIntoLogSumExp(
          b, loc, masked, rowSlice(m, lo, rows), rowSlice(l, lo, rows));
      m = insertRows(newMax, m, lo);
      l = insertRows(newSum, l, lo);
    }
    return logSumExpOf(b, loc, m, l, empty3(seq));
  }

  /// (B, T, C) as (B, H, T, D).
  Value splitHeads(Value x) {
    Value expanded = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({batch, seq, heads, headDim}, element), x,
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
    return linalg::TransposeOp::create(b, loc, expanded, empty4(seq),
                                       ArrayRef<int64_t>{0, 2, 1, 3})
        .getResult()[0];
  }

  /// dQ, dK, dV (B, H, T, D) packed as qkv is, (B, T, 3C).
  Value packGradients(Value dQ, Value dK, Value dV, RankedTensorType type) {
    auto packedType =
        RankedTensorType::get({batch, seq, 3, heads, headDim}, element);
    AffineMap in = dimsMap(ctx, 5, {0, 3, 1, 4});
    Value packed = generic(
        b, loc, {dQ, dK, dV},
        emptyTensor(b, loc, packedType.getShape(), element),
        {in, in, in, AffineMap::getMultiDimIdentityMap(5, ctx)},
        {kPar, kPar, kPar, kPar, kPar},
        [](OpBuilder &nb, Location l, ValueRange a) {
          Value which = linalg::IndexOp::create(nb, l, 2);
          Value isQ =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, which,
                                    arith::ConstantIndexOp::create(nb, l, 0));
          Value isK =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, which,
                                    arith::ConstantIndexOp::create(nb, l, 1));
          Value kv = arith::SelectOp::create(nb, l, isK, a[1], a[2]);
          return arith::SelectOp::create(nb, l, isQ, a[0], kv).getResult();
        });
    return tensor::CollapseShapeOp::create(
        b, loc, type, packed,
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
  }

  /// Rows [first, first + count) of the third dimension of `x`.
  Value rowSlice(Value x, int64_t first, int64_t count) {
    RankedTensorType type = tensorType(x);
    SmallVector<int64_t> offsets(type.getRank(), 0), sizes(type.getShape());
    offsets[2] = first;
    sizes[2] = count;
    SmallVector<int64_t> strides(type.getRank(), 1);
    return tensor::ExtractSliceOp::create(b, loc, x,
                                          getAsIndexOpFoldResult(ctx, offsets),
                                          getAsIndexOpFoldResult(ctx, sizes),
                                          getAsIndexOpFoldResult(ctx, strides));
  }
  Value insertRows(Value rows, Value into, int64_t first) {
    RankedTensorType type = tensorType(rows);
    SmallVector<int64_t> offsets(type.getRank(), 0);
    offsets[2] = first;
    SmallVector<int64_t> strides(type.getRank(), 1);
    return tensor::InsertSliceOp::create(
        b, loc, rows, into, getAsIndexOpFoldResult(ctx, offsets),
        getAsIndexOpFoldResult(ctx, type.getShape()),
        getAsIndexOpFoldResult(ctx, strides));
  }

  Value constant(OpBuilder &nb, double v) {
    return floatConstant(nb, loc, element, v);
  }
  Value empty3(int64_t rows) {
    return emptyTensor(b, loc, {batch, heads, rows}, element);
  }
  Value filled3(int64_t rows, double v) {
    return filledTensor(b, loc, {batch, heads, rows}, element, v);
  }
  Value empty4(int64_t rows, int64_t cols = 0) {
    return emptyTensor(b, loc, {batch, heads, rows, cols ? cols : headDim},
                       element);
  }
  Value filled4(int64_t rows, double v) {
    return filledTensor(b, loc, {batch, heads, rows, headDim}, element, v);
  }
  Value filled4(int64_t rows, int64_t cols, double v) {
    return filledTensor(b, loc, {batch, heads, rows, cols}, element, v);
  }
  AffineMap id4() { return AffineMap::getMultiDimIdentityMap(4, ctx); }
  AffineMap rows4() { return dimsMap(ctx, 4, {0, 1, 2}); }

  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  int64_t block;
  double scale;
};

struct AttentionGradLowering : OpConversionPattern<AttentionGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AttentionGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    AttentionGradBuilder builder(rewriter, op.getLoc(), op);
    rewriter.replaceOp(op, builder.build(adaptor.getQkv(), adaptor.getOutput(),
                                         adaptor.getDOut(), op.getType()));
    return success();
  }
};
} // namespace

void mlir::tfm::lowering::populateAttentionGradLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AttentionGradLowering>(patterns.getContext());
}
