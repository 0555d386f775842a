//===- Pipelines.cpp - tfm lowering pipelines -------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tfm/Pipelines/Pipelines.h"

#include "tfm/Codegen/CPU/Passes.h"
#include "tfm/Codegen/Common/Passes.h"
#include "tfm/Codegen/GPU/Passes.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Transforms/Passes.h"

#include "tfm/Dialect/TfmOps.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/LLVMIR/Transforms/OptimizeForNVVM.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
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
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
void addCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// One-shot bufferization of every entry point: identity layouts at the
/// boundary (bare pointers), results written into caller-provided buffers,
/// states updated in place.
void addBufferization(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // A tile computed into a tensor.empty and then inserted into a slice of a
  // buffer (a new key into its cache slot, an activation into the stack the
  // backward pass reads) is computed in the slot itself.
  pm.addNestedPass<func::FuncOp>(tfm::createTfmComputeInPlacePass());
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
  // Then, in a run of several processes, gradients averaged over them.
  pm.addPass(tfm::createTfmDataParallelPass());
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
  // Collectives between ranks hand their tensors over to MPI's buffers.
  pm.addPass(tfm::createTfmCpuLowerCollectivesPass());
  // Threads and registers, still on tensors.
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(tfm::createTfmSplitFullReductionsPass());
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

  addBufferization(pm);
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
  loopPm.addPass(tfm::createTfmCpuLowerBf16ContractionsPass());
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
  vectorToLlvm.x86Vector = true;
  vectorToLlvm.vectorTransposeLowering =
      vector::VectorTransposeLowering::Shuffle16x16;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLlvm));
  // MPI calls take the buffers' descriptors, so they go before the memrefs.
  pm.addPass(tfm::createTfmCpuMpiToLlvmPass());
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

void tfm::buildTfmGpuCodegenPipeline(
    OpPassManager &pm, const tfm::TfmGpuPipelineOptions &options) {
  // Matmuls in thread blocks with their epilogues, on tensors.
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(tfm::createTfmSplitFullReductionsPass());
  funcPm.addPass(tfm::createTfmGpuSplitRaggedContractionsPass());
  funcPm.addPass(tfm::createTfmGpuOwnScatterRowsPass());
  funcPm.addPass(tfm::createTfmGpuSplitReductionBlocksPass());
  funcPm.addPass(tfm::createTfmGpuSelectBlockTilesPass());
  if (options.fuse) {
    funcPm.addPass(tfm::createTfmFuseMatmulEpiloguesPass());
    addCleanup(funcPm);
  }
  addBufferization(pm);
  // Every loop nest a grid of blocks; every step in a block shared by its
  // threads.
  OpPassManager &bufferPm = pm.nest<func::FuncOp>();
  addCleanup(bufferPm);
  // CSE turns the copy of an in-place result into a copy of a buffer onto
  // itself, which only the canonicalizer after it erases.
  bufferPm.addPass(createCanonicalizerPass());
  tfm::TfmGpuTileToBlocksPassOptions blocks;
  blocks.blockElements = options.blockElements;
  bufferPm.addPass(tfm::createTfmGpuTileToBlocksPass(blocks));
  if (options.matmulPrecision != "f32") {
    tfm::TfmGpuTileToWarpsPassOptions warps;
    warps.threads = options.threads;
    bufferPm.addPass(tfm::createTfmGpuTileToWarpsPass(warps));
    tfm::TfmGpuStageOperandsPassOptions staging;
    staging.threads = options.threads;
    bufferPm.addPass(tfm::createTfmGpuStageOperandsPass(staging));
  }
  tfm::TfmGpuTileToThreadsPassOptions threads;
  threads.threads = options.threads;
  bufferPm.addPass(tfm::createTfmGpuTileToThreadsPass(threads));
  bufferPm.addPass(tfm::createTfmGpuContractToRegistersPass());
  bufferPm.addPass(tfm::createTfmGpuMergeSingleBlockKernelsPass());
  addCleanup(bufferPm);
}

