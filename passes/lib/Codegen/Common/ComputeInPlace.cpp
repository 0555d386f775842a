//===- ComputeInPlace.cpp - Results computed where they are kept -*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// One-shot bufferization writes a value straight into the slot it is
// inserted into only when destination-passing ops connect the two, and an
// init that several ops write into becomes one buffer copied for each. Both
// cost a copy of an activation per layer in a training step; these
// rewrites remove the obstacles on tensors, before bufferization.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Common/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCOMPUTEINPLACEPASS
#include "tfm/Codegen/Common/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
/// Where a reshape of the destination goes: right after the destination is
/// defined, so that it dominates the op that computes the inserted value
/// and empty-tensor elimination can take the slot from it.
void setInsertionAfterDefinition(RewriterBase &rewriter, Value value) {
  if (auto arg = dyn_cast<BlockArgument>(value))
    rewriter.setInsertionPointToStart(arg.getOwner());
  else
    rewriter.setInsertionPointAfterValue(value);
}

/// The destination dimension each dimension of the inserted value fills.
SmallVector<int64_t> filledDims(tensor::InsertSliceOp insert) {
  llvm::SmallBitVector dropped = insert.getDroppedDims();
  SmallVector<int64_t> dims;
  for (int64_t d = 0, e = insert.getDestType().getRank(); d < e; ++d)
    if (!dropped.test(d))
      dims.push_back(d);
  return dims;
}

/// Whether the slice covers dimension `d` of the destination whole.
bool coversWhole(tensor::InsertSliceOp insert, int64_t d) {
  std::optional<int64_t> offset =
      getConstantIntValue(insert.getMixedOffsets()[d]);
  std::optional<int64_t> size = getConstantIntValue(insert.getMixedSizes()[d]);
  return offset == 0 && size == insert.getDestType().getDimSize(d);
}

/// Whether moving the reshape can let bufferization compute `value` in its
/// slot: `value` is written into an init (empty-tensor elimination can give
/// it the slot) and the insert is the destination's only reader (a read of
/// the same slot, as an accumulation does, is matched with its write only
/// when both address the destination alike).
bool computableInSlot(tensor::InsertSliceOp insert, Value value) {
  Operation *def = value.getDefiningOp();
  return insert.getDest().hasOneUse() && def &&
         isa<DestinationStyleOpInterface, scf::ForallOp>(def);
}

/// Whether `group` of `shape` splits or merges real extents, not only unit
/// dimensions (those tiled loops add and drop, and bufferization handles).
bool mergesExtents(ArrayRef<int64_t> shape, ArrayRef<int64_t> group) {
  return llvm::count_if(group, [&](int64_t d) { return shape[d] != 1; }) > 1;
}

/// Inserts `value` into `dest` reshaped by `groups` (the destination's
/// dimensions each dimension of the reshaped destination stands for) and
/// reshapes the result back: a collapse when the value is the flat form of
/// what was inserted, an expansion when it is the split form.
Value insertIntoReshaped(RewriterBase &rewriter, tensor::InsertSliceOp insert,
                         Value value, ArrayRef<ReassociationIndices> groups,
                         ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes,
                         RankedTensorType reshapedType, bool collapse) {
  Location loc = insert.getLoc();
  Value dest = insert.getDest();
  RankedTensorType destType = insert.getDestType();
  OpBuilder::InsertionGuard guard(rewriter);
  setInsertionAfterDefinition(rewriter, dest);
  Value reshaped = collapse ? tensor::CollapseShapeOp::create(
                                  rewriter, loc, reshapedType, dest, groups)
                                  .getResult()
                            : tensor::ExpandShapeOp::create(
                                  rewriter, loc, reshapedType, dest, groups)
                                  .getResult();
  rewriter.setInsertionPoint(insert);
  SmallVector<OpFoldResult> strides(offsets.size(), rewriter.getIndexAttr(1));
  Value inserted = tensor::InsertSliceOp::create(rewriter, loc, value, reshaped,
                                                 offsets, sizes, strides);
  if (collapse)
    return tensor::ExpandShapeOp::create(rewriter, loc, destType, inserted,
                                         groups);
  return tensor::CollapseShapeOp::create(rewriter, loc, destType, inserted,
                                         groups);
}

