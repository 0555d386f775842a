//===- PackMatmuls.cpp - Column panels for matmul operands ------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A matmul's register tile reads one row of B per reduction step. Read in
// place, those rows sit N floats apart; when N * 4 is a multiple of 4 KiB
// (N = 3072) every row of a panel lands in the same cache sets, and the
// panel the tile loops over cannot stay in L1 or L2. Copying B once into
// contiguous panels of `panel-width` columns makes each reduction loop read
// one stream, at the price of one pass over B, which rows >= `min-rows`
// amortise. Any contraction of that shape qualifies: linalg.matmul, or the
// generic (b, t, n, k) one that reshape propagation makes of x @ W. A
// weight the runtime packed at load (an inference-only model's) is read as
// the panels it is, with no copy, however few the rows (a decode step).
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPUPACKMATMULSPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

#define DEBUG_TYPE "tfm-cpu-pack-matmuls"

using namespace mlir;

namespace {
/// A contraction x @ W: W's dimensions are a group of reduction loops K
/// followed by a group of parallel loops N (a weight matrix, possibly viewed
/// as (heads, head size, N) or (K, 3, heads, head size) after reshape
/// propagation), x ends with the same K group, and the result with the same
/// N group; x's other dimensions, all in the result, are its rows.
struct MatmulForm {
  linalg::LinalgOp op;
  unsigned kGroup, nGroup; // sizes of the groups
  int64_t n = 1;           // the extent of N
  int64_t k = 1;           // the extent of K
  int64_t rows = 1;
  bool bf16 = false; // bf16 x and W into an f32 result
};

/// f32 throughout, or bf16 operands into an f32 result; none other.
std::optional<bool> isBf16Matmul(linalg::LinalgOp op) {
  auto type = [&](unsigned i) {
    return getElementTypeOrSelf(op->getOperand(i).getType());
  };
  if (type(0).isF32() && type(1).isF32() && type(2).isF32())
    return false;
  if (type(0).isBF16() && type(1).isBF16() && type(2).isF32())
    return true;
  return std::nullopt;
}

std::optional<MatmulForm> matchMatmul(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  std::optional<bool> bf16 = isBf16Matmul(op);
  if (!bf16)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  AffineMap lhs = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap rhs = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!lhs.isProjectedPermutation() || !rhs.isProjectedPermutation() ||
      !out.isProjectedPermutation())
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  MatmulForm form{op, 0, 0};
  form.bf16 = *bf16;
  unsigned rhsRank = rhs.getNumResults();
  while (form.kGroup < rhsRank && iterators[rhs.getDimPosition(form.kGroup)] ==
                                      utils::IteratorType::reduction)
    ++form.kGroup;
  form.nGroup = rhsRank - form.kGroup;
  if (form.kGroup == 0 || form.nGroup == 0 ||
      lhs.getNumResults() < form.kGroup || out.getNumResults() < form.nGroup)
    return std::nullopt;
  // The groups end x and the result, in W's order.
  for (unsigned i = 0; i < form.kGroup; ++i) {
    if (lhs.getDimPosition(lhs.getNumResults() - form.kGroup + i) !=
        rhs.getDimPosition(i))
      return std::nullopt;
    form.k *= ranges[rhs.getDimPosition(i)];
  }
  for (unsigned i = 0; i < form.nGroup; ++i) {
    unsigned d = rhs.getDimPosition(form.kGroup + i);
    if (iterators[d] != utils::IteratorType::parallel ||
        out.getDimPosition(out.getNumResults() - form.nGroup + i) != d)
      return std::nullopt;
    form.n *= ranges[d];
  }
  // Rows: x's leading dimensions, each in the result.
  for (unsigned i = 0; i + form.kGroup < lhs.getNumResults(); ++i) {
    unsigned d = lhs.getDimPosition(i);
    if (!out.isFunctionOfDim(d))
      return std::nullopt;
  }
  for (unsigned i = 0; i + form.nGroup < out.getNumResults(); ++i)
    form.rows *= ranges[out.getDimPosition(i)];
  return form;
}

