//===- TfmToLinalg.cpp - Lower tfm to linalg on tensors ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// One conversion pattern per tfm op. The output is target independent: named
// linalg contractions for the matmuls and linalg.generic for everything else,
// so that the CPU and GPU pipelines tile, pack and vectorize the same IR.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/LoweringUtils.h"

#include "tfm/Conversion/Passes.h"
#include "tfm/Dialect/TfmOps.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#include <cmath>
#include <limits>

namespace mlir::tfm {
#define GEN_PASS_DEF_CONVERTTFMTOLINALGPASS
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

#define DEBUG_TYPE "convert-tfm-to-linalg"

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::lowering;

namespace {
//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// out[b, t, c] = wte[tokens[b, t], c] + wpe[t, c].
struct EmbeddingLowering : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    RankedTensorType type = op.getType();
    // A bf16 table is read in place, each element widened as it is read.
    Value wte = unwidened(adaptor.getWte());
    Value init =
        emptyTensor(rewriter, loc, type.getShape(), type.getElementType());
    // Only the first T rows of the position table are used.
    Value wpe = adaptor.getWpe();
    int64_t seq = type.getDimSize(1), width = type.getDimSize(2);
    if (Value start = adaptor.getStart()) {
      // Rows start .. start + T - 1 of the position table.
      Value row = indexOf(rewriter, loc, start);
      Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      wpe = tensor::ExtractSliceOp::create(
          rewriter, loc,
          RankedTensorType::get({seq, width}, type.getElementType()), wpe,
          ValueRange{row, zero}, ValueRange{}, ValueRange{},
          rewriter.getDenseI64ArrayAttr(
              {ShapedType::kDynamic, ShapedType::kDynamic}),
          rewriter.getDenseI64ArrayAttr({seq, width}),
          rewriter.getDenseI64ArrayAttr({1, 1}));
    } else if (tensorType(wpe).getDimSize(0) != seq)
      wpe = tensor::ExtractSliceOp::create(
          rewriter, loc,
          RankedTensorType::get({seq, width}, type.getElementType()), wpe,
          ValueRange{}, ValueRange{}, ValueRange{},
          rewriter.getDenseI64ArrayAttr({0, 0}),
          rewriter.getDenseI64ArrayAttr({seq, width}),
          rewriter.getDenseI64ArrayAttr({1, 1}));
    Value result = generic(
        rewriter, loc, {adaptor.getTokens(), wpe}, init,
        {dimsMap(ctx, 3, {0, 1}), dimsMap(ctx, 3, {1, 2}),
         dimsMap(ctx, 3, {0, 1, 2})},
        {kPar, kPar, kPar}, [&](OpBuilder &b, Location l, ValueRange args) {
          Value row =
              arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value col = linalg::IndexOp::create(b, l, 2);
          Value token =
              tensor::ExtractOp::create(b, l, wte, ValueRange{row, col});
          if (token.getType() != args[1].getType())
            token = arith::ExtFOp::create(b, l, args[1].getType(), token);
          return arith::AddFOp::create(b, l, token, args[1]).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Two-pass layer norm over the last dimension of the (N, C) view.
struct LayerNormLowering : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    Value x = collapseTo2d(rewriter, loc, adaptor.getInput());
    int64_t rows = tensorType(x).getDimSize(0);
    int64_t width = tensorType(x).getDimSize(1);
    auto [mean, rstd] =
        layerNormStats(rewriter, loc, x, op.getEpsilon().convertToDouble());
    Value normalized = normalizeLayer(
        rewriter, loc, x, mean, rstd, adaptor.getGamma(), adaptor.getBeta(),
        emptyTensor(rewriter, loc, {rows, width}, element));
    rewriter.replaceOp(op, expandFrom2d(rewriter, loc, normalized, type));
    return success();
  }
};

/// x @ W + b as a matmul on the (N, IN) view, accumulating into the
/// broadcast bias (or zeros), its operands in the module's matmul type.
struct LinearLowering : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    Type operand = matmulOperandType(op);
    Value x =
        matmulOperand(rewriter, loc,
                      collapseTo2d(rewriter, loc, adaptor.getInput()), operand);
    Value weight = matmulOperand(rewriter, loc, adaptor.getWeight(), operand);
    int64_t rows = tensorType(x).getDimSize(0);
    int64_t out = type.getShape().back();
    Value acc;
    if (Value bias = adaptor.getBias()) {
      acc = linalg::BroadcastOp::create(
                rewriter, loc, bias,
                emptyTensor(rewriter, loc, {rows, out}, element),
                ArrayRef<int64_t>{0})
                .getResult()[0];
    } else {
      acc = filledTensor(rewriter, loc, {rows, out}, element, 0.0);
    }
    Value product =
        linalg::MatmulOp::create(rewriter, loc, TypeRange{acc.getType()},
                                 ValueRange{x, weight}, ValueRange{acc})
            .getResult(0);
    rewriter.replaceOp(op, expandFrom2d(rewriter, loc, product, type));
    return success();
  }
};

/// GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
struct GeluLowering : OpConversionPattern<GeluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GeluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    unsigned rank = type.getRank();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, getContext());
    Value half = floatConstant(rewriter, loc, element, 0.5);
    Value one = floatConstant(rewriter, loc, element, 1.0);
    Value k0 = floatConstant(rewriter, loc, element, std::sqrt(2.0 / M_PI));
    Value k1 = floatConstant(rewriter, loc, element, 0.044715);
    Value result = generic(
        rewriter, loc, adaptor.getInput(),
        emptyTensor(rewriter, loc, type.getShape(), element), {id, id},
        SmallVector<IteratorType>(rank, kPar),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value x = a[0];
          Value x3 =
              arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, x, x), x);
          Value inner = arith::AddFOp::create(
              b, l, x, arith::MulFOp::create(b, l, k1, x3));
          Value t = math::TanhOp::create(
              b, l, arith::MulFOp::create(b, l, k0, inner));
          Value halfX = arith::MulFOp::create(b, l, half, x);
          return arith::MulFOp::create(b, l, halfX,
                                       arith::AddFOp::create(b, l, one, t))
              .getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct AddLowering : OpConversionPattern<AddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    Value init = emptyTensor(rewriter, op.getLoc(), type.getShape(),
                             type.getElementType());
    rewriter.replaceOp(op, linalg::AddOp::create(
                               rewriter, op.getLoc(), TypeRange{type},
                               ValueRange{adaptor.getLhs(), adaptor.getRhs()},
                               ValueRange{init})
                               .getResult(0));
    return success();
  }
};

struct SoftmaxLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    if (type.getRank() == 1)
      return rewriter.notifyMatchFailure(op, "rank-1 softmax is not lowered");
    Value x = collapseTo2d(rewriter, loc, adaptor.getInput());
    rewriter.replaceOp(
        op, expandFrom2d(rewriter, loc, softmaxRows(rewriter, loc, x), type));
    return success();
  }
};

/// Causal multi-head attention:
///   q, v: (B*H, T, D), kT: (B*H, D, T) copied out of qkv (B, T, 3C)
///   s = q @ kT * scale, masked to -inf outside the pattern: (B*H, T, T)
///   o = softmax(s) @ v, copied back to (B, T, C).
struct AttentionLowering : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    int64_t batch = type.getDimSize(0), seq = type.getDimSize(1);
    int64_t width = type.getDimSize(2), heads = op.getNumHeads();
    int64_t headDim = width / heads;
    int64_t window = op.getPattern().getWindow();

    Value packed = packHeads(rewriter, loc, adaptor.getQkv(), heads);
    // Part `which` into (B, H, T, D), or (B, H, D, T) when `transposed`,
    // viewed as rank 3.
    auto split = [&](int64_t which, bool transposed) {
      SmallVector<int64_t> shape = {batch, heads, seq, headDim};
      if (transposed)
        std::swap(shape[2], shape[3]);
      Value copy =
          copyHeadPart(rewriter, loc, packed, which,
                       emptyTensor(rewriter, loc, shape, element), transposed);
      return tensor::CollapseShapeOp::create(
                 rewriter, loc, copy,
                 SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}})
          .getResult();
    };
    Value q = split(0, false), kT = split(1, true), v = split(2, false);

    int64_t bh = batch * heads;
    Value zeros = filledTensor(rewriter, loc, {bh, seq, seq}, element, 0.0);
    Value scores =
        linalg::BatchMatmulOp::create(rewriter, loc, TypeRange{zeros.getType()},
                                      ValueRange{q, kT}, ValueRange{zeros})
            .getResult(0);

    // Scale, and mask keys outside t - window < s <= t with -inf.
    Value scale = floatConstant(rewriter, loc, element,
                                1.0 / std::sqrt(static_cast<double>(headDim)));
    Value negInf = floatConstant(rewriter, loc, element,
                                 -std::numeric_limits<double>::infinity());
    Value windowIdx =
        arith::ConstantIndexOp::create(rewriter, loc, window ? window : seq);
    AffineMap id3 = AffineMap::getMultiDimIdentityMap(3, ctx);
    Value masked = generic(
        rewriter, loc, scores,
        emptyTensor(rewriter, loc, {bh, seq, seq}, element), {id3, id3},
        {kPar, kPar, kPar}, [&](OpBuilder &b, Location l, ValueRange a) {
          Value t = linalg::IndexOp::create(b, l, 1);
          Value s = linalg::IndexOp::create(b, l, 2);
          return maskedScore(b, l, a[0], s, t, windowIdx, scale, negInf);
        });
    Value rows = tensor::CollapseShapeOp::create(
        rewriter, loc, masked, SmallVector<ReassociationIndices>{{0, 1}, {2}});
    Value probs = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({bh, seq, seq}, element),
        softmaxRows(rewriter, loc, rows),
        SmallVector<ReassociationIndices>{{0, 1}, {2}});

    Value outZeros =
        filledTensor(rewriter, loc, {bh, seq, headDim}, element, 0.0);
    Value heads3 = linalg::BatchMatmulOp::create(
                       rewriter, loc, TypeRange{outZeros.getType()},
                       ValueRange{probs, v}, ValueRange{outZeros})
                       .getResult(0);
    // (B*H, T, D) -> (B, H, T, D) -> (B, T, H, D) -> (B, T, C)
    Value heads4 = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({batch, heads, seq, headDim}, element), heads3,
        SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
    rewriter.replaceOp(op, mergeHeads(rewriter, loc, heads4, type));
    return success();
  }
};

