// RUN: gpt3-opt %s --split-input-file --tfm-gpu-own-scatter-rows="max-owners=8" | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// The embedding gradient as convert-tfm-to-linalg lowers it: each token's
// row added into the row of its id. 40 rows for at most 8 owners: 8 owners
// of 5 rows, each walking all 32 tokens in order and adding only the rows
// in its range, into its own slab of the result.
// CHECK-LABEL: func.func @embedding_grad
//       CHECK:   %[[G:.+]] = scf.forall (%[[B:.+]]) in (8) shared_outs(%[[OUT:.+]] = %{{.+}}) -> (tensor<40x16xf32>) {
//       CHECK:     %[[FIRST:.+]] = arith.muli %[[B]], %c5
//       CHECK:     %[[SLAB:.+]] = tensor.extract_slice %[[OUT]][%[[FIRST]], 0] [5, 16] [1, 1]
//       CHECK:     %[[WALK:.+]] = scf.for %[[N:.+]] = %c0 to %c32 step %c1 iter_args(%[[ACC:.+]] = %[[SLAB]]) -> (tensor<5x16xf32>) {
//       CHECK:       %[[TOKEN:.+]] = tensor.extract %arg1[%[[N]]]
//       CHECK:       %[[ROW:.+]] = arith.index_cast %[[TOKEN]]
//       CHECK:       %[[GRAD:.+]] = tensor.extract_slice %arg0[%[[N]], 0] [1, 16] [1, 1]
//       CHECK:       %[[END:.+]] = arith.addi %[[FIRST]], %c5
//       CHECK:       %[[ABOVE:.+]] = arith.cmpi uge, %[[ROW]], %[[FIRST]]
//       CHECK:       %[[BELOW:.+]] = arith.cmpi ult, %[[ROW]], %[[END]]
//       CHECK:       %[[MINE:.+]] = arith.andi %[[ABOVE]], %[[BELOW]]
//       CHECK:       %[[NEXT:.+]] = scf.if %[[MINE]] -> (tensor<5x16xf32>) {
//       CHECK:         %[[LOCAL:.+]] = arith.subi %[[ROW]], %[[FIRST]]
//       CHECK:         %[[OLD:.+]] = tensor.extract_slice %[[ACC]][%[[LOCAL]], 0] [1, 16] [1, 1]
//       CHECK:         %[[SUM:.+]] = linalg.generic {{.+}} ins(%[[GRAD]] : tensor<1x16xf32>) outs(%[[OLD]] : tensor<1x16xf32>)
//       CHECK:         %[[NEW:.+]] = tensor.insert_slice %[[SUM]] into %[[ACC]][%[[LOCAL]], 0] [1, 16] [1, 1]
//       CHECK:         scf.yield %[[NEW]]
//       CHECK:       } else {
//       CHECK:         scf.yield %[[ACC]]
//       CHECK:       }
//       CHECK:       scf.yield %[[NEXT]]
//       CHECK:     scf.forall.in_parallel {
//       CHECK:       tensor.parallel_insert_slice %[[WALK]] into %[[OUT]][%[[FIRST]], 0] [5, 16] [1, 1]
//       CHECK:   } {tfm.kernel = "embedding_backward"}
//       CHECK:   return %[[G]]
func.func @embedding_grad(%rows: tensor<32x16xf32>, %tokens: tensor<32xi32>, %zeros: tensor<40x16xf32>) -> tensor<40x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %g = scf.for %n = %c0 to %c32 step %c1 iter_args(%acc = %zeros) -> (tensor<40x16xf32>) {
    %t = tensor.extract %tokens[%n] : tensor<32xi32>
    %row = arith.index_cast %t : i32 to index
    %grad = tensor.extract_slice %rows[%n, 0] [1, 16] [1, 1] : tensor<32x16xf32> to tensor<1x16xf32>
    %old = tensor.extract_slice %acc[%row, 0] [1, 16] [1, 1] : tensor<40x16xf32> to tensor<1x16xf32>
    %sum = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%grad : tensor<1x16xf32>) outs(%old : tensor<1x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %0 = arith.addf %in, %out : f32
      linalg.yield %0 : f32
    } -> tensor<1x16xf32>
    %new = tensor.insert_slice %sum into %acc[%row, 0] [1, 16] [1, 1] : tensor<1x16xf32> into tensor<40x16xf32>
    scf.yield %new : tensor<40x16xf32>
  }
  return %g : tensor<40x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Left alone: a loop that also reads the accumulator elsewhere (a second
// row), whose rows one owner could not update in order alone.
// CHECK-LABEL: func.func @reads_another_row
//   CHECK-NOT:   scf.forall
func.func @reads_another_row(%rows: tensor<32x16xf32>, %tokens: tensor<32xi32>, %zeros: tensor<40x16xf32>) -> tensor<40x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %g = scf.for %n = %c0 to %c32 step %c1 iter_args(%acc = %zeros) -> (tensor<40x16xf32>) {
    %t = tensor.extract %tokens[%n] : tensor<32xi32>
    %row = arith.index_cast %t : i32 to index
    %old = tensor.extract_slice %acc[%row, 0] [1, 16] [1, 1] : tensor<40x16xf32> to tensor<1x16xf32>
    %other = tensor.extract_slice %acc[%c0, 0] [1, 16] [1, 1] : tensor<40x16xf32> to tensor<1x16xf32>
    %sum = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%other : tensor<1x16xf32>) outs(%old : tensor<1x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %0 = arith.addf %in, %out : f32
      linalg.yield %0 : f32
    } -> tensor<1x16xf32>
    %new = tensor.insert_slice %sum into %acc[%row, 0] [1, 16] [1, 1] : tensor<1x16xf32> into tensor<40x16xf32>
    scf.yield %new : tensor<40x16xf32>
  }
  return %g : tensor<40x16xf32>
}
