// RUN: gpt3-opt %s --split-input-file --tfm-compute-in-place | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-compute-in-place --eliminate-empty-tensors --one-shot-bufferize="bufferize-function-boundaries" --cse --canonicalize | FileCheck %s --check-prefix=BUF

// A layer loop keeps a flat (B*T x C) matmul result for the backward pass
// in its stack as B x T x C: the stack is collapsed where the loop defines
// it, the flat value inserted, the result expanded back. Bufferized, the
// matmul writes into the stack's slot: no copy.
// CHECK-LABEL: func.func @stack_expanded
//       CHECK:   scf.for %[[I:.+]] = {{.+}} iter_args(%[[STACK:.+]] = {{.+}})
//  CHECK-NEXT:     %[[FLAT:.+]] = tensor.collapse_shape %[[STACK]] {{\[}}[0], [1, 2], [3]] : tensor<6x4x64x768xf32> into tensor<6x256x768xf32>
//       CHECK:     %[[V:.+]] = linalg.matmul
//       CHECK:     %[[IN:.+]] = tensor.insert_slice %[[V]] into %[[FLAT]][%[[I]], 0, 0] [1, 256, 768] [1, 1, 1]
//       CHECK:     %[[BACK:.+]] = tensor.expand_shape %[[IN]] {{\[}}[0], [1, 2], [3]] output_shape [6, 4, 64, 768]
//       CHECK:     scf.yield %[[BACK]]
// BUF-LABEL: func.func @stack_expanded
//       BUF:   scf.for
//   BUF-NOT:     memref.copy
//       BUF:     linalg.matmul
//  BUF-SAME:       outs(%{{.+}} : memref<256x768xf32, strided<[768, 1], offset: ?>>)
//   BUF-NOT:     memref.copy
//       BUF:   return
func.func @stack_expanded(%a: tensor<256x768xf32>, %w: tensor<768x768xf32>) -> tensor<6x4x64x768xf32> {
  %stack = tensor.empty() : tensor<6x4x64x768xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %c6 step %c1 iter_args(%s = %stack) -> (tensor<6x4x64x768xf32>) {
    %e = tensor.empty() : tensor<256x768xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<256x768xf32>) -> tensor<256x768xf32>
    %v = linalg.matmul ins(%a, %w : tensor<256x768xf32>, tensor<768x768xf32>) outs(%f : tensor<256x768xf32>) -> tensor<256x768xf32>
    %x = tensor.expand_shape %v [[0, 1], [2]] output_shape [4, 64, 768] : tensor<256x768xf32> into tensor<4x64x768xf32>
    %n = tensor.insert_slice %x into %s[%i, 0, 0, 0] [1, 4, 64, 768] [1, 1, 1, 1] : tensor<4x64x768xf32> into tensor<6x4x64x768xf32>
    scf.yield %n : tensor<6x4x64x768xf32>
  }
  return %r : tensor<6x4x64x768xf32>
}

// -----

// Attention's output, computed as (B, T, H, D), is kept as (B, T, C): the
// stack's last dimension is split into heads instead.
// CHECK-LABEL: func.func @stack_collapsed
//       CHECK:   %[[HEADS:.+]] = tensor.expand_shape %{{.+}} {{\[}}[0], [1], [2], [3, 4]] output_shape [6, 4, 64, 12, 64]
//       CHECK:   %[[IN:.+]] = tensor.insert_slice %{{.+}} into %[[HEADS]][%{{.+}}, 0, 0, 0, 0] [1, 4, 64, 12, 64] [1, 1, 1, 1, 1]
//       CHECK:   tensor.collapse_shape %[[IN]] {{\[}}[0], [1], [2], [3, 4]] : tensor<6x4x64x12x64xf32> into tensor<6x4x64x768xf32>
func.func @stack_collapsed(%x: tensor<4x64x12x64xf32>, %stack: tensor<6x4x64x768xf32>, %i: index) -> tensor<6x4x64x768xf32> {
  %e = tensor.empty() : tensor<4x64x12x64xf32>
  %y = linalg.copy ins(%x : tensor<4x64x12x64xf32>) outs(%e : tensor<4x64x12x64xf32>) -> tensor<4x64x12x64xf32>
  %c = tensor.collapse_shape %y [[0], [1], [2, 3]] : tensor<4x64x12x64xf32> into tensor<4x64x768xf32>
  %n = tensor.insert_slice %c into %stack[%i, 0, 0, 0] [1, 4, 64, 768] [1, 1, 1, 1] : tensor<4x64x768xf32> into tensor<6x4x64x768xf32>
  return %n : tensor<6x4x64x768xf32>
}

