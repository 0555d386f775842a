// RUN: gpt3-opt %s --split-input-file --tfm-gpu-split-reduction-blocks | FileCheck %s

#a = affine_map<(m, n, b, t) -> (m, b, t)>
#x = affine_map<(m, n, b, t) -> (b, t, n)>
#o = affine_map<(m, n, b, t) -> (m, n)>

// A weight gradient, 64 x 64 (one tile) summed over 4 x 512 tokens: one
// partial per batch row (the batch loop made parallel, into zeros), then
// the partials added to the initial value in batch order.
// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[X:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>
// CHECK-DAG: #[[P:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d0, d1)>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @weight_gradient
//       CHECK:   %[[Z:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<4x64x64xf32>)
//       CHECK:   %[[PART:.+]] = linalg.generic {indexing_maps = [#[[A]], #[[X]], #[[P]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<64x4x512xf32>, tensor<4x512x64xf32>) outs(%[[Z]] : tensor<4x64x64xf32>)
//       CHECK:     arith.mulf
//       CHECK:     arith.addf
//       CHECK:   %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[OUT]]], iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[PART]] : tensor<4x64x64xf32>) outs(%arg2 : tensor<64x64xf32>)
//       CHECK:     %[[ADD:.+]] = arith.addf %{{.+}}, %{{.+}} : f32
//       CHECK:   return %[[SUM]]
func.func @weight_gradient(%xT: tensor<64x4x512xf32>, %dy: tensor<4x512x64xf32>, %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %r = linalg.generic {indexing_maps = [#a, #x, #o], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%xT, %dy : tensor<64x4x512xf32>, tensor<4x512x64xf32>) outs(%init : tensor<64x64xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// -----

#a = affine_map<(m, n, b, t) -> (m, b, t)>
#x = affine_map<(m, n, b, t) -> (b, t, n)>
#o = affine_map<(m, n, b, t) -> (m, n)>

// Left whole: enough tiles already (384 x 768), a short sum per partial
// (64 terms, attention's output projection over its heads), one summed
// loop.
// CHECK-LABEL: func.func @left_whole
//   CHECK-NOT:   linalg.fill
func.func @left_whole(%big: tensor<2304x4x512xf32>, %dy: tensor<4x512x2304xf32>, %i1: tensor<2304x2304xf32>, %y: tensor<64x12x64xf32>, %w: tensor<12x64x64xf32>, %i2: tensor<64x64xf32>, %a: tensor<64x2048xf32>, %b: tensor<2048x64xf32>, %i3: tensor<64x64xf32>) -> (tensor<2304x2304xf32>, tensor<64x64xf32>, tensor<64x64xf32>) {
  %0 = linalg.generic {indexing_maps = [#a, #x, #o], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%big, %dy : tensor<2304x4x512xf32>, tensor<4x512x2304xf32>) outs(%i1 : tensor<2304x2304xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<2304x2304xf32>
  %1 = linalg.generic {indexing_maps = [#a, #x, #o], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%y, %w : tensor<64x12x64xf32>, tensor<12x64x64xf32>) outs(%i2 : tensor<64x64xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<64x64xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<64x2048xf32>, tensor<2048x64xf32>) outs(%i3 : tensor<64x64xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<64x64xf32>
  return %0, %1, %2 : tensor<2304x2304xf32>, tensor<64x64xf32>, tensor<64x64xf32>
}
