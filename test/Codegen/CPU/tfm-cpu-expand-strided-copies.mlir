// RUN: gpt3-opt %s --tfm-cpu-expand-strided-copies | FileCheck %s

// A copy between strided views becomes linalg.copy; a contiguous one stays
// a memref.copy (a memcpy).
// CHECK-LABEL: func.func @rows
//       CHECK:   linalg.copy ins(%{{.*}} : memref<2x4x8xf32, strided<[256, 64, 1], offset: ?>>) outs(%{{.*}} : memref<2x4x8xf32, strided<[256, 64, 1], offset: ?>>)
//   CHECK-NOT:   memref.copy %[[A:.*]], %{{.*}} : memref<2x4x8xf32, strided
//       CHECK:   memref.copy %{{.*}}, %{{.*}} : memref<16xf32> to memref<16xf32>
func.func @rows(%a: memref<2x4x8xf32, strided<[256, 64, 1], offset: ?>>, %b: memref<2x4x8xf32, strided<[256, 64, 1], offset: ?>>, %c: memref<16xf32>, %d: memref<16xf32>) {
  memref.copy %a, %b : memref<2x4x8xf32, strided<[256, 64, 1], offset: ?>> to memref<2x4x8xf32, strided<[256, 64, 1], offset: ?>>
  memref.copy %c, %d : memref<16xf32> to memref<16xf32>
  return
}