// -----

// Left alone: a split group whose inner dimension the slice covers only in
// part, a destination that is also read (an accumulation matches its read
// and write only when both address the destination alike), a value no op
// computes into an init, and reshapes of unit dimensions only.
// CHECK-LABEL: func.func @partial
//   CHECK-NOT:   tensor.collapse_shape
//       CHECK:   return
func.func @partial(%v: tensor<256x768xf32>, %d: tensor<8x128x768xf32>) -> tensor<8x128x768xf32> {
  %f = tensor.empty() : tensor<256x768xf32>
  %w = linalg.copy ins(%v : tensor<256x768xf32>) outs(%f : tensor<256x768xf32>) -> tensor<256x768xf32>
  %x = tensor.expand_shape %w [[0, 1], [2]] output_shape [4, 64, 768] : tensor<256x768xf32> into tensor<4x64x768xf32>
  %n = tensor.insert_slice %x into %d[0, 0, 0] [4, 64, 768] [1, 1, 1] : tensor<4x64x768xf32> into tensor<8x128x768xf32>
  return %n : tensor<8x128x768xf32>
}
// CHECK-LABEL: func.func @read_too
//   CHECK-NOT:   tensor.collapse_shape
//       CHECK:   return
func.func @read_too(%v: tensor<256x768xf32>, %d: tensor<8x64x768xf32>) -> (tensor<8x64x768xf32>, tensor<4x64x768xf32>) {
  %f = tensor.empty() : tensor<256x768xf32>
  %w = linalg.copy ins(%v : tensor<256x768xf32>) outs(%f : tensor<256x768xf32>) -> tensor<256x768xf32>
  %x = tensor.expand_shape %w [[0, 1], [2]] output_shape [4, 64, 768] : tensor<256x768xf32> into tensor<4x64x768xf32>
  %n = tensor.insert_slice %x into %d[4, 0, 0] [4, 64, 768] [1, 1, 1] : tensor<4x64x768xf32> into tensor<8x64x768xf32>
  %r = tensor.extract_slice %d[0, 0, 0] [4, 64, 768] [1, 1, 1] : tensor<8x64x768xf32> to tensor<4x64x768xf32>
  return %n, %r : tensor<8x64x768xf32>, tensor<4x64x768xf32>
}
// CHECK-LABEL: func.func @argument
//   CHECK-NOT:   tensor.collapse_shape
//       CHECK:   return
func.func @argument(%v: tensor<256x768xf32>, %d: tensor<8x64x768xf32>) -> tensor<8x64x768xf32> {
  %x = tensor.expand_shape %v [[0, 1], [2]] output_shape [4, 64, 768] : tensor<256x768xf32> into tensor<4x64x768xf32>
  %n = tensor.insert_slice %x into %d[4, 0, 0] [4, 64, 768] [1, 1, 1] : tensor<4x64x768xf32> into tensor<8x64x768xf32>
  return %n : tensor<8x64x768xf32>
}
// CHECK-LABEL: func.func @units
//   CHECK-NOT:   tensor.collapse_shape
//       CHECK:   return
func.func @units(%u: tensor<16xf32>, %e: tensor<2x16x1xf32>) -> tensor<2x16x1xf32> {
  %g = tensor.empty() : tensor<16xf32>
  %uu = linalg.copy ins(%u : tensor<16xf32>) outs(%g : tensor<16xf32>) -> tensor<16xf32>
  %unit = tensor.expand_shape %uu [[0, 1]] output_shape [16, 1] : tensor<16xf32> into tensor<16x1xf32>
  %n = tensor.insert_slice %unit into %e[1, 0, 0] [1, 16, 1] [1, 1, 1] : tensor<16x1xf32> into tensor<2x16x1xf32>
  return %n : tensor<2x16x1xf32>
}

