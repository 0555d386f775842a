//===- eval.cpp - The eval command -------------------------------*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The loss and perplexity of the model on a text, tokenized as `train`
// does: every token after the first is predicted once, from the window of
// T tokens before it in consecutive, non-overlapping windows of T + 1,
// through the compiled `loss` in batches of B windows (of B on each rank of
// a data-parallel model). Windows that do not fill a batch are left out,
// and said so.
//
//===----------------------------------------------------------------------===//

#include "eval.h"

#include <chrono>
#include <cmath>
#include <cstdio>

using namespace gpt3;

CLI::App *gpt3::addEvalCommand(CLI::App &app, EvalSettings &s) {
  CLI::App *command = app.add_subcommand(
      "eval", "loss and perplexity of the model on a text file, tokenized as "
              "train does, in windows of the compiled sequence length");
  command->add_option("--weights", s.weights, "the weights")
      ->type_name("W")
      ->required();
  command->add_option("--data", s.data, "the text (plain text)")
      ->type_name("file.txt")
      ->required();
  addTokenizerFlag(*command, s.tokenizer,
                   "$GPT3_TOKENIZER_DIR, else the weights' directory");
  return command;
}

int gpt3::commandEval(Context &ctx, const EvalSettings &s, const Ranks &ranks) {
  std::vector<int64_t> shape = argShape(ctx, "loss", "tokens");
  if (shape.empty())
    return badInput("this model has no loss entry point; compile it with "
                    "gpt3-compile --entries loss (the default builds it)");
  std::vector<int32_t> ids;
  if (int code =
          readCorpus(s.data, s.tokenizer, s.weights,
                     ctx.manifest["config"]["vocab_size"].get<int64_t>(), ids))
    return code;
  int64_t batch = shape[0], seq = shape[1];
  int64_t global = batch * ranks.size;
  int64_t tokens = static_cast<int64_t>(ids.size());
  int64_t windows = tokens > 0 ? (tokens - 1) / seq : 0;
  int64_t batches = windows / global;
  if (batches == 0)
    return badInput(s.data + ": " + std::to_string(tokens) +
                    " tokens, fewer than one batch of " +
                    std::to_string(global) +
                    " windows of T + 1 = " + std::to_string(seq + 1) +
                    " (consecutive windows share their last token)");
  if (gpt3_status_t st =
          gpt3_context_load_weights(ctx.handle, s.weights.c_str()))
    return report(st);

  std::vector<int32_t> in(batch * seq), targets(in.size());
  double sum = 0;
  auto start = std::chrono::steady_clock::now();
  for (int64_t b = 0; b < batches; ++b) {
    for (int64_t row = 0; row < batch; ++row) {
      int64_t at = ((b * ranks.size + ranks.rank) * batch + row) * seq;
      for (int64_t t = 0; t < seq; ++t) {
        in[row * seq + t] = ids[at + t];
        targets[row * seq + t] = ids[at + t + 1];
      }
    }
    float loss = 0;
    if (gpt3_status_t st =
            batchLoss(ctx, in.data(), targets.data(), shape, loss))
      return report(st);
    sum += loss;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  double loss = sum / batches;
  int64_t scored = batches * global * seq;
  std::printf("eval %s: %lld of %lld tokens predicted, in %lld windows of "
              "%lld: loss %.4f, perplexity %.3f\n",
              s.data.c_str(), static_cast<long long>(scored),
              static_cast<long long>(tokens - 1),
              static_cast<long long>(batches * global),
              static_cast<long long>(seq), loss, std::exp(loss));
  if (scored < tokens - 1)
    std::printf("the last %lld tokens fill no batch of %lld windows and are "
                "not scored\n",
                static_cast<long long>(tokens - 1 - scored),
                static_cast<long long>(global));
  std::fprintf(stderr, "%.0f tokens/s\n", scored / seconds);
  return 0;
}
