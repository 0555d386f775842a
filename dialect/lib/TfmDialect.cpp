//===- TfmDialect.cpp - Transformer dialect ---------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Registers the ops and attributes of the `tfm` dialect.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmDialect.h"
#include "tfm/Dialect/TfmOps.h"

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
