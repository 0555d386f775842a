//===- SplitVocabulary.cpp - The output projection's CPU layout -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The output projection x @ wte^T reads the tied table along its rows. For
// more than a few rows of x the CPU transposes the table once, so its
// matmul reads row-major panels, and splits the vocabulary into a part
// whose width the thread and register tiles divide and a narrow tail
// (50257 = 50176 + 81): without the split, 50257 = 29 x 1733 has no
// divisor near a tile.
//
//===----------------------------------------------------------------------===//

#include "ThreadTiles.h"

#include "tfm/Codegen/CPU/Passes.h"
#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

#define DEBUG_TYPE "tfm-cpu-split-vocabulary"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPUSPLITVOCABULARYPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm::lowering;

namespace {

/// out[m..., n] = sum_k x[m..., k] w[n, k] + fill, at function level (not
/// a tile of a kernel), with more than the dot-product rows.
bool isWideTransposedProduct(linalg::LinalgOp op) {
  if (!isa<func::FuncOp>(op->getParentOp()) || !op.hasPureTensorSemantics() ||
      op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op) ||
      !op.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>())
    return false;
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!type.hasStaticShape())
    return false;
  unsigned rank = type.getRank(), loops = rank + 1;
  if (op.getNumLoops() != loops)
    return false;
  MLIRContext *ctx = op.getContext();
  SmallVector<unsigned> lhs = llvm::to_vector(llvm::seq(rank - 1));
  lhs.push_back(rank);
  SmallVector<AffineMap> expected = {
      dimsMap(ctx, loops, lhs), dimsMap(ctx, loops, {rank - 1, rank}),
      AffineMap::getMultiDimIdentityMap(loops, ctx).dropResult(rank)};
  if (op.getIndexingMapsArray() != expected)
    return false;
  return type.getNumElements() / type.getShape().back() > tfm::kDotProductRows;
}

struct SplitVocabularyPattern : OpInterfaceRewritePattern<linalg::LinalgOp> {
  SplitVocabularyPattern(MLIRContext *ctx, int64_t block)
      : OpInterfaceRewritePattern(ctx), block(block) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!isWideTransposedProduct(op))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    unsigned rank = type.getRank();
    Value x = op.getDpsInputs()[0], w = op.getDpsInputs()[1];
    auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
    Type element = type.getElementType();
    int64_t vocab = type.getShape().back();
    auto table = cast<RankedTensorType>(w.getType());
    int64_t width = table.getDimSize(1);

    // In the table's own type: bf16 under --dtype bf16.
    Value wT =
        linalg::TransposeOp::create(
            rewriter, loc, w,
            emptyTensor(rewriter, loc, {width, vocab}, table.getElementType()),
            ArrayRef<int64_t>{1, 0})
            .getResult()[0];
    // A linalg.contract straight into slices of the result: no reshape lies
    // between the matmul and the result, so each register tile's
    // accumulator is a plain slice of the output.
    unsigned loops = rank + 1;
    SmallVector<unsigned> lhsDims = llvm::to_vector(llvm::seq(rank - 1));
    lhsDims.push_back(rank);
    SmallVector<AffineMap> maps = {
        dimsMap(ctx, loops, lhsDims), dimsMap(ctx, loops, {rank, rank - 1}),
        AffineMap::getMultiDimIdentityMap(loops, ctx).dropResult(rank)};
    auto index = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };
    // Every column is written by a part, so an empty destination stays
    // empty: a new one, made after the transposed table, keeps the order
    // in which buffers are planned the same as for any other matmul.
    Value result = fill.getOutputs()[0];
    if (result.getDefiningOp<tensor::EmptyOp>())
      result = emptyTensor(rewriter, loc, type.getShape(), element);
    int64_t main = vocab - vocab % block;
    for (auto [begin, size] :
         {std::pair<int64_t, int64_t>{0, main}, {main, vocab - main}}) {
      if (size == 0)
        continue;
      Value part = tensor::ExtractSliceOp::create(
          rewriter, loc, wT, {index(0), index(begin)},
          {index(width), index(size)}, {index(1), index(1)});
      SmallVector<OpFoldResult> offsets(rank, index(0));
      offsets.back() = index(begin);
      SmallVector<OpFoldResult> sizes =
          getAsIndexOpFoldResult(ctx, type.getShape());
      sizes.back() = index(size);
      SmallVector<OpFoldResult> strides(rank, index(1));
      Value columns = tensor::ExtractSliceOp::create(rewriter, loc, result,
                                                     offsets, sizes, strides);
      columns =
          linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], columns)
              .getResult(0);
      columns =
          linalg::ContractOp::create(
              rewriter, loc, TypeRange{columns.getType()}, ValueRange{x, part},
              ValueRange{columns}, rewriter.getAffineMapArrayAttr(maps))
              .getResult(0);
      result = tensor::InsertSliceOp::create(rewriter, loc, columns, result,
                                             offsets, sizes, strides);
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  int64_t block;
};

