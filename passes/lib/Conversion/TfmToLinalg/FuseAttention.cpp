//===- FuseAttention.cpp - Attention as one tiled kernel --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// tfm.attention as FlashAttention's forward: each (batch, head, query block)
// is one parallel iteration that walks only the key blocks its queries can
// see with an online softmax, so neither the T x T scores nor the blocks a
// causal or banded mask hides are ever computed.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "tfm/Conversion/Passes.h"
#include "tfm/Dialect/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEATTENTIONPASS
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::lowering;

namespace {
/// Queries and keys per tile: a 64 x 64 score tile is 16 KiB, so a tile's
/// scores, probabilities and output stay in L1 through a key step.
constexpr int64_t kQueryBlock = 64;
constexpr int64_t kKeyBlock = 64;

class FusedAttentionBuilder {
public:
  FusedAttentionBuilder(RewriterBase &b, AttentionOp op)
      : b(b), loc(op.getLoc()) {
    RankedTensorType type = op.getType();
    element = type.getElementType();
    batch = type.getDimSize(0);
    seq = type.getDimSize(1);
    heads = op.getNumHeads();
    headDim = type.getDimSize(2) / heads;
    window = op.getPattern().getWindow();
    queryBlock = largestDivisor(seq, kQueryBlock);
    keyBlock = largestDivisor(seq, kKeyBlock);
  }

