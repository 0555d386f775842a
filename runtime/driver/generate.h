//===- generate.h - The generate command ------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_GENERATE_H
#define GPT3_DRIVER_GENERATE_H

#include "cli.h"
#include "sampling.h"

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

struct GenerateSettings {
  std::string weights, prompt, promptFile, tokenizer, cache = "on";
  SamplingOptions sampling;
  BeamOptions beam{/*beams=*/1}; // sampling unless --beams says otherwise
  int32_t maxNewTokens = 32;
  int32_t numReturn = 1;
  uint64_t seed = 0; // drawn at random unless given
};

/// Declares `generate`'s flags on `app`.
CLI::App *addGenerateCommand(CLI::App &app, GenerateSettings &s);

/// `generate -p P -n N --temp T --top-k K --top-p P --beams N -s S ...`.
int commandGenerate(GenerateModel &model, GenerateSettings s,
                    const GivenFlags &given);

} // namespace gpt3

#endif // GPT3_DRIVER_GENERATE_H
