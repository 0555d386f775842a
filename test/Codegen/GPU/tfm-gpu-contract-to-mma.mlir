// RUN: gpt3-opt %s --split-input-file --tfm-gpu-contract-to-mma="precision=tf32" --verify-diagnostics | FileCheck %s --check-prefix=TF32
// RUN: gpt3-opt %s --split-input-file --tfm-gpu-contract-to-mma="precision=bf16" --verify-diagnostics | FileCheck %s --check-prefix=BF16

// A warp's 32 x 16 tile over K = 32: 2 x 2 accumulator fragments loaded
// from C, a loop over K by 8 (tf32) or 16 (bf16) carrying them, the lanes'
// A and B elements at the PTX fragment positions (A row g, column t for
// tf32; B row t, column g), one mma per fragment pair, and the fragments
// stored back. Each operand is seen through a view shifted by the lane's
// position, so the elements are constant offsets from one address.
// TF32-LABEL: func.func @warp_tile
//       TF32:   %[[LANE:.+]] = gpu.lane_id
//       TF32:   %[[G:.+]] = arith.divui %[[LANE]], %c4
//       TF32:   %[[T:.+]] = arith.remui %[[LANE]], %c4
//       TF32:   %[[T2:.+]] = arith.muli %[[T]], %c2
//       TF32:   %[[C:.+]] = memref.subview %arg2[%[[G]], %[[T2]]] [25, 10] [1, 1]
//       TF32:   memref.load %[[C]][%c0{{[_0-9]*}}, %c0{{[_0-9]*}}]
//       TF32:   memref.load %[[C]][%c0{{[_0-9]*}}, %c1{{[_0-9]*}}]
//       TF32:   memref.load %[[C]][%c8{{[_0-9]*}}, %c0{{[_0-9]*}}]
//       TF32:   %[[A:.+]] = memref.subview %arg0[%[[G]], %[[T]]] [25, 29] [1, 1]
//       TF32:   %[[B:.+]] = memref.subview %arg1[%[[T]], %[[G]]] [29, 9] [1, 1]
//       TF32:   %[[ACCS:.+]]:4 = scf.for %[[K:.+]] = %c0{{.*}} to %c32{{.*}} step %c8{{.*}} iter_args
//       TF32:     memref.load %[[A]][%c0{{[_0-9]*}}, %[[K]]]
//       TF32:     vector.from_elements {{.+}} : vector<4x1xf32>
//       TF32:     memref.load %[[B]][%[[K]], %c0{{[_0-9]*}}]
//       TF32:     vector.from_elements {{.+}} : vector<2x1xf32>
//       TF32-COUNT-4: nvgpu.mma.sync({{.+}}) {mmaShape = [16, 8, 8], tf32Enabled}
//       TF32:     scf.yield
//       TF32-COUNT-16: memref.store {{.+}}, %[[C]]
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
//       TF32:   %[[T:.+]] = arith.remui %[[LANE]], %c4
//       TF32:   memref.subview %arg1[%[[G]], %[[T]]] [1, 13] [1, 1] : memref<8x16xf32>
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

// Staged (tfm-gpu-stage-operands): the contraction runs once per slice of
// the reduction, in a loop that leaves C alone; the accumulators are
// loaded before that loop, carried through it, and stored after it.
// TF32-LABEL: func.func @slices
//       TF32:   memref.load
//       TF32:   %[[OUT:.+]]:8 = scf.for %{{.+}} = %c0 to %c4 step %c1 iter_args
//       TF32:     gpu.barrier
//       TF32:     %[[IN:.+]]:8 = scf.for %{{.+}} = %c0{{.*}} to %c32{{.*}} step %c8{{.*}} iter_args
//       TF32-COUNT-8: nvgpu.mma.sync
//       TF32:     gpu.barrier
//       TF32:     scf.yield %[[IN]]#0, %[[IN]]#1
//       TF32:   }
//       TF32:   memref.store
func.func @slices(%a: memref<64x128xf32>, %b: memref<128x32xf32>, %c: memref<64x32xf32>) {
  scf.forall (%w) in (1) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c32 = arith.constant 32 : index
    %cs = memref.subview %c[0, 0] [32, 32] [1, 1] : memref<64x32xf32> to memref<32x32xf32, strided<[32, 1]>>
    scf.for %s = %c0 to %c4 step %c1 {
      %k = arith.muli %s, %c32 : index
      %as = memref.subview %a[0, %k] [32, 32] [1, 1] : memref<64x128xf32> to memref<32x32xf32, strided<[128, 1], offset: ?>>
      %bs = memref.subview %b[%k, 0] [32, 32] [1, 1] : memref<128x32xf32> to memref<32x32xf32, strided<[32, 1], offset: ?>>
      gpu.barrier
      linalg.matmul ins(%as, %bs : memref<32x32xf32, strided<[128, 1], offset: ?>>, memref<32x32xf32, strided<[32, 1], offset: ?>>) outs(%cs : memref<32x32xf32, strided<[32, 1]>>)
      gpu.barrier
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