/// `insert (expand_shape %x) into %dest` becomes an insert of %x into %dest
/// with the split dimensions collapsed, when the slice covers all but the
/// first of each split group whole.
struct InsertExpandedValue : OpRewritePattern<tensor::InsertSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::InsertSliceOp insert,
                                PatternRewriter &rewriter) const override {
    auto expand = insert.getSource().getDefiningOp<tensor::ExpandShapeOp>();
    RankedTensorType destType = insert.getDestType();
    if (!expand || !destType.hasStaticShape() || !insert.hasUnitStride() ||
        !computableInSlot(insert, expand.getSrc()))
      return failure();
    SmallVector<int64_t> filled = filledDims(insert);
    // Destination dimension -> the group of the value's dimension it is
    // part of, for groups of more than one dimension.
    DenseMap<int64_t, int64_t> groupOf;
    SmallVector<ReassociationIndices> split = expand.getReassociationIndices();
    for (auto [j, group] : llvm::enumerate(split)) {
      if (!mergesExtents(expand.getResultType().getShape(), group))
        continue;
      for (auto [k, index] : llvm::enumerate(group)) {
        int64_t d = filled[index];
        if (k > 0 && (d != filled[group[k - 1]] + 1 || !coversWhole(insert, d)))
          return rewriter.notifyMatchFailure(insert, "a split group is not "
                                                     "contiguous or not whole");
        groupOf[d] = j;
      }
      if (!getConstantIntValue(insert.getMixedOffsets()[filled[group[0]]]))
        return rewriter.notifyMatchFailure(insert, "dynamic group offset");
    }
    if (groupOf.empty())
      return failure();

    SmallVector<ReassociationIndices> groups;
    SmallVector<int64_t> shape;
    SmallVector<OpFoldResult> offsets, sizes;
    for (int64_t d = 0, e = destType.getRank(); d < e;) {
      auto it = groupOf.find(d);
      int64_t width = it == groupOf.end() ? 1 : split[it->second].size();
      ReassociationIndices group;
      int64_t extent = 1;
      for (int64_t k = d; k < d + width; ++k) {
        group.push_back(k);
        extent *= destType.getDimSize(k);
      }
      shape.push_back(extent);
      if (width == 1) {
        offsets.push_back(insert.getMixedOffsets()[d]);
        sizes.push_back(insert.getMixedSizes()[d]);
      } else {
        int64_t inner = extent / destType.getDimSize(d);
        offsets.push_back(rewriter.getIndexAttr(
            *getConstantIntValue(insert.getMixedOffsets()[d]) * inner));
        sizes.push_back(rewriter.getIndexAttr(
            *getConstantIntValue(insert.getMixedSizes()[d]) * inner));
      }
      groups.push_back(group);
      d += width;
    }
    auto reshapedType = RankedTensorType::get(shape, destType.getElementType());
    rewriter.replaceOp(insert,
                       insertIntoReshaped(rewriter, insert, expand.getSrc(),
                                          groups, offsets, sizes, reshapedType,
                                          /*collapse=*/true));
    return success();
  }
};

/// `insert (collapse_shape %x) into %dest` becomes an insert of %x into
/// %dest with the merged dimensions split, when the slice covers each
/// merged dimension whole.
struct InsertCollapsedValue : OpRewritePattern<tensor::InsertSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::InsertSliceOp insert,
                                PatternRewriter &rewriter) const override {
    auto collapse = insert.getSource().getDefiningOp<tensor::CollapseShapeOp>();
    RankedTensorType destType = insert.getDestType();
    if (!collapse || !destType.hasStaticShape() || !insert.hasUnitStride() ||
        !collapse.getSrcType().hasStaticShape() ||
        !computableInSlot(insert, collapse.getSrc()))
      return failure();
    SmallVector<int64_t> filled = filledDims(insert);
    ArrayRef<int64_t> valueShape = collapse.getSrcType().getShape();
    // Destination dimension -> the value's dimensions it splits into.
    DenseMap<int64_t, ReassociationIndices> splitInto;
    for (auto [j, group] :
         llvm::enumerate(collapse.getReassociationIndices())) {
      if (!mergesExtents(valueShape, group))
        continue;
      if (!coversWhole(insert, filled[j]))
        return rewriter.notifyMatchFailure(insert, "a merged dimension is "
                                                   "not inserted whole");
      splitInto[filled[j]] = group;
    }
    if (splitInto.empty())
      return failure();

    SmallVector<ReassociationIndices> groups;
    SmallVector<int64_t> shape;
    SmallVector<OpFoldResult> offsets, sizes;
    for (int64_t d = 0, e = destType.getRank(); d < e; ++d) {
      ReassociationIndices group;
      auto it = splitInto.find(d);
      if (it == splitInto.end()) {
        group.push_back(shape.size());
        shape.push_back(destType.getDimSize(d));
        offsets.push_back(insert.getMixedOffsets()[d]);
        sizes.push_back(insert.getMixedSizes()[d]);
      } else {
        for (int64_t index : it->second) {
          group.push_back(shape.size());
          shape.push_back(valueShape[index]);
          offsets.push_back(rewriter.getIndexAttr(0));
          sizes.push_back(rewriter.getIndexAttr(valueShape[index]));
        }
      }
      groups.push_back(group);
    }
    auto reshapedType = RankedTensorType::get(shape, destType.getElementType());
    rewriter.replaceOp(insert,
                       insertIntoReshaped(rewriter, insert, collapse.getSrc(),
                                          groups, offsets, sizes, reshapedType,
                                          /*collapse=*/false));
    return success();
  }
};

