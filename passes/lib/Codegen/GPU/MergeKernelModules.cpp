//===- MergeKernelModules.cpp - Every kernel in one gpu.module --*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Outlining gives each kernel a module of its own; one module is one
// cubin to load and one PTX file to inspect, with the device functions
// (libdevice's) linked once. Each kernel also states the blocks an SM must
// hold at least: without it ptxas budgets registers for two blocks of 256
// threads (128 each) and spills a tensor-core kernel that needs more.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/GPU/Passes.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUMERGEKERNELMODULESPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
struct TfmGpuMergeKernelModulesPass
    : tfm::impl::TfmGpuMergeKernelModulesPassBase<
          TfmGpuMergeKernelModulesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernels(module.getOps<gpu::GPUModuleOp>());
    if (kernels.empty())
      return;
    OpBuilder builder(kernels.front());
    auto merged =
        gpu::GPUModuleOp::create(builder, kernels.front().getLoc(), moduleName);
    SymbolTable mergedSymbols(merged);
    DenseMap<Attribute, SymbolRefAttr> renamed;
    for (gpu::GPUModuleOp kernel : kernels) {
      for (Operation &op :
           llvm::make_early_inc_range(kernel.getBodyRegion().front())) {
        auto symbol = dyn_cast<SymbolOpInterface>(op);
        if (!symbol) {
          op.emitError("cannot merge a kernel module holding a non-symbol");
          return signalPassFailure();
        }
        StringAttr oldName = symbol.getNameAttr();
        Block &body = merged.getBodyRegion().front();
        op.moveBefore(&body, body.end());
        if (auto func = dyn_cast<gpu::GPUFuncOp>(op); func && func.isKernel())
          func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                        builder.getI32IntegerAttr(minBlocksPerSM));
        // insert() renames on a clash and returns the name it kept.
        StringAttr newName = mergedSymbols.insert(&op);
        renamed[SymbolRefAttr::get(kernel.getNameAttr(),
                                   {FlatSymbolRefAttr::get(oldName)})] =
            SymbolRefAttr::get(merged.getNameAttr(),
                               {FlatSymbolRefAttr::get(newName)});
      }
    }
    WalkResult walk = module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr target = renamed.lookup(launch.getKernel());
      if (!target) {
        launch.emitError("launches a kernel outside the merged modules");
        return WalkResult::interrupt();
      }
      launch.setKernelAttr(target);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (gpu::GPUModuleOp kernel : kernels)
      kernel.erase();
  }
};
} // namespace
