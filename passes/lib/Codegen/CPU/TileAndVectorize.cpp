//===- TileAndVectorize.cpp - Thread and register tiling --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Tiles each linalg op for threads (scf.forall) and for registers (scf.for),
// then vectorizes the innermost tile. Matmuls get an 8 x 32 register tile so
// the accumulator fills 16 zmm registers and each reduction step does two
// vector loads of B, eight broadcasts of A and sixteen FMAs.
//
//===----------------------------------------------------------------------===//

#include "ThreadTiles.h"

#include "tfm/Codegen/CPU/Passes.h"
#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPUTILEANDVECTORIZEPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

#define DEBUG_TYPE "tfm-cpu-tile-and-vectorize"

using namespace mlir;
using tfm::lowering::largestDivisor;

namespace {

/// Columns of a one-row matmul's register tile: 16 zmm accumulators.
constexpr int64_t kMatvecTileN = 256;
/// Reduction pieces a matmul block sweeps its row tiles over, one piece at
/// a time: a 32-column panel of B over 256 steps is 32 KiB, which stays in
/// L1 while the block's row tiles pass over it (10% more GFLOP/s than whole
/// panels from L2 on 768 to 3072 steps). A reduction without such a divisor
/// is cut into pieces of up to 2048 steps, 256 KiB, which stay in L2 (the
/// vocabulary, 50257, in the output projection's backward). The sums keep
/// their order: each piece adds into the same accumulator.
constexpr int64_t kL1ReductionBlock = 256;
constexpr int64_t kReductionBlock = 2048;

struct TileSizes {
  SmallVector<int64_t> threads;   // scf.forall tile per loop; 0 = untiled
  SmallVector<int64_t> reduction; // scf.for tile of a long reduction, or empty
  SmallVector<int64_t> registers; // scf.for tile per loop, then vectorized
  SmallVector<int64_t> order;     // scf.for loop order; empty = as is
  bool isContraction = false;
};

SmallVector<OpFoldResult> asOpFold(OpBuilder &b, ArrayRef<int64_t> sizes) {
  return llvm::map_to_vector(
      sizes, [&](int64_t s) -> OpFoldResult { return b.getIndexAttr(s); });
}

/// Tiles `op` with `sizes` using `loopType` and returns the innermost tiled
/// op, or null when tiling failed (the op is then left as it was).
Operation *tile(RewriterBase &rewriter, TilingInterface op,
                ArrayRef<int64_t> sizes,
                scf::SCFTilingOptions::LoopType loopType,
                ArrayRef<int64_t> order = {}) {
  if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
    return op;
  scf::SCFTilingOptions options;
  options.setTileSizes(asOpFold(rewriter, sizes));
  options.setLoopType(loopType);
  options.setInterchange(order);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, op, options);
  if (failed(tiled))
    return nullptr;
  rewriter.replaceOp(op, tiled->replacements);
  return tiled->tiledOps.back();
}

/// A bf16 contraction whose innermost reduction loop, of extent 2, is
/// innermost in both operands.
bool isPairedBf16(linalg::LinalgOp op,
                  const linalg::ContractionDimensions &dims,
                  ArrayRef<int64_t> ranges) {
  if (!getElementTypeOrSelf(op.getDpsInputs()[0].getType()).isBF16() ||
      dims.k.size() < 2 || ranges[dims.k.back()] != 2)
    return false;
  AffineExpr pair = getAffineDimExpr(dims.k.back(), op.getContext());
  return llvm::all_of(op.getDpsInputOperands(), [&](OpOperand *operand) {
    AffineMap map = op.getMatchingIndexingMap(operand);
    return map.getNumResults() > 0 && map.getResults().back() == pair;
  });
}

