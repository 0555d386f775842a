//===- ModelReport.h - Human-readable model summaries ------------*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The parameter table and the IR summary that `gpt3-compile` prints.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_FRONTEND_MODELREPORT_H
#define TFM_FRONTEND_MODELREPORT_H

#include "tfm/Frontend/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::tfm {

/// "125.2M", "1.3B", "174.6B": a count rounded to one decimal of its unit.
std::string formatCount(int64_t count);

/// One row per parameter (index, name, shape, elements) and the total.
void printParameterTable(const ModelConfig &config, llvm::raw_ostream &os);

/// The hyperparameters, the attention pattern of every layer, and per
/// function its arguments, result and a count of each op kind.
void printSummary(const ModelConfig &config, ModuleOp module,
                  llvm::raw_ostream &os);

} // namespace mlir::tfm

#endif // TFM_FRONTEND_MODELREPORT_H
