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
