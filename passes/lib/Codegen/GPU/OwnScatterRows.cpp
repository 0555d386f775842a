//===- OwnScatterRows.cpp - A row scatter as one kernel ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The embedding gradient adds each token's row into the row of its id, in
// token order: a loop whose destination row is data dependent. On the host
// it would launch a kernel per token (16384 for GPT-3 Small at B=16,
// T=1024). Instead, blocks own the destination rows, a contiguous range
// each; every block walks all the tokens in order and adds the rows that
// fall in its range. Each row is summed by one owner in token order, so
// the result is deterministic and bit-identical to the loop's, with no
// atomics.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Common/KernelNames.h"
#include "tfm/Codegen/GPU/Passes.h"
#include "tfm/Conversion/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUOWNSCATTERROWSPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
/// `for n { t = tokens[n]; acc[t, :] = f(rows[n, :], acc[t, :]) }` over a
/// 2-D accumulator: the one insert_slice that yields the loop's value, its
/// data-dependent row offset, and the extract_slice of the same row.
struct RowScatter {
  tensor::InsertSliceOp insert;
  tensor::ExtractSliceOp read;
  Value row;
};

std::optional<RowScatter> matchRowScatter(scf::ForOp loop) {
  if (loop.getNumRegionIterArgs() != 1 ||
      !isa<func::FuncOp>(loop->getParentOp()))
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(loop.getResult(0).getType());
  if (!type || type.getRank() != 2 || !type.hasStaticShape())
    return std::nullopt;
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  auto insert = yield.getOperand(0).getDefiningOp<tensor::InsertSliceOp>();
  Value carried = loop.getRegionIterArgs()[0];
  if (!insert || insert.getDest() != carried || !insert.hasUnitStride() ||
      insert.getStaticSizes()[0] != 1 ||
      insert.getStaticSizes()[1] != type.getDimSize(1) ||
      !isConstantIntValue(insert.getMixedOffsets()[1], 0))
    return std::nullopt;
  Value row = dyn_cast<Value>(insert.getMixedOffsets()[0]);
  if (!row)
    return std::nullopt;
  // The carried tensor is read only as that row, and written only there.
  tensor::ExtractSliceOp read;
  for (Operation *user : carried.getUsers()) {
    if (user == insert)
      continue;
    auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
    if (!slice || read || slice.getMixedOffsets() != insert.getMixedOffsets() ||
        slice.getMixedSizes() != insert.getMixedSizes())
      return std::nullopt;
    read = slice;
  }
  if (!read)
    return std::nullopt;
  return RowScatter{insert, read, row};
}

struct OwnScatterRowsPattern : OpRewritePattern<scf::ForOp> {
  OwnScatterRowsPattern(MLIRContext *ctx, int64_t maxOwners)
      : OpRewritePattern(ctx), maxOwners(maxOwners) {}

  LogicalResult matchAndRewrite(scf::ForOp loop,
                                PatternRewriter &rewriter) const override {
    std::optional<RowScatter> scatter = matchRowScatter(loop);
    if (!scatter)
      return failure();
    Location loc = loop.getLoc();
    auto type = cast<RankedTensorType>(loop.getResult(0).getType());
    int64_t rows = type.getDimSize(0), width = type.getDimSize(1);
    int64_t owners = tfm::lowering::largestDivisor(rows, maxOwners);
    int64_t owned = rows / owners;
    auto index = [&](OpBuilder &b, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };

    rewriter.setInsertionPoint(loop);
    auto forall = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(owners)},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)},
        ValueRange{loop.getInitArgs()[0]}, std::nullopt);
    tfm::nameKernel(forall, "embedding_backward");
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(forall.getBody());
    Value first = arith::MulIOp::create(
        rewriter, loc, forall.getInductionVars()[0], index(rewriter, owned));
    SmallVector<OpFoldResult> slabOffsets = {first, rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> slabSizes = {rewriter.getIndexAttr(owned),
                                           rewriter.getIndexAttr(width)};
    SmallVector<OpFoldResult> ones = {rewriter.getIndexAttr(1),
                                      rewriter.getIndexAttr(1)};
    Value slab = tensor::ExtractSliceOp::create(rewriter, loc,
                                                forall.getRegionIterArgs()[0],
                                                slabOffsets, slabSizes, ones);

    // The same walk over the tokens, on the owned rows only.
    auto walk = scf::ForOp::create(
        rewriter, loc, loop.getLowerBound(), loop.getUpperBound(),
        loop.getStep(), ValueRange{slab},
        [&](OpBuilder &b, Location l, Value n, ValueRange carried) {
          IRMapping map;
          map.map(loop.getInductionVar(), n);
          Value local;
          for (Operation &op : loop.getBody()->without_terminator()) {
            if (&op == scatter->read.getOperation())
              break;
            b.clone(op, map);
          }
          Value row = map.lookupOrDefault(scatter->row);
          Value end = arith::AddIOp::create(b, l, first, index(b, owned));
          Value inside = arith::AndIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::uge, row,
                                    first),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, row, end));
          auto update = scf::IfOp::create(
              b, l, inside,
              [&](OpBuilder &tb, Location tl) {
                local = arith::SubIOp::create(tb, tl, row, first);
                map.map(loop.getRegionIterArgs()[0], carried[0]);
                map.map(scatter->row, local);
                bool after = false;
                for (Operation &op : loop.getBody()->without_terminator()) {
                  after |= &op == scatter->read.getOperation();
                  if (after && &op != scatter->insert.getOperation())
                    tb.clone(op, map);
                }
                // Into the slab: the row's offset within it.
                Value updated = tensor::InsertSliceOp::create(
                    tb, tl, map.lookup(scatter->insert.getSource()), carried[0],
                    SmallVector<OpFoldResult>{local, tb.getIndexAttr(0)},
                    scatter->insert.getMixedSizes(),
                    scatter->insert.getMixedStrides());
                scf::YieldOp::create(tb, tl, updated);
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, carried[0]);
              });
          scf::YieldOp::create(b, l, update.getResult(0));
        });
    rewriter.setInsertionPointToEnd(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(rewriter, loc, walk.getResult(0),
                                          forall.getRegionIterArgs()[0],
                                          slabOffsets, slabSizes, ones);
    rewriter.replaceOp(loop, forall.getResults());
    return success();
  }

  int64_t maxOwners;
};

struct TfmGpuOwnScatterRowsPass
    : tfm::impl::TfmGpuOwnScatterRowsPassBase<TfmGpuOwnScatterRowsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<OwnScatterRowsPattern>(&getContext(), maxOwners);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
