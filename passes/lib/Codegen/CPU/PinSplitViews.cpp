//===- PinSplitViews.cpp - Split views as explicit layouts ------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Folding a memref.expand_shape into the vector transfers that read it
// (memref's fold-alias patterns) re-indexes them on the unsplit buffer, but
// keeps the vector's minor-identity map: a vector<8x1x32xf32> accumulator
// of rows x panel x columns, read through the (b, t, N) -> (b, t, N / 32,
// 32) view of a packed matmul's result, ends up reading 8 along b. Stating
// the split view's layout with memref.reinterpret_cast leaves nothing for
// the folding to re-index, and views of it still fold.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/CPU/Passes.h"

#define DEBUG_TYPE "tfm-cpu-pin-split-views"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPUPINSPLITVIEWSPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
struct TfmCpuPinSplitViewsPass
    : tfm::impl::TfmCpuPinSplitViewsPassBase<TfmCpuPinSplitViewsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<memref::ExpandShapeOp> views;
    getOperation().walk(
        [&](memref::ExpandShapeOp view) { views.push_back(view); });
    IRRewriter rewriter(&getContext());
    for (memref::ExpandShapeOp view : views) {
      MemRefType type = view.getResultType();
      int64_t offset;
      SmallVector<int64_t> strides;
      if (!type.hasStaticShape() ||
          failed(type.getStridesAndOffset(strides, offset)) ||
          ShapedType::isDynamic(offset) ||
          llvm::any_of(strides, ShapedType::isDynamic))
        continue;
      rewriter.setInsertionPoint(view);
      rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
          view, type, view.getSrc(), offset, type.getShape(), strides);
    }
  }
};
} // namespace
