// RUN: gpt3-opt %s --split-input-file --tfm-fuse-residual-layer-norm --canonicalize --cse --verify-each | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-fuse-residual-layer-norm="rows=8" --canonicalize --cse | FileCheck %s --check-prefix=ROWS

// ROWS-LABEL: func.func @residual
//       ROWS:   scf.forall (%[[I:.*]]) in (4)
//       ROWS:     arith.muli %[[I]], %c8

// A residual add and the layer norm of its sum: one parallel loop over
// blocks of 16 rows that adds them, keeps the sum (a second result), takes
// both moments of the block and normalizes it. No op runs over all rows.
// CHECK-LABEL: func.func @residual
//       CHECK:   %[[R:.*]] = tensor.collapse_shape %arg0 {{.*}} into tensor<32x32xf32>
//       CHECK:   %[[Y:.*]] = tensor.collapse_shape %arg1 {{.*}} into tensor<32x32xf32>
//       CHECK:   %[[F:.*]]:2 = scf.forall (%[[I:.*]]) in (2) shared_outs(%[[NS:.*]] = %{{.*}}, %[[XS:.*]] = %{{.*}})
//       CHECK:     %[[FIRST:.*]] = arith.muli %[[I]], %c16
//       CHECK:     %[[RI:.*]] = tensor.extract_slice %[[R]][%[[FIRST]], 0] [16, 32]
//       CHECK:     %[[YI:.*]] = tensor.extract_slice %[[Y]][%[[FIRST]], 0] [16, 32]
//       CHECK:     %[[X:.*]] = linalg.generic {{.*}} ins(%[[RI]], %[[YI]] : tensor<16x32xf32>, tensor<16x32xf32>)
//       CHECK:       arith.addf
//       CHECK:     %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<16x32xf32>)
//       CHECK:     %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<16xf32>)
//       CHECK:     %[[SQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[MEAN]] : tensor<16x32xf32>, tensor<16xf32>)
//       CHECK:     %[[RSTD:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<16xf32>)
//       CHECK:       math.rsqrt
//       CHECK:     %[[N:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]], %[[RSTD]], %arg2, %arg3 :
//       CHECK:     scf.forall.in_parallel
//  CHECK-NEXT:       tensor.parallel_insert_slice %[[N]] into %[[NS]][%[[FIRST]], 0] [16, 32]
//  CHECK-NEXT:       tensor.parallel_insert_slice %[[X]] into %[[XS]][%[[FIRST]], 0] [16, 32]
//       CHECK:   %[[NORM:.*]] = tensor.expand_shape %[[F]]#0
//       CHECK:   %[[SUMS:.*]] = tensor.expand_shape %[[F]]#1
//       CHECK:   return %[[SUMS]], %[[NORM]]
//   CHECK-NOT:   tfm.
func.func @residual(%r: tensor<2x16x32xf32>, %y: tensor<2x16x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> (tensor<2x16x32xf32>, tensor<2x16x32xf32>) {
  %x = tfm.add %r, %y : tensor<2x16x32xf32>
  %n = tfm.layer_norm %x, %g, %b {epsilon = 1.0e-05 : f64} : (tensor<2x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<2x16x32xf32>
  return %x, %n : tensor<2x16x32xf32>, tensor<2x16x32xf32>
}

// -----

// A layer norm of something else (the embeddings) is still one row-blocked
// kernel. An add whose sum is read before the norm stays where it is.
// CHECK-LABEL: func.func @read_before_norm
//       CHECK:   %[[X:.*]] = tfm.add
//       CHECK:   tfm.gelu %[[X]]
//       CHECK:   scf.forall (%{{.*}}) in (3) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<48x32xf32>)
//       CHECK:     tensor.extract_slice %[[X]]
//       CHECK:     math.rsqrt
func.func @read_before_norm(%r: tensor<48x32xf32>, %y: tensor<48x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> (tensor<48x32xf32>, tensor<48x32xf32>) {
  %x = tfm.add %r, %y : tensor<48x32xf32>
  %h = tfm.gelu %x : tensor<48x32xf32>
  %n = tfm.layer_norm %x, %g, %b {epsilon = 1.0e-05 : f64} : (tensor<48x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<48x32xf32>
  return %h, %n : tensor<48x32xf32>, tensor<48x32xf32>
}
