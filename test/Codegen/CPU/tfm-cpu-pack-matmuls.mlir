// RUN: gpt3-opt %s --split-input-file --tfm-cpu-pack-matmuls | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-cpu-pack-matmuls="panel-width=64 min-rows=8" | FileCheck %s --check-prefix=WIDE

// B is copied into 32-column panels, (K, N) -> (N / 32, K, 32), and the
// product runs on the (M, N / 32, 32) view of the accumulator.
// CHECK-LABEL: func.func @packed
//  CHECK-SAME:   %[[A:.*]]: tensor<64x96xf32>, %[[B:.*]]: tensor<96x128xf32>, %[[C:.*]]: tensor<64x128xf32>
//   CHECK-DAG:   %[[ACC:.*]] = tensor.expand_shape %[[C]] {{\[}}[0], [1, 2]] output_shape [64, 4, 32]
//   CHECK-DAG:   %[[COLS:.*]] = tensor.expand_shape %[[B]] {{\[}}[0], [1, 2]] output_shape [96, 4, 32]
//   CHECK-DAG:   %[[EMPTY:.*]] = tensor.empty() : tensor<4x96x32xf32>
//       CHECK:   %[[PANELS:.*]] = linalg.transpose ins(%[[COLS]] : tensor<96x4x32xf32>) outs(%[[EMPTY]] : tensor<4x96x32xf32>) permutation = [1, 0, 2]
//       CHECK:   %[[PRODUCT:.*]] = linalg.contract
//  CHECK-SAME:     indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}]
//  CHECK-SAME:     ins(%[[A]], %[[PANELS]] : tensor<64x96xf32>, tensor<4x96x32xf32>) outs(%[[ACC]] : tensor<64x4x32xf32>)
//       CHECK:   %[[OUT:.*]] = tensor.collapse_shape %[[PRODUCT]] {{\[}}[0], [1, 2]] : tensor<64x4x32xf32> into tensor<64x128xf32>
//       CHECK:   return %[[OUT]]
// WIDE-LABEL: func.func @packed
//       WIDE:   linalg.transpose ins(%{{.*}} : tensor<96x2x64xf32>) outs(%{{.*}} : tensor<2x96x64xf32>)
func.func @packed(%a: tensor<64x96xf32>, %b: tensor<96x128xf32>, %c: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x96xf32>, tensor<96x128xf32>) outs(%c : tensor<64x128xf32>) -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}

// -----

// Too few rows to amortise the copy (a decode step), a single panel, and
// columns that do not divide into panels: left alone.
// CHECK-LABEL: func.func @unpacked
//   CHECK-NOT:   linalg.transpose
//       CHECK:   linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x96xf32>, tensor<96x128xf32>)
//       CHECK:   linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x96xf32>, tensor<96x32xf32>)
//       CHECK:   linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x96xf32>, tensor<96x80xf32>)
// WIDE-LABEL: func.func @unpacked
//       WIDE:   linalg.transpose ins(%{{.*}} : tensor<96x2x64xf32>)
//   WIDE-NOT:   linalg.transpose
func.func @unpacked(%x: tensor<8x96xf32>, %w: tensor<96x128xf32>, %acc: tensor<8x128xf32>,
                    %a: tensor<64x96xf32>, %narrow: tensor<96x32xf32>, %acc2: tensor<64x32xf32>,
                    %odd: tensor<96x80xf32>, %acc3: tensor<64x80xf32>) -> (tensor<8x128xf32>, tensor<64x32xf32>, tensor<64x80xf32>) {
  %0 = linalg.matmul ins(%x, %w : tensor<8x96xf32>, tensor<96x128xf32>) outs(%acc : tensor<8x128xf32>) -> tensor<8x128xf32>
  %1 = linalg.matmul ins(%a, %narrow : tensor<64x96xf32>, tensor<96x32xf32>) outs(%acc2 : tensor<64x32xf32>) -> tensor<64x32xf32>
  %2 = linalg.matmul ins(%a, %odd : tensor<64x96xf32>, tensor<96x80xf32>) outs(%acc3 : tensor<64x80xf32>) -> tensor<64x80xf32>
  return %0, %1, %2 : tensor<8x128xf32>, tensor<64x32xf32>, tensor<64x80xf32>
}

// -----

// A matmul with transposed operand maps is not a row-major product.
// CHECK-LABEL: func.func @transposed_maps
// WIDE-LABEL: func.func @transposed_maps
//   CHECK-NOT:   linalg.transpose
func.func @transposed_maps(%a: tensor<64x96xf32>, %b: tensor<128x96xf32>, %c: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%a, %b : tensor<64x96xf32>, tensor<128x96xf32>) outs(%c : tensor<64x128xf32>) -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}

