//===- ShardOptimizerState.cpp - ZeRO-1 for a training step -----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Every parameter is cut into `ranks` equal shares of its flattened
// elements (zero-padded to a multiple of `ranks`); rank r owns share r of
// each: its AdamW moments, and the update of those elements. A bucket of
// gradients is laid out rank-major, [share 0 of each gradient, share 1 of
// each, ...], so that one reduce-scatter hands each rank the averaged
// shares it owns and one all-gather of the updated shares rebuilds every
// parameter on every rank.
//
//===----------------------------------------------------------------------===//

#include "DataParallel.h"

#include "tfm/Dialect/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/BitVector.h"

using namespace mlir;
using namespace mlir::tfm;

namespace {
/// One parameter's update: its AdamW op, the size of a share, and the
/// values that replace its gradient and its update.
struct Update {
  AdamWOp adam;
  int64_t elements = 0;
  int64_t share = 0;
  Value gradShare;
};

RankedTensorType flatType(int64_t elements, Type element) {
  return RankedTensorType::get({elements}, element);
}

/// `value` flattened and padded with zeros to `ranks * share` elements.
Value padded(OpBuilder &b, Location loc, Value value, int64_t ranks,
             int64_t share) {
  Value flat = flatten(b, loc, value);
  auto type = cast<RankedTensorType>(flat.getType());
  int64_t pad = ranks * share - type.getNumElements();
  if (pad == 0)
    return flat;
  auto padType = flatType(pad, type.getElementType());
  Value zeros = arith::ConstantOp::create(
      b, loc, padType,
      DenseElementsAttr::get(padType, b.getZeroAttr(type.getElementType())));
  return tensor::ConcatOp::create(b, loc, 0, ValueRange{flat, zeros});
}

/// Reduce-scatters the gradients of `bucket`: sets each one's gradShare
/// to this rank's share of the mean over the ranks.
void scatterGradients(MutableArrayRef<Update> bucket, int64_t ranks,
                      Block &body) {
  SmallVector<Value> grads;
  for (Update &u : bucket)
    grads.push_back(u.adam.getGrad());
  OpBuilder b(body.getParentOp()->getContext());
  if (Operation *last = lastDefinition(grads, body))
    b.setInsertionPointAfter(last);
  else
    b.setInsertionPointToStart(&body);
  Location loc = grads.front().getLoc();
  Type element = getElementTypeOrSelf(grads.front());
  // Rank-major by slices of the flat gradients: a reshape of a gradient
  // into (ranks, share) would be propagated into the ops that compute it
  // and change the order of their sums.
  SmallVector<Value> wholes;
  int64_t width = 0;
  for (Update &u : bucket) {
    wholes.push_back(padded(b, loc, u.adam.getGrad(), ranks, u.share));
    width += u.share;
  }
  SmallVector<Value> pieces;
  for (int64_t r = 0; r < ranks; ++r)
    for (auto [u, whole] : llvm::zip(bucket, wholes))
      pieces.push_back(slice1d(b, loc, whole, r * u.share, u.share));
  Value flat = tensor::ConcatOp::create(b, loc, 0, pieces);
  Value mine = ReduceScatterOp::create(b, loc, flatType(width, element), flat,
                                       b.getI64IntegerAttr(ranks));
  int64_t offset = 0;
  for (Update &u : bucket) {
    u.gradShare =
        bucket.size() == 1 ? mine : slice1d(b, loc, mine, offset, u.share);
    offset += u.share;
  }
}

/// The global norm of every rank's gradient shares taken together. The
/// squares are summed in f64, as tfm.global_norm does, over this rank's
/// shares and then over the ranks, so that the norm is plain data
/// parallelism's but for the order of the f64 sums, which rounding to
/// `normType` hides.
Value globalNorm(OpBuilder &b, Location loc, ArrayRef<Update> updates,
                 RankedTensorType normType, int64_t ranks) {
  MLIRContext *ctx = b.getContext();
  Type wide = b.getF64Type();
  AffineMap none = AffineMap::get(0, 0, ctx);
  Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
  Value total = linalg::FillOp::create(b, loc, zero,
                                       ValueRange{tensor::EmptyOp::create(
                                           b, loc, ArrayRef<int64_t>{}, wide)})
                    .getResult(0);
  for (const Update &u : updates)
    total =
        linalg::GenericOp::create(
            b, loc, total.getType(), u.gradShare, total,
            ArrayRef<AffineMap>{b.getMultiDimIdentityMap(1),
                                AffineMap::get(1, 0, ctx)},
            ArrayRef<utils::IteratorType>{utils::IteratorType::reduction},
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value x = arith::ExtFOp::create(nb, l, wide, args[0]);
              Value square = arith::MulFOp::create(nb, l, x, x);
              linalg::YieldOp::create(
                  nb, l,
                  arith::AddFOp::create(nb, l, square, args[1]).getResult());
            })
            .getResult(0);
  Value mean = unflatten(
      b, loc, AllReduceOp::create(b, loc, flatten(b, loc, total), ranks),
      cast<RankedTensorType>(total.getType()));
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{},
                                       normType.getElementType());
  return linalg::GenericOp::create(
             b, loc, normType, mean, init, ArrayRef<AffineMap>{none, none},
             ArrayRef<utils::IteratorType>{},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value n = arith::ConstantOp::create(
                   nb, l, nb.getF64FloatAttr(static_cast<double>(ranks)));
               Value sum = arith::MulFOp::create(nb, l, args[0], n);
               Value root = math::SqrtOp::create(nb, l, sum);
               linalg::YieldOp::create(
                   nb, l,
                   arith::TruncFOp::create(nb, l, normType.getElementType(),
                                           root)
                       .getResult());
             })
      .getResult(0);
}

