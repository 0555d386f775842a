//===- generate.cpp - The generate command ----------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Text generation on the compiled `prefill` and `decode` entry points: the
// prompt goes through the model's KV cache in chunks, then one step per new
// token, so a token costs one pass over the weights and the cache, not a
// forward over the whole sequence. With --cache off each
// step instead runs `forward` on the prompt and the tokens so far (padded to
// the compiled length; causal attention keeps the padding from mattering),
// the reference the cached path is tested against.
// Sampled text streams to stdout as it is produced, never splitting a UTF-8
// character; a summary goes to stderr.
//
//===----------------------------------------------------------------------===//

#include "generate.h"

#include "sampling.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>

using namespace gpt3;

namespace {
constexpr int32_t kEndOfText = 50256;

/// Length of the longest prefix of `bytes` that does not end inside a UTF-8
/// sequence (invalid bytes count as complete).
size_t completeUtf8(const std::string &bytes) {
  size_t n = bytes.size();
  for (size_t back = 1; back <= std::min<size_t>(3, n); ++back) {
    auto b = static_cast<uint8_t>(bytes[n - back]);
    if ((b & 0xC0) == 0x80)
      continue; // a continuation byte: look further back for the lead
    size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/// Streams token bytes to stdout, holding back an incomplete character.
class TextStream {
public:
  explicit TextStream(const gpt3_tokenizer_t *tokenizer)
      : tokenizer_(tokenizer) {}
  void push(int32_t id) {
    size_t length = 0;
    const char *bytes = gpt3_tokenizer_token(tokenizer_, id, &length);
    pending_.append(bytes, length);
    size_t ready = completeUtf8(pending_);
    std::fwrite(pending_.data(), 1, ready, stdout);
    std::fflush(stdout);
    pending_.erase(0, ready);
  }
  void finish() {
    std::fwrite(pending_.data(), 1, pending_.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    pending_.clear();
  }

private:
  const gpt3_tokenizer_t *tokenizer_;
  std::string pending_;
};

/// Logits of the last of `tokens` (at most the compiled length), from one
/// forward pass over row 0 of the compiled batch.
gpt3_status_t forwardLogits(GenerateModel &model,
                            const std::vector<int32_t> &tokens,
                            std::vector<float> &logits) {
  std::vector<int32_t> ids(model.batch * model.seq, 0);
  std::copy(tokens.begin(), tokens.end(), ids.begin());
  std::vector<float> all(model.batch * model.seq * model.vocab);
  gpt3_tensor_t in =
      tensorView(ids.data(), {model.batch, model.seq}, GPT3_DTYPE_I32);
  gpt3_tensor_t out = tensorView(
      all.data(), {model.batch, model.seq, model.vocab}, GPT3_DTYPE_F32);
  if (gpt3_status_t status =
          gpt3_context_call(model.handle, "forward", &in, 1, &out, 1))
    return status;
  auto row = all.begin() + (tokens.size() - 1) * model.vocab;
  logits.assign(row, row + model.vocab);
  return nullptr;
}

/// Runs the cached entry point `fn` on `count` tokens at `pos` (row 0 of
/// the batch; the rest of a `prefill` chunk is padding, whose cache rows
/// later steps overwrite before any query sees them) and keeps the logits
/// of the last of them.
gpt3_status_t feedCache(GenerateModel &model, const char *fn, int64_t chunk,
                        const int32_t *tokens, int64_t count, int32_t pos,
                        std::vector<float> &logits) {
  std::vector<int32_t> ids(model.batch * chunk, 0);
  std::copy(tokens, tokens + count, ids.begin());
  std::vector<float> all(model.batch * chunk * model.vocab);
  gpt3_tensor_t in[2] = {
      tensorView(ids.data(), {model.batch, chunk}, GPT3_DTYPE_I32),
      tensorView(&pos, {}, GPT3_DTYPE_I32)};
  gpt3_tensor_t out =
      tensorView(all.data(), {model.batch, chunk, model.vocab}, GPT3_DTYPE_F32);
  if (gpt3_status_t status =
          gpt3_context_call(model.handle, fn, in, 2, &out, 1))
    return status;
  auto row = all.begin() + (count - 1) * model.vocab;
  logits.assign(row, row + model.vocab);
  return nullptr;
}

/// The same through the KV cache: tokens the cache already holds (the
/// common prefix with what was fed before) are skipped; the rest go in
/// `prefill` chunks while two or more remain and a chunk fits, then one
/// `decode` step each. Returns the logits of the last token.
gpt3_status_t cachedLogits(GenerateModel &model,
                           const std::vector<int32_t> &tokens,
                           std::vector<int32_t> &fed,
                           std::vector<float> &logits) {
  size_t keep = 0;
  while (keep < fed.size() && keep + 1 < tokens.size() &&
         fed[keep] == tokens[keep])
    ++keep;
  fed.resize(keep);
  while (fed.size() < tokens.size()) {
    int64_t pos = static_cast<int64_t>(fed.size());
    int64_t left = static_cast<int64_t>(tokens.size()) - pos;
    bool chunked =
        model.prefill > 0 && left > 1 && pos + model.prefill <= model.seq;
    int64_t count = chunked ? std::min(left, model.prefill) : 1;
    if (gpt3_status_t status = feedCache(
            model, chunked ? "prefill" : "decode", chunked ? model.prefill : 1,
            tokens.data() + pos, count, static_cast<int32_t>(pos), logits))
      return status;
    fed.insert(fed.end(), tokens.begin() + pos, tokens.begin() + pos + count);
  }
  return nullptr;
}

/// The model calls of one generation, timed: through the KV cache, or a
/// full forward per token.
struct LogitSource {
  GenerateModel &model;
  bool useCache;
  std::vector<int32_t> fed; // tokens the KV cache holds, by position
  double modelMs = 0;
  int64_t calls = 0;

  gpt3_status_t next(const std::vector<int32_t> &tokens,
                     std::vector<float> &logits) {
    auto start = std::chrono::steady_clock::now();
    gpt3_status_t st = useCache ? cachedLogits(model, tokens, fed, logits)
                                : forwardLogits(model, tokens, logits);
    modelMs += std::chrono::duration<double, std::milli>(
                   std::chrono::steady_clock::now() - start)
                   .count();
    ++calls;
    return st;
  }
};

/// Beam search from the prompt's `logits`; prints the best sequences and
/// counts the tokens they hold in `generated`.
gpt3_status_t generateBeams(const GenerateSettings &s, LogitSource &source,
                            const gpt3_tokenizer_t *tokenizer,
                            const std::vector<int32_t> &promptIds,
                            const std::vector<float> &logits,
                            int64_t &generated) {
  BeamOptions options = s.beam;
  options.maxNewTokens = s.maxNewTokens;
  gpt3_status_t failure = nullptr;
  NextLogProbs next = [&](const std::vector<std::vector<int32_t>> &heads) {
    std::vector<std::vector<float>> out;
    for (const std::vector<int32_t> &head : heads) {
      std::vector<int32_t> tokens = promptIds;
      tokens.insert(tokens.end(), head.begin(), head.end());
      std::vector<float> l;
      if (head.empty())
        l = logits;
      else if (!failure)
        failure = source.next(tokens, l);
      out.push_back(failure ? std::vector<float>(logits.size(), 0.0f)
                            : logSoftmax(l));
    }
    return out;
  };
  std::vector<Hypothesis> best = beamSearch(next, options);
  if (failure)
    return failure;
  for (int32_t r = 0; r < s.numReturn && r < (int32_t)best.size(); ++r) {
    if (s.numReturn > 1)
      std::printf("--- sequence %d (score %.3f)\n", r + 1, best[r].score);
    TextStream out(tokenizer);
    for (int32_t id : best[r].tokens)
      if (id != kEndOfText)
        out.push(id);
    out.finish();
    generated += best[r].tokens.size();
  }
  return nullptr;
}

/// Samples --num-return-sequences continuations from the prompt's
/// `promptLogits`, streaming each as it grows.
gpt3_status_t generateSamples(const GenerateSettings &s, LogitSource &source,
                              const gpt3_tokenizer_t *tokenizer,
                              const std::vector<int32_t> &promptIds,
                              const std::vector<float> &promptLogits,
                              int64_t &generated) {
  uint64_t state = s.seed;
  for (int32_t r = 0; r < s.numReturn; ++r) {
    if (s.numReturn > 1)
      std::printf("--- sequence %d\n", r + 1);
    TextStream out(tokenizer);
    std::vector<int32_t> tokens = promptIds;
    std::vector<float> logits = promptLogits;
    for (int32_t i = 0; i < s.maxNewTokens; ++i) {
      int32_t id = sampleToken(logits, s.sampling, state);
      ++generated;
      if (id == kEndOfText)
        break;
      out.push(id);
      tokens.push_back(id);
      if (i + 1 < s.maxNewTokens)
        if (gpt3_status_t st = source.next(tokens, logits))
          return st;
    }
    out.finish();
  }
  return nullptr;
}

/// The ids of the prompt (end of text for none), checked against the
/// vocabulary and the compiled context; --max-new-tokens is cut to the
/// room left. Returns 0, or the exit code after reporting why not.
int promptIds(const GenerateModel &model, GenerateSettings &s,
              const gpt3_tokenizer_t *tokenizer, std::vector<int32_t> &ids) {
  std::string prompt = s.prompt;
  if (!s.promptFile.empty() && !readFile(s.promptFile, prompt))
    return badInput("--prompt-file: cannot read " + s.promptFile);
  if (gpt3_status_t st = encodeText(tokenizer, prompt, ids))
    return report(st);
  if (ids.empty()) // Unconditional: start from end of text.
    ids.push_back(kEndOfText);
  for (int32_t id : ids)
    if (id >= model.vocab)
      return badInput("the prompt's token " + std::to_string(id) +
                      " is outside the model's vocabulary of " +
                      std::to_string(model.vocab) +
                      " (the GPT-2 tokenizer needs a vocabulary of 50257)");
  if (kEndOfText >= model.vocab && s.maxNewTokens > 0)
    std::fprintf(stderr, "note: the vocabulary has no end-of-text token; "
                         "generation runs to --max-new-tokens\n");
  if (static_cast<int64_t>(ids.size()) > model.seq)
    return badInput("the prompt has " + std::to_string(ids.size()) +
                    " tokens, more than the " + std::to_string(model.seq) +
                    " the model was compiled for (gpt3-compile --seq)");
  int32_t room = static_cast<int32_t>(model.seq - ids.size());
  if (s.maxNewTokens > room) {
    std::fprintf(stderr,
                 "note: --max-new-tokens %d exceeds the room left in the "
                 "compiled context; generating %d\n",
                 s.maxNewTokens, room);
    s.maxNewTokens = room;
  }
  return 0;
}

/// Checks between flags; draws the seed when none was given.
std::string resolveSettings(GenerateSettings &s, const GivenFlags &given) {
  if (s.beam.beams > 1 && s.numReturn > s.beam.beams)
    return "--num-return-sequences must be at most --beams (" +
           std::to_string(s.beam.beams) + ")";
  if (given.count("prompt") && given.count("prompt-file"))
    return "pass --prompt or --prompt-file, not both";
  if (!given.count("seed"))
    s.seed = std::random_device{}() * 0x100000000ull ^ std::random_device{}();
  return "";
}
} // namespace

CLI::App *gpt3::addGenerateCommand(CLI::App &app, GenerateSettings &s) {
  CLI::App *command = app.add_subcommand(
      "generate",
      "continue the prompt (empty: from <|endoftext|>), streaming the text");
  command
      ->add_option("--weights", s.weights,
                   "a .safetensors file or a directory holding "
                   "model.safetensors; default: GPT-3-initialised, seed 0")
      ->type_name("W");
  command->add_option("-p,--prompt", s.prompt, "the text to continue")
      ->type_name("P");
  command->add_option("--prompt-file", s.promptFile, "read the prompt from F")
      ->type_name("F");
  command->add_option("-n,--max-new-tokens", s.maxNewTokens, "tokens to add")
      ->type_name("N")
      ->check(numberCheck("an integer >= 0", true,
                          [](double v) { return v >= 0 && v <= (1 << 20); }))
      ->capture_default_str();
  command
      ->add_option("--temp", s.sampling.temperature,
                   "sampling temperature; 0 is greedy")
      ->type_name("T")
      ->check(numberCheck("a number >= 0", false,
                          [](double v) { return v >= 0 && v <= 1e6; }))
      ->capture_default_str();
  command
      ->add_option("--top-k", s.sampling.topK,
                   "sample from the K most likely tokens")
      ->type_name("K")
      ->check(numberCheck("an integer >= 0 (0: off)", true,
                          [](double v) { return v >= 0 && v <= (1 << 30); }))
      ->capture_default_str();
  command
      ->add_option("--top-p", s.sampling.topP,
                   "sample from the fewest tokens that hold probability P")
      ->type_name("P")
      ->check(numberCheck("in (0, 1]", false,
                          [](double v) { return v > 0 && v <= 1; }))
      ->capture_default_str();
  command->add_option("--beams", s.beam.beams, "beam search with N beams")
      ->type_name("N")
      ->check(integerIn(1, 64))
      ->capture_default_str();
  command
      ->add_option("--length-penalty", s.beam.lengthPenalty,
                   "beam score = log p / length^L; > 1 favours longer text")
      ->type_name("L")
      ->check(numberCheck("in [-10, 10]", false,
                          [](double v) { return v >= -10 && v <= 10; }))
      ->capture_default_str();
  command
      ->add_option("--num-return-sequences", s.numReturn,
                   "continuations to print")
      ->type_name("R")
      ->check(integerIn(1, 64))
      ->capture_default_str();
  command
      ->add_option("-s,--seed", s.seed,
                   "sampling seed; default: random, printed")
      ->type_name("S")
      ->check(unsignedInteger());
  addTokenizerFlag(*command, s.tokenizer,
                   "$GPT3_TOKENIZER_DIR, else the weights' directory");
  command->add_option("--cache", s.cache, "off re-runs forward per token")
      ->type_name("on|off")
      ->check(oneOf({"on", "off"}))
      ->capture_default_str();
  return command;
}

int gpt3::commandGenerate(GenerateModel &model, GenerateSettings s,
                          const GivenFlags &given) {
  std::string error = resolveSettings(s, given);
  if (!error.empty())
    return badInput(error);
  Tokenizer tokenizer;
  if (int rc = openTokenizer(s.tokenizer, s.weights, tokenizer))
    return rc;
  std::vector<int32_t> prompt;
  if (int rc = promptIds(model, s, tokenizer.get(), prompt))
    return rc;
  if (gpt3_status_t st =
          s.weights.empty()
              ? gpt3_context_init_weights(model.handle, 0)
              : gpt3_context_load_weights(model.handle, s.weights.c_str()))
    return report(st);
  if (s.weights.empty())
    std::fprintf(stderr, "note: no --weights: GPT-3-initialised random "
                         "weights (seed 0)\n");
  std::fprintf(stderr, "seed %llu\n", static_cast<unsigned long long>(s.seed));

  LogitSource source{model, model.hasDecode && s.cache == "on", {}};
  std::vector<float> logits;
  if (gpt3_status_t st = source.next(prompt, logits))
    return report(st);
  double promptMs = source.modelMs; // the prompt pass, timed on its own
  int64_t generated = 0;
  auto start = std::chrono::steady_clock::now();
  if (gpt3_status_t st = s.beam.beams > 1
                             ? generateBeams(s, source, tokenizer.get(), prompt,
                                             logits, generated)
                             : generateSamples(s, source, tokenizer.get(),
                                               prompt, logits, generated))
    return report(st);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::fprintf(stderr,
               "prompt: %zu tokens, %.2f ms/token; generated: %lld tokens, "
               "%.1f tokens/s (%lld model calls, %s)\n",
               prompt.size(), promptMs / prompt.size(),
               static_cast<long long>(generated),
               seconds > 0 ? generated / seconds : 0.0,
               static_cast<long long>(source.calls),
               source.useCache ? "KV cache" : "full re-forward");
  return 0;
}
