//===- TfmParallelOps.cpp - Collective op verifiers -------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmOps.h"

#include "Checks.h"

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::checks;

LogicalResult AllReduceOp::verify() {
  Operation *op = getOperation();
  // A run of one rank has nothing to exchange: such an op is a mistake.
  if (getRanks() < 2)
    return emitOpError() << "needs at least 2 ranks, got " << getRanks();
  if (failed(checkFloat(op, getInput(), "input", std::nullopt)))
    return failure();
  return checkResultType(
      op, 0, "result", cast<RankedTensorType>(getInput().getType()).getShape(),
      elementOf(getInput()));
}

namespace {
/// Checks a collective between a whole of `ranks * S` elements and one
/// rank's share of `S`: both one-dimensional, of one element type.
LogicalResult checkShares(Operation *op, int64_t ranks, Value whole,
                          StringRef wholeWhat, Value share,
                          StringRef shareWhat) {
  if (ranks < 2)
    return op->emitOpError() << "needs at least 2 ranks, got " << ranks;
  if (failed(checkFloat(op, whole, wholeWhat, 1)) ||
      failed(checkFloat(op, share, shareWhat, 1)) ||
      failed(checkSameElement(op, share, shareWhat, whole, wholeWhat)))
    return failure();
  if (dim(whole, 0) != ranks * dim(share, 0))
    return op->emitOpError()
           << wholeWhat << " must hold " << ranks << " shares of the "
           << shareWhat << "'s " << dim(share, 0) << " elements, got "
           << dim(whole, 0);
  return success();
}
} // namespace

LogicalResult ReduceScatterOp::verify() {
  return checkShares(getOperation(), getRanks(), getInput(), "input",
                     getResult(), "result");
}

LogicalResult AllGatherOp::verify() {
  return checkShares(getOperation(), getRanks(), getResult(), "result",
                     getInput(), "input");
}

LogicalResult RankShareOp::verify() {
  return checkShares(getOperation(), getRanks(), getInput(), "input",
                     getResult(), "result");
}
