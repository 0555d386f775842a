//===- FlashAttention.cpp - Attention as one tiled kernel -------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// tfm.attention as FlashAttention's forward: each (batch, head, query block)
// is one parallel iteration that walks only the key blocks its queries can
// see with an online softmax, so neither the T x T scores nor the blocks a
// causal or banded mask hides are ever computed. The backward kernel is in
// FlashAttentionGrad.cpp; the tile sizes are the caller's (Kernels.h).
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/LoweringUtils.h"

#include "tfm/Codegen/Common/KernelNames.h"
#include "tfm/Codegen/Common/Kernels.h"
#include "tfm/Codegen/Common/Passes.h"
#include "tfm/Dialect/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

#define DEBUG_TYPE "tfm-fuse-attention"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEATTENTIONPASS
#include "tfm/Codegen/Common/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::lowering;

namespace {
bool tilesEvenly(int64_t seq, const AttentionTiles &tiles) {
  return largestDivisor(seq, tiles.queryBlock) >= std::min(seq, tiles.minBlock);
}

/// Shared by both attention ops: the geometry, and the online softmax of
/// one query tile over a range of key blocks.
class AttentionBuilder : AttentionGeometry {
public:
  AttentionBuilder(RewriterBase &b, Location loc, RankedTensorType type,
                   int64_t heads, AttentionPatternAttr pattern,
                   const AttentionTiles &tiles)
      : AttentionGeometry(type, heads, pattern.getWindow()), b(b), loc(loc),
        tiles(tiles) {}

  /// tfm.attention: one parallel iteration per (batch, head, query block).
  Value attention(Value qkv, RankedTensorType type) {
    int64_t queryBlock = largestDivisor(seq, tiles.queryBlock);
    int64_t keyBlock = largestDivisor(seq, tiles.keyBlock);
    Value packed = packHeads(b, loc, qkv, heads);
    Value kT =
        copyHeadPart(b, loc, packed, 1,
                     emptyTensor(b, loc, {batch, heads, headDim, seq}, element),
                     /*transposed=*/true);
    return perHead(
        type, {batch, heads, seq / queryBlock}, queryBlock,
        [&](ValueRange ivs, Value dest) {
          Value bi = ivs[0], h = ivs[1];
          Value q0 = mul(ivs[2], queryBlock);
          std::pair<Value, Value> range =
              cacheBlockRange(b, loc, q0, queryBlock, keyBlock, window);
          Value q = headRows(b, loc, packed, bi, q0, 0, h, queryBlock);
          return attendKeyBlocks(
              b, loc, q, q0, range.first, range.second,
              /*keysTransposed=*/true, window, dest,
              [&](OpBuilder &nb, Location l, Value block) {
                Value k0 = arith::MulIOp::create(
                    nb, l, block,
                    arith::ConstantIndexOp::create(nb, l, keyBlock));
                Value keys = headColumns(nb, l, kT, bi, h, k0, keyBlock);
                return KeyBlock{
                    keys, headRows(nb, l, packed, bi, k0, 2, h, keyBlock), k0};
              });
        });
  }

  /// tfm.cached_attention: the new rows go into the caches as
  /// convert-tfm-to-linalg stores them; each (batch, head) is one parallel
  /// iteration over the cache blocks its queries see.
  void cachedAttention(CachedAttentionOp op) {
    RankedTensorType type = op.getResult().getType();
    int64_t capacity = tensorType(op.getKeyCache()).getDimSize(2);
    Value packed = packHeads(b, loc, op.getQkv(), heads);
    Value start = indexOf(b, loc, op.getStart());
    Value keys = storeInCache(b, loc, packed, 1, op.getKeyCache(), start);
    Value values = storeInCache(b, loc, packed, 2, op.getValueCache(), start);
    Value attended;
    if (seq == capacity) {
      // A prefill of the whole capacity sees only its own tokens.
      attended = attention(op.getQkv(), type);
    } else {
      int64_t block = largestDivisor(capacity, tiles.cacheBlock);
      std::pair<Value, Value> range =
          cacheBlockRange(b, loc, start, seq, block, window);
      Value lo = range.first, hi = range.second;
      attended =
          perHead(type, {batch, heads}, seq, [&](ValueRange ivs, Value dest) {
            Value bi = ivs[0], h = ivs[1];
            Value q = headRows(b, loc, packed, bi, index(0), 0, h, seq);
            return attendKeyBlocks(
                b, loc, q, start, lo, hi, /*keysTransposed=*/false, window,
                dest, [&](OpBuilder &nb, Location l, Value blockIndex) {
                  Value offset = arith::MulIOp::create(
                      nb, l, blockIndex,
                      arith::ConstantIndexOp::create(nb, l, block));
                  // The block divides the capacity: contiguous in a ring.
                  Value slot = arith::RemUIOp::create(
                      nb, l, offset,
                      arith::ConstantIndexOp::create(nb, l, capacity));
                  auto rows = [&](Value cache) {
                    return tensor::ExtractSliceOp::create(
                               nb, l,
                               RankedTensorType::get({block, headDim}, element),
                               cache,
                               SmallVector<OpFoldResult>{bi, h, slot,
                                                         nb.getIndexAttr(0)},
                               getAsIndexOpFoldResult(nb.getContext(),
                                                      {1, 1, block, headDim}),
                               getAsIndexOpFoldResult(nb.getContext(),
                                                      {1, 1, 1, 1}))
                        .getResult();
                  };
                  return KeyBlock{rows(keys), rows(values), offset};
                });
          });
    }
    b.replaceOp(op, {attended, keys, values});
  }

private:
  using TileFn = function_ref<Value(ValueRange ivs, Value dest)>;

