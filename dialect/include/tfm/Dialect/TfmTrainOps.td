//===- TfmTrainOps.td - Backward and optimizer ops --------*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// What a training step adds to the forward ops: `tfm.gradient`, which
// `tfm-autodiff` replaces by the backward graph; one backward op per forward
// op whose adjoint is more than a sum (the vector-Jacobian products of
// TfmVjp.cpp build them); and the optimizer, global-norm clipping and AdamW.
// Backward ops keep the layer-level shape of their forward op so that they
// fuse and tile as the forward ones do.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFMTRAINOPS_TD
#define TFM_DIALECT_TFMTRAINOPS_TD

//===----------------------------------------------------------------------===//
// Differentiation
//===----------------------------------------------------------------------===//

def Tfm_GradientOp : Tfm_Op<"gradient", [Pure]> {
  let summary = "Gradient of a scalar loss with respect to values";
  let description = [{
    The gradient of the rank-0 `loss` with respect to each of `wrt`, one
    result per value with its type. A placeholder: `tfm-autodiff` replaces it
    with the backward graph, built from the vector-Jacobian products of the
    ops between the values and the loss. A value the loss does not depend on
    gets a zero gradient.

    ```mlir
    %dw, %db = tfm.gradient %loss wrt %w, %b
        : (tensor<f32>, tensor<768x2304xf32>, tensor<2304xf32>)
        -> (tensor<768x2304xf32>, tensor<2304xf32>)
    ```
  }];
  let arguments = (ins Tfm_Tensor:$loss, Variadic<Tfm_Tensor>:$wrt);
  let results = (outs Variadic<Tfm_Tensor>:$grads);
  let assemblyFormat = [{
    $loss `wrt` $wrt attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Backward ops
//===----------------------------------------------------------------------===//

def Tfm_EmbeddingGradOp : Tfm_Op<"embedding_grad", [Pure]> {
  let summary = "Gradient of the embedding tables (scatter-add)";
  let description = [{
    For `out[b, t] = wte[tokens[b, t]] + wpe[t]`:
    `d_wte[v] = sum of d_out[b, t] over the (b, t) with tokens[b, t] = v`
    and `d_wpe[t] = sum_b d_out[b, t]` (zero past `T`).

    Shapes: tokens `(B, T)` of a signless integer type, `d_out` `(B, T, C)`,
    results `(V, C)` and `(P, C)` with `T <= P`.

    ```mlir
    %dwte, %dwpe = tfm.embedding_grad %tokens, %dx
        : (tensor<4x64xi32>, tensor<4x64x768xf32>)
        -> (tensor<50257x768xf32>, tensor<2048x768xf32>)
    ```
  }];
  let arguments = (ins Tfm_Tensor:$tokens, Tfm_Tensor:$d_out);
  let results = (outs Tfm_Tensor:$d_wte, Tfm_Tensor:$d_wpe);
  let assemblyFormat = [{
    $tokens `,` $d_out attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_LayerNormGradOp : Tfm_Op<"layer_norm_grad", [Pure]> {
  let summary = "Gradients of layer normalization";
  let description = [{
    With `xhat = (x - mean) * rstd` per row of `C` and `g = d_out * gamma`:
    `d_input = rstd * (g - mean(g) - xhat * mean(g * xhat))`,
    `d_gamma = sum over rows of d_out * xhat`, `d_beta = sum over rows of
    d_out`. The mean and `rstd` are recomputed from the input.

    Shapes: input and `d_out` `(..., C)`, `gamma` `(C)`; results like the
    input, `(C)` and `(C)`.

    ```mlir
    %dx, %dg, %db = tfm.layer_norm_grad %x, %gamma, %dy {epsilon = 1.0e-05 : f64}
        : (tensor<4x64x768xf32>, tensor<768xf32>, tensor<4x64x768xf32>)
        -> (tensor<4x64x768xf32>, tensor<768xf32>, tensor<768xf32>)
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, Tfm_Tensor:$gamma,
                       Tfm_Tensor:$d_out, F64Attr:$epsilon);
  let results = (outs Tfm_Tensor:$d_input, Tfm_Tensor:$d_gamma,
                      Tfm_Tensor:$d_beta);
  let assemblyFormat = [{
    $input `,` $gamma `,` $d_out attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_LinearGradOp : Tfm_Op<"linear_grad", [Pure]> {
  let summary = "Gradients of x @ W + b";
  let description = [{
    `d_input = d_out @ W^T`, `d_weight = x^T @ d_out` and `d_bias = sum over
    rows of d_out`, with `x` and `d_out` viewed as matrices of rows. A
    result without uses is not computed.

    Shapes: input `(..., IN)`, weight `(IN, OUT)`, `d_out` `(..., OUT)`;
    results `(..., IN)`, `(IN, OUT)`, `(OUT)`.

    ```mlir
    %dx, %dw, %db = tfm.linear_grad %x, %w, %dy
        : (tensor<4x64x768xf32>, tensor<768x2304xf32>, tensor<4x64x2304xf32>)
        -> (tensor<4x64x768xf32>, tensor<768x2304xf32>, tensor<2304xf32>)
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, Tfm_Tensor:$weight,
                       Tfm_Tensor:$d_out);
  let results = (outs Tfm_Tensor:$d_input, Tfm_Tensor:$d_weight,
                      Tfm_Tensor:$d_bias);
  let assemblyFormat = [{
    $input `,` $weight `,` $d_out attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_GeluGradOp : Tfm_Op<"gelu_grad", [Pure, SameOperandsAndResultType]> {
  let summary = "Gradient of the tanh GELU";
  let description = [{
    `d_input = d_out * gelu'(x)`, with `u = sqrt(2 / pi) (x + 0.044715 x^3)`:
    `gelu'(x) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2 / pi)
    (1 + 3 * 0.044715 x^2)`.

    ```mlir
    %dx = tfm.gelu_grad %x, %dy : tensor<4x64x3072xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, Tfm_Tensor:$d_out);
  let results = (outs Tfm_Tensor:$d_input);
  let assemblyFormat = "$input `,` $d_out attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Tfm_SoftmaxGradOp : Tfm_Op<"softmax_grad", [Pure, SameOperandsAndResultType]> {
  let summary = "Gradient of the softmax over the last dimension";
  let description = [{
    From the softmax output `y`: `d_input = y * (d_out - sum_j d_out_j y_j)`
    per row.

    ```mlir
    %dx = tfm.softmax_grad %y, %dy : tensor<1x1x50257xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$output, Tfm_Tensor:$d_out);
  let results = (outs Tfm_Tensor:$d_input);
  let assemblyFormat = "$output `,` $d_out attr-dict `:` type($output)";
  let hasVerifier = 1;
}

def Tfm_AttentionGradOp : Tfm_Op<"attention_grad", [Pure]> {
  let summary = "Gradient of causal multi-head attention";
  let description = [{
    The gradient of `tfm.attention` with respect to the packed `qkv`, from
    `qkv`, the attention's output and `d_out`. Per head, with
    `P = softmax(q k^T * scale + mask)` recomputed block by block of keys
    (never a `T x T` buffer) from each row's log-sum-exp, and
    `D = rowsum(d_out * out)`:
    `dV = P^T d_out`, `dS = P * (d_out V^T - D)`, `dQ = dS K * scale`,
    `dK = dS^T Q * scale`, packed back as `qkv` is.

    Shapes: qkv `(B, T, 3C)`, output and `d_out` `(B, T, C)`, result
    `(B, T, 3C)`.

    ```mlir
    %dqkv = tfm.attention_grad %qkv, %y, %dy
        {num_heads = 12 : i64, pattern = #tfm.pattern<dense>}
        : (tensor<4x64x2304xf32>, tensor<4x64x768xf32>, tensor<4x64x768xf32>)
        -> tensor<4x64x2304xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$qkv, Tfm_Tensor:$output,
                       Tfm_Tensor:$d_out, I64Attr:$num_heads,
                       Tfm_AttentionPatternAttr:$pattern);
  let results = (outs Tfm_Tensor:$d_qkv);
  let assemblyFormat = [{
    $qkv `,` $output `,` $d_out attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_LmHeadGradOp : Tfm_Op<"lm_head_grad", [Pure]> {
  let summary = "Gradients of the tied output projection";
  let description = [{
    For `logits = x @ wte^T`: `d_input = d_logits @ wte` and
    `d_wte = d_logits^T @ x`, with `x` and `d_logits` viewed as matrices of
    rows.

    Shapes: input `(..., C)`, `wte` `(V, C)`, `d_logits` `(..., V)`; results
    `(..., C)` and `(V, C)`.

    ```mlir
    %dx, %dwte = tfm.lm_head_grad %h, %wte, %dlogits
        : (tensor<4x64x768xf32>, tensor<50257x768xf32>, tensor<4x64x50257xf32>)
        -> (tensor<4x64x768xf32>, tensor<50257x768xf32>)
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, Tfm_Tensor:$wte,
                       Tfm_Tensor:$d_logits);
  let results = (outs Tfm_Tensor:$d_input, Tfm_Tensor:$d_wte);
  let assemblyFormat = [{
    $input `,` $wte `,` $d_logits attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_CrossEntropyGradOp : Tfm_Op<"cross_entropy_grad", [Pure]> {
  let summary = "Gradient of the mean cross-entropy with respect to logits";
  let description = [{
    `d_logits[b, t, v] = d_loss * (softmax(logits[b, t])[v] - [v = targets[b, t]]) / (B T)`.

    Shapes: logits `(B, T, V)`, targets `(B, T)` of a signless integer type,
    `d_loss` rank 0; result like the logits.

    ```mlir
    %dlogits = tfm.cross_entropy_grad %logits, %targets, %dloss
        : (tensor<4x64x50257xf32>, tensor<4x64xi32>, tensor<f32>)
        -> tensor<4x64x50257xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$logits, Tfm_Tensor:$targets,
                       Tfm_Tensor:$d_loss);
  let results = (outs Tfm_Tensor:$d_logits);
  let assemblyFormat = [{
    $logits `,` $targets `,` $d_loss attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Optimizer
//===----------------------------------------------------------------------===//

def Tfm_GlobalNormOp : Tfm_Op<"global_norm", [Pure]> {
  let summary = "Euclidean norm of several tensors taken together";
  let description = [{
    `sqrt(sum over every tensor and element of x^2)`, the norm that gradient
    clipping scales by. Result: a rank-0 tensor of the operands' element
    type.

    ```mlir
    %norm = tfm.global_norm %dw, %db
        : (tensor<768x2304xf32>, tensor<2304xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Variadic<Tfm_Tensor>:$inputs);
  let results = (outs Tfm_Tensor:$norm);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_AdamWOp : Tfm_Op<"adamw", [Pure]> {
  let summary = "One AdamW update of a parameter, after global-norm clipping";
  let description = [{
    With `g = grad * min(1, max_norm / (grad_norm + 1e-6))` and `t = step`
    (1 for the first update):
    ```
    m' = beta1 m + (1 - beta1) g
    v' = beta2 v + (1 - beta2) g^2
    p' = p - lr (m' / (1 - beta1^t) / (sqrt(v' / (1 - beta2^t)) + epsilon)
                 + weight_decay p)
    ```
    When `grad_norm` is not finite the step is skipped: the results equal
    `param`, `m` and `v`. A `max_norm` of 0 turns clipping off.

    Shapes: param, grad, m and v of one type; `step` a rank-0 signless
    integer tensor, `lr` and `grad_norm` rank-0 tensors of the parameter's
    element type. Results: the updated param, m and v.

    ```mlir
    %p2, %m2, %v2 = tfm.adamw %p, %g, %m, %v, %step, %lr, %norm
        {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64,
         weight_decay = 0.1 : f64, max_norm = 1.0 : f64}
        : (tensor<768x2304xf32>, tensor<768x2304xf32>, tensor<768x2304xf32>,
           tensor<768x2304xf32>, tensor<i32>, tensor<f32>, tensor<f32>)
        -> (tensor<768x2304xf32>, tensor<768x2304xf32>, tensor<768x2304xf32>)
    ```
  }];
  let arguments = (ins Tfm_Tensor:$param, Tfm_Tensor:$grad, Tfm_Tensor:$m,
                       Tfm_Tensor:$v, Tfm_Tensor:$step, Tfm_Tensor:$lr,
                       Tfm_Tensor:$grad_norm, F64Attr:$beta1, F64Attr:$beta2,
                       F64Attr:$epsilon, F64Attr:$weight_decay,
                       F64Attr:$max_norm);
  let results = (outs Tfm_Tensor:$new_param, Tfm_Tensor:$new_m,
                      Tfm_Tensor:$new_v);
  let assemblyFormat = [{
    $param `,` $grad `,` $m `,` $v `,` $step `,` $lr `,` $grad_norm attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // TFM_DIALECT_TFMTRAINOPS_TD
