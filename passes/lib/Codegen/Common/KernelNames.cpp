//===- KernelNames.cpp - What each parallel loop nest computes --*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Common/KernelNames.h"

#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::tfm {

void nameKernel(Operation *loop, StringRef name) {
  loop->setAttr(kKernelNameAttr, StringAttr::get(loop->getContext(), name));
}

std::optional<StringRef> kernelName(Operation *loop) {
  if (auto name = loop->getAttrOfType<StringAttr>(kKernelNameAttr))
    return name.getValue();
  return std::nullopt;
}

std::string contractionName(linalg::LinalgOp op) {
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (failed(dims) || llvm::any_of(ranges, ShapedType::isDynamic))
    return "matmul";
  auto extent = [&](ArrayRef<unsigned> loops) {
    int64_t product = 1;
    for (unsigned loop : loops)
      product *= ranges[loop];
    return product;
  };
  return "matmul_" + std::to_string(extent(dims->batch) * extent(dims->m)) +
         "x" + std::to_string(extent(dims->n)) + "x" +
         std::to_string(extent(dims->k));
}

std::string loopNestName(linalg::LinalgOp op) {
  if (linalg::isaContractionOpInterface(op))
    return contractionName(op);
  if (isa<linalg::CopyOp>(op))
    return "copy";
  if (isa<linalg::FillOp>(op))
    return "fill";
  if (op.getNumReductionLoops() > 0)
    return "reduction";
  return "elementwise";
}

} // namespace mlir::tfm
