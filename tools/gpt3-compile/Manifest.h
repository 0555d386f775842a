//===- Manifest.h - Entry points and parameters of an artefact ---*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The JSON manifest embedded in every artefact: the model config, and for
// each entry point the symbol to call and its arguments in call order
// (inputs, parameters, outputs, workspace) with names, shapes and dtypes.
// The runtime binds buffers by reading it; it never parses IR.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_COMPILE_MANIFEST_H
#define GPT3_COMPILE_MANIFEST_H

#include "tfm/Frontend/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

namespace gpt3 {

/// Describes the entry points of the tfm-level `module` (before lowering).
llvm::json::Object describeModule(mlir::ModuleOp module,
                                  const mlir::tfm::ModelConfig &config);

/// Fills in each entry's `workspace_bytes` from the lowered module, whose
/// functions carry `tfm.workspace_bytes`.
void addWorkspaceSizes(llvm::json::Object &manifest, mlir::ModuleOp lowered);

/// Adds to each entry of a GPU compile the kernels it launches
/// ("kernels": kernel, grid, block, shared_memory, launches per call), as
/// tfm-gpu-record-launches recorded them on `lowered`.
void addKernelLaunches(llvm::json::Object &manifest, mlir::ModuleOp lowered);

} // namespace gpt3

#endif // GPT3_COMPILE_MANIFEST_H
