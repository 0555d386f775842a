//===- TfmScanOps.td - The layer loop ----------------------*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Every layer of a GPT model is the same computation on its own weights, so
// the stack is one body run over weights stored stacked, as a scan: a carry
// (the residual stream, the caches) threads through the iterations, and
// each iteration reads slice i of every stacked input.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFMSCANOPS_TD
#define TFM_DIALECT_TFMSCANOPS_TD

def Tfm_ScanOp : Tfm_Op<"scan", [RecursiveMemoryEffects,
                                 AttrSizedOperandSegments]> {
  let summary = "A body run `count` times over stacked inputs, with carries";
  let description = [{
    Runs its body for `i = 0 .. count - 1` (with `reverse`, for
    `i = count - 1 .. 0`: the backward pass of a scan). The body's arguments are the
    iteration `i` (an index), the carries (the `inits` in the first
    iteration, then what the previous iteration yielded) and slice `i` of
    each stacked input `xs` (shape `(count, ...)`, the slice without the
    leading dimension). It yields the next carries and one slice of each
    stacked output. The results are the last carries, then the stacked
    outputs `(count, ...)`, slice `i` being what iteration `i` yielded.

    The frontend writes a GPT model's layer stack as one scan whose body is
    one period of the attention pattern (GPT-3: a dense and a banded
    layer), the carries the residual stream and the key/value caches, and
    the stacked inputs the layers' weights (`(L / period, ...)` views of the
    weight arena). The body may read values defined above it.

    ```mlir
    %y = tfm.scan 12 carry(%x : tensor<1x64x768xf32>)
                     over(%g, %b : tensor<12x768xf32>, tensor<12x768xf32>) {
    ^bb0(%i: index, %h: tensor<1x64x768xf32>, %gi: tensor<768xf32>, %bi: tensor<768xf32>):
      %n = tfm.layer_norm %h, %gi, %bi {epsilon = 1.0e-05 : f64} : ...
      tfm.yield %n : tensor<1x64x768xf32>
    } : tensor<1x64x768xf32>
    ```
  }];
  let arguments = (ins I64Attr:$count, UnitAttr:$reverse,
                       Variadic<Tfm_Tensor>:$inits, Variadic<Tfm_Tensor>:$xs);
  let results = (outs Variadic<Tfm_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $count (`reverse` $reverse^)? (`carry` `(` $inits^ `:` type($inits) `)`)?
    (`over` `(` $xs^ `:` type($xs) `)`)? $body attr-dict `:` type($results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The last carries, then the stacked outputs.
    ResultRange getCarries() {
      return getResults().take_front(getInits().size());
    }
    ResultRange getYs() { return getResults().drop_front(getInits().size()); }
    Block &getBodyBlock() { return getBody().front(); }
  }];
}

def Tfm_YieldOp : Tfm_Op<"yield", [Pure, Terminator, HasParent<"ScanOp">]> {
  let summary = "The next carries and this iteration's stacked outputs";
  let description = [{
    Ends a `tfm.scan` body: the carries for the next iteration, then one
    slice of each stacked output.
  }];
  let arguments = (ins Variadic<Tfm_Tensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // TFM_DIALECT_TFMSCANOPS_TD
