//===- Autodiff.cpp - Reverse-mode differentiation of tfm -------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The pass knows no op by name: each op on the path from the values to the
// loss builds its own adjoint (VjpOpInterface), and the pass only orders the
// walk and sums the gradients of values that fan out.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmOps.h"
#include "tfm/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"

#define DEBUG_TYPE "tfm-autodiff"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMAUTODIFFPASS
#include "tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// A tensor of `type` filled with `value`.
Value filled(OpBuilder &b, Location loc, Type type, double value) {
  auto tensor = llvm::cast<RankedTensorType>(type);
  Value empty = tensor::EmptyOp::create(b, loc, tensor.getShape(),
                                        tensor.getElementType());
  Value scalar = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(tensor.getElementType(), value));
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

/// Replaces `gradient` with the backward graph of its loss, built just
/// before it.
LogicalResult differentiate(GradientOp gradient) {
  Value loss = gradient.getLoss();
  Block *block = gradient->getBlock();

  // Values that depend on one of the `wrt` values.
  DenseSet<Value> varied(gradient.getWrt().begin(), gradient.getWrt().end());
  for (Operation &op : *block) {
    if (&op == gradient.getOperation())
      break;
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return varied.contains(v); }))
      varied.insert(op.getResults().begin(), op.getResults().end());
  }
  // Ops the loss depends on.
  SetVector<Operation *> useful;
  if (Operation *def = loss.getDefiningOp()) {
    BackwardSliceOptions options;
    options.omitBlockArguments = true;
    (void)getBackwardSlice(def, &useful, options);
    useful.insert(def);
  }

  OpBuilder b(gradient);
  Location loc = gradient.getLoc();
  DenseMap<Value, Value> grads;
  auto accumulate = [&](Value value, Value grad) {
    Value &slot = grads[value];
    slot = slot ? AddOp::create(b, loc, slot, grad).getResult() : grad;
  };
  grads[loss] = filled(b, loc, loss.getType(), 1.0);

  SmallVector<Operation *> active;
  for (Operation *op : useful)
    if (llvm::any_of(op->getOperands(),
                     [&](Value v) { return varied.contains(v); }))
      active.push_back(op);
  llvm::sort(active,
             [](Operation *x, Operation *y) { return x->isBeforeInBlock(y); });
  for (Operation *op : llvm::reverse(active)) {
    SmallVector<Value> resultGrads;
    for (Value result : op->getResults())
      resultGrads.push_back(grads.lookup(result));
    if (llvm::all_of(resultGrads, [](Value g) { return !g; }))
      continue;
    auto vjp = dyn_cast<VjpOpInterface>(op);
    if (!vjp)
      return op->emitOpError()
             << "has no vector-Jacobian product, but the loss of the "
                "tfm.gradient at "
             << gradient.getLoc() << " depends on it";
    SmallVector<Value> operandGrads;
    if (failed(vjp.buildVjp(b, resultGrads, operandGrads)))
      return failure();
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
      if (grad && varied.contains(operand))
        accumulate(operand, grad);
  }

  SmallVector<Value> results;
  for (Value value : gradient.getWrt()) {
    Value grad = grads.lookup(value);
    results.push_back(grad ? grad : filled(b, loc, value.getType(), 0.0));
  }
  gradient->replaceAllUsesWith(results);
  gradient->erase();
  return success();
}

struct TfmAutodiffPass : tfm::impl::TfmAutodiffPassBase<TfmAutodiffPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<GradientOp> gradients;
    getOperation().walk([&](GradientOp op) { gradients.push_back(op); });
    for (GradientOp gradient : gradients)
      if (failed(differentiate(gradient)))
        return signalPassFailure();
  }
};
} // namespace
