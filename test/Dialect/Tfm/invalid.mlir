// RUN: gpt3-opt %s --split-input-file --verify-diagnostics

// Every verifier message of the tfm dialect, one case each.

func.func @embedding_tokens_rank(%t: tensor<8xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf32>) {
  // expected-error @+1 {{'tfm.embedding' op expects tokens of rank 2, got rank 1}}
  %0 = tfm.embedding %t, %wte, %wpe : (tensor<8xi32>, tensor<100x16xf32>, tensor<32x16xf32>) -> tensor<1x8x16xf32>
  return
}

// -----

func.func @embedding_dynamic(%t: tensor<?x8xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf32>) {
  // expected-error @+1 {{'tfm.embedding' op expects a static shape for tokens, got 'tensor<?x8xi32>'}}
  %0 = tfm.embedding %t, %wte, %wpe : (tensor<?x8xi32>, tensor<100x16xf32>, tensor<32x16xf32>) -> tensor<1x8x16xf32>
  return
}

// -----

func.func @embedding_float_tokens(%t: tensor<2x8xf32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf32>) {
  // expected-error @+1 {{'tfm.embedding' op expects a signless integer element type for tokens, got 'f32'}}
  %0 = tfm.embedding %t, %wte, %wpe : (tensor<2x8xf32>, tensor<100x16xf32>, tensor<32x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

func.func @embedding_integer_table(%t: tensor<2x8xi32>, %wte: tensor<100x16xi32>, %wpe: tensor<32x16xf32>) {
  // expected-error @+1 {{'tfm.embedding' op expects a floating-point element type for wte, got 'i32'}}
  %0 = tfm.embedding %t, %wte, %wpe : (tensor<2x8xi32>, tensor<100x16xi32>, tensor<32x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

func.func @embedding_mixed_types(%t: tensor<2x8xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf16>) {
  // expected-error @+1 {{'tfm.embedding' op element type of wpe ('f16') differs from that of wte ('f32')}}
  %0 = tfm.embedding %t, %wte, %wpe : (tensor<2x8xi32>, tensor<100x16xf32>, tensor<32x16xf16>) -> tensor<2x8x16xf32>
  return
}

// -----

func.func @embedding_widths(%t: tensor<2x8xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x8xf32>) {
  // expected-error @+1 {{'tfm.embedding' op width of wte (16) differs from width of wpe (8)}}
  %0 = tfm.embedding %t, %wte, %wpe : (tensor<2x8xi32>, tensor<100x16xf32>, tensor<32x8xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

func.func @embedding_too_long(%t: tensor<2x64xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf32>) {
  // expected-error @+1 {{'tfm.embedding' op sequence length 64 exceeds the 32 positions of wpe}}
  %0 = tfm.embedding %t, %wte, %wpe : (tensor<2x64xi32>, tensor<100x16xf32>, tensor<32x16xf32>) -> tensor<2x64x16xf32>
  return
}

// -----

func.func @embedding_result(%t: tensor<2x8xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf32>) {
  // expected-error @+1 {{'tfm.embedding' op result type 'tensor<2x8x32xf32>' differs from the expected 'tensor<2x8x16xf32>'}}
  %0 = tfm.embedding %t, %wte, %wpe : (tensor<2x8xi32>, tensor<100x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  return
}

// -----

func.func @embedding_unranked(%t: tensor<*xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf32>) {
  // expected-error @+1 {{'tfm.embedding' op operand #0 must be ranked tensor of any type values, but got 'tensor<*xi32>'}}
  %0 = tfm.embedding %t, %wte, %wpe : (tensor<*xi32>, tensor<100x16xf32>, tensor<32x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

func.func @layer_norm_scalar(%x: tensor<f32>, %g: tensor<16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expects input of rank 1 or more, got rank 0}}
  %0 = tfm.layer_norm %x, %g, %b : (tensor<f32>, tensor<16xf32>, tensor<16xf32>) -> tensor<f32>
  return
}

// -----

func.func @layer_norm_gamma_size(%x: tensor<2x16xf32>, %g: tensor<8xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op gamma and beta must have the input's last dimension 16, got 8 and 16}}
  %0 = tfm.layer_norm %x, %g, %b : (tensor<2x16xf32>, tensor<8xf32>, tensor<16xf32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @layer_norm_gamma_rank(%x: tensor<2x16xf32>, %g: tensor<1x16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expects gamma of rank 1, got rank 2}}
  %0 = tfm.layer_norm %x, %g, %b : (tensor<2x16xf32>, tensor<1x16xf32>, tensor<16xf32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @layer_norm_types(%x: tensor<2x16xf32>, %g: tensor<16xbf16>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op element type of gamma ('bf16') differs from that of input ('f32')}}
  %0 = tfm.layer_norm %x, %g, %b : (tensor<2x16xf32>, tensor<16xbf16>, tensor<16xf32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<2x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op epsilon must be positive, got -1}}
  %0 = tfm.layer_norm %x, %g, %b {epsilon = -1.0 : f64} : (tensor<2x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @layer_norm_result(%x: tensor<2x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op result type 'tensor<2x16xf16>' differs from the expected 'tensor<2x16xf32>'}}
  %0 = tfm.layer_norm %x, %g, %b : (tensor<2x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x16xf16>
  return
}

// -----

func.func @linear_rank(%x: tensor<16xf32>, %w: tensor<16x48xf32>) {
  // expected-error @+1 {{'tfm.linear' op expects input of rank 2 or more, got rank 1}}
  %0 = tfm.linear %x, %w : (tensor<16xf32>, tensor<16x48xf32>) -> tensor<48xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<2x16xf32>, %w: tensor<1x16x48xf32>) {
  // expected-error @+1 {{'tfm.linear' op expects weight of rank 2, got rank 3}}
  %0 = tfm.linear %x, %w : (tensor<2x16xf32>, tensor<1x16x48xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @linear_contraction(%x: tensor<2x8x64xf32>, %w: tensor<32x48xf32>) {
  // expected-error @+1 {{'tfm.linear' op contraction sizes differ (64 vs 32)}}
  %0 = tfm.linear %x, %w : (tensor<2x8x64xf32>, tensor<32x48xf32>) -> tensor<2x8x48xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<2x16xf32>, %w: tensor<16x48xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{'tfm.linear' op bias size 32 differs from the output width 48}}
  %0 = tfm.linear %x, %w, %b : (tensor<2x16xf32>, tensor<16x48xf32>, tensor<32xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @linear_bias_rank(%x: tensor<2x16xf32>, %w: tensor<16x48xf32>, %b: tensor<1x48xf32>) {
  // expected-error @+1 {{'tfm.linear' op expects bias of rank 1, got rank 2}}
  %0 = tfm.linear %x, %w, %b : (tensor<2x16xf32>, tensor<16x48xf32>, tensor<1x48xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @linear_result(%x: tensor<2x16xf32>, %w: tensor<16x48xf32>) {
  // expected-error @+1 {{'tfm.linear' op result type 'tensor<2x16xf32>' differs from the expected 'tensor<2x48xf32>'}}
  %0 = tfm.linear %x, %w : (tensor<2x16xf32>, tensor<16x48xf32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @gelu_integer(%x: tensor<4xi32>) {
  // expected-error @+1 {{'tfm.gelu' op expects a floating-point element type for input, got 'i32'}}
  %0 = tfm.gelu %x : tensor<4xi32>
  return
}

// -----

func.func @add_integer(%x: tensor<4xi32>) {
  // expected-error @+1 {{'tfm.add' op expects a floating-point element type for operands, got 'i32'}}
  %0 = tfm.add %x, %x : tensor<4xi32>
  return
}

// -----

func.func @add_shapes(%x: tensor<4xf32>, %y: tensor<8xf32>) {
  // expected-error @+1 {{'tfm.add' op requires the same type for all operands and results}}
  %0 = "tfm.add"(%x, %y) : (tensor<4xf32>, tensor<8xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @softmax_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'tfm.softmax' op expects input of rank 1 or more, got rank 0}}
  %0 = tfm.softmax %x : tensor<f32>
  return
}

// -----

func.func @attention_rank(%qkv: tensor<8x48xf32>) {
  // expected-error @+1 {{'tfm.attention' op expects qkv of rank 3, got rank 2}}
  %0 = tfm.attention %qkv {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : tensor<8x48xf32> -> tensor<8x16xf32>
  return
}

// -----

func.func @attention_packed(%qkv: tensor<2x8x50xf32>) {
  // expected-error @+1 {{'tfm.attention' op packed q, k, v width 50 is not a multiple of 3}}
  %0 = tfm.attention %qkv {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : tensor<2x8x50xf32> -> tensor<2x8x16xf32>
  return
}

// -----

func.func @attention_zero_heads(%qkv: tensor<2x8x48xf32>) {
  // expected-error @+1 {{'tfm.attention' op num_heads must be at least 1, got 0}}
  %0 = tfm.attention %qkv {num_heads = 0 : i64, pattern = #tfm.pattern<dense>} : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
  return
}

// -----

func.func @attention_heads_divide(%qkv: tensor<2x8x48xf32>) {
  // expected-error @+1 {{'tfm.attention' op head count 5 does not divide width 16}}
  %0 = tfm.attention %qkv {num_heads = 5 : i64, pattern = #tfm.pattern<dense>} : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
  return
}

// -----

func.func @attention_result(%qkv: tensor<2x8x48xf32>) {
  // expected-error @+1 {{'tfm.attention' op result type 'tensor<2x8x48xf32>' differs from the expected 'tensor<2x8x16xf32>'}}
  %0 = tfm.attention %qkv {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : tensor<2x8x48xf32> -> tensor<2x8x48xf32>
  return
}

// -----

func.func @attention_missing_pattern(%qkv: tensor<2x8x48xf32>) {
  // expected-error @+1 {{'tfm.attention' op requires attribute 'pattern'}}
  %0 = tfm.attention %qkv {num_heads = 4 : i64} : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
  return
}

// -----

func.func @attention_zero_window(%qkv: tensor<2x8x48xf32>) {
  // expected-error @+1 {{local attention window must be at least 1, got 0}}
  %0 = tfm.attention %qkv {num_heads = 4 : i64, pattern = #tfm.pattern<local, window = 0>} : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
  return
}

// -----

func.func @attention_unknown_pattern(%qkv: tensor<2x8x48xf32>) {
  // expected-error @+1 {{expected attention pattern 'dense' or 'local', got 'strided'}}
  %0 = tfm.attention %qkv {num_heads = 4 : i64, pattern = #tfm.pattern<strided>} : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
  return
}

// -----

func.func @lm_head_width(%x: tensor<2x8x16xf32>, %wte: tensor<100x8xf32>) {
  // expected-error @+1 {{'tfm.lm_head' op input width 16 differs from the width of wte 8}}
  %0 = tfm.lm_head %x, %wte : (tensor<2x8x16xf32>, tensor<100x8xf32>) -> tensor<2x8x100xf32>
  return
}

// -----

func.func @lm_head_result(%x: tensor<2x8x16xf32>, %wte: tensor<100x16xf32>) {
  // expected-error @+1 {{'tfm.lm_head' op result type 'tensor<2x8x16xf32>' differs from the expected 'tensor<2x8x100xf32>'}}
  %0 = tfm.lm_head %x, %wte : (tensor<2x8x16xf32>, tensor<100x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

func.func @cross_entropy_rank(%l: tensor<8x100xf32>, %t: tensor<2x8xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expects logits of rank 3, got rank 2}}
  %0 = tfm.cross_entropy %l, %t : (tensor<8x100xf32>, tensor<2x8xi32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_float_targets(%l: tensor<2x8x100xf32>, %t: tensor<2x8xf32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op expects a signless integer element type for targets, got 'f32'}}
  %0 = tfm.cross_entropy %l, %t : (tensor<2x8x100xf32>, tensor<2x8xf32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_targets_shape(%l: tensor<2x8x100xf32>, %t: tensor<2x4xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op targets shape (2, 4) differs from the logits' leading dimensions (2, 8)}}
  %0 = tfm.cross_entropy %l, %t : (tensor<2x8x100xf32>, tensor<2x4xi32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_result(%l: tensor<2x8x100xf32>, %t: tensor<2x8xi32>) {
  // expected-error @+1 {{'tfm.cross_entropy' op result type 'tensor<2x8xf32>' differs from the expected 'tensor<f32>'}}
  %0 = tfm.cross_entropy %l, %t : (tensor<2x8x100xf32>, tensor<2x8xi32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @embedding_start(%t: tensor<2x1xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf32>, %pos: tensor<2xi32>) {
  // expected-error @+1 {{'tfm.embedding' op expects start of rank 0, got rank 1}}
  %0 = tfm.embedding %t, %wte, %wpe at %pos : (tensor<2x1xi32>, tensor<100x16xf32>, tensor<32x16xf32>, tensor<2xi32>) -> tensor<2x1x16xf32>
  return
}

// -----

func.func @cached_attention_start(%qkv: tensor<2x1x48xf32>, %k: tensor<2x4x16x4xf32>, %pos: tensor<f32>) {
  // expected-error @+1 {{'tfm.cached_attention' op expects a signless integer element type for start, got 'f32'}}
  %0:3 = tfm.cached_attention %qkv, %k, %k at %pos {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x1x48xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>, tensor<f32>) -> (tensor<2x1x16xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>)
  return
}

// -----

func.func @cached_attention_cache_types(%qkv: tensor<2x1x48xf32>, %k: tensor<2x4x16x4xf32>, %v: tensor<2x4x8x4xf32>, %pos: tensor<i32>) {
  // expected-error @+1 {{'tfm.cached_attention' op key and value caches differ in type: 'tensor<2x4x16x4xf32>' and 'tensor<2x4x8x4xf32>'}}
  %0:3 = tfm.cached_attention %qkv, %k, %v at %pos {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x1x48xf32>, tensor<2x4x16x4xf32>, tensor<2x4x8x4xf32>, tensor<i32>) -> (tensor<2x1x16xf32>, tensor<2x4x16x4xf32>, tensor<2x4x8x4xf32>)
  return
}

// -----

func.func @cached_attention_packed(%qkv: tensor<2x1x47xf32>, %k: tensor<2x4x16x4xf32>, %pos: tensor<i32>) {
  // expected-error @+1 {{'tfm.cached_attention' op packed q, k, v width 47 is not a multiple of 3}}
  %0:3 = tfm.cached_attention %qkv, %k, %k at %pos {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x1x47xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>, tensor<i32>) -> (tensor<2x1x16xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>)
  return
}

// -----

func.func @cached_attention_heads(%qkv: tensor<2x1x48xf32>, %k: tensor<2x4x16x4xf32>, %pos: tensor<i32>) {
  // expected-error @+1 {{'tfm.cached_attention' op num_heads 3 must be positive and divide width 16}}
  %0:3 = tfm.cached_attention %qkv, %k, %k at %pos {num_heads = 3 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x1x48xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>, tensor<i32>) -> (tensor<2x1x16xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>)
  return
}

// -----

func.func @cached_attention_cache_shape(%qkv: tensor<2x1x48xf32>, %k: tensor<2x2x16x8xf32>, %pos: tensor<i32>) {
  // expected-error @+1 {{'tfm.cached_attention' op expects caches of shape (batch 2, heads 4, capacity, head size 4), got 'tensor<2x2x16x8xf32>'}}
  %0:3 = tfm.cached_attention %qkv, %k, %k at %pos {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x1x48xf32>, tensor<2x2x16x8xf32>, tensor<2x2x16x8xf32>, tensor<i32>) -> (tensor<2x1x16xf32>, tensor<2x2x16x8xf32>, tensor<2x2x16x8xf32>)
  return
}

// -----

func.func @cached_attention_capacity(%qkv: tensor<2x8x48xf32>, %k: tensor<2x4x4x4xf32>, %pos: tensor<i32>) {
  // expected-error @+1 {{'tfm.cached_attention' op 8 new tokens exceed the cache capacity 4}}
  %0:3 = tfm.cached_attention %qkv, %k, %k at %pos {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x8x48xf32>, tensor<2x4x4x4xf32>, tensor<2x4x4x4xf32>, tensor<i32>) -> (tensor<2x8x16xf32>, tensor<2x4x4x4xf32>, tensor<2x4x4x4xf32>)
  return
}

// -----

func.func @cached_attention_result(%qkv: tensor<2x1x48xf32>, %k: tensor<2x4x16x4xf32>, %pos: tensor<i32>) {
  // expected-error @+1 {{'tfm.cached_attention' op result type 'tensor<2x1x48xf32>' differs from the expected 'tensor<2x1x16xf32>'}}
  %0:3 = tfm.cached_attention %qkv, %k, %k at %pos {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x1x48xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>, tensor<i32>) -> (tensor<2x1x48xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>)
  return
}

// -----

func.func @cached_attention_updated(%qkv: tensor<2x1x48xf32>, %k: tensor<2x4x16x4xf32>, %pos: tensor<i32>) {
  // expected-error @+1 {{'tfm.cached_attention' op updated caches must have the caches' type 'tensor<2x4x16x4xf32>'}}
  %0:3 = tfm.cached_attention %qkv, %k, %k at %pos {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x1x48xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>, tensor<i32>) -> (tensor<2x1x16xf32>, tensor<2x4x8x4xf32>, tensor<2x4x16x4xf32>)
  return
}

// -----

// expected-error @+1 {{'builtin.module' op 'tfm.matmul_type' must be f32 or bf16 on a module, got f16}}
module attributes {tfm.matmul_type = f16} {
}

// -----

module {
  // expected-error @+1 {{'func.func' op 'tfm.matmul_type' must be f32 or bf16 on a module, got bf16}}
  func.func @f() attributes {tfm.matmul_type = bf16} {
    return
  }
}