/// Updates this rank's share of each parameter of `bucket`, all-gathers
/// the updated shares, and replaces the old update's results: the whole
/// parameter, and the moments' shares.
void updateShares(MutableArrayRef<Update> bucket, Value norm, int64_t ranks) {
  OpBuilder b(bucket.back().adam);
  Location loc = bucket.front().adam.getLoc();
  Type element = getElementTypeOrSelf(bucket.front().adam.getParam());
  SmallVector<Value> newShares;
  SmallVector<AdamWOp> updated;
  for (Update &u : bucket) {
    AdamWOp old = u.adam;
    Value whole = padded(b, loc, old.getParam(), ranks, u.share);
    Value mine = RankShareOp::create(b, loc, flatType(u.share, element), whole,
                                     b.getI64IntegerAttr(ranks));
    auto adam = AdamWOp::create(
        b, loc, TypeRange{mine.getType(), mine.getType(), mine.getType()}, mine,
        u.gradShare, old.getM(), old.getV(), old.getStep(), old.getLr(), norm,
        old.getBeta1Attr(), old.getBeta2Attr(), old.getEpsilonAttr(),
        old.getWeightDecayAttr(), old.getMaxNormAttr());
    newShares.push_back(adam.getNewParam());
    updated.push_back(adam);
  }
  Value mine = newShares.size() == 1
                   ? newShares.front()
                   : tensor::ConcatOp::create(b, loc, 0, newShares).getResult();
  int64_t width = cast<RankedTensorType>(mine.getType()).getNumElements();
  Value all = AllGatherOp::create(b, loc, flatType(ranks * width, element),
                                  mine, b.getI64IntegerAttr(ranks));
  int64_t offset = 0;
  for (auto [u, adam] : llvm::zip(bucket, updated)) {
    auto type = cast<RankedTensorType>(u.adam.getParam().getType());
    SmallVector<Value> shares;
    for (int64_t r = 0; r < ranks; ++r)
      shares.push_back(slice1d(b, loc, all, r * width + offset, u.share));
    offset += u.share;
    Value flat = tensor::ConcatOp::create(b, loc, 0, shares);
    if (u.elements != ranks * u.share)
      flat = slice1d(b, loc, flat, 0, u.elements);
    // Written into the parameter's own argument, which the runtime expects
    // updated in place (a copy would be folded away on tensors).
    Value whole = bufferization::MaterializeInDestinationOp::create(
                      b, loc, unflatten(b, loc, flat, type), u.adam.getParam())
                      .getResult();
    u.adam.getNewParam().replaceAllUsesWith(whole);
    u.adam.getNewM().replaceAllUsesWith(adam.getNewM());
    u.adam.getNewV().replaceAllUsesWith(adam.getNewV());
  }
}
} // namespace

