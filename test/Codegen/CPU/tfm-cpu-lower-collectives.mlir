// RUN: gpt3-opt %s --split-input-file --tfm-cpu-lower-collectives --verify-diagnostics | FileCheck %s
// RUN: gpt3-opt %s --split-input-file --tfm-cpu-lower-collectives=max-count=16 --verify-diagnostics | FileCheck %s --check-prefix=PIECES

// A mean over 2 ranks: each rank's tensor halved, then summed by
// MPI_Allreduce into a fresh buffer that becomes the result; the module
// is marked for OpenMPI.
// CHECK: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "OpenMPI">}
// CHECK-LABEL: func.func @mean(
//  CHECK-SAME:   %[[G:.*]]: tensor<40xf32>
//       CHECK:   %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
//       CHECK:   %[[SCALED:.*]] = linalg.generic {{.*}} ins(%[[G]] : tensor<40xf32>)
//       CHECK:     arith.mulf %{{.*}}, %[[HALF]] : f32
//       CHECK:   %[[SEND:.*]] = bufferization.to_buffer %[[SCALED]] read_only : tensor<40xf32> to memref<40xf32>
//       CHECK:   %[[RECV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<40xf32>
//       CHECK:   %[[COMM:.*]] = mpi.comm_world : !mpi.comm
//       CHECK:   mpi.allreduce(%[[SEND]], %[[RECV]], MPI_SUM, %[[COMM]]) : memref<40xf32>, memref<40xf32>
//       CHECK:   %[[MEAN:.*]] = bufferization.to_tensor %[[RECV]] restrict writable : memref<40xf32> to tensor<40xf32>
//       CHECK:   return %[[MEAN]]
// MPI counts are 32-bit: larger buffers go in pieces (here of 16).
// PIECES-LABEL: func.func @mean(
//       PIECES:   mpi.allreduce(%{{.*}}, %{{.*}}, MPI_SUM, %{{.*}}) : memref<16xf32, strided<[1]>>, memref<16xf32, strided<[1]>>
//       PIECES:   mpi.allreduce(%{{.*}}, %{{.*}}, MPI_SUM, %{{.*}}) : memref<16xf32, strided<[1], offset: 16>>, memref<16xf32, strided<[1], offset: 16>>
//       PIECES:   mpi.allreduce(%{{.*}}, %{{.*}}, MPI_SUM, %{{.*}}) : memref<8xf32, strided<[1], offset: 32>>, memref<8xf32, strided<[1], offset: 32>>
//   PIECES-NOT:   mpi.allreduce
func.func @mean(%g: tensor<40xf32>) -> tensor<40xf32> {
  %0 = tfm.all_reduce %g {ranks = 2 : i64} : tensor<40xf32>
  return %0 : tensor<40xf32>
}

// -----

// A module without collectives is left alone.
// CHECK-NOT: dlti.map
// CHECK-LABEL: func.func @none(
func.func @none(%g: tensor<40xf32>) -> tensor<40xf32> {
  return %g : tensor<40xf32>
}

// -----

// tfm-data-parallel flattens its buckets; anything else is not expected.
func.func @matrix(%g: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'tfm.all_reduce' op is lowered to MPI on one-dimensional tensors (tfm-data-parallel flattens its buckets)}}
  %0 = tfm.all_reduce %g {ranks = 2 : i64} : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// ZeRO's collectives: the reduce-scatter halves and calls the runtime's
// MPI_Reduce_scatter_block helper with both buffers' addresses and the
// share's size; the all-gather calls its MPI_Allgather helper; this rank's
// share is a slice at rank x share.
// CHECK-DAG: func.func private @gpt3_mpi_reduce_scatter_f32(i64, i64, i64)
// CHECK-DAG: func.func private @gpt3_mpi_all_gather_f32(i64, i64, i64)
// CHECK-LABEL: func.func @shares(
//  CHECK-SAME:   %[[G:.*]]: tensor<40xf32>, %[[P:.*]]: tensor<40xf32>, %[[S:.*]]: tensor<20xf32>
//       CHECK:   %[[SCALED:.*]] = linalg.generic {{.*}} ins(%[[G]] : tensor<40xf32>)
//       CHECK:   %[[SEND:.*]] = bufferization.to_buffer %[[SCALED]] read_only : tensor<40xf32> to memref<40xf32>
//       CHECK:   %[[RECV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<20xf32>
//       CHECK:   %[[SHARE:.*]] = arith.constant 20 : i64
//       CHECK:   %[[SP:.*]] = memref.extract_aligned_pointer_as_index %[[SEND]]
//       CHECK:   %[[RP:.*]] = memref.extract_aligned_pointer_as_index %[[RECV]]
//       CHECK:   call @gpt3_mpi_reduce_scatter_f32(%{{.*}}, %{{.*}}, %[[SHARE]]) : (i64, i64, i64) -> ()
//       CHECK:   bufferization.to_tensor %[[RECV]] restrict writable : memref<20xf32> to tensor<20xf32>
//       CHECK:   %[[RANK:.*]] = mpi.comm_rank(%{{.*}}) : i32
//       CHECK:   %[[INDEX:.*]] = arith.index_cast %[[RANK]] : i32 to index
//       CHECK:   %[[OFFSET:.*]] = arith.muli %[[INDEX]], %{{.*}} : index
//       CHECK:   tensor.extract_slice %[[P]][%[[OFFSET]]] [20] [1] : tensor<40xf32> to tensor<20xf32>
//       CHECK:   %[[GSEND:.*]] = bufferization.to_buffer %[[S]] read_only : tensor<20xf32> to memref<20xf32>
//       CHECK:   %[[GRECV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<40xf32>
//       CHECK:   call @gpt3_mpi_all_gather_f32(%{{.*}}, %{{.*}}, %{{.*}}) : (i64, i64, i64) -> ()
//       CHECK:   bufferization.to_tensor %[[GRECV]] restrict writable : memref<40xf32> to tensor<40xf32>
func.func @shares(%g: tensor<40xf32>, %p: tensor<40xf32>, %s: tensor<20xf32>) -> (tensor<20xf32>, tensor<20xf32>, tensor<40xf32>) {
  %0 = tfm.reduce_scatter %g {ranks = 2 : i64} : tensor<40xf32> -> tensor<20xf32>
  %1 = tfm.rank_share %p {ranks = 2 : i64} : tensor<40xf32> -> tensor<20xf32>
  %2 = tfm.all_gather %s {ranks = 2 : i64} : tensor<20xf32> -> tensor<40xf32>
  return %0, %1, %2 : tensor<20xf32>, tensor<20xf32>, tensor<40xf32>
}

// -----

// The runtime's helpers move floats only.
func.func @bf16_shares(%g: tensor<40xbf16>) -> tensor<20xbf16> {
  // expected-error @+1 {{'tfm.reduce_scatter' op is lowered to MPI for f32 only}}
  %0 = tfm.reduce_scatter %g {ranks = 2 : i64} : tensor<40xbf16> -> tensor<20xbf16>
  return %0 : tensor<20xbf16>
}
