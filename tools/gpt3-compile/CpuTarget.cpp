//===- CpuTarget.cpp - The host CPU target ----------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The CPU phases of tfm-lower-to-cpu-pipeline, then LLVM's optimizer and
// code generator for the chosen CPU in process, and a link with the
// runtime and the driver into a model binary.
//
//===----------------------------------------------------------------------===//

#include "ObjectEmitter.h"
#include "Target.h"

using namespace llvm;

namespace {
class CpuTarget : public gpt3::Target {
public:
  explicit CpuTarget(const gpt3::CpuTargetOptions &options)
      : options(options) {}

  llvm::StringRef deviceName() const override { return "cpu"; }

  void buildPipeline(mlir::OpPassManager &pm,
                     mlir::tfm::TfmPhase last) const override {
    mlir::tfm::TfmCpuPipelineOptions pipeline;
    pipeline.fuse = options.fuse;
    mlir::tfm::buildTfmToCpuPipelineUpTo(pm, pipeline, last,
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
  gpt3::CpuTargetOptions options;
};
} // namespace

std::unique_ptr<gpt3::Target>
gpt3::createCpuTarget(const CpuTargetOptions &options) {
  return std::make_unique<CpuTarget>(options);
}
