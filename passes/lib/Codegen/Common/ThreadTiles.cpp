//===- ThreadTiles.cpp - Parallel blocks a target chose ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Common/ThreadTiles.h"

#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::tfm {

std::optional<SmallVector<int64_t>> chosenThreadTiles(Operation *op) {
  auto tiles = op->getAttrOfType<DenseI64ArrayAttr>(kThreadTilesAttr);
  if (!tiles)
    return std::nullopt;
  return llvm::to_vector(tiles.asArrayRef());
}

void setThreadTiles(Operation *op, ArrayRef<int64_t> tiles) {
  op->setAttr(kThreadTilesAttr,
              DenseI64ArrayAttr::get(op->getContext(), tiles));
}

} // namespace mlir::tfm
