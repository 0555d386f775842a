// RUN: gpt3-opt %s --split-input-file --tfm-cpu-pin-split-views | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-cpu-pin-split-views --fold-memref-alias-ops | FileCheck %s --check-prefix=FOLDED

// The split view of a packed matmul's result becomes a reinterpret_cast to
// the same layout; alias folding then leaves the 8 x 1 x 32 accumulator on
// the 4-D view instead of re-indexing it on the 3-D buffer.
// CHECK-LABEL: func.func @accumulator
//       CHECK:   %[[VIEW:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [4, 64, 1568, 32], strides: [3216448, 50257, 32, 1]
//  CHECK-SAME:     to memref<4x64x1568x32xf32, strided<[3216448, 50257, 32, 1]>>
//   CHECK-NOT:   memref.expand_shape
// FOLDED-LABEL: func.func @accumulator
//       FOLDED:   %[[VIEW:.*]] = memref.reinterpret_cast
//       FOLDED:   vector.transfer_read %[[VIEW]][%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true, true, true]} : memref<4x64x1568x32xf32, strided<[3216448, 50257, 32, 1]>>, vector<8x1x32xf32>
func.func @accumulator(%c: memref<4x64x50257xf32>, %b: index, %t: index, %j: index) -> vector<8x1x32xf32> {
  %f = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  // (Alias folding builds affine.apply ops: the parser loads the dialect.)
  %bb = affine.apply affine_map<(d0) -> (d0)>(%b)
  %cols = memref.subview %c[0, 0, 0] [4, 64, 50176] [1, 1, 1] : memref<4x64x50257xf32> to memref<4x64x50176xf32, strided<[3216448, 50257, 1]>>
  %view = memref.expand_shape %cols [[0], [1], [2, 3]] output_shape [4, 64, 1568, 32] : memref<4x64x50176xf32, strided<[3216448, 50257, 1]>> into memref<4x64x1568x32xf32, strided<[3216448, 50257, 32, 1]>>
  %tile = memref.subview %view[%bb, %t, %j, 0] [1, 8, 1, 32] [1, 1, 1, 1] : memref<4x64x1568x32xf32, strided<[3216448, 50257, 32, 1]>> to memref<1x8x1x32xf32, strided<[3216448, 50257, 32, 1], offset: ?>>
  %v = vector.transfer_read %tile[%c0, %c0, %c0, %c0], %f {in_bounds = [true, true, true]} : memref<1x8x1x32xf32, strided<[3216448, 50257, 32, 1], offset: ?>>, vector<8x1x32xf32>
  return %v : vector<8x1x32xf32>
}

// -----

// A split with a dynamic offset has no static layout to state: left alone.
// CHECK-LABEL: func.func @dynamic_offset
//       CHECK:   memref.expand_shape
func.func @dynamic_offset(%c: memref<64x128xf32, strided<[128, 1], offset: ?>>) -> memref<64x4x32xf32, strided<[128, 32, 1], offset: ?>> {
  %view = memref.expand_shape %c [[0], [1, 2]] output_shape [64, 4, 32] : memref<64x128xf32, strided<[128, 1], offset: ?>> into memref<64x4x32xf32, strided<[128, 32, 1], offset: ?>>
  return %view : memref<64x4x32xf32, strided<[128, 32, 1], offset: ?>>
}
