//===- TfmInterfaces.td - Transformer dialect interfaces --*- tablegen -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The vector-Jacobian product interface: every differentiable `tfm` op states
// its own adjoint, so `tfm-autodiff` is a reverse walk that asks each op for
// it rather than a switch over op names.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFMINTERFACES_TD
#define TFM_DIALECT_TFMINTERFACES_TD

include "mlir/IR/OpBase.td"

def Tfm_VjpOpInterface : OpInterface<"VjpOpInterface"> {
  let description = [{
    An op whose vector-Jacobian product can be written as `tfm` ops: given
    the gradient of a scalar loss with respect to each of its results, it
    builds the gradient with respect to each of its operands.
  }];
  let cppNamespace = "::mlir::tfm";
  let methods = [
    InterfaceMethod<[{
        Builds, at the builder's insertion point, the gradients of the
        operands from `resultGrads` (one per result; a null value for a
        result the loss does not depend on) and appends one value per
        operand to `operandGrads`, null for an operand that has no gradient
        (token ids, targets). Fails with a diagnostic on the op when its
        configuration is not differentiable.
      }],
      "::mlir::LogicalResult", "buildVjp",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ArrayRef<::mlir::Value>":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
  ];
}

#endif // TFM_DIALECT_TFMINTERFACES_TD
