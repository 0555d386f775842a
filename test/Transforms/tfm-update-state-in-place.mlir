// RUN: gpt3-opt %s --split-input-file --tfm-update-state-in-place --verify-diagnostics | FileCheck %s

// A state returned as its own argument is updated in place: the result
// goes away, the other result stays.
// CHECK-LABEL: func.func @decode(
//  CHECK-SAME:   %[[K:.*]]: memref<4xf32> {tfm.state = "k"}) -> memref<2xf32>
//       CHECK:   return %{{.*}} : memref<2xf32>
func.func @decode(%x: memref<2xf32>, %k: memref<4xf32> {tfm.state = "k"}) -> (memref<2xf32>, memref<4xf32>) {
  return %x, %k : memref<2xf32>, memref<4xf32>
}

// -----

// Functions without state are left alone.
// CHECK-LABEL: func.func @forward(
//  CHECK-SAME:   -> (memref<2xf32>, memref<2xf32>)
func.func @forward(%x: memref<2xf32>) -> (memref<2xf32>, memref<2xf32>) {
  return %x, %x : memref<2xf32>, memref<2xf32>
}

// -----

// A state that comes back as a copy would lose the update.
// expected-error @+1 {{state argument 1 is not returned updated in place}}
func.func @copied(%x: memref<4xf32>, %k: memref<4xf32> {tfm.state = "k"}) -> memref<4xf32> {
  return %x : memref<4xf32>
}

// -----

// A training step's updated parameter is its argument's buffer: dropped.
// CHECK-LABEL: func.func @train_step(
//  CHECK-SAME:   -> memref<f32>
//       CHECK:   return %{{.*}} : memref<f32>
func.func @train_step(%l: memref<f32>, %w: memref<4xf32> {tfm.param = "w"}) -> (memref<f32>, memref<4xf32> {tfm.param = "w"}) {
  return %l, %w : memref<f32>, memref<4xf32>
}

// -----

// An updated parameter written elsewhere would never reach the weights.
// expected-error @+1 {{parameter result 1 ('w') is not its argument updated in place}}
func.func @param_copied(%l: memref<f32>, %w: memref<4xf32> {tfm.param = "w"}, %c: memref<4xf32>) -> (memref<f32>, memref<4xf32> {tfm.param = "w"}) {
  return %l, %c : memref<f32>, memref<4xf32>
}