/// Writes the new keys and values into the caches at `start`, then attends
/// either like tfm.attention (a prefill of the whole capacity sees only the
/// new tokens) or through the caches, masked to the positions each query
/// may see.
struct CachedAttentionLowering : OpConversionPattern<CachedAttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CachedAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getResult().getType();
    RankedTensorType cacheType = tensorType(adaptor.getKeyCache());
    Type element = type.getElementType();
    int64_t batch = type.getDimSize(0), fresh = type.getDimSize(1);
    int64_t heads = op.getNumHeads(), headDim = cacheType.getDimSize(3);
    int64_t capacity = cacheType.getDimSize(2);
    int64_t window = op.getPattern().getWindow();

    Value packed = packHeads(rewriter, loc, adaptor.getQkv(), heads);
    auto part = [&](int64_t which, Value dest) {
      return copyHeadPart(rewriter, loc, packed, which, dest);
    };
    Value start = indexOf(rewriter, loc, adaptor.getStart());
    Value capacityIdx = arith::ConstantIndexOp::create(rewriter, loc, capacity);
    Value keys =
        storeInCache(rewriter, loc, packed, 1, adaptor.getKeyCache(), start);
    Value values =
        storeInCache(rewriter, loc, packed, 2, adaptor.getValueCache(), start);

    if (fresh == capacity) {
      Value attended =
          AttentionOp::create(rewriter, loc, type, adaptor.getQkv(),
                              op.getNumHeads(), op.getPattern());
      rewriter.replaceOp(op, {attended, keys, values});
      return success();
    }

    // Online softmax over blocks of the cache, only the blocks holding
    // positions some query may see: [lo, hi) with hi past the last new
    // position and lo at the start of the band.
    int64_t block = largestDivisor(capacity, kCacheBlock);
    Value q = part(
        0, emptyTensor(rewriter, loc, {batch, heads, fresh, headDim}, element));
    auto [lo, hi] = cacheBlockRange(rewriter, loc, start, fresh, block, window);
    Value heads4 = attendKeyBlocks(
        rewriter, loc, q, start, lo, hi, /*keysTransposed=*/false, window,
        emptyTensor(rewriter, loc, {batch, heads, fresh, headDim}, element),
        [&](OpBuilder &b, Location l, Value index) {
          Value offset = arith::MulIOp::create(
              b, l, index, arith::ConstantIndexOp::create(b, l, block));
          // The block divides the capacity, so it is contiguous in a ring.
          Value slot = arith::RemUIOp::create(b, l, offset, capacityIdx);
          SmallVector<OpFoldResult> offs = {
              b.getIndexAttr(0), b.getIndexAttr(0), slot, b.getIndexAttr(0)};
          SmallVector<OpFoldResult> szs = {
              b.getIndexAttr(batch), b.getIndexAttr(heads),
              b.getIndexAttr(block), b.getIndexAttr(headDim)};
          SmallVector<OpFoldResult> ones(4, b.getIndexAttr(1));
          return KeyBlock{
              tensor::ExtractSliceOp::create(b, l, keys, offs, szs, ones),
              tensor::ExtractSliceOp::create(b, l, values, offs, szs, ones),
              offset};
        });
    rewriter.replaceOp(op,
                       {mergeHeads(rewriter, loc, heads4, type), keys, values});
    return success();
  }
};

