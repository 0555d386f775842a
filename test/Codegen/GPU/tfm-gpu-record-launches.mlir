// RUN: gpt3-opt %s --tfm-gpu-record-launches | FileCheck %s

// Each launch in program order with its grid, block and shared memory; a
// launch in the layer loop (3 periods) counts 3 times per call.
// CHECK-LABEL: func.func @forward
//  CHECK-SAME:   tfm.kernels = [{block = array<i64: 256, 1, 1>, grid = array<i64: 24, 1, 1>, kernel = "forward_kernel", launches = 1 : i64, shared_memory = 0 : i64}, {block = array<i64: 128, 1, 1>, grid = array<i64: 4, 1, 1>, kernel = "forward_kernel_0", launches = 3 : i64, shared_memory = 1024 : i64}]
module attributes {gpu.container_module} {
  gpu.module @gpt3_kernels {
    gpu.func @forward_kernel() kernel {
      gpu.return
    }
    gpu.func @forward_kernel_0() kernel {
      gpu.return
    }
  }
  func.func @forward() {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %c4 = arith.constant 4 : index
    %c24 = arith.constant 24 : index
    %c128 = arith.constant 128 : index
    %c256 = arith.constant 256 : index
    %smem = arith.constant 1024 : i32
    gpu.launch_func @gpt3_kernels::@forward_kernel blocks in (%c24, %c1, %c1) threads in (%c256, %c1, %c1)
    scf.for %i = %c0 to %c3 step %c1 {
      gpu.launch_func @gpt3_kernels::@forward_kernel_0 blocks in (%c4, %c1, %c1) threads in (%c128, %c1, %c1) dynamic_shared_memory_size %smem
    }
    return
  }
}
