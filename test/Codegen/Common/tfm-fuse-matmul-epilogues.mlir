// RUN: gpt3-opt %s --split-input-file --tfm-cpu-select-thread-tiles="thread-tile-m=16 thread-tile-n=64" --tfm-fuse-matmul-epilogues --canonicalize --cse --verify-each | FileCheck %s

#bias = affine_map<(d0, d1, d2) -> (d2)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d2, d4, d3)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>

// gelu(x @ W + b) with W packed in 32-column panels: one parallel loop over
// 16-row x 64-column blocks (two panels) of the packed (2, 32, 4, 32)
// result, column blocks outermost so that consecutive blocks share a panel,
// each writing its bias, accumulating and applying GELU. The
// epilogue and the bias were expanded into the packed view; the only
// collapse left is of the loop's result.
// CHECK-LABEL: func.func @bias_gelu
//       CHECK:   %[[F:.*]] = scf.forall (%[[J:.*]], %[[B:.*]], %[[I:.*]]) = (0, 0, 0) to (4, 2, 32) step (2, 1, 16) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<2x32x4x32xf32>)
//       CHECK:     %[[BIAS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x16x2x32xf32>)
//       CHECK:     %[[MM:.*]] = linalg.contract {{.*}} outs(%[[BIAS]] : tensor<1x16x2x32xf32>)
//       CHECK:     %[[G:.*]] = linalg.generic {{.*}} ins(%[[MM]] : tensor<1x16x2x32xf32>)
//       CHECK:       math.tanh
//       CHECK:     tensor.parallel_insert_slice %[[G]] into %[[O]][%[[B]], %[[I]], %[[J]], 0] [1, 16, 2, 32]
//       CHECK:   %[[R:.*]] = tensor.collapse_shape %[[F]] {{.*}} into tensor<2x32x128xf32>
//       CHECK:   return %[[R]]
func.func @bias_gelu(%x: tensor<2x32x64xf32>, %wp: tensor<4x64x32xf32>, %b: tensor<128xf32>) -> tensor<2x32x128xf32> {
  %cst = arith.constant 4.471500e-02 : f32
  %cst_0 = arith.constant 0.797884583 : f32
  %cst_1 = arith.constant 1.000000e+00 : f32
  %cst_2 = arith.constant 5.000000e-01 : f32
  %0 = tensor.empty() : tensor<2x32x128xf32>
  %1 = linalg.generic {indexing_maps = [#bias, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%b : tensor<128xf32>) outs(%0 : tensor<2x32x128xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<2x32x128xf32>
  %init = tensor.expand_shape %1 [[0], [1], [2, 3]] output_shape [2, 32, 4, 32] : tensor<2x32x128xf32> into tensor<2x32x4x32xf32>
  %2 = linalg.contract indexing_maps = [#lhs, #rhs, #out] ins(%x, %wp : tensor<2x32x64xf32>, tensor<4x64x32xf32>) outs(%init : tensor<2x32x4x32xf32>) -> tensor<2x32x4x32xf32>
  %y = tensor.collapse_shape %2 [[0], [1], [2, 3]] : tensor<2x32x4x32xf32> into tensor<2x32x128xf32>
  %3 = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y : tensor<2x32x128xf32>) outs(%0 : tensor<2x32x128xf32>) {
  ^bb0(%in: f32, %o: f32):
    %5 = arith.mulf %in, %in : f32
    %6 = arith.mulf %5, %in : f32
    %7 = arith.mulf %6, %cst : f32
    %8 = arith.addf %in, %7 : f32
    %9 = arith.mulf %8, %cst_0 : f32
    %10 = math.tanh %9 : f32
    %11 = arith.mulf %in, %cst_2 : f32
    %12 = arith.addf %10, %cst_1 : f32
    %13 = arith.mulf %11, %12 : f32
    linalg.yield %13 : f32
  } -> tensor<2x32x128xf32>
  return %3 : tensor<2x32x128xf32>
}

// -----

#bias = affine_map<(d0, d1, d2) -> (d2)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d2, d4, d3)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>

// r + (x @ W + b): the residual add (a named linalg.add) reads its block of
// r in the same loop. Both panels fit one 64-column block.
// CHECK-LABEL: func.func @bias_residual
//       CHECK:   %[[RP:.*]] = tensor.expand_shape %arg0 {{.*}} into tensor<2x32x2x32xf32>
//       CHECK:   scf.forall (%[[B:.*]], %[[I:.*]]) = (0, 0) to (2, 32) step (1, 16) shared_outs
//       CHECK:     %[[RI:.*]] = tensor.extract_slice %[[RP]][%[[B]], %[[I]], 0, 0] [1, 16, 2, 32]
//       CHECK:     %[[BIAS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x16x2x32xf32>)
//       CHECK:     %[[MM:.*]] = linalg.contract {{.*}} outs(%[[BIAS]] : tensor<1x16x2x32xf32>)
//       CHECK:     linalg.generic {{.*}} ins(%[[RI]], %[[MM]] : tensor<1x16x2x32xf32>, tensor<1x16x2x32xf32>)
//       CHECK:       arith.addf
//   CHECK-NOT:   linalg.add
func.func @bias_residual(%r: tensor<2x32x64xf32>, %x: tensor<2x32x64xf32>, %wp: tensor<2x64x32xf32>, %b: tensor<64xf32>) -> tensor<2x32x64xf32> {
  %0 = tensor.empty() : tensor<2x32x64xf32>
  %1 = linalg.generic {indexing_maps = [#bias, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%b : tensor<64xf32>) outs(%0 : tensor<2x32x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<2x32x64xf32>
  %init = tensor.expand_shape %1 [[0], [1], [2, 3]] output_shape [2, 32, 2, 32] : tensor<2x32x64xf32> into tensor<2x32x2x32xf32>
  %2 = linalg.contract indexing_maps = [#lhs, #rhs, #out] ins(%x, %wp : tensor<2x32x64xf32>, tensor<2x64x32xf32>) outs(%init : tensor<2x32x2x32xf32>) -> tensor<2x32x2x32xf32>
  %y = tensor.collapse_shape %2 [[0], [1], [2, 3]] : tensor<2x32x2x32xf32> into tensor<2x32x64xf32>
  %3 = linalg.add ins(%r, %y : tensor<2x32x64xf32>, tensor<2x32x64xf32>) outs(%0 : tensor<2x32x64xf32>) -> tensor<2x32x64xf32>
  return %3 : tensor<2x32x64xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// A plain matmul zeroed by a fill: the fill moves into the blocks too.
// CHECK-LABEL: func.func @fill_exp
//       CHECK:   scf.forall (%{{.*}}) = (0) to (32) step (16)
//       CHECK:     %[[Z:.*]] = linalg.fill {{.*}} -> tensor<16x64xf32>
//       CHECK:     %[[MM:.*]] = linalg.matmul {{.*}} outs(%[[Z]] : tensor<16x64xf32>)
//       CHECK:     linalg.generic {{.*}} ins(%[[MM]] : tensor<16x64xf32>)
//       CHECK:       math.exp
func.func @fill_exp(%x: tensor<32x64xf32>, %w: tensor<64x64xf32>) -> tensor<32x64xf32> {
  %cst = arith.constant 0.0 : f32
  %0 = tensor.empty() : tensor<32x64xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<32x64xf32>) -> tensor<32x64xf32>
  %2 = linalg.matmul ins(%x, %w : tensor<32x64xf32>, tensor<64x64xf32>) outs(%1 : tensor<32x64xf32>) -> tensor<32x64xf32>
  %3 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%2 : tensor<32x64xf32>) outs(%0 : tensor<32x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %4 = math.exp %in : f32
    linalg.yield %4 : f32
  } -> tensor<32x64xf32>
  return %3 : tensor<32x64xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// A matmul whose result is read twice keeps its epilogue apart; its blocks
// still zero their own accumulators.
// CHECK-LABEL: func.func @two_readers
//       CHECK:   %[[F:.*]] = scf.forall
//       CHECK:     linalg.fill
//       CHECK:     linalg.matmul
//   CHECK-NOT:     math.exp
//       CHECK:   linalg.generic {{.*}} ins(%[[F]] : tensor<32x64xf32>)
//       CHECK:     math.exp
func.func @two_readers(%x: tensor<32x64xf32>, %w: tensor<64x64xf32>) -> (tensor<32x64xf32>, tensor<32x64xf32>) {
  %cst = arith.constant 0.0 : f32
  %0 = tensor.empty() : tensor<32x64xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<32x64xf32>) -> tensor<32x64xf32>
  %2 = linalg.matmul ins(%x, %w : tensor<32x64xf32>, tensor<64x64xf32>) outs(%1 : tensor<32x64xf32>) -> tensor<32x64xf32>
  %3 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%2 : tensor<32x64xf32>) outs(%0 : tensor<32x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %4 = math.exp %in : f32
    linalg.yield %4 : f32
  } -> tensor<32x64xf32>
  return %2, %3 : tensor<32x64xf32>, tensor<32x64xf32>
}

// -----

// One row (a decode step): 192 columns would make three blocks of 64, one
// thread of a pair idle for the last; halved to 32, six. 256 columns make
// four blocks already.
// CHECK-LABEL: func.func @single_row_even_blocks
//       CHECK:   scf.forall (%{{.*}}) = (0) to (192) step (32)
//       CHECK:   scf.forall (%{{.*}}) = (0) to (256) step (64)
func.func @single_row_even_blocks(%x: tensor<1x64xf32>, %w: tensor<64x192xf32>, %w2: tensor<64x256xf32>) -> (tensor<1x192xf32>, tensor<1x256xf32>) {
  %cst = arith.constant 0.0 : f32
  %0 = tensor.empty() : tensor<1x192xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<1x192xf32>) -> tensor<1x192xf32>
  %2 = linalg.matmul ins(%x, %w : tensor<1x64xf32>, tensor<64x192xf32>) outs(%1 : tensor<1x192xf32>) -> tensor<1x192xf32>
  %3 = tensor.empty() : tensor<1x256xf32>
  %4 = linalg.fill ins(%cst : f32) outs(%3 : tensor<1x256xf32>) -> tensor<1x256xf32>
  %5 = linalg.matmul ins(%x, %w2 : tensor<1x64xf32>, tensor<64x256xf32>) outs(%4 : tensor<1x256xf32>) -> tensor<1x256xf32>
  return %2, %5 : tensor<1x192xf32>, tensor<1x256xf32>
}
