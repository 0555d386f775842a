// RUN: gpt3-opt %s --tfm-cpu-approximate-math | FileCheck %s

// tanh and exp on vectors become arith polynomials; no math call is left
// for LLVM to scalarize.
// CHECK-LABEL: func.func @gelu_parts
//   CHECK-NOT:   math.tanh
//   CHECK-NOT:   math.exp
//       CHECK:   arith.mulf {{.*}} : vector<16xf32>
func.func @gelu_parts(%x: vector<16xf32>) -> (vector<16xf32>, vector<16xf32>) {
  %t = math.tanh %x : vector<16xf32>
  %e = math.exp %x : vector<16xf32>
  return %t, %e : vector<16xf32>, vector<16xf32>
}
