// RUN: gpt3-opt %s --split-input-file --tfm-cpu-plan-buffers --verify-diagnostics | FileCheck %s

// Two temporaries whose lifetimes overlap get disjoint offsets; a third,
// allocated after the first is dead, reuses the first's bytes.
// CHECK-LABEL: func.func @plan
//  CHECK-SAME:   %[[WS:arg2]]: memref<512xi8> {tfm.workspace}) attributes {tfm.workspace_bytes = 512 : i64}
//       CHECK:   %[[A:.*]] = memref.view %[[WS]][%c0][] : memref<512xi8> to memref<64xf32>
//       CHECK:   %[[B:.*]] = memref.view %[[WS]][%c256][] : memref<512xi8> to memref<64xf32>
//       CHECK:   memref.copy %[[A]], %[[B]]
//       CHECK:   %[[D:.*]] = memref.view %[[WS]][%c0_{{[0-9]+}}][] : memref<512xi8> to memref<64xf32>
//       CHECK:   memref.copy %[[B]], %[[D]]
//   CHECK-NOT:   memref.alloc
func.func @plan(%in: memref<64xf32>, %out: memref<64xf32>) {
  %a = memref.alloc() : memref<64xf32>
  memref.copy %in, %a : memref<64xf32> to memref<64xf32>
  %b = memref.alloc() : memref<64xf32>
  memref.copy %a, %b : memref<64xf32> to memref<64xf32>
  %d = memref.alloc() : memref<64xf32>
  memref.copy %b, %d : memref<64xf32> to memref<64xf32>
  memref.copy %d, %out : memref<64xf32> to memref<64xf32>
  return
}

// -----

// A use through a view keeps the buffer alive.
// CHECK-LABEL: func.func @through_view
//  CHECK-SAME:   tfm.workspace_bytes = 128
func.func @through_view(%in: memref<2x8xf32>, %out: memref<16xf32>) {
  %a = memref.alloc() : memref<2x8xf32>
  memref.copy %in, %a : memref<2x8xf32> to memref<2x8xf32>
  %v = memref.collapse_shape %a [[0, 1]] : memref<2x8xf32> into memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  memref.copy %v, %b : memref<16xf32> to memref<16xf32>
  memref.copy %b, %out : memref<16xf32> to memref<16xf32>
  return
}

// -----

// Scratch allocated in a sequential loop moves to the function level and
// into the workspace.
// CHECK-LABEL: func.func @alloc_in_loop
//  CHECK-SAME:   %{{.*}}: memref<64xi8> {tfm.workspace}
//   CHECK-NOT:   memref.alloc
//       CHECK:   memref.view
//       CHECK:   scf.for
func.func @alloc_in_loop(%n: index, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %a = memref.alloc() : memref<4xf32>
    memref.store %x, %a[%c0] : memref<4xf32>
  }
  return
}

// -----

// Scratch in a parallel loop stays per thread: one stack slot at the top of
// the parallel body, reused by every iteration of the loops inside, and
// released by an alloca scope around that body.
// CHECK-LABEL: func.func @alloc_in_parallel_loop
//       CHECK:   scf.forall
//  CHECK-NEXT:     memref.alloca_scope {
//  CHECK-NEXT:       memref.alloca() {alignment = 64 : i64} : memref<16xf32>
//  CHECK-NEXT:       scf.for
//   CHECK-NOT:   memref.alloc(
func.func @alloc_in_parallel_loop(%n: index, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.forall (%t) in (2) {
    scf.for %i = %c0 to %n step %c1 {
      %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
      memref.store %x, %a[%c0] : memref<16xf32>
    }
  }
  return
}

// -----

func.func @negative_thread_scratch_too_big() {
  scf.forall (%t) in (2) {
    // expected-error @+1 {{thread scratch of 262144 bytes exceeds the 65536-byte stack budget}}
    %a = memref.alloc() : memref<65536xf32>
  }
  return
}

// -----

func.func @negative_dynamic_alloc_in_loop(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @+1 {{cannot hoist a dynamically sized allocation}}
    %a = memref.alloc(%i) : memref<?xf32>
  }
  return
}
