//===- eval.h - The eval command ---------------------------------*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_EVAL_H
#define GPT3_DRIVER_EVAL_H

#include "cli.h"
#include "model.h"
#include "ranks.h"

namespace gpt3 {

/// `eval --weights W --data file.txt`.
struct EvalSettings {
  std::string weights, data, tokenizer;
};

/// Declares `eval`'s flags on `app`.
CLI::App *addEvalCommand(CLI::App &app, EvalSettings &s);

int commandEval(Context &ctx, const EvalSettings &s, const Ranks &ranks);

} // namespace gpt3

#endif // GPT3_DRIVER_EVAL_H
