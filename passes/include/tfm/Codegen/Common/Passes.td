//===- Passes.td - tfm kernel passes -----------------------*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Kernels both targets build from the same code, parameterised by tile
// sizes: flash attention forward and backward, residual + layer norm,
// matmuls with their epilogues.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CODEGEN_COMMON_PASSES_TD
#define TFM_CODEGEN_COMMON_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmFuseAttentionPass : Pass<"tfm-fuse-attention", "func::FuncOp"> {
  let summary = "Lower tfm.attention, its gradient and tfm.cached_attention "
                "as tiled online-softmax kernels";
  let description = [{
    Rewrites each `tfm.attention` as a single kernel: an `scf.forall` over
    (batch, head, block of queries), and inside it an `scf.for` over the
    blocks of keys the query block can see, folding each into a running
    maximum, sum and output (an online softmax, as FlashAttention's forward
    does). No `T x T` score buffer exists: a query block's scores are one
    `Q x K` tile at a time, small enough to stay in L1. The key loop starts
    at the block holding the first key the block's first query sees and
    ends at the block holding its last query, so a causal layer skips the
    blocks above the diagonal and a locally banded layer (window `W`)
    visits about `(Q + W) / K` blocks per query block: its cost grows with
    `W`, not `T`. q and v are read in place from `qkv`; only k is copied,
    transposed to `(B, H, D, T)`, so that every score tile is a plain
    matmul tile. The output is written straight into `(B, T, H, D)`, which
    is `(B, T, C)` without a copy. `tfm.cached_attention` (prefill and
    decode) stores its new keys and values as `convert-tfm-to-linalg` does
    and then runs one parallel iteration per (batch, head) over the cache
    blocks its queries see, instead of one parallel loop per op and block.

    `tfm.attention_grad` becomes FlashAttention-2's backward as one kernel:
    an `scf.forall` over (batch, head) whose iteration walks its query
    blocks. For each, a first sweep over the key blocks it sees (the same
    range as the forward's) finds the rows' log-sum-exp; a second
    recomputes each probability tile, transposed (keys by queries), and
    accumulates `dV += P^T dO` and `dK += dS^T q` into the key block's rows
    of the result in place and `dQ^T += k^T dS^T` for the query block. A
    head's dK and dV have one writer, so no atomics and no second pass
    over the keys are needed. q, k and dO are copied once as
    `(B, H, D, T)`, so every product is a plain matmul tile; dQ, dK and dV
    land in the head's `(T, 3, D)` tile of the packed `(B, T, 3C)` result.

    Before:
    ```mlir
    %o = tfm.attention %qkv {num_heads = 12 : i64, pattern = #tfm.pattern<dense>}
        : tensor<4x64x2304xf32> -> tensor<4x64x768xf32>
    ```
    After (`convert-tfm-to-linalg` would materialize `(B*H, T, T)` scores):
    ```mlir
    %kT = linalg.generic ... -> tensor<4x12x64x64xf32>     // k as (B, H, D, T)
    %o = scf.forall (%b, %h, %i) in (4, 12, 1) shared_outs(%out = ...) {
      %q = tensor.extract_slice %packed[%b, %q0, 0, %h, 0] ... to tensor<64x64xf32>
      %r:3 = scf.for %j = %lo to %hi step %c1 iter_args(%m = ..., %l = ..., %acc = ...) {
        %s = linalg.contract ... ins(%q, %kTj) ...      // one 64 x 64 tile
        ...                                              // mask, max, exp, sums
        %acc2 = linalg.contract ... ins(%p, %vj) outs(%scaled_acc)
        scf.yield ...
      }
      %tile = linalg.generic ... ins(%r#2, %r#1) ...   // acc / sum
      scf.forall.in_parallel { tensor.parallel_insert_slice %tile into %out[...] }
    }
    ```

    Preconditions: verifier-valid ops on static shapes. A sequence with no
    divisor of at least 16 up to 64 (a prime `T`) is left to
    `convert-tfm-to-linalg`.
  }];
  let options = [
    Option<"queryBlock", "query-block", "int64_t", "64",
           "Queries per forward tile (the largest divisor of T up to it); "
           "64 x 64 scores are 16 KiB, in L1 through a key step">,
    Option<"keyBlock", "key-block", "int64_t", "64",
           "Keys per step of the forward's online softmax">,
    Option<"gradBlock", "grad-block", "int64_t", "64",
           "Queries and keys per backward tile; its four tiles (scores, "
           "probabilities, their gradients) stay in L1">,
    Option<"minBlock", "min-block", "int64_t", "16",
           "Smallest tile worth a kernel: a sequence without such a divisor "
           "(a prime T) keeps the unfused lowering">,
    Option<"cacheBlock", "cache-block", "int64_t", "128",
           "Cached positions per step of the online softmax of a prefill "
           "chunk or decode step (the largest divisor of the cache's "
           "capacity up to it)">,
  ];
  let dependentDialects = [
    "arith::ArithDialect", "linalg::LinalgDialect", "math::MathDialect",
    "scf::SCFDialect", "tensor::TensorDialect"
  ];
}