// -----

// A zero fill two accumulations write into: each gets a fill of its own,
// right before it, and no buffer is copied.
// CHECK-LABEL: func.func @shared_fill
//       CHECK:   tensor.empty
//  CHECK-NEXT:   %[[F1:.+]] = linalg.fill
//  CHECK-NEXT:   linalg.generic {{.+}} outs(%[[F1]] :
//       CHECK:   tensor.empty
//  CHECK-NEXT:   %[[F2:.+]] = linalg.fill
//  CHECK-NEXT:   linalg.generic {{.+}} outs(%[[F2]] :
// BUF-LABEL: func.func @shared_fill
//   BUF-NOT:   memref.copy
//       BUF:   return
func.func @shared_fill(%x: tensor<64x768xf32>, %y: tensor<64x768xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<64xf32>) -> tensor<64xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<64x768xf32>) outs(%z : tensor<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<64xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%y : tensor<64x768xf32>) outs(%z : tensor<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<64xf32>
  return %a, %b : tensor<64xf32>, tensor<64xf32>
}

// -----

// The same fill already tiled for threads, over a reshape of an empty
// tensor (a packed matmul's accumulator view): each accumulation gets its
// own loop over an empty tensor of the loop's own shape (which empty-tensor
// elimination can replace with a slot), and no buffer is copied.
// CHECK-LABEL: func.func @shared_tiled_fill
//       CHECK:   tensor.empty() : tensor<64x2x32xf32>
//  CHECK-NEXT:   %[[F1:.+]] = scf.forall
//       CHECK:   linalg.generic {{.+}} outs(%[[F1]] :
//       CHECK:   tensor.empty() : tensor<64x2x32xf32>
//  CHECK-NEXT:   %[[F2:.+]] = scf.forall
//       CHECK:   linalg.generic {{.+}} outs(%[[F2]] :
//   CHECK-NOT:   scf.forall (
// BUF-LABEL: func.func @shared_tiled_fill
//   BUF-NOT:   memref.copy
//       BUF:   return
func.func @shared_tiled_fill(%x: tensor<64x2x32xf32>, %y: tensor<64x2x32xf32>) -> (tensor<64x2x32xf32>, tensor<64x2x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %v = tensor.expand_shape %e [[0], [1, 2]] output_shape [64, 2, 32] : tensor<64x64xf32> into tensor<64x2x32xf32>
  %z = scf.forall (%i) = (0) to (64) step (32) shared_outs(%out = %v) -> (tensor<64x2x32xf32>) {
    %slice = tensor.extract_slice %out[%i, 0, 0] [32, 2, 32] [1, 1, 1] : tensor<64x2x32xf32> to tensor<32x2x32xf32>
    %f = linalg.fill ins(%zero : f32) outs(%slice : tensor<32x2x32xf32>) -> tensor<32x2x32xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %f into %out[%i, 0, 0] [32, 2, 32] [1, 1, 1] : tensor<32x2x32xf32> into tensor<64x2x32xf32>
    }
  }
  %a = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<64x2x32xf32>) outs(%z : tensor<64x2x32xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %in, %acc : f32
    linalg.yield %0 : f32
  } -> tensor<64x2x32xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y : tensor<64x2x32xf32>) outs(%z : tensor<64x2x32xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %in, %acc : f32
    linalg.yield %0 : f32
  } -> tensor<64x2x32xf32>
  return %a, %b : tensor<64x2x32xf32>, tensor<64x2x32xf32>
}

// -----

// A loop that reads a tensor from outside is no fill: kept as it is, shared.
// CHECK-LABEL: func.func @shared_loop_reading_input
//   CHECK-COUNT-1: scf.forall (
//   CHECK-NOT:   scf.forall (
func.func @shared_loop_reading_input(%x: tensor<64xf32>, %y: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %e = tensor.empty() : tensor<64xf32>
  %z = scf.forall (%i) = (0) to (64) step (32) shared_outs(%out = %e) -> (tensor<64xf32>) {
    %in = tensor.extract_slice %x[%i] [32] [1] : tensor<64xf32> to tensor<32xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %in into %out[%i] [32] [1] : tensor<32xf32> into tensor<64xf32>
    }
  }
  %a = linalg.add ins(%y, %y : tensor<64xf32>, tensor<64xf32>) outs(%z : tensor<64xf32>) -> tensor<64xf32>
  %b = linalg.mul ins(%y, %y : tensor<64xf32>, tensor<64xf32>) outs(%z : tensor<64xf32>) -> tensor<64xf32>
  return %a, %b : tensor<64xf32>, tensor<64xf32>
}

