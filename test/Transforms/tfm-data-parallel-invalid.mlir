// RUN: gpt3-opt %s --tfm-data-parallel=ranks=2 --verify-diagnostics

// Every use of an averaged value must come after its bucket is complete:
// here the loss reads a gradient before the loss, which shares its
// bucket, is computed.
func.func @train_step(%w: tensor<8xf32>, %x: tensor<8xf32>, %s: tensor<i32>, %lr: tensor<f32>)
    -> (tensor<f32> {tfm.output = "loss"}, tensor<8xf32>) {
  %dw = tfm.gelu %x : tensor<8xf32>
  // expected-error @+1 {{'tfm.global_norm' op uses a value that tfm-data-parallel averages over the ranks before the rest of its bucket is computed}}
  %l = tfm.global_norm %dw : (tensor<8xf32>) -> tensor<f32>
  %p, %m, %v = tfm.adamw %w, %dw, %w, %w, %s, %lr, %l {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64} : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %l, %p : tensor<f32>, tensor<8xf32>
}
