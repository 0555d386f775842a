//===- SplitVocabulary.cpp - The output projection's CPU layout -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// For more than a dot product's rows, the CPU transposes the tied table
// once, so the output projection reads row-major panels, and splits the
// vocabulary so its thread and register tiles divide the main part.
//
//===----------------------------------------------------------------------===//

#include "ThreadTiles.h"

#include "tfm/Codegen/CPU/Passes.h"
#include "tfm/Codegen/Common/Kernels.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPUSPLITVOCABULARYPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
struct TfmCpuSplitVocabularyPass
    : tfm::impl::TfmCpuSplitVocabularyPassBase<TfmCpuSplitVocabularyPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    tfm::populateSplitVocabularyPatterns(patterns, vocabBlock,
                                         tfm::kDotProductRows,
                                         /*transposeTable=*/true);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
