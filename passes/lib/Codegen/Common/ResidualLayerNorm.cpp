//===- ResidualLayerNorm.cpp - Residual add + layer norm --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A pre-LayerNorm block reads the residual stream right after writing it:
// x = r + y, then the mean, the variance and the normalization of x. As one
// kernel over blocks of rows, each row is added, reduced twice and
// normalized while it is in L1.
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

#define DEBUG_TYPE "tfm-fuse-residual-layer-norm"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSERESIDUALLAYERNORMPASS
#include "tfm/Codegen/Common/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::lowering;

namespace {
/// The add whose sum `norm` normalizes, when the kernel may replace it:
/// the sum is replaced where the norm is, so every other reader must come
/// later. An add read by two norms is fused into the first.
AddOp fusableAdd(LayerNormOp norm) {
  auto add = norm.getInput().getDefiningOp<AddOp>();
  if (add && llvm::any_of(add->getUsers(), [&](Operation *user) {
        return user->getBlock() != norm->getBlock() ||
               user->isBeforeInBlock(norm);
      }))
    return nullptr;
  return add;
}

struct ResidualLayerNormPattern : OpRewritePattern<LayerNormOp> {
  ResidualLayerNormPattern(MLIRContext *ctx, const RowTiles &tiles)
      : OpRewritePattern<LayerNormOp>(ctx), tiles(tiles) {}
  LogicalResult matchAndRewrite(LayerNormOp norm,
                                PatternRewriter &rewriter) const override {
    buildResidualLayerNorm(rewriter, norm, fusableAdd(norm), tiles);
    return success();
  }
  RowTiles tiles;
};

struct TfmFuseResidualLayerNormPass
    : tfm::impl::TfmFuseResidualLayerNormPassBase<
          TfmFuseResidualLayerNormPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateResidualLayerNormPatterns(patterns, RowTiles{rows});
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace

void tfm::populateResidualLayerNormPatterns(RewritePatternSet &patterns,
                                            const RowTiles &tiles) {
  patterns.add<ResidualLayerNormPattern>(patterns.getContext(), tiles);
}

/// Replaces `norm` (and `add`, its input, when not null) with one
/// scf.forall over blocks of rows of the (N, C) views.
void tfm::buildResidualLayerNorm(RewriterBase &b, LayerNormOp norm, AddOp add,
                                 const RowTiles &rowTiles) {
  Location loc = norm.getLoc();
  MLIRContext *ctx = b.getContext();
  RankedTensorType type = norm.getType();
  Type element = type.getElementType();
  b.setInsertionPoint(norm);
  SmallVector<Value> inputs;
  if (add)
    inputs = {collapseTo2d(b, loc, add.getLhs()),
              collapseTo2d(b, loc, add.getRhs())};
  else
    inputs = {collapseTo2d(b, loc, norm.getInput())};
  int64_t rows = tensorType(inputs[0]).getDimSize(0);
  int64_t width = tensorType(inputs[0]).getDimSize(1);
  int64_t block = largestDivisor(rows, rowTiles.rows);
  SmallVector<Value> outs = {emptyTensor(b, loc, {rows, width}, element)};
  if (add)
    outs.push_back(emptyTensor(b, loc, {rows, width}, element));

  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(rows / block)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)}, outs, std::nullopt);
  nameKernel(forall, add ? "residual_layer_norm" : "layer_norm");
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value first =
      arith::MulIOp::create(b, loc, forall.getInductionVars()[0],
                            arith::ConstantIndexOp::create(b, loc, block));
  SmallVector<OpFoldResult> offsets = {first, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = getAsIndexOpFoldResult(ctx, {block, width});
  SmallVector<OpFoldResult> strides = getAsIndexOpFoldResult(ctx, {1, 1});
  auto rowsOf = [&](Value v) {
    return tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides)
        .getResult();
  };
  ValueRange shared = forall.getRegionIterArgs();
  SmallVector<Value> tiles;
  Value x = rowsOf(inputs[0]);
  if (add) {
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    x = generic(b, loc, {x, rowsOf(inputs[1])}, rowsOf(shared[1]), {id, id, id},
                {kPar, kPar}, [](OpBuilder &nb, Location l, ValueRange a) {
                  return arith::AddFOp::create(nb, l, a[0], a[1]).getResult();
                });
  }
  auto [mean, rstd] =
      layerNormStats(b, loc, x, norm.getEpsilon().convertToDouble());
  tiles.push_back(normalizeLayer(b, loc, x, mean, rstd, norm.getGamma(),
                                 norm.getBeta(), rowsOf(shared[0])));
  if (add)
    tiles.push_back(x);

  b.setInsertionPointToStart(forall.getTerminator().getBody());
  for (auto [tile, dest] : llvm::zip(tiles, shared))
    tensor::ParallelInsertSliceOp::create(b, loc, tile, dest, offsets, sizes,
                                          strides);
  b.setInsertionPointAfter(forall);
  b.replaceOp(norm, expandFrom2d(b, loc, forall.getResult(0), type));
  if (add)
    b.replaceOp(add, expandFrom2d(b, loc, forall.getResult(1), type));
}
