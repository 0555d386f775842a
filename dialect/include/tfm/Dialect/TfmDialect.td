//===- TfmDialect.td - Transformer dialect definition -----*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Declares the `tfm` dialect and the base class of its ops. The dialect models
// a decoder-only transformer at the level of its layers: every op works on
// ranked, statically shaped tensors so that each compiled model has fixed
// buffer sizes.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFMDIALECT_TD
#define TFM_DIALECT_TFMDIALECT_TD

include "mlir/IR/OpBase.td"

def Tfm_Dialect : Dialect {
  let name = "tfm";
  let cppNamespace = "::mlir::tfm";
  let summary = "Transformer layers of a GPT-style language model";
  let description = [{
    The `tfm` dialect describes a GPT-2/GPT-3 model one layer operation at a
    time: embeddings, layer norm, linear layers in the Hugging Face Conv1D
    `[in, out]` weight layout, tanh GELU, causal multi-head attention with a
    dense or locally banded pattern, residual additions, the tied output
    projection and the next-token cross-entropy loss. Parameters are function
    arguments, never constants, so the IR of GPT-3 175B is as small as that of
    GPT-3 Small.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Adds the attributes; defined beside their storage in TfmAttrs.cpp.
    void registerAttributes();

    /// On the module: the element type the matmuls read their operands in
    /// (`bf16` under --dtype bf16, accumulating in f32); f32 when absent.
    static constexpr ::llvm::StringLiteral kMatmulTypeAttrName =
        "tfm.matmul_type";

    /// On the module: the number of processes a data-parallel training run
    /// is compiled for (tfm-data-parallel); one process when absent.
    static constexpr ::llvm::StringLiteral kRanksAttrName = "tfm.ranks";

    /// On the module, beside tfm.ranks: 1 when each rank keeps only its
    /// share of the optimizer state (ZeRO stage 1).
    static constexpr ::llvm::StringLiteral kZeroAttrName = "tfm.zero";
  }];
}

class Tfm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tfm_Dialect, mnemonic, traits>;

#endif // TFM_DIALECT_TFMDIALECT_TD
