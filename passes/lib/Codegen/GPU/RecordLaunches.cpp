//===- RecordLaunches.cpp - The kernels an entry point launches -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// What a compiled GPU entry point will do, for the manifest (and a reader
// of it): each kernel it launches, with the grid, the block, the shared
// memory, and how many times a call launches it (the layer loop).
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPURECORDLAUNCHESPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
/// The constant of `value`, or -1 when it is not known here.
int64_t known(Value value) {
  if (!value)
    return 0;
  return getConstantIntValue(value).value_or(-1);
}

struct TfmGpuRecordLaunchesPass
    : tfm::impl::TfmGpuRecordLaunchesPassBase<TfmGpuRecordLaunchesPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    Builder b(&getContext());
    SmallVector<Attribute> launches;
    func.walk([&](gpu::LaunchFuncOp launch) {
      // Loops around the launch multiply it (the layer loop runs it once
      // per period of layers).
      int64_t times = 1;
      for (auto loop = launch->getParentOfType<scf::ForOp>(); loop;
           loop = loop->getParentOfType<scf::ForOp>()) {
        std::optional<int64_t> trips =
            loop.getStaticTripCount()
                ? std::optional<int64_t>(
                      loop.getStaticTripCount()->getSExtValue())
                : std::nullopt;
        times = trips && times >= 0 ? times * *trips : -1;
      }
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      launches.push_back(b.getDictionaryAttr({
          b.getNamedAttr("kernel",
                         b.getStringAttr(launch.getKernelName().getValue())),
          b.getNamedAttr("grid",
                         b.getDenseI64ArrayAttr(
                             {known(grid.x), known(grid.y), known(grid.z)})),
          b.getNamedAttr("block",
                         b.getDenseI64ArrayAttr(
                             {known(block.x), known(block.y), known(block.z)})),
          b.getNamedAttr(
              "shared_memory",
              b.getI64IntegerAttr(known(launch.getDynamicSharedMemorySize()))),
          b.getNamedAttr("launches", b.getI64IntegerAttr(times)),
      }));
    });
    if (!launches.empty())
      func->setAttr("tfm.kernels", b.getArrayAttr(launches));
  }
};
} // namespace
