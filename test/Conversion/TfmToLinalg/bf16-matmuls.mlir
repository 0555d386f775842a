// RUN: gpt3-opt %s --convert-tfm-to-linalg --canonicalize | FileCheck %s

// Under tfm.matmul_type = bf16 (--dtype bf16) every matmul reads bf16
// operands into an f32 result: f32 activations and master weights are
// rounded once (arith.truncf), a weight widened from bf16 is read as the
// bf16 tensor it was. The bias, the sums and the embedding stay f32.
module attributes {tfm.matmul_type = bf16} {

// CHECK-LABEL: func.func @linear
//  CHECK-SAME:     %[[X:[^:]*]]: tensor<2x4x8xf32>, %[[W:[^:]*]]: tensor<8x16xbf16>
//       CHECK:   %[[X2:.*]] = tensor.collapse_shape %[[X]]
//       CHECK:   %[[XB:.*]] = linalg.generic {{.*}} ins(%[[X2]] : tensor<8x8xf32>) outs(%{{.*}} : tensor<8x8xbf16>)
//       CHECK:     arith.truncf %{{.*}} : f32 to bf16
//       CHECK:   %[[ACC:.*]] = linalg.broadcast
//       CHECK:   linalg.matmul ins(%[[XB]], %[[W]] : tensor<8x8xbf16>, tensor<8x16xbf16>) outs(%[[ACC]] : tensor<8x16xf32>)
//   CHECK-NOT:   arith.extf
func.func @linear(%x: tensor<2x4x8xf32>, %w: tensor<8x16xbf16>, %b: tensor<16xf32>) -> tensor<2x4x16xf32> {
  %wide = arith.extf %w : tensor<8x16xbf16> to tensor<8x16xf32>
  %y = tfm.linear %x, %wide, %b : (tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<2x4x16xf32>
  return %y : tensor<2x4x16xf32>
}

// The tied bf16 table: gathered in place and widened per element, then
// read as bf16 by the output projection, whose body widens both operands.
// CHECK-LABEL: func.func @embed_head
//  CHECK-SAME:     %{{[^:]*}}: tensor<2x4xi32>, %[[WTE:[^:]*]]: tensor<32x8xbf16>
//       CHECK:   %[[X:.*]] = linalg.generic
//       CHECK:     %[[E:.*]] = tensor.extract %[[WTE]][%{{.*}}, %{{.*}}] : tensor<32x8xbf16>
//       CHECK:     arith.extf %[[E]] : bf16 to f32
//       CHECK:   %[[XB:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<2x4x8xf32>) outs(%{{.*}} : tensor<2x4x8xbf16>)
//       CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[XB]], %[[WTE]] : tensor<2x4x8xbf16>, tensor<32x8xbf16>) outs(%{{.*}} : tensor<2x4x32xf32>)
//       CHECK:     arith.extf
//       CHECK:     arith.extf
//       CHECK:     arith.mulf
func.func @embed_head(%t: tensor<2x4xi32>, %wte: tensor<32x8xbf16>, %wpe: tensor<4x8xf32>) -> tensor<2x4x32xf32> {
  %wide = arith.extf %wte : tensor<32x8xbf16> to tensor<32x8xf32>
  %x = tfm.embedding %t, %wide, %wpe : (tensor<2x4xi32>, tensor<32x8xf32>, tensor<4x8xf32>) -> tensor<2x4x8xf32>
  %l = tfm.lm_head %x, %wide : (tensor<2x4x8xf32>, tensor<32x8xf32>) -> tensor<2x4x32xf32>
  return %l : tensor<2x4x32xf32>
}

// Training's f32 master weight is rounded before it is transposed, so
// packing still sees the transpose; d_out is rounded once for both
// products, and the bias gradient sums it in f32.
// CHECK-LABEL: func.func @linear_grad
//  CHECK-SAME:     %[[X:[^:]*]]: tensor<2x4x8xf32>, %[[W:[^:]*]]: tensor<8x16xf32>, %[[DY:[^:]*]]: tensor<2x4x16xf32>
//       CHECK:   %[[X2:.*]] = tensor.collapse_shape %[[X]]
//       CHECK:   %[[DY2:.*]] = tensor.collapse_shape %[[DY]]
//       CHECK:   %[[DYB:.*]] = linalg.generic {{.*}} ins(%[[DY2]] : tensor<8x16xf32>) outs(%{{.*}} : tensor<8x16xbf16>)
//       CHECK:   %[[WB:.*]] = linalg.generic {{.*}} ins(%[[W]] : tensor<8x16xf32>) outs(%{{.*}} : tensor<8x16xbf16>)
//       CHECK:   %[[WT:.*]] = linalg.transpose ins(%[[WB]] : tensor<8x16xbf16>)
//       CHECK:   linalg.matmul ins(%[[DYB]], %[[WT]] : tensor<8x16xbf16>, tensor<16x8xbf16>) outs(%{{.*}} : tensor<8x8xf32>)
//       CHECK:   %[[XB:.*]] = linalg.generic {{.*}} ins(%[[X2]] : tensor<8x8xf32>) outs(%{{.*}} : tensor<8x8xbf16>)
//       CHECK:   %[[XT:.*]] = linalg.transpose ins(%[[XB]] : tensor<8x8xbf16>)
//       CHECK:   linalg.matmul ins(%[[XT]], %[[DYB]] : tensor<8x8xbf16>, tensor<8x16xbf16>) outs(%{{.*}} : tensor<8x16xf32>)
//       CHECK:   linalg.generic {{.*}} ins(%[[DY2]] : tensor<8x16xf32>) outs(%{{.*}} : tensor<16xf32>)
func.func @linear_grad(%x: tensor<2x4x8xf32>, %w: tensor<8x16xf32>, %dy: tensor<2x4x16xf32>) -> (tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) {
  %dx, %dw, %db = tfm.linear_grad %x, %w, %dy : (tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<2x4x16xf32>) -> (tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<16xf32>)
  return %dx, %dw, %db : tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<16xf32>
}

// CHECK-LABEL: func.func @lm_head_grad
//       CHECK:   %[[DL:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8x32xbf16>)
//       CHECK:   %[[TB:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<32x8xbf16>)
//       CHECK:   linalg.matmul ins(%[[DL]], %[[TB]] : tensor<8x32xbf16>, tensor<32x8xbf16>) outs(%{{.*}} : tensor<8x8xf32>)
//       CHECK:   %[[DLT:.*]] = linalg.transpose ins(%[[DL]] : tensor<8x32xbf16>)
//       CHECK:   %[[XB:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8x8xbf16>)
//       CHECK:   linalg.matmul ins(%[[DLT]], %[[XB]] : tensor<32x8xbf16>, tensor<8x8xbf16>) outs(%{{.*}} : tensor<32x8xf32>)
func.func @lm_head_grad(%x: tensor<2x4x8xf32>, %wte: tensor<32x8xf32>, %dl: tensor<2x4x32xf32>) -> (tensor<2x4x8xf32>, tensor<32x8xf32>) {
  %dx, %dwte = tfm.lm_head_grad %x, %wte, %dl : (tensor<2x4x8xf32>, tensor<32x8xf32>, tensor<2x4x32xf32>) -> (tensor<2x4x8xf32>, tensor<32x8xf32>)
  return %dx, %dwte : tensor<2x4x8xf32>, tensor<32x8xf32>
}
}
