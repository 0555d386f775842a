//===- MatmulEpilogues.cpp - Matmul epilogues in its blocks -----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A linear layer writes x @ W + b and the next op reads it back at once
// (GELU, a residual add). Computing that op on each parallel block of the
// matmul, while the block is in cache (CPU) or in registers (GPU), saves a
// pass over the output and a parallel region; so does writing the
// broadcast bias into the block just before it accumulates.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Common/KernelNames.h"
#include "tfm/Codegen/Common/Kernels.h"
#include "tfm/Codegen/Common/Passes.h"
#include "tfm/Codegen/Common/ThreadTiles.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEMATMULEPILOGUESPASS
#include "tfm/Codegen/Common/Passes.h.inc"
} // namespace mlir::tfm

#define DEBUG_TYPE "tfm-fuse-matmul-epilogues"

using namespace mlir;
using namespace mlir::tfm;

namespace {

bool isContraction(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.hasPureTensorSemantics() &&
         linalgOp.getNumDpsInits() == 1 &&
         linalg::isaContractionOpInterface(linalgOp);
}

/// An elementwise op with one result, all loops parallel.
bool isElementwise(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.hasPureTensorSemantics() &&
         linalgOp->getNumResults() == 1 && linalg::isElementwise(linalgOp);
}

/// `value`, or the source of the collapse_shape that defines it.
Value throughCollapse(Value value) {
  if (auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>())
    return collapse.getSrc();
  return value;
}

/// A contraction with a parallel block that no earlier rewrite has tiled.
bool isUntiledBlockedContraction(Operation *op) {
  return isContraction(op) && chosenThreadTiles(op) &&
         !op->getParentOfType<scf::ForallOp>();
}

/// The order of the block loops with the contraction's column loops first:
/// the blocks run one after another share a column panel of B, which stays
/// in cache while the row blocks go by; rows outermost would stream all of
/// B past every row block (256 x 2304 x 768 on 2 CPU threads: from 0.75x to
/// 0.87x oneDNN's time, 4096 x 768 x 3072: 0.96x to 1.02x).
SmallVector<int64_t> columnsFirst(linalg::LinalgOp contraction,
                                  ArrayRef<unsigned> loops) {
  linalg::ContractionDimensions dims =
      *linalg::inferContractionDims(contraction);
  SmallVector<int64_t> order, rest;
  for (auto [i, loop] : llvm::enumerate(loops))
    (llvm::is_contained(dims.n, loop) ? order : rest).push_back(i);
  llvm::append_range(order, rest);
  return order;
}

/// The op a blocked contraction is tiled through: its epilogue, whose
/// loops are the contraction's result dimensions, or without one the
/// contraction itself.
linalg::LinalgOp tiledRoot(linalg::LinalgOp contraction) {
  linalg::LinalgOp epilogue = matmulEpilogue(contraction);
  if (epilogue &&
      epilogue->getResult(0).getType() == contraction->getResult(0).getType())
    return epilogue;
  return contraction;
}

/// Anchored on the root, the op the rewrite replaces: a walk visits the
/// contraction first and must not see its epilogue erased under it.
struct MatmulEpiloguePattern : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    linalg::LinalgOp contraction;
    if (isUntiledBlockedContraction(op))
      contraction = op;
    else
      for (Value input : op.getDpsInputs())
        if (auto producer = dyn_cast_or_null<linalg::LinalgOp>(
                throughCollapse(input).getDefiningOp()))
          if (isUntiledBlockedContraction(producer))
            contraction = producer;
    if (!contraction || tiledRoot(contraction) != op)
      return failure();
    MatmulBlocks blocks{*chosenThreadTiles(contraction)};
    if (failed(buildMatmulWithEpilogue(rewriter, contraction, blocks)))
      return op->emitError("could not be tiled into its matmul's blocks");
    return success();
  }
};

