//===- TfmAttrs.h - Transformer dialect attributes ---------------*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Attribute classes of the `tfm` dialect (the attention pattern).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFMATTRS_H
#define TFM_DIALECT_TFMATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#define GET_ATTRDEF_CLASSES
#include "tfm/Dialect/TfmAttrs.h.inc"

#endif // TFM_DIALECT_TFMATTRS_H
