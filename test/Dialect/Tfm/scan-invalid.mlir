// RUN: gpt3-opt %s --split-input-file --verify-diagnostics

// Every verifier message of tfm.scan, one case each.

func.func @count(%x: tensor<2xf32>) {
  // expected-error @+1 {{'tfm.scan' op count must be at least 1, got 0}}
  %r = tfm.scan 0 carry(%x : tensor<2xf32>) {
  ^bb0(%i: index, %h: tensor<2xf32>):
    tfm.yield %h : tensor<2xf32>
  } : tensor<2xf32>
  return
}

// -----

func.func @too_few_results(%x: tensor<2xf32>, %y: tensor<2xf32>) {
  // expected-error @+1 {{'tfm.scan' op has 1 results, fewer than its 2 carries}}
  %r = tfm.scan 1 carry(%x, %y : tensor<2xf32>, tensor<2xf32>) {
  ^bb0(%i: index, %h: tensor<2xf32>, %k: tensor<2xf32>):
    tfm.yield %h, %k : tensor<2xf32>, tensor<2xf32>
  } : tensor<2xf32>
  return
}

// -----

func.func @carry_type(%x: tensor<2xf32>) {
  // expected-error @+1 {{'tfm.scan' op carry 0 starts as 'tensor<2xf32>' but its result is 'tensor<3xf32>'}}
  %r = tfm.scan 1 carry(%x : tensor<2xf32>) {
  ^bb0(%i: index, %h: tensor<2xf32>):
    tfm.yield %h : tensor<2xf32>
  } : tensor<3xf32>
  return
}

// -----

func.func @input_not_stacked(%x: tensor<2xf32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{'tfm.scan' op input 0 must stack 3 slices along its first dimension, got 'tensor<4x2xf32>'}}
  %r = tfm.scan 3 carry(%x : tensor<2xf32>) over(%w : tensor<4x2xf32>) {
  ^bb0(%i: index, %h: tensor<2xf32>, %wi: tensor<2xf32>):
    tfm.yield %h : tensor<2xf32>
  } : tensor<2xf32>
  return
}

// -----

func.func @output_not_stacked(%x: tensor<2xf32>) {
  // expected-error @+1 {{'tfm.scan' op stacked result 0 must stack 3 slices along its first dimension, got 'tensor<2x2xf32>'}}
  %r:2 = tfm.scan 3 carry(%x : tensor<2xf32>) {
  ^bb0(%i: index, %h: tensor<2xf32>):
    tfm.yield %h, %h : tensor<2xf32>, tensor<2xf32>
  } : tensor<2xf32>, tensor<2x2xf32>
  return
}

// -----

func.func @arguments(%x: tensor<2xf32>) {
  // expected-error @+1 {{'tfm.scan' op body must take the index, 1 carries and 0 input slices (2 arguments), got 1}}
  %r = tfm.scan 1 carry(%x : tensor<2xf32>) {
  ^bb0(%h: tensor<2xf32>):
    tfm.yield %h : tensor<2xf32>
  } : tensor<2xf32>
  return
}

// -----

func.func @index(%x: tensor<2xf32>) {
  // expected-error @+1 {{'tfm.scan' op body's first argument must be the index, got 'i32'}}
  %r = tfm.scan 1 carry(%x : tensor<2xf32>) {
  ^bb0(%i: i32, %h: tensor<2xf32>):
    tfm.yield %h : tensor<2xf32>
  } : tensor<2xf32>
  return
}

// -----

func.func @body_carry(%x: tensor<2xf32>) {
  // expected-error @+1 {{'tfm.scan' op body's carry 0 is 'tensor<3xf32>', not the carry's 'tensor<2xf32>'}}
  %r = tfm.scan 1 carry(%x : tensor<2xf32>) {
  ^bb0(%i: index, %h: tensor<3xf32>):
    tfm.yield %x : tensor<2xf32>
  } : tensor<2xf32>
  return
}

// -----

func.func @body_slice(%x: tensor<2xf32>, %w: tensor<3x2xf32>) {
  // expected-error @+1 {{'tfm.scan' op body's slice of input 0 is 'tensor<3x2xf32>', not 'tensor<2xf32>'}}
  %r = tfm.scan 3 carry(%x : tensor<2xf32>) over(%w : tensor<3x2xf32>) {
  ^bb0(%i: index, %h: tensor<2xf32>, %wi: tensor<3x2xf32>):
    tfm.yield %h : tensor<2xf32>
  } : tensor<2xf32>
  return
}

// -----

func.func @yield_count(%x: tensor<2xf32>) {
  %r = tfm.scan 1 carry(%x : tensor<2xf32>) {
  ^bb0(%i: index, %h: tensor<2xf32>):
    // expected-error @+1 {{'tfm.yield' op yields 2 values, but the scan has 1 carries and 0 stacked results}}
    tfm.yield %h, %h : tensor<2xf32>, tensor<2xf32>
  } : tensor<2xf32>
  return
}

// -----

func.func @yield_carry(%x: tensor<2xf32>, %y: tensor<3xf32>) {
  %r = tfm.scan 1 carry(%x : tensor<2xf32>) {
  ^bb0(%i: index, %h: tensor<2xf32>):
    // expected-error @+1 {{'tfm.yield' op carry 0 is 'tensor<3xf32>', not 'tensor<2xf32>'}}
    tfm.yield %y : tensor<3xf32>
  } : tensor<2xf32>
  return
}

// -----

func.func @yield_slice(%x: tensor<2xf32>) {
  %r:2 = tfm.scan 3 carry(%x : tensor<2xf32>) {
  ^bb0(%i: index, %h: tensor<2xf32>):
    // expected-error @+1 {{'tfm.yield' op slice of stacked result 0 is 'tensor<2xf32>', not 'tensor<4xf32>'}}
    tfm.yield %h, %h : tensor<2xf32>, tensor<2xf32>
  } : tensor<2xf32>, tensor<3x4xf32>
  return
}

// -----

func.func @yield_outside(%x: tensor<2xf32>) {
  // expected-error @+1 {{'tfm.yield' op expects parent op 'tfm.scan'}}
  tfm.yield %x : tensor<2xf32>
}