struct TfmCpuTileAndVectorizePass
    : tfm::impl::TfmCpuTileAndVectorizePassBase<TfmCpuTileAndVectorizePass> {
  using Base::Base;

  /// Any contraction (matmul, batch matmul, or a generic one that reshape
  /// propagation produced, such as (b, t, n, k)): the innermost m and n
  /// loops get the thread block and the register tile, other m, n and batch
  /// loops step by 1, and the k loops (two when a reshape split the
  /// reduction into heads x head size) are the reduction loops of the
  /// register tile. Every tile divides its dimension, so none needs masks.
  std::optional<TileSizes> contractionTiles(linalg::LinalgOp op,
                                            ArrayRef<int64_t> ranges) const {
    std::optional<SmallVector<int64_t>> threads = tfm::chosenThreadTiles(op);
    if (!threads)
      return std::nullopt;
    linalg::ContractionDimensions dims = *linalg::inferContractionDims(op);
    TileSizes t;
    t.isContraction = true;
    t.threads = *threads;
    t.registers.assign(ranges.size(), 1);
    unsigned m = dims.m.back(), n = dims.n.back();
    int64_t blockM = t.threads[m], blockN = t.threads[n];
    int64_t rows = 1;
    for (unsigned d : dims.m)
      rows *= ranges[d];
    t.registers[m] = largestDivisor(blockM, regTileM);
    t.registers[n] = largestDivisor(blockN, regTileN);
    // bf16 operands in pairs along k (tfm-cpu-pack-matmuls): a step takes
    // a whole pair, the two products one vdpbf16ps lane adds.
    if (isPairedBf16(op, dims, ranges))
      t.registers[dims.k.back()] = 2;
    // A single row (a decode step) reuses nothing from B: the tile spans
    // as many columns as the registers hold, so each row of B is read in
    // long contiguous runs the prefetchers follow.
    if (rows == 1)
      t.registers[n] = largestDivisor(blockN, kMatvecTileN);
    // Register loops: n outside m, so one K x 32 panel of B stays in L2
    // while every row tile of the block streams past it; k innermost, so the
    // accumulator can live in registers.
    for (unsigned d = 0; d < ranges.size(); ++d)
      if (d != m && d != n && !llvm::is_contained(dims.k, d))
        t.order.push_back(d);
    t.order.append({n, m});
    llvm::append_range(t.order, dims.k);
    unsigned k = dims.k.back();
    // A single row reuses no piece of B: only the L2 pieces apply.
    for (int64_t block : {kL1ReductionBlock, kReductionBlock}) {
      if (rows == 1 && block == kL1ReductionBlock)
        continue;
      int64_t piece = largestDivisor(ranges[k], block);
      if (dims.k.size() == 1 && ranges[k] > block && 4 * piece >= block) {
        t.reduction.assign(ranges.size(), 0);
        t.reduction[k] = piece;
        break;
      }
    }
    return t;
  }

  /// Elementwise ops and reductions: threads share the first parallel loop,
  /// unless the op is too small to pay for waking them; the register tile
  /// is one row of up to `vectorWidth` lanes. Both sizes divide their
  /// dimension, so no tile is partial and none needs masks.
  TileSizes genericTiles(linalg::LinalgOp op, ArrayRef<int64_t> ranges) const {
    TileSizes t;
    t.threads.assign(ranges.size(), 0);
    t.registers.assign(ranges.size(), 1);
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    int64_t iterations = 1;
    for (int64_t range : ranges)
      iterations *= range;
    for (auto [i, range] : llvm::enumerate(ranges)) {
      if (iterations < minParallelIterations)
        break;
      if (iterators[i] == utils::IteratorType::parallel && range > 1) {
        t.threads[i] = largestDivisor(range, llvm::divideCeil(range, chunks));
        break;
      }
    }
    if (!ranges.empty())
      t.registers.back() = largestDivisor(ranges.back(), vectorWidth);
    // A transpose reads its input's innermost dimension along the output's
    // second-innermost one: a square tile becomes an in-register transpose
    // instead of one scalar load per element.
    auto transpose = dyn_cast<linalg::TransposeOp>(op.getOperation());
    if (transpose && ranges.size() >= 2 &&
        transpose.getPermutation().back() !=
            static_cast<int64_t>(ranges.size()) - 1)
      t.registers[ranges.size() - 2] =
          largestDivisor(ranges[ranges.size() - 2], vectorWidth);
    return t;
  }

  /// Row reductions over an innermost dimension of more than one vector
  /// (softmax max and sum, layer-norm moments) accumulate `vectorWidth`
  /// partial results lane-wise and reduce them across lanes once per row,
  /// instead of once per vector.
  bool isPartialReductionCandidate(linalg::LinalgOp op,
                                   ArrayRef<int64_t> ranges) const {
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    if (ranges.empty() || op.getNumDpsInits() != 1 ||
        iterators.back() != utils::IteratorType::reduction ||
        ranges.back() <= vectorWidth || ranges.back() % vectorWidth != 0)
      return false;
    return llvm::count(iterators, utils::IteratorType::reduction) == 1 &&
           isa<PartialReductionOpInterface>(op.getOperation());
  }

  /// Register-tiles `op` with `sizes` and vectorizes the tile; ops that
  /// cannot be vectorized are left as scalar loops, except contractions.
  LogicalResult registerTileAndVectorize(IRRewriter &rewriter, Operation *op,
                                         const TileSizes &sizes) const {
    SmallVector<int64_t> registers = sizes.registers;
    SmallVector<int64_t> tileRanges =
        cast<linalg::LinalgOp>(op).getStaticLoopRanges();
    // Register tiles must also divide the thread tile.
    if (!sizes.isContraction)
      for (auto [size, range] : llvm::zip(registers, tileRanges))
        if (!ShapedType::isDynamic(range))
          size = largestDivisor(range, size);
    if (!sizes.reduction.empty()) {
      op = tile(rewriter, cast<TilingInterface>(op), sizes.reduction,
                scf::SCFTilingOptions::LoopType::ForOp);
      if (!op)
        return failure();
    }
    Operation *registerTile =
        tile(rewriter, cast<TilingInterface>(op), registers,
             scf::SCFTilingOptions::LoopType::ForOp, sizes.order);
    if (!registerTile)
      return op->emitError("could not be tiled for the CPU");
    return vectorizeTile(rewriter, registerTile, registers,
                         sizes.isContraction);
  }

  LogicalResult vectorizeTile(IRRewriter &rewriter, Operation *registerTile,
                              ArrayRef<int64_t> registers,
                              bool isContraction) const {
    // Gathers (embedding rows, picked logits) are left scalar: they are
    // memory-bound, and the vectorizer's gather path miscompiles unit
    // dimensions.
    bool gathers = false;
    registerTile->walk([&](tensor::ExtractOp) { gathers = true; });
    if (gathers)
      return success();
    // Explicit vector sizes (and masks) only for partial tiles.
    SmallVector<int64_t> vectorSizes;
    if (llvm::any_of(cast<linalg::LinalgOp>(registerTile).getStaticLoopRanges(),
                     ShapedType::isDynamic))
      vectorSizes.assign(registers.begin(), registers.end());
    rewriter.setInsertionPoint(registerTile);
    FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
        rewriter, registerTile, vectorSizes, /*scalableDims=*/{},
        /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
        /*assumeDynamicDimsMatchVecSizes=*/false,
        /*createNamedContraction=*/isContraction);
    if (failed(vectorized)) {
      if (isContraction)
        return registerTile->emitError("matmul tile could not be vectorized");
      LLVM_DEBUG(llvm::dbgs() << "left scalar: " << *registerTile << "\n");
      return success();
    }
    rewriter.replaceOp(registerTile, vectorized->replacements);
    return success();
  }

  /// The reduction loop steps by one vector of partial results; the merge
  /// (one cross-lane reduction per row) and the partial results' init are
  /// then tiled and vectorized like any elementwise op.
  LogicalResult partialReduce(IRRewriter &rewriter, linalg::LinalgOp op) const {
    // One row at a time first: partial reduction tiling cannot tile the
    // parallel dimensions itself.
    SmallVector<int64_t> rows(op.getNumLoops(), 1);
    rows.back() = 0;
    Operation *row = tile(rewriter, cast<TilingInterface>(op.getOperation()),
                          rows, scf::SCFTilingOptions::LoopType::ForOp);
    if (!row)
      return op->emitError("could not be tiled for the CPU");
    op = cast<linalg::LinalgOp>(row);
    SmallVector<int64_t> sizes(op.getNumLoops(), 0);
    sizes.back() = vectorWidth;
    scf::SCFTilingOptions options;
    options.setTileSizes(asOpFold(rewriter, sizes));
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
    options.setReductionTilingStrategy(
        ReductionTilingStrategy::PartialReductionOuterReduction);
    options.setReductionDims({static_cast<unsigned>(op.getNumLoops() - 1)});
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op->emitError("could not be tiled for the CPU");
    rewriter.replaceOp(op, tiled->replacements);
    // Partial-reduction tiling leaves linalg.index relative to the tile; the
    // causal mask needs positions in the row.
    auto partial = cast<linalg::LinalgOp>(tiled->tiledOps.back());
    if (!partial.getBlock()->getOps<linalg::IndexOp>().empty()) {
      SmallVector<OpFoldResult> offsets(partial.getNumLoops(),
                                        rewriter.getIndexAttr(0));
      offsets.back() = tiled->loops.back().getSingleInductionVar().value();
      linalg::offsetIndices(rewriter, partial, offsets);
    }
    if (failed(vectorizeTile(rewriter, partial, sizes,
                             /*isContraction=*/false)))
      return failure();
    SmallVector<Operation *> rest = tiled->mergeOps;
    for (Value init : tiled->initialValues)
      if (Operation *def = init.getDefiningOp<linalg::LinalgOp>())
        rest.push_back(def);
    for (Operation *other : rest) {
      auto linalgOp = cast<linalg::LinalgOp>(other);
      TileSizes t = genericTiles(linalgOp, linalgOp.getStaticLoopRanges());
      if (failed(registerTileAndVectorize(rewriter, other, t)))
        return failure();
    }
    return success();
  }

  /// Generic f32 contractions (reshape propagation makes them of x @ W)
  /// become linalg.contract: vectorized, a generic's multiply and add stay
  /// two instructions, while vector.contract lowers to FMAs.
  static void specializeContractions(func::FuncOp func) {
    SmallVector<linalg::GenericOp> generics;
    func.walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics() && op.getNumDpsInputs() == 2 &&
          op.getNumDpsInits() == 1 && linalg::isaContractionOpInterface(op) &&
          llvm::all_of(op->getOperandTypes(),
                       [](Type t) { return getElementTypeOrSelf(t).isF32(); }))
        generics.push_back(op);
    });
    IRRewriter rewriter(func.getContext());
    for (linalg::GenericOp op : generics) {
      rewriter.setInsertionPoint(op);
      auto contract = rewriter.replaceOpWithNewOp<linalg::ContractOp>(
          op, op.getResultTypes(), op.getDpsInputs(), op.getDpsInits(),
          op.getIndexingMaps());
      if (Attribute tiles = op->getAttr(tfm::kThreadTilesAttr))
        contract->setAttr(tfm::kThreadTilesAttr, tiles);
    }
  }

  /// Non-contractions whose innermost dimension has no divisor of at least
  /// half a vector (the vocabulary, 50257 = 29 x 1733) would be tiled one
  /// lane at a time; each is split into a part of whole vectors and a tail,
  /// tiled separately (a reduction's tail accumulates onto the main part's
  /// result).
  SmallVector<linalg::LinalgOp>
  splitVectorTails(RewriterBase &rewriter,
                   ArrayRef<linalg::LinalgOp> ops) const {
    SmallVector<linalg::LinalgOp> result;
    for (linalg::LinalgOp op : ops) {
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      int64_t inner = ranges.empty() ? 0 : ranges.back();
      bool split = inner > vectorWidth && !ShapedType::isDynamic(inner) &&
                   2 * largestDivisor(inner, vectorWidth) < vectorWidth &&
                   !linalg::isaContractionOpInterface(op) &&
                   !isa<linalg::TransposeOp>(op.getOperation());
      if (!split) {
        result.push_back(op);
        continue;
      }
      rewriter.setInsertionPoint(op);
      auto [main, tail] = linalg::splitOp(
          rewriter, cast<TilingInterface>(op.getOperation()), ranges.size() - 1,
          rewriter.getIndexAttr(inner / vectorWidth * vectorWidth));
      if (!main) {
        result.push_back(op);
        continue;
      }
      result.push_back(cast<linalg::LinalgOp>(main.getOperation()));
      if (tail)
        result.push_back(cast<linalg::LinalgOp>(tail.getOperation()));
    }
    return result;
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    specializeContractions(func);
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && op.getNumLoops() > 0)
        ops.push_back(op);
    });

    IRRewriter rewriter(&getContext());
    ops = splitVectorTails(rewriter, ops);
    for (linalg::LinalgOp op : ops) {
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      if (llvm::any_of(ranges, ShapedType::isDynamic))
        continue;
      std::optional<TileSizes> contraction = contractionTiles(op, ranges);
      TileSizes sizes = contraction.value_or(genericTiles(op, ranges));
      // Ops a fusion pass already placed in a parallel loop (a fused
      // kernel's tiles) run on their thread as they are.
      bool inThreadTile = op->getParentOfType<scf::ForallOp>() != nullptr;
      if (inThreadTile)
        sizes.threads.assign(ranges.size(), 0);
      Operation *threadTile =
          tile(rewriter, cast<TilingInterface>(op.getOperation()),
               sizes.threads, scf::SCFTilingOptions::LoopType::ForallOp);
      if (!threadTile) {
        op->emitError("could not be tiled for the CPU");
        return signalPassFailure();
      }
      auto tileOp = cast<linalg::LinalgOp>(threadTile);
      LogicalResult done =
          !contraction && isPartialReductionCandidate(
                              tileOp, tileOp.getStaticLoopRanges())
              ? partialReduce(rewriter, tileOp)
              : registerTileAndVectorize(rewriter, threadTile, sizes);
      if (failed(done))
        return signalPassFailure();
    }

    // Tiles of ops with batch or split dimensions carry unit vector
    // dimensions (vector<1x8x1xf32>); without them every contraction is a
    // plain (m, n, k) one that lowers to outer products and FMAs.
    RewritePatternSet patterns(&getContext());
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::populateDropUnitDimWithShapeCastPatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
