// RUN: gpt3-opt %s --split-input-file --tfm-data-parallel=ranks=2 --verify-diagnostics | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-data-parallel="ranks=2 bucket-mib=0" --verify-diagnostics | FileCheck %s --check-prefix=EACH
// RUN: gpt3-opt %s --split-input-file --tfm-data-parallel --verify-diagnostics | FileCheck %s --check-prefix=ATTR
// RUN: not gpt3-opt %s --split-input-file --tfm-data-parallel=ranks=1 2>&1 | FileCheck %s --check-prefix=ONE

// The gradients AdamW reads and the returned loss, in the order they are
// computed, become one bucket: flattened, concatenated, averaged over the
// ranks by one all-reduce, and sliced back. The global norm, AdamW and the
// gradient outputs all read the averages.
// CHECK: module attributes {tfm.ranks = 2 : i64}
// CHECK-LABEL: func.func @train_step(
//  CHECK-SAME:   %[[W:[a-z0-9]+]]: tensor<4x8xf32>, %[[B:[a-z0-9]+]]: tensor<8xf32>
//       CHECK:   %[[L:.*]] = tfm.global_norm %[[W]]
//       CHECK:   %[[DW:.*]] = tfm.gelu
//       CHECK:   %[[DB:.*]] = tfm.gelu
//       CHECK:   %[[LF:.*]] = tensor.expand_shape %[[L]] [] output_shape [1] : tensor<f32> into tensor<1xf32>
//       CHECK:   %[[DWF:.*]] = tensor.collapse_shape %[[DW]] {{\[\[}}0, 1]] : tensor<4x8xf32> into tensor<32xf32>
//       CHECK:   %[[CAT:.*]] = tensor.concat dim(0) %[[LF]], %[[DWF]], %[[DB]] : (tensor<1xf32>, tensor<32xf32>, tensor<8xf32>) -> tensor<41xf32>
//       CHECK:   %[[MEAN:.*]] = tfm.all_reduce %[[CAT]] {ranks = 2 : i64} : tensor<41xf32>
//       CHECK:   %[[LS:.*]] = tensor.extract_slice %[[MEAN]][0] [1] [1]
//       CHECK:   %[[LM:.*]] = tensor.collapse_shape %[[LS]] [] : tensor<1xf32> into tensor<f32>
//       CHECK:   %[[DWS:.*]] = tensor.extract_slice %[[MEAN]][1] [32] [1]
//       CHECK:   %[[DWM:.*]] = tensor.expand_shape %[[DWS]] {{\[\[}}0, 1]] output_shape [4, 8]
//       CHECK:   %[[DBM:.*]] = tensor.extract_slice %[[MEAN]][33] [8] [1]
//       CHECK:   %[[N:.*]] = tfm.global_norm %[[DWM]], %[[DBM]]
//       CHECK:   tfm.adamw %[[W]], %[[DWM]], {{.*}}, %[[N]]
//       CHECK:   tfm.adamw %[[B]], %[[DBM]], {{.*}}, %[[N]]
//       CHECK:   return %[[LM]], %[[DWM]], %[[DBM]],
// Each in a bucket of its own when buckets are smaller than any of them.
// EACH-LABEL: func.func @train_step(
// EACH-COUNT-3: tfm.all_reduce
// EACH-NOT: tfm.all_reduce
// EACH: return
// Without a ranks option, the module's own tfm.ranks decides: here none,
// so nothing changes.
// ATTR-NOT: tfm.ranks
// ATTR-LABEL: func.func @train_step(
// ATTR-NOT: tfm.all_reduce
// ONE: error: tfm-data-parallel needs ranks >= 2, got 1
func.func @train_step(%w: tensor<4x8xf32>, %b: tensor<8xf32>, %x: tensor<4x8xf32>, %y: tensor<8xf32>, %s: tensor<i32>, %lr: tensor<f32>)
    -> (tensor<f32> {tfm.output = "loss"}, tensor<4x8xf32> {tfm.output = "grad.w"}, tensor<8xf32> {tfm.output = "grad.b"}, tensor<4x8xf32>, tensor<8xf32>) {
  %l = tfm.global_norm %w : (tensor<4x8xf32>) -> tensor<f32>
  %dw = tfm.gelu %x : tensor<4x8xf32>
  %db = tfm.gelu %y : tensor<8xf32>
  %n = tfm.global_norm %dw, %db : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<f32>
  %p, %m, %v = tfm.adamw %w, %dw, %w, %w, %s, %lr, %n {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64} : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>)
  %p2, %m2, %v2 = tfm.adamw %b, %db, %b, %b, %s, %lr, %n {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64} : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %l, %dw, %db, %p, %p2 : tensor<f32>, tensor<4x8xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<8xf32>
}

// -----

// @loss returns the mean loss over the ranks; an inference entry point is
// left alone.
// CHECK-LABEL: func.func @loss(
//       CHECK:   %[[L:.*]] = tfm.global_norm
//       CHECK:   %[[F:.*]] = tensor.expand_shape %[[L]]
//       CHECK:   %[[M:.*]] = tfm.all_reduce %[[F]] {ranks = 2 : i64} : tensor<1xf32>
//       CHECK:   %[[R:.*]] = tensor.collapse_shape %[[M]] []
//       CHECK:   return %[[R]]
// CHECK-LABEL: func.func @forward(
//   CHECK-NOT:   tfm.all_reduce
// ATTR-LABEL: func.func @loss(
// ATTR: tfm.all_reduce %{{.*}} {ranks = 4 : i64}
module attributes {tfm.ranks = 4 : i64} {
  func.func @loss(%x: tensor<4x8xf32>) -> tensor<f32> {
    %l = tfm.global_norm %x : (tensor<4x8xf32>) -> tensor<f32>
    return %l : tensor<f32>
  }
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<f32> {
    %l = tfm.global_norm %x : (tensor<4x8xf32>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

