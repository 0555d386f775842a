// RUN: gpt3-opt %s | gpt3-opt | FileCheck %s
// RUN: gpt3-opt %s --mlir-print-op-generic | gpt3-opt | FileCheck %s

// Every tfm op parses, prints in its custom form, and parses again.

// CHECK-LABEL: func.func @embedding
//       CHECK:   tfm.embedding %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x8xi32>, tensor<100x16xf32>, tensor<32x16xf32>) -> tensor<2x8x16xf32>
func.func @embedding(%tokens: tensor<2x8xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf32>) -> tensor<2x8x16xf32> {
  %0 = tfm.embedding %tokens, %wte, %wpe : (tensor<2x8xi32>, tensor<100x16xf32>, tensor<32x16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// 64-bit token ids are accepted as well.
// CHECK-LABEL: func.func @embedding_i64
//       CHECK:   tfm.embedding {{.*}} : (tensor<1x4xi64>, tensor<10x8xbf16>, tensor<4x8xbf16>) -> tensor<1x4x8xbf16>
func.func @embedding_i64(%tokens: tensor<1x4xi64>, %wte: tensor<10x8xbf16>, %wpe: tensor<4x8xbf16>) -> tensor<1x4x8xbf16> {
  %0 = tfm.embedding %tokens, %wte, %wpe : (tensor<1x4xi64>, tensor<10x8xbf16>, tensor<4x8xbf16>) -> tensor<1x4x8xbf16>
  return %0 : tensor<1x4x8xbf16>
}

// The default epsilon is elided; another one is printed.
// CHECK-LABEL: func.func @layer_norm
//       CHECK:   tfm.layer_norm %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
//       CHECK:   tfm.layer_norm {{.*}} {epsilon = 9.9999999999999995E-7 : f64}
func.func @layer_norm(%x: tensor<2x8x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<2x8x16xf32> {
  %0 = tfm.layer_norm %x, %g, %b : (tensor<2x8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  %1 = tfm.layer_norm %0, %g, %b {epsilon = 1.0e-6 : f64} : (tensor<2x8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  return %1 : tensor<2x8x16xf32>
}

// With and without a bias.
// CHECK-LABEL: func.func @linear
//       CHECK:   tfm.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x8x16xf32>, tensor<16x48xf32>, tensor<48xf32>) -> tensor<2x8x48xf32>
//       CHECK:   tfm.linear %{{.*}}, %{{.*}} : (tensor<16x16xf32>, tensor<16x48xf32>) -> tensor<16x48xf32>
func.func @linear(%x: tensor<2x8x16xf32>, %w: tensor<16x48xf32>, %b: tensor<48xf32>, %y: tensor<16x16xf32>) -> (tensor<2x8x48xf32>, tensor<16x48xf32>) {
  %0 = tfm.linear %x, %w, %b : (tensor<2x8x16xf32>, tensor<16x48xf32>, tensor<48xf32>) -> tensor<2x8x48xf32>
  %1 = tfm.linear %y, %w : (tensor<16x16xf32>, tensor<16x48xf32>) -> tensor<16x48xf32>
  return %0, %1 : tensor<2x8x48xf32>, tensor<16x48xf32>
}

// CHECK-LABEL: func.func @elementwise
//       CHECK:   %[[G:.*]] = tfm.gelu %{{.*}} : tensor<2x8x64xf32>
//       CHECK:   %[[A:.*]] = tfm.add %[[G]], %{{.*}} : tensor<2x8x64xf32>
//       CHECK:   tfm.softmax %[[A]] : tensor<2x8x64xf32>
func.func @elementwise(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  %0 = tfm.gelu %x : tensor<2x8x64xf32>
  %1 = tfm.add %0, %x : tensor<2x8x64xf32>
  %2 = tfm.softmax %1 : tensor<2x8x64xf32>
  return %2 : tensor<2x8x64xf32>
}

// Dense and locally banded patterns.
// CHECK-LABEL: func.func @attention
//       CHECK:   tfm.attention %{{.*}} {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
//       CHECK:   tfm.attention %{{.*}} {num_heads = 2 : i64, pattern = #tfm.pattern<local, window = 3>} : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
func.func @attention(%qkv: tensor<2x8x48xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x16xf32>) {
  %0 = tfm.attention %qkv {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
  %1 = tfm.attention %qkv {num_heads = 2 : i64, pattern = #tfm.pattern<local, window = 3>} : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
  return %0, %1 : tensor<2x8x16xf32>, tensor<2x8x16xf32>
}

// CHECK-LABEL: func.func @lm_head_and_loss
//       CHECK:   %[[L:.*]] = tfm.lm_head %{{.*}}, %{{.*}} : (tensor<2x8x16xf32>, tensor<100x16xf32>) -> tensor<2x8x100xf32>
//       CHECK:   tfm.cross_entropy %[[L]], %{{.*}} : (tensor<2x8x100xf32>, tensor<2x8xi32>) -> tensor<f32>
func.func @lm_head_and_loss(%x: tensor<2x8x16xf32>, %wte: tensor<100x16xf32>, %targets: tensor<2x8xi32>) -> tensor<f32> {
  %0 = tfm.lm_head %x, %wte : (tensor<2x8x16xf32>, tensor<100x16xf32>) -> tensor<2x8x100xf32>
  %1 = tfm.cross_entropy %0, %targets : (tensor<2x8x100xf32>, tensor<2x8xi32>) -> tensor<f32>
  return %1 : tensor<f32>
}

// A decode step: one token embedded at a runtime position, attention through
// key and value caches of capacity 16.
// CHECK-LABEL: func.func @decode_step
//       CHECK:   tfm.embedding %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} : (tensor<2x1xi32>, tensor<100x16xf32>, tensor<32x16xf32>, tensor<i32>) -> tensor<2x1x16xf32>
//       CHECK:   tfm.cached_attention %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} {num_heads = 4 : i64, pattern = #tfm.pattern<local, window = 4>} : (tensor<2x1x48xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>, tensor<i32>) -> (tensor<2x1x16xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>)
func.func @decode_step(%tok: tensor<2x1xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf32>, %pos: tensor<i32>, %qkv: tensor<2x1x48xf32>, %k: tensor<2x4x16x4xf32>, %v: tensor<2x4x16x4xf32>) -> (tensor<2x1x16xf32>, tensor<2x1x16xf32>) {
  %x = tfm.embedding %tok, %wte, %wpe at %pos : (tensor<2x1xi32>, tensor<100x16xf32>, tensor<32x16xf32>, tensor<i32>) -> tensor<2x1x16xf32>
  %y, %k2, %v2 = tfm.cached_attention %qkv, %k, %v at %pos {num_heads = 4 : i64, pattern = #tfm.pattern<local, window = 4>} : (tensor<2x1x48xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>, tensor<i32>) -> (tensor<2x1x16xf32>, tensor<2x4x16x4xf32>, tensor<2x4x16x4xf32>)
  return %x, %y : tensor<2x1x16xf32>, tensor<2x1x16xf32>
}
