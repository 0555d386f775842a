// RUN: gpt3-opt %s --split-input-file --tfm-cpu-select-thread-tiles --tfm-cpu-tile-and-vectorize="min-parallel-iterations=0" --canonicalize | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-cpu-select-thread-tiles --tfm-cpu-tile-and-vectorize --canonicalize | FileCheck %s --check-prefix=SERIAL

// The cases below but the last run with every op split among threads
// (min-parallel-iterations=0), so that small shapes show the thread tiles.

// A matmul becomes thread blocks (scf.forall, 64 x 256), register tiles
// (8 x 32 x 1, columns outside rows, k innermost) and a vector.contract; no
// scalar matmul is left.
// CHECK-LABEL: func.func @matmul
//       CHECK:   scf.forall ({{.*}}) = (0, 0) to (128, 768) step (64, 256)
//       CHECK:     scf.for {{.*}} to %c256 step %c32
//       CHECK:       scf.for {{.*}} to %c64 step %c8
//       CHECK:         scf.for {{.*}} step %c1
//       CHECK:           vector.contract {{.*}} vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
//   CHECK-NOT:   linalg.matmul
func.func @matmul(%a: tensor<128x768xf32>, %b: tensor<768x768xf32>, %c: tensor<128x768xf32>) -> tensor<128x768xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<128x768xf32>, tensor<768x768xf32>) outs(%c : tensor<128x768xf32>) -> tensor<128x768xf32>
  return %0 : tensor<128x768xf32>
}

// -----

// Tiles divide their dimensions: an 81-column matmul gets 27-wide registers.
// CHECK-LABEL: func.func @matmul_tail
//       CHECK:     vector.contract {{.*}} into vector<8x27xf32>
func.func @matmul_tail(%a: tensor<16x32xf32>, %b: tensor<32x81xf32>, %c: tensor<16x81xf32>) -> tensor<16x81xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<16x32xf32>, tensor<32x81xf32>) outs(%c : tensor<16x81xf32>) -> tensor<16x81xf32>
  return %0 : tensor<16x81xf32>
}

// -----

// Batch matmuls keep one batch per tile.
// CHECK-LABEL: func.func @batch_matmul
//       CHECK:   scf.forall (%{{.*}}) in (4)
//       CHECK:     vector.contract {{.*}} into vector<8x32xf32>
func.func @batch_matmul(%a: tensor<4x64x16xf32>, %b: tensor<4x16x64xf32>, %c: tensor<4x64x64xf32>) -> tensor<4x64x64xf32> {
  %0 = linalg.batch_matmul ins(%a, %b : tensor<4x64x16xf32>, tensor<4x16x64xf32>) outs(%c : tensor<4x64x64xf32>) -> tensor<4x64x64xf32>
  return %0 : tensor<4x64x64xf32>
}

// -----

// A contraction that reshape propagation turned into a generic over
// (b, t, n, k) is tiled like a matmul: one batch per thread block and an
// 8 x 32 register tile updated by one vector.contract (FMAs) per k, not a
// multiply and an add.
// CHECK-LABEL: func.func @generic_contraction
//       CHECK:   scf.forall (%{{.*}}) in (2)
//       CHECK:     scf.for {{.*}} step %c1
//       CHECK:       vector.contract {{.*}} vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
//   CHECK-NOT:   arith.mulf
#lhs = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#rhs = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
#out = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
func.func @generic_contraction(%x: tensor<2x8x64xf32>, %w: tensor<64x96xf32>, %acc: tensor<2x8x96xf32>) -> tensor<2x8x96xf32> {
  %0 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : tensor<2x8x64xf32>, tensor<64x96xf32>) outs(%acc : tensor<2x8x96xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x8x96xf32>
  return %0 : tensor<2x8x96xf32>
}

// -----

// Elementwise: threads split the rows into 8 pieces, registers take 16
// lanes of a row.
// CHECK-LABEL: func.func @elementwise
//       CHECK:   scf.forall ({{.*}}) = (0) to (64) step (8)
//       CHECK:     vector.transfer_read {{.*}} vector<16xf32>
//       CHECK:     arith.addf {{.*}} : vector<16xf32>
func.func @elementwise(%a: tensor<64x128xf32>, %b: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %e = tensor.empty() : tensor<64x128xf32>
  %0 = linalg.add ins(%a, %b : tensor<64x128xf32>, tensor<64x128xf32>) outs(%e : tensor<64x128xf32>) -> tensor<64x128xf32>
  return %0 : tensor<64x128xf32>
}

// -----

// A gather (embedding rows) is tiled but left scalar.
// CHECK-LABEL: func.func @negative_gather
//       CHECK:   scf.forall
//       CHECK:     linalg.generic
//       CHECK:       tensor.extract
//   CHECK-NOT:   vector.gather
#map = affine_map<(d0, d1) -> (d0)>
#map1 = affine_map<(d0, d1) -> (d0, d1)>
func.func @negative_gather(%ids: tensor<8xi32>, %table: tensor<100x16xf32>) -> tensor<8x16xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %0 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<8xi32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%id: i32, %out: f32):
    %row = arith.index_cast %id : i32 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<100x16xf32>
    linalg.yield %v : f32
  } -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

