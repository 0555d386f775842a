//===- Passes.td - tfm transformation passes --------------*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Target-neutral transformations of the model: automatic differentiation
// on `tfm`, elementwise fusion on linalg, and state updated in place after
// bufferization.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TRANSFORMS_PASSES_TD
#define TFM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"
def TfmAutodiffPass : Pass<"tfm-autodiff", "func::FuncOp"> {
  let summary = "Replace tfm.gradient with the backward graph";
  let description = [{
    Derives the gradient of each `tfm.gradient %loss wrt %values` by reverse
    accumulation: it walks the ops between the values and the loss from the
    loss backwards, asks each for its vector-Jacobian product through
    `VjpOpInterface`, and sums the gradients of a value used more than once
    (a residual stream, the embedding table tied to the output projection)
    with `tfm.add`. Only ops that depend on one of the values and that the
    loss depends on are differentiated. The seed is 1; a value the loss does
    not depend on gets zeros. An op on the path without the interface is an
    error naming it.

    Before:
    ```mlir
    %h = tfm.gelu %x : tensor<2x4x8xf32>
    %l = tfm.cross_entropy %h, %t : (tensor<2x4x8xf32>, tensor<2x4xi32>) -> tensor<f32>
    %dx = tfm.gradient %l wrt %x : (tensor<f32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
    ```
    After:
    ```mlir
    %one = arith.constant dense<1.0> : tensor<f32>
    %dh = tfm.cross_entropy_grad %h, %t, %one : ... -> tensor<2x4x8xf32>
    %dx = tfm.gelu_grad %x, %dh : tensor<2x4x8xf32>
    ```

    Preconditions: `tfm` ops on tensors in a single block.
  }];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "tensor::TensorDialect"];
}
def TfmDataParallelPass : Pass<"tfm-data-parallel", "ModuleOp"> {
  let summary = "Average gradients and losses over the ranks of a "
                "data-parallel run";
  let description = [{
    Each of `ranks` processes runs the same `@train_step` on its own slice of
    the global batch. After tfm-autodiff, this pass makes them agree: the
    gradients that `tfm.adamw` reads (so also the global norm that clips
    them and the gradient outputs) and the returned `loss` become their mean
    over the ranks, and `@loss` returns the mean loss. With equal slices the
    mean of the ranks' mean losses is the mean loss of the global batch, so
    `ranks` processes of batch B compute the step of one process of batch
    `ranks * B`.

    Collectives go in buckets: the values, flattened, are concatenated in
    the order they are computed until a bucket holds `bucket-mib` MiB (a
    larger tensor is a bucket by itself), and each bucket is one
    `tfm.all_reduce`. With the layers as a loop the gradients are stacked,
    so the number of collectives does not grow with depth.

    Before (ranks = 2):
    ```mlir
    %norm = tfm.global_norm %dw, %db : ...
    %p, %m, %v = tfm.adamw %w, %dw, ... ; %p2, %m2, %v2 = tfm.adamw %b, %db, ...
    ```
    After:
    ```mlir
    %flat = tensor.collapse_shape %dw [[0, 1]] : tensor<64x64xf32> into tensor<4096xf32>
    %bucket = tensor.concat dim(0) %flat, %db : ... -> tensor<4160xf32>
    %mean = tfm.all_reduce %bucket {ranks = 2 : i64} : tensor<4160xf32>
    %dw_mean = ... tensor.extract_slice %mean[0] [4096] [1] ... expanded to 64x64
    %norm = tfm.global_norm %dw_mean, %db_mean : ...
    ```

    With `zero=1` (ZeRO stage 1), each rank keeps only its share of the
    optimizer state: every parameter's flattened elements are cut into
    `ranks` equal shares (zero-padded), and rank r owns share r of each.
    A bucket of gradients, laid out rank-major (from slices of the flat
    gradients, so that ZeRO-1 computes exactly the sums plain data
    parallelism does), is averaged by one
    `tfm.reduce_scatter` that leaves each rank the shares it owns; the
    clipping norm is taken over all ranks' shares (their squares summed in
    f64, as `tfm.global_norm` does, then one `tfm.all_reduce` of the
    sums); each rank runs AdamW on its shares
    (`tfm.rank_share` of the parameters, moments that are now arguments of
    the share's size, marked `tfm.shard_of` with the whole's shape); one
    `tfm.all_gather` per bucket rebuilds the parameters on every rank. The
    gradient outputs, which no rank then holds whole, are dropped.

    `ranks` 0 (the default) takes the module's `tfm.ranks`, and `zero` -1
    the module's `tfm.zero` (0 when absent); a module without ranks is left
    alone. Given options are recorded in those attributes.

    Preconditions: tfm-autodiff has run; each averaged value is used only
    after every value of its bucket is computed (as gradients are).
  }];
  let options = [
    Option<"ranks", "ranks", "int64_t", /*default=*/"0",
           "Processes of the run (0: the module's tfm.ranks)">,
    Option<"bucketMiB", "bucket-mib", "int64_t", /*default=*/"32",
           "Size of a bucket of gradients, in MiB">,
    Option<"zero", "zero", "int64_t", /*default=*/"-1",
           "ZeRO stage: 0 every rank keeps the whole optimizer state, 1 each "
           "its share (-1: the module's tfm.zero)">,
  ];
  let dependentDialects = ["arith::ArithDialect",
                           "bufferization::BufferizationDialect",
                           "linalg::LinalgDialect", "math::MathDialect",
                           "tensor::TensorDialect"];
}
def TfmFuseElementwisePass : Pass<"tfm-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuse elementwise producers into their consumers, not into "
                "contractions";
  let description = [{
    Fuses elementwise `linalg.generic` producers into their consumers and
    propagates reshapes through them (linalg's elementwise fusion and
    reshape-by-expansion patterns), with one rule of our own: nothing is
    fused into a contraction. Folding layer norm's normalization into the
    following matmul would recompute it `OUT` times per element and leave a
    body the matmul tiling cannot recognise; the matmul keeps reading a
    materialized input instead. Epilogues (bias, GELU, residual) are not
    affected: a contraction is never the producer of this fusion.

    Before:
    ```mlir
    %n = linalg.generic {...["parallel", "parallel"]} ins(%x, %mean, %rstd ...)  // normalize
    %y = linalg.generic {...["parallel", "parallel", "reduction"]} ins(%n, %w)   // matmul
    ```
    After: unchanged (the upstream pass would fuse `%n` into `%y`); an
    elementwise chain such as `sub -> mul -> add` becomes one generic.

    Preconditions: linalg on tensors.
  }];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect"];
}
def TfmUpdateStateInPlacePass
    : Pass<"tfm-update-state-in-place", "func::FuncOp"> {
  let summary = "Drop results that return a state argument's own buffer";
  let description = [{
    A decode step takes each KV cache (an argument marked `tfm.state`) and
    returns it updated. Once bufferization has written the update into the
    argument's buffer, the returned memref is that argument itself: this
    pass removes such results, so the entry point updates its state in place
    instead of copying it into an out-parameter.

    Before:
    ```mlir
    func.func @decode(%k: memref<1x12x1024x64xf32> {tfm.state = "k"})
        -> (memref<1x1x50257xf32>, memref<1x12x1024x64xf32>) {
      ...
      return %logits, %k : memref<1x1x50257xf32>, memref<1x12x1024x64xf32>
    }
    ```
    After:
    ```mlir
    func.func @decode(%k: memref<1x12x1024x64xf32> {tfm.state = "k"})
        -> memref<1x1x50257xf32> {
      ...
      return %logits : memref<1x1x50257xf32>
    }
    ```

    A training step returns its updated parameters as results marked
    `tfm.param = "<name>"`; they go away the same way when they are the
    buffer of the parameter argument of that name.

    Preconditions: bufferized public functions without callers. A state
    or parameter result that is not its argument's buffer is an error.
  }];
}












#endif // TFM_TRANSFORMS_PASSES_TD
