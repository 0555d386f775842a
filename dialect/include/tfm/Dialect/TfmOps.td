//===- TfmOps.td - Transformer dialect ops ----------------*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The forward ops of a GPT-2/GPT-3 model and its loss; the backward and
// optimizer ops are in TfmTrainOps.td. Shapes are written as
// llm.c writes them: B batch, T sequence, C width, V vocabulary, P positions,
// H heads. Every op verifies ranks, static shapes and element types itself so
// that the diagnostic names the op and its location.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFMOPS_TD
#define TFM_DIALECT_TFMOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "tfm/Dialect/TfmDialect.td"
include "tfm/Dialect/TfmAttrs.td"
include "tfm/Dialect/TfmInterfaces.td"

// Shapes and element types are checked by each verifier so that the message
// states the rule that was broken; ODS constraints only require ranked tensors.
def Tfm_Tensor : RankedTensorOf<[AnyType]>;

// A forward op that states its vector-Jacobian product (TfmVjp.cpp).
def Tfm_Differentiable : DeclareOpInterfaceMethods<Tfm_VjpOpInterface>;

//===----------------------------------------------------------------------===//
// Embedding
//===----------------------------------------------------------------------===//

def Tfm_EmbeddingOp : Tfm_Op<"embedding", [Pure, Tfm_Differentiable]> {
  let summary = "Token plus learned position embedding";
  let description = [{
    `out[b, t, :] = wte[tokens[b, t], :] + wpe[start + t, :]`, where the
    optional `start` (a rank-0 integer tensor, default 0) is the position of
    the first token: a decode step embeds one token at its place in the
    sequence.

    Shapes: tokens `(B, T)` of a signless integer type, `wte` `(V, C)`,
    `wpe` `(P, C)` with `T <= P`, result `(B, T, C)` with the element type of
    the tables. Token ids outside `[0, V)` and `start + T > P` are runtime
    errors, checked by the runtime before the call.

    ```mlir
    %x = tfm.embedding %tokens, %wte, %wpe
        : (tensor<4x64xi32>, tensor<50257x768xf32>, tensor<2048x768xf32>)
        -> tensor<4x64x768xf32>
    %y = tfm.embedding %token, %wte, %wpe at %pos
        : (tensor<4x1xi32>, tensor<50257x768xf32>, tensor<2048x768xf32>,
           tensor<i32>) -> tensor<4x1x768xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$tokens, Tfm_Tensor:$wte, Tfm_Tensor:$wpe,
                       Optional<Tfm_Tensor>:$start);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = [{
    $tokens `,` $wte `,` $wpe (`at` $start^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Layer norm
//===----------------------------------------------------------------------===//

def Tfm_LayerNormOp : Tfm_Op<"layer_norm", [Pure, Tfm_Differentiable]> {
  let summary = "Layer normalization over the last dimension";
  let description = [{
    `out = (x - mean(x)) / sqrt(var(x) + epsilon) * gamma + beta`, with the
    mean and the biased variance taken over the last dimension `C`.

    Shapes: input `(..., C)`, `gamma` and `beta` `(C)`, result like the input.
    `epsilon` must be positive; it defaults to GPT-2's `1e-5`.

    ```mlir
    %y = tfm.layer_norm %x, %gamma, %beta {epsilon = 1.0e-05 : f64}
        : (tensor<4x64x768xf32>, tensor<768xf32>, tensor<768xf32>)
        -> tensor<4x64x768xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, Tfm_Tensor:$gamma, Tfm_Tensor:$beta,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

def Tfm_LinearOp : Tfm_Op<"linear", [Pure, Tfm_Differentiable]> {
  let summary = "Affine map x @ W + b with W in [in, out] layout";
  let description = [{
    `out[..., o] = sum_i x[..., i] * weight[i, o] + bias[o]`. The weight is in
    the Hugging Face Conv1D layout `(IN, OUT)` that GPT-2 checkpoints store, so
    weights bind without a transpose. The bias is optional.

    Shapes: input `(..., IN)` of rank 2 or more, `weight` `(IN, OUT)`, `bias`
    `(OUT)`, result `(..., OUT)`.

    ```mlir
    %qkv = tfm.linear %x, %w, %b
        : (tensor<4x64x768xf32>, tensor<768x2304xf32>, tensor<2304xf32>)
        -> tensor<4x64x2304xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, Tfm_Tensor:$weight,
                       Optional<Tfm_Tensor>:$bias);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Tfm_GeluOp : Tfm_Op<"gelu", [Pure, SameOperandsAndResultType,
                                Tfm_Differentiable]> {
  let summary = "GELU activation, tanh approximation";
  let description = [{
    `out = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`, the form
    GPT-2 and GPT-3 use (`gelu_new` in Hugging Face). Elementwise on a
    floating-point tensor of any shape.

    ```mlir
    %h = tfm.gelu %x : tensor<4x64x3072xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Tfm_AddOp : Tfm_Op<"add", [Pure, Commutative, SameOperandsAndResultType,
                              Tfm_Differentiable]> {
  let summary = "Elementwise addition, used for residual connections";
  let description = [{
    `out = lhs + rhs` on two floating-point tensors of the same type.

    ```mlir
    %r = tfm.add %x, %attn : tensor<4x64x768xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$lhs, Tfm_Tensor:$rhs);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tfm_SoftmaxOp : Tfm_Op<"softmax", [Pure, SameOperandsAndResultType,
                                      Tfm_Differentiable]> {
  let summary = "Softmax over the last dimension";
  let description = [{
    `out[..., j] = exp(x[..., j] - max(x[...])) / sum_k exp(x[..., k] - max)`,
    the numerically stable form. Used to turn logits into probabilities.

    ```mlir
    %p = tfm.softmax %logits : tensor<1x1x50257xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Tfm_AttentionOp : Tfm_Op<"attention", [Pure, Tfm_Differentiable]> {
  let summary = "Causal multi-head self-attention over packed q, k, v";
  let description = [{
    Splits the packed projection `qkv` `(B, T, 3C)` into queries, keys and
    values (in that order along the last dimension, as GPT-2's `c_attn`
    writes them), splits each into `num_heads` heads of `C / num_heads`
    channels, and computes per head
    `softmax(q k^T / sqrt(C / num_heads) + mask) v`. The mask is causal; with
    `#tfm.pattern<local, window = W>` a query at `t` sees only keys at
    `t - W < s <= t`. The heads are concatenated back into `(B, T, C)`.

    ```mlir
    %y = tfm.attention %qkv {num_heads = 12 : i64,
                             pattern = #tfm.pattern<local, window = 256>}
        : tensor<4x64x2304xf32> -> tensor<4x64x768xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$qkv, I64Attr:$num_heads,
                       Tfm_AttentionPatternAttr:$pattern);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = "$qkv attr-dict `:` type($qkv) `->` type($result)";
  let hasVerifier = 1;
}

def Tfm_CachedAttentionOp : Tfm_Op<"cached_attention", [Pure]> {
  let summary = "Causal attention of new tokens over a key/value cache";
  let description = [{
    The attention of `tfm.attention` for `S` new tokens at positions
    `start .. start + S - 1` of a sequence whose keys and values so far are
    in the caches. The new keys and values (from `qkv`, packed as in
    `tfm.attention`) are written into the caches at `start`; each query at
    position `p` then attends to the cached keys at `s <= p` (and
    `p - s < W` for `#tfm.pattern<local, window = W>`). Returns the heads
    concatenated `(B, S, C)` and the updated caches.

    Shapes: qkv `(B, S, 3C)`, caches `(B, H, T, C / H)` with `H` =
    `num_heads` and capacity `T >= S`, start a rank-0 integer tensor.
    Position `p` lives in slot `p mod T`. A dense layer's cache holds every
    position (`start + S <= T`, checked by the runtime before the call); a
    banded layer's cache may be a ring of `T >= W + S - 1` slots, so that
    the new rows never overwrite a key one of the new queries sees. A
    prefill of the whole capacity (`S = T`, start 0) attends only to the new
    tokens and costs what `tfm.attention` costs; other calls read the blocks
    of the cache their queries see.

    ```mlir
    %y, %k2, %v2 = tfm.cached_attention %qkv, %k, %v at %pos
        {num_heads = 12 : i64, pattern = #tfm.pattern<dense>}
        : (tensor<1x1x2304xf32>, tensor<1x12x1024x64xf32>,
           tensor<1x12x1024x64xf32>, tensor<i32>)
        -> (tensor<1x1x768xf32>, tensor<1x12x1024x64xf32>,
            tensor<1x12x1024x64xf32>)
    ```
  }];
  let arguments = (ins Tfm_Tensor:$qkv, Tfm_Tensor:$key_cache,
                       Tfm_Tensor:$value_cache, Tfm_Tensor:$start,
                       I64Attr:$num_heads, Tfm_AttentionPatternAttr:$pattern);
  let results = (outs Tfm_Tensor:$result, Tfm_Tensor:$new_key_cache,
                      Tfm_Tensor:$new_value_cache);
  let assemblyFormat = [{
    $qkv `,` $key_cache `,` $value_cache `at` $start attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Output projection and loss
//===----------------------------------------------------------------------===//

def Tfm_LmHeadOp : Tfm_Op<"lm_head", [Pure, Tfm_Differentiable]> {
  let summary = "Output projection tied to the token embedding";
  let description = [{
    `logits[..., v] = sum_c x[..., c] * wte[v, c]`: the final hidden states
    times the transposed token embedding table, so the projection shares its
    weights with `tfm.embedding`.

    Shapes: input `(..., C)` of rank 2 or more, `wte` `(V, C)`, result
    `(..., V)`.

    ```mlir
    %logits = tfm.lm_head %h, %wte
        : (tensor<4x64x768xf32>, tensor<50257x768xf32>) -> tensor<4x64x50257xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, Tfm_Tensor:$wte);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $wte attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_CrossEntropyOp : Tfm_Op<"cross_entropy", [Pure, Tfm_Differentiable]> {
  let summary = "Mean next-token cross-entropy loss";
  let description = [{
    `loss = mean_{b,t} (logsumexp(logits[b, t, :]) - logits[b, t, targets[b, t]])`.
    The caller passes the targets already shifted (`targets[b, t]` is the token
    that follows position `t`).

    Shapes: logits `(B, T, V)`, targets `(B, T)` of a signless integer type,
    result a rank-0 tensor of the logits' element type.

    ```mlir
    %loss = tfm.cross_entropy %logits, %targets
        : (tensor<4x64x50257xf32>, tensor<4x64xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$logits, Tfm_Tensor:$targets);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = [{
    $logits `,` $targets attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

include "tfm/Dialect/TfmTrainOps.td"
include "tfm/Dialect/TfmScanOps.td"
include "tfm/Dialect/TfmParallelOps.td"

#endif // TFM_DIALECT_TFMOPS_TD