// A row reduction over more than one vector accumulates 16 partial sums
// lane-wise and reduces across lanes once per row, after the loop.
// CHECK-LABEL: func.func @row_sum
//       CHECK:   scf.forall
//       CHECK:     scf.for {{.*}} step %c16 {{.*}} -> (tensor<1x16xf32>)
//       CHECK:       arith.addf {{.*}} : vector<16xf32>
//   CHECK-NOT:       vector.multi_reduction
//       CHECK:     }
//       CHECK:     vector.multi_reduction <add>, {{.*}} [1] : vector<1x16xf32> to vector<1xf32>
func.func @row_sum(%x: tensor<8x128xf32>, %init: tensor<8xf32>) -> tensor<8xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x128xf32>) outs(%init : tensor<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %1 = arith.addf %in, %acc : f32
    linalg.yield %1 : f32
  } -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// A one-row matmul (a decode step) reuses nothing from B, so its register
// tile spans 256 columns: each row of B is read in 1 KiB runs.
// CHECK-LABEL: func.func @one_row
//       CHECK:   scf.forall {{.*}} = (0) to (3072) step (256)
//       CHECK:     scf.for {{.*}} = %c0 to %c768 step %c1 {{.*}} -> (tensor<1x256xf32>)
//       CHECK:       vector.contract {{.*}} : vector<1xf32>, vector<1x256xf32> into vector<256xf32>
func.func @one_row(%x: tensor<1x768xf32>, %w: tensor<768x3072xf32>, %o: tensor<1x3072xf32>) -> tensor<1x3072xf32> {
  %0 = linalg.matmul ins(%x, %w : tensor<1x768xf32>, tensor<768x3072xf32>) outs(%o : tensor<1x3072xf32>) -> tensor<1x3072xf32>
  return %0 : tensor<1x3072xf32>
}

// -----

// One row times a table read in place (x . W^T, the decode LM head) is a
// set of dot products along the contiguous rows of W: each accumulates 16
// lanes and reduces them once, like a row sum, instead of gathering W's
// columns for a matmul tile.
// CHECK-LABEL: func.func @dot_products
//       CHECK:   scf.forall
//       CHECK:     scf.for {{.*}} step %c16 {{.*}} -> (tensor<1x1x16xf32>)
//       CHECK:       vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<16xf32>
//       CHECK:       arith.mulf {{.*}} : vector<16xf32>
//       CHECK:     vector.multi_reduction <add>
func.func @dot_products(%x: tensor<1x64xf32>, %w: tensor<96x64xf32>, %init: tensor<1x96xf32>) -> tensor<1x96xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<1x64xf32>, tensor<96x64xf32>) outs(%init : tensor<1x96xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %1 = arith.mulf %a, %b : f32
    %2 = arith.addf %1, %acc : f32
    linalg.yield %2 : f32
  } -> tensor<1x96xf32>
  return %0 : tensor<1x96xf32>
}

// -----

// Positions inside a partial tile are offset by the tile's start, so an
// index-based mask sees the column in the row, not in the tile.
// CHECK-LABEL: func.func @row_max_masked
//       CHECK:   scf.for %[[K:.*]] = %c0 to %c64 step %c16
//       CHECK:     vector.broadcast %[[K]] : index to vector<16xindex>
//       CHECK:     arith.maximumf {{.*}} : vector<16xf32>
func.func @row_max_masked(%x: tensor<4x64xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x64xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %keep = arith.cmpi ule, %j, %i : index
    %v = arith.select %keep, %in, %ninf : f32
    %1 = arith.maximumf %v, %acc : f32
    linalg.yield %1 : f32
  } -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A matmul block a fusion pass already placed in an scf.forall, with the
// fill of its accumulator: no second level of threads, only register tiles.
// CHECK-LABEL: func.func @in_thread_tile
//       CHECK:   scf.forall (%{{.*}}) = (0) to (128) step (64)
//   CHECK-NOT:     scf.forall
//       CHECK:     vector.transfer_write %{{.*}} : vector<16xf32>
//       CHECK:     vector.contract
//       CHECK:     scf.forall.in_parallel
//   CHECK-NOT:   linalg.fill
func.func @in_thread_tile(%a: tensor<128x768xf32>, %b: tensor<768x256xf32>) -> tensor<128x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x256xf32>
  %r = scf.forall (%i) = (0) to (128) step (64) shared_outs(%o = %e) -> (tensor<128x256xf32>) {
    %ai = tensor.extract_slice %a[%i, 0] [64, 768] [1, 1] : tensor<128x768xf32> to tensor<64x768xf32>
    %oi = tensor.extract_slice %o[%i, 0] [64, 256] [1, 1] : tensor<128x256xf32> to tensor<64x256xf32>
    %c = linalg.fill ins(%zero : f32) outs(%oi : tensor<64x256xf32>) -> tensor<64x256xf32>
    %mm = linalg.matmul ins(%ai, %b : tensor<64x768xf32>, tensor<768x256xf32>) outs(%c : tensor<64x256xf32>) -> tensor<64x256xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %mm into %o[%i, 0] [64, 256] [1, 1] : tensor<64x256xf32> into tensor<128x256xf32>
    }
  }
  return %r : tensor<128x256xf32>
}

