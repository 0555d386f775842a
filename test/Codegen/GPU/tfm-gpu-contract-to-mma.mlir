// RUN: gpt3-opt %s --split-input-file --tfm-gpu-contract-to-mma="precision=tf32" --verify-diagnostics | FileCheck %s --check-prefix=TF32
// RUN: gpt3-opt %s --split-input-file --tfm-gpu-contract-to-mma="precision=bf16" --verify-diagnostics | FileCheck %s --check-prefix=BF16

// A warp's 32 x 16 tile over K = 32: 2 x 2 accumulator fragments loaded
// from C, a loop over K by 8 (tf32) or 16 (bf16) carrying them, the lanes'
// A and B elements at the PTX fragment positions (A row g, column t for
// tf32; B row t, column g), one mma per fragment pair, and the fragments
// stored back.
// TF32-LABEL: func.func @warp_tile
//       TF32:   %[[LANE:.+]] = gpu.lane_id
//       TF32:   %[[G:.+]] = arith.divui %[[LANE]], %c4
//       TF32:   %[[T:.+]] = arith.remui %[[LANE]], %c4
//       TF32:   memref.load %arg2[%[[G]], %{{.+}}]
//       TF32:   %[[ACCS:.+]]:4 = scf.for %[[K:.+]] = %c0{{.*}} to %c32{{.*}} step %c8{{.*}} iter_args
//       TF32:     %[[COL:.+]] = arith.addi %[[K]], %[[T]]
//       TF32:     memref.load %arg0[%[[G]], %[[COL]]]
//       TF32:     vector.from_elements {{.+}} : vector<4x1xf32>
//       TF32:     memref.load %arg1[%{{.+}}, %[[G]]]
//       TF32:     vector.from_elements {{.+}} : vector<2x1xf32>
//       TF32-COUNT-4: nvgpu.mma.sync({{.+}}) {mmaShape = [16, 8, 8], tf32Enabled}
//       TF32:     scf.yield
//       TF32-COUNT-16: memref.store
//   TF32-NOT:   linalg.matmul
// BF16-LABEL: func.func @warp_tile
//       BF16:   scf.for %{{.+}} = %c0{{.*}} to %c32{{.*}} step %c16{{.*}} iter_args
//       BF16:     arith.truncf {{.+}} : f32 to bf16
//       BF16:     vector.from_elements {{.+}} : vector<4x2xbf16>
//       BF16:     vector.bitcast {{.+}} : vector<2xbf16> to vector<1xi32>
//       BF16-COUNT-4: nvvm.mma.sync A[{{.+}}] B[{{.+}}] C[{{.+}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
func.func @warp_tile(%a: memref<32x32xf32>, %b: memref<32x16xf32>, %c: memref<32x16xf32>) {
  scf.forall (%w) in (1) {
    linalg.matmul ins(%a, %b : memref<32x32xf32>, memref<32x16xf32>) outs(%c : memref<32x16xf32>)
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// B transposed (the tied output projection reads the table as (n, k)):
// the indexing map decides where an element is.
// TF32-LABEL: func.func @transposed_b
//       TF32:   %[[LANE:.+]] = gpu.lane_id
//       TF32:   %[[G:.+]] = arith.divui %[[LANE]], %c4
//       TF32:   scf.for
//       TF32:     memref.load %arg1[%[[G]], %{{.+}}] : memref<8x16xf32>
func.func @transposed_b(%a: memref<16x16xf32>, %b: memref<8x16xf32>, %c: memref<16x8xf32>) {
  scf.forall (%w) in (1) {
    linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<16x16xf32>, memref<8x16xf32>) outs(%c : memref<16x8xf32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %0 = arith.mulf %x, %y : f32
      %1 = arith.addf %acc, %0 : f32
      linalg.yield %1 : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

func.func @not_fragments(%a: memref<16x12xf32>, %b: memref<12x8xf32>, %c: memref<16x8xf32>) {
  scf.forall (%w) in (1) {
    // expected-error @below {{a warp's contraction must be made of whole tensor-core fragments}}
    linalg.matmul ins(%a, %b : memref<16x12xf32>, memref<12x8xf32>) outs(%c : memref<16x8xf32>)
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}
