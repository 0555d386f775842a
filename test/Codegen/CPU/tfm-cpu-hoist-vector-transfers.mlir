// RUN: gpt3-opt %s --split-input-file --tfm-cpu-hoist-vector-transfers | FileCheck %s

// The accumulator is read before the reduction loop, carried in registers,
// and written once after it.
// CHECK-LABEL: func.func @accumulate
//       CHECK:   %[[INIT:.*]] = vector.transfer_read %[[C:.*]][%c0, %c0]
//       CHECK:   %[[SUM:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[INIT]])
//   CHECK-NOT:     vector.transfer_write
//       CHECK:     scf.yield
//       CHECK:   vector.transfer_write %[[SUM]], %[[C]][%c0, %c0]
func.func @accumulate(%a: memref<8x64xf32>, %c: memref<8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f0 = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c64 step %c1 {
    %acc = vector.transfer_read %c[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<8x16xf32>, vector<8x16xf32>
    %x = vector.transfer_read %a[%c0, %k], %f0 {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d0, 0)>} : memref<8x64xf32>, vector<8x16xf32>
    %r = arith.addf %acc, %x : vector<8x16xf32>
    vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<8x16xf32>, memref<8x16xf32>
  }
  return
}

// -----

// An accumulator reached through a view of the output is hoisted as well:
// the other buffers in the loop have other roots.
// CHECK-LABEL: func.func @through_view
//       CHECK:   %[[V:.*]] = memref.expand_shape
//       CHECK:   %[[INIT:.*]] = vector.transfer_read %[[V]]
//       CHECK:   %[[SUM:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]])
//   CHECK-NOT:     vector.transfer_write
//       CHECK:     scf.yield
//       CHECK:   vector.transfer_write %[[SUM]], %[[V]]
func.func @through_view(%a: memref<8x64xf32>, %c: memref<8x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f0 = arith.constant 0.0 : f32
  %v = memref.expand_shape %c [[0], [1, 2]] output_shape [8, 2, 16] : memref<8x32xf32> into memref<8x2x16xf32>
  scf.for %k = %c0 to %c64 step %c1 {
    %acc = vector.transfer_read %v[%c0, %c1, %c0], %f0 {in_bounds = [true, true]} : memref<8x2x16xf32>, vector<8x16xf32>
    %x = vector.transfer_read %a[%c0, %k], %f0 {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d0, 0)>} : memref<8x64xf32>, vector<8x16xf32>
    %r = arith.addf %acc, %x : vector<8x16xf32>
    vector.transfer_write %r, %v[%c0, %c1, %c0] {in_bounds = [true, true]} : vector<8x16xf32>, memref<8x2x16xf32>
  }
  return
}

// -----

// A store elsewhere into the same root may overlap the accumulator: nothing
// moves.
// CHECK-LABEL: func.func @same_root_written
//       CHECK:   scf.for
//  CHECK-NEXT:     vector.transfer_read %{{.*}}[%c0, %c0, %c0]
//       CHECK:     memref.store
//  CHECK-NEXT:     vector.transfer_write
//  CHECK-NEXT:   {{^ *}}}
func.func @same_root_written(%a: memref<8x64xf32>, %c: memref<8x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f0 = arith.constant 0.0 : f32
  %v = memref.expand_shape %c [[0], [1, 2]] output_shape [8, 2, 16] : memref<8x32xf32> into memref<8x2x16xf32>
  scf.for %k = %c0 to %c64 step %c1 {
    %acc = vector.transfer_read %v[%c0, %c0, %c0], %f0 {in_bounds = [true, true]} : memref<8x2x16xf32>, vector<8x16xf32>
    %x = vector.transfer_read %a[%c0, %k], %f0 {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d0, 0)>} : memref<8x64xf32>, vector<8x16xf32>
    %r = arith.addf %acc, %x : vector<8x16xf32>
    memref.store %f0, %c[%c0, %k] : memref<8x32xf32>
    vector.transfer_write %r, %v[%c0, %c0, %c0] {in_bounds = [true, true]} : vector<8x16xf32>, memref<8x2x16xf32>
  }
  return
}

// -----

// A loop that may run zero times must not store the accumulator.
// CHECK-LABEL: func.func @maybe_empty
//       CHECK:   scf.for
//  CHECK-NEXT:     vector.transfer_read %{{.*}}[%c0, %c0]
func.func @maybe_empty(%a: memref<8x64xf32>, %c: memref<8x16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f0 = arith.constant 0.0 : f32
  scf.for %k = %c0 to %n step %c1 {
    %acc = vector.transfer_read %c[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<8x16xf32>, vector<8x16xf32>
    %x = vector.transfer_read %a[%c0, %k], %f0 {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d0, 0)>} : memref<8x64xf32>, vector<8x16xf32>
    %r = arith.addf %acc, %x : vector<8x16xf32>
    vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<8x16xf32>, memref<8x16xf32>
  }
  return
}
