//===- Checks.cpp - Shape and type checks of the tfm verifiers --*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "Checks.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace mlir::tfm::checks {

LogicalResult checkTensor(Operation *op, Value value, StringRef what,
                          ElementKind kind, std::optional<int64_t> rank,
                          int64_t minRank) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  if (rank && type.getRank() != *rank)
    return op->emitOpError() << "expects " << what << " of rank " << *rank
                             << ", got rank " << type.getRank();
  if (!rank && type.getRank() < minRank)
    return op->emitOpError() << "expects " << what << " of rank " << minRank
                             << " or more, got rank " << type.getRank();
  if (!type.hasStaticShape())
    return op->emitOpError()
           << "expects a static shape for " << what << ", got " << type;
  Type element = type.getElementType();
  if (kind == ElementKind::Float && !llvm::isa<FloatType>(element))
    return op->emitOpError() << "expects a floating-point element type for "
                             << what << ", got " << element;
  if (kind == ElementKind::Integer && !element.isSignlessInteger())
    return op->emitOpError() << "expects a signless integer element type for "
                             << what << ", got " << element;
  return success();
}

LogicalResult checkFloat(Operation *op, Value value, StringRef what,
                         std::optional<int64_t> rank, int64_t minRank) {
  return checkTensor(op, value, what, ElementKind::Float, rank, minRank);
}

LogicalResult checkSameElement(Operation *op, Value value, StringRef what,
                               Value reference, StringRef referenceWhat) {
  Type a = llvm::cast<ShapedType>(value.getType()).getElementType();
  Type b = llvm::cast<ShapedType>(reference.getType()).getElementType();
  if (a != b)
    return op->emitOpError()
           << "element type of " << what << " (" << a
           << ") differs from that of " << referenceWhat << " (" << b << ")";
  return success();
}

LogicalResult checkResultType(Operation *op, unsigned index, StringRef what,
                              ArrayRef<int64_t> shape, Type element) {
  auto expected = RankedTensorType::get(shape, element);
  Type actual = op->getResult(index).getType();
  if (actual != expected)
    return op->emitOpError() << what << " type " << actual
                             << " differs from the expected " << expected;
  return success();
}

LogicalResult checkResultType(Operation *op, ArrayRef<int64_t> shape,
                              Type element) {
  return checkResultType(op, 0, "result", shape, element);
}

int64_t dim(Value value, int64_t index) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  return type.getDimSize(index < 0 ? type.getRank() + index : index);
}

SmallVector<int64_t> withLastDim(Value value, int64_t last) {
  SmallVector<int64_t> shape(
      llvm::cast<RankedTensorType>(value.getType()).getShape());
  shape.back() = last;
  return shape;
}

Type elementOf(Value value) {
  return llvm::cast<ShapedType>(value.getType()).getElementType();
}

LogicalResult checkSameType(Operation *op, Value value, StringRef what,
                            Value reference, StringRef referenceWhat) {
  if (value.getType() != reference.getType())
    return op->emitOpError()
           << what << " must have the type of " << referenceWhat << ", "
           << reference.getType() << ", got " << value.getType();
  return success();
}

LogicalResult checkPackedHeads(Operation *op, Value qkv, int64_t heads) {
  int64_t packed = dim(qkv, -1);
  if (packed % 3 != 0)
    return op->emitOpError()
           << "packed q, k, v width " << packed << " is not a multiple of 3";
  int64_t width = packed / 3;
  if (heads < 1)
    return op->emitOpError() << "num_heads must be at least 1, got " << heads;
  if (width % heads != 0)
    return op->emitOpError()
           << "head count " << heads << " does not divide width " << width;
  return success();
}

} // namespace mlir::tfm::checks
