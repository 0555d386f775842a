// RUN: gpt3-opt %s --split-input-file --tfm-gpu-tile-to-threads --verify-diagnostics | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-gpu-tile-to-threads="threads=64" --verify-diagnostics | FileCheck %s --check-prefix=T64

// A block's steps: the fill over 16 x 64 scratch takes 64 threads on its
// columns, then 4 on its rows (256 in all); the row sums, 16 rows for 256
// threads, are split: 16 partials per row (block scratch, from the
// identity 0), partial p of row r folding elements p, p + 16, p + 32 and
// p + 48 of the row viewed as 16 x 4 x 16, then one thread per row folding
// its partials into the sum; the copy out 64 x 4 again. With 64 threads
// the fill's rows run whole on each thread, and the split makes 4
// partials.
// CHECK-LABEL: func.func @steps
//       CHECK:   scf.forall (%[[B:.+]]) in (4) {
//       CHECK:     %[[SCRATCH:.+]] = memref.alloc() : memref<16x64xf32>
//       CHECK:     scf.forall (%[[R:.+]], %[[C:.+]]) in (4, 64) {
//       CHECK:       %[[ROW:.+]] = arith.muli %[[R]], %c4
//       CHECK:       memref.subview %[[SCRATCH]][%[[ROW]], %[[C]]] [4, 1] [1, 1]
//       CHECK:       linalg.fill
//       CHECK:     } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
//       CHECK:     %[[PARTIALS:.+]] = memref.alloc() : memref<16x16xf32>
//       CHECK:     scf.forall (%{{.+}}, %{{.+}}) in (16, 16) {
//       CHECK:       linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : memref<1x1xf32
//       CHECK:     %[[ROWS:.+]] = memref.expand_shape %{{.+}} {{\[}}[0], [1, 2]] output_shape [16, 4, 16]
//       CHECK:     scf.forall (%[[R:.+]], %[[P:.+]]) in (16, 16) {
//       CHECK:       memref.subview %[[ROWS]][%[[R]], 0, %[[P]]] [1, 4, 1]
//       CHECK:       linalg.generic
//  CHECK-SAME:         iterator_types = ["parallel", "reduction", "parallel"]
//       CHECK:     } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
//       CHECK:     scf.forall (%{{.+}}) in (16) {
//       CHECK:       linalg.generic
//  CHECK-SAME:         iterator_types = ["parallel", "reduction"]
//  CHECK-SAME:         ins(%{{.+}} : memref<1x16xf32, strided<[16, 1], offset: ?>>)
//       CHECK:     } {mapping = [#gpu.thread<linear_dim_0>]}
//       CHECK:     scf.forall (%{{.+}}, %{{.+}}) in (4, 64) {
//       CHECK:       linalg.copy
//       CHECK:     } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
//       CHECK:   } {mapping = [#gpu.block<linear_dim_0>]}
// T64-LABEL: func.func @steps
//       T64:     scf.forall (%{{.+}}) in (64) {
//       T64:       linalg.fill {{.+}} memref<16x1xf32
//       T64:     memref.alloc() : memref<16x4xf32>
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

// -----

// Rows enough for the threads (128 rows, 256 threads): one thread per row.
// CHECK-LABEL: func.func @many_rows
//   CHECK-NOT:   memref.alloc
//       CHECK:   scf.forall (%{{.+}}) in (128) {
//       CHECK:     linalg.generic
//  CHECK-SAME:       ins(%{{.+}} : memref<1x64xf32
func.func @many_rows(%x: memref<128x64xf32>, %sums: memref<128xf32>) {
  scf.forall (%b) in (1) {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<128x64xf32>) outs(%sums : memref<128xf32>) {
    ^bb0(%in: f32, %out: f32):
      %0 = arith.addf %in, %out : f32
      linalg.yield %0 : f32
    }
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

// A masked running maximum (attention's): the identity of maximumf is
// -inf, and the body's index of the reduction is the element's position
// (128 partials: j * 128 + p).
// CHECK-LABEL: func.func @masked_max
//       CHECK:   linalg.fill ins(%{{.+}} : f32)
//       CHECK:   linalg.generic
//       CHECK:     %[[J:.+]] = linalg.index 1
//       CHECK:     %[[SCALED:.+]] = arith.muli %[[J]], %c128
//       CHECK:     arith.addi %[[SCALED]], %{{.+}}
//       CHECK:     arith.maximumf
//       CHECK:   linalg.generic
//       CHECK:     arith.maximumf
func.func @masked_max(%x: memref<2x4096xf32>, %m: memref<2xf32>) {
  %lowest = arith.constant -1.0e30 : f32
  %c100 = arith.constant 100 : index
  scf.forall (%b) in (1) {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<2x4096xf32>) outs(%m : memref<2xf32>) {
    ^bb0(%in: f32, %out: f32):
      %j = linalg.index 1 : index
      %visible = arith.cmpi ult, %j, %c100 : index
      %v = arith.select %visible, %in, %lowest : f32
      %0 = arith.maximumf %v, %out : f32
      linalg.yield %0 : f32
    }
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

// A staged warp step: the contraction is the warp's, but the copy of the
// block's slice into scratch is shared by all the block's threads (32 on
// the slice's columns, 8 on its rows).
// CHECK-LABEL: func.func @staging_copy
//       CHECK:   scf.forall (%{{.+}}) in (8) {
//       CHECK:     scf.for
//       CHECK:       scf.forall (%{{.+}}, %{{.+}}) in (8, 32) {
//       CHECK:         linalg.copy ins(%{{.+}} : memref<16x1xf32, {{.+}}>)
//       CHECK:       } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
//       CHECK:       linalg.matmul
//       CHECK:       gpu.barrier
//       CHECK:   } {mapping = [#gpu.warp<linear_dim_0>]}
func.func @staging_copy(%a: memref<128x768xf32>, %b: memref<32x16xf32>, %c: memref<128x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c24 = arith.constant 24 : index
  %c32 = arith.constant 32 : index
  scf.forall (%i) in (1) {
    %shared = memref.alloc() : memref<128x32xf32>
    scf.forall (%w) in (8) {
      %r = arith.muli %w, %c16 : index
      %cw = memref.subview %c[%r, 0] [16, 16] [1, 1] : memref<128x16xf32> to memref<16x16xf32, strided<[16, 1], offset: ?>>
      scf.for %s = %c0 to %c24 step %c1 {
        %k = arith.muli %s, %c32 : index
        %slice = memref.subview %a[0, %k] [128, 32] [1, 1] : memref<128x768xf32> to memref<128x32xf32, strided<[768, 1], offset: ?>>
        linalg.copy ins(%slice : memref<128x32xf32, strided<[768, 1], offset: ?>>) outs(%shared : memref<128x32xf32>)
        %aw = memref.subview %shared[%r, 0] [16, 32] [1, 1] : memref<128x32xf32> to memref<16x32xf32, strided<[32, 1], offset: ?>>
        linalg.matmul ins(%aw, %b : memref<16x32xf32, strided<[32, 1], offset: ?>>, memref<32x16xf32>) outs(%cw : memref<16x16xf32, strided<[16, 1], offset: ?>>)
        gpu.barrier
      }
    } {mapping = [#gpu.warp<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}
