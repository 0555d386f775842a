//===- HoistVectorTransfers.cpp - Accumulators in registers -----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Upstream hoisting refuses any buffer reached through a view, yet in a model
// nearly every accumulator is one: a reshaped activation (expand_shape of the
// matmul output) or a slice of the logits out-parameter. Here aliasing is
// decided on the buffer a view is taken of: transfers on different root
// buffers never overlap, so a read/write pair on one root is hoistable when
// nothing else in the loop touches that root.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/CPU/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPUHOISTVECTORTRANSFERSPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

#define DEBUG_TYPE "tfm-cpu-hoist-vector-transfers"

using namespace mlir;

namespace {

/// The buffer `v` is a view of: an allocation or a function argument.
/// Function arguments are distinct buffers by the entry-point contract (the
/// runtime never passes one buffer twice), so distinct roots never alias.
Value rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// Whether `op`, other than the pair itself, may read or write `root`.
bool touchesRoot(Operation *op, Value root) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return !isPure(op) && !op->hasTrait<OpTrait::HasRecursiveMemoryEffects>();
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::any_of(instances, [&](const MemoryEffects::EffectInstance &e) {
    Value v = e.getValue();
    // An effect on no particular value may be on any.
    return !v || rootBuffer(v) == root;
  });
}

bool runsAtLeastOnce(scf::ForOp loop) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
  return lb && ub && *lb < *ub;
}

/// The transfer_write in `loop`'s body that stores back what `read` loaded:
/// same buffer, indices, type and map, after the read, with nothing else in
/// the loop touching the buffer's root.
vector::TransferWriteOp matchingWrite(scf::ForOp loop,
                                      vector::TransferReadOp read) {
  if (!isa<MemRefType>(read.getShapedType()) || read.getMask() ||
      !llvm::all_of(read->getOperands(),
                    [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
    return nullptr;
  vector::TransferWriteOp write;
  for (Operation *user : read.getBase().getUsers()) {
    auto candidate = dyn_cast<vector::TransferWriteOp>(user);
    if (candidate && candidate->getParentOp() == loop && !candidate.getMask() &&
        candidate.getIndices() == read.getIndices() &&
        candidate.getVectorType() == read.getVectorType() &&
        candidate.getPermutationMap() == read.getPermutationMap() &&
        read->isBeforeInBlock(candidate)) {
      if (write)
        return nullptr;
      write = candidate;
    }
  }
  if (!write)
    return nullptr;
  Value root = rootBuffer(read.getBase());
  WalkResult clash = loop.getBody()->walk([&](Operation *op) {
    if (op == read || op == write)
      return WalkResult::advance();
    return touchesRoot(op, root) ? WalkResult::interrupt()
                                 : WalkResult::advance();
  });
  return clash.wasInterrupted() ? nullptr : write;
}

/// Hoists one pair out of `loop`; returns false when there is none.
bool hoistOnePair(RewriterBase &rewriter, scf::ForOp loop) {
  if (!runsAtLeastOnce(loop))
    return false;
  for (auto read : loop.getBody()->getOps<vector::TransferReadOp>()) {
    vector::TransferWriteOp write = matchingWrite(loop, read);
    if (!write)
      continue;
    rewriter.moveOpBefore(read, loop);
    auto yieldWritten = [&](OpBuilder &, Location,
                            ArrayRef<BlockArgument>) -> SmallVector<Value> {
      return {write.getVector()};
    };
    FailureOr<LoopLikeOpInterface> carried =
        cast<LoopLikeOpInterface>(loop.getOperation())
            .replaceWithAdditionalYields(rewriter, read.getVector(),
                                         /*replaceInitOperandUsesInLoop=*/true,
                                         yieldWritten);
    if (failed(carried))
      return false;
    Operation *newLoop = carried->getOperation();
    rewriter.moveOpAfter(write, newLoop);
    rewriter.modifyOpInPlace(write, [&] {
      write.getValueToStoreMutable().assign(newLoop->getResults().back());
    });
    return true;
  }
  return false;
}

struct TfmCpuHoistVectorTransfersPass
    : tfm::impl::TfmCpuHoistVectorTransfersPassBase<
          TfmCpuHoistVectorTransfersPass> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Innermost loops first; a pair hoisted out of one loop may then leave
    // the next enclosing loop too (a reduction split into heads x head size).
    bool changed = true;
    while (changed) {
      changed = false;
      getOperation().walk([&](scf::ForOp loop) {
        if (!hoistOnePair(rewriter, loop))
          return WalkResult::advance();
        changed = true;
        return WalkResult::interrupt();
      });
    }
  }
};
} // namespace
