//===- SplitReduction.cpp - A block's reduction over its threads -*- C++ -*-=//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A row reduction with fewer rows than threads (a layer norm's statistics
// in a block of 16 rows; every row reduction of a decode step) would leave
// most threads idle while one walks a whole row. Its reduction is split
// among threads instead: each folds every S-th element of its row into a
// partial (starting from the combiner's identity), and a second step folds
// the S partials into the result. Both steps are ordinary linalg ops, so
// they distribute, emulate and lower like any other.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace mlir::tfm::distribution {

FailureOr<SmallVector<linalg::LinalgOp>>
splitReduction(RewriterBase &rewriter, linalg::LinalgOp op, int64_t threads) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || !op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1)
    return failure();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<unsigned> reductions;
  op.getReductionDims(reductions);
  unsigned r = reductions.front();
  int64_t rows = 1;
  for (auto [i, range] : llvm::enumerate(ranges))
    if (i != r)
      rows *= range;
  int64_t length = ranges[r];
  int64_t parts = lowering::largestDivisor(length, threads / rows);
  // Worth two more steps only when many more threads take part.
  if (ShapedType::isDynamic(length) || rows * 4 > threads || parts < 4)
    return failure();

  SmallVector<Operation *> combiners;
  if (!matchReduction(op.getRegionOutputArgs(), 0, combiners) ||
      combiners.size() != 1 || combiners[0]->getNumOperands() != 2)
    return failure();
  Operation *combiner = combiners[0];
  std::optional<TypedAttr> identity = arith::getNeutralElement(combiner);
  auto out = cast<TypedValue<MemRefType>>(op.getDpsInitOperand(0)->get());
  if (!identity || !out.getType().hasStaticShape())
    return failure();

  MLIRContext *ctx = rewriter.getContext();
  Location loc = op.getLoc();
  unsigned loops = op.getNumLoops();
  Type element = out.getType().getElementType();
  rewriter.setInsertionPoint(op);

  // Partials [out shape..., parts], from the combiner's identity.
  SmallVector<int64_t> partialShape(out.getType().getShape());
  partialShape.push_back(parts);
  Value partials = memref::AllocOp::create(
      rewriter, loc, MemRefType::get(partialShape, element));
  Value neutral = arith::ConstantOp::create(rewriter, loc, *identity);
  auto fill = linalg::FillOp::create(rewriter, loc, neutral, partials);

  // Loop `loops` is the part; element j * parts + part of the row goes to
  // it, so consecutive threads read consecutive elements. An input that
  // runs along the row is viewed as [..., length / parts, parts, ...].
  AffineExpr j = getAffineDimExpr(r, ctx);
  AffineExpr part = getAffineDimExpr(loops, ctx);
  SmallVector<AffineMap> maps;
  SmallVector<Value> inputs;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    std::optional<unsigned> at = map.getResultPosition(j);
    if (!at) {
      if (map.isFunctionOfDim(r))
        return failure();
      maps.push_back(AffineMap::get(loops + 1, 0, map.getResults(), ctx));
      inputs.push_back(input->get());
      continue;
    }
    auto type = cast<MemRefType>(input->get().getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[*at] = length / parts;
    shape.insert(shape.begin() + *at + 1, parts);
    SmallVector<ReassociationIndices> groups;
    for (int64_t d = 0, e = type.getRank(); d < e; ++d)
      groups.push_back(d == *at  ? ReassociationIndices{d, d + 1}
                       : d > *at ? ReassociationIndices{d + 1}
                                 : ReassociationIndices{d});
    inputs.push_back(memref::ExpandShapeOp::create(rewriter, loc, shape,
                                                   input->get(), groups));
    SmallVector<AffineExpr> results(map.getResults());
    results.insert(results.begin() + *at + 1, part);
    maps.push_back(AffineMap::get(loops + 1, 0, results, ctx));
  }
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<AffineExpr> partialResults(outMap.getResults());
  partialResults.push_back(part);
  maps.push_back(AffineMap::get(loops + 1, 0, partialResults, ctx));
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  kinds.push_back(utils::IteratorType::parallel);
  auto partial = linalg::GenericOp::create(rewriter, loc, TypeRange{}, inputs,
                                           ValueRange{partials}, maps, kinds);
  rewriter.cloneRegionBefore(generic.getRegion(), partial.getRegion(),
                             partial.getRegion().end());
  // The body's view of the reduction index is the element's.
  partial.getRegion().walk([&](linalg::IndexOp index) {
    if (index.getDim() != r)
      return;
    rewriter.setInsertionPoint(index);
    Value step = linalg::IndexOp::create(rewriter, loc, r);
    Value p = linalg::IndexOp::create(rewriter, loc, loops);
    Value scaled = arith::MulIOp::create(
        rewriter, loc, step,
        arith::ConstantIndexOp::create(rewriter, loc, parts));
    rewriter.replaceOpWithNewOp<arith::AddIOp>(index, scaled, p);
  });
  rewriter.setInsertionPointAfter(partial);

  // result = combine(result, partials[..., 0..parts)).
  unsigned rank = out.getType().getRank();
  AffineMap identityMap = rewriter.getMultiDimIdentityMap(rank + 1);
  SmallVector<utils::IteratorType> finalKinds(rank,
                                              utils::IteratorType::parallel);
  finalKinds.push_back(utils::IteratorType::reduction);
  auto final = linalg::GenericOp::create(
      rewriter, loc, TypeRange{}, ValueRange{partials}, ValueRange{out},
      ArrayRef<AffineMap>{identityMap, identityMap.dropResult(rank)},
      finalKinds, [&](OpBuilder &b, Location l, ValueRange args) {
        IRMapping map;
        BlockArgument acc = op.getRegionOutputArgs()[0];
        for (Value operand : combiner->getOperands())
          map.map(operand, operand == acc ? args[1] : args[0]);
        Operation *combined = b.clone(*combiner, map);
        linalg::YieldOp::create(b, l, combined->getResult(0));
      });
  rewriter.eraseOp(op);
  return SmallVector<linalg::LinalgOp>{fill, partial, final};
}

} // namespace mlir::tfm::distribution
