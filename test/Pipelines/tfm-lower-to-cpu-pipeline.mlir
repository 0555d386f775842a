// RUN: gpt3-opt %s --tfm-lower-to-cpu-pipeline --verify-each | FileCheck %s
// RUN: gpt3-opt %s --tfm-lower-to-cpu-pipeline="openmp=false" | FileCheck %s --check-prefix=SERIAL
// RUN: gpt3-opt %s --tfm-lower-to-cpu-pipeline --mlir-print-ir-after=tfm-fuse-attention,tfm-fuse-residual-layer-norm,tfm-fuse-elementwise,tfm-cpu-pack-matmuls,tfm-fuse-matmul-epilogues -o /dev/null 2>&1 | FileCheck %s --check-prefix=FUSE
// RUN: gpt3-opt %s --tfm-lower-to-cpu-pipeline="fuse=false" --mlir-print-ir-after=tfm-fuse-attention,tfm-fuse-residual-layer-norm,tfm-fuse-elementwise,tfm-cpu-pack-matmuls,tfm-fuse-matmul-epilogues,tfm-cpu-tile-and-vectorize -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOFUSE

// One linear layer down to the LLVM dialect: OpenMP threads, 32-lane FMAs
// from the vectorized matmul (not a multiply and an add), the output as an
// out-parameter written in place (never copied into), temporaries in the
// workspace, and a packed entry point.
// CHECK-LABEL: llvm.func internal @linear(
//  CHECK-SAME:   tfm.workspace_bytes
//       CHECK:   omp.parallel
//   CHECK-NOT:   llvm.fmul {{.*}} : vector<32xf32>
//       CHECK:   llvm.intr.fmuladd({{.*}}) : (vector<32xf32>, vector<32xf32>, vector<32xf32>) -> vector<32xf32>
//   CHECK-NOT:   llvm.fmul {{.*}} : vector<32xf32>
//   CHECK-NOT:   llvm.call @malloc
//   CHECK-NOT:   llvm.intr.memcpy
//       CHECK: llvm.func @gpt3_entry_linear(
// SERIAL-NOT: omp.parallel
// `fuse=false` (gpt3-compile --no-fuse) runs neither fusion nor packing.
// FUSE: IR Dump After TfmFuseAttentionPass
// FUSE: IR Dump After TfmFuseResidualLayerNormPass
// FUSE: IR Dump After TfmFuseElementwisePass
// FUSE: IR Dump After TfmCpuPackMatmulsPass
// FUSE: IR Dump After TfmFuseMatmulEpiloguesPass
// NOFUSE-NOT: IR Dump After TfmFuse
// NOFUSE-NOT: IR Dump After TfmCpuPackMatmulsPass
// NOFUSE: IR Dump After TfmCpuTileAndVectorizePass
func.func @linear(%x: tensor<2x8x64xf32> {tfm.input = "x"}, %w: tensor<64x96xf32> {tfm.param = "w"}, %b: tensor<96xf32> {tfm.param = "b"}) -> tensor<2x8x96xf32> {
  %0 = tfm.linear %x, %w, %b : (tensor<2x8x64xf32>, tensor<64x96xf32>, tensor<96xf32>) -> tensor<2x8x96xf32>
  %1 = tfm.gelu %0 : tensor<2x8x96xf32>
  return %1 : tensor<2x8x96xf32>
}
