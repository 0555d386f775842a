//===- ModelConfig.h - GPT model hyperparameters -----------------*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The description of a GPT-2/GPT-3-architecture model: the presets of the
// GPT-3 paper's Table 2.1 and of GPT-2, tiny configs for tests, and readers
// for Hugging Face GPT-2 and GPT-Neo `config.json` files. Every config that
// leaves this file has passed `validate`.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_FRONTEND_MODELCONFIG_H
#define TFM_FRONTEND_MODELCONFIG_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::tfm {

/// Hyperparameters of a decoder-only transformer with GPT-2's layer layout.
struct ModelConfig {
  std::string name;        // "gpt3-small"
  int64_t numLayers = 0;   // n_layer: 12
  int64_t width = 0;       // d_model / n_embd: 768
  int64_t numHeads = 0;    // n_head: 12
  int64_t vocabSize = 0;   // 50257
  int64_t contextSize = 0; // n_ctx / n_positions: 2048
  int64_t mlpWidth = 0;    // n_inner: 3072 (4 x width)
  double layerNormEpsilon = 1e-5;
  /// Attention window of each layer; 0 means dense causal attention.
  std::vector<int64_t> windows; // {0, 256, 0, 256, ...}

  int64_t headDim() const { return width / numHeads; }
  /// Number of trainable parameters (the output projection is tied).
  int64_t numParameters() const;
};

/// One trainable tensor under its Hugging Face GPT-2 name.
struct ParamSpec {
  std::string name;                    // "h.3.attn.c_attn.weight"
  llvm::SmallVector<int64_t, 2> shape; // {768, 2304}

  int64_t numElements() const;
};

/// Tensors of one layer: two layer norms, the attention's and the MLP's two
/// linear layers, each a weight and a bias.
inline constexpr int64_t kParamsPerLayer = 12;

/// The model's parameters in the order the graph takes them: `wte.weight`,
/// `wpe.weight`, then each layer `h.{i}.*`, then `ln_f.*`.
std::vector<ParamSpec> parameterSpecs(const ModelConfig &config);

/// The fewest layers after which the attention pattern repeats, dividing the
/// depth: 1 for GPT-2 (all dense), 2 for GPT-3 (dense, banded), the depth
/// itself for a pattern with no period.
int64_t layerPeriod(const ModelConfig &config);

/// Whether the graph runs the layers as a loop (tfm.scan) over one period
/// of the pattern, with each layer tensor stored stacked: the period is
/// shorter than the depth.
bool loopsOverLayers(const ModelConfig &config);

/// The order of the parameters in the weight arena: `parameterSpecs` order
/// when the layers are unrolled; with a layer loop, each layer tensor of
/// one period slot is contiguous over the layers of that slot (`h.0.x`,
/// `h.2.x`, ... for slot 0 of period 2), so that a stacked argument is a
/// view of the arena.
std::vector<ParamSpec> arenaOrder(const ModelConfig &config);

/// Names of the built-in presets, GPT-3 sizes first.
llvm::ArrayRef<llvm::StringRef> presetNames();

/// Returns the preset called `name`, or an error listing the known names.
llvm::Expected<ModelConfig> lookupPreset(llvm::StringRef name);

/// Reads a Hugging Face GPT-2 or GPT-Neo `config.json` held in `text`;
/// `fileName` prefixes every diagnostic. A field that changes the model is
/// honoured or an error; what the model does not use (unknown fields,
/// dropout rates) is described in `warnings`, one line each.
llvm::Expected<ModelConfig>
parseConfigJson(llvm::StringRef text, llvm::StringRef fileName,
                std::vector<std::string> *warnings = nullptr);

/// Resolves `nameOrPath`: a preset name, or the path of a `config.json` (or of
/// a directory holding one), whose warnings go to `warnings`.
llvm::Expected<ModelConfig>
loadConfig(llvm::StringRef nameOrPath,
           std::vector<std::string> *warnings = nullptr);

/// Rejects configs no model can have: zero or absurd sizes, heads that do not
/// divide the width, windows outside [1, context].
llvm::Error validate(const ModelConfig &config);

} // namespace mlir::tfm

#endif // TFM_FRONTEND_MODELCONFIG_H
