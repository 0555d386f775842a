// RUN: gpt3-opt %s --split-input-file --tfm-split-full-reductions | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-split-full-reductions="partials=64 min-elements=1" | FileCheck %s --check-prefix=SMALL

// A gradient's sum of squares in float64: 256 partial sums over rows of the
// flattened gradient (a parallel loop), then the partials added in order
// into the running total.
// CHECK-LABEL: func.func @norm
//  CHECK-SAME:   (%[[G:.+]]: tensor<1024x768xf32>, %[[ACC:.+]]: tensor<f64>)
//       CHECK:   %[[FLAT:.+]] = tensor.collapse_shape %[[G]] {{\[}}[0, 1]] : tensor<1024x768xf32> into tensor<786432xf32>
//       CHECK:   %[[ROWS:.+]] = tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [256, 3072]
//       CHECK:   %[[ZERO:.+]] = linalg.fill ins(%{{.+}} : f64) outs(%{{.+}} : tensor<256xf64>)
//       CHECK:   %[[P:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
//  CHECK-SAME:     ins(%[[ROWS]] : tensor<256x3072xf32>) outs(%[[ZERO]] : tensor<256xf64>)
//       CHECK:     arith.extf
//       CHECK:     arith.mulf
//       CHECK:     arith.addf
//       CHECK:   %[[N:.+]] = linalg.generic {{.+}} iterator_types = ["reduction"]
//  CHECK-SAME:     ins(%[[P]] : tensor<256xf64>) outs(%[[ACC]] : tensor<f64>)
//       CHECK:     arith.addf
//       CHECK:   return %[[N]]
func.func @norm(%g: tensor<1024x768xf32>, %acc: tensor<f64>) -> tensor<f64> {
  %n = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]} ins(%g : tensor<1024x768xf32>) outs(%acc : tensor<f64>) {
  ^bb0(%in: f32, %out: f64):
    %e = arith.extf %in : f32 to f64
    %s = arith.mulf %e, %e : f64
    %a = arith.addf %s, %out : f64
    linalg.yield %a : f64
  } -> tensor<f64>
  return %n : tensor<f64>
}

// -----

// Left as they are: a small tensor (below min-elements; with the option,
// split into 64 partials of 12), a reduction that keeps
// a dimension, and one whose accumulation is not an addition.
// CHECK-LABEL: func.func @kept
//   CHECK-NOT:   tensor.collapse_shape
//       CHECK:   return
// SMALL-LABEL: func.func @kept
//       SMALL:   tensor.expand_shape {{.+}} output_shape [64, 12]
//   SMALL-NOT:   tensor.expand_shape
//       SMALL:   return
func.func @kept(%b: tensor<768xf32>, %acc: tensor<f64>, %g: tensor<1024x768xf32>, %rows: tensor<1024xf32>, %m: tensor<f32>) -> (tensor<f64>, tensor<1024xf32>, tensor<f32>) {
  %n = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%b : tensor<768xf32>) outs(%acc : tensor<f64>) {
  ^bb0(%in: f32, %out: f64):
    %e = arith.extf %in : f32 to f64
    %a = arith.addf %e, %out : f64
    linalg.yield %a : f64
  } -> tensor<f64>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%g : tensor<1024x768xf32>) outs(%rows : tensor<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<1024xf32>
  %x = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]} ins(%g : tensor<1024x768xf32>) outs(%m : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.maximumf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<f32>
  return %n, %r, %x : tensor<f64>, tensor<1024xf32>, tensor<f32>
}
