//===- TfmDialect.h - Transformer dialect ------------------------*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The `tfm` dialect class. Include TfmOps.h for the ops and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFMDIALECT_H
#define TFM_DIALECT_TFMDIALECT_H

#include "mlir/IR/Dialect.h"

#include "tfm/Dialect/TfmOpsDialect.h.inc"

#endif // TFM_DIALECT_TFMDIALECT_H
