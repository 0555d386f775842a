// RUN: gpt3-opt %s --tfm-data-parallel="ranks=3 zero=1" | FileCheck %s
// RUN: gpt3-opt %s --tfm-data-parallel="ranks=3 zero=1 bucket-mib=0" | FileCheck %s --check-prefix=EACH

// ZeRO-1 over 3 ranks: w (20 elements) is cut into shares of 7 (padded to
// 21), b (8) into shares of 3 (padded to 9). The bucket of gradients is laid
// out rank-major, [w share | b share] for each rank (slices of the flat
// padded gradients: a reshape would be propagated into the ops that compute
// them), and reduce-scattered;
// the norm is taken over every rank's shares; each rank updates its shares
// of the parameters (moments of the share's size, tfm.shard_of naming the
// whole) and all-gathers them; the parameters are written back into their
// arguments; the gradient outputs go.
// CHECK: module attributes {tfm.ranks = 3 : i64, tfm.zero = 1 : i64}
// CHECK-LABEL: func.func @train_step(
//  CHECK-SAME:   %[[W:[a-z0-9]+]]: tensor<4x5xf32> {tfm.param = "w"}, %[[B:[a-z0-9]+]]: tensor<8xf32> {tfm.param = "b"},
//  CHECK-SAME:   %[[MW:[a-z0-9]+]]: tensor<7xf32> {tfm.shard_of = array<i64: 4, 5>, tfm.state = "m.w"},
//  CHECK-SAME:   %[[MB:[a-z0-9]+]]: tensor<3xf32> {tfm.shard_of = array<i64: 8>, tfm.state = "m.b"},
//  CHECK-SAME:   -> (tensor<f32> {tfm.output = "loss"}, tensor<f32> {tfm.output = "grad_norm"}, tensor<4x5xf32> {tfm.param = "w"}, tensor<8xf32> {tfm.param = "b"}, tensor<7xf32> {tfm.state = "m.w"}, tensor<3xf32> {tfm.state = "m.b"}, tensor<7xf32> {tfm.state = "v.w"}, tensor<3xf32> {tfm.state = "v.b"})
//       CHECK:   %[[LOSS:.*]] = tfm.all_reduce %{{.*}} {ranks = 3 : i64} : tensor<1xf32>
//       CHECK:   %[[DW:.*]] = tfm.gelu
//       CHECK:   %[[DB:.*]] = tfm.gelu
//       CHECK:   %[[PW:.*]] = tensor.concat dim(0) %{{.*}}, %{{.*}} : (tensor<20xf32>, tensor<1xf32>) -> tensor<21xf32>
//       CHECK:   %[[PB:.*]] = tensor.concat dim(0) %[[DB]], %{{.*}} : (tensor<8xf32>, tensor<1xf32>) -> tensor<9xf32>
//       CHECK:   %[[W0:.*]] = tensor.extract_slice %[[PW]][0] [7] [1]
//       CHECK:   %[[B0:.*]] = tensor.extract_slice %[[PB]][0] [3] [1]
//       CHECK:   %[[W1:.*]] = tensor.extract_slice %[[PW]][7] [7] [1]
//       CHECK:   %[[B1:.*]] = tensor.extract_slice %[[PB]][3] [3] [1]
//       CHECK:   %[[W2:.*]] = tensor.extract_slice %[[PW]][14] [7] [1]
//       CHECK:   %[[B2:.*]] = tensor.extract_slice %[[PB]][6] [3] [1]
//       CHECK:   %[[LAID:.*]] = tensor.concat dim(0) %[[W0]], %[[B0]], %[[W1]], %[[B1]], %[[W2]], %[[B2]] : {{.*}} -> tensor<30xf32>
//       CHECK:   %[[MINE:.*]] = tfm.reduce_scatter %[[LAID]] {ranks = 3 : i64} : tensor<30xf32> -> tensor<10xf32>
//       CHECK:   %[[GW:.*]] = tensor.extract_slice %[[MINE]][0] [7] [1]
//       CHECK:   %[[GB:.*]] = tensor.extract_slice %[[MINE]][7] [3] [1]
//       CHECK:   %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[GW]] : tensor<7xf32>) outs(%{{.*}} : tensor<f64>)
//       CHECK:   %[[SQ2:.*]] = linalg.generic {{.*}} ins(%[[GB]] : tensor<3xf32>) outs(%[[SQ]] : tensor<f64>)
//       CHECK:   %[[SQF:.*]] = tensor.expand_shape %[[SQ2]] [] output_shape [1] : tensor<f64> into tensor<1xf64>
//       CHECK:   tfm.all_reduce %[[SQF]] {ranks = 3 : i64} : tensor<1xf64>
//       CHECK:   %[[NORM:.*]] = linalg.generic
//       CHECK:     arith.constant 3.000000e+00 : f64
//       CHECK:     math.sqrt %{{.*}} : f64
//       CHECK:     arith.truncf %{{.*}} : f64 to f32
//       CHECK:   %[[SW:.*]] = tfm.rank_share %{{.*}} {ranks = 3 : i64} : tensor<21xf32> -> tensor<7xf32>
//       CHECK:   %[[NW:.*]], %[[NMW:.*]], %[[NVW:.*]] = tfm.adamw %[[SW]], %[[GW]], %[[MW]], %{{.*}}, %{{.*}}, %{{.*}}, %[[NORM]] {{{.*}}weight_decay = 1.000000e-01 : f64}
//       CHECK:   %[[SB:.*]] = tfm.rank_share %{{.*}} {ranks = 3 : i64} : tensor<9xf32> -> tensor<3xf32>
//       CHECK:   %[[NB:.*]], %[[NMB:.*]], %[[NVB:.*]] = tfm.adamw %[[SB]], %[[GB]], %[[MB]], {{.*}}weight_decay = 0.000000e+00 : f64}
//       CHECK:   %[[NEW:.*]] = tensor.concat dim(0) %[[NW]], %[[NB]]
//       CHECK:   %[[ALL:.*]] = tfm.all_gather %[[NEW]] {ranks = 3 : i64} : tensor<10xf32> -> tensor<30xf32>
//       CHECK:   tensor.extract_slice %[[ALL]][0] [7] [1]
//       CHECK:   tensor.extract_slice %[[ALL]][10] [7] [1]
//       CHECK:   tensor.extract_slice %[[ALL]][20] [7] [1]
//       CHECK:   tensor.extract_slice %{{.*}}[0] [20] [1] : tensor<21xf32> to tensor<20xf32>
//       CHECK:   %[[W2:.*]] = bufferization.materialize_in_destination %{{.*}} in %[[W]]
//       CHECK:   tensor.extract_slice %[[ALL]][7] [3] [1]
//       CHECK:   tensor.extract_slice %[[ALL]][17] [3] [1]
//       CHECK:   tensor.extract_slice %[[ALL]][27] [3] [1]
//       CHECK:   tensor.extract_slice %{{.*}}[0] [8] [1] : tensor<9xf32> to tensor<8xf32>
//       CHECK:   %[[B2:.*]] = bufferization.materialize_in_destination %{{.*}} in %[[B]]
//       CHECK:   return %{{.*}}, %[[NORM]], %[[W2]], %[[B2]], %[[NMW]], %[[NMB]], %[[NVW]], %[[NVB]]
// A bucket per parameter when buckets are small.
// EACH-COUNT-2: tfm.reduce_scatter
// EACH-COUNT-2: tfm.all_gather
func.func @train_step(%w: tensor<4x5xf32> {tfm.param = "w"}, %b: tensor<8xf32> {tfm.param = "b"}, %mw: tensor<4x5xf32> {tfm.state = "m.w"}, %mb: tensor<8xf32> {tfm.state = "m.b"}, %vw: tensor<4x5xf32> {tfm.state = "v.w"}, %vb: tensor<8xf32> {tfm.state = "v.b"}, %x: tensor<4x5xf32>, %y: tensor<8xf32>, %s: tensor<i32>, %lr: tensor<f32>)
    -> (tensor<f32> {tfm.output = "loss"}, tensor<f32> {tfm.output = "grad_norm"}, tensor<4x5xf32> {tfm.output = "grad.w"}, tensor<8xf32> {tfm.output = "grad.b"}, tensor<4x5xf32> {tfm.param = "w"}, tensor<8xf32> {tfm.param = "b"}, tensor<4x5xf32> {tfm.state = "m.w"}, tensor<8xf32> {tfm.state = "m.b"}, tensor<4x5xf32> {tfm.state = "v.w"}, tensor<8xf32> {tfm.state = "v.b"}) {
  %l = tfm.global_norm %w : (tensor<4x5xf32>) -> tensor<f32>
  %dw = tfm.gelu %x : tensor<4x5xf32>
  %db = tfm.gelu %y : tensor<8xf32>
  %n = tfm.global_norm %dw, %db : (tensor<4x5xf32>, tensor<8xf32>) -> tensor<f32>
  %p, %m, %v = tfm.adamw %w, %dw, %mw, %vw, %s, %lr, %n {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64} : (tensor<4x5xf32>, tensor<4x5xf32>, tensor<4x5xf32>, tensor<4x5xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<4x5xf32>, tensor<4x5xf32>, tensor<4x5xf32>)
  %p2, %m2, %v2 = tfm.adamw %b, %db, %mb, %vb, %s, %lr, %n {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.0 : f64, max_norm = 1.0 : f64} : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %l, %n, %dw, %db, %p, %p2, %m, %m2, %v, %v2 : tensor<f32>, tensor<f32>, tensor<4x5xf32>, tensor<8xf32>, tensor<4x5xf32>, tensor<8xf32>, tensor<4x5xf32>, tensor<8xf32>, tensor<4x5xf32>, tensor<8xf32>
}
