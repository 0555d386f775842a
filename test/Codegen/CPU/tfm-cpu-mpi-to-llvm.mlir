// RUN: gpt3-opt %s --tfm-cpu-mpi-to-llvm | FileCheck %s
// RUN: gpt3-opt %s --tfm-cpu-mpi-to-llvm --finalize-memref-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// Upstream's OpenMPI lowering refers to MPI_SUM as @ompi_mpi_sum; libmpi
// exports @ompi_mpi_op_sum. The communicator and the datatype keep their
// names.
// CHECK-DAG: llvm.func @MPI_Allreduce(!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
// CHECK-DAG: llvm.mlir.global external @ompi_mpi_op_sum()
// CHECK-DAG: llvm.mlir.global external @ompi_mpi_float()
// CHECK-DAG: llvm.mlir.global external @ompi_mpi_comm_world()
// CHECK-NOT: @ompi_mpi_sum
// CHECK-LABEL: func.func @sum(
//       CHECK:   llvm.mlir.addressof @ompi_mpi_op_sum : !llvm.ptr
//       CHECK:   llvm.call @MPI_Allreduce
module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "OpenMPI">} {
  func.func @sum(%a: memref<100xf32>, %b: memref<100xf32>) {
    %c = mpi.comm_world : !mpi.comm
    mpi.allreduce(%a, %b, MPI_SUM, %c) : memref<100xf32>, memref<100xf32>
    return
  }
}

// With the rest of the lowering, only LLVM is left.
// LLVM-LABEL: llvm.func @sum(
//   LLVM-NOT:   mpi.
//   LLVM-NOT:   unrealized_conversion_cast
//       LLVM:   llvm.call @MPI_Allreduce
