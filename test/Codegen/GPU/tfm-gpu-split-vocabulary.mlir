// RUN: gpt3-opt %s --split-input-file --tfm-gpu-split-vocabulary --canonicalize --cse | FileCheck %s

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// The output projection with 16 rows: 200 columns split into 128 and a
// 72-column tail, each a linalg.contract into its own columns of the
// logits, reading its rows of the table as they are (no transposition:
// tensor cores take B as (n, k)).
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @lm_head
//   CHECK-NOT:   linalg.transpose
//       CHECK:   %[[L:.*]] = tensor.empty() : tensor<2x8x200xf32>
//       CHECK:   %[[T0:.*]] = tensor.extract_slice %arg1[0, 0] [128, 16] [1, 1]
//       CHECK:   %[[C0:.*]] = tensor.extract_slice %[[L]][0, 0, 0] [2, 8, 128] [1, 1, 1]
//       CHECK:   %[[F0:.*]] = linalg.fill {{.*}} outs(%[[C0]] : tensor<2x8x128xf32>)
//       CHECK:   %[[M0:.*]] = linalg.contract indexing_maps = [#[[X]], #[[W]], #[[O]]] ins(%arg0, %[[T0]] : tensor<2x8x16xf32>, tensor<128x16xf32>) outs(%[[F0]] : tensor<2x8x128xf32>)
//       CHECK:   %[[L1:.*]] = tensor.insert_slice %[[M0]] into %[[L]][0, 0, 0] [2, 8, 128] [1, 1, 1]
//       CHECK:   %[[T1:.*]] = tensor.extract_slice %arg1[128, 0] [72, 16] [1, 1]
//       CHECK:   linalg.contract {{.*}} ins(%arg0, %[[T1]] : tensor<2x8x16xf32>, tensor<72x16xf32>)
//       CHECK:   tensor.insert_slice %{{.*}} into %[[L1]][0, 0, 128] [2, 8, 72] [1, 1, 1]
//   CHECK-NOT:   linalg.generic
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

// Fewer rows than a tensor-core fragment (a decode step's one): left as
// it is, for the SIMT path.
// CHECK-LABEL: func.func @decode
//       CHECK:   linalg.generic
//   CHECK-NOT:   linalg.contract
func.func @decode(%x: tensor<1x1x16xf32>, %wte: tensor<200x16xf32>) -> tensor<1x1x200xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<1x1x200xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<1x1x200xf32>) -> tensor<1x1x200xf32>
  %l = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %wte : tensor<1x1x16xf32>, tensor<200x16xf32>) outs(%z : tensor<1x1x200xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  } -> tensor<1x1x200xf32>
  return %l : tensor<1x1x200xf32>
}
