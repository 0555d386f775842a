//===- Passes.td - tfm conversion passes ------------------*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Passes that lower the tfm dialect to other dialects.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CONVERSION_PASSES_TD
#define TFM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"
def ConvertTfmToLinalgPass : Pass<"convert-tfm-to-linalg", "func::FuncOp"> {
  let summary = "Lower tfm ops to linalg on tensors";
  let description = [{
    Rewrites every `tfm` op as linalg ops on tensors, independent of the
    target: `linalg.matmul`/`linalg.batch_matmul` for the contractions (so
    that tiling, packing and vectorization apply), `linalg.generic` for
    elementwise work and reductions, and `tensor` reshapes and slices to move
    between the model's `(B, T, C)` view and the 2-D or per-head views the
    kernels use. Layer norm uses two passes (mean, then centred variance) and
    softmax subtracts the row maximum, so both are numerically stable.

    Design decisions:
    - `tfm.linear` initialises its accumulator with the broadcast bias, so
      the bias add is free.
    - `tfm.lm_head` transposes the tied embedding once (`V * C` moves
      against `N * V * C` FMAs) and splits the vocabulary into a multiple of
      128 columns and a narrow tail (50257 = 50176 + 81): two plain matmuls
      writing disjoint columns of the logits, so the large one tiles evenly
      and no padded copy of the logits is made.
    - `tfm.attention` copies q, k and v into per-head layouts
      (`(B*H, T, D)`, and `(B*H, D, T)` for k) and computes the full score
      matrix; masked positions get `-inf` before the softmax.

    Before:
    ```mlir
    %y = tfm.gelu %x : tensor<2x8x64xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<2x8x64xf32>
    %y = linalg.generic {indexing_maps = [#id, #id],
                         iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%x : tensor<2x8x64xf32>) outs(%e : tensor<2x8x64xf32>) {
      ^bb0(%in: f32, %out: f32):
        // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
        ...
    } -> tensor<2x8x64xf32>
    ```

    Preconditions: verifier-valid `tfm` ops on static shapes.
  }];
  let dependentDialects = [
    "arith::ArithDialect", "linalg::LinalgDialect", "math::MathDialect",
    "scf::SCFDialect", "tensor::TensorDialect"
  ];
}



#endif // TFM_CONVERSION_PASSES_TD
