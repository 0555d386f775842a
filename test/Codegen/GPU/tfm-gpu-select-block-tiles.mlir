// RUN: gpt3-opt %s --split-input-file --tfm-gpu-select-block-tiles | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-gpu-select-block-tiles="block-m=64 block-n=32" | FileCheck %s --check-prefix=SMALL
// RUN: gpt3-opt %s --split-input-file --tfm-gpu-select-block-tiles --tfm-fuse-matmul-epilogues --canonicalize --cse | FileCheck %s --check-prefix=FUSED

// A matmul: 128 x 128 output tiles (block-m = 64, block-n = 32 with the
// options), the reduction whole.
// CHECK-LABEL: func.func @matmul
//       CHECK:   linalg.matmul {tfm.thread_tiles = array<i64: 128, 128, 0>}
// SMALL-LABEL: func.func @matmul
//       SMALL:   linalg.matmul {tfm.thread_tiles = array<i64: 64, 32, 0>}
func.func @matmul(%a: tensor<256x768xf32>, %b: tensor<768x3072xf32>, %c: tensor<256x3072xf32>) -> tensor<256x3072xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<256x768xf32>, tensor<768x3072xf32>) outs(%c : tensor<256x3072xf32>) -> tensor<256x3072xf32>
  return %0 : tensor<256x3072xf32>
}

// -----

// Extents without a divisor of 128 take their largest divisor below it
// (96 rows, 50257 = 29 x 1733 columns: 29); batch loops step by one.
// CHECK-LABEL: func.func @batch_matmul
//       CHECK:   linalg.batch_matmul {tfm.thread_tiles = array<i64: 1, 96, 29, 0>}
func.func @batch_matmul(%a: tensor<4x96x64xf32>, %b: tensor<4x64x50257xf32>, %c: tensor<4x96x50257xf32>) -> tensor<4x96x50257xf32> {
  %0 = linalg.batch_matmul ins(%a, %b : tensor<4x96x64xf32>, tensor<4x64x50257xf32>) outs(%c : tensor<4x96x50257xf32>) -> tensor<4x96x50257xf32>
  return %0 : tensor<4x96x50257xf32>
}

// -----

// gelu(x @ W + b) on the GPU's blocks: the shared epilogue kernel tiles
// the GELU into 128 x 128 blocks, columns first, with the bias and the
// matmul tile fused into each; a tile of a kernel's loop (inside an
// scf.forall) gets no block of its own.
// FUSED-LABEL: func.func @bias_gelu
//       FUSED:   scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (3072, 256) step (128, 128)
//       FUSED:     linalg.generic {{.*}} outs(%{{.*}} : tensor<128x128xf32>)
//       FUSED:     linalg.matmul {tfm.thread_tiles = array<i64: 128, 128, 0>} {{.*}} outs(%{{.*}} : tensor<128x128xf32>)
//       FUSED:     math.tanh
//       FUSED:   scf.forall (%{{.*}}) in (2)
//       FUSED:     linalg.matmul ins
//   FUSED-NOT:   tfm.thread_tiles
#bias = affine_map<(d0, d1) -> (d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @bias_gelu(%x: tensor<256x768xf32>, %w: tensor<768x3072xf32>, %b: tensor<3072xf32>, %y: tensor<2x16x16xf32>) -> (tensor<256x3072xf32>, tensor<2x16x16xf32>) {
  %e = tensor.empty() : tensor<256x3072xf32>
  %bias = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel"]} ins(%b : tensor<3072xf32>) outs(%e : tensor<256x3072xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<256x3072xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<256x768xf32>, tensor<768x3072xf32>) outs(%bias : tensor<256x3072xf32>) -> tensor<256x3072xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<256x3072xf32>) outs(%e : tensor<256x3072xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<256x3072xf32>
  %f = scf.forall (%i) in (2) shared_outs(%o = %y) -> (tensor<2x16x16xf32>) {
    %a = tensor.extract_slice %x[0, 0] [16, 16] [1, 1] : tensor<256x768xf32> to tensor<16x16xf32>
    %z = tensor.extract_slice %o[%i, 0, 0] [1, 16, 16] [1, 1, 1] : tensor<2x16x16xf32> to tensor<16x16xf32>
    %p = linalg.matmul ins(%a, %a : tensor<16x16xf32>, tensor<16x16xf32>) outs(%z : tensor<16x16xf32>) -> tensor<16x16xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %p into %o[%i, 0, 0] [1, 16, 16] [1, 1, 1] : tensor<16x16xf32> into tensor<2x16x16xf32>
    }
  }
  return %g, %f : tensor<256x3072xf32>, tensor<2x16x16xf32>
}
