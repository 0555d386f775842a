// RUN: gpt3-opt %s --split-input-file --tfm-gpu-tile-to-blocks --verify-diagnostics | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-gpu-tile-to-blocks="block-elements=256" --verify-diagnostics | FileCheck %s --check-prefix=SMALL

// An elementwise op: blocks of 1024 results, the innermost loop first (all
// 256 columns, 4 rows); 256 per block with the option. The grid is named
// after what it computes (the kernel's name once launched).
// CHECK-LABEL: func.func @elementwise
//       CHECK:   scf.forall (%[[I:.+]]) in (16) {
//       CHECK:     %[[ROW:.+]] = arith.muli %[[I]], %c4
//       CHECK:     memref.subview %{{.+}}[%[[ROW]], 0] [4, 256] [1, 1]
//       CHECK:     linalg.generic
//  CHECK-SAME:       memref<4x256xf32, strided<[256, 1], offset: ?>>
//       CHECK:   } {mapping = [#gpu.block<linear_dim_0>], tfm.kernel = "elementwise"}
// SMALL-LABEL: func.func @elementwise
//       SMALL:   scf.forall (%{{.+}}) in (64) {
func.func @elementwise(%x: memref<64x256xf32>, %y: memref<64x256xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<64x256xf32>) outs(%y : memref<64x256xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.mulf %in, %in : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// A contraction takes the block tile tfm-gpu-select-block-tiles chose; the
// reduction stays whole in each block. Loop indices seen by the body
// (linalg.index) are offset by the block's origin.
// CHECK-LABEL: func.func @contraction
//       CHECK:   scf.forall (%[[M:.+]], %[[N:.+]]) in (2, 4) {
//       CHECK:     linalg.matmul
//  CHECK-SAME:       memref<128x768xf32, strided<[768, 1], offset: ?>>, memref<768x32xf32, strided<[128, 1], offset: ?>>
//       CHECK:   } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>], tfm.kernel = "matmul_256x128x768"}
func.func @contraction(%a: memref<256x768xf32>, %b: memref<768x128xf32>, %c: memref<256x128xf32>) {
  linalg.matmul {tfm.thread_tiles = array<i64: 128, 32, 0>} ins(%a, %b : memref<256x768xf32>, memref<768x128xf32>) outs(%c : memref<256x128xf32>)
  return
}

// -----

// linalg.index inside a tile counts from the block's origin.
// CHECK-LABEL: func.func @indices
//       CHECK:   scf.forall (%[[I:.+]]) in (4) {
//       CHECK:     %[[ORIGIN:.+]] = arith.muli %[[I]], %c1024
//       CHECK:     linalg.generic
//       CHECK:       %[[J:.+]] = linalg.index 0
//       CHECK:       affine.apply #{{.+}}(%[[ORIGIN]])[%[[J]]]
func.func @indices(%y: memref<4096xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%y : memref<4096xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    linalg.yield %f : f32
  }
  return
}

// -----

// A copy between buffers is a kernel too; a kernel the shared builders
// made (an unmapped scf.forall) only gets the block mapping; a reduction
// to a scalar runs in one block. Each new grid says what it computes.
// CHECK-LABEL: func.func @copy_kernel_scalar
//       CHECK:   scf.forall (%{{.+}}) in (4) {
//       CHECK:     linalg.copy
//       CHECK:   } {mapping = [#gpu.block<linear_dim_0>], tfm.kernel = "copy"}
//       CHECK:   scf.forall (%{{.+}}) in (2) {
//       CHECK:     linalg.fill
//       CHECK:   } {mapping = [#gpu.block<linear_dim_0>]}
//       CHECK:   scf.forall (%{{.+}}) in (1) {
//       CHECK:     linalg.reduce
//       CHECK:   } {mapping = [#gpu.block<linear_dim_0>], tfm.kernel = "reduction"}
func.func @copy_kernel_scalar(%x: memref<4096xf32>, %y: memref<4096xf32>, %s: memref<f32>) {
  memref.copy %x, %y : memref<4096xf32> to memref<4096xf32>
  %zero = arith.constant 0.0 : f32
  scf.forall (%i) in (2) {
    %v = memref.subview %y[%i] [1] [1] : memref<4096xf32> to memref<1xf32, strided<[1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%v : memref<1xf32, strided<[1], offset: ?>>)
  }
  linalg.reduce ins(%x : memref<4096xf32>) outs(%s : memref<f32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %0 = arith.addf %in, %acc : f32
      linalg.yield %0 : f32
    }
  return
}

// -----

func.func @dynamic(%x: memref<?xf32>, %y: memref<?xf32>) {
  // expected-error @below {{cannot be distributed over thread blocks: it needs static shapes on buffers}}
  linalg.copy ins(%x : memref<?xf32>) outs(%y : memref<?xf32>)
  return
}

// -----

// The zero fill of a reduction's accumulator, right before it, is done by
// each block for its own rows: one kernel, no launch for the fill.
// CHECK-LABEL: func.func @fill_folded
//   CHECK-NOT:   linalg.fill
//       CHECK:   scf.forall (%[[I:.+]]) in (64) {
//       CHECK:     %[[ROWS:.+]] = memref.subview %{{.+}}[%{{.+}}] [16] [1]
//       CHECK:     linalg.fill ins(%{{.+}} : f32) outs(%[[ROWS]] :
//       CHECK:     linalg.generic
//  CHECK-SAME:       outs(%[[ROWS]] :
//       CHECK:   } {mapping = [#gpu.block<linear_dim_0>], tfm.kernel = "reduction"}
//   CHECK-NOT:   linalg.fill
func.func @fill_folded(%x: memref<1024x768xf32>, %y: memref<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1024xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<1024x768xf32>) outs(%y : memref<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// A fill of another buffer, or one the next op overwrites without reading,
// stays a kernel of its own.
// CHECK-LABEL: func.func @fill_kept
//       CHECK:   scf.forall
//       CHECK:     linalg.fill
//       CHECK:   tfm.kernel = "fill"
//       CHECK:   scf.forall
//   CHECK-NOT:     linalg.fill
//       CHECK:   tfm.kernel = "elementwise"
func.func @fill_kept(%x: memref<1024xf32>, %y: memref<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1024xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<1024xf32>) outs(%y : memref<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  return
}
