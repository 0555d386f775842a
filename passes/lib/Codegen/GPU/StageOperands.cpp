//===- StageOperands.cpp - Contraction operands in shared memory -*- C++ -*-=//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A block's warps each multiply their own tile, but the rows of A and the
// columns of B they read are shared: read from global memory by every
// warp, each element would cross the memory system once per warp. Staged,
// the block's threads copy a slice of the reduction into shared memory
// together, in coalesced rows, and the warps read their fragments from
// there.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUSTAGEOPERANDSPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm::distribution;

namespace {
/// Whether `buffer` is (a view of) scratch allocated inside `block`:
/// already in shared memory on the device.
bool isBlockScratch(Value buffer, scf::ForallOp block) {
  while (Operation *def = buffer.getDefiningOp()) {
    if (isa<memref::AllocOp>(def))
      return block->isProperAncestor(def);
    if (!isa<ViewLikeOpInterface>(def))
      return false;
    buffer = cast<ViewLikeOpInterface>(def).getViewSource();
  }
  return false;
}

/// Stages the operands of the one contraction of a warp step.
class Stager {
public:
  Stager(RewriterBase &rewriter, scf::ForallOp warps, linalg::LinalgOp op,
         int64_t kTile)
      : b(rewriter), warps(warps), op(op), loc(op.getLoc()), kTile(kTile) {}

