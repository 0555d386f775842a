//===- bench.h - The bench command ------------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_BENCH_H
#define GPT3_DRIVER_BENCH_H

#include "cli.h"
#include "model.h"

namespace gpt3 {

struct BenchSettings {
  std::string weights, entry = "forward";
  int iters = 5;
  uint64_t seed = 1;
  int64_t pos = -1; // default: the last position that fits
};

/// Declares `bench`'s flags on `app`.
CLI::App *addBenchCommand(CLI::App &app, BenchSettings &s);

/// `bench [--weights W] [--iters N] [--entry E] [--pos P]`.
int commandBench(Context &ctx, const BenchSettings &s);

} // namespace gpt3

#endif // GPT3_DRIVER_BENCH_H