// -----

// One accumulation into a tiled fill of a reshaped empty tensor, its result
// inserted into a stack's slot: the fill gets an empty tensor of its own
// shape, and the accumulation is computed in the slot, with no copy.
// CHECK-LABEL: func.func @tiled_fill_into_slot
//       CHECK:   tensor.empty() : tensor<64x2x32xf32>
//  CHECK-NEXT:   scf.forall
// BUF-LABEL: func.func @tiled_fill_into_slot
//   BUF-NOT:   memref.copy
//       BUF:   return
func.func @tiled_fill_into_slot(%x: tensor<64x2x32xf32>, %stack: tensor<4x64x2x32xf32>, %i: index) -> tensor<4x64x2x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %v = tensor.expand_shape %e [[0], [1, 2]] output_shape [64, 2, 32] : tensor<64x64xf32> into tensor<64x2x32xf32>
  %z = scf.forall (%j) = (0) to (64) step (32) shared_outs(%out = %v) -> (tensor<64x2x32xf32>) {
    %slice = tensor.extract_slice %out[%j, 0, 0] [32, 2, 32] [1, 1, 1] : tensor<64x2x32xf32> to tensor<32x2x32xf32>
    %f = linalg.fill ins(%zero : f32) outs(%slice : tensor<32x2x32xf32>) -> tensor<32x2x32xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %f into %out[%j, 0, 0] [32, 2, 32] [1, 1, 1] : tensor<32x2x32xf32> into tensor<64x2x32xf32>
    }
  }
  %a = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<64x2x32xf32>) outs(%z : tensor<64x2x32xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %in, %acc : f32
    linalg.yield %0 : f32
  } -> tensor<64x2x32xf32>
  %s = tensor.insert_slice %a into %stack[%i, 0, 0, 0] [1, 64, 2, 32] [1, 1, 1, 1] : tensor<64x2x32xf32> into tensor<4x64x2x32xf32>
  return %s : tensor<4x64x2x32xf32>
}

// -----

// A fill vectorized into a sequential loop (too small for threads) and
// hoisted out of a layer loop, where an accumulation writes into it on
// every iteration: the accumulation gets its own fill inside the loop, not
// a copy of the hoisted one.
// CHECK-LABEL: func.func @hoisted_vector_fill
//       CHECK:   scf.for
//       CHECK:     tensor.empty() : tensor<64xf32>
//  CHECK-NEXT:     %[[F:.+]] = scf.for
//       CHECK:     linalg.add {{.+}} outs(%[[F]] :
// BUF-LABEL: func.func @hoisted_vector_fill
//   BUF-NOT:   memref.copy
//       BUF:   return
func.func @hoisted_vector_fill(%x: tensor<64xf32>, %stack: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zeros = arith.constant dense<0.0> : vector<16xf32>
  %e = tensor.empty() : tensor<64xf32>
  %z = scf.for %j = %c0 to %c64 step %c16 iter_args(%t = %e) -> (tensor<64xf32>) {
    %w = vector.transfer_write %zeros, %t[%j] {in_bounds = [true]} : vector<16xf32>, tensor<64xf32>
    scf.yield %w : tensor<64xf32>
  }
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%s = %stack) -> (tensor<4x64xf32>) {
    %a = linalg.add ins(%x, %x : tensor<64xf32>, tensor<64xf32>) outs(%z : tensor<64xf32>) -> tensor<64xf32>
    %n = tensor.insert_slice %a into %s[%i, 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<4x64xf32>
    scf.yield %n : tensor<4x64xf32>
  }
  return %r : tensor<4x64xf32>
}
