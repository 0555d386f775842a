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

// -----

// bf16 operands into f32: the panels pair B's rows, (K, N) -> (N / 32,
// K / 2, 32, 2), A is viewed as (M, K / 2, 2), and the product reduces over
// the pairs (k) and within each pair (q), q innermost in both operands: the
// layout of AVX512-BF16's pairwise dot product.
// CHECK-DAG: #[[A_MAP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4)>
// CHECK-DAG: #[[B_MAP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d3, d2, d4)>
// CHECK-DAG: #[[C_MAP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @bf16_pairs
//  CHECK-SAME:   %[[A:.*]]: tensor<64x96xbf16>, %[[B:.*]]: tensor<96x128xbf16>
//   CHECK-DAG:   %[[APAIRS:.*]] = tensor.expand_shape %[[A]] {{\[}}[0], [1, 2]] output_shape [64, 48, 2]
//   CHECK-DAG:   %[[ROWS:.*]] = tensor.expand_shape %[[B]] {{\[}}[0, 1], [2, 3]] output_shape [48, 2, 4, 32]
//       CHECK:   %[[PANELS:.*]] = linalg.transpose ins(%[[ROWS]] : tensor<48x2x4x32xbf16>) outs(%{{.*}} : tensor<4x48x32x2xbf16>) permutation = [2, 0, 3, 1]
//       CHECK:   linalg.contract indexing_maps = [#[[A_MAP]], #[[B_MAP]], #[[C_MAP]]]
//  CHECK-SAME:     ins(%[[APAIRS]], %[[PANELS]] : tensor<64x48x2xbf16>, tensor<4x48x32x2xbf16>) outs(%{{.*}} : tensor<64x4x32xf32>)
func.func @bf16_pairs(%a: tensor<64x96xbf16>, %b: tensor<96x128xbf16>, %c: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x96xbf16>, tensor<96x128xbf16>) outs(%c : tensor<64x128xf32>) -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}

// -----

// The same from the transpose of an (N, K) bf16 matrix: one copy into
// paired panels, (N, K) -> (N / 32, K / 2, 32, 2).
// CHECK-LABEL: func.func @bf16_pairs_transposed
//  CHECK-SAME:   %[[T:[a-z0-9]+]]: tensor<128x96xbf16>
//       CHECK:   %[[SPLIT:.*]] = tensor.expand_shape %[[T]] {{\[}}[0, 1], [2, 3]] output_shape [4, 32, 48, 2]
//       CHECK:   linalg.transpose ins(%[[SPLIT]] : tensor<4x32x48x2xbf16>) outs(%{{.*}} : tensor<4x48x32x2xbf16>) permutation = [0, 2, 1, 3]
//   CHECK-NOT:   linalg.transpose
//       CHECK:   linalg.contract
func.func @bf16_pairs_transposed(%a: tensor<64x96xbf16>, %t: tensor<128x96xbf16>, %c: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %e = tensor.empty() : tensor<96x128xbf16>
  %b = linalg.transpose ins(%t : tensor<128x96xbf16>) outs(%e : tensor<96x128xbf16>) permutation = [1, 0]
  %r = linalg.matmul ins(%a, %b : tensor<64x96xbf16>, tensor<96x128xbf16>) outs(%c : tensor<64x128xf32>) -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}

// -----

// An odd K has no pairs: left alone.
// CHECK-LABEL: func.func @bf16_odd_k
//   CHECK-NOT:   linalg.transpose
//       CHECK:   linalg.matmul
func.func @bf16_odd_k(%a: tensor<64x97xbf16>, %b: tensor<97x128xbf16>, %c: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x97xbf16>, tensor<97x128xbf16>) outs(%c : tensor<64x128xf32>) -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}

// -----

