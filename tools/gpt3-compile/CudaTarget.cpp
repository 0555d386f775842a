//===- CudaTarget.cpp - The NVIDIA GPU target -------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The GPU phases of tfm-lower-to-nvvm-pipeline: kernels serialized into
// the module by gpu-module-to-binary, host code that launches them through
// the runtime's CUDA device. The host code is emitted and linked as the
// CPU's is. With host emulation, the GPU's distributed form runs on the
// CPU, and the artefact is a CPU one.
//
//===----------------------------------------------------------------------===//

#include "ObjectEmitter.h"
#include "Target.h"

using namespace llvm;

namespace {
class CudaTarget : public gpt3::Target {
public:
  explicit CudaTarget(const gpt3::CudaTargetOptions &options)
      : options(options) {}

  StringRef deviceName() const override {
    return options.hostEmulation ? "cpu" : "cuda";
  }

  void buildPipeline(mlir::OpPassManager &pm,
                     mlir::tfm::TfmPhase last) const override {
    mlir::tfm::TfmGpuPipelineOptions pipeline;
    pipeline.arch = options.arch;
    pipeline.fuse = options.fuse;
    pipeline.hostEmulation = options.hostEmulation;
    pipeline.matmulPrecision = options.matmulPrecision;
    pipeline.format = options.binaryFormat;
    pipeline.cudaPath = options.cudaPath;
    mlir::tfm::buildTfmToGpuPipelineUpTo(pm, pipeline, last,
                                         /*preprocess=*/false);
  }

  Error emit(mlir::ModuleOp module, StringRef manifest, gpt3::Artefact kind,
             raw_pwrite_stream &os, StringRef outputPath,
             StringRef libDir) const override {
    gpt3::TargetOptions host;
    host.cpu = options.cpu;
    host.optLevel = options.optLevel;
    return gpt3::emitHostArtefact(module, manifest, kind, host, os, outputPath,
                                  libDir);
  }

private:
  gpt3::CudaTargetOptions options;
};
} // namespace

std::unique_ptr<gpt3::Target>
gpt3::createCudaTarget(const CudaTargetOptions &options) {
  return std::make_unique<CudaTarget>(options);
}
