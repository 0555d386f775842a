//===- SplitReductionBlocks.cpp - Partial sums for few tiles ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A weight gradient sums over every token, (batch, position), into a small
// matrix: 768 x 768 over 16 x 1024 tokens is 36 block tiles of 128 x 128,
// a quarter of an H100's 132 SMs, each walking 16384 steps. Making the
// outer summed loop (the batch) parallel gives each tile a partial sum per
// batch row, 16 times the blocks; a second kernel adds the partials in
// batch order, so the result does not depend on scheduling.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/GPU/Passes.h"
#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUSPLITREDUCTIONBLOCKSPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm::lowering;

namespace {
/// A thread block's output tile (tfm-gpu-select-block-tiles' default).
constexpr int64_t kBlockTile = 128;

struct SplitReductionBlocksPattern
    : OpInterfaceRewritePattern<linalg::LinalgOp> {
  SplitReductionBlocksPattern(MLIRContext *ctx, int64_t minBlocks,
                              int64_t maxPartials, int64_t minInner)
      : OpInterfaceRewritePattern(ctx), minBlocks(minBlocks),
        maxPartials(maxPartials), minInner(minInner) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic || !isa<func::FuncOp, scf::ForOp>(op->getParentOp()) ||
        !op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
        !linalg::isaContractionOpInterface(op))
      return failure();
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (failed(dims) || dims->m.empty() || dims->n.empty() ||
        dims->k.size() < 2 || !dims->batch.empty() ||
        llvm::any_of(ranges, ShapedType::isDynamic))
      return failure();
    // The outer summed loop, made parallel: one partial per index.
    unsigned outer = dims->k.front();
    int64_t partials = ranges[outer];
    if (partials < 2 || partials > maxPartials)
      return failure();
    int64_t tiles = 1, inner = 1;
    for (unsigned d : llvm::concat<const unsigned>(dims->m, dims->n))
      tiles *= llvm::divideCeil(ranges[d], kBlockTile);
    for (unsigned d : dims->k)
      if (d != outer)
        inner *= ranges[d];
    // A short sum per partial (attention's output projection: 64 per
    // head) is not worth a second kernel.
    if (tiles >= minBlocks || inner < minInner)
      return failure();

    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    unsigned loops = op.getNumLoops();
    Value init = op.getDpsInitOperand(0)->get();
    auto type = cast<RankedTensorType>(init.getType());
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));

    // partial[outer, out...] = sum over the other summed loops.
    SmallVector<int64_t> partialShape = {partials};
    llvm::append_range(partialShape, type.getShape());
    SmallVector<AffineExpr> partialResults = {getAffineDimExpr(outer, ctx)};
    llvm::append_range(partialResults, outMap.getResults());
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    maps.back() = AffineMap::get(loops, 0, partialResults, ctx);
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    kinds[outer] = utils::IteratorType::parallel;
    Value zeros =
        filledTensor(rewriter, loc, partialShape, type.getElementType(), 0.0);
    auto partial = linalg::GenericOp::create(
        rewriter, loc, TypeRange{zeros.getType()}, op.getDpsInputs(),
        ValueRange{zeros}, maps, kinds);
    rewriter.cloneRegionBefore(generic.getRegion(), partial.getRegion(),
                               partial.getRegion().end());

    // out = init + partial[0] + partial[1] + ..., in that order.
    unsigned rank = type.getRank();
    SmallVector<utils::IteratorType> sumKinds(rank + 1,
                                              utils::IteratorType::parallel);
    sumKinds.front() = utils::IteratorType::reduction;
    auto sum = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{partial.getResult(0)},
        ValueRange{init},
        SmallVector<AffineMap>{
            AffineMap::getMultiDimIdentityMap(rank + 1, ctx),
            AffineMap::getMultiDimIdentityMap(rank + 1, ctx).dropResult(0)},
        sumKinds, [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, args[1], args[0]).getResult());
        });
    rewriter.replaceOp(op, sum.getResult(0));
    return success();
  }

  int64_t minBlocks, maxPartials, minInner;
};

struct TfmGpuSplitReductionBlocksPass
    : tfm::impl::TfmGpuSplitReductionBlocksPassBase<
          TfmGpuSplitReductionBlocksPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitReductionBlocksPattern>(&getContext(), minBlocks,
                                              maxPartials, minInner);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
