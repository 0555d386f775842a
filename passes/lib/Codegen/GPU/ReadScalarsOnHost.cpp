//===- ReadScalarsOnHost.cpp - Scalar inputs passed by value ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A scalar input (the decode position, the step, the learning rate) steers
// host code (which cache slot a step writes) and kernels alike. The host
// cannot read device memory, so the runtime keeps scalar inputs in host
// memory; the entry point reads each once and kernels get the value as an
// argument.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/GPU/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUREADSCALARSONHOSTPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
struct TfmGpuReadScalarsOnHostPass
    : tfm::impl::TfmGpuReadScalarsOnHostPassBase<TfmGpuReadScalarsOnHostPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    OpBuilder builder(&getContext());
    builder.setInsertionPointToStart(&func.getBody().front());
    for (BlockArgument arg : func.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type || type.getRank() != 0 ||
          !func.getArgAttr(arg.getArgNumber(), "tfm.input"))
        continue;
      Value value = memref::LoadOp::create(builder, arg.getLoc(), arg);
      for (OpOperand &use : llvm::make_early_inc_range(arg.getUses())) {
        auto load = dyn_cast<memref::LoadOp>(use.getOwner());
        if (load && load.getResult() == value)
          continue;
        if (!load) {
          use.getOwner()->emitError("uses the scalar input #")
              << arg.getArgNumber()
              << " other than by loading it; kernels get it by value";
          return signalPassFailure();
        }
        load.getResult().replaceAllUsesWith(value);
        load.erase();
      }
    }
  }
};
} // namespace
