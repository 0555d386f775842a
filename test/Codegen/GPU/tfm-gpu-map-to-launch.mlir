// RUN: gpt3-opt %s --split-input-file --tfm-gpu-map-to-launch --verify-diagnostics | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-gpu-map-to-launch="max-threads=128" --verify-diagnostics | FileCheck %s --check-prefix=T128

// A block loop of 2 x 4 is a grid of 8 blocks (indices delinearized); its
// largest step needs 256 threads. Each step loops over the thread id,
// strided by the block size, then waits at a barrier. Scratch of the block
// lives in shared memory (1024 + 12 bytes, the second buffer at 1024),
// scratch of a thread step on that thread's stack.
// CHECK-LABEL: func.func @kernel
//       CHECK:   gpu.launch blocks(%[[BX:[^,]+]], %{{[^,]+}}, %{{[^)]+}}) in (%{{[^ ]+}} = %c8, %{{[^ ]+}} = %c1, %{{[^ ]+}} = %c1) threads(%[[TX:[^,]+]], %{{[^,]+}}, %{{[^)]+}}) in (%{{[^ ]+}} = %c256, %{{[^ ]+}} = %c1, %{{[^ ]+}} = %c1)
//  CHECK-SAME:     dynamic_shared_memory_size %c1040_i32 function(@kernel_fill)
//       CHECK:     %[[STACK:.+]] = memref.alloca() : memref<4xf32>
//       CHECK:     %[[SHARED:.+]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
//       CHECK:     %[[IDS:.+]]:2 = affine.delinearize_index %[[BX]] into (2, 4)
//       CHECK:     %[[BUFFER:.+]] = memref.view %[[SHARED]][%c0{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<256xf32, #gpu.address_space<workgroup>>
//       CHECK:     %[[SCRATCH:.+]] = memref.memory_space_cast %[[BUFFER]]
//       CHECK:     memref.view %[[SHARED]][%c1024{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<3xf32, #gpu.address_space<workgroup>>
//       CHECK:     scf.for %[[T:.+]] = %[[TX]] to %c256{{.*}} step %c256
//       CHECK:       affine.delinearize_index %[[T]] into (4, 64)
//       CHECK:       linalg.fill {{.+}} outs(%[[SCRATCH]]
//       CHECK:     gpu.barrier
//       CHECK:     scf.for %{{.+}} = %[[TX]] to %c200{{.*}} step %c256
//       CHECK:       linalg.fill {{.+}} outs(%[[STACK]]
//       CHECK:     gpu.barrier
//       CHECK:     gpu.terminator
//   CHECK-NOT:   scf.forall
// T128-LABEL: func.func @kernel
//       T128:   threads(%[[TX:[^,]+]], %{{[^,]+}}, %{{[^)]+}}) in (%{{[^ ]+}} = %c128
//       T128:     scf.for %{{.+}} = %[[TX]] to %c256{{.*}} step %c128
func.func @kernel(%y: memref<8x256xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i, %j) in (2, 4) {
    %scratch = memref.alloc() : memref<256xf32>
    %second = memref.alloc() : memref<3xf32>
    scf.forall (%t) in (1) {
      linalg.fill ins(%zero : f32) outs(%second : memref<3xf32>)
    } {mapping = [#gpu.thread<linear_dim_0>]}
    scf.forall (%r, %c) in (4, 64) {
      linalg.fill ins(%zero : f32) outs(%scratch : memref<256xf32>)
    } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
    scf.forall (%t) in (200) {
      %stack = memref.alloc() : memref<4xf32>
      linalg.fill ins(%zero : f32) outs(%stack : memref<4xf32>)
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_1>, #gpu.block<linear_dim_0>], tfm.kernel = "fill"}
  return
}

// -----

// Blocks from a tiling with steps (0 to 256 by 128) get their indices back;
// a grid no one named is a "kernel".
// CHECK-LABEL: func.func @strided
//       CHECK:   gpu.launch blocks(%[[BX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c2
//  CHECK-SAME:     function(@strided_kernel)
//       CHECK:     %[[ORIGIN:.+]] = arith.muli %[[BX]], %c128
//       CHECK:     memref.subview %{{.+}}[%[[ORIGIN]]]
func.func @strided(%y: memref<256xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i) = (0) to (256) step (128) {
    %ys = memref.subview %y[%i] [128] [1] : memref<256xf32> to memref<128xf32, strided<[1], offset: ?>>
    scf.forall (%t) in (1) {
      linalg.fill ins(%zero : f32) outs(%ys : memref<128xf32, strided<[1], offset: ?>>)
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

func.func @too_much_shared(%y: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{the block's scratch needs 262144 bytes of shared memory; at most 232448 fit}}
  scf.forall (%b) in (4) {
    %scratch = memref.alloc() : memref<256x256xf32>
    scf.forall (%t) in (1) {
      linalg.fill ins(%zero : f32) outs(%scratch : memref<256x256xf32>)
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

func.func @unmapped_inner(%y: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%b) in (4) {
    // expected-error @below {{a loop inside a thread block must be a thread or warp step with static bounds}}
    scf.forall (%t) in (1) {
      linalg.fill ins(%zero : f32) outs(%y : memref<4xf32>)
    }
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}
