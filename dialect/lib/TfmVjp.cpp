//===- TfmVjp.cpp - Vector-Jacobian products of the tfm ops -----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Each forward op states the gradient of its operands in terms of the
// gradient of its result, as one backward op at the level of the layer
// (tfm.linear_grad, tfm.attention_grad, ...) rather than as scalar
// derivatives, so that the backward graph keeps the structure the fusion and
// lowering passes work on.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::tfm;

#include "tfm/Dialect/TfmInterfaces.cpp.inc"

LogicalResult EmbeddingOp::buildVjp(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  if (getStart())
    return emitOpError() << "at a runtime position is not differentiable; "
                            "train on whole sequences";
  auto grad =
      EmbeddingGradOp::create(b, getLoc(), getWte().getType(),
                              getWpe().getType(), getTokens(), resultGrads[0]);
  operandGrads.append({Value(), grad.getDWte(), grad.getDWpe()});
  return success();
}

LogicalResult LayerNormOp::buildVjp(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  auto grad = LayerNormGradOp::create(b, getLoc(), getInput().getType(),
                                      getGamma().getType(), getBeta().getType(),
                                      getInput(), getGamma(), resultGrads[0],
                                      getEpsilonAttr());
  operandGrads.append({grad.getDInput(), grad.getDGamma(), grad.getDBeta()});
  return success();
}

LogicalResult LinearOp::buildVjp(OpBuilder &b, ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  auto weight = llvm::cast<RankedTensorType>(getWeight().getType());
  auto bias =
      RankedTensorType::get({weight.getDimSize(1)}, weight.getElementType());
  auto grad =
      LinearGradOp::create(b, getLoc(), getInput().getType(), weight, bias,
                           getInput(), getWeight(), resultGrads[0]);
  operandGrads.append({grad.getDInput(), grad.getDWeight()});
  if (getBias())
    operandGrads.push_back(grad.getDBias());
  return success();
}

LogicalResult GeluOp::buildVjp(OpBuilder &b, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      GeluGradOp::create(b, getLoc(), getInput(), resultGrads[0]));
  return success();
}

LogicalResult AddOp::buildVjp(OpBuilder &, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  operandGrads.append({resultGrads[0], resultGrads[0]});
  return success();
}

LogicalResult SoftmaxOp::buildVjp(OpBuilder &b, ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      SoftmaxGradOp::create(b, getLoc(), getResult(), resultGrads[0]));
  return success();
}

LogicalResult AttentionOp::buildVjp(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(AttentionGradOp::create(
      b, getLoc(), getQkv().getType(), getQkv(), getResult(), resultGrads[0],
      getNumHeadsAttr(), getPatternAttr()));
  return success();
}

LogicalResult LmHeadOp::buildVjp(OpBuilder &b, ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  auto grad = LmHeadGradOp::create(b, getLoc(), getInput().getType(),
                                   getWte().getType(), getInput(), getWte(),
                                   resultGrads[0]);
  operandGrads.append({grad.getDInput(), grad.getDWte()});
  return success();
}

LogicalResult CrossEntropyOp::buildVjp(OpBuilder &b,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  operandGrads.append(
      {CrossEntropyGradOp::create(b, getLoc(), getLogits().getType(),
                                  getLogits(), getTargets(), resultGrads[0]),
       Value()});
  return success();
}
