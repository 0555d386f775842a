//===- TfmInterfaces.h - Transformer dialect interfaces ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFMINTERFACES_H
#define TFM_DIALECT_TFMINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "tfm/Dialect/TfmInterfaces.h.inc"

#endif // TFM_DIALECT_TFMINTERFACES_H
