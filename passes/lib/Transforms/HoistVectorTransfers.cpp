//===- HoistVectorTransfers.cpp - Accumulators in registers -----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tfm/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMHOISTVECTORTRANSFERSPASS
#include "tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

#define DEBUG_TYPE "tfm-hoist-vector-transfers"

using namespace mlir;

namespace {
struct TfmHoistVectorTransfersPass
    : tfm::impl::TfmHoistVectorTransfersPassBase<TfmHoistVectorTransfersPass> {
  using Base::Base;
  void runOnOperation() override {
    // Loops here come from tiling static shapes, so every trip count is
    // known; verifying it keeps hoisting safe should one be zero.
    linalg::hoistRedundantVectorTransfers(getOperation(),
                                          /*verifyNonZeroTrip=*/true);
  }
};
} // namespace
