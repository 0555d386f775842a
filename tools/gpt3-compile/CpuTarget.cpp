//===- CpuTarget.cpp - The host CPU target ----------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The CPU phases of tfm-lower-to-cpu-pipeline, then LLVM's optimizer and
// code generator for the chosen CPU in process, and a link with the
// runtime and the driver into a model binary.
//
//===----------------------------------------------------------------------===//

#include "Linker.h"
#include "ObjectEmitter.h"
#include "Target.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"

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
    mlir::tfm::buildTfmToCpuPipelineUpTo(pm, pipeline, last);
  }

  Error emit(mlir::ModuleOp module, StringRef manifest, gpt3::Artefact kind,
             raw_pwrite_stream &os, StringRef outputPath,
             StringRef libDir) const override {
    gpt3::TargetOptions target;
    target.cpu = options.cpu;
    target.optLevel = options.optLevel;
    Expected<std::unique_ptr<TargetMachine>> machine =
        gpt3::createTargetMachine(target);
    if (!machine)
      return machine.takeError();
    LLVMContext context;
    Expected<std::unique_ptr<Module>> llvmModule = gpt3::translateAndOptimize(
        module, context, **machine, options.optLevel, manifest);
    if (!llvmModule)
      return llvmModule.takeError();
    if (kind == gpt3::Artefact::LlvmIr) {
      (*llvmModule)->print(os, nullptr);
      return Error::success();
    }
    if (kind == gpt3::Artefact::Object)
      return gpt3::emitObject(**llvmModule, **machine, os);

    // An executable: the object to a temporary file, then the link.
    SmallString<128> objectPath;
    int fd;
    if (std::error_code ec =
            sys::fs::createTemporaryFile("gpt3-model", "o", fd, objectPath))
      return createStringError(ec, "cannot create a temporary object file: " +
                                       ec.message());
    FileRemover removeObject(objectPath);
    {
      raw_fd_ostream objectOs(fd, /*shouldClose=*/true);
      if (Error e = gpt3::emitObject(**llvmModule, **machine, objectOs))
        return e;
    }
    return gpt3::linkExecutable(objectPath, outputPath, libDir);
  }

private:
  gpt3::CpuTargetOptions options;
};
} // namespace

std::unique_ptr<gpt3::Target>
gpt3::createCpuTarget(const CpuTargetOptions &options) {
  return std::make_unique<CpuTarget>(options);
}
