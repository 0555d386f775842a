//===- TfmDialect.cpp - Transformer dialect ---------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Registers the ops and attributes of the `tfm` dialect.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmDialect.h"
#include "tfm/Dialect/TfmOps.h"

#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace mlir::tfm;

#include "tfm/Dialect/TfmOpsDialect.cpp.inc"

void TfmDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tfm/Dialect/TfmOps.cpp.inc"
      >();
  registerAttributes();
}

LogicalResult TfmDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attribute) {
  if (attribute.getName() == kRanksAttrName) {
    auto ranks = dyn_cast<IntegerAttr>(attribute.getValue());
    if (!isa<ModuleOp>(op) || !ranks || ranks.getInt() < 2)
      return op->emitOpError()
             << "'" << kRanksAttrName
             << "' must be an integer of at least 2 on a module, got "
             << attribute.getValue();
    return success();
  }
  if (attribute.getName() == kZeroAttrName) {
    auto zero = dyn_cast<IntegerAttr>(attribute.getValue());
    if (!isa<ModuleOp>(op) || !zero || zero.getInt() != 1 ||
        !op->hasAttr(kRanksAttrName))
      return op->emitOpError()
             << "'" << kZeroAttrName
             << "' must be 1 on a module with 'tfm.ranks', got "
             << attribute.getValue();
    return success();
  }
  if (attribute.getName() != kMatmulTypeAttrName)
    return success();
  auto type = dyn_cast<TypeAttr>(attribute.getValue());
  if (!isa<ModuleOp>(op) || !type ||
      !isa<Float32Type, BFloat16Type>(type.getValue()))
    return op->emitOpError()
           << "'" << kMatmulTypeAttrName
           << "' must be f32 or bf16 on a module, got " << attribute.getValue();
  return success();
}
