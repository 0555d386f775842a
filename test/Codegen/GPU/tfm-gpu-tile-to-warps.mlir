// RUN: gpt3-opt %s --split-input-file --tfm-gpu-tile-to-warps | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-gpu-tile-to-warps="warp-tile-m=64 warp-tile-n=64 threads=64" | FileCheck %s --check-prefix=LARGE

// A block's 128 x 64 matmul tile over 8 warps: warp tiles of 32 x 32
// (4 x 2 of them, one per warp; 64 x 32 would leave half the warps idle,
// 64 x 16 loads more fragments per multiply), the reduction whole in each.
// With two warps and tiles up to 64 x 64, two tiles of 64 x 64.
// CHECK-LABEL: func.func @matmul
//       CHECK:   scf.forall (%{{.+}}) in (4) {
//       CHECK:     scf.forall (%[[M:.+]], %[[N:.+]]) in (4, 2) {
//       CHECK:       linalg.matmul ins(%{{.+}}, %{{.+}} : memref<32x768xf32, {{.+}}>, memref<768x32xf32, {{.+}}>) outs(%{{.+}} : memref<32x32xf32, {{.+}}>)
//       CHECK:     } {mapping = [#gpu.warp<linear_dim_1>, #gpu.warp<linear_dim_0>]}
//       CHECK:   } {mapping = [#gpu.block<linear_dim_0>]}
// LARGE-LABEL: func.func @matmul
//       LARGE:     scf.forall (%{{.+}}) in (2) {
//       LARGE:       linalg.matmul {{.+}} outs(%{{.+}} : memref<64x64xf32, {{.+}}>)
func.func @matmul(%a: memref<512x768xf32>, %b: memref<768x64xf32>, %c: memref<512x64xf32>) {
  scf.forall (%i) in (4) {
    %row = affine.apply affine_map<(d0) -> (d0 * 128)>(%i)
    %as = memref.subview %a[%row, 0] [128, 768] [1, 1] : memref<512x768xf32> to memref<128x768xf32, strided<[768, 1], offset: ?>>
    %cs = memref.subview %c[%row, 0] [128, 64] [1, 1] : memref<512x64xf32> to memref<128x64xf32, strided<[64, 1], offset: ?>>
    linalg.matmul ins(%as, %b : memref<128x768xf32, strided<[768, 1], offset: ?>>, memref<768x64xf32>) outs(%cs : memref<128x64xf32, strided<[64, 1], offset: ?>>)
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

// Not whole fragments (29 columns, a divisor of the vocabulary), or not a
// contraction: left for the threads.
// CHECK-LABEL: func.func @not_fragments
//   CHECK-NOT:   gpu.warp
func.func @not_fragments(%a: memref<64x768xf32>, %b: memref<768x29xf32>, %c: memref<64x29xf32>, %x: memref<64x64xf32>) {
  scf.forall (%i) in (1) {
    linalg.matmul ins(%a, %b : memref<64x768xf32>, memref<768x29xf32>) outs(%c : memref<64x29xf32>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : memref<64x64xf32>) {
    ^bb0(%out: f32):
      %0 = arith.mulf %out, %out : f32
      linalg.yield %0 : f32
    }
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

// A contraction with a reduction a reshape split (heads x head size) and
// unit batch loops: the innermost m, n and k decide; 8 tiles of 16 x 32
// keep the 8 warps busy.
// CHECK-LABEL: func.func @split_reduction
//       CHECK:     scf.forall (%{{.+}}, %{{.+}}) in (4, 2) {
//       CHECK:       linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : memref<1x16x12x64xf32, {{.+}}>, memref<12x64x32xf32, {{.+}}>) outs(%{{.+}} : memref<1x16x32xf32, {{.+}}>)
//       CHECK:     } {mapping = [#gpu.warp<linear_dim_1>, #gpu.warp<linear_dim_0>]}
func.func @split_reduction(%y: memref<1x64x12x64xf32>, %w: memref<12x64x64xf32>, %out: memref<1x64x64xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d3, d4, d2)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%y, %w : memref<1x64x12x64xf32>, memref<12x64x64xf32>) outs(%out : memref<1x64x64xf32>) {
    ^bb0(%in: f32, %in_0: f32, %acc: f32):
      %0 = arith.mulf %in, %in_0 : f32
      %1 = arith.addf %acc, %0 : f32
      linalg.yield %1 : f32
    }
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}
