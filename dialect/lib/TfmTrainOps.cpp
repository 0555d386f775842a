//===- TfmTrainOps.cpp - Backward and optimizer op verifiers ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A backward op's operands are those of its forward op plus the gradient of
// the forward result, so each verifier checks the forward shapes first and
// then that every gradient has the shape of the value it belongs to.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmOps.h"

#include "Checks.h"

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::checks;

namespace {
/// Checks that result `index`, described as `what`, has `shape` and the
/// element type of `reference`.
LogicalResult checkResult(Operation *op, unsigned index, StringRef what,
                          ArrayRef<int64_t> shape, Value reference) {
  return checkResultType(op, index, what, shape, elementOf(reference));
}

ArrayRef<int64_t> shapeOf(Value value) {
  return llvm::cast<RankedTensorType>(value.getType()).getShape();
}

/// A rank-0 float tensor of the element type of `reference`.
LogicalResult checkScalar(Operation *op, Value value, StringRef what,
                          Value reference) {
  if (failed(checkFloat(op, value, what, 0)))
    return failure();
  return checkSameElement(op, value, what, reference, "the gradients");
}
} // namespace

LogicalResult GradientOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getLoss(), "loss", 0)))
    return failure();
  if (getWrt().size() != getGrads().size())
    return emitOpError() << "has " << getWrt().size() << " values but "
                         << getGrads().size() << " gradients";
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getWrt(), getGrads()))) {
    auto [value, grad] = pair;
    if (failed(checkFloat(op, value, "every value", std::nullopt)))
      return failure();
    if (value.getType() != grad.getType())
      return emitOpError() << "gradient " << i << " has type " << grad.getType()
                           << ", not its value's type " << value.getType();
  }
  return success();
}

LogicalResult EmbeddingGradOp::verify() {
  Operation *op = getOperation();
  if (failed(checkTensor(op, getTokens(), "tokens", ElementKind::Integer, 2)) ||
      failed(checkFloat(op, getDOut(), "d_out", 3)) ||
      failed(checkFloat(op, getDWte(), "d_wte", 2)) ||
      failed(checkFloat(op, getDWpe(), "d_wpe", 2)))
    return failure();
  int64_t batch = dim(getTokens(), 0), seq = dim(getTokens(), 1);
  int64_t width = dim(getDOut(), 2);
  if (dim(getDOut(), 0) != batch || dim(getDOut(), 1) != seq)
    return emitOpError() << "d_out must be (" << batch << ", " << seq
                         << ", C) like the tokens, got " << getDOut().getType();
  if (dim(getDWte(), 1) != width || dim(getDWpe(), 1) != width)
    return emitOpError() << "table gradients must have width " << width
                         << ", got " << getDWte().getType() << " and "
                         << getDWpe().getType();
  if (dim(getDWpe(), 0) < seq)
    return emitOpError() << "d_wpe has " << dim(getDWpe(), 0)
                         << " positions, fewer than the " << seq << " tokens";
  if (failed(checkSameElement(op, getDWte(), "d_wte", getDOut(), "d_out")) ||
      failed(checkSameElement(op, getDWpe(), "d_wpe", getDOut(), "d_out")))
    return failure();
  return success();
}

LogicalResult LayerNormGradOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getInput(), "input", std::nullopt, 1)) ||
      failed(checkFloat(op, getGamma(), "gamma", 1)) ||
      failed(checkSameType(op, getDOut(), "d_out", getInput(), "the input")))
    return failure();
  int64_t width = dim(getInput(), -1);
  if (dim(getGamma(), 0) != width)
    return emitOpError() << "gamma must have the input's last dimension "
                         << width << ", got " << dim(getGamma(), 0);
  if (!(getEpsilon().convertToDouble() > 0.0))
    return emitOpError() << "epsilon must be positive, got "
                         << getEpsilon().convertToDouble();
  if (failed(checkResult(op, 0, "d_input", shapeOf(getInput()), getInput())) ||
      failed(checkResult(op, 1, "d_gamma", {width}, getInput())) ||
      failed(checkResult(op, 2, "d_beta", {width}, getInput())))
    return failure();
  return success();
}

LogicalResult LinearGradOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getInput(), "input", std::nullopt, 2)) ||
      failed(checkFloat(op, getWeight(), "weight", 2)) ||
      failed(checkFloat(op, getDOut(), "d_out", std::nullopt, 2)))
    return failure();
  int64_t in = dim(getWeight(), 0), out = dim(getWeight(), 1);
  if (dim(getInput(), -1) != in)
    return emitOpError() << "contraction sizes differ (" << dim(getInput(), -1)
                         << " vs " << in << ")";
  if (shapeOf(getDOut()) != ArrayRef<int64_t>(withLastDim(getInput(), out)))
    return emitOpError() << "d_out must have the forward result's shape, got "
                         << getDOut().getType();
  if (failed(checkResult(op, 0, "d_input", shapeOf(getInput()), getInput())) ||
      failed(
          checkResult(op, 1, "d_weight", shapeOf(getWeight()), getInput())) ||
      failed(checkResult(op, 2, "d_bias", {out}, getInput())))
    return failure();
  return success();
}

