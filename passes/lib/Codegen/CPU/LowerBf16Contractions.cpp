//===- LowerBf16Contractions.cpp - bf16 pairs onto vdpbf16ps ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// AVX512-BF16's vdpbf16ps multiplies 16 pairs of bf16 and adds each pair's
// two products into one f32 lane: twice the FMA's products per instruction.
// tfm-cpu-pack-matmuls lays a bf16 matmul's operands out in such pairs
// along k, and the register tile contracts one pair per step; this pass
// cuts that contraction, and the reads of its operands, into the
// instruction's shape (one row, 16 columns, one pair) and hands each piece
// to MLIR's x86vector lowering, which broadcasts the row's pair and issues
// the dot product.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/Transforms.h"
#include "mlir/Dialect/X86Vector/Utils/X86VectorUtils.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPULOWERBF16CONTRACTIONSPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

#define DEBUG_TYPE "tfm-cpu-lower-bf16-contractions"

using namespace mlir;

namespace {
/// Lanes of one vdpbf16ps on zmm registers.
constexpr int64_t kDotLanes = 16;

/// The shape of one dot product in `contract`'s iteration space: 1 in
/// every loop but the result's innermost (16 lanes) and the pair (2); none
/// when `contract` is not a bf16 contraction in pairs.
std::optional<SmallVector<int64_t>> dotShape(vector::ContractionOp contract) {
  if (!contract.getLhsType().getElementType().isBF16() ||
      !x86vector::isInVnniLayout(contract, contract.getIndexingMapsArray(),
                                 /*blockingFactor=*/2))
    return std::nullopt;
  SmallVector<int64_t> bounds;
  contract.getIterationBounds(bounds);
  AffineMap acc = contract.getIndexingMapsArray()[2];
  unsigned lanes = acc.getDimPosition(acc.getNumResults() - 1);
  AffineMap lhs = contract.getIndexingMapsArray()[0];
  unsigned pair = lhs.getDimPosition(lhs.getNumResults() - 1);
  if (bounds[lanes] % kDotLanes != 0)
    return std::nullopt;
  SmallVector<int64_t> shape(bounds.size(), 1);
  shape[lanes] = kDotLanes;
  shape[pair] = 2;
  return shape;
}

/// The piece of `read` that one dot product of its users takes: the dot
/// shape projected through the operand's indexing map; none unless every
/// user is a bf16 contraction in pairs reading it as A or B, with the same
/// piece.
std::optional<SmallVector<int64_t>> readShape(vector::TransferReadOp read) {
  std::optional<SmallVector<int64_t>> piece;
  for (OpOperand &use : read->getUses()) {
    auto contract = dyn_cast<vector::ContractionOp>(use.getOwner());
    std::optional<SmallVector<int64_t>> shape;
    if (contract && use.getOperandNumber() < 2)
      shape = dotShape(contract);
    if (!shape)
      return std::nullopt;
    AffineMap map = contract.getIndexingMapsArray()[use.getOperandNumber()];
    SmallVector<int64_t> mine;
    for (unsigned i = 0; i < map.getNumResults(); ++i)
      mine.push_back((*shape)[map.getDimPosition(i)]);
    if (piece && *piece != mine)
      return std::nullopt;
    piece = mine;
  }
  return piece;
}

std::optional<SmallVector<int64_t>> nativeShape(Operation *op) {
  if (auto contract = dyn_cast<vector::ContractionOp>(op))
    return dotShape(contract);
  if (auto read = dyn_cast<vector::TransferReadOp>(op))
    return readShape(read);
  return std::nullopt;
}

/// The 1-D vector that `v` reshapes (through shape casts, and broadcasts
/// that only add unit dimensions), or null.
Value flatSource(Value v) {
  while (true) {
    auto type = dyn_cast<VectorType>(v.getType());
    if (!type)
      return nullptr;
    if (type.getRank() == 1)
      return v;
    if (auto cast = v.getDefiningOp<vector::ShapeCastOp>()) {
      v = cast.getSource();
      continue;
    }
    auto broadcast = v.getDefiningOp<vector::BroadcastOp>();
    auto source = broadcast ? dyn_cast<VectorType>(broadcast.getSourceType())
                            : VectorType();
    if (!source || source.getNumElements() != type.getNumElements())
      return nullptr;
    v = broadcast.getSource();
  }
}

/// `shape_cast(extract_strided_slice(shape_cast(v)))` to 1-D, where `v`
/// is 1-D and the slice one contiguous run of its elements, as a slice of
/// `v` itself. Otherwise LLVM builds the n-D middle form lane by lane (B's
/// 16 pairs as 16 two-element vectors, shuffled back into one register).
struct SliceFlatVector : OpRewritePattern<vector::ShapeCastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::ShapeCastOp cast,
                                PatternRewriter &rewriter) const override {
    auto slice =
        cast.getSource().getDefiningOp<vector::ExtractStridedSliceOp>();
    if (cast.getResultVectorType().getRank() != 1 || !slice ||
        slice.hasNonUnitStrides())
      return failure();
    Value flat = flatSource(slice.getSource());
    if (!flat)
      return failure();
    ArrayRef<int64_t> shape = slice.getSourceVectorType().getShape();
    SmallVector<int64_t> offsets = getI64SubArray(slice.getOffsets());
    SmallVector<int64_t> sizes = getI64SubArray(slice.getSizes());
    offsets.resize(shape.size(), 0);
    for (size_t d = sizes.size(); d < shape.size(); ++d)
      sizes.push_back(shape[d]);
    // Contiguous: full extents after the first partial dimension, ones
    // before it.
    int64_t d = shape.size() - 1;
    while (d > 0 && sizes[d] == shape[d])
      --d;
    for (int64_t i = 0; i < d; ++i)
      if (sizes[i] != 1)
        return failure();
    int64_t offset = 0;
    for (size_t i = 0; i < shape.size(); ++i)
      offset = offset * shape[i] + offsets[i];
    rewriter.replaceOpWithNewOp<vector::ExtractStridedSliceOp>(
        cast, flat, ArrayRef<int64_t>{offset},
        ArrayRef<int64_t>{cast.getResultVectorType().getNumElements()},
        ArrayRef<int64_t>{1});
    return success();
  }
};

