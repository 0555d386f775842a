//===- FlashAttentionGrad.cpp - Attention backward, one kernel --*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// tfm.attention_grad as FlashAttention-2's backward, one parallel iteration
// per (batch, head). The iteration walks its query blocks; for each, a first
// sweep over the key blocks the queries see finds the rows' log-sum-exp, and
// a second recomputes the probabilities one tile at a time and accumulates
// dQ for the query block and dK, dV for each key block, in place in the
// result. A head's dK and dV thus have one writer, with neither atomics nor
// a second pass over the keys; with 12 or more heads per batch row, (batch,
// head) alone gives a few cores enough iterations to balance.
//
// Tiles are held transposed, keys by queries, and q, k and dO are copied
// once as (B, H, D, T), so that every product of the step is a plain
// row-major matmul tile: no tile is transposed inside the loops.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Common/KernelNames.h"
#include "tfm/Codegen/Common/Kernels.h"
#include "tfm/Conversion/LoweringUtils.h"

#include "tfm/Dialect/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

#define DEBUG_TYPE "tfm-fuse-attention"

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::lowering;

namespace {
/// The parts of qkv, and of its gradient.
enum Part : int64_t { kQuery, kKey, kValue };

class AttentionGradKernel : AttentionGeometry {
public:
  AttentionGradKernel(RewriterBase &b, AttentionGradOp op, int64_t maxBlock)
      : AttentionGeometry(op.getDOut().getType(), op.getNumHeads(),
                          op.getPattern().getWindow()),
        b(b), loc(op.getLoc()), ctx(b.getContext()),
        block(largestDivisor(seq, maxBlock)) {}

  Value build(Value qkv, Value out, Value dOut, RankedTensorType qkvType) {
    packed = packHeads(b, loc, qkv, heads);
    o = packHeads(b, loc, out, heads, /*parts=*/1);
    dO = packHeads(b, loc, dOut, heads, /*parts=*/1);
    qT = transposedHeads(packed, 0);
    kT = transposedHeads(packed, 1);
    dOT = transposedHeads(dO, 0);
    scale = floatConstant(b, loc, element,
                          1.0 / std::sqrt(static_cast<double>(headDim)));
    hidden = floatConstant(b, loc, element, kHiddenScore);
    windowIdx = windowIndex(b, loc, window);

    Value grads = emptyTensor(b, loc, {batch, seq, 3, heads, headDim}, element);
    auto forall = scf::ForallOp::create(
        b, loc, getAsIndexOpFoldResult(ctx, {0, 0}),
        getAsIndexOpFoldResult(ctx, {batch, heads}),
        getAsIndexOpFoldResult(ctx, {1, 1}), ValueRange{grads}, std::nullopt);
    nameKernel(forall, "attention_backward");
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forall.getBody());
      bi = forall.getInductionVars()[0];
      h = forall.getInductionVars()[1];
      // The head's (T, 3, D) tile of the result holds dQ, dK and dV. The
      // loops carry it whole and update it one row block at a time, each
      // read and written back in place; it is also inserted whole, as
      // scf.forall's folding of a single iteration keeps only the first of
      // several inserts into one shared output.
      Value shared = forall.getRegionIterArgs()[0];
      SmallVector<OpFoldResult> tileOffsets = {
          bi, b.getIndexAttr(0), b.getIndexAttr(0), h, b.getIndexAttr(0)};
      SmallVector<OpFoldResult> tileSizes =
          getAsIndexOpFoldResult(ctx, {1, seq, 3, 1, headDim});
      SmallVector<OpFoldResult> tileStrides =
          getAsIndexOpFoldResult(ctx, {1, 1, 1, 1, 1});
      Value tile = tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get({seq, 3, headDim}, element), shared,
          tileOffsets, tileSizes, tileStrides);
      Value zero = floatConstant(b, loc, element, 0.0);
      for (int64_t which : {kKey, kValue})
        tile = updateRows(tile, index(0), seq, which, [&](Value rows) {
          return linalg::FillOp::create(b, loc, zero, rows).getResult(0);
        });
      tile = loop(index(0), index(seq / block), tile,
                  [&](Value i, ValueRange carried) {
                    return SmallVector<Value>{queryBlock(i, carried[0])};
                  })
                 .getResult(0);
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(b, loc, tile, shared, tileOffsets,
                                            tileSizes, tileStrides);
    }
    return tensor::CollapseShapeOp::create(
        b, loc, qkvType, forall.getResult(0),
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
  }

