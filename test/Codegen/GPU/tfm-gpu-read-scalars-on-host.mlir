// RUN: gpt3-opt %s --split-input-file --tfm-gpu-read-scalars-on-host --verify-diagnostics | FileCheck %s

// The position is read once, at the entry; the host's load and the one in
// a block's step use that value.
// CHECK-LABEL: func.func @decode
//  CHECK-NEXT:   %[[POS:.+]] = memref.load %arg0[] : memref<i32>
//   CHECK-NOT:   memref.load %arg0
//       CHECK:   arith.index_cast %[[POS]]
//       CHECK:   scf.forall
//       CHECK:     arith.sitofp %[[POS]]
func.func @decode(%pos: memref<i32> {tfm.input = "pos"}, %cache: memref<8xf32>, %out: memref<f32>) {
  %p = memref.load %pos[] : memref<i32>
  %i = arith.index_cast %p : i32 to index
  %v = memref.load %cache[%i] : memref<8xf32>
  scf.forall (%b) in (1) {
    %q = memref.load %pos[] : memref<i32>
    %f = arith.sitofp %q : i32 to f32
    %s = arith.addf %f, %v : f32
    memref.store %s, %out[] : memref<f32>
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

// Other rank-0 buffers (an output) are left alone.
// CHECK-LABEL: func.func @output
//   CHECK-NOT:   memref.load
//       CHECK:   memref.store
func.func @output(%loss: memref<f32>) {
  %zero = arith.constant 0.0 : f32
  memref.store %zero, %loss[] : memref<f32>
  return
}

// -----

func.func @copied(%lr: memref<f32> {tfm.input = "lr"}, %out: memref<f32>) {
  // expected-error @below {{uses the scalar input #0 other than by loading it; kernels get it by value}}
  memref.copy %lr, %out : memref<f32> to memref<f32>
  return
}
