//===- MatmulOperands.cpp - The precision matmuls read in -------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Under --dtype bf16 the module says its matmuls read bf16 operands
// (tfm.matmul_type); everything else stays f32. A weight the graph widened
// from bf16 is read as the bf16 tensor it was, never rounded again; an f32
// activation or master weight is rounded to nearest even once, before the
// matmul, so that the matmul reads half the bytes.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/LoweringUtils.h"
#include "tfm/Dialect/TfmDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::tfm::lowering {

Type matmulOperandType(Operation *op) {
  auto module = op->getParentOfType<ModuleOp>();
  if (auto type = module ? module->getAttrOfType<TypeAttr>(
                               TfmDialect::kMatmulTypeAttrName)
                         : TypeAttr())
    return type.getValue();
  return Type();
}

Value unwidened(Value value) {
  if (auto widen = value.getDefiningOp<arith::ExtFOp>())
    return widen.getIn();
  return value;
}

Value matmulOperand(OpBuilder &b, Location loc, Value value, Type type) {
  if (!type)
    return value;
  if (getElementTypeOrSelf(unwidened(value).getType()) == type)
    return unwidened(value);
  RankedTensorType from = tensorType(value);
  if (from.getElementType() == type)
    return value;
  AffineMap id =
      AffineMap::getMultiDimIdentityMap(from.getRank(), b.getContext());
  return generic(
      b, loc, value, emptyTensor(b, loc, from.getShape(), type), {id, id},
      SmallVector<IteratorType>(from.getRank(), kPar),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        return arith::TruncFOp::create(nb, l, type, args[0]).getResult();
      });
}

} // namespace mlir::tfm::lowering
