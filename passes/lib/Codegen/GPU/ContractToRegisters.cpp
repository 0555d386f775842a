//===- ContractToRegisters.cpp - A thread's contraction in registers -*- C++
//-*-//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The f32 path's counterpart of tensor-core fragments: the small output
// tile one thread computes (tfm-gpu-tile-to-threads gives contractions
// tiles of up to 4 x 8) is held in registers over the whole reduction,
// each step loading one column of A and one row of B and issuing an FMA
// per output, instead of a load and store of the output per product.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <map>
#include <vector>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUCONTRACTTOREGISTERSPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm::distribution;

namespace {
/// Most accumulators a thread keeps.
constexpr int64_t kMaxAccumulators = 64;

struct TfmGpuContractToRegistersPass
    : tfm::impl::TfmGpuContractToRegistersPassBase<
          TfmGpuContractToRegistersPass> {
  using Base::Base;

  /// Rewrites `op` into loops over its reductions carrying its outputs.
  static LogicalResult lower(RewriterBase &b, linalg::LinalgOp op) {
    if (!linalg::isaContractionOpInterface(op) || !op.hasPureBufferSemantics())
      return failure();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<unsigned> parallel, reductions;
    op.getParallelDims(parallel);
    op.getReductionDims(reductions);
    int64_t outputs = 1;
    for (unsigned d : parallel)
      outputs *= ranges[d];
    if (llvm::any_of(ranges, ShapedType::isDynamic) ||
        outputs > kMaxAccumulators)
      return failure();
    Location loc = op.getLoc();
    b.setInsertionPoint(op);
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    // Every point of the parallel loops, as loop -> index.
    SmallVector<SmallVector<int64_t>> points = {{}};
    for (unsigned d : parallel) {
      SmallVector<SmallVector<int64_t>> next;
      for (const SmallVector<int64_t> &p : points)
        for (int64_t i = 0; i < ranges[d]; ++i) {
          next.push_back(p);
          next.back().push_back(i);
        }
      points = std::move(next);
    }
    auto indices = [&](OpOperand *operand, DenseMap<unsigned, Value> &at) {
      SmallVector<Value> result;
      for (AffineExpr e : op.getMatchingIndexingMap(operand).getResults())
        result.push_back(at.lookup(cast<AffineDimExpr>(e).getPosition()));
      return result;
    };
    auto pointAt = [&](const SmallVector<int64_t> &p) {
      DenseMap<unsigned, Value> at;
      for (auto [d, i] : llvm::zip_equal(parallel, p))
        at[d] = index(i);
      for (unsigned d : reductions)
        at[d] = index(0);
      return at;
    };
    OpOperand *out = op.getDpsInitOperand(0);
    SmallVector<Value> accs;
    for (const SmallVector<int64_t> &p : points) {
      DenseMap<unsigned, Value> at = pointAt(p);
      accs.push_back(
          memref::LoadOp::create(b, loc, out->get(), indices(out, at)));
    }

    // One loop per reduction, carrying the accumulators.
    DenseMap<unsigned, Value> reductionIvs;
    SmallVector<scf::ForOp> loops;
    for (unsigned d : reductions) {
      ValueRange carried =
          loops.empty() ? ValueRange(accs) : loops.back().getRegionIterArgs();
      auto loop = scf::ForOp::create(b, loc, index(0), index(ranges[d]),
                                     index(1), carried);
      if (!loops.empty())
        scf::YieldOp::create(b, loc, loop.getResults());
      b.setInsertionPointToStart(loop.getBody());
      reductionIvs[d] = loop.getInductionVar();
      loops.push_back(loop);
    }
    OpOperand *lhs = op.getDpsInputOperand(0), *rhs = op.getDpsInputOperand(1);
    // Each operand element once per step: loads keyed by their indices.
    std::map<std::pair<OpOperand *, std::vector<int64_t>>, Value> loaded;
    auto element = [&](OpOperand *operand, const SmallVector<int64_t> &p) {
      std::vector<int64_t> key;
      DenseMap<unsigned, Value> at;
      for (AffineExpr e : op.getMatchingIndexingMap(operand).getResults()) {
        unsigned d = cast<AffineDimExpr>(e).getPosition();
        auto it = llvm::find(parallel, d);
        if (it != parallel.end())
          key.push_back(p[it - parallel.begin()]);
      }
      auto [entry, inserted] = loaded.try_emplace({operand, key}, Value());
      if (inserted) {
        for (auto [d, i] : llvm::zip_equal(parallel, p))
          at[d] = index(i);
        for (unsigned d : reductions)
          at[d] = reductionIvs[d];
        entry->second = memref::LoadOp::create(b, loc, operand->get(),
                                               indices(operand, at));
      }
      return entry->second;
    };
    SmallVector<Value> updated;
    for (auto [i, p] : llvm::enumerate(points))
      updated.push_back(
          math::FmaOp::create(b, loc, element(lhs, p), element(rhs, p),
                              loops.back().getRegionIterArgs()[i]));
    scf::YieldOp::create(b, loc, updated);

    b.setInsertionPointAfter(loops.front());
    for (auto [i, p] : llvm::enumerate(points)) {
      DenseMap<unsigned, Value> at = pointAt(p);
      memref::StoreOp::create(b, loc, loops.front().getResult(i), out->get(),
                              indices(out, at));
    }
    b.eraseOp(op);
    return success();
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> contractions;
    getOperation().walk([&](linalg::LinalgOp op) {
      auto step = op->getParentOfType<scf::ForallOp>();
      if (step && isMappedTo(step, Level::Thread))
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : contractions)
      (void)lower(rewriter, op);
  }
};
} // namespace
