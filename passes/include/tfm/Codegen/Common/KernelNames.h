//===- KernelNames.h - What each parallel loop nest computes ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The loop nest a kernel builder (or the GPU's block tiling) makes carries
// what it computes, so the GPU target names the kernel after it: a
// profile, the manifest and `info` then say "forward_matmul_8192x3072x768"
// where they would say "forward_kernel_6".
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CODEGEN_COMMON_KERNELNAMES_H
#define TFM_CODEGEN_COMMON_KERNELNAMES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>
#include <string>

namespace mlir::tfm {

inline constexpr llvm::StringLiteral kKernelNameAttr = "tfm.kernel";

/// Records on `loop` what it computes ("attention", "layer_norm").
void nameKernel(Operation *loop, StringRef name);

/// What `loop` computes, if a builder said.
std::optional<StringRef> kernelName(Operation *loop);

/// "matmul_MxNxK" for a contraction with static loops (batch loops counted
/// in M; a split reduction's loops in K), else "matmul".
std::string contractionName(linalg::LinalgOp op);

/// The name of a loop nest of `op`: its contraction name, "reduction",
/// "copy", "fill" or "elementwise".
std::string loopNestName(linalg::LinalgOp op);

} // namespace mlir::tfm

#endif // TFM_CODEGEN_COMMON_KERNELNAMES_H
