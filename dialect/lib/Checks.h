//===- Checks.h - Shape and type checks of the tfm verifiers ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Shared by the verifiers of the forward and the training ops, so that every
// message states the rule that was broken in the same words.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_LIB_CHECKS_H
#define TFM_DIALECT_LIB_CHECKS_H

#include "mlir/IR/Operation.h"

#include <optional>

namespace mlir::tfm::checks {

enum class ElementKind { Float, Integer };

/// Checks that `value`, described to the user as `what`, is a statically
/// shaped tensor with the given element kind and, when `rank` is set, rank.
/// `minRank` applies when `rank` is not set.
LogicalResult checkTensor(Operation *op, Value value, StringRef what,
                          ElementKind kind, std::optional<int64_t> rank,
                          int64_t minRank = 0);

LogicalResult checkFloat(Operation *op, Value value, StringRef what,
                         std::optional<int64_t> rank, int64_t minRank = 0);

/// Checks that `value` has the element type of `reference`.
LogicalResult checkSameElement(Operation *op, Value value, StringRef what,
                               Value reference, StringRef referenceWhat);

/// Checks that `value` has the type of `reference`.
LogicalResult checkSameType(Operation *op, Value value, StringRef what,
                            Value reference, StringRef referenceWhat);

/// Checks that result `index`, described as `what`, has `shape` and
/// `element`.
LogicalResult checkResultType(Operation *op, unsigned index, StringRef what,
                              ArrayRef<int64_t> shape, Type element);

/// Checks that the op's single result has the type the operands imply.
LogicalResult checkResultType(Operation *op, ArrayRef<int64_t> shape,
                              Type element);

/// Checks that `qkv` (B, T, 3C) packs q, k and v of `heads` heads: its last
/// dimension is a multiple of 3 and `heads` divides C.
LogicalResult checkPackedHeads(Operation *op, Value qkv, int64_t heads);

/// Dimension `index` of a ranked `value`, counted from the end if negative.
int64_t dim(Value value, int64_t index);

/// The shape of `value` with its last dimension replaced by `last`.
SmallVector<int64_t> withLastDim(Value value, int64_t last);

Type elementOf(Value value);

} // namespace mlir::tfm::checks

#endif // TFM_DIALECT_LIB_CHECKS_H
