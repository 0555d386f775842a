//===- DataParallel.h - Pieces of tfm-data-parallel -------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TRANSFORMS_DATAPARALLEL_H
#define TFM_TRANSFORMS_DATAPARALLEL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::tfm {

/// `value` as a one-dimensional tensor of its elements (itself if it is
/// one), and back to `type`.
Value flatten(OpBuilder &b, Location loc, Value value);
Value unflatten(OpBuilder &b, Location loc, Value flat, RankedTensorType type);

/// Elements `offset` to `offset + size - 1` of one-dimensional `v`.
Value slice1d(OpBuilder &b, Location loc, Value v, int64_t offset,
              int64_t size);

/// The bytes of a statically shaped tensor.
int64_t bytesOf(Value value);

/// The op of `body` after which every one of `values` is computed; null
/// when they are all arguments.
Operation *lastDefinition(ArrayRef<Value> values, Block &body);

/// ZeRO-1: each of `ranks` ranks keeps and updates only its share of every
/// parameter's AdamW moments. Gradients are reduce-scattered (in buckets of
/// about `bucketBytes`), the clipping norm is taken over every rank's
/// share, each rank updates its share of the parameters, and the updated
/// shares are all-gathered. The moment arguments become flat shares
/// (`tfm.shard_of` gives the whole's shape) and the gradient outputs go.
LogicalResult shardOptimizerState(func::FuncOp func, int64_t ranks,
                                  int64_t bucketBytes);

} // namespace mlir::tfm

#endif // TFM_TRANSFORMS_DATAPARALLEL_H
