//===- SplitVocabulary.cpp - The output projection's columns ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The output projection x @ wte^T has as many columns as the vocabulary,
// 50257 = 29 x 1733: no divisor near a CPU thread tile or a GPU thread
// block's tile. Split into a part whose width the tiles divide and a narrow
// tail (50257 = 50176 + 81), the part runs as any other matmul: on the
// CPU's register tiles, on the GPU's tensor cores.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Common/Kernels.h"
#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace mlir::tfm::lowering;

namespace {

/// out[m..., n] = sum_k x[m..., k] w[n, k] + fill, at function level (not
/// a tile of a kernel), with more than `minRows` rows.
bool isWideTransposedProduct(linalg::LinalgOp op, int64_t minRows) {
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
  return type.getNumElements() / type.getShape().back() > minRows;
}

struct SplitVocabularyPattern : OpInterfaceRewritePattern<linalg::LinalgOp> {
  SplitVocabularyPattern(MLIRContext *ctx, int64_t block, int64_t minRows,
                         bool transposeTable)
      : OpInterfaceRewritePattern(ctx), block(block), minRows(minRows),
        transposeTable(transposeTable) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!isWideTransposedProduct(op, minRows))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    unsigned rank = type.getRank();
    Value x = op.getDpsInputs()[0], w = op.getDpsInputs()[1];
    auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
    Type element = type.getElementType();
    int64_t vocab = type.getShape().back();
    int64_t width = cast<RankedTensorType>(w.getType()).getDimSize(1);

    // The CPU reads row-major panels of a table transposed once; the GPU's
    // tensor cores take B as (n, k), the table as it is.
    Value table = w;
    if (transposeTable)
      table = linalg::TransposeOp::create(
                  rewriter, loc, w,
                  emptyTensor(rewriter, loc, {width, vocab}, element),
                  ArrayRef<int64_t>{1, 0})
                  .getResult()[0];
    // A linalg.contract straight into slices of the result: no reshape lies
    // between the matmul and the result, so each register tile's
    // accumulator is a plain slice of the output.
    unsigned loops = rank + 1;
    SmallVector<unsigned> lhsDims = llvm::to_vector(llvm::seq(rank - 1));
    lhsDims.push_back(rank);
    SmallVector<AffineMap> maps = {
        dimsMap(ctx, loops, lhsDims),
        transposeTable ? dimsMap(ctx, loops, {rank, rank - 1})
                       : dimsMap(ctx, loops, {rank - 1, rank}),
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
      Value columnsOfTable =
          transposeTable
              ? tensor::ExtractSliceOp::create(
                    rewriter, loc, table, {index(0), index(begin)},
                    {index(width), index(size)}, {index(1), index(1)})
              : tensor::ExtractSliceOp::create(
                    rewriter, loc, table, {index(begin), index(0)},
                    {index(size), index(width)}, {index(1), index(1)});
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
      columns = linalg::ContractOp::create(
                    rewriter, loc, TypeRange{columns.getType()},
                    ValueRange{x, columnsOfTable}, ValueRange{columns},
                    rewriter.getAffineMapArrayAttr(maps))
                    .getResult(0);
      result = tensor::InsertSliceOp::create(rewriter, loc, columns, result,
                                             offsets, sizes, strides);
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  int64_t block, minRows;
  bool transposeTable;
};
} // namespace

void mlir::tfm::populateSplitVocabularyPatterns(RewritePatternSet &patterns,
                                                int64_t block, int64_t minRows,
                                                bool transposeTable) {
  patterns.add<SplitVocabularyPattern>(patterns.getContext(), block, minRows,
                                       transposeTable);
}