/// Rewrites named elementwise epilogues (linalg.add) as generics, which
/// reshape propagation can expand, then moves a packed layout's
/// collapse_shape below each epilogue and the bias broadcast into the
/// packed layout, so the contraction, its initial value and its epilogue
/// share one iteration space.
LogicalResult alignLayouts(func::FuncOp func) {
  IRRewriter rewriter(func.getContext());
  SmallVector<linalg::LinalgOp> named;
  func.walk([&](linalg::LinalgOp op) {
    if (isContraction(op))
      if (linalg::LinalgOp epilogue = matmulEpilogue(op))
        if (!isa<linalg::GenericOp>(epilogue))
          named.push_back(epilogue);
  });
  for (linalg::LinalgOp op : named) {
    rewriter.setInsertionPoint(op);
    if (failed(linalg::generalizeNamedOp(rewriter, op)))
      return op->emitError("epilogue could not be generalized");
  }
  RewritePatternSet patterns(func.getContext());
  linalg::populateFoldReshapeOpsByExpansionPatterns(
      patterns, [](OpOperand *operand) {
        Operation *owner = operand->getOwner();
        // collapse_shape(contraction) read by its epilogue.
        if (auto collapse =
                operand->get().getDefiningOp<tensor::CollapseShapeOp>())
          return isContraction(collapse.getSrc().getDefiningOp()) &&
                 matmulEpilogue(collapse.getSrc().getDefiningOp()) == owner;
        // expand_shape(broadcast bias) that is a contraction's init.
        auto expand = dyn_cast<tensor::ExpandShapeOp>(owner);
        if (!expand || !expand->hasOneUse() ||
            !isElementwise(operand->get().getDefiningOp()))
          return false;
        OpOperand &use = *expand->getUses().begin();
        auto consumer = dyn_cast<linalg::LinalgOp>(use.getOwner());
        return isContraction(consumer) && consumer.isDpsInit(&use);
      });
  return applyPatternsGreedily(func, std::move(patterns));
}

struct TfmFuseMatmulEpiloguesPass
    : tfm::impl::TfmFuseMatmulEpiloguesPassBase<TfmFuseMatmulEpiloguesPass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (failed(alignLayouts(func)))
      return signalPassFailure();
    // The pattern reports a block it cannot tile as an error; the pass
    // fails with it.
    bool reported = false;
    ScopedDiagnosticHandler errors(&getContext(), [&](Diagnostic &diag) {
      reported |= diag.getSeverity() == DiagnosticSeverity::Error;
      return failure(); // passed on to the enclosing handler
    });
    RewritePatternSet patterns(&getContext());
    populateMatmulEpiloguePatterns(patterns);
    walkAndApplyPatterns(func, std::move(patterns));
    if (reported)
      signalPassFailure();
  }
};
} // namespace

linalg::LinalgOp tfm::matmulEpilogue(Operation *contraction) {
  Value result = contraction->getResult(0);
  if (!result.hasOneUse())
    return {};
  Operation *user = *result.getUsers().begin();
  if (isa<tensor::CollapseShapeOp>(user)) {
    if (!user->getResult(0).hasOneUse())
      return {};
    user = *user->getResult(0).getUsers().begin();
  }
  if (!isElementwise(user))
    return {};
  auto epilogue = cast<linalg::LinalgOp>(user);
  for (OpOperand *input : epilogue.getDpsInputOperands())
    if (throughCollapse(input->get()).getDefiningOp() == contraction)
      return epilogue.getMatchingIndexingMap(input).isIdentity() ? epilogue
                                                                 : nullptr;
  return {};
}

void tfm::populateMatmulEpiloguePatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulEpiloguePattern>(patterns.getContext());
}

LogicalResult tfm::buildMatmulWithEpilogue(RewriterBase &rewriter,
                                           linalg::LinalgOp contraction,
                                           const MatmulBlocks &blocks) {
  linalg::LinalgOp root = tiledRoot(contraction);
  // The contraction's loop behind each of the root's loops.
  SmallVector<unsigned> loops;
  if (root != contraction) {
    AffineMap result =
        contraction.getMatchingIndexingMap(contraction.getDpsInitOperand(0));
    for (AffineExpr dim : result.getResults())
      loops.push_back(cast<AffineDimExpr>(dim).getPosition());
  } else {
    loops = llvm::to_vector(llvm::seq(contraction.getNumLoops()));
  }
  SmallVector<OpFoldResult> sizes;
  for (unsigned loop : loops)
    sizes.push_back(rewriter.getIndexAttr(blocks.sizes[loop]));
  Operation *init = contraction.getDpsInitOperand(0)->get().getDefiningOp();
  bool fuseInit = init && init->hasOneUse() &&
                  (isa<linalg::FillOp>(init) || isElementwise(init));

  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(sizes);
  options.tilingOptions.setInterchange(columnsFirst(contraction, loops));
  options.tilingOptions.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer,
          bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        Operation *op = producer.getOwner();
        if (op == contraction || (fuseInit && op == init))
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        return std::nullopt;
      });
  rewriter.setInsertionPoint(root);
  FailureOr<scf::SCFTileAndFuseResult> fused =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(root.getOperation()), options);
  if (failed(fused))
    return failure();
  if (!fused->loops.empty())
    nameKernel(fused->loops.front(), contractionName(contraction));
  // The contraction and its initial value, now computed in the blocks, are
  // left dead for the cleanup.
  rewriter.replaceOp(root, fused->replacements.lookup(root->getResult(0)));
  return success();
}
