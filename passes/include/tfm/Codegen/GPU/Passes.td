//===- Passes.td - tfm GPU codegen passes ------------------*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The NVIDIA GPU target's passes: thread blocks first; warps, shared
// memory, tensor cores and NVVM follow.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CODEGEN_GPU_PASSES_TD
#define TFM_CODEGEN_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmGpuSelectBlockTilesPass
    : Pass<"tfm-gpu-select-block-tiles", "func::FuncOp"> {
  let summary = "Decide each contraction's thread-block tile once, as an "
                "attribute";
  let description = [{
    Annotates every function-level contraction on tensors with
    `tfm.thread_tiles`: the output tile one GPU thread block computes, per
    loop. The innermost m and n loops are blocked by the largest divisors
    of their extents up to `block-m` x `block-n` (128 x 128: the tile of
    four warps' tensor-core fragments, whose operands fit shared memory
    with room for a second stage); other m, n and batch loops step by one;
    the reductions get 0 (a block walks the whole reduction, so no two
    blocks add into one output and results do not depend on scheduling).
    The kernels both targets build read the attribute:
    `tfm-fuse-matmul-epilogues` tiles each matmul with its bias and
    epilogue into these blocks, as it does with the CPU's thread blocks.
    Tiles inside kernels (attention) are the kernel builders' own.

    ```mlir
    %r = linalg.matmul {tfm.thread_tiles = array<i64: 128, 128, 0>}
        ins(%a, %b : tensor<256x768xf32>, tensor<768x3072xf32>) ...
    ```
  }];
  let options = [
    Option<"blockM", "block-m", "int64_t", "128",
           "Most rows of a thread block's output tile">,
    Option<"blockN", "block-n", "int64_t", "128",
           "Most columns of a thread block's output tile">,
  ];
  let dependentDialects = ["linalg::LinalgDialect"];
}

#endif // TFM_CODEGEN_GPU_PASSES_TD