  Value build(Value qkv, RankedTensorType type) {
    Value packed = packHeads(b, loc, qkv, heads);
    Value kT = copyHeadPart(
        b, loc, packed, 1,
        emptyTensor(b, loc, {batch, heads, headDim, seq}, element),
        /*transposed=*/true);
    Value out = emptyTensor(b, loc, {batch, seq, heads, headDim}, element);
    auto forall = scf::ForallOp::create(
        b, loc, getAsIndexOpFoldResult(b.getContext(), {0, 0, 0}),
        getAsIndexOpFoldResult(b.getContext(),
                               {batch, heads, seq / queryBlock}),
        getAsIndexOpFoldResult(b.getContext(), {1, 1, 1}), ValueRange{out},
        std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    SmallVector<Value> ivs = forall.getInductionVars();
    Value bi = ivs[0], h = ivs[1];
    Value q0 = mul(ivs[2], queryBlock);
    Value tile = queryTile(packed, kT, bi, h, q0,
                           slice(forall.getRegionIterArgs()[0], bi, q0, h));
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    SmallVector<OpFoldResult> offsets = {bi, q0, h, b.getIndexAttr(0)};
    tensor::ParallelInsertSliceOp::create(
        b, loc, tile, forall.getRegionIterArgs()[0], offsets,
        getAsIndexOpFoldResult(b.getContext(), {1, queryBlock, 1, headDim}),
        getAsIndexOpFoldResult(b.getContext(), {1, 1, 1, 1}));
    b.setInsertionPointAfter(forall);
    return tensor::CollapseShapeOp::create(
        b, loc, type, forall.getResult(0),
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  }

private:
  /// The output rows [q0, q0 + Q) of head h in batch bi, written into
  /// `dest` (Q, D).
  Value queryTile(Value packed, Value kT, Value bi, Value h, Value q0,
                  Value dest) {
    Value q = sliceRows(packed, bi, q0, 0, h, queryBlock);
    // Key blocks [lo, hi): from the one holding the first key the first
    // query sees, max(q0 + 1 - W, 0), to the one holding the last query.
    Value one = index(1);
    Value hi = arith::AddIOp::create(
        b, loc,
        arith::DivUIOp::create(
            b, loc, arith::AddIOp::create(b, loc, q0, index(queryBlock - 1)),
            index(keyBlock)),
        one);
    Value lo = index(0);
    if (window) {
      Value firstKey = arith::SubIOp::create(
          b, loc,
          arith::MaxUIOp::create(
              b, loc, arith::AddIOp::create(b, loc, q0, one), index(window)),
          index(window));
      lo = arith::DivUIOp::create(b, loc, firstKey, index(keyBlock));
    }
    Value scale = floatConstant(b, loc, element,
                                1.0 / std::sqrt(static_cast<double>(headDim)));
    Value hidden = floatConstant(b, loc, element, kHiddenScore);
    Value windowIdx = index(window ? window : seq);
    OnlineSoftmax initial = {
        filledTensor(b, loc, {queryBlock}, element, kHiddenScore),
        filledTensor(b, loc, {queryBlock}, element, 0.0),
        filledTensor(b, loc, {queryBlock, headDim}, element, 0.0)};
    auto loop = scf::ForOp::create(
        b, loc, lo, hi, one, ValueRange{initial.max, initial.sum, initial.acc},
        [&](OpBuilder &nb, Location l, Value block, ValueRange carried) {
          Value k0 = arith::MulIOp::create(nb, l, block, index(keyBlock));
          Value keys = tensor::ExtractSliceOp::create(
              nb, l, RankedTensorType::get({headDim, keyBlock}, element), kT,
              SmallVector<OpFoldResult>{bi, h, nb.getIndexAttr(0), k0},
              getAsIndexOpFoldResult(nb.getContext(),
                                     {1, 1, headDim, keyBlock}),
              getAsIndexOpFoldResult(nb.getContext(), {1, 1, 1, 1}));
          Value values = sliceRows(packed, bi, k0, 2, h, keyBlock);
          OnlineSoftmax next = attendBlock(
              nb, l, q, keys, /*keysTransposed=*/true, values,
              {carried[0], carried[1], carried[2]},
              [&](OpBuilder &mb, Location ml, Value score, Value row,
                  Value column) {
                Value key = arith::AddIOp::create(mb, ml, k0, column);
                Value query = arith::AddIOp::create(mb, ml, q0, row);
                return maskedScore(mb, ml, score, key, query, windowIdx, scale,
                                   hidden);
              });
          scf::YieldOp::create(nb, l,
                               ValueRange{next.max, next.sum, next.acc});
        });
    return normalizeRows(
        b, loc, {loop.getResult(0), loop.getResult(1), loop.getResult(2)},
        dest);
  }

  /// Rows [t0, t0 + count) of part `which` of head h in batch bi of
  /// `packed` (B, T, 3, H, D), as (count, D): read in place.
  Value sliceRows(Value packed, Value bi, Value t0, int64_t which, Value h,
                  int64_t count) {
    return tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({count, headDim}, element), packed,
        SmallVector<OpFoldResult>{bi, t0, b.getIndexAttr(which), h,
                                  b.getIndexAttr(0)},
        getAsIndexOpFoldResult(b.getContext(), {1, count, 1, 1, headDim}),
        getAsIndexOpFoldResult(b.getContext(), {1, 1, 1, 1, 1}));
  }

  /// The (Q, D) tile of `out` (B, T, H, D) at batch bi, rows q0, head h.
  Value slice(Value out, Value bi, Value q0, Value h) {
    return tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({queryBlock, headDim}, element), out,
        SmallVector<OpFoldResult>{bi, q0, h, b.getIndexAttr(0)},
        getAsIndexOpFoldResult(b.getContext(), {1, queryBlock, 1, headDim}),
        getAsIndexOpFoldResult(b.getContext(), {1, 1, 1, 1}));
  }

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value mul(Value v, int64_t c) {
    return arith::MulIOp::create(b, loc, v, index(c));
  }

  RewriterBase &b;
  Location loc;
  Type element;
  int64_t batch, seq, heads, headDim, window, queryBlock, keyBlock;
};

struct TfmFuseAttentionPass
    : tfm::impl::TfmFuseAttentionPassBase<TfmFuseAttentionPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (AttentionOp op : ops) {
      rewriter.setInsertionPoint(op);
      FusedAttentionBuilder builder(rewriter, op);
      rewriter.replaceOp(op, builder.build(op.getQkv(), op.getType()));
    }
  }
};
} // namespace
