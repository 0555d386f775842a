//===- TfmParallelOps.td - Collectives between ranks -------*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Ops that exchange tensors between the processes (ranks) of a
// data-parallel run. tfm-data-parallel inserts them; each target lowers
// them to its transport (MPI on the CPU).
//
//===----------------------------------------------------------------------===//

def Tfm_AllReduceOp
    : Tfm_Op<"all_reduce", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Mean of a tensor over the ranks of a data-parallel run";
  let description = [{
    Every one of the `ranks` processes passes its own value of `input` and
    receives the elementwise mean of all of them. Each rank must reach the
    same all-reduces in the same order with the same types; the op is not
    `Pure`, so it is neither erased nor reordered with another collective.

    ```mlir
    %mean = tfm.all_reduce %bucket {ranks = 2 : i64} : tensor<4096xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, I64Attr:$ranks);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let builders = [
    OpBuilder<(ins "Value":$input, "int64_t":$ranks), [{
      build($_builder, $_state, input.getType(), input,
            $_builder.getI64IntegerAttr(ranks));
    }]>
  ];
  let hasVerifier = 1;
}

def Tfm_ReduceScatterOp : Tfm_Op<"reduce_scatter", []> {
  let summary = "This rank's share of the mean of a tensor over the ranks";
  let description = [{
    The one-dimensional `input` of `ranks * S` elements is averaged over the
    ranks, as `tfm.all_reduce` does, and rank `r` receives only elements
    `r * S` to `(r + 1) * S - 1` of the mean: ZeRO's reduce-scatter of
    gradients, each rank keeping the share whose optimizer state it holds.

    ```mlir
    %share = tfm.reduce_scatter %bucket {ranks = 2 : i64}
        : tensor<4096xf32> -> tensor<2048xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, I64Attr:$ranks);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tfm_AllGatherOp : Tfm_Op<"all_gather", []> {
  let summary = "Every rank's share of a tensor, concatenated in rank order";
  let description = [{
    Each rank passes its one-dimensional share of `S` elements; every rank
    receives the `ranks * S` elements of all shares, rank 0's first: ZeRO's
    all-gather of the parameters each rank updated.

    ```mlir
    %all = tfm.all_gather %share {ranks = 2 : i64}
        : tensor<2048xf32> -> tensor<4096xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, I64Attr:$ranks);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tfm_RankShareOp : Tfm_Op<"rank_share", [Pure]> {
  let summary = "This rank's share of a tensor that every rank holds";
  let description = [{
    Of a one-dimensional `input` of `ranks * S` elements, which every rank
    holds whole, elements `r * S` to `(r + 1) * S - 1` on rank `r`: the
    parameters whose update a rank owns under ZeRO. Nothing is exchanged.

    ```mlir
    %mine = tfm.rank_share %params {ranks = 2 : i64}
        : tensor<4096xf32> -> tensor<2048xf32>
    ```
  }];
  let arguments = (ins Tfm_Tensor:$input, I64Attr:$ranks);
  let results = (outs Tfm_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}
