//===- SplitVocabulary.cpp - The output projection's GPU layout -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The output projection is the largest matmul of a forward pass (GPT-3
// Small: a quarter of its FLOPs). Split so 128-wide block tiles divide its
// main part, that part runs on tensor cores; the tail of 81 columns, and a
// decode step's single row, stay on the SIMT path.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Common/Kernels.h"
#include "tfm/Codegen/GPU/Passes.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUSPLITVOCABULARYPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
/// Fewer rows than one tensor-core fragment's 16 gain nothing from the
/// split.
constexpr int64_t kFragmentRows = 16;

struct TfmGpuSplitVocabularyPass
    : tfm::impl::TfmGpuSplitVocabularyPassBase<TfmGpuSplitVocabularyPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    tfm::populateSplitVocabularyPatterns(patterns, vocabBlock,
                                         kFragmentRows - 1,
                                         /*transposeTable=*/false);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
