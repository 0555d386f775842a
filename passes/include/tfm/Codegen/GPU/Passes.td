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
    Annotates every contraction on tensors outside a kernel (at function
    level or in the layer loop, not inside an `scf.forall`) with
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

def TfmGpuSplitRaggedContractionsPass
    : Pass<"tfm-gpu-split-ragged-contractions", "func::FuncOp"> {
  let summary = "Split each large contraction dimension that block tiles "
                "do not divide into a divided part and a tail";
  let description = [{
    A function-level contraction on tensors (at least 16 rows, so tensor
    cores would take it) whose innermost m, n or k extent is at least
    `min-extent` but not a multiple of `multiple` is split there by
    `linalg::splitOp`: the first `multiple` multiple of the extent and the
    tail (`50257 = 50176 + 81`). Along m or n the parts write their own
    slices of the result; along k the tail adds into the part's result. The
    vocabulary is such a dimension of the largest matmuls: the output
    projection (n), and in training its input gradient (k) and the table's
    gradient (m). Without the split, `50257 = 29 x 1733` leaves them on the
    SIMT units in 29-wide tiles; with it, their main parts get 128-wide
    block tiles and tensor cores, and only the tails stay on the SIMT path.
  }];
  let options = [
    Option<"multiple", "multiple", "int64_t", "128",
           "The main part's extent is a multiple of this">,
    Option<"minExtent", "min-extent", "int64_t", "256",
           "Smaller extents are left whole">,
  ];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect"];
}

def TfmGpuSplitReductionBlocksPass
    : Pass<"tfm-gpu-split-reduction-blocks", "func::FuncOp"> {
  let summary = "Give a contraction with few output tiles and a long, "
                "split reduction one partial sum per outer summed index";
  let description = [{
    A weight gradient sums over (batch, position) into a small matrix: 768
    x 768 over 16 x 1024 tokens is 36 thread-block tiles of 128 x 128 for
    132 SMs. A contraction (`linalg.generic`, at function level or in the
    layer loop) with two or more reduction loops, no batch loop, and fewer
    than `min-blocks` output tiles, whose other summed loops give each
    partial at least `min-inner` terms, becomes two ops: the contraction with its
    outer reduction loop parallel, writing `partial[b, ...]` (at most
    `max-partials` of them; blocks per tile times as many), and a sum of
    the partials into the original initial value in order `b = 0, 1,
    ...`, so the result does not depend on scheduling.
  }];
  let options = [
    Option<"minBlocks", "min-blocks", "int64_t", "264",
           "Contractions with fewer 128 x 128 output tiles are split (two "
           "waves of an H100's 132 SMs)">,
    Option<"maxPartials", "max-partials", "int64_t", "32",
           "Most partial sums (the outer summed loop's extent)">,
    Option<"minInner", "min-inner", "int64_t", "256",
           "Fewest terms of each partial sum (the other summed loops)">,
  ];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "tensor::TensorDialect"];
}

def TfmGpuOwnScatterRowsPass
    : Pass<"tfm-gpu-own-scatter-rows", "func::FuncOp"> {
  let summary = "Run a data-dependent row scatter (the embedding gradient) "
                "as one kernel whose blocks own the destination rows";
  let description = [{
    `convert-tfm-to-linalg` lowers the embedding gradient as a loop over
    the tokens that adds each token's row into the row of its id, `for n {
    t = tokens[n]; acc[t, :] = f(rows[n, :], acc[t, :]) }`: on the GPU, a
    kernel launch per token. This pass rewrites any function-level loop of
    that form (one 2-D accumulator, read and written only at a
    data-dependent unit row) into an `scf.forall` of `P` owners, `P` the
    largest divisor of the rows up to `max-owners` (50257 rows: 1733 owners
    of 29): each owner walks all the tokens in order and updates only the
    rows in its range (an `scf.if`). Every row is summed by one owner in
    token order, so the result is bit-identical to the loop's and
    deterministic, with no atomics; the forall becomes one grid of blocks
    (`embedding_backward`), each token's row add a step of its threads.
  }];
  let options = [
    Option<"maxOwners", "max-owners", "int64_t", "2048",
           "Most row owners (thread blocks)">,
  ];
  let dependentDialects = ["arith::ArithDialect", "scf::SCFDialect",
                           "tensor::TensorDialect"];
}

def TfmGpuTileToBlocksPass : Pass<"tfm-gpu-tile-to-blocks", "func::FuncOp"> {
  let summary = "Turn each loop nest outside a kernel into a grid of thread "
                "blocks";
  let description = [{
    Runs on bufferized code. Every linalg op and `memref.copy` that is not
    inside an `scf.forall` becomes an `scf.forall` mapped to
    `#gpu.block<linear_dim_k>` (the last loop is `linear_dim_0`), each
    iteration running the op on its tile: a contraction by the block tile
    `tfm-gpu-select-block-tiles` chose, any other op by blocks of about
    `block-elements` results (innermost loops first, tiles dividing their
    extents, reductions whole in one block); a reduction of length L gets
    `block-elements * 16 / L` results per block (at least one), whose rows
    the block's threads then share. The kernels the shared
    builders made, function-level `scf.forall`s, get the block mapping.

    ```mlir
    linalg.generic ... ins(%x : memref<64x256xf32>) outs(%y : memref<64x256xf32>)
    // becomes
    scf.forall (%i) in (16) {
      %xs = memref.subview %x[%i * 4, 0] [4, 256] [1, 1] ...
      linalg.generic ... ins(%xs ...) outs(%ys ...)
    } {mapping = [#gpu.block<linear_dim_0>]}
    ```
  }];
  let options = [
    Option<"blockElements", "block-elements", "int64_t", "1024",
           "Results a thread block computes of an op that is not a "
           "contraction">,
  ];
  let dependentDialects = ["arith::ArithDialect", "gpu::GPUDialect",
                           "linalg::LinalgDialect", "memref::MemRefDialect",
                           "scf::SCFDialect"];
}

