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

#include <memory>

namespace gpt3 {

struct TargetOptions {
  std::string cpu = "native"; // "native" is the host CPU with its features
  unsigned optLevel = 3;
};

/// Translates `module` to LLVM IR, sets the host triple and data layout for
/// `options.cpu`, adds a `gpt3_manifest` string global and runs the O3
/// pipeline.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(mlir::ModuleOp module, llvm::LLVMContext &context,
                     const TargetOptions &options, llvm::StringRef manifest);

/// Writes `module` as an object file to `os`.
llvm::Error emitObject(llvm::Module &module, const TargetOptions &options,
                       llvm::raw_pwrite_stream &os);

} // namespace gpt3

#endif // GPT3_COMPILE_OBJECTEMITTER_H
