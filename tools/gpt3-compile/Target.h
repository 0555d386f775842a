//===- Target.h - Code generation targets of gpt3-compile -------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A target owns the phases after the target-neutral ones (its codegen and
// its lowering to the LLVM dialect) and turns their result into an
// artefact. The driver knows targets only through this interface, so a
// second target is a sibling of the CPU's, not a branch inside it.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_COMPILE_TARGET_H
#define GPT3_COMPILE_TARGET_H

#include "tfm/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace gpt3 {

/// What a compile writes after the last phase.
enum class Artefact { LlvmIr, Object, Executable };

class Target {
public:
  virtual ~Target() = default;

  /// The device kind the runtime must run the artefact on: "cpu".
  virtual llvm::StringRef deviceName() const = 0;

  /// Adds every phase after preprocessing (which gpt3-compile runs first,
  /// to describe the entry points as they will be) up to and including
  /// `last`: tfm-to-linalg, then the target's own.
  virtual void buildPipeline(mlir::OpPassManager &pm,
                             mlir::tfm::TfmPhase last) const = 0;

  /// Writes the artefact `kind` of `module` (fully lowered, in the LLVM
  /// dialect) with `manifest` embedded: LLVM IR and objects to `os`, an
  /// executable to `outputPath`, linked with the archives in `libDir`.
  virtual llvm::Error emit(mlir::ModuleOp module, llvm::StringRef manifest,
                           Artefact kind, llvm::raw_pwrite_stream &os,
                           llvm::StringRef outputPath,
                           llvm::StringRef libDir) const = 0;
};

/// Settings of the host CPU target.
struct CpuTargetOptions {
  std::string cpu = "native"; // "native" is the host CPU with its features
  unsigned optLevel = 3;
  bool fuse = true; // the fusion passes and matmul packing
};

std::unique_ptr<Target> createCpuTarget(const CpuTargetOptions &options);

/// Settings of the NVIDIA GPU target.
struct CudaTargetOptions {
  std::string arch = "sm_90a"; // the GPU the kernels are built for
  std::string cpu = "native";  // the host code's CPU
  unsigned optLevel = 3;
  bool fuse = true;
  bool hostEmulation = false;          // the distributed form on the host CPU
  std::string matmulPrecision = "f32"; // f32 (SIMT), tf32 or bf16
  std::string binaryFormat = "fatbin"; // what gpu-module-to-binary embeds
  std::string cudaPath = "/usr/local/cuda"; // libdevice, ptxas, fatbinary
};

std::unique_ptr<Target> createCudaTarget(const CudaTargetOptions &options);

} // namespace gpt3

#endif // GPT3_COMPILE_TARGET_H
