//===- Passes.td - tfm CPU codegen passes ------------------*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The CPU target's passes: packing, thread and register tiles,
// vectorization, hoisting, math approximation, buffers, entry points.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CODEGEN_CPU_PASSES_TD
#define TFM_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmCpuSplitVocabularyPass
    : Pass<"tfm-cpu-split-vocabulary", "func::FuncOp"> {
  let summary = "Run the output projection as a matmul on a transposed "
                "table, its vocabulary split into an evenly tiled part and "
                "a tail";
  let description = [{
    `convert-tfm-to-linalg` lowers the tied output projection as dot
    products with the rows of the table, `logits[m..., v] = sum_c x[m...,
    c] wte[v, c]`, read in place: the right form for one or two rows (a
    decode step). For more rows, this pass transposes the table once to
    `(C, V)` so the product is a plain matmul, and splits the vocabulary
    into a multiple of `vocab-block` columns and a tail (`50257 = 50176 +
    81`), each a `linalg.contract` writing its own columns of the logits:
    the thread and register tiles then divide the main part, where the
    prime-rich `50257 = 29 x 1733` has no divisor near a tile. Any
    function-level contraction of that form, `out[m..., n] = sum_k x[m...,
    k] w[n, k]` into a filled tensor, qualifies; tiles inside kernels do
    not.

    Before:
    ```mlir
    %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4x64x50257xf32>) -> tensor<4x64x50257xf32>
    %l = linalg.generic {indexing_maps = [(b, t, v, c) -> (b, t, c), (b, t, v, c) -> (v, c),
                                          (b, t, v, c) -> (b, t, v)], ...}
        ins(%x, %wte : tensor<4x64x768xf32>, tensor<50257x768xf32>) outs(%z) { mulf, addf }
    ```
    After:
    ```mlir
    %wT = linalg.transpose ins(%wte) outs(%e2 : tensor<768x50257xf32>) permutation = [1, 0]
    %m = linalg.contract ... ins(%x, %wT[0, 0] [768, 50176]) outs(%z0 : tensor<4x64x50176xf32>)
    %l0 = tensor.insert_slice %m into %e[0, 0, 0] [4, 64, 50176] [1, 1, 1]
    %t = linalg.contract ... ins(%x, %wT[0, 50176] [768, 81]) outs(%z1 : tensor<4x64x81xf32>)
    %l = tensor.insert_slice %t into %l0[0, 0, 50176] [4, 64, 81] [1, 1, 1]
    ```

    In training, the table's gradient `d_wte[v, c] = sum_t dlogits[t, v]
    x[t, c]` has the vocabulary as its rows: a function-level contraction
    into a fill whose innermost m extent is at least 4096 and not a
    multiple of `vocab-block` is split the same way along m (whole, its
    register tiles were one row high). Each part fills its own rows of a
    fresh result, so the fill stays private to whoever else starts from it
    (the embedding gradient), and nothing is copied.

    Preconditions: linalg on tensors, before `tfm-cpu-pack-matmuls` (which
    packs the panels straight from the table).
  }];
  let options = [
    Option<"vocabBlock", "vocab-block", "int64_t", "128",
           "The main part's width is a multiple of this many columns">,
  ];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect"];
}

def TfmCpuPackMatmulsPass : Pass<"tfm-cpu-pack-matmuls", "func::FuncOp"> {
  let summary = "Copy the right operand of large matmuls into column panels";
  let description = [{
    A matmul's register tile reads one row of `B` per reduction step. Read
    in place, those rows lie `N` floats apart; when `4 N` is a multiple of
    4 KiB (`N = 3072`) all rows of a panel map to the same cache sets, and
    the panel cannot stay in L1 or L2 while the tiles of a thread block loop
    over it. This pass copies `B` once into contiguous panels of
    `panel-width` columns, `(K, N) -> (N / P, K, P)`, and computes the
    product on the `(M, N / P, P)` view of `C`, so every reduction loop
    reads a single stream. f32 contractions, and bf16 ones into f32, with
    at least `min-rows` rows are packed: fewer rows do not amortise the
    copy. In bf16 the panels pair W's rows, `(K, N) -> (N / P, K / 2, P,
    2)`, and `x` is viewed as `(M, K / 2, 2)`: the product reduces over the
    pairs and within each pair, the layout of AVX512-BF16's pairwise dot
    product (`tfm-cpu-lower-bf16-contractions`); an odd `K` is left as it
    is. Any `x @ W` form
    qualifies: `linalg.matmul`, or the generic that reshape propagation
    makes of it, whose `W` may be split into `(heads, head size, N)` or
    `(K, 3, heads, head size)`; the groups are collapsed back first, also
    in a form too short to pack (a decode step), so that the register
    tiling sees one `n` and one `k` loop. A `W`
    that is the transpose of an `(N, K)` matrix (or a slice of one: the
    output projection's tied table, the weights of a backward product) is
    packed from that matrix in one transposing copy, and any other slice
    of such a transpose gets a transpose of just its slice.

    Before:
    ```mlir
    %c = linalg.matmul ins(%a, %b : tensor<256x768xf32>, tensor<768x3072xf32>)
                       outs(%acc : tensor<256x3072xf32>) -> tensor<256x3072xf32>
    ```
    After:
    ```mlir
    %cols = tensor.expand_shape %b [[0], [1, 2]] : ... into tensor<768x96x32xf32>
    %panels = linalg.transpose ins(%cols : tensor<768x96x32xf32>)
                outs(%e : tensor<96x768x32xf32>) permutation = [1, 0, 2]
    %acc3 = tensor.expand_shape %acc [[0], [1, 2]] : ... into tensor<256x96x32xf32>
    %c3 = linalg.contract (m, j, p, k): A[m, k] * Bp[j, k, p] -> C[m, j, p]
    %c = tensor.collapse_shape %c3 [[0], [1, 2]] : ... into tensor<256x3072xf32>
    ```

    Preconditions: linalg on tensors, before `tfm-cpu-tile-and-vectorize`.
  }];
  let options = [
    Option<"panelWidth", "panel-width", "int64_t", "32",
           "Columns per panel: the width of the matmul register tile">,
    Option<"minRows", "min-rows", "int64_t", "64",
           "Fewest rows of A for which the copy of B pays">,
  ];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect",
                           "arith::ArithDialect"];
}

def TfmCpuSelectThreadTilesPass
    : Pass<"tfm-cpu-select-thread-tiles", "func::FuncOp"> {
  let summary = "Decide each contraction's thread block once, as an "
                "attribute";
  let description = [{
    Annotates every contraction on tensors with `tfm.thread_tiles`, its
    `scf.forall` tile per loop: the innermost m and n loops blocked by at
    most `thread-tile-m` x `thread-tile-n` (whole packed panels), other m,
    n and batch loops stepping by one, 0 for the reductions. One and two
    row products whose right operand runs along the reduction are dot
    products and get none. `tfm-fuse-matmul-epilogues` tiles epilogues
    into these blocks and `tfm-cpu-tile-and-vectorize` register-tiles
    them; neither decides again.

    ```mlir
    %r = linalg.matmul {tfm.thread_tiles = array<i64: 64, 256, 0>}
        ins(%a, %b : tensor<128x768xf32>, tensor<768x768xf32>) ...
    ```

    Preconditions: linalg on tensors, after `tfm-cpu-pack-matmuls`.
  }];
  let options = [
    Option<"threadTileM", "thread-tile-m", "int64_t", "64",
           "Rows of a matmul block handed to one thread">,
    Option<"threadTileN", "thread-tile-n", "int64_t", "256",
           "Columns of a matmul block handed to one thread">,
  ];
}

def TfmCpuTileAndVectorizePass
    : Pass<"tfm-cpu-tile-and-vectorize", "func::FuncOp"> {
  let summary = "Tile linalg ops for threads and registers, then vectorize";
  let description = [{
    Tiles every linalg op on tensors twice and vectorizes the innermost tile:

    1. Thread level: `scf.forall` over the parallel dimensions. Matmuls use
       the blocks `tfm-cpu-select-thread-tiles` chose (`tfm.thread_tiles`);
       other ops split their first
       parallel dimension into about `chunks` pieces, unless they have
       fewer than `min-parallel-iterations` iterations (a decode step's
       layer norm, 768): waking the other threads and the barrier after
       them would cost more than the few microseconds of work. `scf.forall` becomes an
       OpenMP parallel loop later in the pipeline. Ops that a fusion pass
       already placed in an `scf.forall` (a fused kernel's tiles, a matmul
       block with its bias and epilogue) keep that loop and only get step 2.
    2. Register level: `scf.for` loops. Matmuls use an
       `reg-tile-m x reg-tile-n x 1` tile so the `8 x 32` accumulator stays
       in 16 AVX-512 registers across the reduction loop (once transfers are
       hoisted); other ops use `1 x ... x vector-width` tiles. A reduction
       over an innermost dimension longer than one vector (softmax max and
       sum, layer-norm moments) is tiled as a partial reduction: the loop
       carries `vector-width` lane-wise partial results and one cross-lane
       reduction per row merges them after it. One or two rows times a
       right operand whose rows run along the reduction (`x . W^T` with `W`
       read in place, the decode step's output projection) are dot
       products, tiled the same way.
    3. The innermost tile is vectorized (masked where a dimension does not
       divide the tile). Ops the vectorizer rejects (gathers) stay scalar;
       contractions must vectorize, or the pass fails.

    Around these steps: generic contractions (reshape propagation makes
    them of `x @ W`) become `linalg.contract` first, so a register-tile step
    is a `vector.contract` (FMAs) rather than a multiply and an add; and an
    op whose innermost dimension has no divisor of at least
    half a vector (the vocabulary, 50257) is split into whole vectors and a
    tail, rather than tiled one lane at a time.

    Before:
    ```mlir
    %r = linalg.matmul ins(%a, %b : tensor<128x768xf32>, tensor<768x768xf32>)
                       outs(%c : tensor<128x768xf32>) -> tensor<128x768xf32>
    ```
    After (abridged):
    ```mlir
    scf.forall (%i, %j) = (0, 0) to (128, 768) step (64, 256) {
      scf.for %m ... step 8 { scf.for %n ... step 32 { scf.for %k ... step 1 {
        %acc = vector.transfer_read ... : vector<8x32xf32>
        %r = vector.contract ... vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
        vector.transfer_write %r ...
    } } } }
    ```

    Preconditions: linalg ops on static-shaped tensors.
  }];
  let options = [
    Option<"regTileM", "reg-tile-m", "int64_t", "8",
           "Rows of the matmul register tile">,
    Option<"regTileN", "reg-tile-n", "int64_t", "32",
           "Columns of the matmul register tile">,
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "Lanes of the innermost dimension of non-matmul tiles">,
    Option<"chunks", "chunks", "int64_t", "8",
           "Pieces the first parallel dimension of a non-matmul op is cut "
           "into for threads">,
    Option<"minParallelIterations", "min-parallel-iterations", "int64_t",
           "16384",
           "Fewest iterations for which a non-matmul op is split among "
           "threads; smaller ones run on the calling thread">,
  ];
  let dependentDialects = [
    "affine::AffineDialect", "arith::ArithDialect", "scf::SCFDialect",
    "tensor::TensorDialect", "vector::VectorDialect"
  ];
}

def TfmCpuHoistVectorTransfersPass
    : Pass<"tfm-cpu-hoist-vector-transfers", "func::FuncOp"> {
  let summary = "Keep loop-carried vector accumulators in registers";
  let description = [{
    Hoists `vector.transfer_read`/`vector.transfer_write` pairs on the same
    buffer slice out of the loops that do not change their indices, so that a
    matmul's accumulator is read once before its reduction loop and written
    once after it instead of on every iteration.

    Before:
    ```mlir
    scf.for %k = %c0 to %c768 step %c1 {
      %acc = vector.transfer_read %C[%i, %j] : memref<...>, vector<8x32xf32>
      %r = vector.contract ... %acc
      vector.transfer_write %r, %C[%i, %j]
    }
    ```
    After:
    ```mlir
    %acc0 = vector.transfer_read %C[%i, %j]
    %acc = scf.for %k ... iter_args(%a = %acc0) { ... scf.yield %r }
    vector.transfer_write %acc, %C[%i, %j]
    ```

    Unlike upstream hoisting, the buffer may be a view (an expand_shape of a
    matmul output, a slice of an out-parameter): aliasing is decided on the
    allocation or function argument the view is taken of, and a pair is
    hoisted only when nothing else in the loop reads or writes that root.
    Function arguments are distinct buffers by the entry-point contract.

    Preconditions: bufferized IR.
  }];
  let dependentDialects = ["vector::VectorDialect", "scf::SCFDialect"];
}

def TfmCpuApproximateMathPass : Pass<"tfm-cpu-approximate-math", "func::FuncOp"> {
  let summary = "Expand tanh, exp, log and rsqrt into vectorizable polynomials";
  let description = [{
    Replaces `math` ops that LLVM would scalarize into libm calls with the
    polynomial approximations of MLIR's math dialect (a few ulp of f32), so
    that GELU, softmax and layer norm stay vectorized.

    Before:
    ```mlir
    %t = math.tanh %x : vector<16xf32>
    ```
    After: a sequence of `arith` ops on `vector<16xf32>`.

    Preconditions: none.
  }];
  let dependentDialects = ["arith::ArithDialect", "vector::VectorDialect",
                           "math::MathDialect"];
}

def TfmCpuLowerBf16ContractionsPass
    : Pass<"tfm-cpu-lower-bf16-contractions", "func::FuncOp"> {
  let summary = "Lower bf16 contractions in pairs to AVX512-BF16 dot products";
  let description = [{
    A bf16 matmul packed by `tfm-cpu-pack-matmuls` reads its operands in
    pairs along k (`A` as `(M, K / 2, 2)`, `B` as `(N / P, K / 2, P, 2)`),
    and its register tile contracts one pair per step into f32. This pass
    unrolls each such `vector.contract` into pieces of one row, 16 columns
    and one pair, and lowers each piece with MLIR's x86vector patterns to a
    broadcast of the row's pair and `x86vector.avx512.dot` (`vdpbf16ps`:
    16 lanes, each adding two bf16 products to an f32 accumulator). Other
    contractions are left as they are.

    Before:
    ```mlir
    %r = vector.contract {(m, j, p, k, q): A[m, k, q] * B[j, k, p, q] -> C[m, j, p]}
        %a, %b, %c : vector<8x1x2xbf16>, vector<1x1x32x2xbf16> into vector<8x1x32xf32>
    ```
    After, for each of the 8 rows and 2 halves of 16 columns:
    ```mlir
    %pair = vector.bitcast %a_row : vector<2xbf16> to vector<1xi32>
    %rep = vector.broadcast %pair : vector<1xi32> to vector<16xi32>
    %d = x86vector.avx512.dot %c_piece, %rep_bf16, %b_piece : vector<32xbf16> -> vector<16xf32>
    ```

    Preconditions: vectorized code; the target has AVX512-BF16 (the
    x86vector ops are legalized by `convert-vector-to-llvm` with
    `enable-x86vector`).
  }];
  let dependentDialects = ["affine::AffineDialect", "arith::ArithDialect",
                           "memref::MemRefDialect", "vector::VectorDialect",
                           "x86vector::X86VectorDialect"];
}

def TfmCpuPlanBuffersPass : Pass<"tfm-cpu-plan-buffers", "func::FuncOp"> {
  let summary = "Place every temporary buffer in one workspace argument";
  let description = [{
    Replaces each statically shaped `memref.alloc` at the top level of a
    public function with a `memref.view` into a new trailing argument
    `%workspace: memref<Nxi8>`, so a compiled entry point never allocates:
    the runtime allocates the workspace once and passes it on every call.

    Buffers whose live ranges (from the alloc to the last top-level op that
    uses it or a view of it) do not overlap share bytes; offsets are
    assigned largest buffer first, each at the lowest 64-byte-aligned offset
    that overlaps no live-intersecting buffer. The function gets
    `tfm.workspace_bytes = N`.

    Before:
    ```mlir
    func.func @f(%x: memref<16xf32>) {
      %a = memref.alloc() : memref<16xf32>
      ...
    }
    ```
    After:
    ```mlir
    func.func @f(%x: memref<16xf32>, %workspace: memref<64xi8>)
        attributes {tfm.workspace_bytes = 64 : i64} {
      %c0 = arith.constant 0 : index
      %a = memref.view %workspace[%c0][] : memref<64xi8> to memref<16xf32>
      ...
    }
    ```

    Scratch allocated inside loops (partial results of a row reduction) has
    the same static size on every iteration: inside an `scf.forall` it
    becomes one `memref.alloca` at the top of the parallel body (per thread,
    at most 64 KiB); outside any, it moves to the function level and into
    the workspace. Dynamically sized ones are an error.

    Preconditions: bufferized IR whose allocations do not escape (results
    are out-parameters).
  }];
  let dependentDialects = ["memref::MemRefDialect", "arith::ArithDialect"];
}

def TfmCpuPinSplitViewsPass : Pass<"tfm-cpu-pin-split-views", "func::FuncOp"> {
  let summary = "State the layout of split memref views explicitly";
  let description = [{
    memref's fold-alias patterns fold a `memref.expand_shape` into the
    vector transfers that read or write it, re-indexing them on the unsplit
    buffer, but keep the vector's minor-identity map. When the vector has no
    more dimensions than that buffer, its dimensions then land on the wrong
    ones: an `8 x 1 x 32` accumulator (rows, panel, columns) of a packed
    matmul, read through the `(b, t, N) -> (b, t, N / 32, 32)` view of its
    result, would read 8 along `b`. This pass replaces every statically
    laid out `memref.expand_shape` by a `memref.reinterpret_cast` to the
    same layout, which the folding leaves alone; subviews of it still fold.

    Before:
    ```mlir
    %v = memref.expand_shape %c [[0], [1], [2, 3]] output_shape [4, 64, 1568, 32]
        : memref<4x64x50176xf32, strided<[3216448, 50257, 1]>>
          into memref<4x64x1568x32xf32, strided<[3216448, 50257, 32, 1]>>
    ```
    After:
    ```mlir
    %v = memref.reinterpret_cast %c to offset: [0], sizes: [4, 64, 1568, 32],
        strides: [3216448, 50257, 32, 1] : ... to memref<4x64x1568x32xf32, strided<[3216448, 50257, 32, 1]>>
    ```

    Preconditions: bufferized functions; runs before fold-memref-alias-ops.
  }];
  let dependentDialects = ["memref::MemRefDialect"];
}

def TfmCpuLowerCollectivesPass
    : Pass<"tfm-cpu-lower-collectives", "ModuleOp"> {
  let summary = "Lower the tfm collectives to MPI on buffers";
  let description = [{
    Each `tfm.all_reduce` (a mean over the ranks) becomes a scaling by
    `1 / ranks`, exact for a power of two, and an `MPI_Allreduce` sum of
    the scaled tensor's buffer into a new one (upstream `mpi` dialect, on
    `MPI_COMM_WORLD`), in pieces of at most `max-count` elements since MPI
    counts are 32-bit. The module is marked for OpenMPI's ABI
    (`MPI:Implementation`), which `convert-to-llvm` reads to lower the
    `mpi` ops to calls into `libmpi`.

    ZeRO's collectives go the same way: `tfm.reduce_scatter` (scaled the
    same) and `tfm.all_gather` call the runtime's
    `gpt3_mpi_reduce_scatter_f32` and `gpt3_mpi_all_gather_f32`
    (`MPI_Reduce_scatter_block`, `MPI_Allgather`, which the `mpi` dialect
    lacks) with the buffers' addresses and the share's size;
    `tfm.rank_share` becomes a slice at `mpi.comm_rank` times the share.

    Before:
    ```mlir
    %mean = tfm.all_reduce %g {ranks = 2 : i64} : tensor<64xf32>
    ```
    After:
    ```mlir
    %half = linalg.generic ... %g[i] * 0.5 ...
    %send = bufferization.to_buffer %half read_only : tensor<64xf32> to memref<64xf32>
    %recv = memref.alloc() {alignment = 64 : i64} : memref<64xf32>
    %comm = mpi.comm_world : !mpi.comm
    mpi.allreduce(%send, %recv, MPI_SUM, %comm) : memref<64xf32>, memref<64xf32>
    %mean = bufferization.to_tensor %recv restrict writable : memref<64xf32> to tensor<64xf32>
    ```

    Preconditions: linalg on tensors, before bufferization.
  }];
  let options = [
    Option<"maxCount", "max-count", "int64_t", /*default=*/"1073741824",
           "Elements per MPI call">,
  ];
  let dependentDialects = ["bufferization::BufferizationDialect",
                           "DLTIDialect", "linalg::LinalgDialect",
                           "memref::MemRefDialect", "mpi::MPIDialect"];
}

def TfmCpuMpiToLlvmPass : Pass<"tfm-cpu-mpi-to-llvm", "ModuleOp"> {
  let summary = "Lower the mpi dialect to calls into OpenMPI's libmpi";
  let description = [{
    Applies upstream's `mpi` to LLVM patterns (for the implementation the
    module's `MPI:Implementation` names, OpenMPI here), then corrects their
    names of the predefined reduction ops: upstream refers to `ompi_mpi_sum`,
    `ompi_mpi_max`, ..., which `libmpi` exports as `ompi_mpi_op_sum`,
    `ompi_mpi_op_max`, ... (`mpi.h` defines `MPI_SUM` as
    `&ompi_mpi_op_sum`); without the correction a model binary would not
    link. Memref operands are taken through their LLVM descriptors, so this
    runs before the memref conversion. A module without `mpi` ops is left
    alone.

    Before:
    ```mlir
    %comm = mpi.comm_world : !mpi.comm
    mpi.allreduce(%send, %recv, MPI_SUM, %comm) : memref<64xf32>, memref<64xf32>
    ```
    After:
    ```mlir
    llvm.mlir.global external @ompi_mpi_op_sum() : !llvm.struct<"ompi_predefined_op_t", opaque>
    ...
    %op = llvm.mlir.addressof @ompi_mpi_op_sum : !llvm.ptr
    %rc = llvm.call @MPI_Allreduce(%sendPtr, %recvPtr, %count, %float, %op, %comm) : ...
    ```
  }];
  let dependentDialects = ["LLVM::LLVMDialect"];
}

def TfmCpuExpandStridedCopiesPass
    : Pass<"tfm-cpu-expand-strided-copies", "func::FuncOp"> {
  let summary = "Turn copies between non-contiguous views into linalg.copy";
  let description = [{
    MLIR lowers a `memref.copy` between contiguous buffers to a memcpy, but
    calls `memrefCopy` from its runner library for any strided view. Model
    binaries link no MLIR library, so this pass rewrites those copies (rows
    of a per-head tensor, say) as `linalg.copy`, which the pipeline lowers
    to loops like every other linalg op. Contiguous copies are left alone.

    Before:
    ```mlir
    memref.copy %a, %b : memref<2x4x8xf32, strided<[256, 64, 1], offset: ?>>
                      to memref<2x4x8xf32, strided<[256, 64, 1], offset: ?>>
    ```
    After:
    ```mlir
    linalg.copy ins(%a : ...) outs(%b : ...)
    ```

    Preconditions: bufferized functions.
  }];
  let dependentDialects = ["linalg::LinalgDialect"];
}

def TfmCpuPackEntryPointsPass
    : Pass<"tfm-cpu-pack-entry-points", "ModuleOp"> {
  let summary = "Give each public LLVM function a packed-argument entry";
  let description = [{
    For every public `llvm.func @f(ptr, ..., ptr)` (an entry point lowered
    with bare-pointer memrefs), adds `llvm.func @gpt3_entry_f(ptr %argv)`
    that loads the i-th pointer from `argv[i]` and calls `@f`. The runtime
    can then call an entry point with any number of buffers through one C
    signature, `void (*)(void **)`, without generated glue. The original
    function becomes internal, so only `gpt3_entry_*` symbols are exported,
    and loses its `tfm.*` argument attributes, which LLVM IR cannot carry
    (the artefact's manifest records them).

    Before:
    ```mlir
    llvm.func @forward(%tokens: !llvm.ptr, %wte: !llvm.ptr, %out: !llvm.ptr)
    ```
    After (added):
    ```mlir
    llvm.func @gpt3_entry_forward(%argv: !llvm.ptr) {
      %p0 = llvm.getelementptr %argv[0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
      %a0 = llvm.load %p0 : !llvm.ptr -> !llvm.ptr
      ...
      llvm.call @forward(%a0, %a1, %a2) : (!llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
      llvm.return
    }
    ```

    Preconditions: the module is in the LLVM dialect; entry points take only
    pointers and return nothing.
  }];
  let dependentDialects = ["LLVM::LLVMDialect"];
}

#endif // TFM_CODEGEN_CPU_PASSES_TD