// A weight packed at load (--dtype bf16): B is the view of panels
// (N / 32, K / 2, 32, 2) through the transpose and reshape that undo the
// packing. The panels are read as they are, with no copy, also by a single
// row (a decode step), which would not be packed otherwise; two rows read
// the view.
// CHECK-LABEL: func.func @bf16_packed_at_load
//  CHECK-SAME:   %[[P:[a-z0-9]+]]: tensor<4x48x32x2xbf16>
//       CHECK:   linalg.contract
//  CHECK-SAME:     ins(%{{.*}}, %[[P]] : tensor<64x48x2xbf16>, tensor<4x48x32x2xbf16>)
//       CHECK:   linalg.contract
//  CHECK-SAME:     ins(%{{.*}}, %[[P]] : tensor<1x48x2xbf16>, tensor<4x48x32x2xbf16>)
//       CHECK:   linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x96xbf16>, tensor<96x128xbf16>)
func.func @bf16_packed_at_load(%a: tensor<64x96xbf16>, %x: tensor<1x96xbf16>, %y: tensor<2x96xbf16>, %p: tensor<4x48x32x2xbf16>,
                               %c: tensor<64x128xf32>, %d: tensor<1x128xf32>, %e: tensor<2x128xf32>) -> (tensor<64x128xf32>, tensor<1x128xf32>, tensor<2x128xf32>) {
  %empty = tensor.empty() : tensor<48x2x4x32xbf16>
  %t = linalg.transpose ins(%p : tensor<4x48x32x2xbf16>) outs(%empty : tensor<48x2x4x32xbf16>) permutation = [1, 3, 0, 2]
  %b = tensor.collapse_shape %t [[0, 1], [2, 3]] : tensor<48x2x4x32xbf16> into tensor<96x128xbf16>
  %r = linalg.matmul ins(%a, %b : tensor<64x96xbf16>, tensor<96x128xbf16>) outs(%c : tensor<64x128xf32>) -> tensor<64x128xf32>
  %s = linalg.matmul ins(%x, %b : tensor<1x96xbf16>, tensor<96x128xbf16>) outs(%d : tensor<1x128xf32>) -> tensor<1x128xf32>
  %u = linalg.matmul ins(%y, %b : tensor<2x96xbf16>, tensor<96x128xbf16>) outs(%e : tensor<2x128xf32>) -> tensor<2x128xf32>
  return %r, %s, %u : tensor<64x128xf32>, tensor<1x128xf32>, tensor<2x128xf32>
}

// -----

// The same for an f32 weight packed at load, (N / 32, K, 32), read by one
// row; reshape propagation may have split the panels' rows before the
// transpose that unpacks them (K = heads x head size), which then moves
// each split group whole.
// CHECK-LABEL: func.func @f32_packed_at_load
//  CHECK-SAME:   %[[P:[a-z0-9]+]]: tensor<2x64x32xf32>
//       CHECK:   linalg.contract
//  CHECK-SAME:     ins(%{{.*}}, %[[P]] : tensor<1x64xf32>, tensor<2x64x32xf32>)
//       CHECK:   linalg.contract
//  CHECK-SAME:     ins(%{{.*}}, %[[P]] : tensor<1x64xf32>, tensor<2x64x32xf32>)
//   CHECK-NOT:   linalg.transpose
func.func @f32_packed_at_load(%x: tensor<1x64xf32>, %p: tensor<2x64x32xf32>, %d: tensor<1x64xf32>) -> (tensor<1x64xf32>, tensor<1x64xf32>) {
  %empty = tensor.empty() : tensor<64x2x32xf32>
  %t = linalg.transpose ins(%p : tensor<2x64x32xf32>) outs(%empty : tensor<64x2x32xf32>) permutation = [1, 0, 2]
  %b = tensor.collapse_shape %t [[0], [1, 2]] : tensor<64x2x32xf32> into tensor<64x64xf32>
  %r = linalg.matmul ins(%x, %b : tensor<1x64xf32>, tensor<64x64xf32>) outs(%d : tensor<1x64xf32>) -> tensor<1x64xf32>
  %split = tensor.expand_shape %p [[0], [1, 2], [3]] output_shape [2, 4, 16, 32] : tensor<2x64x32xf32> into tensor<2x4x16x32xf32>
  %empty2 = tensor.empty() : tensor<4x16x2x32xf32>
  %t2 = linalg.transpose ins(%split : tensor<2x4x16x32xf32>) outs(%empty2 : tensor<4x16x2x32xf32>) permutation = [1, 2, 0, 3]
  %b2 = tensor.collapse_shape %t2 [[0, 1], [2, 3]] : tensor<4x16x2x32xf32> into tensor<64x64xf32>
  %s = linalg.matmul ins(%x, %b2 : tensor<1x64xf32>, tensor<64x64xf32>) outs(%d : tensor<1x64xf32>) -> tensor<1x64xf32>
  return %r, %s : tensor<1x64xf32>, tensor<1x64xf32>
}

// -----

// A transpose that is not the unpacking (the groups in another order) is
// not read as panels: one row is not packed.
// CHECK-LABEL: func.func @not_panels
//       CHECK:   linalg.transpose
//       CHECK:   linalg.matmul
func.func @not_panels(%x: tensor<1x64xf32>, %p: tensor<2x64x32xf32>, %d: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %split = tensor.expand_shape %p [[0], [1, 2], [3]] output_shape [2, 4, 16, 32] : tensor<2x64x32xf32> into tensor<2x4x16x32xf32>
  %empty = tensor.empty() : tensor<16x4x2x32xf32>
  %t = linalg.transpose ins(%split : tensor<2x4x16x32xf32>) outs(%empty : tensor<16x4x2x32xf32>) permutation = [2, 1, 0, 3]
  %b = tensor.collapse_shape %t [[0, 1], [2, 3]] : tensor<16x4x2x32xf32> into tensor<64x64xf32>
  %r = linalg.matmul ins(%x, %b : tensor<1x64xf32>, tensor<64x64xf32>) outs(%d : tensor<1x64xf32>) -> tensor<1x64xf32>
  return %r : tensor<1x64xf32>
}
