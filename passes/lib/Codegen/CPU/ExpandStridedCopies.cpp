//===- ExpandStridedCopies.cpp - Strided memref.copy as loops ---*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The LLVM lowering of memref.copy calls `memrefCopy` from MLIR's runner
// library for any view that is not contiguous; model binaries link no MLIR
// library, so such copies become linalg.copy, lowered to loops with the
// rest of linalg.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/CPU/Passes.h"

#define DEBUG_TYPE "tfm-cpu-expand-strided-copies"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPUEXPANDSTRIDEDCOPIESPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
struct TfmCpuExpandStridedCopiesPass
    : tfm::impl::TfmCpuExpandStridedCopiesPassBase<
          TfmCpuExpandStridedCopiesPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<memref::CopyOp> strided;
    getOperation().walk([&](memref::CopyOp copy) {
      auto contiguous = [](Value v) {
        return llvm::cast<MemRefType>(v.getType())
            .areTrailingDimsContiguous(
                llvm::cast<MemRefType>(v.getType()).getRank());
      };
      if (!contiguous(copy.getSource()) || !contiguous(copy.getTarget()))
        strided.push_back(copy);
    });
    for (memref::CopyOp copy : strided) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};
} // namespace
