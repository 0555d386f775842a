//===- generate.h - The generate command ------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_GENERATE_H
#define GPT3_DRIVER_GENERATE_H

#include "cli.h"

namespace gpt3 {

/// The compiled model as generation sees it.
struct GenerateModel {
  gpt3_context_t *handle; // weights not yet bound
  int64_t batch;          // 1: compiled batch
  int64_t seq;            // 128: compiled sequence length
  int64_t vocab;          // 50257
  bool hasDecode;         // true: a `decode` entry point with a KV cache
  int64_t prefill;        // 64: tokens per `prefill` call; 0: no such entry
};

/// `generate --prompt P --max-new-tokens N --temp T --top-k K --top-p P
/// --beams N --seed S ...`.
int commandGenerate(GenerateModel &model, const Flags &flags);

} // namespace gpt3

#endif // GPT3_DRIVER_GENERATE_H
