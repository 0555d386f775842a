// RUN: gpt3-opt %s --split-input-file --verify-diagnostics

// Each rule of the collectives' verifiers, and of the module's tfm.ranks,
// once.

func.func @one_rank(%g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.all_reduce' op needs at least 2 ranks, got 1}}
  %0 = tfm.all_reduce %g {ranks = 1 : i64} : tensor<64xf32>
  return
}

// -----

func.func @integers(%g: tensor<64xi32>) {
  // expected-error @+1 {{'tfm.all_reduce' op expects a floating-point element type for input, got 'i32'}}
  %0 = tfm.all_reduce %g {ranks = 2 : i64} : tensor<64xi32>
  return
}

// -----

func.func @result_type(%g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.all_reduce' op failed to verify that all of {input, result} have same type}}
  %0 = "tfm.all_reduce"(%g) {ranks = 2 : i64} : (tensor<64xf32>) -> tensor<32xf32>
  return
}

// -----

// expected-error @+1 {{'builtin.module' op 'tfm.ranks' must be an integer of at least 2 on a module, got 1 : i64}}
module attributes {tfm.ranks = 1 : i64} {
}

// -----

module {
  // expected-error @+1 {{'func.func' op 'tfm.ranks' must be an integer of at least 2 on a module, got 2 : i64}}
  func.func @f() attributes {tfm.ranks = 2 : i64} {
    return
  }
}

// -----

func.func @share_size(%g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.reduce_scatter' op input must hold 2 shares of the result's 30 elements, got 64}}
  %0 = tfm.reduce_scatter %g {ranks = 2 : i64} : tensor<64xf32> -> tensor<30xf32>
  return
}

// -----

func.func @gather_size(%s: tensor<32xf32>) {
  // expected-error @+1 {{'tfm.all_gather' op result must hold 3 shares of the input's 32 elements, got 64}}
  %0 = tfm.all_gather %s {ranks = 3 : i64} : tensor<32xf32> -> tensor<64xf32>
  return
}

// -----

func.func @share_rank(%g: tensor<8x8xf32>) {
  // expected-error @+1 {{'tfm.rank_share' op expects input of rank 1}}
  %0 = tfm.rank_share %g {ranks = 2 : i64} : tensor<8x8xf32> -> tensor<32xf32>
  return
}

// -----

func.func @share_element(%g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.rank_share' op element type of result ('bf16') differs from that of input ('f32')}}
  %0 = tfm.rank_share %g {ranks = 2 : i64} : tensor<64xf32> -> tensor<32xbf16>
  return
}

// -----

// expected-error @+1 {{'builtin.module' op 'tfm.zero' must be 1 on a module with 'tfm.ranks', got 1 : i64}}
module attributes {tfm.zero = 1 : i64} {
}
