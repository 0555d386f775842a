// RUN: gpt3-opt %s --tfm-gpu-emulate-on-host | FileCheck %s

// Thread steps run one after another; the block loop stays parallel, for
// the CPU's threads, without its GPU mapping; barriers (between a staged
// slice's use and the next copy) have nothing to wait for.
// CHECK-LABEL: func.func @kernel
//       CHECK:   scf.forall (%{{.+}}) in (4) {
//       CHECK:     scf.for %{{.+}} = %c0{{.*}} to %c4 step %c1{{.*}} {
//       CHECK:       scf.for %{{.+}} = %c0{{.*}} to %c64 step %c1{{.*}} {
//       CHECK:         linalg.fill
//   CHECK-NOT:   mapping
//   CHECK-NOT:   gpu.barrier
func.func @kernel(%y: memref<4x256xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%b) in (4) {
    scf.forall (%r, %c) in (4, 64) {
      %i = affine.apply affine_map<(d0, d1) -> (d0 * 64 + d1)>(%r, %c)
      %ys = memref.subview %y[%b, %i] [1, 1] [1, 1] : memref<4x256xf32> to memref<1x1xf32, strided<[256, 1], offset: ?>>
      linalg.fill ins(%zero : f32) outs(%ys : memref<1x1xf32, strided<[256, 1], offset: ?>>)
    } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
    gpu.barrier
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}
