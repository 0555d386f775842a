// RUN: gpt3-opt %s --tfm-cpu-lower-bf16-contractions --canonicalize --cse | FileCheck %s

// A register tile of 8 rows x 32 columns contracting one pair of k per
// step (the form tfm-cpu-pack-matmuls and tfm-cpu-tile-and-vectorize give a
// bf16 matmul): 8 x 2 dot products, each on one row's pair broadcast and 16
// pairs of B. B is read once per step as 64 values and sliced in place; each
// row's pair is read as one 32-bit value.

// CHECK-LABEL: func.func @tile
// CHECK: scf.for
// CHECK-COUNT-8: vector.transfer_read {{.*}} : memref<64x4x2xbf16>, vector<2xbf16>
// CHECK: %[[B:.*]] = vector.transfer_read {{.*}} : memref<{{.*}}>, vector<64xbf16>
// CHECK: vector.extract_strided_slice %[[B]] {offsets = [0], sizes = [32], strides = [1]} : vector<64xbf16> to vector<32xbf16>
// CHECK: vector.bitcast {{.*}} : vector<2xbf16> to vector<1xi32>
// CHECK: vector.broadcast {{.*}} : vector<1xi32> to vector<16xi32>
// CHECK: x86vector.avx512.dot {{.*}} : vector<32xbf16> -> vector<16xf32>
// CHECK: vector.extract_strided_slice %[[B]] {offsets = [32], sizes = [32], strides = [1]} : vector<64xbf16> to vector<32xbf16>
// CHECK-COUNT-15: x86vector.avx512.dot
// CHECK-NOT: x86vector.avx512.dot
// CHECK-NOT: vector.contract
// CHECK: scf.yield
func.func @tile(%a: memref<64x4x2xbf16>, %b: memref<2x4x32x2xbf16>, %c: memref<64x2x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %pad = arith.constant 0.0 : bf16
  %acc = vector.transfer_read %c[%c0, %c0, %c0], %zero {in_bounds = [true, true, true]} : memref<64x2x32xf32>, vector<8x1x32xf32>
  %r = scf.for %k = %c0 to %c4 step %c1 iter_args(%sum = %acc) -> (vector<8x1x32xf32>) {
    %x = vector.transfer_read %a[%c0, %k, %c0], %pad {in_bounds = [true, true, true]} : memref<64x4x2xbf16>, vector<8x1x2xbf16>
    %w = vector.transfer_read %b[%c0, %k, %c0, %c0], %pad {in_bounds = [true, true]} : memref<2x4x32x2xbf16>, vector<32x2xbf16>
    %w4 = vector.broadcast %w : vector<32x2xbf16> to vector<1x1x32x2xbf16>
    %d = vector.contract {indexing_maps = [affine_map<(m, j, p, k, q) -> (m, k, q)>, affine_map<(m, j, p, k, q) -> (j, k, p, q)>, affine_map<(m, j, p, k, q) -> (m, j, p)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"], kind = #vector.kind<add>} %x, %w4, %sum : vector<8x1x2xbf16>, vector<1x1x32x2xbf16> into vector<8x1x32xf32>
    scf.yield %d : vector<8x1x32xf32>
  }
  vector.transfer_write %r, %c[%c0, %c0, %c0] {in_bounds = [true, true, true]} : vector<8x1x32xf32>, memref<64x2x32xf32>
  return
}

// The same tile in f32 is not this pass's: left as it is.
// CHECK-LABEL: func.func @f32_tile
// CHECK: vector.contract
// CHECK-NOT: x86vector
func.func @f32_tile(%x: vector<8x1xf32>, %w: vector<1x32xf32>, %acc: vector<8x32xf32>) -> vector<8x32xf32> {
  %d = vector.contract {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %x, %w, %acc : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
  return %d : vector<8x32xf32>
}

// bf16 with k not in pairs (no extent-2 innermost reduction): left as it is.
// CHECK-LABEL: func.func @unpaired
// CHECK: vector.contract
// CHECK-NOT: x86vector
func.func @unpaired(%x: vector<8x1xbf16>, %w: vector<1x32xbf16>, %acc: vector<8x32xf32>) -> vector<8x32xf32> {
  %d = vector.contract {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %x, %w, %acc : vector<8x1xbf16>, vector<1x32xbf16> into vector<8x32xf32>
  return %d : vector<8x32xf32>
}

// A decode step's tile, one row, whose unit dimensions have been folded
// away so that A has no row left: it gets a unit row back and becomes two
// dot products on the row's pair broadcast.
// CHECK-LABEL: func.func @one_row
// CHECK: scf.for
// CHECK: vector.bitcast {{.*}} : vector<2xbf16> to vector<1xi32>
// CHECK: vector.broadcast {{.*}} : vector<1xi32> to vector<16xi32>
// CHECK-COUNT-2: x86vector.avx512.dot {{.*}} : vector<32xbf16> -> vector<16xf32>
// CHECK-NOT: x86vector.avx512.dot
// CHECK-NOT: vector.contract
// CHECK: scf.yield
func.func @one_row(%a: memref<4x2xbf16>, %b: memref<4x32x2xbf16>, %c: memref<32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %pad = arith.constant 0.0 : bf16
  %acc = vector.transfer_read %c[%c0], %zero {in_bounds = [true]} : memref<32xf32>, vector<32xf32>
  %r = scf.for %k = %c0 to %c4 step %c1 iter_args(%sum = %acc) -> (vector<32xf32>) {
    %x = vector.transfer_read %a[%k, %c0], %pad {in_bounds = [true, true]} : memref<4x2xbf16>, vector<1x2xbf16>
    %w = vector.transfer_read %b[%k, %c0, %c0], %pad {in_bounds = [true, true]} : memref<4x32x2xbf16>, vector<32x2xbf16>
    %w3 = vector.broadcast %w : vector<32x2xbf16> to vector<1x32x2xbf16>
    %d = vector.contract {indexing_maps = [affine_map<(p, k, q) -> (k, q)>, affine_map<(p, k, q) -> (k, p, q)>, affine_map<(p, k, q) -> (p)>], iterator_types = ["parallel", "reduction", "reduction"], kind = #vector.kind<add>} %x, %w3, %sum : vector<1x2xbf16>, vector<1x32x2xbf16> into vector<32xf32>
    scf.yield %d : vector<32xf32>
  }
  vector.transfer_write %r, %c[%c0] {in_bounds = [true]} : vector<32xf32>, memref<32xf32>
  return
}
