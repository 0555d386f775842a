//===- Pipelines.cpp - tfm lowering pipelines -------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tfm/Pipelines/Pipelines.h"

#include "tfm/Codegen/CPU/Passes.h"
#include "tfm/Codegen/Common/Passes.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Transforms/Passes.h"

#include "tfm/Dialect/TfmOps.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/IR/TensorTilingInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
void addCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}
} // namespace

//===----------------------------------------------------------------------===//
// Phases
//===----------------------------------------------------------------------===//

void tfm::buildTfmPreprocessingPipeline(OpPassManager &pm) {
  // Training graphs: tfm.gradient becomes the backward ops.
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(tfm::createTfmAutodiffPass());
  addCleanup(funcPm);
}

void tfm::buildTfmToLinalgPipeline(OpPassManager &pm,
                                   const TfmLinalgPipelineOptions &options) {
  // Kernels first (attention, residual + layer norm), then every other op
  // to linalg on tensors, with elementwise producers fused.
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  if (options.fuse) {
    funcPm.addPass(tfm::createTfmFuseAttentionPass());
    funcPm.addPass(tfm::createTfmFuseResidualLayerNormPass());
  }
  funcPm.addPass(tfm::createConvertTfmToLinalgPass());
  addCleanup(funcPm);
  if (options.fuse) {
    funcPm.addPass(tfm::createTfmFuseElementwisePass());
    addCleanup(funcPm);
  }
}

void tfm::buildTfmCpuCodegenPipeline(OpPassManager &pm,
                                     const TfmCpuPipelineOptions &options) {
  // Threads and registers, still on tensors.
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(tfm::createTfmCpuSplitVocabularyPass());
  addCleanup(funcPm);
  if (options.fuse) {
    tfm::TfmCpuPackMatmulsPassOptions packing;
    packing.panelWidth = options.regTileN;
    funcPm.addPass(tfm::createTfmCpuPackMatmulsPass(packing));
    addCleanup(funcPm);
  }
  tfm::TfmCpuSelectThreadTilesPassOptions threads;
  threads.threadTileM = options.threadTileM;
  threads.threadTileN = options.threadTileN;
  funcPm.addPass(tfm::createTfmCpuSelectThreadTilesPass(threads));
  if (options.fuse) {
    funcPm.addPass(tfm::createTfmFuseMatmulEpiloguesPass());
    addCleanup(funcPm);
  }
  tfm::TfmCpuTileAndVectorizePassOptions tiling;
  tiling.regTileM = options.regTileM;
  tiling.regTileN = options.regTileN;
  funcPm.addPass(tfm::createTfmCpuTileAndVectorizePass(tiling));
  addCleanup(funcPm);

  // Buffers: identity layouts at the boundary (bare pointers), results
  // written into caller-provided buffers.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // A tile computed into a tensor.empty and then inserted into a slice of a
  // buffer (a new key into its cache slot) is computed in the slot itself.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // A KV cache comes in and goes out updated in place: the result is the
  // argument's buffer, so it is dropped rather than copied out. Loops that
  // update a cache row by row hand back their init buffer; canonicalization
  // folds those results to the argument itself.
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(tfm::createTfmUpdateStateInPlacePass());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  OpPassManager &bufferPm = pm.nest<func::FuncOp>();
  addCleanup(bufferPm);
  // Bufferizing scf.forall copies each tile onto an identical subview; CSE
  // turns those into self-copies, which canonicalization erases, so that
  // nothing but the accumulator's own transfers touches it in the loop.
  bufferPm.addPass(createCanonicalizerPass());
  // Hoisting only pairs transfers on a base buffer, not on subviews.
  bufferPm.addPass(tfm::createTfmCpuPinSplitViewsPass());
  bufferPm.addPass(memref::createFoldMemRefAliasOpsPass());
  // Folding gives each transfer its own copy of the index arithmetic; the
  // read and write of an accumulator pair only once they share indices.
  bufferPm.addPass(createCSEPass());
  bufferPm.addPass(createLoopInvariantCodeMotionPass());
  bufferPm.addPass(tfm::createTfmCpuHoistVectorTransfersPass());
  addCleanup(bufferPm);
  // Without OpenMP, thread tiles run one after another as plain loops, and
  // their scratch buffers need no per-thread stack scope.
  if (!options.openmp)
    bufferPm.addPass(createForallToForLoopPass());
  bufferPm.addPass(tfm::createTfmCpuPlanBuffersPass());
}