// -----

// After reshape propagation, x @ W comes as a generic whose operands split
// K (heads x head size, the attention output projection) or N (3 x heads x
// head size, the QKV projection). The groups are collapsed back, W is
// packed, and the result gets its split shape again; the product has one
// reduction loop.
// CHECK-LABEL: func.func @split_groups
//       CHECK:   tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<2x32x4x16xf32> into tensor<2x32x64xf32>
//       CHECK:   tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<4x16x96xf32> into tensor<64x96xf32>
//       CHECK:   linalg.transpose ins(%{{.*}} : tensor<64x3x32xf32>) outs(%{{.*}} : tensor<3x64x32xf32>)
//       CHECK:   linalg.contract {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x32x64xf32>, tensor<3x64x32xf32>) outs(%{{.*}} : tensor<2x32x3x32xf32>)
//       CHECK:   tensor.collapse_shape %{{.*}} : tensor<2x32x3x32xf32> into tensor<2x32x96xf32>
//       CHECK:   tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<64x3x4x32xf32> into tensor<64x384xf32>
//       CHECK:   linalg.transpose ins(%{{.*}} : tensor<64x12x32xf32>) outs(%{{.*}} : tensor<12x64x32xf32>)
//       CHECK:   linalg.contract {{.*}} outs(%{{.*}} : tensor<2x32x12x32xf32>)
//       CHECK:   tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3, 4]] output_shape [2, 32, 3, 4, 32] : tensor<2x32x384xf32> into tensor<2x32x3x4x32xf32>
//   CHECK-NOT:   linalg.generic
#x4 = affine_map<(b, t, n, h, d) -> (b, t, h, d)>
#w4 = affine_map<(b, t, n, h, d) -> (h, d, n)>
#o4 = affine_map<(b, t, n, h, d) -> (b, t, n)>
#x3 = affine_map<(b, t, k, s, h, d) -> (b, t, k)>
#w3 = affine_map<(b, t, k, s, h, d) -> (k, s, h, d)>
#o3 = affine_map<(b, t, k, s, h, d) -> (b, t, s, h, d)>
func.func @split_groups(%x: tensor<2x32x4x16xf32>, %w: tensor<4x16x96xf32>, %acc: tensor<2x32x96xf32>,
                        %y: tensor<2x32x64xf32>, %qkv: tensor<64x3x4x32xf32>, %acc2: tensor<2x32x3x4x32xf32>)
    -> (tensor<2x32x96xf32>, tensor<2x32x3x4x32xf32>) {
  %0 = linalg.generic {indexing_maps = [#x4, #w4, #o4], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
       ins(%x, %w : tensor<2x32x4x16xf32>, tensor<4x16x96xf32>) outs(%acc : tensor<2x32x96xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x32x96xf32>
  %1 = linalg.generic {indexing_maps = [#x3, #w3, #o3], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel", "parallel"]}
       ins(%y, %qkv : tensor<2x32x64xf32>, tensor<64x3x4x32xf32>) outs(%acc2 : tensor<2x32x3x4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x32x3x4x32xf32>
  return %0, %1 : tensor<2x32x96xf32>, tensor<2x32x3x4x32xf32>
}


// -----

// A decode step's split forms have too few rows to pack, but their groups
// are still collapsed: the register tiling vectorizes (b, t, n, k), not
// (b, t, n, heads, head size).
// CHECK-LABEL: func.func @split_groups_unpacked
//   CHECK-NOT:   linalg.transpose
//       CHECK:   %[[X:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<1x1x4x16xf32> into tensor<1x1x64xf32>
//       CHECK:   %[[W:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<4x16x96xf32> into tensor<64x96xf32>
//       CHECK:   linalg.contract {{.*}} ins(%[[X]], %[[W]] : tensor<1x1x64xf32>, tensor<64x96xf32>) outs(%{{.*}} : tensor<1x1x96xf32>)
//   CHECK-NOT:   linalg.generic
#x4 = affine_map<(b, t, n, h, d) -> (b, t, h, d)>
#w4 = affine_map<(b, t, n, h, d) -> (h, d, n)>
#o4 = affine_map<(b, t, n, h, d) -> (b, t, n)>
func.func @split_groups_unpacked(%x: tensor<1x1x4x16xf32>, %w: tensor<4x16x96xf32>, %acc: tensor<1x1x96xf32>) -> tensor<1x1x96xf32> {
  %0 = linalg.generic {indexing_maps = [#x4, #w4, #o4], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
       ins(%x, %w : tensor<1x1x4x16xf32>, tensor<4x16x96xf32>) outs(%acc : tensor<1x1x96xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x96xf32>
  return %0 : tensor<1x1x96xf32>
}