/// Whether `use` hands its tensor to an op that writes into it.
bool writesInto(OpOperand &use) {
  Operation *owner = use.getOwner();
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(owner))
    return dps.isDpsInit(&use);
  if (auto loop = dyn_cast<LoopLikeOpInterface>(owner))
    return llvm::is_contained(loop.getInitsMutable(), use);
  return false;
}

/// Whether `value` is a tensor.empty, or a reshape of one.
bool isEmpty(Value value) {
  Operation *op = value.getDefiningOp();
  while (op && isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op))
    op = op->getOperand(0).getDefiningOp();
  return op && isa<tensor::EmptyOp>(op);
}

/// Gives each op that writes into the result of `fill` (a fill, or a loop
/// that only fills) a copy of `fill` of its own, right before it, over a
/// copy of `init` where that is an empty tensor; with `ownShape`, also where
/// `init` reshapes one, as an empty tensor of the fill's own shape (which
/// empty-tensor elimination can turn into the slot the writer's result is
/// inserted into). `fill` goes when nothing else uses it.
LogicalResult cloneForEachWriter(PatternRewriter &rewriter, Operation *fill,
                                 Value init, bool ownShape) {
  SmallVector<OpOperand *> writers;
  for (OpOperand &use : fill->getResult(0).getUses())
    if (writesInto(use))
      writers.push_back(&use);
  if (writers.empty())
    return failure();
  auto type = cast<RankedTensorType>(init.getType());
  for (OpOperand *use : writers) {
    rewriter.setInsertionPoint(use->getOwner());
    IRMapping mapping;
    if (ownShape && type.hasStaticShape() && isEmpty(init))
      mapping.map(init, tensor::EmptyOp::create(rewriter, fill->getLoc(),
                                                type.getShape(),
                                                type.getElementType()));
    else if (auto empty = init.getDefiningOp<tensor::EmptyOp>())
      mapping.map(init, rewriter.clone(*empty)->getResult(0));
    Operation *own = rewriter.clone(*fill, mapping);
    rewriter.modifyOpInPlace(use->getOwner(),
                             [&] { use->set(own->getResult(0)); });
  }
  if (fill->use_empty())
    rewriter.eraseOp(fill);
  return success();
}

/// A fill several ops write into is filled once for each of them, right
/// before it, instead of once and copied for each.
struct FillForEachWriter : OpRewritePattern<linalg::FillOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::FillOp fill,
                                PatternRewriter &rewriter) const override {
    if (!fill.hasPureTensorSemantics() || fill.getResult(0).hasOneUse())
      return failure();
    return cloneForEachWriter(rewriter, fill, fill.getOutputs()[0],
                              /*ownShape=*/false);
  }
};

/// A fill already tiled for threads, blocks or vectors: a loop with one
/// result over an empty tensor (or a reshape of one) whose bounds and body
/// use nothing from outside but constants, so its result is that of the
/// body alone.
bool isTiledFill(LoopLikeOpInterface loop) {
  if (loop->getNumResults() != 1 || loop.getInits().size() != 1)
    return false;
  Value init = loop.getInits()[0];
  auto type = dyn_cast<RankedTensorType>(init.getType());
  if (!type || !type.hasStaticShape() || !isEmpty(init))
    return false;
  for (Value operand : loop->getOperands())
    if (operand != init && !matchPattern(operand, m_Constant()))
      return false;
  Region &body = *loop.getLoopRegions().front();
  WalkResult walk = body.walk([&](Operation *op) {
    for (Value operand : op->getOperands()) {
      Region *home = operand.getParentRegion();
      bool inside = home == &body || body.isAncestor(home);
      if (!inside && !matchPattern(operand, m_Constant()))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return !walk.wasInterrupted();
}

/// The same for a tiled fill: each writer gets its own loop over its own
/// empty tensor (the fill of both slots of a layer loop's body, merged by
/// CSE, would otherwise be filled once and copied twice; a fill hoisted out
/// of the layer loop, once per iteration). A tiled fill of a reshaped empty
/// tensor, or one hoisted out of the loop its writer is in, is moved the
/// same way even with one writer.
struct TiledFillForEachWriter : OpInterfaceRewritePattern<LoopLikeOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(LoopLikeOpInterface loop,
                                PatternRewriter &rewriter) const override {
    Value result = loop->getResult(0);
    if (!isTiledFill(loop) ||
        (result.hasOneUse() &&
         loop.getInits()[0].getDefiningOp<tensor::EmptyOp>() &&
         result.getUses().begin()->getOwner()->getBlock() == loop->getBlock()))
      return failure();
    return cloneForEachWriter(rewriter, loop, loop.getInits()[0],
                              /*ownShape=*/true);
  }
};

struct TfmComputeInPlacePass
    : tfm::impl::TfmComputeInPlacePassBase<TfmComputeInPlacePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<InsertExpandedValue, InsertCollapsedValue, FillForEachWriter,
                 TiledFillForEachWriter>(&getContext());
    // Only these rewrites: folding would reshape the loops whose in-place
    // updates the bufferization that follows counts on.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
  }
};
} // namespace
