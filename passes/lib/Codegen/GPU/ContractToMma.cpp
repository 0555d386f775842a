//===- ContractToMma.cpp - A warp's contraction on tensor cores -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The share of a contraction one warp computes (tfm-gpu-tile-to-warps)
// becomes tensor-core multiplies: the warp's output tile held as m16n8
// accumulator fragments in registers for the whole reduction, each step
// loading its A and B fragments (the lanes' elements of the PTX fragment
// layouts, rounded to bf16 or read as tf32) and issuing nvgpu.mma.sync.
// Accumulation stays in f32.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Codegen/GPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUCONTRACTTOMMAPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm::distribution;

namespace {
/// Builds the fragment code of one warp's contraction.
class MmaBuilder {
public:
  MmaBuilder(RewriterBase &rewriter, linalg::LinalgOp op, bool bf16)
      : b(rewriter), op(op), loc(op.getLoc()), bf16(bf16),
        kStep(bf16 ? 16 : 8) {}

  LogicalResult build() {
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (failed(dims))
      return failure();
    ranges = op.getStaticLoopRanges();
    m = dims->m.back();
    n = dims->n.back();
    k = dims->k.back();
    for (unsigned d : dims->k)
      if (d != k)
        outerK.push_back(d);
    if (ranges[m] % kFragmentM || ranges[n] % kFragmentN || ranges[k] % kStep)
      return failure();
    int64_t tilesM = ranges[m] / kFragmentM, tilesN = ranges[n] / kFragmentN;

    // A staged contraction (tfm-gpu-stage-operands) runs once per slice
    // of the reduction, in a loop: its accumulators live across the loop.
    scf::ForOp slices = sliceLoop();
    b.setInsertionPoint(slices ? slices.getOperation() : op.getOperation());
    Value lane = mlir::gpu::LaneIdOp::create(b, loc, IntegerAttr());
    group = arith::DivUIOp::create(b, loc, lane, index(4));
    inGroup = arith::RemUIOp::create(b, loc, lane, index(4));

    Value cView = accumulatorView();
    SmallVector<Value> accs;
    for (int64_t mi = 0; mi < tilesM; ++mi)
      for (int64_t ni = 0; ni < tilesN; ++ni)
        accs.push_back(loadAccumulator(cView, mi, ni));
    if (slices) {
      FailureOr<LoopLikeOpInterface> grown = slices.replaceWithAdditionalYields(
          b, accs, /*replaceInitOperandUsesInLoop=*/false,
          [](OpBuilder &, Location, ArrayRef<BlockArgument> carried) {
            return SmallVector<Value>(carried);
          });
      if (failed(grown))
        return failure();
      slices = cast<scf::ForOp>(grown->getOperation());
      accs = llvm::to_vector_of<Value>(
          slices.getRegionIterArgs().take_back(tilesM * tilesN));
    }

    b.setInsertionPoint(op);
    SmallVector<Value> results = multiply(accs, tilesM, tilesN);
    if (slices) {
      auto yield = cast<scf::YieldOp>(slices.getBody()->getTerminator());
      unsigned first = yield.getNumOperands() - results.size();
      for (auto [i, result] : llvm::enumerate(results))
        yield->setOperand(first + i, result);
      b.setInsertionPointAfter(slices);
      results = llvm::to_vector_of<Value>(
          slices.getResults().take_back(results.size()));
    }
    for (int64_t mi = 0; mi < tilesM; ++mi)
      for (int64_t ni = 0; ni < tilesN; ++ni)
        storeAccumulator(cView, mi, ni, results[mi * tilesN + ni]);
    b.eraseOp(op);
    return success();
  }

private:
  /// The loop over slices of the reduction `op` sits in, if its output
  /// stays the same across the loop and nothing else in it touches it.
  scf::ForOp sliceLoop() {
    auto loop = dyn_cast<scf::ForOp>(op->getParentOp());
    Value out = op.getDpsInitOperand(0)->get();
    if (!loop || !loop.isDefinedOutsideOfLoop(out) ||
        llvm::any_of(out.getUsers(), [&](Operation *user) {
          return user != op && loop->isAncestor(user);
        }))
      return nullptr;
    return loop;
  }