/// logits = x @ wte^T, as dot products with the rows of the tied table,
/// which is read in place. How to run it (a transposed copy, a split of the
/// vocabulary) is the target's choice.
struct LmHeadLowering : OpConversionPattern<LmHeadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LmHeadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    MLIRContext *ctx = getContext();
    // logits[b, t, v] = sum_c x[b, t, c] wte[v, c].
    Type element = type.getElementType(), operand = matmulOperandType(op);
    Value zeros = filledTensor(rewriter, loc, type.getShape(), element, 0.0);
    Value logits = generic(
        rewriter, loc,
        {matmulOperand(rewriter, loc, adaptor.getInput(), operand),
         matmulOperand(rewriter, loc, adaptor.getWte(), operand)},
        zeros,
        {dimsMap(ctx, 4, {0, 1, 3}), dimsMap(ctx, 4, {2, 3}),
         dimsMap(ctx, 4, {0, 1, 2})},
        {kPar, kPar, kPar, kRed}, [&](OpBuilder &b, Location l, ValueRange a) {
          auto widen = [&](Value v) -> Value {
            return v.getType() == element
                       ? v
                       : arith::ExtFOp::create(b, l, element, v);
          };
          Value p = arith::MulFOp::create(b, l, widen(a[0]), widen(a[1]));
          return arith::AddFOp::create(b, l, p, a[2]).getResult();
        });
    rewriter.replaceOp(op, logits);
    return success();
  }
};

/// loss = mean_n (logsumexp(logits[n, :]) - logits[n, target[n]]).
struct CrossEntropyLowering : OpConversionPattern<CrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CrossEntropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Type element = op.getType().getElementType();
    Value logits = collapseTo2d(rewriter, loc, adaptor.getLogits());
    int64_t rows = tensorType(logits).getDimSize(0);
    Value targets = tensor::CollapseShapeOp::create(
        rewriter, loc, adaptor.getTargets(),
        SmallVector<ReassociationIndices>{{0, 1}});

    auto [rowMax, sumExp] = rowMaxAndSumExp(rewriter, loc, logits);
    AffineMap one = dimsMap(ctx, 1, {0});
    // Per-row loss, summed into a rank-0 tensor: sum_n (lse_n - picked_n).
    Value total = filledTensor(rewriter, loc, {}, element, 0.0);
    AffineMap scalar = AffineMap::get(1, 0, {}, ctx);
    Value sum =
        generic(rewriter, loc, {sumExp, rowMax, targets}, total,
                {one, one, one, scalar}, {kRed},
                [&](OpBuilder &b, Location l, ValueRange a) {
                  Value n = linalg::IndexOp::create(b, l, 0);
                  Value t =
                      arith::IndexCastOp::create(b, l, b.getIndexType(), a[2]);
                  Value picked =
                      tensor::ExtractOp::create(b, l, logits, ValueRange{n, t});
                  Value lse = arith::AddFOp::create(
                      b, l, math::LogOp::create(b, l, a[0]), a[1]);
                  Value loss = arith::SubFOp::create(b, l, lse, picked);
                  return arith::AddFOp::create(b, l, loss, a[3]).getResult();
                });
    Value invRows = floatConstant(rewriter, loc, element, 1.0 / rows);
    Value mean =
        generic(rewriter, loc, sum, emptyTensor(rewriter, loc, {}, element),
                {AffineMap::get(0, 0, {}, ctx), AffineMap::get(0, 0, {}, ctx)},
                {}, [&](OpBuilder &b, Location l, ValueRange a) {
                  return arith::MulFOp::create(b, l, a[0], invRows).getResult();
                });
    rewriter.replaceOp(op, mean);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct ConvertTfmToLinalgPass
    : tfm::impl::ConvertTfmToLinalgPassBase<ConvertTfmToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet loops(ctx);
    populateScanLoweringPatterns(loops);
    walkAndApplyPatterns(getOperation(), std::move(loops));
    ConversionTarget target(*ctx);
    target.addIllegalDialect<TfmDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.addLegalOp<func::FuncOp, func::ReturnOp, func::CallOp>();
    // Each target carries collectives between ranks its own way.
    target.addLegalOp<AllReduceOp, AllGatherOp, RankShareOp, ReduceScatterOp>();
    RewritePatternSet patterns(ctx);
    populateTfmToLinalgConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::tfm::populateTfmToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  patterns
      .add<AddLowering, AttentionLowering, CachedAttentionLowering,
           CrossEntropyLowering, EmbeddingLowering, GeluLowering,
           LayerNormLowering, LinearLowering, LmHeadLowering, SoftmaxLowering>(
          patterns.getContext());
  populateTrainLoweringPatterns(patterns);
  populateAttentionGradLoweringPatterns(patterns);
}
