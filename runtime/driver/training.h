//===- training.h - The train command ---------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_TRAINING_H
#define GPT3_DRIVER_TRAINING_H

#include "cli.h"
#include "model.h"

namespace gpt3 {

/// `train --data corpus.txt --out DIR [--steps N] [--lr LR] [--warmup W]
/// [--resume] ...`.
int commandTrain(Context &ctx, const Flags &flags);

/// The flags `train` takes.
extern const std::vector<std::string> kTrainFlags;

} // namespace gpt3

#endif // GPT3_DRIVER_TRAINING_H
