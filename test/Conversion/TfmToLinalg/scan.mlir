// RUN: gpt3-opt %s --convert-tfm-to-linalg | FileCheck %s

// A scan becomes an scf.for over the slices: each iteration reads slice i
// of the stacked inputs in place, runs the converted body on the carry,
// writes its stacked output into slice i of a tensor carried through the
// loop, and copies the new carry into the carried one after that last read
// of it.
// CHECK-LABEL: func.func @scan
//       CHECK:   %[[E:.*]] = tensor.empty() : tensor<3x2x16xf32>
//   CHECK-DAG:   %[[C0:.*]] = arith.constant 0 : index
//   CHECK-DAG:   %[[C3:.*]] = arith.constant 3 : index
//   CHECK-DAG:   %[[C1:.*]] = arith.constant 1 : index
//       CHECK:   %[[R:.*]]:2 = scf.for %[[I:.*]] = %[[C0]] to %[[C3]] step %[[C1]] iter_args(%[[H:.*]] = %arg0, %[[S:.*]] = %[[E]]) -> (tensor<2x16xf32>, tensor<3x2x16xf32>) {
//       CHECK:     %[[G:.*]] = tensor.extract_slice %arg1[%[[I]], 0] [1, 16] [1, 1] : tensor<3x16xf32> to tensor<16xf32>
//       CHECK:     %[[B:.*]] = tensor.extract_slice %arg2[%[[I]], 0] [1, 16] [1, 1] : tensor<3x16xf32> to tensor<16xf32>
//       CHECK:     linalg.generic {{.*}} ins(%[[H]]
//       CHECK:     %[[N:.*]] = linalg.generic {{.*}} ins(%[[H]], %{{.*}}, %{{.*}}, %[[G]], %[[B]]
//       CHECK:     %[[W:.*]] = tensor.insert_slice %[[H]] into %[[S]][%[[I]], 0, 0] [1, 2, 16] [1, 1, 1] : tensor<2x16xf32> into tensor<3x2x16xf32>
//       CHECK:     %[[NC:.*]] = linalg.copy ins(%[[N]] : tensor<2x16xf32>) outs(%[[H]] : tensor<2x16xf32>)
//       CHECK:     scf.yield %[[NC]], %[[W]] : tensor<2x16xf32>, tensor<3x2x16xf32>
//       CHECK:   return %[[R]]#0, %[[R]]#1
//   CHECK-NOT:   tfm.
func.func @scan(%x: tensor<2x16xf32>, %g: tensor<3x16xf32>, %b: tensor<3x16xf32>) -> (tensor<2x16xf32>, tensor<3x2x16xf32>) {
  %r:2 = tfm.scan 3 carry(%x : tensor<2x16xf32>) over(%g, %b : tensor<3x16xf32>, tensor<3x16xf32>) {
  ^bb0(%i: index, %h: tensor<2x16xf32>, %gi: tensor<16xf32>, %bi: tensor<16xf32>):
    %n = tfm.layer_norm %h, %gi, %bi {epsilon = 1.0e-05 : f64} : (tensor<2x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x16xf32>
    tfm.yield %n, %h : tensor<2x16xf32>, tensor<2x16xf32>
  } : tensor<2x16xf32>, tensor<3x2x16xf32>
  return %r#0, %r#1 : tensor<2x16xf32>, tensor<3x2x16xf32>
}
