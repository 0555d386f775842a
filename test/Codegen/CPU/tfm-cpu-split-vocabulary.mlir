// RUN: gpt3-opt %s --split-input-file --tfm-cpu-split-vocabulary --canonicalize --cse | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-cpu-split-vocabulary="vocab-block=64" --canonicalize --cse | FileCheck %s --check-prefix=BLOCK64

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// The output projection as convert-tfm-to-linalg emits it, 16 rows: the
// table is transposed once and 200 columns split into 128 and a 72-column
// tail, each a (b, t, v, c) linalg.contract into its own columns of the 3-D
// logits, with no reshape in between.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @lm_head
//       CHECK:   %[[T:.*]] = linalg.transpose ins(%{{.*}} : tensor<200x16xf32>) outs(%{{.*}} : tensor<16x200xf32>) permutation = [1, 0]
//       CHECK:   %[[L:.*]] = tensor.empty() : tensor<2x8x200xf32>
//       CHECK:   %[[T0:.*]] = tensor.extract_slice %[[T]][0, 0] [16, 128] [1, 1]
//       CHECK:   %[[C0:.*]] = tensor.extract_slice %[[L]][0, 0, 0] [2, 8, 128] [1, 1, 1]
//       CHECK:   %[[F0:.*]] = linalg.fill {{.*}} outs(%[[C0]] : tensor<2x8x128xf32>)
//       CHECK:   %[[M0:.*]] = linalg.contract indexing_maps = [#[[X]], #[[W]], #[[O]]] ins(%{{.*}}, %[[T0]] : tensor<2x8x16xf32>, tensor<16x128xf32>) outs(%[[F0]] : tensor<2x8x128xf32>)
//       CHECK:   %[[L1:.*]] = tensor.insert_slice %[[M0]] into %[[L]][0, 0, 0] [2, 8, 128] [1, 1, 1]
//       CHECK:   %[[T1:.*]] = tensor.extract_slice %[[T]][0, 128] [16, 72] [1, 1]
//       CHECK:   linalg.contract {{.*}} ins(%{{.*}}, %[[T1]] : tensor<2x8x16xf32>, tensor<16x72xf32>)
//       CHECK:   tensor.insert_slice %{{.*}} into %[[L1]][0, 0, 128] [2, 8, 72] [1, 1, 1]
//   CHECK-NOT:   linalg.generic
// A 64-column block: 192 columns and an 8-column tail.
// BLOCK64-LABEL: func.func @lm_head
//       BLOCK64:   tensor.extract_slice %{{.*}}[0, 0] [16, 192] [1, 1]
//       BLOCK64:   tensor.extract_slice %{{.*}}[0, 192] [16, 8] [1, 1]
func.func @lm_head(%x: tensor<2x8x16xf32>, %wte: tensor<200x16xf32>) -> tensor<2x8x200xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<2x8x200xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<2x8x200xf32>) -> tensor<2x8x200xf32>
  %l = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %wte : tensor<2x8x16xf32>, tensor<200x16xf32>) outs(%z : tensor<2x8x200xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  } -> tensor<2x8x200xf32>
  return %l : tensor<2x8x200xf32>
}

// -----

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// A vocabulary that is a multiple of the block: one matmul, no tail.
// CHECK-LABEL: func.func @whole_blocks
//       CHECK:   linalg.transpose
//       CHECK:   linalg.contract {{.*}} outs(%{{.*}} : tensor<1x4x256xf32>)
//   CHECK-NOT:   linalg.contract
func.func @whole_blocks(%x: tensor<1x4x16xf32>, %wte: tensor<256x16xf32>) -> tensor<1x4x256xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<1x4x256xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<1x4x256xf32>) -> tensor<1x4x256xf32>
  %l = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %wte : tensor<1x4x16xf32>, tensor<256x16xf32>) outs(%z : tensor<1x4x256xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  } -> tensor<1x4x256xf32>
  return %l : tensor<1x4x256xf32>
}

// -----

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// Two rows (a decode step of batch 2) stay dot products: a transposed
// copy would move more bytes than the product reads.
// CHECK-LABEL: func.func @decode
//   CHECK-NOT:   linalg.transpose
//       CHECK:   linalg.generic
//   CHECK-NOT:   linalg.contract
func.func @decode(%x: tensor<2x1x16xf32>, %wte: tensor<200x16xf32>) -> tensor<2x1x200xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<2x1x200xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<2x1x200xf32>) -> tensor<2x1x200xf32>
  %l = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %wte : tensor<2x1x16xf32>, tensor<200x16xf32>) outs(%z : tensor<2x1x200xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  } -> tensor<2x1x200xf32>
  return %l : tensor<2x1x200xf32>
}

// -----

