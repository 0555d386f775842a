// RUN: gpt3-opt %s | gpt3-opt | FileCheck %s
// RUN: gpt3-opt %s --mlir-print-op-generic | gpt3-opt | FileCheck %s

// The collectives parse, print in their custom form and parse again; the
// module records its ranks.

// CHECK: module attributes {tfm.ranks = 2 : i64}
// CHECK-LABEL: func.func @all_reduce(
//       CHECK:   %{{.*}} = tfm.all_reduce %{{.*}} {ranks = 2 : i64} : tensor<64xf32>
//       CHECK:   %{{.*}} = tfm.all_reduce %{{.*}} {ranks = 4 : i64} : tensor<2x3xbf16>
module attributes {tfm.ranks = 2 : i64} {
  func.func @all_reduce(%g: tensor<64xf32>, %h: tensor<2x3xbf16>) -> (tensor<64xf32>, tensor<2x3xbf16>) {
    %0 = tfm.all_reduce %g {ranks = 2 : i64} : tensor<64xf32>
    %1 = tfm.all_reduce %h {ranks = 4 : i64} : tensor<2x3xbf16>
    return %0, %1 : tensor<64xf32>, tensor<2x3xbf16>
  }
}

// CHECK-LABEL: func.func @shares(
//       CHECK:   tfm.reduce_scatter %{{.*}} {ranks = 2 : i64} : tensor<64xf32> -> tensor<32xf32>
//       CHECK:   tfm.rank_share %{{.*}} {ranks = 2 : i64} : tensor<64xf32> -> tensor<32xf32>
//       CHECK:   tfm.all_gather %{{.*}} {ranks = 2 : i64} : tensor<32xf32> -> tensor<64xf32>
// CHECK: module attributes {tfm.ranks = 2 : i64, tfm.zero = 1 : i64}
func.func @shares(%g: tensor<64xf32>, %s: tensor<32xf32>) -> (tensor<32xf32>, tensor<32xf32>, tensor<64xf32>) {
  %0 = tfm.reduce_scatter %g {ranks = 2 : i64} : tensor<64xf32> -> tensor<32xf32>
  %1 = tfm.rank_share %g {ranks = 2 : i64} : tensor<64xf32> -> tensor<32xf32>
  %2 = tfm.all_gather %s {ranks = 2 : i64} : tensor<32xf32> -> tensor<64xf32>
  return %0, %1, %2 : tensor<32xf32>, tensor<32xf32>, tensor<64xf32>
}
module attributes {tfm.ranks = 2 : i64, tfm.zero = 1 : i64} {
}
