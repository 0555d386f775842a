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
