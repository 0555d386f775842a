// RUN: gpt3-opt %s --split-input-file --tfm-gpu-tile-to-threads --verify-diagnostics | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-gpu-tile-to-threads="threads=64" --verify-diagnostics | FileCheck %s --check-prefix=T64

// A block's steps: the fill over 16 x 64 scratch takes 64 threads on its
// columns, then 4 on its rows (256 in all); the row sums, a reduction,
// one thread per row; the copy out 64 x 4 again. With 64 threads the
// fill's rows run whole on each thread.
// CHECK-LABEL: func.func @steps
//       CHECK:   scf.forall (%[[B:.+]]) in (4) {
//       CHECK:     %[[SCRATCH:.+]] = memref.alloc() : memref<16x64xf32>
//       CHECK:     scf.forall (%[[R:.+]], %[[C:.+]]) in (4, 64) {
//       CHECK:       %[[ROW:.+]] = arith.muli %[[R]], %c4
//       CHECK:       memref.subview %[[SCRATCH]][%[[ROW]], %[[C]]] [4, 1] [1, 1]
//       CHECK:       linalg.fill
//       CHECK:     } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
//       CHECK:     scf.forall (%{{.+}}) in (16) {
//       CHECK:       linalg.generic
//  CHECK-SAME:         iterator_types = ["parallel", "reduction"]
//  CHECK-SAME:         ins(%{{.+}} : memref<1x64xf32, strided<[64, 1], offset: ?>>)
//       CHECK:     } {mapping = [#gpu.thread<linear_dim_0>]}
//       CHECK:     scf.forall (%{{.+}}, %{{.+}}) in (4, 64) {
//       CHECK:       linalg.copy
//       CHECK:     } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
//       CHECK:   } {mapping = [#gpu.block<linear_dim_0>]}
// T64-LABEL: func.func @steps
//       T64:     scf.forall (%{{.+}}) in (64) {
//       T64:       linalg.fill {{.+}} memref<16x1xf32
func.func @steps(%x: memref<64x64xf32>, %sums: memref<64xf32>, %y: memref<64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%b) in (4) {
    %row = affine.apply affine_map<(d0) -> (d0 * 16)>(%b)
    %scratch = memref.alloc() : memref<16x64xf32>
    linalg.fill ins(%zero : f32) outs(%scratch : memref<16x64xf32>)
    %xs = memref.subview %x[%row, 0] [16, 64] [1, 1] : memref<64x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
    %ss = memref.subview %sums[%row] [16] [1] : memref<64xf32> to memref<16xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%xs : memref<16x64xf32, strided<[64, 1], offset: ?>>) outs(%ss : memref<16xf32, strided<[1], offset: ?>>) {
    ^bb0(%in: f32, %out: f32):
      %0 = arith.addf %in, %out : f32
      linalg.yield %0 : f32
    }
    %ys = memref.subview %y[%row, 0] [16, 64] [1, 1] : memref<64x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
    memref.copy %scratch, %ys : memref<16x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

// Steps inside the block's own loops (attention's key blocks) are shared
// too; loops outside any block are left to tfm-gpu-tile-to-blocks.
// CHECK-LABEL: func.func @in_loop
//       CHECK:   scf.forall
//       CHECK:     scf.for
//       CHECK:       scf.forall (%{{.+}}) in (64) {
//       CHECK:         linalg.fill
//       CHECK:       } {mapping = [#gpu.thread<linear_dim_0>]}
func.func @in_loop(%y: memref<4x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.forall (%b) in (4) {
    scf.for %k = %c0 to %c3 step %c1 {
      %ys = memref.subview %y[%b, 0] [1, 64] [1, 1] : memref<4x64xf32> to memref<64xf32, strided<[1], offset: ?>>
      linalg.fill ins(%zero : f32) outs(%ys : memref<64xf32, strided<[1], offset: ?>>)
    }
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

func.func @store_in_block(%y: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%b) in (4) {
    // expected-error @below {{writes memory in a thread block outside any thread-distributed step}}
    memref.store %zero, %y[%b] : memref<4xf32>
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}