/// Dimensions of a rank-`rank` tensor one by one, the last `tail` together.
SmallVector<ReassociationIndices> joinTail(int64_t rank, int64_t tail) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d + tail < rank; ++d)
    groups.push_back({d});
  groups.push_back(llvm::to_vector(llvm::seq<int64_t>(rank - tail, rank)));
  return groups;
}

/// The first `head` dimensions of a rank-`rank` tensor, and the rest.
SmallVector<ReassociationIndices> splitAt(int64_t rank, int64_t head) {
  return {llvm::to_vector(llvm::seq<int64_t>(0, head)),
          llvm::to_vector(llvm::seq<int64_t>(head, rank))};
}

Value collapse(OpBuilder &b, Location loc, Value v,
               ArrayRef<ReassociationIndices> groups) {
  if (llvm::all_of(groups,
                   [](const ReassociationIndices &g) { return g.size() == 1; }))
    return v;
  return tensor::CollapseShapeOp::create(b, loc, v, groups);
}

struct TfmCpuPackMatmulsPass
    : tfm::impl::TfmCpuPackMatmulsPassBase<TfmCpuPackMatmulsPass> {
  using Base::Base;

  bool shouldPack(const MatmulForm &form) const {
    return form.rows >= minRows && form.n % panelWidth == 0 &&
           form.n > panelWidth && (!form.bf16 || form.k % 2 == 0);
  }

  /// (K, N) -> (N / P, K, P): panel j holds columns [j P, (j + 1) P) row
  /// after row; from the transpose (N, K) of W when `transposed`. In bf16,
  /// (K, N) -> (N / P, K / 2, P, 2): each panel row holds two rows of W
  /// interleaved, the pairs `vdpbf16ps` multiplies and adds in one lane.
  Value copyToPanels(OpBuilder &b, Location loc, Value matrix, bool transposed,
                     bool bf16) const {
    auto type = cast<RankedTensorType>(matrix.getType());
    int64_t k = type.getDimSize(transposed ? 1 : 0);
    int64_t panels = type.getDimSize(transposed ? 0 : 1) / panelWidth;
    SmallVector<int64_t> split = {k, panels, panelWidth};
    SmallVector<ReassociationIndices> groups = {{0}, {1, 2}};
    SmallVector<int64_t> permutation = {1, 0, 2};
    SmallVector<int64_t> packedShape = {panels, k, panelWidth};
    if (transposed) {
      split = {panels, panelWidth, k};
      groups = {{0, 1}, {2}};
      permutation = {0, 2, 1};
    }
    if (bf16) {
      groups = {{0, 1}, {2, 3}};
      split = {k / 2, 2, panels, panelWidth};
      permutation = {2, 0, 3, 1};
      if (transposed) {
        split = {panels, panelWidth, k / 2, 2};
        permutation = {0, 2, 1, 3};
      }
      packedShape = {panels, k / 2, panelWidth, 2};
    }
    Value view = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(split, type.getElementType()), matrix,
        groups);
    Value empty =
        tensor::EmptyOp::create(b, loc, packedShape, type.getElementType());
    return linalg::TransposeOp::create(b, loc, view, empty, permutation)
        .getResult()[0];
  }

  /// The panels (N / P, K, P), in bf16 (N / P, K / 2, P, 2), that `rhs`, a
  /// (K, N) matrix in any shape, views through the transpose and reshapes
  /// that undo such a packing (a weight packed at load); null otherwise.
  /// Reshapes keep the elements' row-major order, so any chain of them from
  /// the transposed (K, N / P, P) or (K / 2, 2, N / P, P) to K x N elements
  /// is that matrix; reshape propagation may also have split the panels'
  /// dimensions before the transpose, which then moves each split group
  /// whole.
  Value packedSource(Value rhs, const MatmulForm &form) const {
    Value view = rhs;
    while (true) {
      if (auto collapse = view.getDefiningOp<tensor::CollapseShapeOp>())
        view = collapse.getSrc();
      else if (auto expand = view.getDefiningOp<tensor::ExpandShapeOp>())
        view = expand.getSrc();
      else
        break;
    }
    auto transpose = view.getDefiningOp<linalg::TransposeOp>();
    if (!transpose || form.n % panelWidth != 0)
      return nullptr;
    SmallVector<int64_t> shape = {form.n / panelWidth, form.k, panelWidth};
    SmallVector<int64_t> unpack = {1, 0, 2};
    if (form.bf16) {
      shape = {form.n / panelWidth, form.k / 2, panelWidth, 2};
      unpack = {1, 3, 0, 2};
    }
    Value panels = transpose.getInput();
    SmallVector<ReassociationIndices> groups;
    if (auto split = panels.getDefiningOp<tensor::ExpandShapeOp>()) {
      groups = split.getReassociationIndices();
      panels = split.getSrc();
    } else {
      for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
        groups.push_back({d});
    }
    if (cast<RankedTensorType>(panels.getType()).getShape() !=
        ArrayRef<int64_t>(shape))
      return nullptr;
    SmallVector<int64_t> permutation;
    for (int64_t group : unpack)
      llvm::append_range(permutation, groups[group]);
    if (transpose.getPermutation() != ArrayRef<int64_t>(permutation))
      return nullptr;
    return panels;
  }

  /// The (N, K) matrix that `rhs` (K, N) transposes (the output
  /// projection's table, the weights of a backward product), which it can
  /// be packed from in one copy instead of a transpose and a pack; null
  /// otherwise.
  static Value transposedSource(Value rhs) {
    auto transpose = rhs.getDefiningOp<linalg::TransposeOp>();
    if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
      return nullptr;
    return transpose.getInput();
  }

  /// x viewed as (rows..., K), W as (K, N), packed into panels when `pack`
  /// (the result then as (rows..., N / P, P)); one linalg.contract over
  /// (rows..., j, p, k), or (rows..., n, k), its result reshaped back.
  void rewrite(IRRewriter &rewriter, const MatmulForm &form, bool pack) const {
    linalg::LinalgOp op = form.op;
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    Value lhs = op.getDpsInputOperand(0)->get();
    Value rhs = op.getDpsInputOperand(1)->get();
    Value init = op.getDpsInitOperand(0)->get();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto outType = cast<RankedTensorType>(init.getType());
    int64_t lhsRank = lhsType.getRank(), outRank = outType.getRank();

    Value lhs2 = collapse(rewriter, loc, lhs, joinTail(lhsRank, form.kGroup));
    Value rhs2 = collapse(rewriter, loc, rhs,
                          splitAt(form.kGroup + form.nGroup, form.kGroup));
    SmallVector<ReassociationIndices> nGroups = joinTail(outRank, form.nGroup);
    Value init2 = collapse(rewriter, loc, init, nGroups);
    int64_t rows = outRank - form.nGroup;

    // Loops: the result's rows in its order, then the columns (j, p when
    // packed), then k.
    MLIRContext *ctx = rewriter.getContext();
    AffineMap lhsMap = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    unsigned columnDims = pack ? 2 : 1;
    // bf16 panels pair the rows of W: k runs over the pairs, q within one.
    bool pairs = pack && form.bf16;
    unsigned dims = rows + columnDims + (pairs ? 2 : 1);
    auto dim = [&](unsigned d) { return getAffineDimExpr(d, ctx); };
    auto rowOf = [&](unsigned oldDim) {
      for (unsigned i = 0; i < rows; ++i)
        if (outMap.getDimPosition(i) == oldDim)
          return dim(i);
      llvm_unreachable("rows of x are rows of the result");
    };
    AffineExpr k = dim(rows + columnDims), q = dim(dims - 1);
    SmallVector<AffineExpr> lhsExprs, outExprs;
    for (unsigned i = 0; i + form.kGroup < lhsMap.getNumResults(); ++i)
      lhsExprs.push_back(rowOf(lhsMap.getDimPosition(i)));
    lhsExprs.push_back(k);
    if (pairs) {
      lhsExprs.push_back(q);
      auto lhs2Type = cast<RankedTensorType>(lhs2.getType());
      SmallVector<int64_t> pairShape(lhs2Type.getShape().drop_back());
      pairShape.append({form.k / 2, 2});
      lhs2 = tensor::ExpandShapeOp::create(
          rewriter, loc,
          RankedTensorType::get(pairShape, lhs2Type.getElementType()), lhs2,
          joinTail(pairShape.size(), 2));
    }
    for (unsigned i = 0; i < rows + columnDims; ++i)
      outExprs.push_back(dim(i));
    AffineMap lhsAffine = AffineMap::get(dims, 0, lhsExprs, ctx);
    AffineMap outAffine = AffineMap::get(dims, 0, outExprs, ctx);

    Value result;
    if (pack) {
      SmallVector<int64_t> splitShape(outType.getShape().take_front(rows));
      splitShape.append({form.n / panelWidth, panelWidth});
      auto splitType =
          RankedTensorType::get(splitShape, outType.getElementType());
      SmallVector<ReassociationIndices> columns = joinTail(rows + 2, 2);
      Value splitInit = tensor::ExpandShapeOp::create(rewriter, loc, splitType,
                                                      init2, columns);
      Value source = transposedSource(rhs2);
      Value packed = packedSource(rhs, form);
      if (!packed)
        packed = copyToPanels(rewriter, loc, source ? source : rhs2,
                              /*transposed=*/source != nullptr, form.bf16);
      SmallVector<AffineExpr> panelExprs = {dim(rows), k, dim(rows + 1)};
      if (pairs)
        panelExprs.push_back(q);
      AffineMap panelMap = AffineMap::get(dims, 0, panelExprs, ctx);
      Value product =
          linalg::ContractOp::create(
              rewriter, loc, TypeRange{splitType}, ValueRange{lhs2, packed},
              ValueRange{splitInit},
              rewriter.getAffineMapArrayAttr({lhsAffine, panelMap, outAffine}))
              .getResult(0);
      result = tensor::CollapseShapeOp::create(rewriter, loc, product, columns);
    } else {
      AffineMap rhsMap = AffineMap::get(dims, 0, {k, dim(rows)}, ctx);
      result =
          linalg::ContractOp::create(
              rewriter, loc, TypeRange{init2.getType()}, ValueRange{lhs2, rhs2},
              ValueRange{init2},
              rewriter.getAffineMapArrayAttr({lhsAffine, rhsMap, outAffine}))
              .getResult(0);
    }
    if (result.getType() != outType)
      result = tensor::ExpandShapeOp::create(rewriter, loc, outType, result,
                                             nGroups);
    rewriter.replaceOp(op, result);
  }

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    narrowTransposes(rewriter);
    // A form left unpacked still has its groups collapsed: the register
    // tiling vectorizes (rows, n, k), not (rows, 3, heads, head size, k).
    SmallVector<std::pair<MatmulForm, bool>> matmuls;
    getOperation().walk([&](linalg::LinalgOp op) {
      std::optional<MatmulForm> form = matchMatmul(op);
      if (!form)
        return;
      // A weight packed at load is read as panels also by a single row (a
      // decode step); two rows (batch 2) read the unpacked view.
      bool pack = shouldPack(*form) ||
                  ((form->rows == 1 || form->rows >= minRows) &&
                   packedSource(form->op.getDpsInputOperand(1)->get(), *form));
      if (pack || form->kGroup > 1 || form->nGroup > 1)
        matmuls.push_back({*form, pack});
    });
    for (auto [form, pack] : matmuls)
      rewrite(rewriter, form, pack);
  }

  /// A slice of a transpose (the output projection slices the transposed
  /// table into a packed main part and a narrow tail) becomes a transpose
  /// of the slice: the whole table is never transposed, and a packed slice
  /// is packed from its untransposed rows.
  void narrowTransposes(IRRewriter &rewriter) {
    SmallVector<tensor::ExtractSliceOp> slices;
    getOperation().walk([&](tensor::ExtractSliceOp slice) {
      if (slice.getSource().getDefiningOp<linalg::TransposeOp>())
        slices.push_back(slice);
    });
    for (tensor::ExtractSliceOp slice : slices) {
      rewriter.setInsertionPoint(slice);
      FailureOr<TilingResult> tiled =
          tensor::replaceExtractSliceWithTiledProducer(
              rewriter, slice, cast<OpResult>(slice.getSource()));
      if (succeeded(tiled))
        rewriter.replaceOp(slice, tiled->tiledValues.front());
    }
  }
};
} // namespace