LogicalResult GeluGradOp::verify() {
  return checkFloat(getOperation(), getInput(), "input", std::nullopt);
}

LogicalResult SoftmaxGradOp::verify() {
  return checkFloat(getOperation(), getOutput(), "output", std::nullopt, 1);
}

LogicalResult AttentionGradOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getQkv(), "qkv", 3)) ||
      failed(checkPackedHeads(op, getQkv(), getNumHeads())))
    return failure();
  SmallVector<int64_t> out = withLastDim(getQkv(), dim(getQkv(), 2) / 3);
  auto outType = RankedTensorType::get(out, elementOf(getQkv()));
  if (getOutput().getType() != outType || getDOut().getType() != outType)
    return emitOpError() << "output and d_out must be " << outType << ", got "
                         << getOutput().getType() << " and "
                         << getDOut().getType();
  return checkResult(op, 0, "d_qkv", shapeOf(getQkv()), getQkv());
}

LogicalResult LmHeadGradOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getInput(), "input", std::nullopt, 2)) ||
      failed(checkFloat(op, getWte(), "wte", 2)))
    return failure();
  if (dim(getInput(), -1) != dim(getWte(), 1))
    return emitOpError() << "input width " << dim(getInput(), -1)
                         << " differs from the width of wte "
                         << dim(getWte(), 1);
  if (shapeOf(getDLogits()) !=
      ArrayRef<int64_t>(withLastDim(getInput(), dim(getWte(), 0))))
    return emitOpError() << "d_logits must have the logits' shape, got "
                         << getDLogits().getType();
  if (failed(checkResult(op, 0, "d_input", shapeOf(getInput()), getInput())) ||
      failed(checkResult(op, 1, "d_wte", shapeOf(getWte()), getInput())))
    return failure();
  return success();
}

LogicalResult CrossEntropyGradOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getLogits(), "logits", 3)) ||
      failed(
          checkTensor(op, getTargets(), "targets", ElementKind::Integer, 2)) ||
      failed(checkScalar(op, getDLoss(), "d_loss", getLogits())))
    return failure();
  if (dim(getLogits(), 0) != dim(getTargets(), 0) ||
      dim(getLogits(), 1) != dim(getTargets(), 1))
    return emitOpError() << "targets shape (" << dim(getTargets(), 0) << ", "
                         << dim(getTargets(), 1)
                         << ") differs from the logits' leading dimensions";
  return checkResult(op, 0, "d_logits", shapeOf(getLogits()), getLogits());
}

LogicalResult GlobalNormOp::verify() {
  Operation *op = getOperation();
  if (getInputs().empty())
    return emitOpError() << "needs at least one tensor";
  for (Value input : getInputs())
    if (failed(checkFloat(op, input, "every input", std::nullopt)) ||
        failed(checkSameElement(op, input, "every input", getInputs().front(),
                                "the first")))
      return failure();
  return checkResult(op, 0, "norm", {}, getInputs().front());
}

LogicalResult AdamWOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getParam(), "param", std::nullopt)) ||
      failed(checkSameType(op, getGrad(), "grad", getParam(), "param")) ||
      failed(checkSameType(op, getM(), "m", getParam(), "param")) ||
      failed(checkSameType(op, getV(), "v", getParam(), "param")) ||
      failed(checkTensor(op, getStep(), "step", ElementKind::Integer, 0)) ||
      failed(checkScalar(op, getLr(), "lr", getParam())) ||
      failed(checkScalar(op, getGradNorm(), "grad_norm", getParam())))
    return failure();
  auto inUnit = [](APFloat v) {
    double d = v.convertToDouble();
    return d >= 0.0 && d < 1.0;
  };
  if (!inUnit(getBeta1()) || !inUnit(getBeta2()))
    return emitOpError() << "beta1 and beta2 must be in [0, 1), got "
                         << getBeta1().convertToDouble() << " and "
                         << getBeta2().convertToDouble();
  if (!(getEpsilon().convertToDouble() > 0.0))
    return emitOpError() << "epsilon must be positive, got "
                         << getEpsilon().convertToDouble();
  if (getWeightDecay().convertToDouble() < 0.0 ||
      getMaxNorm().convertToDouble() < 0.0)
    return emitOpError() << "weight_decay and max_norm must not be negative";
  for (unsigned i = 0; i < 3; ++i)
    if (op->getResult(i).getType() != getParam().getType())
      return emitOpError() << "results must have the param's type "
                           << getParam().getType();
  return success();
}