/// A bf16 contraction in pairs with no row of A (a decode step's
/// x . W, unit dimensions folded away) gets one unit row, the form the
/// dot-product patterns take.
struct AddUnitRow : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::ContractionOp contract,
                                PatternRewriter &rewriter) const override {
    auto accType = dyn_cast<VectorType>(contract.getAccType());
    if (!contract.getLhsType().getElementType().isBF16() || !accType)
      return failure();
    SmallVector<AffineMap> maps = contract.getIndexingMapsArray();
    SmallVector<vector::IteratorType> iterators =
        contract.getIteratorTypesArray();
    SmallVector<int64_t> bounds;
    contract.getIterationBounds(bounds);
    if (maps[0].getNumResults() == 0 || maps[1].getNumResults() == 0)
      return failure();
    AffineExpr pair = maps[0].getResults().back();
    if (pair != maps[1].getResults().back() ||
        bounds[cast<AffineDimExpr>(pair).getPosition()] != 2)
      return failure();
    for (AffineExpr e : maps[0].getResults())
      if (iterators[cast<AffineDimExpr>(e).getPosition()] ==
          vector::IteratorType::parallel)
        return failure();
    MLIRContext *ctx = rewriter.getContext();
    unsigned dims = maps[0].getNumDims();
    AffineExpr row = getAffineDimExpr(dims, ctx);
    auto withRow = [&](AffineMap map, bool add) {
      SmallVector<AffineExpr> results;
      if (add)
        results.push_back(row);
      llvm::append_range(results, map.getResults());
      return AffineMap::get(dims + 1, 0, results, ctx);
    };
    auto prepend = [](VectorType type) {
      SmallVector<int64_t> shape = {1};
      llvm::append_range(shape, type.getShape());
      return VectorType::get(shape, type.getElementType());
    };
    Location loc = contract.getLoc();
    Value lhs = vector::ShapeCastOp::create(
        rewriter, loc, prepend(contract.getLhsType()), contract.getLhs());
    Value acc = vector::ShapeCastOp::create(rewriter, loc, prepend(accType),
                                            contract.getAcc());
    iterators.push_back(vector::IteratorType::parallel);
    auto rowContract = vector::ContractionOp::create(
        rewriter, loc, lhs, contract.getRhs(), acc,
        rewriter.getAffineMapArrayAttr({withRow(maps[0], true),
                                        withRow(maps[1], false),
                                        withRow(maps[2], true)}),
        rewriter.getArrayAttr(llvm::map_to_vector(
            iterators, [&](vector::IteratorType t) -> Attribute {
              return vector::IteratorTypeAttr::get(ctx, t);
            })));
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(contract, accType,
                                                     rowContract.getResult());
    return success();
  }
};

struct TfmCpuLowerBf16ContractionsPass
    : tfm::impl::TfmCpuLowerBf16ContractionsPassBase<
          TfmCpuLowerBf16ContractionsPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet rows(ctx);
    rows.add<AddUnitRow>(ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(rows))))
      return signalPassFailure();
    // The operands' reads first, while the contractions still use them
    // whole; the contractions' pieces then take the reads' pieces.
    for (bool reads : {true, false}) {
      RewritePatternSet unroll(ctx);
      vector::populateVectorUnrollPatterns(
          unroll,
          vector::UnrollVectorOptions()
              .setFilterConstraint([reads](Operation *op) {
                return success(isa<vector::TransferReadOp>(op) == reads &&
                               nativeShape(op));
              })
              .setNativeShapeFn(nativeShape));
      if (failed(applyPatternsGreedily(getOperation(), std::move(unroll))))
        return signalPassFailure();
    }

    // Each piece of an operand one load: A's pair as one 32-bit value to
    // broadcast, B's 16 pairs as one zmm register.
    RewritePatternSet dots(ctx);
    vector::populateFlattenVectorTransferPatterns(dots);
    dots.add<SliceFlatVector>(ctx);
    x86vector::populateVectorContractToPackedTypeDotProductPatterns(dots);
    vector::ShapeCastOp::getCanonicalizationPatterns(dots, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(dots))))
      return signalPassFailure();
  }
};
} // namespace
