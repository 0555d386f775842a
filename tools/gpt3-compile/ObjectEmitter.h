//===- ObjectEmitter.h - LLVM dialect to native code -------------*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Translates a module in the LLVM dialect to LLVM IR, optimizes it for the
// chosen CPU and emits an object file in process through LLVM's
// TargetMachine.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_COMPILE_OBJECTEMITTER_H
#define GPT3_COMPILE_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>

namespace gpt3 {

struct TargetOptions {
  std::string cpu = "native"; // "native" is the host CPU with its features
  unsigned optLevel = 3;
};

/// The LLVM target machine for the host triple and `options.cpu`.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetOptions &options);

/// Translates `module` to LLVM IR, sets `machine`'s triple and data layout,
/// adds a `gpt3_manifest` string global and runs the LLVM pipeline of
/// `optLevel`.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(mlir::ModuleOp module, llvm::LLVMContext &context,
                     llvm::TargetMachine &machine, unsigned optLevel,
                     llvm::StringRef manifest);

/// Writes `module` as an object file to `os`.
llvm::Error emitObject(llvm::Module &module, llvm::TargetMachine &machine,
                       llvm::raw_pwrite_stream &os);

enum class Artefact;

/// Writes the artefact `kind` of `module` (host code in the LLVM dialect,
/// kernels already serialized into it) for the host CPU: LLVM IR or an
/// object to `os`, or an executable at `outputPath` linked with the
/// archives in `libDir`.
llvm::Error emitHostArtefact(mlir::ModuleOp module, llvm::StringRef manifest,
                             Artefact kind, const TargetOptions &options,
                             llvm::raw_pwrite_stream &os,
                             llvm::StringRef outputPath,
                             llvm::StringRef libDir);

} // namespace gpt3

#endif // GPT3_COMPILE_OBJECTEMITTER_H
