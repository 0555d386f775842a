// RUN: gpt3-opt %s | gpt3-opt | FileCheck %s
// RUN: gpt3-opt %s --mlir-print-op-generic | gpt3-opt | FileCheck %s

// tfm.scan and tfm.yield parse, print in their custom form, and parse again.

// CHECK-LABEL: func.func @scan
//       CHECK:   %{{.*}}:2 = tfm.scan 3 carry(%{{.*}} : tensor<2x16xf32>) over(%{{.*}}, %{{.*}} : tensor<3x16xf32>, tensor<3x16xf32>) {
//       CHECK:   ^bb0(%{{.*}}: index, %{{.*}}: tensor<2x16xf32>, %{{.*}}: tensor<16xf32>, %{{.*}}: tensor<16xf32>):
//       CHECK:     tfm.layer_norm
//       CHECK:     tfm.yield %{{.*}}, %{{.*}} : tensor<2x16xf32>, tensor<2x16xf32>
//       CHECK:   } : tensor<2x16xf32>, tensor<3x2x16xf32>
func.func @scan(%x: tensor<2x16xf32>, %g: tensor<3x16xf32>, %b: tensor<3x16xf32>) -> (tensor<2x16xf32>, tensor<3x2x16xf32>) {
  %r:2 = tfm.scan 3 carry(%x : tensor<2x16xf32>) over(%g, %b : tensor<3x16xf32>, tensor<3x16xf32>) {
  ^bb0(%i: index, %h: tensor<2x16xf32>, %gi: tensor<16xf32>, %bi: tensor<16xf32>):
    %n = tfm.layer_norm %h, %gi, %bi {epsilon = 1.0e-05 : f64} : (tensor<2x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x16xf32>
    tfm.yield %n, %h : tensor<2x16xf32>, tensor<2x16xf32>
  } : tensor<2x16xf32>, tensor<3x2x16xf32>
  return %r#0, %r#1 : tensor<2x16xf32>, tensor<3x2x16xf32>
}
