// RUN: gpt3-opt %s --tfm-cpu-pack-matmuls --canonicalize | FileCheck %s

// A right operand that is the transpose of a (N, K) matrix, here sliced as
// the output projection slices the tied table, is packed from the (N, K)
// source in one transposing copy; the unpacked tail gets a transpose of
// its own slice, so the whole table is never transposed.
// CHECK-LABEL: func.func @transposed_table
//  CHECK-SAME:   %[[X:.*]]: tensor<64x96xf32>, %[[TABLE:.*]]: tensor<136x96xf32>
//   CHECK-NOT:   linalg.transpose ins(%[[TABLE]]
//   CHECK-DAG:   %[[MAIN:.*]] = tensor.extract_slice %[[TABLE]][0, 0] [128, 96] [1, 1]
//   CHECK-DAG:   %[[TAIL:.*]] = tensor.extract_slice %[[TABLE]][128, 0] [8, 96] [1, 1]
//       CHECK:   %[[TAILT:.*]] = linalg.transpose ins(%[[TAIL]] : tensor<8x96xf32>) outs(%{{.*}} : tensor<96x8xf32>) permutation = [1, 0]
//       CHECK:   %[[ROWS:.*]] = tensor.expand_shape %[[MAIN]] {{\[}}[0, 1], [2]] output_shape [4, 32, 96]
//       CHECK:   %[[PANELS:.*]] = linalg.transpose ins(%[[ROWS]] : tensor<4x32x96xf32>) outs(%{{.*}} : tensor<4x96x32xf32>) permutation = [0, 2, 1]
//       CHECK:   linalg.contract {{.*}} ins(%[[X]], %[[PANELS]]
//       CHECK:   linalg.matmul ins(%[[X]], %[[TAILT]]
//   CHECK-NOT:   linalg.transpose ins(%[[TABLE]]
func.func @transposed_table(%x: tensor<64x96xf32>, %table: tensor<136x96xf32>, %acc: tensor<64x128xf32>, %acc2: tensor<64x8xf32>) -> (tensor<64x128xf32>, tensor<64x8xf32>) {
  %e = tensor.empty() : tensor<96x136xf32>
  %t = linalg.transpose ins(%table : tensor<136x96xf32>) outs(%e : tensor<96x136xf32>) permutation = [1, 0]
  %main = tensor.extract_slice %t[0, 0] [96, 128] [1, 1] : tensor<96x136xf32> to tensor<96x128xf32>
  %tail = tensor.extract_slice %t[0, 128] [96, 8] [1, 1] : tensor<96x136xf32> to tensor<96x8xf32>
  %0 = linalg.matmul ins(%x, %main : tensor<64x96xf32>, tensor<96x128xf32>) outs(%acc : tensor<64x128xf32>) -> tensor<64x128xf32>
  %1 = linalg.matmul ins(%x, %tail : tensor<64x96xf32>, tensor<96x8xf32>) outs(%acc2 : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %0, %1 : tensor<64x128xf32>, tensor<64x8xf32>
}
