//===- UpdateStateInPlace.cpp - State results become in-place ---*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Upstream's drop-equivalent-buffer-results leaves public functions alone,
// since it cannot update their callers; entry points have none in the
// module, and the runtime's contract for `tfm.state` arguments, and for
// parameters a training step returns marked `tfm.param`, is exactly that
// they are updated in place.
//
//===----------------------------------------------------------------------===//

#include "tfm/Transforms/Passes.h"

#define DEBUG_TYPE "tfm-update-state-in-place"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMUPDATESTATEINPLACEPASS
#include "tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
constexpr StringLiteral kParam = "tfm.param";

struct TfmUpdateStateInPlacePass
    : tfm::impl::TfmUpdateStateInPlacePassBase<TfmUpdateStateInPlacePass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    auto isState = [&](Value v) {
      auto arg = dyn_cast<BlockArgument>(v);
      return arg && arg.getOwner()->isEntryBlock() &&
             func.getArgAttr(arg.getArgNumber(), "tfm.state");
    };
    SmallVector<func::ReturnOp> returns;
    func.walk([&](func::ReturnOp r) { returns.push_back(r); });
    if (returns.size() != 1)
      return;
    func::ReturnOp ret = returns.front();
    BitVector drop(ret.getNumOperands());
    for (auto [i, value] : llvm::enumerate(ret.getOperands()))
      drop[i] = isState(value);
    // A state that bufferization could not update in place comes back as a
    // copy; accepting it would silently lose the update.
    for (BlockArgument arg : func.getArguments())
      if (isState(arg) && !llvm::is_contained(ret.getOperands(), arg)) {
        func.emitError("state argument ")
            << arg.getArgNumber() << " is not returned updated in place";
        return signalPassFailure();
      }
    // So must an updated parameter (a result marked `tfm.param`): it must be
    // the buffer of the parameter argument of the same name.
    for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
      auto name = func.getResultAttrOfType<StringAttr>(i, kParam);
      if (!name)
        continue;
      auto arg = dyn_cast<BlockArgument>(value);
      if (!arg || !arg.getOwner()->isEntryBlock() ||
          func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kParam) !=
              name) {
        func.emitError("parameter result ")
            << i << " ('" << name.getValue()
            << "') is not its argument updated in place";
        return signalPassFailure();
      }
      drop[i] = true;
    }
    if (drop.none())
      return;
    SmallVector<Value> kept;
    for (auto [i, value] : llvm::enumerate(ret.getOperands()))
      if (!drop[i])
        kept.push_back(value);
    OpBuilder builder(ret);
    func::ReturnOp::create(builder, ret.getLoc(), kept);
    ret.erase();
    if (failed(func.eraseResults(drop)))
      return signalPassFailure();
  }
};
} // namespace
