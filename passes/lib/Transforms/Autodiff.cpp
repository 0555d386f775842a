//===- Autodiff.cpp - Reverse-mode differentiation of tfm -------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The pass knows no op by name: each op on the path from the values to the
// loss builds its own adjoint (VjpOpInterface), and the pass only orders the
// walk and sums the gradients of values that fan out. The one exception is
// tfm.scan, whose adjoint is a region: a reverse scan whose body is the
// adjoint of the forward body, built by the same walk.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmOps.h"
#include "tfm/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/IR/IRMapping.h"

#define DEBUG_TYPE "tfm-autodiff"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMAUTODIFFPASS
#include "tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// Bytes of the activations a function's scans keep for their backward
/// pass (their residuals), read by the memory plan.
constexpr StringLiteral kSavedBytesAttr = "tfm.saved_activation_bytes";

/// A tensor of `type` filled with `value`.
Value filled(OpBuilder &b, Location loc, Type type, double value) {
  auto tensor = llvm::cast<RankedTensorType>(type);
  Value empty = tensor::EmptyOp::create(b, loc, tensor.getShape(),
                                        tensor.getElementType());
  Value scalar = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(tensor.getElementType(), value));
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

/// The gradients of the values of one block, built backwards at the
/// builder's insertion point from seeds on the values to differentiate.
class Adjoint {
public:
  Adjoint(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  void accumulate(Value value, Value grad) {
    Value &slot = grads[value];
    slot = slot ? AddOp::create(b, loc, slot, grad).getResult() : grad;
  }

  /// The gradient of `value`, or zeros when nothing depends on it.
  Value gradOrZeros(Value value) {
    Value grad = grads.lookup(value);
    return grad ? grad : filled(b, loc, value.getType(), 0.0);
  }

  /// Propagates the seeds back through the ops of `block` (up to `end`)
  /// that the `roots` depend on and that depend on one of `wrt`.
  LogicalResult propagate(Block &block, Block::iterator end, ValueRange roots,
                          ValueRange wrt, Location gradientLoc) {
    // Values that depend on one of the `wrt` values.
    DenseSet<Value> varied(wrt.begin(), wrt.end());
    for (Operation &op : llvm::make_range(block.begin(), end))
      if (llvm::any_of(op.getOperands(),
                       [&](Value v) { return varied.contains(v); }))
        varied.insert(op.getResults().begin(), op.getResults().end());
    // Ops the roots depend on.
    SetVector<Operation *> useful;
    for (Value root : roots)
      if (Operation *def = root.getDefiningOp();
          def && def->getBlock() == &block) {
        BackwardSliceOptions options;
        options.omitBlockArguments = true;
        options.filter = [&](Operation *op) {
          return op->getBlock() == &block;
        };
        (void)getBackwardSlice(def, &useful, options);
        useful.insert(def);
      }

    SmallVector<Operation *> active;
    for (Operation *op : useful)
      if (llvm::any_of(op->getOperands(),
                       [&](Value v) { return varied.contains(v); }))
        active.push_back(op);
    llvm::sort(active, [](Operation *x, Operation *y) {
      return x->isBeforeInBlock(y);
    });
    for (Operation *op : llvm::reverse(active)) {
      SmallVector<Value> resultGrads;
      for (Value result : op->getResults())
        resultGrads.push_back(grads.lookup(result));
      if (llvm::all_of(resultGrads, [](Value g) { return !g; }))
        continue;
      SmallVector<Value> operandGrads;
      if (auto scan = dyn_cast<ScanOp>(op)) {
        if (failed(buildScanVjp(scan, resultGrads, operandGrads)))
          return failure();
      } else if (auto vjp = dyn_cast<VjpOpInterface>(op)) {
        if (failed(vjp.buildVjp(b, resultGrads, operandGrads)))
          return failure();
      } else {
        return op->emitOpError()
               << "has no vector-Jacobian product, but the loss of the "
                  "tfm.gradient at "
               << gradientLoc << " depends on it";
      }
      for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
        if (grad && varied.contains(operand))
          accumulate(operand, grad);
    }
    return success();
  }

private:
  LogicalResult buildScanVjp(ScanOp scan, ArrayRef<Value> resultGrads,
                             SmallVectorImpl<Value> &operandGrads);

  OpBuilder &b;
  Location loc;
  DenseMap<Value, Value> grads;
};

/// The adjoint of a forward scan is a reverse scan over the same count.
/// Its carries are the gradients of the forward carries; it reads the
/// forward's stacked inputs, the gradients of its stacked outputs and the
/// forward values its adjoint ops need (residuals: each iteration's carry
/// in, the activations a backward op reads), which the forward scan now
/// also stacks; it stacks the gradients of the forward's stacked inputs.
/// Its body is the forward body cloned and differentiated; the clones the
/// residuals replace are erased, so nothing is computed twice.
LogicalResult Adjoint::buildScanVjp(ScanOp scan, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  Location where = scan.getLoc();
  Block &forward = scan.getBodyBlock();
  size_t numCarries = scan.getInits().size(), numXs = scan.getXs().size();
  size_t numYs = scan.getYs().size();
  auto forwardYield = cast<YieldOp>(forward.getTerminator());

  // The backward body, built detached: (index, carry gradients, input
  // slices, output gradient slices, carries in); residuals come last.
  auto region = std::make_unique<Region>();
  Block *body = new Block();
  region->push_back(body);
  auto addArg = [&](Type type) { return body->addArgument(type, where); };
  IRMapping clone;
  clone.map(forward.getArgument(0), addArg(b.getIndexType()));
  SmallVector<Value> carryGrads, sliceArgs, yGrads, carriesIn;
  for (Value carry : scan.getCarries())
    carryGrads.push_back(addArg(carry.getType()));
  for (BlockArgument slice : forward.getArguments().take_back(numXs)) {
    sliceArgs.push_back(addArg(slice.getType()));
    clone.map(slice, sliceArgs.back());
  }
  for (Value y : forwardYield.getValues().drop_front(numCarries))
    yGrads.push_back(addArg(y.getType()));
  for (BlockArgument carry : forward.getArguments().slice(1, numCarries)) {
    carriesIn.push_back(addArg(carry.getType()));
    clone.map(carry, carriesIn.back());
  }

  OpBuilder::InsertionGuard guard(b);
  OpBuilder::InsertPoint outer = b.saveInsertionPoint();
  b.setInsertionPointToStart(body);
  DenseSet<Operation *> clones;
  for (Operation &op : forward.without_terminator())
    clones.insert(b.clone(op, clone));
  Adjoint inner(b, where);
  SmallVector<Value> roots;
  for (auto [value, grad] : llvm::zip(
           forwardYield.getValues(), llvm::concat<Value>(carryGrads, yGrads))) {
    roots.push_back(clone.lookupOrDefault(value));
    inner.accumulate(roots.back(), grad);
  }
  SmallVector<Value> wrt(carriesIn);
  wrt.append(sliceArgs);
  if (failed(inner.propagate(*body, body->end(), roots, wrt, where)))
    return failure();
  SmallVector<Value> yielded;
  for (Value value : wrt)
    yielded.push_back(inner.gradOrZeros(value));
  YieldOp::create(b, where, yielded);

  // Residuals: cloned forward values (or carries in) that an adjoint op
  // reads become stacked outputs of the forward scan and slices here.
  DenseMap<Value, Value> original;
  for (auto [from, to] : clone.getValueMap())
    original[to] = from;
  auto inClone = [&](Operation *op) {
    for (; op && op->getBlock() != nullptr; op = op->getParentOp()) {
      if (clones.contains(op))
        return true;
      if (op->getBlock() == body)
        return false;
    }
    return false;
  };
  SmallVector<Value> residuals; // forward values
  SmallVector<Value> residualArgs;
  body->walk([&](Operation *op) {
    if (inClone(op))
      return;
    for (OpOperand &use : op->getOpOperands()) {
      Value value = use.get();
      Operation *def = value.getDefiningOp();
      if (!(def && clones.contains(def)) &&
          !llvm::is_contained(carriesIn, value))
        continue;
      Value saved = original.lookup(value);
      auto at = llvm::find(residuals, saved);
      if (at == residuals.end()) {
        residuals.push_back(saved);
        residualArgs.push_back(addArg(value.getType()));
        at = residuals.end() - 1;
      }
      use.set(residualArgs[at - residuals.begin()]);
    }
  });
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(*body)))
    if (clones.contains(&op) && op.use_empty())
      op.erase();
  if (llvm::any_of(carriesIn, [](Value v) { return !v.use_empty(); }))
    return scan.emitOpError("has a body whose adjoint needs a value it "
                            "cannot save");
  body->eraseArguments(1 + numCarries + numXs + numYs, numCarries);

  // The forward scan, stacking the residuals too.
  b.setInsertionPoint(scan);
  SmallVector<Type> resultTypes(scan.getResultTypes());
  for (Value residual : residuals) {
    auto type = cast<RankedTensorType>(residual.getType());
    SmallVector<int64_t> shape = {static_cast<int64_t>(scan.getCount())};
    llvm::append_range(shape, type.getShape());
    resultTypes.push_back(RankedTensorType::get(shape, type.getElementType()));
  }
  auto saving =
      ScanOp::create(b, where, resultTypes, scan.getCountAttr(),
                     scan.getReverseAttr(), scan.getInits(), scan.getXs());
  // A copy of the body: the walk still reads the old scan, which the
  // cleanup after the pass erases.
  IRMapping toSaving;
  scan.getBody().cloneInto(&saving.getBody(), toSaving);
  Operation *terminator = saving.getBodyBlock().getTerminator();
  SmallVector<Value> forwardYields(terminator->getOperands());
  for (Value residual : residuals)
    forwardYields.push_back(toSaving.lookup(residual));
  terminator->setOperands(forwardYields);
  scan->replaceAllUsesWith(
      saving.getResults().take_front(scan.getNumResults()));
  // What the backward pass keeps, for the memory plan.
  auto func = saving->getParentOfType<func::FuncOp>();
  int64_t saved = 0;
  if (auto known = func->getAttrOfType<IntegerAttr>(kSavedBytesAttr))
    saved = known.getInt();
  for (Value stack : saving.getResults().drop_front(scan.getNumResults())) {
    auto type = cast<RankedTensorType>(stack.getType());
    saved += type.getNumElements() * type.getElementTypeBitWidth() / 8;
  }
  func->setAttr(kSavedBytesAttr, b.getI64IntegerAttr(saved));

  // The backward scan, where the adjoint walk has reached.
  b.restoreInsertionPoint(outer);
  SmallVector<Value> inits, xs(scan.getXs());
  for (auto [carry, grad] :
       llvm::zip(scan.getCarries(), resultGrads.take_front(numCarries)))
    inits.push_back(grad ? grad : filled(b, where, carry.getType(), 0.0));
  for (auto [y, grad] :
       llvm::zip(scan.getYs(), resultGrads.drop_front(numCarries)))
    xs.push_back(grad ? grad : filled(b, where, y.getType(), 0.0));
  llvm::append_range(xs, saving.getResults().drop_front(scan.getNumResults()));
  SmallVector<Type> gradTypes(scan.getInits().getTypes());
  llvm::append_range(gradTypes, scan.getXs().getTypes());
  auto backward = ScanOp::create(
      b, where, gradTypes, scan.getCountAttr(),
      scan.getReverse() ? UnitAttr() : b.getUnitAttr(), inits, xs);
  backward.getBody().takeBody(*region);
  llvm::append_range(operandGrads, backward.getResults());
  return success();
}

/// Replaces `gradient` with the backward graph of its loss, built just
/// before it.
LogicalResult differentiate(GradientOp gradient) {
  Value loss = gradient.getLoss();
  OpBuilder b(gradient);
  Location loc = gradient.getLoc();
  Adjoint adjoint(b, loc);
  adjoint.accumulate(loss, filled(b, loc, loss.getType(), 1.0));
  if (failed(adjoint.propagate(*gradient->getBlock(), gradient->getIterator(),
                               loss, gradient.getWrt(), loc)))
    return failure();
  SmallVector<Value> results;
  for (Value value : gradient.getWrt())
    results.push_back(adjoint.gradOrZeros(value));
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
