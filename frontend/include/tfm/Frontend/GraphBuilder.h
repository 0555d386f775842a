//===- GraphBuilder.h - GPT model to tfm IR ----------------------*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Builds the `tfm` IR of a model: `@forward` (tokens -> logits), `@loss`
// (tokens, targets -> mean cross-entropy), and `@prefill` and `@decode`,
// which feed a chunk of tokens or one token at a runtime position through
// per-layer key/value caches. Every parameter is a function
// argument named after its Hugging Face GPT-2 tensor, so the IR holds no
// weights and its size does not depend on the model's.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_FRONTEND_GRAPHBUILDER_H
#define TFM_FRONTEND_GRAPHBUILDER_H

#include "tfm/Frontend/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::tfm {

/// Shapes and precision fixed at compile time.
struct CompileShape {
  int64_t batch = 1;    // B: 4
  int64_t sequence = 0; // T: 64; 0 means the model's context size
  int64_t prefill = 0;  // tokens per @prefill call; 0 means min(64, T)
  /// --dtype bf16: the matmuls read bf16 operands and accumulate in f32
  /// (the module's tfm.matmul_type). Their weights are then kept in bf16,
  /// unless train_step is built, which updates f32 master weights.
  bool bf16 = false;
  /// For the CPU: a model without train_step takes its layers' matmul
  /// weights packed in the panels its kernels read (tfm.layout "panels").
  bool packWeights = false;
  /// Processes of a data-parallel training run, each with its own batch of
  /// B (the module's tfm.ranks, for tfm-data-parallel); 1: one process.
  int64_t ranks = 1;
  /// With ranks: each keeps only its share of the optimizer state (ZeRO
  /// stage 1, the module's tfm.zero).
  bool zero = false;
};

/// Positions a layer's key/value cache holds. A dense layer keeps all `T`; a
/// layer banded to `window` keeps a ring of the last positions, enough that
/// the `prefill` positions written by one call never evict one its queries
/// see (window + prefill - 1), rounded up to whole 64-position blocks.
int64_t cachePositions(int64_t window, CompileShape shape);

/// Name of the argument attribute that carries a parameter's HF name.
inline constexpr llvm::StringLiteral kParamAttrName = "tfm.param";

/// The entry points a model can have, in the order they are built.
inline constexpr llvm::StringLiteral kEntryPoints[] = {
    "forward", "loss", "prefill", "decode", "train_step"};

/// Builds the entry points named in `entries` (all of kEntryPoints when
/// empty) for `config` at `shape`, or says why the config, the shape or an
/// entry name is invalid.
llvm::Expected<OwningOpRef<ModuleOp>>
buildModel(MLIRContext &context, const ModelConfig &config, CompileShape shape,
           llvm::ArrayRef<std::string> entries = {});

} // namespace mlir::tfm

#endif // TFM_FRONTEND_GRAPHBUILDER_H
