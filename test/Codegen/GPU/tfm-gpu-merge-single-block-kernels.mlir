// RUN: gpt3-opt %s --split-input-file --tfm-gpu-merge-single-block-kernels | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-gpu-merge-single-block-kernels="shared-memory=64" | FileCheck %s --check-prefix=SMALL

// Three one-block kernels (a view between two of them) run as one, in
// order; a kernel of four blocks ends the run.
// CHECK-LABEL: func.func @run
//       CHECK:   memref.subview
//       CHECK:   scf.forall (%{{.+}}) in (1) {
//       CHECK:     linalg.fill ins(%cst
//       CHECK:     linalg.copy
//       CHECK:     linalg.fill ins(%cst_0
//       CHECK:   } {mapping = [#gpu.block<linear_dim_0>]}
//       CHECK:   scf.forall (%{{.+}}) in (4) {
//       CHECK:   } {mapping = [#gpu.block<linear_dim_0>]}
//   CHECK-NOT:   scf.forall (%{{.+}}) in (1)
func.func @run(%x: memref<64xf32>, %y: memref<64xf32>, %z: memref<256xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  scf.forall (%b) in (1) {
    linalg.fill ins(%zero : f32) outs(%x : memref<64xf32>)
  } {mapping = [#gpu.block<linear_dim_0>]}
  %view = memref.subview %z[0] [64] [1] : memref<256xf32> to memref<64xf32, strided<[1]>>
  scf.forall (%b) in (1) {
    linalg.copy ins(%x : memref<64xf32>) outs(%view : memref<64xf32, strided<[1]>>)
  } {mapping = [#gpu.block<linear_dim_0>]}
  scf.forall (%b) in (1) {
    linalg.fill ins(%one : f32) outs(%y : memref<64xf32>)
  } {mapping = [#gpu.block<linear_dim_0>]}
  scf.forall (%b) in (4) {
    linalg.fill ins(%one : f32) outs(%z : memref<256xf32>)
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

// Block scratch adds up: with a budget of 64 bytes, two kernels with 64
// bytes each stay apart. Ops with effects between kernels end a run.
// CHECK-LABEL: func.func @budget
//       CHECK:   scf.forall
//   CHECK-NOT:   scf.forall
//       CHECK:   memref.store
//       CHECK:   scf.forall
// SMALL-LABEL: func.func @budget
//       SMALL:   scf.forall
//       SMALL:   scf.forall
//       SMALL:   memref.store
func.func @budget(%y: memref<16xf32>, %s: memref<f32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%b) in (1) {
    %scratch = memref.alloc() : memref<16xf32>
    linalg.fill ins(%zero : f32) outs(%scratch : memref<16xf32>)
  } {mapping = [#gpu.block<linear_dim_0>]}
  scf.forall (%b) in (1) {
    %scratch = memref.alloc() : memref<16xf32>
    linalg.fill ins(%zero : f32) outs(%scratch : memref<16xf32>)
  } {mapping = [#gpu.block<linear_dim_0>]}
  memref.store %zero, %s[] : memref<f32>
  scf.forall (%b) in (1) {
    linalg.fill ins(%zero : f32) outs(%y : memref<16xf32>)
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}
