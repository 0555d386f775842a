// RUN: gpt3-opt %s --tfm-hoist-vector-transfers | FileCheck %s

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
