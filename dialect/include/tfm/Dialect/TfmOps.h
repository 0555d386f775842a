//===- TfmOps.h - Transformer dialect ops ------------------------*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Op classes of the `tfm` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFMOPS_H
#define TFM_DIALECT_TFMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tfm/Dialect/TfmAttrs.h"
#include "tfm/Dialect/TfmDialect.h"
#include "tfm/Dialect/TfmInterfaces.h"

#define GET_OP_CLASSES
#include "tfm/Dialect/TfmOps.h.inc"

#endif // TFM_DIALECT_TFMOPS_H
