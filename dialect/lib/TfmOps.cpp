//===- TfmOps.cpp - Transformer dialect ops ---------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Verifiers of the `tfm` ops. Each names the operand it rejects and the rule
// it breaks, so a bad graph is reported at the layer that built it.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmOps.h"

#include "Checks.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::checks;

#define GET_OP_CLASSES
#include "tfm/Dialect/TfmOps.cpp.inc"

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  Operation *op = getOperation();
  if (failed(checkTensor(op, getTokens(), "tokens", ElementKind::Integer, 2)) ||
      failed(checkFloat(op, getWte(), "wte", 2)) ||
      failed(checkFloat(op, getWpe(), "wpe", 2)) ||
      failed(checkSameElement(op, getWpe(), "wpe", getWte(), "wte")))
    return failure();
  if (dim(getWte(), 1) != dim(getWpe(), 1))
    return emitOpError() << "width of wte (" << dim(getWte(), 1)
                         << ") differs from width of wpe (" << dim(getWpe(), 1)
                         << ")";
  if (dim(getTokens(), 1) > dim(getWpe(), 0))
    return emitOpError() << "sequence length " << dim(getTokens(), 1)
                         << " exceeds the " << dim(getWpe(), 0)
                         << " positions of wpe";
  if (getStart() &&
      failed(checkTensor(op, getStart(), "start", ElementKind::Integer, 0)))
    return failure();
  return checkResultType(
      op, {dim(getTokens(), 0), dim(getTokens(), 1), dim(getWte(), 1)},
      elementOf(getWte()));
}

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getInput(), "input", std::nullopt, 1)) ||
      failed(checkFloat(op, getGamma(), "gamma", 1)) ||
      failed(checkFloat(op, getBeta(), "beta", 1)) ||
      failed(checkSameElement(op, getGamma(), "gamma", getInput(), "input")) ||
      failed(checkSameElement(op, getBeta(), "beta", getInput(), "input")))
    return failure();
  int64_t width = dim(getInput(), -1);
  if (dim(getGamma(), 0) != width || dim(getBeta(), 0) != width)
    return emitOpError() << "gamma and beta must have the input's last "
                            "dimension "
                         << width << ", got " << dim(getGamma(), 0) << " and "
                         << dim(getBeta(), 0);
  if (!(getEpsilon().convertToDouble() > 0.0))
    return emitOpError() << "epsilon must be positive, got "
                         << getEpsilon().convertToDouble();
  return checkResultType(op, withLastDim(getInput(), width),
                         elementOf(getInput()));
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getInput(), "input", std::nullopt, 2)) ||
      failed(checkFloat(op, getWeight(), "weight", 2)) ||
      failed(checkSameElement(op, getWeight(), "weight", getInput(), "input")))
    return failure();
  if (dim(getInput(), -1) != dim(getWeight(), 0))
    return emitOpError() << "contraction sizes differ (" << dim(getInput(), -1)
                         << " vs " << dim(getWeight(), 0) << ")";
  int64_t out = dim(getWeight(), 1);
  if (Value bias = getBias()) {
    if (failed(checkFloat(op, bias, "bias", 1)) ||
        failed(checkSameElement(op, bias, "bias", getInput(), "input")))
      return failure();
    if (dim(bias, 0) != out)
      return emitOpError() << "bias size " << dim(bias, 0)
                           << " differs from the output width " << out;
  }
  return checkResultType(op, withLastDim(getInput(), out),
                         elementOf(getInput()));
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

LogicalResult GeluOp::verify() {
  return checkFloat(getOperation(), getInput(), "input", std::nullopt);
}

LogicalResult AddOp::verify() {
  return checkFloat(getOperation(), getLhs(), "operands", std::nullopt);
}

LogicalResult SoftmaxOp::verify() {
  return checkFloat(getOperation(), getInput(), "input", std::nullopt, 1);
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getQkv(), "qkv", 3)) ||
      failed(checkPackedHeads(op, getQkv(), getNumHeads())))
    return failure();
  int64_t width = dim(getQkv(), 2) / 3;
  return checkResultType(op, withLastDim(getQkv(), width), elementOf(getQkv()));
}

//===----------------------------------------------------------------------===//
// CachedAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult CachedAttentionOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getQkv(), "qkv", 3)) ||
      failed(checkFloat(op, getKeyCache(), "key_cache", 4)) ||
      failed(checkFloat(op, getValueCache(), "value_cache", 4)) ||
      failed(
          checkSameElement(op, getKeyCache(), "key_cache", getQkv(), "qkv")) ||
      failed(checkTensor(op, getStart(), "start", ElementKind::Integer, 0)))
    return failure();
  if (getKeyCache().getType() != getValueCache().getType())
    return emitOpError() << "key and value caches differ in type: "
                         << getKeyCache().getType() << " and "
                         << getValueCache().getType();
  int64_t packed = dim(getQkv(), 2), heads = getNumHeads();
  if (packed % 3 != 0)
    return emitOpError() << "packed q, k, v width " << packed
                         << " is not a multiple of 3";
  int64_t width = packed / 3;
  if (heads < 1 || width % heads != 0)
    return emitOpError() << "num_heads " << heads
                         << " must be positive and divide width " << width;
  SmallVector<int64_t> cache = {dim(getQkv(), 0), heads, dim(getKeyCache(), 2),
                                width / heads};
  if (llvm::cast<RankedTensorType>(getKeyCache().getType()).getShape() !=
      ArrayRef<int64_t>(cache))
    return emitOpError() << "expects caches of shape (batch " << cache[0]
                         << ", heads " << heads << ", capacity, head size "
                         << cache[3] << "), got " << getKeyCache().getType();
  if (dim(getQkv(), 1) > cache[2])
    return emitOpError() << dim(getQkv(), 1) << " new tokens exceed the cache "
                         << "capacity " << cache[2];
  if (failed(checkResultType(op, withLastDim(getQkv(), width),
                             elementOf(getQkv()))))
    return failure();
  if (getNewKeyCache().getType() != getKeyCache().getType() ||
      getNewValueCache().getType() != getValueCache().getType())
    return emitOpError() << "updated caches must have the caches' type "
                         << getKeyCache().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// LmHeadOp
//===----------------------------------------------------------------------===//

LogicalResult LmHeadOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getInput(), "input", std::nullopt, 2)) ||
      failed(checkFloat(op, getWte(), "wte", 2)) ||
      failed(checkSameElement(op, getWte(), "wte", getInput(), "input")))
    return failure();
  if (dim(getInput(), -1) != dim(getWte(), 1))
    return emitOpError() << "input width " << dim(getInput(), -1)
                         << " differs from the width of wte "
                         << dim(getWte(), 1);
  return checkResultType(op, withLastDim(getInput(), dim(getWte(), 0)),
                         elementOf(getInput()));
}

//===----------------------------------------------------------------------===//
// CrossEntropyOp
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyOp::verify() {
  Operation *op = getOperation();
  if (failed(checkFloat(op, getLogits(), "logits", 3)) ||
      failed(checkTensor(op, getTargets(), "targets", ElementKind::Integer, 2)))
    return failure();
  if (dim(getLogits(), 0) != dim(getTargets(), 0) ||
      dim(getLogits(), 1) != dim(getTargets(), 1))
    return emitOpError() << "targets shape (" << dim(getTargets(), 0) << ", "
                         << dim(getTargets(), 1)
                         << ") differs from the logits' leading dimensions ("
                         << dim(getLogits(), 0) << ", " << dim(getLogits(), 1)
                         << ")";
  return checkResultType(op, {}, elementOf(getLogits()));
}
