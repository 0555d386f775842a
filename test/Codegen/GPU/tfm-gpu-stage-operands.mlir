// RUN: gpt3-opt %s --split-input-file --tfm-gpu-stage-operands | FileCheck %s
// RUN: not gpt3-opt %s --split-input-file --tfm-gpu-stage-operands=k-tile=24 2>&1 | FileCheck %s --check-prefix=KTILE
// KTILE: k-tile must be a positive multiple of 16, got 24

// A 128 x 128 block tile over K = 768, one 64 x 32 tile per warp (8 of
// them): block scratch for a 32-wide slice of A (rows padded by 4, since
// they run along the reduction) and of B (padded by 8), allocated outside
// the warps' step; inside it, a loop over the 24 slices copies the
// block's slices, multiplies the warp's part of them into its own output
// tile (left where it was), and waits for every warp before the next copy.
// CHECK-LABEL: func.func @matmul
//       CHECK:   scf.forall (%{{.+}}) in (4) {
//       CHECK:     %[[A:.+]] = memref.alloc() : memref<128x36xf32>
//       CHECK:     %[[B:.+]] = memref.alloc() : memref<32x136xf32>
//       CHECK:     scf.forall (%[[M:.+]], %[[N:.+]]) in (2, 4) {
//       CHECK:       %[[ROW:.+]] = arith.muli %[[M]], %c64
//       CHECK:       %[[COL:.+]] = arith.muli %[[N]], %c32
//       CHECK:       %[[C:.+]] = memref.subview %{{.+}}[%[[ROW]], %[[COL]]] [64, 32] [1, 1]
//       CHECK:       scf.for %[[S:.+]] = %c0 to %c24 step %c1 {
//       CHECK:         %[[K:.+]] = affine.delinearize_index %[[S]] into (24)
//       CHECK:         %[[K0:.+]] = arith.muli %[[K]], %c32
//       CHECK:         %[[AG:.+]] = memref.subview %{{.+}}[0, %[[K0]]] [128, 32] [1, 1]
//       CHECK:         %[[AS:.+]] = memref.subview %[[A]][0, 0] [128, 32] [1, 1]
//       CHECK:         linalg.copy ins(%[[AG]] : {{.+}}) outs(%[[AS]] : {{.+}})
//       CHECK:         %[[AW:.+]] = memref.subview %[[AS]][%[[ROW]], 0] [64, 32] [1, 1]
//       CHECK:         %[[BG:.+]] = memref.subview %{{.+}}[%[[K0]], 0] [32, 128] [1, 1]
//       CHECK:         %[[BS:.+]] = memref.subview %[[B]][0, 0] [32, 128] [1, 1]
//       CHECK:         linalg.copy ins(%[[BG]] : {{.+}}) outs(%[[BS]] : {{.+}})
//       CHECK:         %[[BW:.+]] = memref.subview %[[BS]][0, %[[COL]]] [32, 32] [1, 1]
//       CHECK:         linalg.matmul ins(%[[AW]], %[[BW]] : memref<64x32xf32, strided<[36, 1], offset: ?>>, memref<32x32xf32, strided<[136, 1], offset: ?>>) outs(%[[C]] : {{.+}})
//       CHECK:         gpu.barrier
//       CHECK:       }
//       CHECK:     } {mapping = [#gpu.warp<linear_dim_1>, #gpu.warp<linear_dim_0>]}
func.func @matmul(%a: memref<512x768xf32>, %b: memref<768x128xf32>, %c: memref<512x128xf32>) {
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  scf.forall (%i) in (4) {
    %row = affine.apply affine_map<(d0) -> (d0 * 128)>(%i)
    %as = memref.subview %a[%row, 0] [128, 768] [1, 1] : memref<512x768xf32> to memref<128x768xf32, strided<[768, 1], offset: ?>>
    %cs = memref.subview %c[%row, 0] [128, 128] [1, 1] : memref<512x128xf32> to memref<128x128xf32, strided<[128, 1], offset: ?>>
    scf.forall (%m, %n) in (2, 4) {
      %r = arith.muli %m, %c64 : index
      %q = arith.muli %n, %c32 : index
      %aw = memref.subview %as[%r, 0] [64, 768] [1, 1] : memref<128x768xf32, strided<[768, 1], offset: ?>> to memref<64x768xf32, strided<[768, 1], offset: ?>>
      %bw = memref.subview %b[0, %q] [768, 32] [1, 1] : memref<768x128xf32> to memref<768x32xf32, strided<[128, 1], offset: ?>>
      %cw = memref.subview %cs[%r, %q] [64, 32] [1, 1] : memref<128x128xf32, strided<[128, 1], offset: ?>> to memref<64x32xf32, strided<[128, 1], offset: ?>>
      linalg.matmul ins(%aw, %bw : memref<64x768xf32, strided<[768, 1], offset: ?>>, memref<768x32xf32, strided<[128, 1], offset: ?>>) outs(%cw : memref<64x32xf32, strided<[128, 1], offset: ?>>)
    } {mapping = [#gpu.warp<linear_dim_1>, #gpu.warp<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

// A reduction a reshape split (heads x head size), B read as (n, k):
// slices walk each head, then 32 of its 64; B's slice rows run along the
// reduction (padded by 4). A is already block scratch (attention's tile):
// only B is staged, A's slice read where it is.
// CHECK-LABEL: func.func @heads
//       CHECK:     %[[B:.+]] = memref.alloc() : memref<128x1x36xf32>
//   CHECK-NOT:     memref.alloc
//       CHECK:       scf.for %[[S:.+]] = %c0 to %c24 step %c1 {
//       CHECK:         %[[P:.+]]:2 = affine.delinearize_index %[[S]] into (12, 2)
//       CHECK:         %[[K0:.+]] = arith.muli %[[P]]#1, %c32
//       CHECK:         %[[AW:.+]] = memref.subview %{{.+}}[0, %[[P]]#0, %[[K0]]] [64, 1, 32] [1, 1, 1]
//       CHECK:         memref.subview %arg0[0, %[[P]]#0, %[[K0]]] [128, 1, 32] [1, 1, 1]
//       CHECK:         linalg.copy
//       CHECK:         linalg.generic {{.+}} ins(%[[AW]], %{{.+}} : memref<64x1x32xf32, {{.+}}>, memref<32x1x32xf32, {{.+}}>)
//       CHECK:         gpu.barrier
func.func @heads(%b: memref<128x12x64xf32>, %c: memref<128x128xf32>) {
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  scf.forall (%i) in (1) {
    %y = memref.alloc() : memref<128x12x64xf32>
    scf.forall (%m, %n) in (2, 4) {
      %r = arith.muli %m, %c64 : index
      %q = arith.muli %n, %c32 : index
      %yw = memref.subview %y[%r, 0, 0] [64, 12, 64] [1, 1, 1] : memref<128x12x64xf32> to memref<64x12x64xf32, strided<[768, 64, 1], offset: ?>>
      %bw = memref.subview %b[%q, 0, 0] [32, 12, 64] [1, 1, 1] : memref<128x12x64xf32> to memref<32x12x64xf32, strided<[768, 64, 1], offset: ?>>
      %cw = memref.subview %c[%r, %q] [64, 32] [1, 1] : memref<128x128xf32> to memref<64x32xf32, strided<[128, 1], offset: ?>>
      linalg.generic {indexing_maps = [affine_map<(m, n, h, k) -> (m, h, k)>, affine_map<(m, n, h, k) -> (n, h, k)>, affine_map<(m, n, h, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%yw, %bw : memref<64x12x64xf32, strided<[768, 64, 1], offset: ?>>, memref<32x12x64xf32, strided<[768, 64, 1], offset: ?>>) outs(%cw : memref<64x32xf32, strided<[128, 1], offset: ?>>) {
      ^bb0(%x: f32, %w: f32, %acc: f32):
        %0 = arith.mulf %x, %w : f32
        %1 = arith.addf %acc, %0 : f32
        linalg.yield %1 : f32
      }
    } {mapping = [#gpu.warp<linear_dim_1>, #gpu.warp<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

// Left alone: warps that take several tiles each (16 tiles for 8 warps:
// the slices would be copied once per tile), a reduction that is not
// whole slices, and operands that are all block scratch already.
// CHECK-LABEL: func.func @left_alone
//   CHECK-NOT:   gpu.barrier
//   CHECK-NOT:   scf.for %
func.func @left_alone(%a: memref<128x768xf32>, %b: memref<768x128xf32>, %c: memref<128x128xf32>, %d: memref<128x40xf32>, %e: memref<40x128xf32>) {
  %c32 = arith.constant 32 : index
  scf.forall (%i) in (1) {
    scf.forall (%m, %n) in (4, 4) {
      %r = arith.muli %m, %c32 : index
      %q = arith.muli %n, %c32 : index
      %aw = memref.subview %a[%r, 0] [32, 768] [1, 1] : memref<128x768xf32> to memref<32x768xf32, strided<[768, 1], offset: ?>>
      %bw = memref.subview %b[0, %q] [768, 32] [1, 1] : memref<768x128xf32> to memref<768x32xf32, strided<[128, 1], offset: ?>>
      %cw = memref.subview %c[%r, %q] [32, 32] [1, 1] : memref<128x128xf32> to memref<32x32xf32, strided<[128, 1], offset: ?>>
      linalg.matmul ins(%aw, %bw : memref<32x768xf32, strided<[768, 1], offset: ?>>, memref<768x32xf32, strided<[128, 1], offset: ?>>) outs(%cw : memref<32x32xf32, strided<[128, 1], offset: ?>>)
    } {mapping = [#gpu.warp<linear_dim_1>, #gpu.warp<linear_dim_0>]}
    scf.forall (%m) in (8) {
      %r = arith.muli %m, %c32 : index
      %dw = memref.subview %d[%r, 0] [16, 40] [1, 1] : memref<128x40xf32> to memref<16x40xf32, strided<[40, 1], offset: ?>>
      %cw = memref.subview %c[%r, 0] [16, 128] [1, 1] : memref<128x128xf32> to memref<16x128xf32, strided<[128, 1], offset: ?>>
      linalg.matmul ins(%dw, %e : memref<16x40xf32, strided<[40, 1], offset: ?>>, memref<40x128xf32>) outs(%cw : memref<16x128xf32, strided<[128, 1], offset: ?>>)
    } {mapping = [#gpu.warp<linear_dim_0>]}
    %x = memref.alloc() : memref<128x64xf32>
    %y = memref.alloc() : memref<64x128xf32>
    scf.forall (%m) in (8) {
      %r = arith.muli %m, %c32 : index
      %xw = memref.subview %x[%r, 0] [16, 64] [1, 1] : memref<128x64xf32> to memref<16x64xf32, strided<[64, 1], offset: ?>>
      %cw = memref.subview %c[%r, 0] [16, 128] [1, 1] : memref<128x128xf32> to memref<16x128xf32, strided<[128, 1], offset: ?>>
      linalg.matmul ins(%xw, %y : memref<16x64xf32, strided<[64, 1], offset: ?>>, memref<64x128xf32>) outs(%cw : memref<16x128xf32, strided<[128, 1], offset: ?>>)
    } {mapping = [#gpu.warp<linear_dim_0>]}
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

