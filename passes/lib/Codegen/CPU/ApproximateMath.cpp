//===- ApproximateMath.cpp - Vectorizable math functions --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPUAPPROXIMATEMATHPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

#define DEBUG_TYPE "tfm-cpu-approximate-math"

using namespace mlir;

namespace {
struct TfmCpuApproximateMathPass
    : tfm::impl::TfmCpuApproximateMathPassBase<TfmCpuApproximateMathPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