def TfmFuseResidualLayerNormPass
    : Pass<"tfm-fuse-residual-layer-norm", "func::FuncOp"> {
  let summary = "Lower a residual add and the layer norm of its sum as one "
                "row-blocked kernel";
  let description = [{
    Rewrites each `tfm.layer_norm`, together with the `tfm.add` that
    produces its input when there is one (the residual stream of a
    pre-LayerNorm block), as one `scf.forall` over blocks of rows. Each
    iteration adds its rows, writes the sum (still needed by the next
    residual add and by the backward pass), and computes the row moments
    and the normalized rows while they are in L1. Unfused, the add and the
    norm's mean, variance and normalization each stream the whole
    activation through memory and each is a parallel region of its own; a
    decode step runs 25 of these per layer pair.

    Before:
    ```mlir
    %x = tfm.add %r, %y : tensor<4x64x768xf32>
    %n = tfm.layer_norm %x, %g, %b {epsilon = 1.0e-05 : f64}
        : (tensor<4x64x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<4x64x768xf32>
    ```
    After:
    ```mlir
    %f:2 = scf.forall (%i) in (16) shared_outs(%xs = %e0, %ns = %e1)
        -> (tensor<256x768xf32>, tensor<256x768xf32>) {
      %x_i = linalg.generic ... ins(%r_i, %y_i) outs(%xs_i)    // 16 rows of r + y
      %sum = linalg.generic ... ins(%x_i) ...                  // moments
      %n_i = linalg.generic ... ins(%x_i, %mean, %rstd, %g, %b) outs(%ns_i)
      scf.forall.in_parallel { tensor.parallel_insert_slice ... }
    }
    %x = tensor.expand_shape %f#0 ... into tensor<4x64x768xf32>
    %n = tensor.expand_shape %f#1 ... into tensor<4x64x768xf32>
    ```

    Preconditions: verifier-valid `tfm` ops on static shapes.
  }];
  let options = [
    Option<"rows", "rows", "int64_t", "16",
           "Rows per parallel iteration (the largest divisor of the row "
           "count up to it); 16 rows of GPT-3 Small are 48 KiB">,
  ];
  let dependentDialects = [
    "arith::ArithDialect", "linalg::LinalgDialect", "math::MathDialect",
    "scf::SCFDialect", "tensor::TensorDialect"
  ];
}

