// RUN: gpt3-opt %s --tfm-gpu-merge-kernel-modules | FileCheck %s

// Two outlined kernels (and a clash of names) end up in one module; the
// launches follow them.
// CHECK:      gpu.module @gpt3_kernels {
// CHECK-NEXT:   gpu.func @f_kernel() kernel attributes {nvvm.minctasm = 1 : i32}
// CHECK:        gpu.func @g_kernel(
// CHECK:        gpu.func @f_kernel_0(
// CHECK-NOT:  gpu.module
// CHECK-LABEL: func.func @f
// CHECK:        gpu.launch_func @gpt3_kernels::@f_kernel
// CHECK:        gpu.launch_func @gpt3_kernels::@g_kernel
// CHECK:        gpu.launch_func @gpt3_kernels::@f_kernel_0
module attributes {gpu.container_module} {
  gpu.module @f_kernel {
    gpu.func @f_kernel() kernel {
      gpu.return
    }
  }
  gpu.module @g_kernel {
    gpu.func @g_kernel() kernel {
      gpu.return
    }
  }
  gpu.module @other {
    gpu.func @f_kernel() kernel {
      gpu.return
    }
  }
  func.func @f() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @g_kernel::@g_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @other::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