/// The table's gradient, `d_wte[v, c] = sum_t dlogits[t, v] x[t, c]`: any
/// function-level contraction into a fill whose innermost m extent is long
/// and not a multiple of the block. Each part is filled and computed in its
/// own rows of a fresh result, so the fill (which the embedding gradient
/// also starts from) is not a buffer both write into.
struct SplitRowsPattern : OpInterfaceRewritePattern<linalg::LinalgOp> {
  SplitRowsPattern(MLIRContext *ctx, int64_t block)
      : OpInterfaceRewritePattern(ctx), block(block) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<func::FuncOp>(op->getParentOp()) || !op.hasPureTensorSemantics() ||
        op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
      return failure();
    auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (!fill || failed(dims) || dims->m.empty() ||
        llvm::any_of(ranges, ShapedType::isDynamic))
      return failure();
    unsigned d = dims->m.back();
    int64_t extent = ranges[d], main = extent - extent % block;
    if (extent < kMinSplitRows || main == extent)
      return failure();

    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    Value result = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                           type.getElementType());
    auto tiling = cast<TilingInterface>(op.getOperation());
    for (auto [begin, size] :
         {std::pair<int64_t, int64_t>{0, main}, {main, extent - main}}) {
      SmallVector<OpFoldResult> offsets(ranges.size(),
                                        rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes =
          getAsIndexOpFoldResult(op.getContext(), ranges);
      offsets[d] = rewriter.getIndexAttr(begin);
      sizes[d] = rewriter.getIndexAttr(size);
      SmallVector<OpFoldResult> rowOffsets, rowSizes;
      if (failed(tiling.getResultTilePosition(rewriter, 0, offsets, sizes,
                                              rowOffsets, rowSizes)))
        return failure();
      SmallVector<OpFoldResult> strides(rowOffsets.size(),
                                        rewriter.getIndexAttr(1));
      Value rows = tensor::ExtractSliceOp::create(
          rewriter, loc, result, rowOffsets, rowSizes, strides);
      Value filled =
          linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], rows)
              .getResult(0);
      FailureOr<TilingResult> part =
          tiling.getTiledImplementation(rewriter, offsets, sizes);
      if (failed(part))
        return failure();
      auto tiled = cast<linalg::LinalgOp>(part->tiledOps.front());
      rewriter.modifyOpInPlace(
          tiled, [&] { tiled.getDpsInitOperand(0)->set(filled); });
      result =
          tensor::InsertSliceOp::create(rewriter, loc, tiled->getResult(0),
                                        result, rowOffsets, rowSizes, strides);
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  /// Shorter m extents tile well enough whole.
  static constexpr int64_t kMinSplitRows = 4096;
  int64_t block;
};

struct TfmCpuSplitVocabularyPass
    : tfm::impl::TfmCpuSplitVocabularyPassBase<TfmCpuSplitVocabularyPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitVocabularyPattern, SplitRowsPattern>(&getContext(),
                                                           vocabBlock);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