  /// The fragment code at `op` from accumulators `accs`: the outer
  /// reduction loops (heads, when a reshape split the reduction), then the
  /// fragment steps of the innermost one. Returns the final accumulators
  /// and leaves the insertion point after the loops.
  SmallVector<Value> multiply(ValueRange accs, int64_t tilesM, int64_t tilesN) {
    Value aView = laneView(op.getDpsInputOperand(0), m, group, 7, k,
                           stepShift(), maxStepShift());
    Value bView = laneView(op.getDpsInputOperand(1), k, stepShift(),
                           maxStepShift(), n, group, 7);
    DenseMap<unsigned, Value> outer;
    SmallVector<scf::ForOp> loops;
    for (unsigned d : outerK) {
      auto loop = scf::ForOp::create(
          b, loc, index(0), index(ranges[d]), index(1),
          loops.empty() ? accs : ValueRange(loops.back().getRegionIterArgs()));
      if (!loops.empty())
        scf::YieldOp::create(b, loc, loop.getResults());
      b.setInsertionPointToStart(loop.getBody());
      outer[d] = loop.getInductionVar();
      loops.push_back(loop);
    }
    auto steps = scf::ForOp::create(
        b, loc, index(0), index(ranges[k]), index(kStep),
        loops.empty() ? accs : ValueRange(loops.back().getRegionIterArgs()));
    if (!loops.empty())
      scf::YieldOp::create(b, loc, steps.getResults());
    b.setInsertionPointToStart(steps.getBody());
    Value kk = steps.getInductionVar();
    SmallVector<Value> aFragments, bFragments, updated;
    for (int64_t mi = 0; mi < tilesM; ++mi)
      aFragments.push_back(loadA(aView, mi, kk, outer));
    for (int64_t ni = 0; ni < tilesN; ++ni)
      bFragments.push_back(loadB(bView, ni, kk, outer));
    for (int64_t mi = 0; mi < tilesM; ++mi)
      for (int64_t ni = 0; ni < tilesN; ++ni)
        updated.push_back(mma(aFragments[mi], bFragments[ni],
                              steps.getRegionIterArgs()[mi * tilesN + ni]));
    scf::YieldOp::create(b, loc, updated);

    Operation *outermost =
        loops.empty() ? steps.getOperation() : loops.front().getOperation();
    b.setInsertionPointAfter(outermost);
    return llvm::to_vector_of<Value>(outermost->getResults());
  }

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value v, int64_t c) {
    return c == 0 ? v : arith::AddIOp::create(b, loc, v, index(c)).getResult();
  }
  Value scaled(Value v, int64_t c) {
    return arith::MulIOp::create(b, loc, v, index(c));
  }

