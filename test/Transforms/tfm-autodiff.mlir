// RUN: gpt3-opt %s --split-input-file --tfm-autodiff --verify-diagnostics | FileCheck %s

// Every derivation starts from the seed d loss = 1 and the cross-entropy's
// adjoint; each op then contributes its own backward op.

// CHECK-LABEL: func.func @gelu
//       CHECK:   %[[SEED:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<f32>)
//       CHECK:   %[[DH:.*]] = tfm.cross_entropy_grad %[[H:.*]], %arg1, %[[SEED]]
//       CHECK:   %[[DX:.*]] = tfm.gelu_grad %arg0, %[[DH]] : tensor<2x4x8xf32>
//       CHECK:   return %[[DX]]
//   CHECK-NOT:   tfm.gradient
func.func @gelu(%x: tensor<2x4x8xf32>, %t: tensor<2x4xi32>) -> tensor<2x4x8xf32> {
  %h = tfm.gelu %x : tensor<2x4x8xf32>
  %l = tfm.cross_entropy %h, %t : (tensor<2x4x8xf32>, tensor<2x4xi32>) -> tensor<f32>
  %dx = tfm.gradient %l wrt %x : (tensor<f32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %dx : tensor<2x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @linear
//       CHECK:   %[[DY:.*]] = tfm.cross_entropy_grad
//       CHECK:   %[[DX:.*]], %[[DW:.*]], %[[DB:.*]] = tfm.linear_grad %arg0, %arg1, %[[DY]]
//       CHECK:   return %[[DX]], %[[DW]], %[[DB]]
func.func @linear(%x: tensor<2x4x8xf32>, %w: tensor<8x6xf32>, %b: tensor<6xf32>, %t: tensor<2x4xi32>) -> (tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<6xf32>) {
  %y = tfm.linear %x, %w, %b : (tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<6xf32>) -> tensor<2x4x6xf32>
  %l = tfm.cross_entropy %y, %t : (tensor<2x4x6xf32>, tensor<2x4xi32>) -> tensor<f32>
  %g:3 = tfm.gradient %l wrt %x, %w, %b : (tensor<f32>, tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<6xf32>) -> (tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<6xf32>)
  return %g#0, %g#1, %g#2 : tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<6xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm
//       CHECK:   %[[DY:.*]] = tfm.cross_entropy_grad
//       CHECK:   %[[DX:.*]], %[[DG:.*]], %[[DB:.*]] = tfm.layer_norm_grad %arg0, %arg1, %[[DY]] {epsilon = 1.000000e-05 : f64}
//       CHECK:   return %[[DX]], %[[DG]], %[[DB]]
func.func @layer_norm(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %t: tensor<2x4xi32>) -> (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %y = tfm.layer_norm %x, %g, %b : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %l = tfm.cross_entropy %y, %t : (tensor<2x4x8xf32>, tensor<2x4xi32>) -> tensor<f32>
  %d:3 = tfm.gradient %l wrt %x, %g, %b : (tensor<f32>, tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %d#0, %d#1, %d#2 : tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// The attention adjoint gets the forward output, so it can recompute the
// softmax from q and k without a stored T x T matrix.
// CHECK-LABEL: func.func @attention
//       CHECK:   %[[Y:.*]] = tfm.attention %arg0
//       CHECK:   %[[DY:.*]] = tfm.cross_entropy_grad
//       CHECK:   %[[DQKV:.*]] = tfm.attention_grad %arg0, %[[Y]], %[[DY]] {num_heads = 2 : i64, pattern = #tfm.pattern<local, window = 2>}
//       CHECK:   return %[[DQKV]]
func.func @attention(%qkv: tensor<2x4x24xf32>, %t: tensor<2x4xi32>) -> tensor<2x4x24xf32> {
  %y = tfm.attention %qkv {num_heads = 2 : i64, pattern = #tfm.pattern<local, window = 2>} : tensor<2x4x24xf32> -> tensor<2x4x8xf32>
  %l = tfm.cross_entropy %y, %t : (tensor<2x4x8xf32>, tensor<2x4xi32>) -> tensor<f32>
  %d = tfm.gradient %l wrt %qkv : (tensor<f32>, tensor<2x4x24xf32>) -> tensor<2x4x24xf32>
  return %d : tensor<2x4x24xf32>
}

// -----

// CHECK-LABEL: func.func @softmax
//       CHECK:   %[[P:.*]] = tfm.softmax %arg0
//       CHECK:   %[[DP:.*]] = tfm.cross_entropy_grad %[[P]]
//       CHECK:   %[[DX:.*]] = tfm.softmax_grad %[[P]], %[[DP]] : tensor<2x4x8xf32>
//       CHECK:   return %[[DX]]
func.func @softmax(%x: tensor<2x4x8xf32>, %t: tensor<2x4xi32>) -> tensor<2x4x8xf32> {
  %p = tfm.softmax %x : tensor<2x4x8xf32>
  %l = tfm.cross_entropy %p, %t : (tensor<2x4x8xf32>, tensor<2x4xi32>) -> tensor<f32>
  %d = tfm.gradient %l wrt %x : (tensor<f32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %d : tensor<2x4x8xf32>
}

// -----

// The token table is read twice, by the embedding and by the tied output
// projection: its gradient is the sum of both adjoints. The residual
// stream fans out the same way. Token ids and targets get no gradient.
// CHECK-LABEL: func.func @tied
//       CHECK:   %[[DL:.*]] = tfm.cross_entropy_grad
//       CHECK:   %[[DH:.*]], %[[DWTE1:.*]] = tfm.lm_head_grad %{{.*}}, %arg1, %[[DL]]
//       CHECK:   %[[DG:.*]] = tfm.gelu_grad %[[X:.*]], %[[DH]]
//       CHECK:   %[[DX:.*]] = tfm.add %[[DH]], %[[DG]]
//       CHECK:   %[[DWTE2:.*]], %[[DWPE:.*]] = tfm.embedding_grad %arg0, %[[DX]]
//       CHECK:   %[[DWTE:.*]] = tfm.add %[[DWTE1]], %[[DWTE2]]
//       CHECK:   return %[[DWTE]], %[[DWPE]]
func.func @tied(%tokens: tensor<2x4xi32>, %wte: tensor<10x8xf32>, %wpe: tensor<6x8xf32>, %t: tensor<2x4xi32>) -> (tensor<10x8xf32>, tensor<6x8xf32>) {
  %x = tfm.embedding %tokens, %wte, %wpe : (tensor<2x4xi32>, tensor<10x8xf32>, tensor<6x8xf32>) -> tensor<2x4x8xf32>
  %g = tfm.gelu %x : tensor<2x4x8xf32>
  %h = tfm.add %x, %g : tensor<2x4x8xf32>
  %logits = tfm.lm_head %h, %wte : (tensor<2x4x8xf32>, tensor<10x8xf32>) -> tensor<2x4x10xf32>
  %l = tfm.cross_entropy %logits, %t : (tensor<2x4x10xf32>, tensor<2x4xi32>) -> tensor<f32>
  %d:2 = tfm.gradient %l wrt %wte, %wpe : (tensor<f32>, tensor<10x8xf32>, tensor<6x8xf32>) -> (tensor<10x8xf32>, tensor<6x8xf32>)
  return %d#0, %d#1 : tensor<10x8xf32>, tensor<6x8xf32>
}

// -----

// Only the ops between the values and the loss are differentiated: the
// branch that does not reach the loss gets no adjoint, and a value the loss
// does not depend on gets zeros.
// CHECK-LABEL: func.func @unused
//       CHECK:   tfm.gelu_grad
//   CHECK-NOT:   tfm.gelu_grad
//       CHECK:   %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x4x8xf32>)
//       CHECK:   return %{{.*}}, %[[ZERO]]
func.func @unused(%x: tensor<2x4x8xf32>, %z: tensor<2x4x8xf32>, %t: tensor<2x4xi32>) -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) {
  %h = tfm.gelu %x : tensor<2x4x8xf32>
  %other = tfm.gelu %x : tensor<2x4x8xf32>
  %l = tfm.cross_entropy %h, %t : (tensor<2x4x8xf32>, tensor<2x4xi32>) -> tensor<f32>
  %d:2 = tfm.gradient %l wrt %x, %z : (tensor<f32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>)
  return %d#0, %d#1, %other : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
}

// -----

func.func @not_differentiable(%x: tensor<2x4x8xf32>, %t: tensor<2x4xi32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'arith.negf' op has no vector-Jacobian product, but the loss of the tfm.gradient at}}
  %n = arith.negf %x : tensor<2x4x8xf32>
  %l = tfm.cross_entropy %n, %t : (tensor<2x4x8xf32>, tensor<2x4xi32>) -> tensor<f32>
  %d = tfm.gradient %l wrt %x : (tensor<f32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %d : tensor<2x4x8xf32>
}

// -----

func.func @embedding_at(%tokens: tensor<1x1xi32>, %wte: tensor<10x8xf32>, %wpe: tensor<6x8xf32>, %pos: tensor<i32>, %t: tensor<1x1xi32>) -> tensor<10x8xf32> {
  // expected-error @+1 {{'tfm.embedding' op at a runtime position is not differentiable; train on whole sequences}}
  %x = tfm.embedding %tokens, %wte, %wpe at %pos : (tensor<1x1xi32>, tensor<10x8xf32>, tensor<6x8xf32>, tensor<i32>) -> tensor<1x1x8xf32>
  %logits = tfm.lm_head %x, %wte : (tensor<1x1x8xf32>, tensor<10x8xf32>) -> tensor<1x1x10xf32>
  %l = tfm.cross_entropy %logits, %t : (tensor<1x1x10xf32>, tensor<1x1xi32>) -> tensor<f32>
  %d = tfm.gradient %l wrt %wte : (tensor<f32>, tensor<10x8xf32>) -> tensor<10x8xf32>
  return %d : tensor<10x8xf32>
}

// -----

// A scan's adjoint is a reverse scan over the same slices: the forward scan
// also stacks what the backward ops read (each iteration's carry in, the
// linear layer's output that gelu_grad reads), and the reverse scan's body
// runs the backward ops on those slices, carrying the gradient of the
// carry and stacking the weights' gradients. No forward op is computed
// again in it.
// CHECK-LABEL: func.func @scan
//       CHECK:   %[[F:.*]]:3 = tfm.scan 3 carry(%arg0 : tensor<2x4x8xf32>) over(%arg1, %arg2 : tensor<3x8x8xf32>, tensor<3x8xf32>) {
//       CHECK:   ^bb0(%{{.*}}: index, %[[H:.*]]: tensor<2x4x8xf32>, %{{.*}}: tensor<8x8xf32>, %{{.*}}: tensor<8xf32>):
//       CHECK:     %[[Y:.*]] = tfm.linear %[[H]]
//       CHECK:     %[[G:.*]] = tfm.gelu %[[Y]]
//       CHECK:     tfm.yield %[[G]], %{{.*}}, %{{.*}} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
//       CHECK:   } : tensor<2x4x8xf32>, tensor<3x2x4x8xf32>, tensor<3x2x4x8xf32>
//       CHECK:   %[[DL:.*]] = tfm.cross_entropy_grad %[[F]]#0
//       CHECK:   %[[B:.*]]:3 = tfm.scan 3 reverse carry(%[[DL]] : tensor<2x4x8xf32>) over(%arg1, %arg2, %[[F]]#1, %[[F]]#2 : tensor<3x8x8xf32>, tensor<3x8xf32>, tensor<3x2x4x8xf32>, tensor<3x2x4x8xf32>) {
//   CHECK-NOT:     tfm.linear
//   CHECK-NOT:     tfm.gelu %
//       CHECK:     tfm.gelu_grad
//       CHECK:     tfm.linear_grad
//       CHECK:     tfm.yield
//       CHECK:   } : tensor<2x4x8xf32>, tensor<3x8x8xf32>, tensor<3x8xf32>
//       CHECK:   return %[[B]]#0, %[[B]]#1, %[[B]]#2
func.func @scan(%x: tensor<2x4x8xf32>, %w: tensor<3x8x8xf32>, %b: tensor<3x8xf32>, %t: tensor<2x4xi32>) -> (tensor<2x4x8xf32>, tensor<3x8x8xf32>, tensor<3x8xf32>) {
  %h = tfm.scan 3 carry(%x : tensor<2x4x8xf32>) over(%w, %b : tensor<3x8x8xf32>, tensor<3x8xf32>) {
  ^bb0(%i: index, %hi: tensor<2x4x8xf32>, %wi: tensor<8x8xf32>, %bi: tensor<8xf32>):
    %y = tfm.linear %hi, %wi, %bi : (tensor<2x4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
    %g = tfm.gelu %y : tensor<2x4x8xf32>
    tfm.yield %g : tensor<2x4x8xf32>
  } : tensor<2x4x8xf32>
  %l = tfm.cross_entropy %h, %t : (tensor<2x4x8xf32>, tensor<2x4xi32>) -> tensor<f32>
  %g:3 = tfm.gradient %l wrt %x, %w, %b : (tensor<f32>, tensor<2x4x8xf32>, tensor<3x8x8xf32>, tensor<3x8xf32>) -> (tensor<2x4x8xf32>, tensor<3x8x8xf32>, tensor<3x8xf32>)
  return %g#0, %g#1, %g#2 : tensor<2x4x8xf32>, tensor<3x8x8xf32>, tensor<3x8xf32>
}
