//===- training.h - The train command ---------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_TRAINING_H
#define GPT3_DRIVER_TRAINING_H

#include "cli.h"
#include "model.h"
#include "ranks.h"

namespace gpt3 {

/// The settings of a run: what its checkpoint records, then the flags of
/// the command alone.
struct TrainSettings {
  std::string data;
  int64_t steps = 100;
  double lr = 6e-4;
  int64_t warmup = 0; // default: steps / 10
  uint64_t seed = 1;
  int64_t valEvery = 0; // default: steps / 10, at least 1
  double valFraction = 0.1;
  int64_t checkpointEvery = 0;
  std::string initFrom;
  uint64_t corpusHash = 0;
  int64_t corpusTokens = 0;

  std::string out, tokenizer;
  bool resume = false;
  int64_t batch = 0, seq = 0; // checked against the compiled shapes

  nlohmann::json toJson() const;
};

/// Declares `train`'s flags on `app`.
CLI::App *addTrainCommand(CLI::App &app, TrainSettings &s);

/// `train --data corpus.txt --out DIR [--steps N] [--lr LR] [--warmup W]
/// [--resume] ...`.
int commandTrain(Context &ctx, TrainSettings s, const GivenFlags &given,
                 const Ranks &ranks);

} // namespace gpt3

#endif // GPT3_DRIVER_TRAINING_H
