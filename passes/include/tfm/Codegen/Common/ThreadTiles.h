//===- ThreadTiles.h - Parallel blocks a target chose -----------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A contraction's parallel block (what one CPU thread or one GPU thread
// block computes) is decided once, by the target, and carried on the op as
// an attribute; the kernels both targets build read it instead of deciding
// again.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CODEGEN_COMMON_THREADTILES_H
#define TFM_CODEGEN_COMMON_THREADTILES_H

#include "mlir/IR/Operation.h"

#include <optional>

namespace mlir::tfm {

/// Per loop of the op, the scf.forall tile size (0 for the reductions).
inline constexpr llvm::StringLiteral kThreadTilesAttr = "tfm.thread_tiles";

/// The parallel block chosen for `op`, if one was.
std::optional<SmallVector<int64_t>> chosenThreadTiles(Operation *op);

/// Records `tiles` as the parallel block of `op`.
void setThreadTiles(Operation *op, ArrayRef<int64_t> tiles);

} // namespace mlir::tfm

#endif // TFM_CODEGEN_COMMON_THREADTILES_H
