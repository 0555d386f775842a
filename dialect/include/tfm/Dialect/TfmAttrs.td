//===- TfmAttrs.td - Transformer dialect attributes -------*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Attributes of the `tfm` dialect: the attention pattern, which says whether
// a layer attends to every earlier position (dense, as GPT-2 does) or only to
// a band of recent positions (local, as GPT-3's alternating layers do).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFMATTRS_TD
#define TFM_DIALECT_TFMATTRS_TD

include "mlir/IR/AttrTypeBase.td"
include "tfm/Dialect/TfmDialect.td"

def Tfm_AttentionPatternAttr : AttrDef<Tfm_Dialect, "AttentionPattern"> {
  let mnemonic = "pattern";
  let summary = "Causal attention pattern: dense or locally banded";
  let description = [{
    `#tfm.pattern<dense>` lets query position `t` attend to every key position
    `s <= t`. `#tfm.pattern<local, window = W>` restricts it to the `W` most
    recent positions, `t - W < s <= t` (GPT-Neo's `local` layers and GPT-3's
    banded layers). The window must be at least 1; `window = 0` denotes a
    dense pattern in C++ and is never written.

    ```mlir
    #tfm.pattern<dense>
    #tfm.pattern<local, window = 256>
    ```
  }];
  let parameters = (ins "int64_t":$window);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Returns the dense pattern.
    static AttentionPatternAttr getDense(::mlir::MLIRContext *context) {
      return get(context, 0);
    }
    /// True when every earlier position is visible.
    bool isDense() const { return getWindow() == 0; }
  }];
}

#endif // TFM_DIALECT_TFMATTRS_TD