private:
  /// Query block i of the head: its rows of dQ, and its share of every
  /// dK, dV row block it sees, added into the head's (T, 3, D) `tile`.
  Value queryBlock(Value i, Value tile) {
    Value q0 = mul(i, block);
    auto [lo, hi] = cacheBlockRange(b, loc, q0, block, block, window);
    Value q = headRows(b, loc, packed, bi, q0, 0, h, block);
    Value qTi = headColumns(b, loc, qT, bi, h, q0, block);
    Value dOi = headRows(b, loc, dO, bi, q0, 0, h, block);
    Value dOTi = headColumns(b, loc, dOT, bi, h, q0, block);
    // D = rowsum(dO * O): dS = P (dP - D) is softmax's backward.
    Value d =
        generic(b, loc, {dOi, headRows(b, loc, o, bi, q0, 0, h, block)},
                filled({block}, 0.0), {id(2), id(2), rowOf()}, {kPar, kRed},
                [](OpBuilder &nb, Location l, ValueRange a) {
                  Value p = arith::MulFOp::create(nb, l, a[0], a[1]);
                  return arith::AddFOp::create(nb, l, p, a[2]).getResult();
                });
    Value lse = logSumExp(q, q0, lo, hi);

    scf::ForOp keys = loop(
        lo, hi, {tile, filled({headDim, block}, 0.0)},
        [&](Value j, ValueRange acc) {
          Value k0 = mul(j, block);
          Value k = headRows(b, loc, packed, bi, k0, 1, h, block);
          Value v = headRows(b, loc, packed, bi, k0, 2, h, block);
          // Rows are keys, columns queries: P^T = exp(S^T - L).
          Value sT = matmul(k, qTi, filled({block, block}, 0.0));
          Value pT = generic(
              b, loc, {sT, lse}, empty({block, block}), {id(2), colOf(), id(2)},
              {kPar, kPar}, [&](OpBuilder &nb, Location l, ValueRange a) {
                Value s = maskedScore(nb, l, a[0], k0,
                                      linalg::IndexOp::create(nb, l, 0), q0,
                                      linalg::IndexOp::create(nb, l, 1));
                return math::ExpOp::create(
                           nb, l, arith::SubFOp::create(nb, l, s, a[1]))
                    .getResult();
              });
          // dS^T = P^T (dP^T - D) * scale, dP^T = V dO^T; the scale of
          // S = q k^T * scale is folded in here, once for dQ and dK.
          Value dPT = matmul(v, dOTi, filled({block, block}, 0.0));
          Value dST = generic(
              b, loc, {pT, dPT, d}, empty({block, block}),
              {id(2), id(2), colOf(), id(2)}, {kPar, kPar},
              [&](OpBuilder &nb, Location l, ValueRange a) {
                Value diff = arith::SubFOp::create(nb, l, a[1], a[2]);
                Value g = arith::MulFOp::create(nb, l, a[0], diff);
                return arith::MulFOp::create(nb, l, g, scale).getResult();
              });
          Value grads = updateRows(acc[0], k0, block, kValue, [&](Value dV) {
            return matmul(pT, dOi, dV);
          });
          grads = updateRows(grads, k0, block, kKey,
                             [&](Value dK) { return matmul(dST, q, dK); });
          Value dQT =
              matmul(headColumns(b, loc, kT, bi, h, k0, block), dST, acc[1]);
          return SmallVector<Value>{grads, dQT};
        });
    return updateRows(keys.getResult(0), q0, block, kQuery, [&](Value dQ) {
      return linalg::TransposeOp::create(b, loc, keys.getResult(1), dQ,
                                         ArrayRef<int64_t>{1, 0})
          .getResult()[0];
    });
  }

  /// The log-sum-exp of each query row of the block starting at q0 over
  /// the key blocks [lo, hi), folded in one block at a time. (block)
  Value logSumExp(Value q, Value q0, Value lo, Value hi) {
    scf::ForOp keys =
        loop(lo, hi, {filled({block}, kHiddenScore), filled({block}, 0.0)},
             [&](Value j, ValueRange state) {
               Value k0 = mul(j, block);
               Value s = matmul(q, headColumns(b, loc, kT, bi, h, k0, block),
                                filled({block, block}, 0.0));
               Value masked = generic(
                   b, loc, s, empty({block, block}), {id(2), id(2)},
                   {kPar, kPar}, [&](OpBuilder &nb, Location l, ValueRange a) {
                     return maskedScore(nb, l, a[0], k0,
                                        linalg::IndexOp::create(nb, l, 1), q0,
                                        linalg::IndexOp::create(nb, l, 0));
                   });
               auto [max, sum] =
                   foldIntoLogSumExp(b, loc, masked, state[0], state[1]);
               return SmallVector<Value>{max, sum};
             });
    return logSumExpOf(b, loc, keys.getResult(0), keys.getResult(1),
                       empty({block}));
  }

  using StepFn = function_ref<SmallVector<Value>(Value iv, ValueRange)>;

  /// An scf.for over [lo, hi) carrying `inits`, whose body `step` builds
  /// with `b` and whose yield is what `step` returns.
  scf::ForOp loop(Value lo, Value hi, ValueRange inits, StepFn step) {
    return scf::ForOp::create(
        b, loc, lo, hi, index(1), inits,
        [&](OpBuilder &nb, Location, Value iv, ValueRange carried) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          scf::YieldOp::create(b, loc, step(iv, carried));
        });
  }

  /// The score of the tile element at (key k0 + key, query q0 + query).
  Value maskedScore(OpBuilder &nb, Location l, Value score, Value k0, Value key,
                    Value q0, Value query) {
    return lowering::maskedScore(
        nb, l, score, arith::AddIOp::create(nb, l, k0, key),
        arith::AddIOp::create(nb, l, q0, query), windowIdx, scale, hidden);
  }

  /// `tile` (T, 3, D) with rows [t0, t0 + count) of part `which`, as
  /// (count, D), replaced by `update(rows)`.
  Value updateRows(Value tile, Value t0, int64_t count, int64_t which,
                   function_ref<Value(Value)> update) {
    SmallVector<OpFoldResult> offsets = {t0, b.getIndexAttr(which),
                                         b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes =
        getAsIndexOpFoldResult(ctx, {count, 1, headDim});
    SmallVector<OpFoldResult> strides = getAsIndexOpFoldResult(ctx, {1, 1, 1});
    Value rows = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({count, headDim}, element), tile, offsets,
        sizes, strides);
    return tensor::InsertSliceOp::create(b, loc, update(rows), tile, offsets,
                                         sizes, strides);
  }

  /// init + lhs (M, K) . rhs (K, N).
  Value matmul(Value lhs, Value rhs, Value init) {
    return linalg::MatmulOp::create(b, loc, ValueRange{lhs, rhs},
                                    ValueRange{init})
        .getResult(0);
  }

  /// Part `which` of `heads5` (B, T, parts, H, D) copied as (B, H, D, T).
  Value transposedHeads(Value heads5, int64_t which) {
    return copyHeadPart(
        b, loc, heads5, which,
        emptyTensor(b, loc, {batch, heads, headDim, seq}, element),
        /*transposed=*/true);
  }

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value mul(Value v, int64_t c) {
    return arith::MulIOp::create(b, loc, v, index(c));
  }
  Value empty(ArrayRef<int64_t> shape) {
    return emptyTensor(b, loc, shape, element);
  }
  Value filled(ArrayRef<int64_t> shape, double v) {
    return filledTensor(b, loc, shape, element, v);
  }
  AffineMap id(unsigned rank) {
    return AffineMap::getMultiDimIdentityMap(rank, ctx);
  }
  AffineMap rowOf() { return dimsMap(ctx, 2, {0}); }
  AffineMap colOf() { return dimsMap(ctx, 2, {1}); }

  RewriterBase &b;
  Location loc;
  MLIRContext *ctx;
  int64_t block;
  // Set by build: the views and copies every tile reads, and constants.
  Value packed, o, dO, qT, kT, dOT, scale, hidden, windowIdx;
  Value bi, h; // the (batch, head) of the parallel iteration
};
} // namespace

void mlir::tfm::buildFlashAttentionGrad(RewriterBase &rewriter,
                                        AttentionGradOp op,
                                        const AttentionTiles &tiles) {
  rewriter.setInsertionPoint(op);
  AttentionGradKernel kernel(rewriter, op, tiles.gradBlock);
  rewriter.replaceOp(op, kernel.build(op.getQkv(), op.getOutput(), op.getDOut(),
                                      op.getType()));
}