def TfmGpuTileToThreadsPass : Pass<"tfm-gpu-tile-to-threads", "func::FuncOp"> {
  let summary = "Share each step of a thread block among its threads";
  let description = [{
    Inside every `scf.forall` mapped to blocks, each linalg op and
    `memref.copy` (also inside the block's sequential loops) becomes an
    `scf.forall` mapped to `#gpu.thread<linear_dim_k>`: up to `threads`
    workers over its parallel loops, innermost first (consecutive threads
    touch consecutive elements), each taking the largest divisor of its
    extent the remaining budget allows; a contraction gives each thread an
    output tile of up to 4 x 8 (its innermost m and n; one element of any
    other parallel loop), however many threads that takes (the block's
    threads then take the tiles in turn). A generic with one reduction loop
    and at most a quarter as many rows as threads has its reduction split
    too: partials (block scratch, filled with the combiner's identity), a
    step folding every S-th element of a row into each partial (S the
    largest divisor of the row length up to threads / rows), and a step
    folding the partials into the result. Other reductions run whole on
    one thread. A write to memory left at block level would run once per
    thread and is an error.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", "256",
           "Threads of a block that share a step">,
  ];
  let dependentDialects = ["arith::ArithDialect", "gpu::GPUDialect",
                           "linalg::LinalgDialect", "memref::MemRefDialect",
                           "scf::SCFDialect"];
}

def TfmGpuEmulateOnHostPass
    : Pass<"tfm-gpu-emulate-on-host", "func::FuncOp"> {
  let summary = "Run the distributed form on the CPU, to check it without "
                "a GPU";
  let description = [{
    Thread steps (`scf.forall` mapped to threads) become sequential
    `scf.for` loops: each completes before the next, as the barrier after
    a step guarantees on the device. Block loops lose their mapping and
    run as the CPU's parallel loops, and barriers go (one thread at a time
    needs none). The CPU's lowering takes it from there, so the numbers
    check the GPU's tiling, staging and distribution.
  }];
  let dependentDialects = ["scf::SCFDialect"];
}

def TfmGpuMapToLaunchPass : Pass<"tfm-gpu-map-to-launch", "func::FuncOp"> {
  let summary = "Turn block loops into gpu.launch and thread steps into "
                "loops over the thread id";
  let description = [{
    Each `scf.forall` mapped to blocks becomes a `gpu.launch` whose grid
    is its iteration count (one dimension; the loop indices are the block
    id delinearized) and whose block has as many threads as its largest
    step needs, rounded up to a warp, at most `max-threads`. Each thread
    step becomes `scf.for %i = %tid to %n step %blockDim` over its
    delinearized indices, followed by `gpu.barrier`. Scratch allocated in
    the block, outside steps, becomes a view into the launch's dynamic
    shared memory (16-byte aligned offsets), cast to the generic space for
    its users; more than `shared-memory` bytes is an error. Scratch
    allocated inside a step becomes an alloca of the thread.
  }];
  let options = [
    Option<"maxThreads", "max-threads", "int64_t", "256",
           "Most threads of a block">,
    Option<"sharedMemory", "shared-memory", "int64_t", "232448",
           "Most bytes of shared memory a block may use (227 KiB on "
           "sm_90)">,
  ];
  let dependentDialects = ["affine::AffineDialect", "arith::ArithDialect",
                           "gpu::GPUDialect", "memref::MemRefDialect",
                           "scf::SCFDialect"];
}

def TfmGpuMergeKernelModulesPass
    : Pass<"tfm-gpu-merge-kernel-modules", "ModuleOp"> {
  let summary = "Move every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` gives each kernel its own `gpu.module`; this
    pass moves them all into one module named `module-name` (renaming a
    kernel whose name clashes) and points every `gpu.launch_func` at it,
    so that the binary embeds one cubin, loaded once, and one PTX file.
    Every kernel gets `nvvm.minctasm = min-blocks-per-sm`: ptxas then
    budgets registers for that many blocks per SM (without it, two blocks
    of 256 threads: 128 registers, too few for a warp's tensor-core tile).
  }];
  let options = [
    Option<"moduleName", "module-name", "std::string", "\"gpt3_kernels\"",
           "Name of the merged module">,
    Option<"minBlocksPerSM", "min-blocks-per-sm", "int32_t", "1",
           "Blocks of each kernel an SM must be able to hold">,
  ];
  let dependentDialects = ["gpu::GPUDialect", "NVVM::NVVMDialect"];
}

def TfmGpuReadScalarsOnHostPass
    : Pass<"tfm-gpu-read-scalars-on-host", "func::FuncOp"> {
  let summary = "Read each scalar input once, on the host, and use the "
                "value everywhere";
  let description = [{
    A rank-0 `tfm.input` argument (the decode position, the training step,
    the learning rate) is loaded once at the entry of the function, and
    every other load of it (in host code or in a kernel's body) becomes
    that value, so kernels receive it by value. The runtime keeps scalar
    inputs in host memory on the GPU. A use other than a load is an error.
  }];
  let dependentDialects = ["memref::MemRefDialect"];
}

def TfmGpuTileToWarpsPass : Pass<"tfm-gpu-tile-to-warps", "func::FuncOp"> {
  let summary = "Share each tensor-core contraction of a thread block among "
                "its warps";
  let description = [{
    Inside every `scf.forall` mapped to blocks, an f32 contraction on
    buffers whose innermost m, n and k loops hold whole tensor-core
    fragments (m by 16, n by 8, k by 16) and whose other parallel loops have
    extent 1 becomes an `scf.forall` mapped to `#gpu.warp<linear_dim_k>`
    over warp tiles of at most `warp-tile-m` x `warp-tile-n`: what one
    warp's accumulators and operand fragments keep in registers. Of the
    tilings in whole fragments, the one that keeps the block's warps
    (`threads` / 32) busiest wins, then the largest tiles (fewest operand
    loads per multiply), then the squarest. The block's warps take the
    tiles in turn; the reduction stays whole in each tile. Other ops are
    left to `tfm-gpu-tile-to-threads`.
  }];
  let options = [
    Option<"warpTileM", "warp-tile-m", "int64_t", "64",
           "Most rows of a warp's output tile (a multiple of 16)">,
    Option<"warpTileN", "warp-tile-n", "int64_t", "32",
           "Most columns of a warp's output tile (a multiple of 8)">,
    Option<"threads", "threads", "int64_t", "256",
           "Threads of a block (32 per warp)">,
  ];
  let dependentDialects = ["arith::ArithDialect", "gpu::GPUDialect",
                           "linalg::LinalgDialect", "memref::MemRefDialect",
                           "scf::SCFDialect"];
}

def TfmGpuStageOperandsPass
    : Pass<"tfm-gpu-stage-operands", "func::FuncOp"> {
  let summary = "Stage the operands of a block's tensor-core contraction "
                "in shared memory, a slice of the reduction at a time";
  let description = [{
    Where a block's warps each own one tile of a contraction (a warp step
    with `threads` / 32 iterations), every warp reading its rows of A and
    columns of B from global memory would read each element once per warp
    that shares it. Instead the reduction is walked in slices of `k-tile`
    (and one step of each outer reduction loop): per slice, all the
    block's threads copy the block's A and B slices into block scratch
    (shared memory on the device), a barrier follows, each warp multiplies
    its part of the slices, and a second barrier lets the next slice
    overwrite them. Operands already in block scratch (attention's tiles)
    are read where they are.

    The scratch rows are padded (4 elements when the row runs along the
    reduction, 8 otherwise), so the lanes of a warp reading a fragment
    fall in distinct shared-memory banks. The copies are ordinary steps
    for `tfm-gpu-tile-to-threads`; `tfm-gpu-contract-to-mma` keeps the
    warp's accumulators in registers across the slices.

    ```mlir
    scf.forall (%w) in (8) {                // one tile per warp
      scf.for %s = %c0 to %c24 step %c1 {   // 768 / 32 slices
        linalg.copy ins(%a_slice) outs(%a_shared)
        linalg.copy ins(%b_slice) outs(%b_shared)
        linalg.matmul ins(%a_warp, %b_warp) outs(%c_warp)
        gpu.barrier
      }
    } {mapping = [#gpu.warp<linear_dim_0>]}
    ```
  }];
  let options = [
    Option<"kTile", "k-tile", "int64_t", "32",
           "Reduction elements per staged slice (a multiple of 16)">,
    Option<"threads", "threads", "int64_t", "256",
           "Threads of a block (32 per warp)">,
  ];
  let dependentDialects = ["affine::AffineDialect", "arith::ArithDialect",
                           "gpu::GPUDialect", "linalg::LinalgDialect",
                           "memref::MemRefDialect", "scf::SCFDialect"];
}

def TfmGpuContractToMmaPass
    : Pass<"tfm-gpu-contract-to-mma", "func::FuncOp"> {
  let summary = "Compute each warp's contraction with tensor-core mma.sync";
  let description = [{
    Rewrites every linalg contraction inside a warp step into tensor-core
    multiplies: the warp's output tile as m16n8 accumulator fragments
    (`vector<2x2xf32>` per lane, loaded from the output buffer, so a bias
    or partial sum already there is kept), held in registers across the
    reduction; at each step of 16 (bf16) or 8 (tf32) the lanes load their A
    and B fragment elements in the PTX ISA layouts through the operands'
    indexing maps (any transposition), round them to bf16 or pass them as
    tf32, and issue `nvgpu.mma.sync` (tf32) or `nvvm.mma.sync` (bf16, its
    registers packed pairs) with f32 accumulation; at the end
    they store their fragments. Outer reduction loops (a reduction a
    reshape split in two) are sequential loops around the steps. A
    contraction staged by `tfm-gpu-stage-operands` sits in a loop over the
    reduction's slices: its accumulators are loaded before that loop,
    carried through it and stored after it.
  }];
  let options = [
    Option<"precision", "precision", "std::string", "\"bf16\"",
           "Operand precision of the multiplies: bf16 or tf32">,
  ];
  let dependentDialects = ["arith::ArithDialect", "gpu::GPUDialect",
                           "LLVM::LLVMDialect", "memref::MemRefDialect",
                           "NVVM::NVVMDialect", "nvgpu::NVGPUDialect",
                           "scf::SCFDialect", "vector::VectorDialect"];
}

def TfmGpuRecordLaunchesPass
    : Pass<"tfm-gpu-record-launches", "func::FuncOp"> {
  let summary = "Record on each function the kernels it launches";
  let description = [{
    Sets `tfm.kernels` on every function that launches kernels: one
    dictionary per `gpu.launch_func`, in program order, with the kernel's
    name, its grid and block (-1 where not constant), its dynamic shared
    memory in bytes, and how many times one call launches it (the product
    of the static trip counts of the loops around it; -1 when one is not
    static). gpt3-compile copies it into the manifest.

    ```mlir
    func.func @forward(...) attributes {tfm.kernels = [{block = array<i64:
        256, 1, 1>, grid = array<i64: 24, 1, 1>, kernel = "forward_kernel",
        launches = 12 : i64, shared_memory = 0 : i64}, ...]}
    ```
  }];
  let dependentDialects = ["gpu::GPUDialect"];
}

def TfmGpuMergeSingleBlockKernelsPass
    : Pass<"tfm-gpu-merge-single-block-kernels", "func::FuncOp"> {
  let summary = "Run consecutive one-block kernels as one kernel";
  let description = [{
    In the distributed form, consecutive `scf.forall`s mapped to blocks
    that each run one block (a decode step's row-wise ops and copies)
    become one: the second's body follows the first's in the same block,
    its block index the loop's origin. Every step ends in a barrier, and a
    barrier makes the block's global writes visible to its threads, so the
    order of the former kernels holds. Pure ops between two (views,
    constants) move before the first; anything else ends a run, as does
    block scratch beyond `shared-memory` bytes in all.
  }];
  let options = [
    Option<"sharedMemory", "shared-memory", "int64_t", "49152",
           "Most bytes of block scratch a merged kernel may hold">,
  ];
  let dependentDialects = ["arith::ArithDialect"];
}

def TfmGpuContractToRegistersPass
    : Pass<"tfm-gpu-contract-to-registers", "func::FuncOp"> {
  let summary = "Keep a thread's contraction tile in registers over the "
                "reduction";
  let description = [{
    Rewrites every linalg contraction inside a thread step with at most 64
    outputs (tfm-gpu-tile-to-threads gives contractions tiles of up to
    4 x 8) into loops over its reductions that carry the outputs as values:
    they are loaded once, each step loads every element of A and B it needs
    once and issues one `math.fma` per output, and they are stored once at
    the end. Contractions with more outputs are left as they are.
  }];
  let dependentDialects = ["arith::ArithDialect", "math::MathDialect",
                           "memref::MemRefDialect", "scf::SCFDialect"];
}

#endif // TFM_CODEGEN_GPU_PASSES_TD