def TfmFuseMatmulEpiloguesPass
    : Pass<"tfm-fuse-matmul-epilogues", "func::FuncOp"> {
  let summary = "Compute a matmul's initial value (bias or zeros) and its "
                "elementwise consumer in the matmul's parallel blocks";
  let description = [{
    A linear layer's result is read once, at once, by an elementwise op:
    the GELU of an MLP (`gelu(x @ W + b)`), or a residual add
    (`r + x @ W + b`), or in the backward pass a GELU or layer-norm
    gradient. This pass tiles that epilogue into the parallel blocks the
    target chose for the matmul (`tfm.thread_tiles`, from
    `tfm-cpu-select-thread-tiles`: one CPU thread's block) and fuses into
    each block the matmul tile and the op that initializes its accumulator
    (the broadcast bias, or zeros). Each block is then written as bias,
    accumulated, and transformed while it is in cache: one parallel region
    instead of three, and two fewer passes over the output. A matmul
    without an elementwise consumer (the attention's q, k, v projection,
    the output projection) is tiled the same way with its initial value
    alone. Block loops run columns first, so blocks run one after another
    share a column panel of `W`. The target's later tiling keeps the
    blocks (`tfm-cpu-tile-and-vectorize` register-tiles each op in them).

    A packed layout (`tfm-cpu-pack-matmuls`) views the result as
    `(rows, N / 32, 32)`; the epilogue and the bias broadcast are first
    expanded into that view (reshape propagation), so that all three share
    one iteration space.

    Before:
    ```mlir
    %b0 = linalg.generic ... ins(%bias : tensor<3072xf32>) -> tensor<4x64x3072xf32>
    %bp = tensor.expand_shape %b0 ... into tensor<4x64x96x32xf32>
    %mm = linalg.contract ... ins(%x, %wp) outs(%bp) -> tensor<4x64x96x32xf32>
    %y = tensor.collapse_shape %mm ... into tensor<4x64x3072xf32>
    %g = linalg.generic ... ins(%y) { tanh ... } -> tensor<4x64x3072xf32>
    ```
    After:
    ```mlir
    %f = scf.forall (%i, %j, %k, %l) = (0, 0, 0, 0) to (4, 64, 96, 32)
        step (1, 64, 8, 32) shared_outs(%o = ...) {
      %b = linalg.generic ... ins(%bias_ij) -> tensor<1x64x8x32xf32>
      %c = linalg.contract ... outs(%b) -> tensor<1x64x8x32xf32>
      %g = linalg.generic ... ins(%c) { tanh ... } -> tensor<1x64x8x32xf32>
      scf.forall.in_parallel { tensor.parallel_insert_slice %g into %o[...] }
    }
    %gc = tensor.collapse_shape %f ... into tensor<4x64x3072xf32>
    ```

    Preconditions: linalg on tensors, contractions carrying
    `tfm.thread_tiles`; after any packing of the target.
  }];
  let dependentDialects = ["linalg::LinalgDialect", "scf::SCFDialect",
                           "tensor::TensorDialect"];
}

def TfmComputeInPlacePass : Pass<"tfm-compute-in-place", "func::FuncOp"> {
  let summary = "Shape tensors so that bufferization computes each result "
                "where it is kept, instead of copying it there";
  let description = [{
    One-shot bufferization computes a value straight into the slot it is
    inserted into only when nothing but destination-passing ops lie between
    the two, and gives each op its own buffer for an init several ops share.
    A layer loop breaks both: the values it keeps for the backward pass are
    computed flat (`B*T x C`) and inserted into their stacks reshaped
    (`B x T x C`), and CSE leaves one zero fill for every accumulator of a
    layer's gradients. Each became a copy per layer: on a GPU, 412 of the
    1200 launches of GPT-3 Small's training step (B=16, T=1024).

    This pass moves a reshape from the inserted value to the destination
    (collapsing or expanding the stack's trailing dimensions right where the
    stack is defined, so empty-tensor elimination can build the slot before
    the value), and gives each op that writes into a fill's result a fill
    of its own, right before it. A fill already tiled for threads or
    blocks or vectors (a loop with one result over a tensor.empty, or a
    reshape of one, whose bounds and body use nothing from outside but
    constants) is cloned the same way, over an empty tensor of its own
    shape (also with one writer, when its empty tensor was reshaped or the
    writer is in a loop the fill was hoisted out of), so that empty-tensor
    elimination can give the accumulation the slot its result is inserted
    into.

    Before:
    ```mlir
    %v = linalg.matmul ins(...) outs(%acc : tensor<256x768xf32>) -> tensor<256x768xf32>
    %e = tensor.expand_shape %v [[0, 1], [2]] output_shape [4, 64, 768] ...
    %s = tensor.insert_slice %e into %stack[%i, 0, 0, 0] [1, 4, 64, 768] [1, 1, 1, 1]
        : tensor<4x64x768xf32> into tensor<6x4x64x768xf32>
    ```
    After:
    ```mlir
    %flat = tensor.collapse_shape %stack [[0], [1, 2], [3]]
        : tensor<6x4x64x768xf32> into tensor<6x256x768xf32>
    ...
    %v = linalg.matmul ins(...) outs(%acc : tensor<256x768xf32>) -> tensor<256x768xf32>
    %f = tensor.insert_slice %v into %flat[%i, 0, 0] [1, 256, 768] [1, 1, 1]
    %s = tensor.expand_shape %f [[0], [1, 2], [3]] output_shape [6, 4, 64, 768] ...
    ```

    Preconditions: static shapes. A reshape that splits or merges a
    dimension the slice only partly covers stays where it is.
  }];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect"];
}

def TfmSplitFullReductionsPass
    : Pass<"tfm-split-full-reductions", "func::FuncOp"> {
  let summary = "Sum a large tensor into a scalar as fixed partial sums, "
                "then the partials in order";
  let description = [{
    A `linalg.generic` that folds every element of one tensor into a
    scalar, `out = f(in) + out` (the training step's gradient norm sums each
    gradient's squares so, in float64), has no parallel loop: neither
    target splits it among threads or blocks, and its additions form one
    dependent chain. This pass views the input as `partials x rest` rows
    (`partials` the largest divisor of the element count up to the option)
    and sums each row into a partial, a parallel loop, then adds the
    partials in order into the original accumulator. The order of the
    additions depends on the shape only, so results stay bit for bit the
    same from run to run and for any number of threads.

    Before:
    ```mlir
    %n = linalg.generic {indexing_maps = [(i, j) -> (i, j), (i, j) -> ()],
                         iterator_types = ["reduction", "reduction"]}
        ins(%g : tensor<50257x768xf32>) outs(%acc : tensor<f64>) { extf, mulf, addf }
    ```
    After:
    ```mlir
    %flat = tensor.collapse_shape %g [[0, 1]] : tensor<50257x768xf32> into tensor<38597376xf32>
    %rows = tensor.expand_shape %flat [[0, 1]] output_shape [256, 150771] : ...
    %zero = linalg.fill ... -> tensor<256xf64>
    %p = linalg.generic {[(p, i) -> (p, i), (p, i) -> (p)], ["parallel", "reduction"]}
        ins(%rows) outs(%zero) { extf, mulf, addf }
    %n = linalg.generic {[(p) -> (p), (p) -> ()], ["reduction"]} ins(%p) outs(%acc) { addf }
    ```

    Preconditions: static shapes; the input read whole through an identity
    map; the accumulation an `arith.addf` of the output.
  }];
  let options = [
    Option<"partials", "partials", "int64_t", "256",
           "Most partial sums (the count is the largest divisor of the "
           "element count up to it)">,
    Option<"minElements", "min-elements", "int64_t", "65536",
           "Fewer elements are summed as they are">,
  ];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "tensor::TensorDialect"];
}

#endif // TFM_CODEGEN_COMMON_PASSES_TD