// -----

// An innermost dimension with no divisor near a vector (49 = 7 x 7, like
// the vocabulary 50257 = 29 x 1733) is split: 48 columns in 16-lane vectors,
// then a one-column tail, instead of 7-lane vectors; a reduction's tail
// accumulates onto the main part's partial sums.
// CHECK-LABEL: func.func @vector_tail
//       CHECK:   arith.addf {{.*}} : vector<16xf32>
//       CHECK:   tensor.insert_slice %{{.*}} into %{{.*}}[0, 0] [4, 48] [1, 1]
//       CHECK:   arith.addf {{.*}} : vector<1xf32>
//       CHECK:   tensor.insert_slice %{{.*}} into %{{.*}}[0, 48] [4, 1] [1, 1]
//       CHECK:   arith.maximumf {{.*}} : vector<16xf32>
//       CHECK:   vector.multi_reduction <maximumf>
//       CHECK:   scf.forall
//       CHECK:     arith.maximumf {{.*}} : vector<1xf32>
//   CHECK-NOT:   vector<7xf32>
func.func @vector_tail(%a: tensor<4x49xf32>, %b: tensor<4x49xf32>, %init: tensor<4xf32>) -> (tensor<4x49xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4x49xf32>
  %0 = linalg.add ins(%a, %b : tensor<4x49xf32>, tensor<4x49xf32>) outs(%e : tensor<4x49xf32>) -> tensor<4x49xf32>
  %1 = linalg.reduce ins(%0 : tensor<4x49xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%x: f32, %acc: f32) {
      %m = arith.maximumf %x, %acc : f32
      linalg.yield %m : f32
    }
  return %0, %1 : tensor<4x49xf32>, tensor<4xf32>
}

// -----

// A reduction longer than 256 runs in pieces of 256 around the register
// loops, so the piece of each 32-column panel of B stays in L1 while the
// block's row tiles pass over it; one without a divisor near 256 but one
// near 2048 (here 7 x 586) in pieces of that, which stay in L2. (One
// 16 x 32 block: no scf.forall.)
// CHECK-LABEL: func.func @long_reduction
//       CHECK:   scf.for %{{.*}} = %c0 to %c8192 step %c256
//       CHECK:     scf.for %{{.*}} = %c0 to %c16 step %c8
//       CHECK:       scf.for %{{.*}} = %c0 to %c256 step %c1
//       CHECK:         vector.contract
// CHECK-LABEL: func.func @long_odd_reduction
//       CHECK:   scf.for %{{.*}} = %c0 to %c4102 step %c586
//       CHECK:     scf.for %{{.*}} = %c0 to %c16 step %c8
//       CHECK:       scf.for %{{.*}} = %c0 to %c586 step %c1
func.func @long_reduction(%a: tensor<16x8192xf32>, %b: tensor<8192x32xf32>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<16x8192xf32>, tensor<8192x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}
func.func @long_odd_reduction(%a: tensor<16x4102xf32>, %b: tensor<4102x32xf32>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<16x4102xf32>, tensor<4102x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}

// -----

// With the default threshold, a decode step's row ops (768 iterations)
// run on the calling thread: no scf.forall, only register tiles; a
// 64 x 1024 one is split among threads.
// SERIAL-LABEL: func.func @small_on_one_thread
//   SERIAL-NOT:   scf.forall
//       SERIAL:   scf.for
//       SERIAL:   arith.addf {{.*}} : vector<16xf32>
//       SERIAL:   scf.forall
//       SERIAL:   arith.addf {{.*}} : vector<16xf32>
func.func @small_on_one_thread(%a: tensor<1x768xf32>, %b: tensor<1x768xf32>, %c: tensor<64x1024xf32>, %d: tensor<64x1024xf32>) -> (tensor<1x768xf32>, tensor<64x1024xf32>) {
  %0 = linalg.add ins(%a, %b : tensor<1x768xf32>, tensor<1x768xf32>) outs(%a : tensor<1x768xf32>) -> tensor<1x768xf32>
  %1 = linalg.add ins(%c, %d : tensor<64x1024xf32>, tensor<64x1024xf32>) outs(%c : tensor<64x1024xf32>) -> tensor<64x1024xf32>
  return %0, %1 : tensor<1x768xf32>, tensor<64x1024xf32>
}