// A matmul reading its right operand row-major (x @ W) is left alone, as
// is a transposed product that is a tile inside a kernel's loop.
// CHECK-LABEL: func.func @not_transposed
//   CHECK-NOT:   linalg.transpose
//       CHECK:   linalg.matmul
//       CHECK:   scf.forall
//       CHECK:     linalg.contract
//   CHECK-NOT:   linalg.transpose
func.func @not_transposed(%x: tensor<16x16xf32>, %w: tensor<16x200xf32>, %k: tensor<64x16xf32>) -> (tensor<16x200xf32>, tensor<4x16x64xf32>) {
  %cst = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<16x200xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<16x200xf32>) -> tensor<16x200xf32>
  %m = linalg.matmul ins(%x, %w : tensor<16x16xf32>, tensor<16x200xf32>) outs(%z : tensor<16x200xf32>) -> tensor<16x200xf32>
  %e2 = tensor.empty() : tensor<4x16x64xf32>
  %f = scf.forall (%i) in (4) shared_outs(%out = %e2) -> (tensor<4x16x64xf32>) {
    %e3 = tensor.empty() : tensor<16x64xf32>
    %z3 = linalg.fill ins(%cst : f32) outs(%e3 : tensor<16x64xf32>) -> tensor<16x64xf32>
    %s = linalg.contract indexing_maps = [affine_map<(i, j, r) -> (i, r)>, affine_map<(i, j, r) -> (j, r)>, affine_map<(i, j, r) -> (i, j)>] ins(%x, %k : tensor<16x16xf32>, tensor<64x16xf32>) outs(%z3 : tensor<16x64xf32>) -> tensor<16x64xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %s into %out[%i, 0, 0] [1, 16, 64] [1, 1, 1] : tensor<16x64xf32> into tensor<4x16x64xf32>
    }
  }
  return %m, %f : tensor<16x200xf32>, tensor<4x16x64xf32>
}

// -----

// The table's gradient, d_wte[v, c] = sum over (b, t) of dlogits[v, b, t]
// x[b, t, c], with a vocabulary the block does not divide (4200 = 4096 +
// 104): each part fills its own rows of a fresh result and computes into
// them, so the fill the embedding gradient also starts from is left to it
// alone. Fewer rows than 4096 stay whole.
// CHECK-LABEL: func.func @table_gradient
//  CHECK-SAME:   (%[[D:[^:]+]]: tensor<4200x2x8xf32>
//       CHECK:   %[[E:.+]] = tensor.empty() : tensor<4200x16xf32>
//       CHECK:   %[[Z:.+]] = linalg.fill {{.+}} outs(%[[E]] : tensor<4200x16xf32>)
//       CHECK:   %[[R0:.+]] = tensor.extract_slice %[[E]][0, 0] [4096, 16] [1, 1]
//       CHECK:   %[[F0:.+]] = linalg.fill {{.+}} outs(%[[R0]] : tensor<4096x16xf32>)
//       CHECK:   %[[D0:.+]] = tensor.extract_slice %[[D]][0, 0, 0] [4096, 2, 8] [1, 1, 1]
//       CHECK:   %[[G0:.+]] = linalg.generic {{.+}} ins(%[[D0]], %{{.+}} : tensor<4096x2x8xf32>, tensor<2x8x16xf32>) outs(%[[F0]] : tensor<4096x16xf32>)
//       CHECK:   %[[I0:.+]] = tensor.insert_slice %[[G0]] into %[[E]][0, 0] [4096, 16] [1, 1]
//       CHECK:   %[[R1:.+]] = tensor.extract_slice %[[I0]][4096, 0] [104, 16] [1, 1]
//       CHECK:   %[[F1:.+]] = linalg.fill {{.+}} outs(%[[R1]] : tensor<104x16xf32>)
//       CHECK:   %[[G1:.+]] = linalg.generic {{.+}} outs(%[[F1]] : tensor<104x16xf32>)
//       CHECK:   %[[I1:.+]] = tensor.insert_slice %[[G1]] into %[[I0]][4096, 0] [104, 16] [1, 1]
//       CHECK:   %[[S:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<1000x16xf32>)
//       CHECK:   return %[[I1]], %[[Z]], %[[S]]
func.func @table_gradient(%d: tensor<4200x2x8xf32>, %x: tensor<2x8x16xf32>, %ids: tensor<16xindex>, %small: tensor<1000x2x8xf32>) -> (tensor<4200x16xf32>, tensor<4200x16xf32>, tensor<1000x16xf32>) {
  %cst = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %e = tensor.empty() : tensor<4200x16xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<4200x16xf32>) -> tensor<4200x16xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%d, %x : tensor<4200x2x8xf32>, tensor<2x8x16xf32>) outs(%z : tensor<4200x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4200x16xf32>
  %scatter = scf.for %i = %c0 to %c16 step %c1 iter_args(%acc = %z) -> (tensor<4200x16xf32>) {
    scf.yield %acc : tensor<4200x16xf32>
  }
  %es = tensor.empty() : tensor<1000x16xf32>
  %zs = linalg.fill ins(%cst : f32) outs(%es : tensor<1000x16xf32>) -> tensor<1000x16xf32>
  %gs = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%small, %x : tensor<1000x2x8xf32>, tensor<2x8x16xf32>) outs(%zs : tensor<1000x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1000x16xf32>
  return %g, %scatter, %gs : tensor<4200x16xf32>, tensor<4200x16xf32>, tensor<1000x16xf32>
}
