//===- DataParallel.cpp - Gradients averaged over the ranks -----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Data parallelism as a rewrite of the training graph: every rank computes
// the gradients of its own slice of the batch, and one mean over the ranks
// per bucket of gradients makes every rank take the same AdamW step.
//
//===----------------------------------------------------------------------===//

#include "tfm/Transforms/Passes.h"

#include "DataParallel.h"

#include "tfm/Dialect/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/SetVector.h"

#define DEBUG_TYPE "tfm-data-parallel"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMDATAPARALLELPASS
#include "tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {
/// The values of `func` whose mean over the ranks every rank must use, in
/// the order they are computed: the gradients AdamW reads (with
/// `gradients`), and the loss it returns (the `loss` output of a training
/// step, the result of @loss).
SmallVector<Value> valuesToAverage(func::FuncOp func, bool gradients) {
  llvm::SetVector<Value> values;
  if (gradients)
    func.walk([&](AdamWOp op) { values.insert(op.getGrad()); });
  func.walk([&](func::ReturnOp ret) {
    for (auto [i, result] : llvm::enumerate(ret.getOperands())) {
      auto name = func.getResultAttrOfType<StringAttr>(i, "tfm.output");
      bool isLoss =
          name ? name.getValue() == "loss"
               : func.getSymName() == "loss" && ret.getNumOperands() == 1;
      if (isLoss)
        values.insert(result);
    }
  });
  Block &body = func.getBody().front();
  SmallVector<Value> ordered;
  for (BlockArgument arg : body.getArguments())
    if (values.contains(arg))
      ordered.push_back(arg);
  for (Operation &op : body)
    for (Value result : op.getResults())
      if (values.contains(result))
        ordered.push_back(result);
  return ordered;
}

/// Replaces `values` (all of one type class, computed in one block) by
/// their mean over `ranks`, through one all-reduce of their concatenation.
LogicalResult averageBucket(ArrayRef<Value> values, int64_t ranks,
                            Block &body) {
  // After the last of them is computed; arguments are ready at the start.
  Operation *last = lastDefinition(values, body);
  OpBuilder b(body.getParentOp()->getContext());
  if (last)
    b.setInsertionPointAfter(last);
  else
    b.setInsertionPointToStart(&body);
  Location loc = values.front().getLoc();

  SmallVector<Value> pieces;
  for (Value v : values)
    pieces.push_back(flatten(b, loc, v));
  Value bucket = pieces.size() == 1
                     ? pieces.front()
                     : tensor::ConcatOp::create(b, loc, 0, pieces).getResult();
  auto mean = AllReduceOp::create(b, loc, bucket, ranks);
  llvm::SmallPtrSet<Operation *, 8> own;
  for (Value piece : pieces)
    own.insert(piece.getDefiningOp());
  own.insert(bucket.getDefiningOp());
  own.insert(mean);

  int64_t offset = 0;
  for (Value v : values) {
    auto type = cast<RankedTensorType>(v.getType());
    int64_t count = type.getNumElements();
    Value slice = values.size() == 1
                      ? mean.getResult()
                      : slice1d(b, loc, mean.getResult(), offset, count);
    offset += count;
    Value averaged = unflatten(b, loc, slice, type);
    for (OpOperand &use : llvm::make_early_inc_range(v.getUses())) {
      Operation *user = body.findAncestorOpInBlock(*use.getOwner());
      if (own.contains(use.getOwner()))
        continue;
      if (!mean->isBeforeInBlock(user))
        return use.getOwner()->emitOpError()
               << "uses a value that tfm-data-parallel averages over the "
                  "ranks before the rest of its bucket is computed";
      use.set(averaged);
    }
  }
  return success();
}

struct TfmDataParallelPass
    : tfm::impl::TfmDataParallelPassBase<TfmDataParallelPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t count = ranks;
    if (count == 0)
      if (auto attr =
              module->getAttrOfType<IntegerAttr>(TfmDialect::kRanksAttrName))
        count = attr.getInt();
    if (count == 0)
      return;
    if (count < 2) {
      module.emitError() << "tfm-data-parallel needs ranks >= 2, got " << count;
      return signalPassFailure();
    }
    int64_t stage = zero;
    if (stage < 0)
      stage = module->hasAttr(TfmDialect::kZeroAttrName) ? 1 : 0;
    if (stage > 1) {
      module.emitError() << "tfm-data-parallel knows ZeRO stages 0 and 1, got "
                         << stage;
      return signalPassFailure();
    }
    Builder b(module);
    module->setAttr(TfmDialect::kRanksAttrName, b.getI64IntegerAttr(count));
    if (stage == 1)
      module->setAttr(TfmDialect::kZeroAttrName, b.getI64IntegerAttr(1));
    else
      module->removeAttr(TfmDialect::kZeroAttrName);
    int64_t bucketBytes = bucketMiB << 20;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<Value> bucket;
      int64_t bytes = 0;
      auto flush = [&]() -> LogicalResult {
        if (bucket.empty())
          return success();
        LogicalResult done =
            averageBucket(bucket, count, func.getBody().front());
        bucket.clear();
        bytes = 0;
        return done;
      };
      // Under ZeRO-1 the gradients are reduce-scattered instead.
      SmallVector<Value> values = valuesToAverage(func, stage == 0);
      for (Value v : values) {
        // A bucket holds one element type: it is one buffer.
        if (!bucket.empty() &&
            (bytes + bytesOf(v) > bucketBytes ||
             getElementTypeOrSelf(v) != getElementTypeOrSelf(bucket.front())))
          if (failed(flush()))
            return signalPassFailure();
        bucket.push_back(v);
        bytes += bytesOf(v);
      }
      if (failed(flush()) ||
          (stage == 1 && failed(shardOptimizerState(func, count, bucketBytes))))
        return signalPassFailure();
    }
  }
};
} // namespace