namespace {
/// Host emulation: the distributed form as CPU loops (blocks on OpenMP
/// threads, each block's threads one after another).
void buildGpuHostEmulationPipeline(OpPassManager &pm) {
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(tfm::createTfmGpuEmulateOnHostPass());
  funcPm.addPass(tfm::createTfmCpuPlanBuffersPass());
  tfm::buildTfmCpuToLlvmPipeline(pm, tfm::TfmCpuPipelineOptions());
}

/// Common: kernels out of the host functions, every loop to control flow.
void buildGpuCommonPipeline(OpPassManager &pm,
                            const tfm::TfmGpuPipelineOptions &options) {
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  tfm::TfmGpuMapToLaunchPassOptions launch;
  launch.maxThreads = options.threads;
  funcPm.addPass(tfm::createTfmGpuReadScalarsOnHostPass());
  if (options.matmulPrecision != "f32") {
    tfm::TfmGpuContractToMmaPassOptions mma;
    mma.precision = options.matmulPrecision;
    funcPm.addPass(tfm::createTfmGpuContractToMmaPass(mma));
  }
  funcPm.addPass(tfm::createTfmGpuMapToLaunchPass(launch));
  funcPm.addPass(tfm::createTfmCpuPlanBuffersPass());
  funcPm.addPass(createConvertLinalgToLoopsPass());
  addCleanup(funcPm);
  // Constants (loop bounds, strides, offsets) go into the kernels rather
  // than becoming launch arguments the device code cannot fold.
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(tfm::createTfmGpuMergeKernelModulesPass());
  pm.addNestedPass<func::FuncOp>(tfm::createTfmGpuRecordLaunchesPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.arch;
  // PTX 8.0 is the first with sm_90a.
  target.features = "+ptx80";
  target.optLevel = 3;
  // Linked by name, so a missing toolkit is an error here, not unresolved
  // math functions in the PTX.
  target.linkLibs.push_back(options.cudaPath +
                            "/nvvm/libdevice/libdevice.10.bc");
  pm.addPass(createGpuNVVMAttachTarget(target));
}

/// Device: each gpu.module to NVVM.
void buildGpuDevicePipeline(OpPassManager &pm) {
  OpPassManager &modulePm = pm.nest<gpu::GPUModuleOp>();
  modulePm.addPass(createStripDebugInfoPass());
  modulePm.addPass(createConvertNVGPUToNVVMPass());
  modulePm.addPass(createConvertGpuOpsToNVVMOps());
  modulePm.addPass(LLVM::createNVVMOptimizeForTargetPass());
  addCleanup(modulePm);
  modulePm.addPass(createReconcileUnrealizedCastsPass());
}

/// Host: launches to runtime calls, the host functions to the LLVM
/// dialect with bare-pointer entry points, kernels serialized.
void buildGpuHostPipeline(OpPassManager &pm,
                          const tfm::TfmGpuPipelineOptions &options) {
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  ConvertFuncToLLVMPassOptions funcToLlvm;
  funcToLlvm.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLlvm));
  GpuToLLVMConversionPassOptions gpuToLlvm;
  gpuToLlvm.hostBarePtrCallConv = true;
  pm.addPass(createGpuToLLVMConversionPass(gpuToLlvm));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  binary.toolkitPath = options.cudaPath;
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  addCleanup(pm);
  pm.addPass(tfm::createTfmCpuPackEntryPointsPass());
}
} // namespace

void tfm::buildTfmGpuToNvvmPipeline(OpPassManager &pm,
                                    const tfm::TfmGpuPipelineOptions &options) {
  if (options.hostEmulation)
    return buildGpuHostEmulationPipeline(pm);
  buildGpuCommonPipeline(pm, options);
  buildGpuDevicePipeline(pm);
  buildGpuHostPipeline(pm, options);
}

//===----------------------------------------------------------------------===//
// Whole pipelines
//===----------------------------------------------------------------------===//