void tfm::buildTfmCpuToLlvmPipeline(OpPassManager &pm,
                                    const TfmCpuPipelineOptions &options) {
  // Loops and vectors down to LLVM.
  OpPassManager &loopPm = pm.nest<func::FuncOp>();
  if (options.openmp)
    loopPm.addPass(createForallToParallelLoopPass());
  loopPm.addPass(tfm::createTfmCpuExpandStridedCopiesPass());
  loopPm.addPass(createConvertLinalgToLoopsPass());
  loopPm.addPass(tfm::createTfmCpuApproximateMathPass());
  // Fully unrolled: the non-unrolled form stages each transfer through a
  // stack buffer allocated inside the loop, once per iteration.
  loopPm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  loopPm.addPass(vector::createLowerVectorMultiReductionPass());
  if (options.openmp)
    pm.addPass(createConvertSCFToOpenMPPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  ConvertVectorToLLVMPassOptions vectorToLlvm;
  vectorToLlvm.vectorContractLowering =
      vector::VectorContractLowering::OuterProduct;
  vectorToLlvm.reassociateFPReductions = true;
  vectorToLlvm.vectorTransposeLowering =
      vector::VectorTransposeLowering::Shuffle16x16;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLlvm));
  // Before SCF -> CF: the OpenMP conversion wraps parallel bodies in
  // memref.alloca_scope, which must still hold a single block here.
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  ConvertFuncToLLVMPassOptions funcToLlvm;
  funcToLlvm.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLlvm));
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  addCleanup(pm);
  pm.addPass(tfm::createTfmCpuPackEntryPointsPass());
}

//===----------------------------------------------------------------------===//
// Whole pipelines
//===----------------------------------------------------------------------===//

void tfm::buildTfmToCpuPipelineUpTo(OpPassManager &pm,
                                    const TfmCpuPipelineOptions &options,
                                    TfmPhase last) {
  buildTfmPreprocessingPipeline(pm);
  if (last == TfmPhase::Preprocessing)
    return;
  TfmLinalgPipelineOptions linalg;
  linalg.fuse = options.fuse;
  buildTfmToLinalgPipeline(pm, linalg);
  if (last == TfmPhase::Linalg)
    return;
  buildTfmCpuCodegenPipeline(pm, options);
  if (last == TfmPhase::Codegen)
    return;
  buildTfmCpuToLlvmPipeline(pm, options);
}

void tfm::buildTfmToCpuPipeline(OpPassManager &pm,
                                const TfmCpuPipelineOptions &options) {
  buildTfmToCpuPipelineUpTo(pm, options, TfmPhase::LlvmDialect);
}

void tfm::registerPipelineDialects(DialectRegistry &registry) {
  registry.insert<TfmDialect, affine::AffineDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, index::IndexDialect, linalg::LinalgDialect,
                  LLVM::LLVMDialect, math::MathDialect, memref::MemRefDialect,
                  omp::OpenMPDialect, scf::SCFDialect, tensor::TensorDialect,
                  ub::UBDialect, vector::VectorDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerTilingInterfaceExternalModels(registry);
  // Lets results-to-out-params write into the caller's buffer instead of
  // copying a returned allocation into it.
  memref::registerAllocationOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerTilingInterfaceExternalModels(registry);
  vector::registerBufferizableOpInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

void tfm::registerTfmPipelines() {
  PassPipelineRegistration<>(
      "tfm-preprocessing-pipeline",
      "Phase 1 of 4: target-neutral tfm to tfm (tfm-autodiff expands "
      "tfm.gradient into backward ops)",
      [](OpPassManager &pm) { buildTfmPreprocessingPipeline(pm); });
  PassPipelineRegistration<TfmLinalgPipelineOptions>(
      "tfm-to-linalg-pipeline",
      "Phase 2 of 4: target-neutral tfm to linalg on tensors (attention and "
      "residual + layer norm kernels, the conversion, elementwise fusion)",
      buildTfmToLinalgPipeline);
  PassPipelineRegistration<TfmCpuPipelineOptions>(
      "tfm-cpu-codegen-pipeline",
      "Phase 3 of 4, CPU: linalg on tensors to bufferized loops and vectors "
      "(vocabulary split, matmul packing and epilogues, thread and "
      "register tiling, "
      "bufferization, hoisting, buffer planning)",
      buildTfmCpuCodegenPipeline);
  PassPipelineRegistration<TfmCpuPipelineOptions>(
      "tfm-cpu-to-llvm-pipeline",
      "Phase 4 of 4, CPU: loops, vectors and OpenMP to the LLVM dialect, "
      "with packed entry points",
      buildTfmCpuToLlvmPipeline);
  PassPipelineRegistration<TfmCpuPipelineOptions>(
      "tfm-lower-to-cpu-pipeline",
      "All four phases: tfm to the LLVM dialect for the host CPU",
      buildTfmToCpuPipeline);
}
