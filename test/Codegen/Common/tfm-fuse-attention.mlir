// RUN: gpt3-opt %s --split-input-file --tfm-fuse-attention --canonicalize --cse --verify-each | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-fuse-attention="query-block=32 key-block=32" --canonicalize --cse | FileCheck %s --check-prefix=TILES
// RUN: gpt3-opt %s --split-input-file --tfm-fuse-attention="min-block=256" | FileCheck %s --check-prefix=UNFUSED
// RUN: gpt3-opt %s --split-input-file --tfm-fuse-attention="cache-block=64" --canonicalize --cse | FileCheck %s --check-prefix=CACHE

// The tiles are the caller's: 32 x 32 tiles give four query blocks per
// head; a minimum block above every divisor of T leaves the op unfused.
// TILES-LABEL: func.func @banded
//       TILES:   scf.forall (%{{.*}}, %[[I:.*]]) in (2, 4)
//       TILES:     arith.muli %[[I]], %c32
//       TILES:     linalg.contract {{.*}} -> tensor<32x32xf32>
// UNFUSED-LABEL: func.func @banded
//       UNFUSED:   tfm.attention

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
//       CHECK:     %[[LAST:.*]] = arith.addi %[[Q0]], %c63
//       CHECK:     %[[HI0:.*]] = arith.divui %[[LAST]], %c64
//       CHECK:     %[[HI:.*]] = arith.addi %[[HI0]], %c1
//       CHECK:     %[[NEXT:.*]] = arith.addi %[[Q0]], %c1
//       CHECK:     %[[MAX:.*]] = arith.maxui %[[NEXT]], %c40
//       CHECK:     %[[FIRST:.*]] = arith.subi %[[MAX]], %c40
//       CHECK:     %[[LO:.*]] = arith.divui %[[FIRST]], %c64
//       CHECK:     %[[Q:.*]] = tensor.extract_slice %{{.*}}[0, %[[Q0]], 0, %[[H]], 0] [1, 64, 1, 1, 16] {{.*}} to tensor<64x16xf32>
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
// single trip and folds away; the mask is causal only.
// CHECK-LABEL: func.func @dense
//   CHECK-NOT:   arith.maxui
//       CHECK:   scf.forall (%{{.*}}, %{{.*}}) in (2, 4) shared_outs
//   CHECK-NOT:     scf.for
//       CHECK:     linalg.contract {{.*}} -> tensor<48x48xf32>
//       CHECK:       arith.cmpi ule
func.func @dense(%qkv: tensor<2x48x96xf32>) -> tensor<2x48x32xf32> {
  %0 = tfm.attention %qkv {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : tensor<2x48x96xf32> -> tensor<2x48x32xf32>
  return %0 : tensor<2x48x32xf32>
}

// -----

// One decode step through a cache of 256 positions (blocks of 128): the
// new key and value rows are stored in their slots (the one-row store loop
// folds away), then each (batch, head)
// is one parallel iteration over the cache blocks from 0 to the one
// holding the new position, keys read in place.
// CHECK-LABEL: func.func @decode
//       CHECK:   %[[POS:.*]] = arith.index_cast
//       CHECK:   %[[NEW:.*]] = arith.remui %[[POS]], %c256
//       CHECK:   %[[K:.*]] = tensor.insert_slice %{{.*}} into %arg1[0, 0, %[[NEW]], 0] [1, 4, 1, 8]
//       CHECK:   %[[V:.*]] = tensor.insert_slice %{{.*}} into %arg2[0, 0, %[[NEW]], 0] [1, 4, 1, 8]
//       CHECK:   %[[HI0:.*]] = arith.divui %[[POS]], %c128
//       CHECK:   %[[HI:.*]] = arith.addi %[[HI0]], %c1
//       CHECK:   scf.forall (%[[H:.*]]) in (4) shared_outs
//       CHECK:     tensor.extract_slice %{{.*}}[0, 0, 0, %[[H]], 0] [1, 1, 1, 1, 8] {{.*}} to tensor<1x8xf32>
//       CHECK:     scf.for %[[B:.*]] = %c0 to %[[HI]] step %c1
//       CHECK:       %[[OFF:.*]] = arith.muli %[[B]], %c128
//       CHECK:       %[[SLOT:.*]] = arith.remui %[[OFF]], %c256
//       CHECK:       tensor.extract_slice %[[K]][0, %[[H]], %[[SLOT]], 0] [1, 1, 128, 8] {{.*}} to tensor<128x8xf32>
//       CHECK:       tensor.extract_slice %[[V]][0, %[[H]], %[[SLOT]], 0] [1, 1, 128, 8] {{.*}} to tensor<128x8xf32>
//       CHECK:       linalg.contract {{.*}} -> tensor<1x128xf32>
//       CHECK:   return {{.*}}, %[[K]], %[[V]]
// With cache-block=64, blocks of 64 cached positions.
// CACHE-LABEL: func.func @decode
//       CACHE:   arith.divui %{{.*}}, %c64
//       CACHE:   tensor.extract_slice %{{.*}} [1, 1, 64, 8] {{.*}} to tensor<64x8xf32>
//       CACHE:   linalg.contract {{.*}} -> tensor<1x64xf32>
func.func @decode(%qkv: tensor<1x1x96xf32>, %kc: tensor<1x4x256x8xf32>, %vc: tensor<1x4x256x8xf32>, %pos: tensor<i32>) -> (tensor<1x1x32xf32>, tensor<1x4x256x8xf32>, tensor<1x4x256x8xf32>) {
  %o:3 = tfm.cached_attention %qkv, %kc, %vc at %pos {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : (tensor<1x1x96xf32>, tensor<1x4x256x8xf32>, tensor<1x4x256x8xf32>, tensor<i32>) -> (tensor<1x1x32xf32>, tensor<1x4x256x8xf32>, tensor<1x4x256x8xf32>)
  return %o#0, %o#1, %o#2 : tensor<1x1x32xf32>, tensor<1x4x256x8xf32>, tensor<1x4x256x8xf32>
}

// -----

// T = 97 has no divisor between 16 and 64 to tile by: the op is left to
// convert-tfm-to-linalg.
// CHECK-LABEL: func.func @prime_length
//   CHECK-NOT:   scf.forall
//       CHECK:   tfm.attention
func.func @prime_length(%qkv: tensor<1x97x24xf32>) -> tensor<1x97x8xf32> {
  %0 = tfm.attention %qkv {num_heads = 2 : i64, pattern = #tfm.pattern<dense>} : tensor<1x97x24xf32> -> tensor<1x97x8xf32>
  return %0 : tensor<1x97x8xf32>
}

// -----

// The backward of the banded attention above: one parallel iteration per
// head, no 128 x 128 buffer. q, k and dO are copied as (B, H, D, T). The
// head's dQ, dK, dV are one (T, 3, D) tile of the packed result, carried
// through the loops and updated one row block at a time. For each query
// block, the same key blocks as the forward's: a first sweep finds the
// rows' log-sum-exp, a second recomputes the probabilities transposed
// (keys by queries) and accumulates the key block's dV and dK rows and the
// query block's dQ^T, transposed into its dQ rows once.
// CHECK-LABEL: func.func @grad_banded
//   CHECK-NOT:   128x128
//       CHECK:   %[[QT:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x16x128xf32>)
//       CHECK:   %[[KT:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x16x128xf32>)
//       CHECK:   %[[DOT:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x16x128xf32>)
//       CHECK:   scf.forall (%[[H:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x128x3x2x16xf32>)
//       CHECK:     %[[TILE:.*]] = tensor.extract_slice %[[OUT]][0, 0, 0, %[[H]], 0] [1, 128, 3, 1, 16] {{.*}} to tensor<128x3x16xf32>
//       CHECK:     %[[DK0:.*]] = tensor.extract_slice %[[TILE]][0, 1, 0] [128, 1, 16]
//       CHECK:     %[[ZK:.*]] = linalg.fill {{.*}} outs(%[[DK0]]
//       CHECK:     %[[T1:.*]] = tensor.insert_slice %[[ZK]] into %[[TILE]][0, 1, 0] [128, 1, 16]
//       CHECK:     %[[ZV:.*]] = linalg.fill
//       CHECK:     %[[T2:.*]] = tensor.insert_slice %[[ZV]] into %[[T1]][0, 2, 0] [128, 1, 16]
//       CHECK:     %[[GRADS:.*]] = scf.for %[[I:.*]] = %c0 to %c2 step %c1 iter_args(%[[G:.*]] = %[[T2]]) -> (tensor<128x3x16xf32>)
//       CHECK:       %[[Q0:.*]] = arith.muli %[[I]], %c64
//       CHECK:       %[[HI:.*]] = arith.addi {{.*}}, %c1
//       CHECK:       arith.maxui {{.*}}, %c40
//       CHECK:       %[[LO:.*]] = arith.divui
//       CHECK:       %[[Q:.*]] = tensor.extract_slice %{{.*}}[0, %[[Q0]], 0, %[[H]], 0] [1, 64, 1, 1, 16] {{.*}} to tensor<64x16xf32>
//       CHECK:       %[[QTI:.*]] = tensor.extract_slice %[[QT]][0, %[[H]], 0, %[[Q0]]] [1, 1, 16, 64]
//       CHECK:       %[[DOI:.*]] = tensor.extract_slice %{{.*}}[0, %[[Q0]], 0, %[[H]], 0] [1, 64, 1, 1, 16] {{.*}} to tensor<64x16xf32>
//       CHECK:       %[[DOTI:.*]] = tensor.extract_slice %[[DOT]][0, %[[H]], 0, %[[Q0]]] [1, 1, 16, 64]
//       CHECK:       scf.for %{{.*}} = %[[LO]] to %[[HI]] step %c1 iter_args({{.*}}) -> (tensor<64xf32>, tensor<64xf32>)
//       CHECK:         %[[KTJ:.*]] = tensor.extract_slice %[[KT]]
//       CHECK:         linalg.matmul ins(%[[Q]], %[[KTJ]] : tensor<64x16xf32>, tensor<16x64xf32>) {{.*}} -> tensor<64x64xf32>
//       CHECK:         arith.cmpi slt, %{{.*}}, %c40
//       CHECK:       math.log
//       CHECK:       %[[KEYS:.*]]:2 = scf.for %[[J:.*]] = %[[LO]] to %[[HI]] step %c1 iter_args(%[[ACC:.*]] = %[[G]], %[[DQT:.*]] = %{{.*}}) -> (tensor<128x3x16xf32>, tensor<16x64xf32>)
//       CHECK:         %[[K0:.*]] = arith.muli %[[J]], %c64
//       CHECK:         %[[K:.*]] = tensor.extract_slice %{{.*}}[0, %[[K0]], 1, %[[H]], 0] [1, 64, 1, 1, 16]
//       CHECK:         %[[V:.*]] = tensor.extract_slice %{{.*}}[0, %[[K0]], 2, %[[H]], 0] [1, 64, 1, 1, 16]
//       CHECK:         %[[ST:.*]] = linalg.matmul ins(%[[K]], %[[QTI]] : {{.*}}) {{.*}} -> tensor<64x64xf32>
//       CHECK:         %[[PT:.*]] = linalg.generic {{.*}} ins(%[[ST]], %{{.*}} : tensor<64x64xf32>, tensor<64xf32>)
//       CHECK:           math.exp
//       CHECK:         %[[DPT:.*]] = linalg.matmul ins(%[[V]], %[[DOTI]] : {{.*}}) {{.*}} -> tensor<64x64xf32>
//       CHECK:         %[[DST:.*]] = linalg.generic {{.*}} ins(%[[PT]], %[[DPT]], %{{.*}} : tensor<64x64xf32>, tensor<64x64xf32>, tensor<64xf32>)
//       CHECK:         %[[DVJ:.*]] = tensor.extract_slice %[[ACC]][%[[K0]], 2, 0] [64, 1, 16]
//       CHECK:         %[[DVJ2:.*]] = linalg.matmul ins(%[[PT]], %[[DOI]] : {{.*}}) outs(%[[DVJ]] : tensor<64x16xf32>)
//       CHECK:         %[[A1:.*]] = tensor.insert_slice %[[DVJ2]] into %[[ACC]][%[[K0]], 2, 0] [64, 1, 16]
//       CHECK:         %[[DKJ:.*]] = tensor.extract_slice %[[A1]][%[[K0]], 1, 0] [64, 1, 16]
//       CHECK:         %[[DKJ2:.*]] = linalg.matmul ins(%[[DST]], %[[Q]] : {{.*}}) outs(%[[DKJ]] : tensor<64x16xf32>)
//       CHECK:         %[[A2:.*]] = tensor.insert_slice %[[DKJ2]] into %[[A1]][%[[K0]], 1, 0] [64, 1, 16]
//       CHECK:         %[[DQT2:.*]] = linalg.matmul ins(%{{.*}}, %[[DST]] : tensor<16x64xf32>, tensor<64x64xf32>) outs(%[[DQT]] : tensor<16x64xf32>)
//       CHECK:         scf.yield %[[A2]], %[[DQT2]]
//       CHECK:       %[[DQI:.*]] = tensor.extract_slice %[[KEYS]]#0[%[[Q0]], 0, 0] [64, 1, 16]
//       CHECK:       %[[DQ:.*]] = linalg.transpose ins(%[[KEYS]]#1 : tensor<16x64xf32>) outs(%[[DQI]] : tensor<64x16xf32>) permutation = [1, 0]
//       CHECK:       tensor.insert_slice %[[DQ]] into %[[KEYS]]#0[%[[Q0]], 0, 0] [64, 1, 16]
//       CHECK:     tensor.parallel_insert_slice %[[GRADS]] into %[[OUT]][0, 0, 0, %[[H]], 0] [1, 128, 3, 1, 16]
//       CHECK:   tensor.collapse_shape {{.*}} into tensor<1x128x96xf32>
func.func @grad_banded(%qkv: tensor<1x128x96xf32>, %y: tensor<1x128x32xf32>, %dy: tensor<1x128x32xf32>) -> tensor<1x128x96xf32> {
  %0 = tfm.attention_grad %qkv, %y, %dy {num_heads = 2 : i64, pattern = #tfm.pattern<local, window = 40>} : (tensor<1x128x96xf32>, tensor<1x128x32xf32>, tensor<1x128x32xf32>) -> tensor<1x128x96xf32>
  return %0 : tensor<1x128x96xf32>
}

// -----

// Dense over two batch rows and one block: the key loops have a single
// trip and fold away, the mask is causal only.
// CHECK-LABEL: func.func @grad_dense
//   CHECK-NOT:   arith.maxui
//       CHECK:   scf.forall (%{{.*}}, %{{.*}}) in (2, 4) shared_outs
//   CHECK-NOT:     scf.for
//       CHECK:     linalg.matmul {{.*}} -> tensor<48x48xf32>
//       CHECK:       arith.cmpi ule
//       CHECK:     math.log
func.func @grad_dense(%qkv: tensor<2x48x96xf32>, %y: tensor<2x48x32xf32>, %dy: tensor<2x48x32xf32>) -> tensor<2x48x96xf32> {
  %0 = tfm.attention_grad %qkv, %y, %dy {num_heads = 4 : i64, pattern = #tfm.pattern<dense>} : (tensor<2x48x96xf32>, tensor<2x48x32xf32>, tensor<2x48x32xf32>) -> tensor<2x48x96xf32>
  return %0 : tensor<2x48x96xf32>
}
