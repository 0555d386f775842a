//===- TfmScanOps.cpp - The layer loop --------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmOps.h"

using namespace mlir;
using namespace mlir::tfm;

namespace {
/// `type` without its leading dimension.
RankedTensorType sliceType(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return RankedTensorType::get(tensor.getShape().drop_front(),
                               tensor.getElementType());
}

/// Checks that `type`, described as `what`, stacks `count` slices.
LogicalResult checkStacked(ScanOp op, Type type, const Twine &what,
                           int64_t count) {
  auto tensor = cast<RankedTensorType>(type);
  if (tensor.getRank() < 1 || tensor.getDimSize(0) != count)
    return op.emitOpError()
           << what << " must stack " << count
           << " slices along its first dimension, got " << type;
  return success();
}
} // namespace

LogicalResult ScanOp::verify() {
  int64_t count = getCount();
  if (count < 1)
    return emitOpError() << "count must be at least 1, got " << count;
  size_t numCarries = getInits().size();
  if (getResults().size() < numCarries)
    return emitOpError() << "has " << getResults().size()
                         << " results, fewer than its " << numCarries
                         << " carries";
  for (auto [i, init, result] :
       llvm::enumerate(getInits(), getResults().take_front(numCarries)))
    if (init.getType() != result.getType())
      return emitOpError() << "carry " << i << " starts as " << init.getType()
                           << " but its result is " << result.getType();
  for (auto [i, x] : llvm::enumerate(getXs()))
    if (failed(checkStacked(*this, x.getType(), "input " + Twine(i), count)))
      return failure();
  for (auto [i, y] : llvm::enumerate(getYs()))
    if (failed(checkStacked(*this, y.getType(), "stacked result " + Twine(i),
                            count)))
      return failure();

  Block &body = getBodyBlock();
  size_t numArgs = 1 + numCarries + getXs().size();
  if (body.getNumArguments() != numArgs)
    return emitOpError() << "body must take the index, " << numCarries
                         << " carries and " << getXs().size()
                         << " input slices (" << numArgs << " arguments), got "
                         << body.getNumArguments();
  if (!body.getArgument(0).getType().isIndex())
    return emitOpError() << "body's first argument must be the index, got "
                         << body.getArgument(0).getType();
  for (auto [i, init] : llvm::enumerate(getInits()))
    if (body.getArgument(1 + i).getType() != init.getType())
      return emitOpError() << "body's carry " << i << " is "
                           << body.getArgument(1 + i).getType()
                           << ", not the carry's " << init.getType();
  for (auto [i, x] : llvm::enumerate(getXs())) {
    Type arg = body.getArgument(1 + numCarries + i).getType();
    if (arg != sliceType(x.getType()))
      return emitOpError() << "body's slice of input " << i << " is " << arg
                           << ", not " << sliceType(x.getType());
  }

  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError() << "body must end with tfm.yield";
  if (yield.getValues().size() != getResults().size())
    return yield.emitOpError()
           << "yields " << yield.getValues().size() << " values, but the scan "
           << "has " << numCarries << " carries and " << getYs().size()
           << " stacked results";
  for (auto [i, value, result] :
       llvm::enumerate(yield.getValues().take_front(numCarries), getCarries()))
    if (value.getType() != result.getType())
      return yield.emitOpError() << "carry " << i << " is " << value.getType()
                                 << ", not " << result.getType();
  for (auto [i, value, y] :
       llvm::enumerate(yield.getValues().drop_front(numCarries), getYs()))
    if (value.getType() != sliceType(y.getType()))
      return yield.emitOpError()
             << "slice of stacked result " << i << " is " << value.getType()
             << ", not " << sliceType(y.getType());
  return success();
}
