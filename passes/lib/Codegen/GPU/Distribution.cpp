//===- Distribution.cpp - Ops spread over blocks and threads ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

using namespace mlir;

namespace mlir::tfm::distribution {

bool isMappedTo(scf::ForallOp forall, Level level) {
  std::optional<ArrayAttr> mapping = forall.getMapping();
  if (!mapping || mapping->empty())
    return false;
  Attribute first = (*mapping)[0];
  switch (level) {
  case Level::Block:
    return isa<mlir::gpu::GPUBlockMappingAttr>(first);
  case Level::Warp:
    return isa<mlir::gpu::GPUWarpMappingAttr>(first);
  case Level::Thread:
    return isa<mlir::gpu::GPUThreadMappingAttr>(first);
  }
  llvm_unreachable("a mapping level");
}

bool isStep(scf::ForallOp forall) {
  return isMappedTo(forall, Level::Warp) || isMappedTo(forall, Level::Thread);
}

std::optional<SmallVector<int64_t>> tripCounts(scf::ForallOp forall) {
  std::optional<SmallVector<int64_t>> lbs =
      getConstantIntValues(forall.getMixedLowerBound());
  std::optional<SmallVector<int64_t>> ubs =
      getConstantIntValues(forall.getMixedUpperBound());
  std::optional<SmallVector<int64_t>> steps =
      getConstantIntValues(forall.getMixedStep());
  if (!lbs || !ubs || !steps)
    return std::nullopt;
  SmallVector<int64_t> counts;
  for (auto [lb, ub, step] : llvm::zip_equal(*lbs, *ubs, *steps))
    counts.push_back(llvm::divideCeil(ub - lb, step));
  return counts;
}

ArrayAttr mappingFor(MLIRContext *ctx, Level level, unsigned rank) {
  SmallVector<Attribute> attrs;
  for (unsigned i = 0; i < rank; ++i) {
    auto id = static_cast<mlir::gpu::MappingId>(
        static_cast<uint64_t>(mlir::gpu::MappingId::LinearDim0) + rank - 1 - i);
    if (level == Level::Block)
      attrs.push_back(mlir::gpu::GPUBlockMappingAttr::get(ctx, id));
    else if (level == Level::Warp)
      attrs.push_back(mlir::gpu::GPUWarpMappingAttr::get(ctx, id));
    else
      attrs.push_back(mlir::gpu::GPUThreadMappingAttr::get(ctx, id));
  }
  return ArrayAttr::get(ctx, attrs);
}

SmallVector<int64_t> splitParallelLoops(linalg::LinalgOp op, int64_t budget) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  SmallVector<int64_t> counts(ranges.size(), 1);
  for (int64_t i = ranges.size() - 1; i >= 0 && budget > 1; --i) {
    if (kinds[i] != utils::IteratorType::parallel)
      continue;
    counts[i] = lowering::largestDivisor(ranges[i], budget);
    budget /= counts[i];
  }
  return counts;
}

FailureOr<scf::ForallOp> distribute(RewriterBase &rewriter, linalg::LinalgOp op,
                                    ArrayRef<int64_t> counts, Level level) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (!op.hasPureBufferSemantics() || counts.size() != ranges.size())
    return failure();
  SmallVector<OpFoldResult> upperBounds;
  for (auto [range, count] : llvm::zip_equal(ranges, counts)) {
    if (ShapedType::isDynamic(range) || count < 1 || range % count != 0)
      return failure();
    if (count > 1)
      upperBounds.push_back(rewriter.getIndexAttr(count));
  }
  // A loop nest with nothing to split still runs as one worker's step.
  if (upperBounds.empty())
    upperBounds.push_back(rewriter.getIndexAttr(1));

  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  auto forall = scf::ForallOp::create(
      rewriter, loc, upperBounds, ValueRange{},
      mappingFor(rewriter.getContext(), level, upperBounds.size()));
  rewriter.setInsertionPointToStart(forall.getBody());

  SmallVector<OpFoldResult> offsets, tileSizes, tiledOffsets;
  SmallVector<OpFoldResult> bounds;
  unsigned iv = 0;
  for (auto [range, count] : llvm::zip_equal(ranges, counts)) {
    bounds.push_back(rewriter.getIndexAttr(range));
    if (count == 1) {
      offsets.push_back(rewriter.getIndexAttr(0));
      tileSizes.push_back(rewriter.getIndexAttr(0));
      continue;
    }
    int64_t tile = range / count;
    Value index = forall.getInductionVar(iv++);
    Value offset =
        tile == 1 ? index
                  : arith::MulIOp::create(
                        rewriter, loc, index,
                        arith::ConstantIndexOp::create(rewriter, loc, tile));
    offsets.push_back(offset);
    tiledOffsets.push_back(offset);
    tileSizes.push_back(rewriter.getIndexAttr(tile));
  }
  SmallVector<Value> operands = linalg::makeTiledShapes(
      rewriter, loc, op, op->getOperands(), tiledOffsets, tileSizes, bounds,
      /*omitPartialTileCheck=*/true);
  auto tiled =
      cast<linalg::LinalgOp>(mlir::clone(rewriter, op, TypeRange{}, operands));
  linalg::offsetIndices(rewriter, tiled, offsets);
  rewriter.eraseOp(op);
  return forall;
}

linalg::LinalgOp copyAsLinalg(RewriterBase &rewriter, Operation *copy) {
  auto memrefCopy = cast<memref::CopyOp>(copy);
  rewriter.setInsertionPoint(copy);
  auto linalgCopy = linalg::CopyOp::create(
      rewriter, copy->getLoc(), memrefCopy.getSource(), memrefCopy.getTarget());
  rewriter.eraseOp(copy);
  return linalgCopy;
}

} // namespace mlir::tfm::distribution
