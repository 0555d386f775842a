//===- Passes.h - tfm conversion passes -------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CONVERSION_PASSES_H
#define TFM_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;

namespace tfm {

#define GEN_PASS_DECL
#include "tfm/Conversion/Passes.h.inc"

/// Patterns that rewrite each tfm op as linalg/tensor/arith/math ops.
void populateTfmToLinalgConversionPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "tfm/Conversion/Passes.h.inc"

} // namespace tfm
} // namespace mlir

#endif // TFM_CONVERSION_PASSES_H