  LogicalResult stage() {
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (failed(dims) || dims->k.empty() ||
        !llvm::all_of(op.getIndexingMapsArray(), [](AffineMap map) {
          return map.isProjectedPermutation();
        }))
      return failure();
    ranges = op.getStaticLoopRanges();
    reductions = SmallVector<unsigned>(dims->k.begin(), dims->k.end());
    k = dims->k.back();
    if (ranges[k] % kTile)
      return failure();
    auto block = warps->getParentOfType<scf::ForallOp>();
    SmallVector<bool> staged;
    for (OpOperand *input : op.getDpsInputOperands())
      staged.push_back(!isBlockScratch(blockOperand(input->get()), block));
    if (!llvm::is_contained(staged, true))
      return failure();

    // Scratch, one slice each, in the block outside the warps' step.
    SmallVector<Value> scratch;
    b.setInsertionPoint(warps);
    for (auto [input, stage] : llvm::zip(op.getDpsInputOperands(), staged))
      scratch.push_back(stage ? allocateSlice(input) : Value());

    // One loop over the slices: each outer reduction index, then each
    // k-tile of the innermost reduction.
    SmallVector<int64_t> basis;
    for (unsigned d : reductions)
      basis.push_back(d == k ? ranges[d] / kTile : ranges[d]);
    b.setInsertionPoint(op);
    auto slices = scf::ForOp::create(
        b, loc, index(0), index(ShapedType::getNumElements(basis)), index(1));
    b.setInsertionPointToStart(slices.getBody());
    auto position = affine::AffineDelinearizeIndexOp::create(
        b, loc, slices.getInductionVar(), basis);
    for (auto [d, at] : llvm::zip_equal(reductions, position.getResults()))
      sliceStart[d] =
          d == k ? arith::MulIOp::create(b, loc, at, index(kTile)).getResult()
                 : at;

    SmallVector<Value> operands;
    for (auto [input, shared] : llvm::zip(op.getDpsInputOperands(), scratch))
      operands.push_back(shared ? copySlice(input, shared)
                                : sliceOf(input->get(), input));
    for (OpOperand &init : op.getDpsInitsMutable())
      operands.push_back(init.get());
    mlir::clone(b, op, TypeRange{}, operands);
    mlir::gpu::BarrierOp::create(b, loc);
    b.eraseOp(op);
    return success();
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  /// The operand of the whole block's contraction that the warp's
  /// operand `value` is a tile of.
  Value blockOperand(Value value) {
    if (auto subview = value.getDefiningOp<memref::SubViewOp>();
        subview && warps->isProperAncestor(subview))
      return subview.getSource();
    return value;
  }

  /// The loop of `op` dimension `dim` of `input` indexes.
  unsigned loopOf(OpOperand *input, unsigned dim) {
    return cast<AffineDimExpr>(op.getMatchingIndexingMap(input).getResult(dim))
        .getPosition();
  }
  bool isReduction(unsigned loop) {
    return llvm::is_contained(reductions, loop);
  }
  int64_t sliceSize(unsigned loop) { return loop == k ? kTile : 1; }

  /// Shared scratch for one slice of `input`'s block operand, its rows
  /// padded so a fragment's lanes fall in distinct banks.
  Value allocateSlice(OpOperand *input) {
    auto type = cast<MemRefType>(blockOperand(input->get()).getType());
    SmallVector<int64_t> shape;
    for (unsigned dim = 0; dim < type.getRank(); ++dim) {
      unsigned loop = loopOf(input, dim);
      shape.push_back(isReduction(loop) ? sliceSize(loop)
                                        : type.getDimSize(dim));
    }
    sliceShape[input] = shape;
    shape.back() += loopOf(input, shape.size() - 1) == k ? 4 : 8;
    return memref::AllocOp::create(
        b, loc, MemRefType::get(shape, type.getElementType()));
  }

  /// Copies the current slice of `input`'s block operand into `shared`
  /// and returns the warp's part of it.
  Value copySlice(OpOperand *input, Value shared) {
    Value whole = blockOperand(input->get());
    ArrayRef<int64_t> shape = sliceShape[input];
    SmallVector<OpFoldResult> offsets, sizes, zeros, ones;
    for (unsigned dim = 0; dim < shape.size(); ++dim) {
      unsigned loop = loopOf(input, dim);
      offsets.push_back(isReduction(loop) ? OpFoldResult(sliceStart[loop])
                                          : b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(shape[dim]));
      zeros.push_back(b.getIndexAttr(0));
      ones.push_back(b.getIndexAttr(1));
    }
    Value source =
        memref::SubViewOp::create(b, loc, whole, offsets, sizes, ones);
    Value target =
        memref::SubViewOp::create(b, loc, shared, zeros, sizes, ones);
    linalg::CopyOp::create(b, loc, source, target);

    // The warp's tile within the block's: its offsets and sizes outside
    // the reduction, the whole slice along it.
    auto tile = input->get().getDefiningOp<memref::SubViewOp>();
    bool tiled = input->get() != whole;
    SmallVector<OpFoldResult> tileOffsets, tileSizes;
    for (unsigned dim = 0; dim < shape.size(); ++dim) {
      bool reduced = isReduction(loopOf(input, dim));
      tileOffsets.push_back(reduced || !tiled ? b.getIndexAttr(0)
                                              : tile.getMixedOffsets()[dim]);
      tileSizes.push_back(reduced || !tiled ? sizes[dim]
                                            : tile.getMixedSizes()[dim]);
    }
    return memref::SubViewOp::create(b, loc, target, tileOffsets, tileSizes,
                                     ones);
  }

  /// The current slice of `value`, an operand left where it is.
  Value sliceOf(Value value, OpOperand *input) {
    auto type = cast<MemRefType>(value.getType());
    SmallVector<OpFoldResult> offsets, sizes, ones;
    for (unsigned dim = 0; dim < type.getRank(); ++dim) {
      unsigned loop = loopOf(input, dim);
      bool reduced = isReduction(loop);
      offsets.push_back(reduced ? OpFoldResult(sliceStart[loop])
                                : b.getIndexAttr(0));
      sizes.push_back(
          b.getIndexAttr(reduced ? sliceSize(loop) : type.getDimSize(dim)));
      ones.push_back(b.getIndexAttr(1));
    }
    return memref::SubViewOp::create(b, loc, value, offsets, sizes, ones);
  }

  RewriterBase &b;
  scf::ForallOp warps;
  linalg::LinalgOp op;
  Location loc;
  int64_t kTile;
  SmallVector<int64_t> ranges;
  SmallVector<unsigned> reductions;
  unsigned k = 0;
  DenseMap<unsigned, Value> sliceStart;
  DenseMap<OpOperand *, SmallVector<int64_t>> sliceShape;
};

struct TfmGpuStageOperandsPass
    : tfm::impl::TfmGpuStageOperandsPassBase<TfmGpuStageOperandsPass> {
  using Base::Base;

  /// The contraction of a warp step in which each warp owns one tile.
  std::optional<linalg::LinalgOp> ownTiles(scf::ForallOp step) const {
    std::optional<SmallVector<int64_t>> counts = tripCounts(step);
    auto block = step->getParentOfType<scf::ForallOp>();
    if (!counts || !block || !isMappedTo(block, Level::Block) ||
        ShapedType::getNumElements(*counts) != threads / kThreadsPerWarp)
      return std::nullopt;
    auto ops = step.getBody()->getOps<linalg::LinalgOp>();
    if (!llvm::hasSingleElement(ops))
      return std::nullopt;
    return *ops.begin();
  }

  void runOnOperation() override {
    if (kTile <= 0 || kTile % 16) {
      getOperation().emitError("k-tile must be a positive multiple of 16, "
                               "got ")
          << static_cast<int64_t>(kTile);
      return signalPassFailure();
    }
    SmallVector<std::pair<scf::ForallOp, linalg::LinalgOp>> steps;
    getOperation().walk([&](scf::ForallOp step) {
      if (isMappedTo(step, Level::Warp))
        if (std::optional<linalg::LinalgOp> op = ownTiles(step))
          steps.emplace_back(step, *op);
    });
    IRRewriter rewriter(&getContext());
    for (auto [step, op] : steps)
      (void)Stager(rewriter, step, op, kTile).stage();
  }
};
} // namespace