  /// An scf.forall over `counts` whose iteration writes the (rows, D) tile
  /// `tile(ivs, dest)` of head ivs[1] in batch ivs[0], rows from
  /// ivs[2] * rows, into (B, T, H, D); returns that viewed as `type`.
  Value perHead(RankedTensorType type, ArrayRef<int64_t> counts, int64_t rows,
                TileFn tile) {
    MLIRContext *ctx = b.getContext();
    Value out = emptyTensor(b, loc, {batch, seq, heads, headDim}, element);
    auto forall = scf::ForallOp::create(
        b, loc,
        getAsIndexOpFoldResult(ctx, SmallVector<int64_t>(counts.size(), 0)),
        getAsIndexOpFoldResult(ctx, counts),
        getAsIndexOpFoldResult(ctx, SmallVector<int64_t>(counts.size(), 1)),
        ValueRange{out}, std::nullopt);
    nameKernel(forall, "attention");
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    SmallVector<Value> ivs = forall.getInductionVars();
    Value first = ivs.size() > 2 ? mul(ivs[2], rows) : index(0);
    SmallVector<OpFoldResult> offsets = {ivs[0], first, ivs[1],
                                         b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes =
        getAsIndexOpFoldResult(ctx, {1, rows, 1, headDim});
    SmallVector<OpFoldResult> strides =
        getAsIndexOpFoldResult(ctx, {1, 1, 1, 1});
    Value shared = forall.getRegionIterArgs()[0];
    Value dest = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({rows, headDim}, element), shared,
        offsets, sizes, strides);
    Value result = tile(ivs, dest);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, result, shared, offsets,
                                          sizes, strides);
    b.setInsertionPointAfter(forall);
    return tensor::CollapseShapeOp::create(
        b, loc, type, forall.getResult(0),
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  }

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value mul(Value v, int64_t c) {
    return arith::MulIOp::create(b, loc, v, index(c));
  }

  RewriterBase &b;
  Location loc;
  const AttentionTiles &tiles;
};

/// Whether `op`'s sequence tiles evenly; a cached op whose cache is longer
/// than its chunk walks cache blocks and always does.
bool fusable(Operation *op, const AttentionTiles &tiles) {
  int64_t seq =
      cast<RankedTensorType>(op->getResult(0).getType()).getDimSize(1);
  auto cached = dyn_cast<CachedAttentionOp>(op);
  bool whole = !cached || tensorType(cached.getKeyCache()).getDimSize(2) == seq;
  return !whole || tilesEvenly(seq, tiles);
}

/// A kernel builder as a pattern on the op it replaces.
template <typename Op,
          void (*build)(RewriterBase &, Op, const AttentionTiles &)>
struct KernelPattern : OpRewritePattern<Op> {
  KernelPattern(MLIRContext *ctx, const AttentionTiles &tiles)
      : OpRewritePattern<Op>(ctx), tiles(tiles) {}
  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const override {
    if (!fusable(op, tiles))
      return rewriter.notifyMatchFailure(op, "the sequence has no tile size");
    build(rewriter, op, tiles);
    return success();
  }
  AttentionTiles tiles;
};

struct TfmFuseAttentionPass
    : tfm::impl::TfmFuseAttentionPassBase<TfmFuseAttentionPass> {
  using Base::Base;
  void runOnOperation() override {
    AttentionTiles tiles{queryBlock, keyBlock, gradBlock, minBlock, cacheBlock};
    RewritePatternSet patterns(&getContext());
    populateFlashAttentionPatterns(patterns, tiles);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace

void tfm::buildFlashAttention(RewriterBase &rewriter, AttentionOp op,
                              const AttentionTiles &tiles) {
  rewriter.setInsertionPoint(op);
  AttentionBuilder builder(rewriter, op->getLoc(), op.getType(),
                           op.getNumHeads(), op.getPattern(), tiles);
  rewriter.replaceOp(op, builder.attention(op.getQkv(), op.getType()));
}

void tfm::buildCachedFlashAttention(RewriterBase &rewriter,
                                    CachedAttentionOp op,
                                    const AttentionTiles &tiles) {
  rewriter.setInsertionPoint(op);
  AttentionBuilder builder(rewriter, op->getLoc(), op.getResult().getType(),
                           op.getNumHeads(), op.getPattern(), tiles);
  builder.cachedAttention(op);
}

void tfm::populateFlashAttentionPatterns(RewritePatternSet &patterns,
                                         const AttentionTiles &tiles) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<KernelPattern<AttentionOp, buildFlashAttention>,
               KernelPattern<CachedAttentionOp, buildCachedFlashAttention>,
               KernelPattern<AttentionGradOp, buildFlashAttentionGrad>>(ctx,
                                                                        tiles);
}
