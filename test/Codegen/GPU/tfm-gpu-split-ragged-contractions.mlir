// RUN: gpt3-opt %s --split-input-file --tfm-gpu-split-ragged-contractions --canonicalize --cse | FileCheck %s

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// The output projection with 16 rows over a 300-word vocabulary (n): the
// first 256 columns and a 44-column tail, each writing its own columns of
// the logits, the table read as it is.
// CHECK-LABEL: func.func @output_projection
//       CHECK:   %[[X:.+]] = linalg.fill
//       CHECK:   %[[W0:.+]] = tensor.extract_slice %arg1[0, 0] [256, 16] [1, 1]
//       CHECK:   %[[O0:.+]] = tensor.extract_slice %[[X]][0, 0, 0] [2, 8, 256] [1, 1, 1]
//       CHECK:   %[[M:.+]] = linalg.generic {{.+}} ins(%arg0, %[[W0]] : tensor<2x8x16xf32>, tensor<256x16xf32>) outs(%[[O0]] : tensor<2x8x256xf32>)
//       CHECK:   %[[I0:.+]] = tensor.insert_slice %[[M]] into %[[X]][0, 0, 0] [2, 8, 256] [1, 1, 1]
//       CHECK:   %[[W1:.+]] = tensor.extract_slice %arg1[256, 0] [44, 16] [1, 1]
//       CHECK:   %[[O1:.+]] = tensor.extract_slice %[[I0]][0, 0, 256] [2, 8, 44] [1, 1, 1]
//       CHECK:   %[[T:.+]] = linalg.generic {{.+}} ins(%arg0, %[[W1]] : tensor<2x8x16xf32>, tensor<44x16xf32>) outs(%[[O1]] : tensor<2x8x44xf32>)
//       CHECK:   tensor.insert_slice %[[T]] into %[[I0]][0, 0, 256] [2, 8, 44] [1, 1, 1]
func.func @output_projection(%x: tensor<2x8x16xf32>, %wte: tensor<300x16xf32>) -> tensor<2x8x300xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<2x8x300xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<2x8x300xf32>) -> tensor<2x8x300xf32>
  %l = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %wte : tensor<2x8x16xf32>, tensor<300x16xf32>) outs(%z : tensor<2x8x300xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  } -> tensor<2x8x300xf32>
  return %l : tensor<2x8x300xf32>
}

// -----

// Its input gradient, the vocabulary the reduction (k): the tail adds into
// the main part's result.
// CHECK-LABEL: func.func @input_gradient
//       CHECK:   %[[A0:.+]] = tensor.extract_slice %arg0[0, 0] [32, 256] [1, 1]
//       CHECK:   %[[B0:.+]] = tensor.extract_slice %arg1[0, 0] [256, 16] [1, 1]
//       CHECK:   %[[M:.+]] = linalg.matmul ins(%[[A0]], %[[B0]] : tensor<32x256xf32>, tensor<256x16xf32>) outs(%arg2 : tensor<32x16xf32>)
//       CHECK:   %[[A1:.+]] = tensor.extract_slice %arg0[0, 256] [32, 44] [1, 1]
//       CHECK:   %[[B1:.+]] = tensor.extract_slice %arg1[256, 0] [44, 16] [1, 1]
//       CHECK:   %[[T:.+]] = linalg.matmul ins(%[[A1]], %[[B1]] : tensor<32x44xf32>, tensor<44x16xf32>) outs(%[[M]] : tensor<32x16xf32>)
//       CHECK:   return %[[T]]
func.func @input_gradient(%dl: tensor<32x300xf32>, %wte: tensor<300x16xf32>, %init: tensor<32x16xf32>) -> tensor<32x16xf32> {
  %r = linalg.matmul ins(%dl, %wte : tensor<32x300xf32>, tensor<300x16xf32>) outs(%init : tensor<32x16xf32>) -> tensor<32x16xf32>
  return %r : tensor<32x16xf32>
}

// -----

// The table's gradient, the vocabulary its rows (m): each part its own
// rows.
// CHECK-LABEL: func.func @table_gradient
//       CHECK:   linalg.matmul ins(%{{.+}}, %arg1 : tensor<256x32xf32>, tensor<32x16xf32>) outs(%{{.+}} : tensor<256x16xf32>)
//       CHECK:   linalg.matmul ins(%{{.+}}, %arg1 : tensor<44x32xf32>, tensor<32x16xf32>) outs(%{{.+}} : tensor<44x16xf32>)
func.func @table_gradient(%dlT: tensor<300x32xf32>, %x: tensor<32x16xf32>, %init: tensor<300x16xf32>) -> tensor<300x16xf32> {
  %r = linalg.matmul ins(%dlT, %x : tensor<300x32xf32>, tensor<32x16xf32>) outs(%init : tensor<300x16xf32>) -> tensor<300x16xf32>
  return %r : tensor<300x16xf32>
}

// -----

// Left whole: a decode step's single row, an extent the multiple divides,
// and one below the smallest worth splitting.
// CHECK-LABEL: func.func @left_whole
//   CHECK-NOT:   tensor.extract_slice
func.func @left_whole(%a: tensor<1x16xf32>, %w: tensor<16x300xf32>, %i: tensor<1x300xf32>, %b: tensor<32x16xf32>, %v: tensor<16x384xf32>, %j: tensor<32x384xf32>, %c: tensor<32x200xf32>, %u: tensor<200x16xf32>, %k: tensor<32x16xf32>) -> (tensor<1x300xf32>, tensor<32x384xf32>, tensor<32x16xf32>) {
  %0 = linalg.matmul ins(%a, %w : tensor<1x16xf32>, tensor<16x300xf32>) outs(%i : tensor<1x300xf32>) -> tensor<1x300xf32>
  %1 = linalg.matmul ins(%b, %v : tensor<32x16xf32>, tensor<16x384xf32>) outs(%j : tensor<32x384xf32>) -> tensor<32x384xf32>
  %2 = linalg.matmul ins(%c, %u : tensor<32x200xf32>, tensor<200x16xf32>) outs(%k : tensor<32x16xf32>) -> tensor<32x16xf32>
  return %0, %1, %2 : tensor<1x300xf32>, tensor<32x384xf32>, tensor<32x16xf32>
}
