//===- Flatten.cpp - Tensors as flat buffers for collectives ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "DataParallel.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace {
/// All dimensions of a tensor of `rank` as one group, for a collapse to
/// (and an expand from) one dimension.
SmallVector<ReassociationIndices> oneGroup(int64_t rank) {
  if (rank == 0)
    return {};
  return {llvm::to_vector(llvm::seq<int64_t>(0, rank))};
}
} // namespace

Value tfm::flatten(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() == 1)
    return value;
  auto flat =
      RankedTensorType::get({type.getNumElements()}, type.getElementType());
  if (type.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, flat, value, oneGroup(0));
  return tensor::CollapseShapeOp::create(b, loc, flat, value,
                                         oneGroup(type.getRank()));
}

Value tfm::unflatten(OpBuilder &b, Location loc, Value flat,
                     RankedTensorType type) {
  if (type.getRank() == 1)
    return flat;
  if (type.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, type, flat, oneGroup(0));
  return tensor::ExpandShapeOp::create(b, loc, type, flat,
                                       oneGroup(type.getRank()));
}

int64_t tfm::bytesOf(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return type.getNumElements() *
         llvm::divideCeil(type.getElementTypeBitWidth(), 8);
}

Operation *tfm::lastDefinition(ArrayRef<Value> values, Block &body) {
  Operation *last = nullptr;
  for (Value v : values)
    if (Operation *def = v.getDefiningOp()) {
      Operation *inBody = body.findAncestorOpInBlock(*def);
      if (!last || last->isBeforeInBlock(inBody))
        last = inBody;
    }
  return last;
}

Value tfm::slice1d(OpBuilder &b, Location loc, Value v, int64_t offset,
                   int64_t size) {
  return tensor::ExtractSliceOp::create(
      b, loc, v, ArrayRef<OpFoldResult>{b.getIndexAttr(offset)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(size)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
}
