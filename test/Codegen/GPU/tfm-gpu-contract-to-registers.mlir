// RUN: gpt3-opt %s --split-input-file --tfm-gpu-contract-to-registers | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-gpu-tile-to-threads --tfm-gpu-contract-to-registers | FileCheck %s --check-prefix=TILED

// A thread's 2 x 2 tile over K = 16: the four outputs loaded once and
// carried through the reduction loop, each step loading two elements of A
// and two of B once and issuing four FMAs, the outputs stored once.
// CHECK-LABEL: func.func @tile
//   CHECK-COUNT-4: memref.load %arg2
//       CHECK:   %[[R:.+]]:4 = scf.for %[[K:.+]] = %c0{{.*}} to %c16{{.*}} step %c1{{.*}} iter_args
//   CHECK-COUNT-4: math.fma
//   CHECK-NOT:     memref.load
//       CHECK:     scf.yield
//   CHECK-COUNT-4: memref.store
//   CHECK-NOT:   linalg.matmul
func.func @tile(%a: memref<2x16xf32>, %b: memref<16x2xf32>, %c: memref<2x2xf32>) {
  scf.forall (%t) in (1) {
    linalg.matmul ins(%a, %b : memref<2x16xf32>, memref<16x2xf32>) outs(%c : memref<2x2xf32>)
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// Inside a block, tfm-gpu-tile-to-threads gives a 64 x 64 contraction
// tiles of 4 x 8 (16 x 8 of them); each becomes 32 carried accumulators.
// CHECK-LABEL: func.func @block
// TILED-LABEL: func.func @block
//       TILED:   scf.forall (%{{.+}}, %{{.+}}) in (16, 8) {
//       TILED:     scf.for {{.+}} iter_args
//  TILED-COUNT-32: math.fma
func.func @block(%a: memref<64x32xf32>, %b: memref<32x64xf32>, %c: memref<64x64xf32>) {
  scf.forall (%i) in (1) {
    linalg.matmul ins(%a, %b : memref<64x32xf32>, memref<32x64xf32>) outs(%c : memref<64x64xf32>)
  } {mapping = [#gpu.block<linear_dim_0>]}
  return
}

// -----

// More than 64 outputs stay a linalg op.
// CHECK-LABEL: func.func @large
//       CHECK:   linalg.matmul
func.func @large(%a: memref<16x16xf32>, %b: memref<16x16xf32>, %c: memref<16x16xf32>) {
  scf.forall (%t) in (1) {
    linalg.matmul ins(%a, %b : memref<16x16xf32>, memref<16x16xf32>) outs(%c : memref<16x16xf32>)
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}
