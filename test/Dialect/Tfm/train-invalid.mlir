// RUN: gpt3-opt %s --split-input-file --verify-diagnostics

// Each rule of the backward and optimizer verifiers, once.

func.func @gradient_loss(%l: tensor<2xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'tfm.gradient' op expects loss of rank 0, got rank 1}}
  %0 = tfm.gradient %l wrt %w : (tensor<2xf32>, tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @gradient_type(%l: tensor<f32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'tfm.gradient' op gradient 0 has type 'tensor<4xf32>', not its value's type 'tensor<8xf32>'}}
  %0 = tfm.gradient %l wrt %w : (tensor<f32>, tensor<8xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @gradient_count(%l: tensor<f32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'tfm.gradient' op has 1 values but 2 gradients}}
  %0:2 = tfm.gradient %l wrt %w : (tensor<f32>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @embedding_grad_positions(%t: tensor<2x4xi32>, %d: tensor<2x4x8xf32>) {
  // expected-error @+1 {{'tfm.embedding_grad' op d_wpe has 3 positions, fewer than the 4 tokens}}
  %0:2 = tfm.embedding_grad %t, %d : (tensor<2x4xi32>, tensor<2x4x8xf32>) -> (tensor<10x8xf32>, tensor<3x8xf32>)
  return
}

// -----

func.func @embedding_grad_width(%t: tensor<2x4xi32>, %d: tensor<2x4x8xf32>) {
  // expected-error @+1 {{'tfm.embedding_grad' op table gradients must have width 8, got 'tensor<10x4xf32>' and 'tensor<6x8xf32>'}}
  %0:2 = tfm.embedding_grad %t, %d : (tensor<2x4xi32>, tensor<2x4x8xf32>) -> (tensor<10x4xf32>, tensor<6x8xf32>)
  return
}

// -----

func.func @embedding_grad_d_out(%t: tensor<2x4xi32>, %d: tensor<2x5x8xf32>) {
  // expected-error @+1 {{'tfm.embedding_grad' op d_out must be (2, 4, C) like the tokens, got 'tensor<2x5x8xf32>'}}
  %0:2 = tfm.embedding_grad %t, %d : (tensor<2x4xi32>, tensor<2x5x8xf32>) -> (tensor<10x8xf32>, tensor<6x8xf32>)
  return
}

// -----

func.func @layer_norm_grad_d_out(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %d: tensor<2x4x4xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op d_out must have the type of the input, 'tensor<2x4x8xf32>', got 'tensor<2x4x4xf32>'}}
  %0:3 = tfm.layer_norm_grad %x, %g, %d {epsilon = 1.0e-05 : f64} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<2x4x4xf32>) -> (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @layer_norm_grad_gamma(%x: tensor<2x4x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op gamma must have the input's last dimension 8, got 4}}
  %0:3 = tfm.layer_norm_grad %x, %g, %x {epsilon = 1.0e-05 : f64} : (tensor<2x4x8xf32>, tensor<4xf32>, tensor<2x4x8xf32>) -> (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @layer_norm_grad_result(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op d_beta type 'tensor<4xf32>' differs from the expected 'tensor<8xf32>'}}
  %0:3 = tfm.layer_norm_grad %x, %g, %x {epsilon = 1.0e-05 : f64} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<2x4x8xf32>) -> (tensor<2x4x8xf32>, tensor<8xf32>, tensor<4xf32>)
  return
}

// -----

func.func @linear_grad_d_out(%x: tensor<2x4x8xf32>, %w: tensor<8x6xf32>, %d: tensor<2x4x8xf32>) {
  // expected-error @+1 {{'tfm.linear_grad' op d_out must have the forward result's shape, got 'tensor<2x4x8xf32>'}}
  %0:3 = tfm.linear_grad %x, %w, %d : (tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<2x4x8xf32>) -> (tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<6xf32>)
  return
}

// -----

func.func @linear_grad_contraction(%x: tensor<2x4x8xf32>, %w: tensor<6x6xf32>, %d: tensor<2x4x6xf32>) {
  // expected-error @+1 {{'tfm.linear_grad' op contraction sizes differ (8 vs 6)}}
  %0:3 = tfm.linear_grad %x, %w, %d : (tensor<2x4x8xf32>, tensor<6x6xf32>, tensor<2x4x6xf32>) -> (tensor<2x4x8xf32>, tensor<6x6xf32>, tensor<6xf32>)
  return
}

// -----

func.func @linear_grad_weight(%x: tensor<2x4x8xf32>, %w: tensor<8x6xf32>, %d: tensor<2x4x6xf32>) {
  // expected-error @+1 {{'tfm.linear_grad' op d_weight type 'tensor<6x8xf32>' differs from the expected 'tensor<8x6xf32>'}}
  %0:3 = tfm.linear_grad %x, %w, %d : (tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<2x4x6xf32>) -> (tensor<2x4x8xf32>, tensor<6x8xf32>, tensor<6xf32>)
  return
}

// -----

func.func @gelu_grad_int(%x: tensor<4xi32>) {
  // expected-error @+1 {{'tfm.gelu_grad' op expects a floating-point element type for input, got 'i32'}}
  %0 = tfm.gelu_grad %x, %x : tensor<4xi32>
  return
}

// -----

func.func @softmax_grad_rank(%y: tensor<f32>) {
  // expected-error @+1 {{'tfm.softmax_grad' op expects output of rank 1 or more, got rank 0}}
  %0 = tfm.softmax_grad %y, %y : tensor<f32>
  return
}

// -----

func.func @attention_grad_heads(%qkv: tensor<2x4x24xf32>, %y: tensor<2x4x8xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op head count 3 does not divide width 8}}
  %0 = tfm.attention_grad %qkv, %y, %y {num_heads = 3 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x4x24xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x24xf32>
  return
}

