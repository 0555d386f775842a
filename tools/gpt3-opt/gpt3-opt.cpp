//===- gpt3-opt.cpp - The tfm optimizer driver ------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// mlir-opt for the GPT-3 compiler: the `tfm` dialect, our passes and
// pipelines, and only the upstream dialects and passes our pipelines use.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/CPU/Passes.h"
#include "tfm/Codegen/Common/Passes.h"
#include "tfm/Codegen/GPU/Passes.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Pipelines/Pipelines.h"
#include "tfm/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  // Every pass the pipelines run, so each step can be replayed alone.
  mlir::registerTransformsPasses();
  mlir::registerConversionPasses();
  mlir::bufferization::registerBufferizationPasses();
  mlir::registerGPUPasses();
  mlir::registerLinalgPasses();
  mlir::LLVM::registerLLVMPasses();
  mlir::memref::registerMemRefPasses();
  mlir::registerSCFPasses();
  mlir::tfm::registerTfmConversionPasses();
  mlir::tfm::registerTfmCodegenCommonPasses();
  mlir::tfm::registerTfmCodegenCPUPasses();
  mlir::tfm::registerTfmCodegenGPUPasses();
  mlir::tfm::registerTfmTransformsPasses();
  mlir::tfm::registerTfmPipelines();

  mlir::DialectRegistry registry;
  mlir::tfm::registerPipelineDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "GPT-3 compiler optimizer driver\n", registry));
}
