// RUN: gpt3-opt %s | gpt3-opt | FileCheck %s
// RUN: gpt3-opt %s --mlir-print-op-generic | gpt3-opt | FileCheck %s

// Every backward and optimizer op parses, prints in its custom form, and
// parses again.

// CHECK-LABEL: func.func @gradient
//       CHECK:   tfm.gradient %{{.*}} wrt %{{.*}}, %{{.*}} : (tensor<f32>, tensor<8x6xf32>, tensor<6xf32>) -> (tensor<8x6xf32>, tensor<6xf32>)
func.func @gradient(%l: tensor<f32>, %w: tensor<8x6xf32>, %b: tensor<6xf32>) -> (tensor<8x6xf32>, tensor<6xf32>) {
  %0:2 = tfm.gradient %l wrt %w, %b : (tensor<f32>, tensor<8x6xf32>, tensor<6xf32>) -> (tensor<8x6xf32>, tensor<6xf32>)
  return %0#0, %0#1 : tensor<8x6xf32>, tensor<6xf32>
}

// CHECK-LABEL: func.func @backward
//       CHECK:   tfm.embedding_grad %{{.*}}, %{{.*}} : (tensor<2x4xi32>, tensor<2x4x8xf32>) -> (tensor<10x8xf32>, tensor<6x8xf32>)
//       CHECK:   tfm.layer_norm_grad %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-05 : f64} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<2x4x8xf32>) -> (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>)
//       CHECK:   tfm.linear_grad %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x4x8xf32>, tensor<8x24xf32>, tensor<2x4x24xf32>) -> (tensor<2x4x8xf32>, tensor<8x24xf32>, tensor<24xf32>)
//       CHECK:   tfm.gelu_grad %{{.*}}, %{{.*}} : tensor<2x4x8xf32>
//       CHECK:   tfm.softmax_grad %{{.*}}, %{{.*}} : tensor<2x4x8xf32>
//       CHECK:   tfm.attention_grad %{{.*}}, %{{.*}}, %{{.*}} {num_heads = 2 : i64, pattern = #tfm.pattern<local, window = 2>} : (tensor<2x4x24xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x24xf32>
//       CHECK:   tfm.lm_head_grad %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x4x8xf32>, tensor<10x8xf32>, tensor<2x4x10xf32>) -> (tensor<2x4x8xf32>, tensor<10x8xf32>)
//       CHECK:   tfm.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x4x10xf32>, tensor<2x4xi32>, tensor<f32>) -> tensor<2x4x10xf32>
func.func @backward(%tokens: tensor<2x4xi32>, %x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %w: tensor<8x24xf32>, %qkv: tensor<2x4x24xf32>, %wte: tensor<10x8xf32>, %logits: tensor<2x4x10xf32>, %dl: tensor<f32>) {
  %0:2 = tfm.embedding_grad %tokens, %x : (tensor<2x4xi32>, tensor<2x4x8xf32>) -> (tensor<10x8xf32>, tensor<6x8xf32>)
  %1:3 = tfm.layer_norm_grad %x, %g, %x {epsilon = 1.0e-05 : f64} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<2x4x8xf32>) -> (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>)
  %2:3 = tfm.linear_grad %x, %w, %qkv : (tensor<2x4x8xf32>, tensor<8x24xf32>, tensor<2x4x24xf32>) -> (tensor<2x4x8xf32>, tensor<8x24xf32>, tensor<24xf32>)
  %3 = tfm.gelu_grad %x, %x : tensor<2x4x8xf32>
  %4 = tfm.softmax_grad %x, %x : tensor<2x4x8xf32>
  %5 = tfm.attention_grad %qkv, %x, %x {num_heads = 2 : i64, pattern = #tfm.pattern<local, window = 2>} : (tensor<2x4x24xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x24xf32>
  %6:2 = tfm.lm_head_grad %x, %wte, %logits : (tensor<2x4x8xf32>, tensor<10x8xf32>, tensor<2x4x10xf32>) -> (tensor<2x4x8xf32>, tensor<10x8xf32>)
  %7 = tfm.cross_entropy_grad %logits, %tokens, %dl : (tensor<2x4x10xf32>, tensor<2x4xi32>, tensor<f32>) -> tensor<2x4x10xf32>
  return
}

// CHECK-LABEL: func.func @optimizer
//       CHECK:   %[[N:.*]] = tfm.global_norm %{{.*}}, %{{.*}} : (tensor<8x6xf32>, tensor<6xf32>) -> tensor<f32>
//       CHECK:   tfm.adamw %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[N]] {beta1 = 9.000000e-01 : f64, beta2 = {{.*}} : f64, epsilon = 1.000000e-08 : f64, max_norm = 1.000000e+00 : f64, weight_decay = 1.000000e-01 : f64} : (tensor<8x6xf32>, tensor<8x6xf32>, tensor<8x6xf32>, tensor<8x6xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<8x6xf32>, tensor<8x6xf32>, tensor<8x6xf32>)
func.func @optimizer(%p: tensor<8x6xf32>, %g: tensor<8x6xf32>, %gb: tensor<6xf32>, %m: tensor<8x6xf32>, %v: tensor<8x6xf32>, %step: tensor<i32>, %lr: tensor<f32>) {
  %norm = tfm.global_norm %g, %gb : (tensor<8x6xf32>, tensor<6xf32>) -> tensor<f32>
  %0:3 = tfm.adamw %p, %g, %m, %v, %step, %lr, %norm {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64} : (tensor<8x6xf32>, tensor<8x6xf32>, tensor<8x6xf32>, tensor<8x6xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<8x6xf32>, tensor<8x6xf32>, tensor<8x6xf32>)
  return
}
