// RUN: gpt3-opt %s --split-input-file --tfm-fuse-attention --canonicalize --cse --verify-each | FileCheck %s

// Banded attention (window 40) over 128 positions in 64 x 64 tiles: one
// parallel iteration per (head, query block), no 128 x 128 scores, k copied
// transposed and q, v read in place. The key loop runs from the block of
// the first key the block's first query sees, max(q0 + 1, 40) - 40, to the
// block of its last query, (q0 + 63) / 64.
// CHECK-LABEL: func.func @banded
//   CHECK-NOT:   128x128
//       CHECK:   %[[KT:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x16x128xf32>)
//       CHECK:   scf.forall (%[[H:.*]], %[[I:.*]]) in (2, 2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x128x2x16xf32>)
//       CHECK:     %[[Q0:.*]] = arith.muli %[[I]], %c64
//       CHECK:     %[[Q:.*]] = tensor.extract_slice %{{.*}}[0, %[[Q0]], 0, %[[H]], 0] [1, 64, 1, 1, 16] {{.*}} to tensor<64x16xf32>
//       CHECK:     %[[LAST:.*]] = arith.addi %[[Q0]], %c63
//       CHECK:     %[[HI0:.*]] = arith.divui %[[LAST]], %c64
//       CHECK:     %[[HI:.*]] = arith.addi %[[HI0]], %c1
//       CHECK:     %[[NEXT:.*]] = arith.addi %[[Q0]], %c1
//       CHECK:     %[[MAX:.*]] = arith.maxui %[[NEXT]], %c40
//       CHECK:     %[[FIRST:.*]] = arith.subi %[[MAX]], %c40
//       CHECK:     %[[LO:.*]] = arith.divui %[[FIRST]], %c64
//       CHECK:     scf.for %[[J:.*]] = %[[LO]] to %[[HI]] step %c1 iter_args({{.*}}) -> (tensor<64xf32>, tensor<64xf32>, tensor<64x16xf32>)
//       CHECK:       %[[K0:.*]] = arith.muli %[[J]], %c64
//       CHECK:       %[[K:.*]] = tensor.extract_slice %[[KT]][0, %[[H]], 0, %[[K0]]] [1, 1, 16, 64] {{.*}} to tensor<16x64xf32>
//       CHECK:       %[[V:.*]] = tensor.extract_slice %{{.*}}[0, %[[K0]], 2, %[[H]], 0] [1, 64, 1, 1, 16] {{.*}} to tensor<64x16xf32>
//       CHECK:       %[[S:.*]] = linalg.contract {{.*}} ins(%[[Q]], %[[K]] : tensor<64x16xf32>, tensor<16x64xf32>) {{.*}} -> tensor<64x64xf32>
//       CHECK:       linalg.generic {{.*}} ins(%[[S]] : tensor<64x64xf32>)
//       CHECK:         arith.cmpi ule
//       CHECK:         arith.cmpi slt, %{{.*}}, %c40
//       CHECK:         arith.select
//       CHECK:       math.exp
//       CHECK:       linalg.contract {{.*}} ins(%{{.*}}, %[[V]] : tensor<64x64xf32>, tensor<64x16xf32>) {{.*}} -> tensor<64x16xf32>
//       CHECK:       scf.yield
//       CHECK:     arith.divf
//       CHECK:     tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %[[Q0]], %[[H]], 0] [1, 64, 1, 16]
//       CHECK:   tensor.collapse_shape {{.*}} into tensor<1x128x32xf32>
func.func @banded(%qkv: tensor<1x128x96xf32>) -> tensor<1x128x32xf32> {
  %0 = tfm.attention %qkv {num_heads = 2 : i64, pattern = #tfm.pattern<local, window = 40>} : tensor<1x128x96xf32> -> tensor<1x128x32xf32>
  return %0 : tensor<1x128x32xf32>
}

// -----

// Dense over T = 48, one block of queries and keys: the key loop has a
// single trip and folds away; the mask is causal only (a window of T).
// CHECK-LABEL: func.func @dense
//   CHECK-NOT:   arith.maxui
//       CHECK:   scf.forall (%{{.*}}, %{{.*}}) in (2, 4) shared_outs
//   CHECK-NOT:     scf.for
//       CHECK:     linalg.contract {{.*}} -> tensor<48x48xf32>
//       CHECK:       arith.cmpi slt, %{{.*}}, %c48
func.func @dense(%qkv: tensor<2x48x96xf32>) -> tensor<2x48x32xf32> {
  %0 = tfm.attention %qkv {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : tensor<2x48x96xf32> -> tensor<2x48x32xf32>
  return %0 : tensor<2x48x32xf32>
}
