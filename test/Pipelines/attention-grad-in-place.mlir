// RUN: gpt3-opt %s --tfm-lower-to-cpu-pipeline --mlir-print-ir-after=one-shot-bufferize -o /dev/null 2>&1 | FileCheck %s

// The fused attention backward at T = 1024 updates each head's dQ, dK and
// dV in place in the result: bufferization gives the parallel iteration no
// (T, D) copy of its own (256 KiB, over the thread stack budget, so the
// pipeline would fail here), only 64-row tiles.
// CHECK-LABEL: func.func @grad
//       CHECK:   scf.forall
//   CHECK-NOT:     memref.alloc() {{.*}} : memref<1024x64xf32>
//       CHECK:     scf.for
//   CHECK-NOT:     memref.alloc() {{.*}} : memref<1024x64xf32>
//       CHECK:   return
func.func @grad(%qkv: tensor<1x1024x384xf32> {tfm.input = "qkv"}, %y: tensor<1x1024x128xf32> {tfm.input = "y"}, %dy: tensor<1x1024x128xf32> {tfm.input = "dy"}) -> tensor<1x1024x384xf32> {
  %0 = tfm.attention_grad %qkv, %y, %dy {num_heads = 2 : i64, pattern = #tfm.pattern<dense>} : (tensor<1x1024x384xf32>, tensor<1x1024x128xf32>, tensor<1x1024x128xf32>) -> tensor<1x1024x384xf32>
  return %0 : tensor<1x1024x384xf32>
}