  /// acc + a * b on one fragment. nvgpu.mma.sync deduces tf32 from f32
  /// operands; bf16 goes to NVVM directly, its registers packed pairs.
  Value mma(Value a, Value bFragment, Value acc) {
    std::array<int64_t, 3> shape = {kFragmentM, kFragmentN, kStep};
    if (!bf16)
      return nvgpu::MmaSyncOp::create(b, loc, a, bFragment, acc, shape,
                                      /*tf32Enabled=*/true);
    auto registers = [&](Value fragment) {
      SmallVector<Value> packed;
      auto word = VectorType::get({1}, b.getI32Type());
      int64_t rows = cast<VectorType>(fragment.getType()).getDimSize(0);
      for (int64_t r = 0; r < rows; ++r) {
        Value halves =
            vector::ExtractOp::create(b, loc, fragment, ArrayRef<int64_t>{r});
        Value bits = vector::BitCastOp::create(b, loc, word, halves);
        packed.push_back(
            vector::ExtractOp::create(b, loc, bits, ArrayRef<int64_t>{0}));
      }
      return packed;
    };
    SmallVector<Value> c;
    for (int64_t i = 0; i < 4; ++i)
      c.push_back(vector::ExtractOp::create(b, loc, acc,
                                            ArrayRef<int64_t>{i / 2, i % 2}));
    Type f32 = b.getF32Type();
    auto result =
        LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
    auto op =
        NVVM::MmaOp::create(b, loc, result, registers(a), registers(bFragment),
                            c, shape, std::nullopt, std::nullopt,
                            std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                                          NVVM::MMATypes::bf16},
                            std::array<NVVM::MMALayout, 2>{
                                NVVM::MMALayout::row, NVVM::MMALayout::col});
    SmallVector<Value> d;
    for (int64_t i = 0; i < 4; ++i)
      d.push_back(LLVM::ExtractValueOp::create(b, loc, op, i));
    return vector::FromElementsOp::create(b, loc, acc.getType(), d);
  }

  /// `operand` as this lane sees it: shifted by `rowShift` (at most
  /// `maxRowShift`) along loop `rowDim` and by `colShift` along `colDim`,
  /// so every element the lane touches lies at a constant offset (plus
  /// the reduction step) from one address, and no address per element
  /// stays live in a register.
  Value laneView(OpOperand *operand, unsigned rowDim, Value rowShift,
                 int64_t maxRowShift, unsigned colDim, Value colShift,
                 int64_t maxColShift) {
    AffineMap map = op.getMatchingIndexingMap(operand);
    auto type = cast<MemRefType>(operand->get().getType());
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (auto [dim, result] : llvm::enumerate(map.getResults())) {
      unsigned d = cast<AffineDimExpr>(result).getPosition();
      int64_t size = type.getDimSize(dim);
      if (d == rowDim || d == colDim) {
        offsets.push_back(d == rowDim ? rowShift : colShift);
        size -= d == rowDim ? maxRowShift : maxColShift;
      } else {
        offsets.push_back(b.getIndexAttr(0));
      }
      sizes.push_back(b.getIndexAttr(size));
      strides.push_back(b.getIndexAttr(1));
    }
    return memref::SubViewOp::create(b, loc, operand->get(), offsets, sizes,
                                     strides);
  }

  /// The lane's column shift in the A (row) or B (column) fragments: its
  /// index in the group, two elements each for bf16.
  Value stepShift() { return bf16 ? scaled(inGroup, 2) : inGroup; }
  int64_t maxStepShift() const { return bf16 ? 6 : 3; }

  /// Element (row, col) of `view` (of operand `operand`), whose first
  /// loop is `rowDim` and second `colDim`; the outer reduction loops at
  /// `outer`, every other loop at 0.
  Value load(Value view, OpOperand *operand, unsigned rowDim, Value row,
             unsigned colDim, Value col,
             const DenseMap<unsigned, Value> &outer) {
    AffineMap map = op.getMatchingIndexingMap(operand);
    SmallVector<Value> indices;
    for (AffineExpr result : map.getResults()) {
      unsigned d = cast<AffineDimExpr>(result).getPosition();
      indices.push_back(d == rowDim   ? row
                        : d == colDim ? col
                                      : outer.lookup(d));
      if (!indices.back())
        indices.back() = index(0);
    }
    return memref::LoadOp::create(b, loc, view, indices);
  }
  Value loadAsOperand(Value view, OpOperand *operand, unsigned rowDim,
                      Value row, unsigned colDim, Value col,
                      const DenseMap<unsigned, Value> &outer) {
    Value v = load(view, operand, rowDim, row, colDim, col, outer);
    return bf16
               ? arith::TruncFOp::create(b, loc, b.getBF16Type(), v).getResult()
               : v;
  }

  // Fragment layouts of mma.m16n8k8 (tf32) and mma.m16n8k16 (bf16), PTX
  // ISA "Matrix Fragments for mma.m16n8k8 / mma.m16n8k16": lane = 4 *
  // group + inGroup. The lane views carry the group and inGroup parts.

  /// A (16 x kStep, row major): tf32 a0..a3 at (g, t), (g+8, t), (g, t+4),
  /// (g+8, t+4); bf16 register r = {a2r, a2r+1} at row g (+8 for odd r),
  /// columns 2t, 2t+1 (+8 for r >= 2).
  Value loadA(Value view, int64_t mi, Value kk,
              const DenseMap<unsigned, Value> &outer) {
    OpOperand *a = op.getDpsInputOperand(0);
    SmallVector<Value> elements;
    for (int64_t r = 0; r < 4; ++r) {
      Value row = index(mi * kFragmentM + (r % 2 ? 8 : 0));
      Value col = add(kk, r >= 2 ? (bf16 ? 8 : 4) : 0);
      elements.push_back(loadAsOperand(view, a, m, row, k, col, outer));
      if (bf16)
        elements.push_back(
            loadAsOperand(view, a, m, row, k, add(col, 1), outer));
    }
    auto type = bf16 ? VectorType::get({4, 2}, b.getBF16Type())
                     : VectorType::get({4, 1}, b.getF32Type());
    return vector::FromElementsOp::create(b, loc, type, elements);
  }

  /// B (kStep x 8, column major): tf32 b0, b1 at (t, g), (t+4, g); bf16
  /// register r = {b2r, b2r+1} at rows 2t, 2t+1 (+8 for r = 1), column g.
  Value loadB(Value view, int64_t ni, Value kk,
              const DenseMap<unsigned, Value> &outer) {
    OpOperand *bOperand = op.getDpsInputOperand(1);
    Value col = index(ni * kFragmentN);
    SmallVector<Value> elements;
    for (int64_t r = 0; r < 2; ++r) {
      Value row = add(kk, r == 1 ? (bf16 ? 8 : 4) : 0);
      elements.push_back(loadAsOperand(view, bOperand, k, row, n, col, outer));
      if (bf16)
        elements.push_back(
            loadAsOperand(view, bOperand, k, add(row, 1), n, col, outer));
    }
    auto type = bf16 ? VectorType::get({2, 2}, b.getBF16Type())
                     : VectorType::get({2, 1}, b.getF32Type());
    return vector::FromElementsOp::create(b, loc, type, elements);
  }

  /// C (16 x 8): c0, c1 at (g, 2t), (g, 2t+1); c2, c3 at row g+8.
  Value accumulatorView() {
    return laneView(op.getDpsInitOperand(0), m, group, 7, n, scaled(inGroup, 2),
                    6);
  }
  SmallVector<std::pair<Value, Value>> accumulatorElements(int64_t mi,
                                                           int64_t ni) {
    SmallVector<std::pair<Value, Value>> elements;
    for (int64_t i = 0; i < 4; ++i)
      elements.emplace_back(index(mi * kFragmentM + (i / 2) * 8),
                            index(ni * kFragmentN + i % 2));
    return elements;
  }
  Value loadAccumulator(Value view, int64_t mi, int64_t ni) {
    SmallVector<Value> elements;
    DenseMap<unsigned, Value> none;
    for (auto [row, col] : accumulatorElements(mi, ni))
      elements.push_back(
          load(view, op.getDpsInitOperand(0), m, row, n, col, none));
    return vector::FromElementsOp::create(
        b, loc, VectorType::get({2, 2}, b.getF32Type()), elements);
  }
  void storeAccumulator(Value view, int64_t mi, int64_t ni, Value acc) {
    AffineMap map = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    for (auto [i, element] : llvm::enumerate(accumulatorElements(mi, ni))) {
      Value v = vector::ExtractOp::create(
          b, loc, acc, ArrayRef<int64_t>{int64_t(i) / 2, int64_t(i) % 2});
      SmallVector<Value> indices;
      for (AffineExpr result : map.getResults()) {
        unsigned d = cast<AffineDimExpr>(result).getPosition();
        indices.push_back(d == m   ? element.first
                          : d == n ? element.second
                                   : index(0));
      }
      memref::StoreOp::create(b, loc, v, view, indices);
    }
  }

  RewriterBase &b;
  linalg::LinalgOp op;
  Location loc;
  bool bf16;
  int64_t kStep;
  SmallVector<int64_t> ranges;
  unsigned m = 0, n = 0, k = 0;
  SmallVector<unsigned> outerK;
  Value group, inGroup;
};

struct TfmGpuContractToMmaPass
    : tfm::impl::TfmGpuContractToMmaPassBase<TfmGpuContractToMmaPass> {
  using Base::Base;

  void runOnOperation() override {
    if (precision != "bf16" && precision != "tf32") {
      getOperation().emitError("precision must be bf16 or tf32, got '")
          << precision << "'";
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> contractions;
    getOperation().walk([&](linalg::LinalgOp op) {
      auto step = op->getParentOfType<scf::ForallOp>();
      if (step && isMappedTo(step, Level::Warp))
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : contractions) {
      MmaBuilder builder(rewriter, op, precision == "bf16");
      if (failed(builder.build())) {
        op->emitError("a warp's contraction must be made of whole "
                      "tensor-core fragments");
        return signalPassFailure();
      }
    }
  }
};
} // namespace