// -----

func.func @attention_grad_output(%qkv: tensor<2x4x24xf32>, %y: tensor<2x4x8xf32>, %d: tensor<2x4x4xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op output and d_out must be 'tensor<2x4x8xf32>', got 'tensor<2x4x8xf32>' and 'tensor<2x4x4xf32>'}}
  %0 = tfm.attention_grad %qkv, %y, %d {num_heads = 2 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x4x24xf32>, tensor<2x4x8xf32>, tensor<2x4x4xf32>) -> tensor<2x4x24xf32>
  return
}

// -----

func.func @attention_grad_result(%qkv: tensor<2x4x24xf32>, %y: tensor<2x4x8xf32>) {
  // expected-error @+1 {{'tfm.attention_grad' op d_qkv type 'tensor<2x4x8xf32>' differs from the expected 'tensor<2x4x24xf32>'}}
  %0 = tfm.attention_grad %qkv, %y, %y {num_heads = 2 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x4x24xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

func.func @lm_head_grad_logits(%x: tensor<2x4x8xf32>, %wte: tensor<10x8xf32>, %d: tensor<2x4x8xf32>) {
  // expected-error @+1 {{'tfm.lm_head_grad' op d_logits must have the logits' shape, got 'tensor<2x4x8xf32>'}}
  %0:2 = tfm.lm_head_grad %x, %wte, %d : (tensor<2x4x8xf32>, tensor<10x8xf32>, tensor<2x4x8xf32>) -> (tensor<2x4x8xf32>, tensor<10x8xf32>)
  return
}

// -----

func.func @lm_head_grad_width(%x: tensor<2x4x8xf32>, %wte: tensor<10x6xf32>, %d: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'tfm.lm_head_grad' op input width 8 differs from the width of wte 6}}
  %0:2 = tfm.lm_head_grad %x, %wte, %d : (tensor<2x4x8xf32>, tensor<10x6xf32>, tensor<2x4x10xf32>) -> (tensor<2x4x8xf32>, tensor<10x6xf32>)
  return
}

// -----

func.func @cross_entropy_grad_d_loss(%l: tensor<2x4x10xf32>, %t: tensor<2x4xi32>, %d: tensor<1xf32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op expects d_loss of rank 0, got rank 1}}
  %0 = tfm.cross_entropy_grad %l, %t, %d : (tensor<2x4x10xf32>, tensor<2x4xi32>, tensor<1xf32>) -> tensor<2x4x10xf32>
  return
}

// -----

func.func @cross_entropy_grad_targets(%l: tensor<2x4x10xf32>, %t: tensor<2x3xi32>, %d: tensor<f32>) {
  // expected-error @+1 {{'tfm.cross_entropy_grad' op targets shape (2, 3) differs from the logits' leading dimensions}}
  %0 = tfm.cross_entropy_grad %l, %t, %d : (tensor<2x4x10xf32>, tensor<2x3xi32>, tensor<f32>) -> tensor<2x4x10xf32>
  return
}

// -----

func.func @global_norm_empty() {
  // expected-error @+1 {{'tfm.global_norm' op needs at least one tensor}}
  %0 = tfm.global_norm : () -> tensor<f32>
  return
}

// -----

func.func @global_norm_element(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{'tfm.global_norm' op element type of every input ('f64') differs from that of the first ('f32')}}
  %0 = tfm.global_norm %a, %b : (tensor<4xf32>, tensor<4xf64>) -> tensor<f32>
  return
}

// -----

func.func @adamw_m(%p: tensor<4xf32>, %m: tensor<8xf32>, %s: tensor<i32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op m must have the type of param, 'tensor<4xf32>', got 'tensor<8xf32>'}}
  %0:3 = tfm.adamw %p, %p, %m, %p, %s, %lr, %lr {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<8xf32>, tensor<4xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adamw_step(%p: tensor<4xf32>, %s: tensor<f32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op expects a signless integer element type for step, got 'f32'}}
  %0:3 = tfm.adamw %p, %p, %p, %p, %s, %lr, %lr {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adamw_beta(%p: tensor<4xf32>, %s: tensor<i32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op beta1 and beta2 must be in [0, 1), got 1.000000e+00 and 9.500000e-01}}
  %0:3 = tfm.adamw %p, %p, %p, %p, %s, %lr, %lr {beta1 = 1.0 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adamw_eps(%p: tensor<4xf32>, %s: tensor<i32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op epsilon must be positive, got 0}}
  %0:3 = tfm.adamw %p, %p, %p, %p, %s, %lr, %lr {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 0.0 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adamw_lr(%p: tensor<4xf32>, %s: tensor<i32>, %lr: tensor<1xf32>, %n: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op expects lr of rank 0, got rank 1}}
  %0:3 = tfm.adamw %p, %p, %p, %p, %s, %lr, %n {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i32>, tensor<1xf32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adamw_decay(%p: tensor<4xf32>, %s: tensor<i32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op weight_decay and max_norm must not be negative}}
  %0:3 = tfm.adamw %p, %p, %p, %p, %s, %lr, %lr {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = -0.1 : f64, max_norm = 1.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adamw_results(%p: tensor<4xf32>, %s: tensor<i32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op results must have the param's type 'tensor<4xf32>'}}
  %0:3 = tfm.adamw %p, %p, %p, %p, %s, %lr, %lr {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<8xf32>)
  return
}
