//===- TileToBlocks.cpp - One kernel launch per loop nest -------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// After bufferization, every loop nest the host would run (a linalg op or a
// copy outside any kernel) becomes a grid of thread blocks; the kernels
// the shared builders made (attention, residual + layer norm, matmuls with
// epilogues) already are one, and only get their block mapping.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Codegen/Common/KernelNames.h"
#include "tfm/Codegen/Common/ThreadTiles.h"
#include "tfm/Codegen/GPU/Passes.h"
#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUTILETOBLOCKSPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm::distribution;

namespace {
/// The same bytes under another shape, or the value itself.
Value unreshaped(Value buffer) {
  while (Operation *def = buffer.getDefiningOp()) {
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(def))
      break;
    buffer = def->getOperand(0);
  }
  return buffer;
}

/// The fill of `op`'s one init, right before it, that each of its blocks can
/// do for its own tile: `op` reads the init (an accumulator) and every loop
/// split among blocks is parallel, so the blocks' tiles of it are disjoint
/// and cover it. Folded in, the fill costs no launch and no pass over
/// memory of its own.
linalg::FillOp foldableFill(linalg::LinalgOp op, ArrayRef<int64_t> counts) {
  if (op.getNumDpsInits() != 1 ||
      !op.payloadUsesValueFromOperand(op.getDpsInitOperand(0)))
    return nullptr;
  for (auto [kind, count] : llvm::zip_equal(op.getIteratorTypesArray(), counts))
    if (count > 1 && kind != utils::IteratorType::parallel)
      return nullptr;
  Operation *previous = op->getPrevNode();
  while (previous && isa<memref::ExpandShapeOp, memref::CollapseShapeOp,
                         memref::SubViewOp, arith::ConstantOp>(previous))
    previous = previous->getPrevNode();
  auto fill = dyn_cast_or_null<linalg::FillOp>(previous);
  Value init = op.getDpsInitOperand(0)->get();
  if (!fill || !fill.hasPureBufferSemantics() ||
      unreshaped(fill.getOutputs()[0]) != unreshaped(init))
    return nullptr;
  return fill;
}

struct TfmGpuTileToBlocksPass
    : tfm::impl::TfmGpuTileToBlocksPassBase<TfmGpuTileToBlocksPass> {
  using Base::Base;

  /// Blocks per loop: a contraction's chosen block tile; otherwise blocks
  /// of about `blockElements` results, innermost loops first.
  SmallVector<int64_t> blockCounts(linalg::LinalgOp op) const {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<int64_t> counts(ranges.size(), 1);
    if (std::optional<SmallVector<int64_t>> tiles =
            tfm::chosenThreadTiles(op)) {
      for (auto [count, range, tile] : llvm::zip(counts, ranges, *tiles))
        if (tile > 0)
          count = range / tile;
      return counts;
    }
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    // A reduction's rows are long: fewer of them per block, whose threads
    // then share each row (tfm-gpu-tile-to-threads splits it).
    int64_t reduced = 1;
    for (auto [kind, range] : llvm::zip_equal(kinds, ranges))
      if (kind == utils::IteratorType::reduction)
        reduced *= range;
    int64_t elements = std::max<int64_t>(1, blockElements * 16 / reduced);
    if (reduced == 1)
      elements = blockElements;
    for (int64_t i = ranges.size() - 1; i >= 0; --i) {
      if (kinds[i] != utils::IteratorType::parallel)
        continue;
      int64_t tile = tfm::lowering::largestDivisor(ranges[i], elements);
      elements /= tile;
      counts[i] = ranges[i] / tile;
    }
    return counts;
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<Operation *> nests;
    func.walk([&](Operation *op) {
      if (auto forall = dyn_cast<scf::ForallOp>(op)) {
        if (!forall->getParentOfType<scf::ForallOp>() && !forall.getMapping())
          forall.setMappingAttr(
              mappingFor(ctx, Level::Block, forall.getRank()));
        return;
      }
      if (op->getParentOfType<scf::ForallOp>())
        return;
      if (isa<memref::CopyOp>(op) || isa<linalg::LinalgOp>(op))
        nests.push_back(op);
    });

    // Found before any nest is distributed: a fill is the op right before.
    DenseMap<Operation *, linalg::FillOp> folded;
    for (Operation *op : nests)
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
        if (linalg::FillOp fill = foldableFill(linalgOp, blockCounts(linalgOp)))
          folded[op] = fill;
    DenseSet<Operation *> foldedFills;
    for (auto [op, fill] : folded)
      foldedFills.insert(fill);

    IRRewriter rewriter(ctx);
    for (Operation *op : nests) {
      if (foldedFills.contains(op))
        continue;
      linalg::FillOp fill = folded.lookup(op);
      auto linalgOp = isa<memref::CopyOp>(op) ? copyAsLinalg(rewriter, op)
                                              : cast<linalg::LinalgOp>(op);
      std::string name = tfm::loopNestName(linalgOp);
      SmallVector<int64_t> counts = blockCounts(linalgOp);
      FailureOr<scf::ForallOp> grid =
          distribute(rewriter, linalgOp, counts, Level::Block);
      if (failed(grid)) {
        linalgOp->emitError("cannot be distributed over thread blocks: it "
                            "needs static shapes on buffers");
        return signalPassFailure();
      }
      tfm::nameKernel(*grid, name);
      if (fill) {
        auto tile = *grid->getBody()->getOps<linalg::LinalgOp>().begin();
        rewriter.setInsertionPoint(tile);
        linalg::FillOp::create(rewriter, fill.getLoc(), fill.getInputs()[0],
                               tile.getDpsInitOperand(0)->get());
        rewriter.eraseOp(fill);
      }
    }
  }
};
} // namespace