namespace {
/// The four phases up to `last`: the neutral ones, then a target's
/// `codegen` and `lower` phases with its `options`.
template <typename Options>
void buildPhasesUpTo(OpPassManager &pm, const Options &options,
                     tfm::TfmPhase last, bool preprocess,
                     void (*codegen)(OpPassManager &, const Options &),
                     void (*lower)(OpPassManager &, const Options &)) {
  if (preprocess)
    tfm::buildTfmPreprocessingPipeline(pm);
  if (last == tfm::TfmPhase::Preprocessing)
    return;
  tfm::TfmLinalgPipelineOptions linalg;
  linalg.fuse = options.fuse;
  tfm::buildTfmToLinalgPipeline(pm, linalg);
  if (last == tfm::TfmPhase::Linalg)
    return;
  codegen(pm, options);
  if (last == tfm::TfmPhase::Codegen)
    return;
  lower(pm, options);
}
} // namespace

void tfm::buildTfmToCpuPipelineUpTo(OpPassManager &pm,
                                    const TfmCpuPipelineOptions &options,
                                    TfmPhase last, bool preprocess) {
  buildPhasesUpTo(pm, options, last, preprocess, buildTfmCpuCodegenPipeline,
                  buildTfmCpuToLlvmPipeline);
}

void tfm::buildTfmToCpuPipeline(OpPassManager &pm,
                                const TfmCpuPipelineOptions &options) {
  buildTfmToCpuPipelineUpTo(pm, options, TfmPhase::LlvmDialect);
}

void tfm::buildTfmToGpuPipelineUpTo(OpPassManager &pm,
                                    const TfmGpuPipelineOptions &options,
                                    TfmPhase last, bool preprocess) {
  buildPhasesUpTo(pm, options, last, preprocess, buildTfmGpuCodegenPipeline,
                  buildTfmGpuToNvvmPipeline);
}

void tfm::buildTfmToGpuPipeline(OpPassManager &pm,
                                const tfm::TfmGpuPipelineOptions &options) {
  buildTfmToGpuPipelineUpTo(pm, options, TfmPhase::LlvmDialect);
}

void tfm::registerPipelineDialects(DialectRegistry &registry) {
  registry.insert<TfmDialect, affine::AffineDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  DLTIDialect, func::FuncDialect, gpu::GPUDialect,
                  index::IndexDialect, linalg::LinalgDialect, LLVM::LLVMDialect,
                  math::MathDialect, memref::MemRefDialect, mpi::MPIDialect,
                  nvgpu::NVGPUDialect, NVVM::NVVMDialect, omp::OpenMPDialect,
                  scf::SCFDialect, tensor::TensorDialect, ub::UBDialect,
                  vector::VectorDialect>();
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
  // The GPU target: every dialect in a kernel to NVVM and LLVM (the
  // conversions find one another through these interfaces), NVVM
  // serialization and the kernels' embedding.
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  NVVM::registerConvertGpuToNVVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
  vector::registerConvertVectorToLLVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
}

void tfm::registerTfmPipelines() {
  PassPipelineRegistration<>(
      "tfm-preprocessing-pipeline",
      "Phase 1 of 4: target-neutral tfm to tfm (tfm-autodiff expands "
      "tfm.gradient into backward ops; tfm-data-parallel averages gradients "
      "over the ranks of a module with tfm.ranks)",
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
  PassPipelineRegistration<TfmGpuPipelineOptions>(
      "tfm-gpu-codegen-pipeline",
      "Phase 3 of 4, GPU: linalg on tensors to the distributed form "
      "(block tiles, matmul epilogues, bufferization, block loops whose "
      "steps the threads share)",
      buildTfmGpuCodegenPipeline);
  PassPipelineRegistration<TfmGpuPipelineOptions>(
      "tfm-gpu-to-nvvm-pipeline",
      "Phase 4 of 4, GPU: the distributed form to kernels (NVVM, serialized "
      "to a cubin and PTX) and host code that launches them; with "
      "host-emulation, to CPU code",
      buildTfmGpuToNvvmPipeline);
  PassPipelineRegistration<TfmGpuPipelineOptions>(
      "tfm-lower-to-nvvm-pipeline",
      "All four phases: tfm to kernels and host code for an NVIDIA GPU",
      buildTfmToGpuPipeline);
}