LogicalResult tfm::shardOptimizerState(func::FuncOp func, int64_t ranks,
                                       int64_t bucketBytes) {
  Block &body = func.getBody().front();
  SmallVector<Update> updates;
  Value norm;
  for (AdamWOp adam : func.getOps<AdamWOp>()) {
    for (Value v : {adam.getParam(), adam.getM(), adam.getV()})
      if (!isa<BlockArgument>(v))
        return adam.emitOpError()
               << "reads a parameter or moment that is not an argument of "
                  "the function; ZeRO-1 shards only arguments";
    for (Value moment : {adam.getM(), adam.getV()})
      if (!moment.hasOneUse())
        return adam.emitOpError()
               << "shares a moment argument with another use; ZeRO-1 "
                  "replaces each moment by this rank's share";
    if (norm && adam.getGradNorm() != norm)
      return adam.emitOpError() << "clips by another norm than the first "
                                   "AdamW update; ZeRO-1 needs one";
    norm = adam.getGradNorm();
    Update u;
    u.adam = adam;
    u.elements =
        cast<RankedTensorType>(adam.getParam().getType()).getNumElements();
    u.share = llvm::divideCeil(u.elements, ranks);
    if (u.share > INT32_MAX)
      return adam.emitOpError()
             << "has shares of " << u.share
             << " elements, more than one MPI call carries (2^31 - 1); "
                "shard it over "
             << llvm::divideCeil(u.elements, INT32_MAX) << " ranks or more";
    updates.push_back(u);
  }
  if (updates.empty())
    return success();
  auto oldNorm = norm.getDefiningOp<GlobalNormOp>();
  if (!oldNorm)
    return updates.front().adam.emitOpError()
           << "clips by a norm that tfm.global_norm does not compute";

  // Buckets in the order the gradients are computed.
  DenseMap<Operation *, int64_t> order;
  for (auto [i, op] : llvm::enumerate(body))
    order[&op] = i;
  // (where the gradient is computed, the update's own place): a total
  // order, so that the buckets do not depend on the sort.
  SmallVector<std::pair<int64_t, int64_t>> keys;
  for (auto [i, u] : llvm::enumerate(updates)) {
    Operation *def = u.adam.getGrad().getDefiningOp();
    keys.push_back({def ? order[body.findAncestorOpInBlock(*def)] : -1,
                    static_cast<int64_t>(i)});
  }
  llvm::sort(keys);
  SmallVector<Update> sorted;
  for (auto [where, i] : keys)
    sorted.push_back(updates[i]);
  updates = std::move(sorted);
  SmallVector<MutableArrayRef<Update>> buckets;
  int64_t start = 0, bytes = 0;
  for (int64_t i = 0, e = updates.size(); i < e; ++i) {
    int64_t size = ranks * updates[i].share *
                   bytesOf(updates[i].adam.getParam()) / updates[i].elements;
    if (i > start && bytes + size > bucketBytes) {
      buckets.push_back(MutableArrayRef(updates).slice(start, i - start));
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  buckets.push_back(MutableArrayRef(updates).slice(start));

  for (MutableArrayRef<Update> bucket : buckets)
    scatterGradients(bucket, ranks, body);
  OpBuilder b(oldNorm);
  Value shared =
      globalNorm(b, oldNorm.getLoc(), updates, oldNorm.getType(), ranks);
  oldNorm.getResult().replaceAllUsesWith(shared);
  for (MutableArrayRef<Update> bucket : buckets)
    updateShares(bucket, shared, ranks);

  // The moments become shares; the gradient outputs, which no rank holds
  // whole any more, go.
  for (Update &u : updates) {
    auto paramType = cast<RankedTensorType>(u.adam.getParam().getType());
    for (Value moment : {u.adam.getM(), u.adam.getV()}) {
      auto arg = cast<BlockArgument>(moment);
      arg.setType(flatType(u.share, paramType.getElementType()));
      func.setArgAttr(
          arg.getArgNumber(), "tfm.shard_of",
          DenseI64ArrayAttr::get(func.getContext(), paramType.getShape()));
    }
    u.adam.erase();
  }
  oldNorm.erase();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  llvm::BitVector grads(ret.getNumOperands());
  for (unsigned i = 0; i < ret.getNumOperands(); ++i)
    if (auto name = func.getResultAttrOfType<StringAttr>(i, "tfm.output"))
      grads[i] = name.getValue().starts_with("grad.");
  ret->eraseOperands(grads);
  if (failed(func.eraseResults(grads)))
    return failure();
  func.setType(FunctionType::get(func.getContext(), body.getArgumentTypes(),
                                 ret.getOperandTypes()));
  return success();
}
