// RUN: gpt3-opt %s --split-input-file --convert-tfm-to-linalg --verify-each | FileCheck %s

// Embedding: a gather from wte plus the first T rows of wpe.
// CHECK-LABEL: func.func @embedding
//       CHECK:   %[[WPE:.*]] = tensor.extract_slice %{{.*}}[0, 0] [8, 16] [1, 1] : tensor<32x16xf32> to tensor<8x16xf32>
//       CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.*}}, %[[WPE]] : tensor<2x8xi32>, tensor<8x16xf32>)
//       CHECK:     arith.index_cast
//       CHECK:     tensor.extract %{{.*}}[{{.*}}] : tensor<100x16xf32>
//       CHECK:     arith.addf
//   CHECK-NOT:   tfm.
func.func @embedding(%t: tensor<2x8xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf32>) -> tensor<2x8x16xf32> {
  %0 = tfm.embedding %t, %wte, %wpe : (tensor<2x8xi32>, tensor<100x16xf32>, tensor<32x16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// -----

// Layer norm: row sums, mean, centred sum of squares, rsqrt, normalize.
// CHECK-LABEL: func.func @layer_norm
//       CHECK:   tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x8x16xf32> into tensor<16x16xf32>
//       CHECK:   linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
//       CHECK:   linalg.generic {{.*}}iterator_types = ["parallel"]
//       CHECK:   linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
//       CHECK:     arith.subf
//       CHECK:     arith.mulf
//       CHECK:   math.rsqrt
//       CHECK:   linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
//       CHECK:   tensor.expand_shape {{.*}} into tensor<2x8x16xf32>
func.func @layer_norm(%x: tensor<2x8x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<2x8x16xf32> {
  %0 = tfm.layer_norm %x, %g, %b : (tensor<2x8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// -----

// Linear: the matmul accumulates into the broadcast bias.
// CHECK-LABEL: func.func @linear
//       CHECK:   %[[X:.*]] = tensor.collapse_shape {{.*}} into tensor<16x16xf32>
//       CHECK:   %[[B:.*]] = linalg.broadcast ins(%{{.*}} : tensor<48xf32>) outs(%{{.*}} : tensor<16x48xf32>) dimensions = [0]
//       CHECK:   %[[M:.*]] = linalg.matmul ins(%[[X]], %{{.*}} : tensor<16x16xf32>, tensor<16x48xf32>) outs(%[[B]] : tensor<16x48xf32>)
//       CHECK:   tensor.expand_shape %[[M]]
func.func @linear(%x: tensor<2x8x16xf32>, %w: tensor<16x48xf32>, %b: tensor<48xf32>) -> tensor<2x8x48xf32> {
  %0 = tfm.linear %x, %w, %b : (tensor<2x8x16xf32>, tensor<16x48xf32>, tensor<48xf32>) -> tensor<2x8x48xf32>
  return %0 : tensor<2x8x48xf32>
}

// -----

// Linear without bias accumulates into zeros.
// CHECK-LABEL: func.func @linear_no_bias
//       CHECK:   %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<16x48xf32>)
//       CHECK:   linalg.matmul {{.*}} outs(%[[Z]] : tensor<16x48xf32>)
func.func @linear_no_bias(%x: tensor<16x16xf32>, %w: tensor<16x48xf32>) -> tensor<16x48xf32> {
  %0 = tfm.linear %x, %w : (tensor<16x16xf32>, tensor<16x48xf32>) -> tensor<16x48xf32>
  return %0 : tensor<16x48xf32>
}

// -----

// GELU: the tanh form in one elementwise generic.
// CHECK-LABEL: func.func @gelu
//       CHECK:   linalg.generic
//       CHECK:     math.tanh
//       CHECK:     arith.mulf
func.func @gelu(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  %0 = tfm.gelu %x : tensor<2x8x64xf32>
  return %0 : tensor<2x8x64xf32>
}

// -----

// CHECK-LABEL: func.func @add
//       CHECK:   linalg.add ins(%{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<2x8xf32>)
func.func @add(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = tfm.add %x, %y : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Softmax subtracts the row maximum before exp.
// CHECK-LABEL: func.func @softmax
//       CHECK:   linalg.generic {{.*}}["parallel", "reduction"]
//       CHECK:     arith.maximumf
//       CHECK:   linalg.generic
//       CHECK:     arith.subf
//       CHECK:     math.exp
//       CHECK:   linalg.generic {{.*}}["parallel", "reduction"]
//       CHECK:   linalg.generic
//       CHECK:     arith.divf
func.func @softmax(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %0 = tfm.softmax %x : tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----

// Attention: per-head copies, q @ kT, mask, softmax, @ v, heads merged.
// CHECK-LABEL: func.func @attention_local
//       CHECK:   tensor.expand_shape %{{.*}} {{\[\[}}0], [1], [2, 3, 4]] {{.*}} into tensor<2x8x3x4x4xf32>
//       CHECK:   %[[SCORES:.*]] = linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<8x8x4xf32>, tensor<8x4x8xf32>)
//       CHECK:   %[[W:.*]] = arith.constant 3 : index
//       CHECK:   linalg.generic {{.*}} ins(%[[SCORES]]
//       CHECK:     arith.cmpi ule
//       CHECK:     arith.cmpi slt, %{{.*}}, %[[W]]
//       CHECK:     arith.select
//       CHECK:   math.exp
//       CHECK:   linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<8x8x8xf32>, tensor<8x8x4xf32>)
//       CHECK:   linalg.transpose ins(%{{.*}} : tensor<2x4x8x4xf32>) {{.*}} permutation = [0, 2, 1, 3]
//       CHECK:   tensor.collapse_shape {{.*}} into tensor<2x8x16xf32>
func.func @attention_local(%qkv: tensor<2x8x48xf32>) -> tensor<2x8x16xf32> {
  %0 = tfm.attention %qkv {num_heads = 4 : i64, pattern = #tfm.pattern<local, window = 3>} : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// -----

// A dense pattern uses the sequence length as its band.
// CHECK-LABEL: func.func @attention_dense
//       CHECK:   arith.constant 8 : index
func.func @attention_dense(%qkv: tensor<1x8x48xf32>) -> tensor<1x8x16xf32> {
  %0 = tfm.attention %qkv {num_heads = 2 : i64, pattern = #tfm.pattern<dense>} : tensor<1x8x48xf32> -> tensor<1x8x16xf32>
  return %0 : tensor<1x8x16xf32>
}

// -----

// LM head, target neutral: dot products with the rows of the tied table,
// read in place, for any number of rows (splitting the vocabulary is the
// CPU's tfm-cpu-split-vocabulary).
// CHECK-DAG: #[[XD:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[WD:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[OD:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @lm_head
//   CHECK-NOT:   linalg.transpose
//       CHECK:   %[[Z:.*]] = linalg.fill {{.*}} -> tensor<2x8x200xf32>
//       CHECK:   linalg.generic {indexing_maps = [#[[XD]], #[[WD]], #[[OD]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<2x8x16xf32>, tensor<200x16xf32>) outs(%[[Z]] : tensor<2x8x200xf32>)
//       CHECK:     arith.mulf
//       CHECK:     arith.addf
//   CHECK-NOT:   linalg.contract
func.func @lm_head(%x: tensor<2x8x16xf32>, %wte: tensor<200x16xf32>) -> tensor<2x8x200xf32> {
  %0 = tfm.lm_head %x, %wte : (tensor<2x8x16xf32>, tensor<200x16xf32>) -> tensor<2x8x200xf32>
  return %0 : tensor<2x8x200xf32>
}

// -----

// Cross-entropy: row max, sum of exp, log-sum-exp minus the picked logit,
// summed and scaled by 1/N.
// CHECK-LABEL: func.func @cross_entropy
//       CHECK:   arith.maximumf
//       CHECK:   math.exp
//       CHECK:   linalg.generic {{.*}}iterator_types = ["reduction"]
//       CHECK:     tensor.extract %{{.*}}[{{.*}}] : tensor<16x100xf32>
//       CHECK:     math.log
//       CHECK:   arith.constant 6.250000e-02 : f32
//       CHECK:   -> tensor<f32>
func.func @cross_entropy(%l: tensor<2x8x100xf32>, %t: tensor<2x8xi32>) -> tensor<f32> {
  %0 = tfm.cross_entropy %l, %t : (tensor<2x8x100xf32>, tensor<2x8xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Cached attention of two new tokens over a ring of 8 positions: each new
// key and value row is copied into slot (pos + row) mod 8 (slices of the
// caches, updated in place); then an online softmax runs over the cache
// blocks (here one block of 8) from the block where the band starts,
// max(pos + 1 - 3, 0) / 8, to the block holding the last new position,
// reading block b at slot (8 b) mod 8 and masking by position: keys
// outside q - window < s <= q are hidden.
// CHECK-LABEL: func.func @cached_attention
//       CHECK:   %[[POS:.*]] = arith.index_cast %{{.*}} : i32 to index
//       CHECK:   %[[K:.*]] = scf.for %[[ROW:.*]] = %c0 to %c2 step %c1{{.*}} iter_args(%[[KC:.*]] = %arg1)
//       CHECK:     %[[P:.*]] = arith.addi %[[POS]], %[[ROW]] : index
//       CHECK:     %[[SLOT:.*]] = arith.remui %[[P]], %{{c8.*}} : index
//       CHECK:     %[[KROW:.*]] = tensor.extract_slice %{{.*}}[0, %[[ROW]], 1, 0, 0] [1, 1, 1, 4, 4]
//       CHECK:     %[[KSLOT:.*]] = tensor.extract_slice %[[KC]][0, 0, %[[SLOT]], 0] [1, 4, 1, 4]
//       CHECK:     %[[KNEW:.*]] = linalg.generic {{.*}} ins(%[[KROW]] {{.*}} outs(%[[KSLOT]] : tensor<1x4x1x4xf32>)
//       CHECK:     %[[KUP:.*]] = tensor.insert_slice %[[KNEW]] into %[[KC]][0, 0, %[[SLOT]], 0] [1, 4, 1, 4]
//       CHECK:     scf.yield %[[KUP]]
//       CHECK:   %[[V:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %arg2)
//       CHECK:     tensor.extract_slice %{{.*}}[0, %{{.*}}, 2, 0, 0] [1, 1, 1, 4, 4]
//       CHECK:   %[[HI0:.*]] = arith.divui %{{.*}}, %{{c8.*}} : index
//       CHECK:   %[[HI:.*]] = arith.addi %[[HI0]], %{{c1.*}} : index
//       CHECK:   %[[TOP:.*]] = arith.maxui %{{.*}}, %{{c3.*}} : index
//       CHECK:   %[[FIRST:.*]] = arith.subi %[[TOP]], %{{c3.*}} : index
//       CHECK:   %[[LO:.*]] = arith.divui %[[FIRST]], %{{c8.*}} : index
//       CHECK:   %[[OUT:.*]]:3 = scf.for %[[B:.*]] = %[[LO]] to %[[HI]] step %{{c1.*}} iter_args
//       CHECK:     %[[OFF:.*]] = arith.muli %[[B]], %{{c8.*}} : index
//       CHECK:     %[[BSLOT:.*]] = arith.remui %[[OFF]], %{{c8.*}} : index
//       CHECK:     %[[KB:.*]] = tensor.extract_slice %[[K]][0, 0, %[[BSLOT]], 0] [1, 4, 8, 4]
//       CHECK:     %[[VB:.*]] = tensor.extract_slice %[[V]][0, 0, %[[BSLOT]], 0] [1, 4, 8, 4]
//       CHECK:     linalg.contract {{.*}} ins(%{{.*}}, %[[KB]] : tensor<1x4x2x4xf32>, tensor<1x4x8x4xf32>) outs(%{{.*}} : tensor<1x4x2x8xf32>)
//       CHECK:     arith.addi %[[OFF]], %{{.*}} : index
//       CHECK:     arith.cmpi ule
//       CHECK:     arith.cmpi slt, %{{.*}}, %c3
//       CHECK:     math.exp
//       CHECK:     linalg.contract {{.*}} ins(%{{.*}}, %[[VB]] : tensor<1x4x2x8xf32>, tensor<1x4x8x4xf32>) outs(%{{.*}} : tensor<1x4x2x4xf32>)
//       CHECK:     scf.yield
//       CHECK:   arith.divf
//       CHECK:   return %{{.*}}, %[[K]], %[[V]]
func.func @cached_attention(%qkv: tensor<1x2x48xf32>, %k: tensor<1x4x8x4xf32>, %v: tensor<1x4x8x4xf32>, %pos: tensor<i32>) -> (tensor<1x2x16xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
  %0:3 = tfm.cached_attention %qkv, %k, %v at %pos {num_heads = 4 : i64, pattern = #tfm.pattern<local, window = 3>} : (tensor<1x2x48xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<i32>) -> (tensor<1x2x16xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>)
  return %0#0, %0#1, %0#2 : tensor<1x2x16xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
}

// -----

// A prefill of the whole capacity fills the caches and attends like
// tfm.attention, without reading them.
// CHECK-LABEL: func.func @cached_prefill
//       CHECK:   tensor.insert_slice
//       CHECK:   tensor.insert_slice
//   CHECK-NOT:   linalg.contract
//       CHECK:   linalg.batch_matmul
func.func @cached_prefill(%qkv: tensor<1x8x48xf32>, %k: tensor<1x4x8x4xf32>, %v: tensor<1x4x8x4xf32>, %pos: tensor<i32>) -> (tensor<1x8x16xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
  %0:3 = tfm.cached_attention %qkv, %k, %v at %pos {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : (tensor<1x8x48xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<i32>) -> (tensor<1x8x16xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>)
  return %0#0, %0#1, %0#2 : tensor<1x8x16xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
}

// -----

// The embedding of a decode step reads the position table from `start`.
// CHECK-LABEL: func.func @embedding_at
//       CHECK:   %[[ROW:.*]] = arith.index_cast %{{.*}} : i32 to index
//       CHECK:   tensor.extract_slice %{{.*}}[%[[ROW]], %{{.*}}] [1, 16] [1, 1] : tensor<32x16xf32> to tensor<1x16xf32>
func.func @embedding_at(%t: tensor<2x1xi32>, %wte: tensor<100x16xf32>, %wpe: tensor<32x16xf32>, %pos: tensor<i32>) -> tensor<2x1x16xf32> {
  %0 = tfm.embedding %t, %wte, %wpe at %pos : (tensor<2x1xi32>, tensor<100x16xf32>, tensor<32x16xf32>, tensor<i32>) -> tensor<2x1x16xf32>
  return %0 : tensor<2x1x16xf32>
}
