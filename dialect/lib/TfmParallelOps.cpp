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
