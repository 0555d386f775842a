//===- Pipelines.h - tfm lowering pipelines ----------------------*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The pass pipelines from tfm to a target. gpt3-compile and gpt3-opt build
// them with the same functions, so `gpt3-opt --tfm-lower-to-cpu-pipeline`
// reproduces any compile.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_PIPELINES_PIPELINES_H
#define TFM_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::tfm {

/// The phases of a compile, in order; each has its own builder and
/// registered pipeline, and gpt3-compile --compile-to stops after one.
enum class TfmPhase { Preprocessing, Linalg, Codegen, LlvmDialect };

/// Options of the target-neutral tfm-to-linalg phase.
struct TfmLinalgPipelineOptions
    : public PassPipelineOptions<TfmLinalgPipelineOptions> {
  PassOptions::Option<bool> fuse{
      *this, "fuse",
      llvm::cl::desc("Lower attention and residual + layer norm as fused "
                     "kernels and fuse elementwise producers; off keeps each "
                     "op as lowered, to bisect a wrong result"),
      llvm::cl::init(true)};
};

/// Options of the CPU phases and the whole CPU pipeline.
struct TfmCpuPipelineOptions
    : public PassPipelineOptions<TfmCpuPipelineOptions> {
  PassOptions::Option<int64_t> threadTileM{
      *this, "thread-tile-m", llvm::cl::desc("Matmul rows per thread block"),
      llvm::cl::init(64)};
  PassOptions::Option<int64_t> threadTileN{
      *this, "thread-tile-n", llvm::cl::desc("Matmul columns per thread block"),
      llvm::cl::init(256)};
  PassOptions::Option<int64_t> regTileM{
      *this, "reg-tile-m", llvm::cl::desc("Rows of the matmul register tile"),
      llvm::cl::init(8)};
  PassOptions::Option<int64_t> regTileN{
      *this, "reg-tile-n",
      llvm::cl::desc("Columns of the matmul register tile and of B's packed "
                     "panels"),
      llvm::cl::init(32)};
  PassOptions::Option<bool> fuse{
      *this, "fuse",
      llvm::cl::desc("Fuse attention, residual adds with layer norms, "
                     "elementwise producers and matmul epilogues, pack matmul "
                     "operands and zero accumulators inside matmul blocks; "
                     "off keeps each op as lowered, to bisect a wrong "
                     "result"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> openmp{
      *this, "openmp", llvm::cl::desc("Run parallel loops on OpenMP threads"),
      llvm::cl::init(true)};
};

/// Options of the NVIDIA GPU phases and `tfm-lower-to-nvvm-pipeline`.
struct TfmGpuPipelineOptions
    : public PassPipelineOptions<TfmGpuPipelineOptions> {
  PassOptions::Option<std::string> arch{
      *this, "gpu-arch",
      llvm::cl::desc("The GPU the cubin is built for (ptxas's -arch)"),
      llvm::cl::init("sm_90a")};
  PassOptions::Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("The CUDA toolkit: libdevice (nvvm/libdevice) is linked "
                     "into the kernels, ptxas and fatbinary (bin) build the "
                     "cubin"),
      llvm::cl::init("/usr/local/cuda")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What gpu-module-to-binary embeds: fatbin (cubin and "
                     "PTX), bin (cubin), isa (PTX), offload (LLVM IR)"),
      llvm::cl::init("fatbin")};
  PassOptions::Option<std::string> matmulPrecision{
      *this, "matmul-precision",
      llvm::cl::desc("Operands of the matmuls: f32 (SIMT units, exact), "
                     "tf32 or bf16 (tensor cores, f32 accumulation)"),
      llvm::cl::init("f32")};
  PassOptions::Option<int64_t> threads{
      *this, "threads", llvm::cl::desc("Most threads of a thread block"),
      llvm::cl::init(256)};
  PassOptions::Option<int64_t> blockElements{
      *this, "block-elements",
      llvm::cl::desc("Results one thread block computes of an op that is "
                     "not a contraction"),
      llvm::cl::init(1024)};
  PassOptions::Option<bool> fuse{
      *this, "fuse",
      llvm::cl::desc("Fuse attention, residual adds with layer norms, "
                     "elementwise producers and matmul epilogues; off keeps "
                     "each op as lowered, to bisect a wrong result"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> hostEmulation{
      *this, "host-emulation",
      llvm::cl::desc("Lower the distributed form (block and thread loops, "
                     "block scratch) for the host CPU instead of the GPU, "
                     "to check the GPU's tiling and distribution without "
                     "one"),
      llvm::cl::init(false)};
};

/// Phase 1 (target-neutral): tfm to tfm; training graphs differentiated.
void buildTfmPreprocessingPipeline(OpPassManager &pm);

/// Phase 2 (target-neutral): tfm to linalg on tensors, with attention and
/// residual + layer norm as fused kernels.
void buildTfmToLinalgPipeline(OpPassManager &pm,
                              const TfmLinalgPipelineOptions &options);

/// Phase 3 (CPU): linalg on tensors to packed, tiled, vectorized,
/// bufferized loops with planned buffers.
void buildTfmCpuCodegenPipeline(OpPassManager &pm,
                                const TfmCpuPipelineOptions &options);

/// Phase 4 (CPU): loops, vectors and OpenMP to the LLVM dialect. Entry
/// points take bare pointers (static shapes), write their results to
/// trailing out-parameters, and get a packed `gpt3_entry_<name>(void **)`.
void buildTfmCpuToLlvmPipeline(OpPassManager &pm,
                               const TfmCpuPipelineOptions &options);

/// The phases of the CPU pipeline up to and including `last`; without
/// `preprocess`, from tfm-to-linalg on (the module is preprocessed).
void buildTfmToCpuPipelineUpTo(OpPassManager &pm,
                               const TfmCpuPipelineOptions &options,
                               TfmPhase last, bool preprocess = true);

/// All four phases: tfm to the LLVM dialect for the host CPU.
void buildTfmToCpuPipeline(OpPassManager &pm,
                           const TfmCpuPipelineOptions &options);

/// Phase 3 (GPU): linalg on tensors to the distributed form: bufferized
/// block loops (one per kernel) whose steps are shared by the threads.
void buildTfmGpuCodegenPipeline(OpPassManager &pm,
                                const TfmGpuPipelineOptions &options);

/// Phase 4 (GPU): the distributed form to kernels in NVVM, serialized by
/// gpu-module-to-binary into the module, and host code in the LLVM dialect
/// that launches them (packed entry points as on the CPU). With
/// host-emulation, the distributed form is lowered for the host CPU.
void buildTfmGpuToNvvmPipeline(OpPassManager &pm,
                               const TfmGpuPipelineOptions &options);

/// The phases of the GPU pipeline up to and including `last`; without
/// `preprocess`, from tfm-to-linalg on.
void buildTfmToGpuPipelineUpTo(OpPassManager &pm,
                               const TfmGpuPipelineOptions &options,
                               TfmPhase last, bool preprocess = true);

/// All four phases: tfm to kernels and host code for an NVIDIA GPU.
void buildTfmToGpuPipeline(OpPassManager &pm,
                           const TfmGpuPipelineOptions &options);

/// Adds the dialects and external interface models (tiling, bufferization,
/// LLVM translation) that the pipelines need to `registry`.
void registerPipelineDialects(DialectRegistry &registry);

/// Registers each phase's pipeline, `tfm-lower-to-cpu-pipeline` and
/// `tfm-lower-to-nvvm-pipeline`.
void registerTfmPipelines();

} // namespace mlir::tfm

#endif // TFM_PIPELINES_PIPELINES_H
