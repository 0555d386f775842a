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

struct Settings {
  SamplingOptions sampling;
  BeamOptions beam{/*beams=*/1}; // sampling unless --beams says otherwise
  int32_t maxNewTokens = 32;
  int32_t numReturn = 1;
  uint64_t seed = 0;
};
} // namespace

int gpt3::commandGenerate(GenerateModel &model, const Flags &flags) {
  std::string error;
  Settings s;
  numberFlag<int32_t>(flags, "max-new-tokens", 0, 1 << 20, s.maxNewTokens,
                      error, "an integer >= 0");
  numberFlag<float>(flags, "temp", 0.0f, 1e6f, s.sampling.temperature, error,
                    "a number >= 0");
  numberFlag<int32_t>(flags, "top-k", 0, 1 << 30, s.sampling.topK, error,
                      "an integer >= 0 (0: off)");
  numberFlag<float>(flags, "top-p", 1e-30f, 1.0f, s.sampling.topP, error,
                    "in (0, 1]");
  numberFlag<int32_t>(flags, "beams", 1, 64, s.beam.beams, error,
                      "an integer in [1, 64]");
  numberFlag<float>(flags, "length-penalty", -10.0f, 10.0f,
                    s.beam.lengthPenalty, error, "in [-10, 10]");
  numberFlag<int32_t>(flags, "num-return-sequences", 1, 64, s.numReturn, error,
                      "an integer in [1, 64]");
  if (!error.empty())
    return badInput(error);
  if (s.beam.beams > 1 && s.numReturn > s.beam.beams)
    return badInput("--num-return-sequences must be at most --beams (" +
                    std::to_string(s.beam.beams) + ")");
  if (flags.has("cache") && flags.values.at("cache") != "on" &&
      flags.values.at("cache") != "off")
    return badInput("--cache must be on or off, got '" +
                    flags.values.at("cache") + "'");
  if (flags.has("prompt") && flags.has("prompt-file"))
    return badInput("pass --prompt or --prompt-file, not both");
  if (flags.has("seed")) {
    char *end = nullptr;
    s.seed = std::strtoull(flags.values.at("seed").c_str(), &end, 10);
    if (*end || flags.values.at("seed").empty())
      return badInput("--seed must be an unsigned integer");
  } else {
    s.seed = std::random_device{}() * 0x100000000ull ^ std::random_device{}();
  }

  Tokenizer tokenizer;
  if (int rc = openTokenizer(flags, tokenizer))
    return rc;

  std::string prompt;
  if (flags.has("prompt-file")) {
    if (!readFile(flags.values.at("prompt-file"), prompt))
      return badInput("--prompt-file: cannot read " +
                      flags.values.at("prompt-file"));
  } else if (flags.has("prompt")) {
    prompt = flags.values.at("prompt");
  }
  std::vector<int32_t> promptIds;
  if (gpt3_status_t st = encodeText(tokenizer.get(), prompt, promptIds))
    return report(st);
  if (promptIds.empty()) // Unconditional: start from end of text.
    promptIds.push_back(kEndOfText);
  for (int32_t id : promptIds)
    if (id >= model.vocab)
      return badInput("the prompt's token " + std::to_string(id) +
                      " is outside the model's vocabulary of " +
                      std::to_string(model.vocab) +
                      " (the GPT-2 tokenizer needs a vocabulary of 50257)");
  if (kEndOfText >= model.vocab && s.maxNewTokens > 0)
    std::fprintf(stderr, "note: the vocabulary has no end-of-text token; "
                         "generation runs to --max-new-tokens\n");
  int64_t context = model.seq;
  if (static_cast<int64_t>(promptIds.size()) > context)
    return badInput("the prompt has " + std::to_string(promptIds.size()) +
                    " tokens, more than the " + std::to_string(context) +
                    " the model was compiled for (gpt3-compile --seq)");
  int32_t room = static_cast<int32_t>(context - promptIds.size());
  if (s.maxNewTokens > room) {
    std::fprintf(stderr,
                 "note: --max-new-tokens %d exceeds the room left in the "
                 "compiled context; generating %d\n",
                 s.maxNewTokens, room);
    s.maxNewTokens = room;
  }
  gpt3_status_t loaded =
      flags.has("weights")
          ? gpt3_context_load_weights(model.handle,
                                      flags.values.at("weights").c_str())
          : gpt3_context_init_weights(model.handle, 0);
  if (loaded)
    return report(loaded);
  if (!flags.has("weights"))
    std::fprintf(stderr, "note: no --weights: GPT-3-initialised random "
                         "weights (seed 0)\n");
  std::fprintf(stderr, "seed %llu\n", static_cast<unsigned long long>(s.seed));

  bool useCache = model.hasDecode &&
                  !(flags.has("cache") && flags.values.at("cache") == "off");
  std::vector<int32_t> fed; // tokens the KV cache holds, by position
  using Clock = std::chrono::steady_clock;
  double modelMs = 0;
  int64_t calls = 0;
  auto nextLogits = [&](const std::vector<int32_t> &tokens,
                        std::vector<float> &logits) -> gpt3_status_t {
    auto start = Clock::now();
    gpt3_status_t st = useCache ? cachedLogits(model, tokens, fed, logits)
                                : forwardLogits(model, tokens, logits);
    modelMs +=
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    ++calls;
    return st;
  };

  std::vector<float> logits;
  // The prompt pass, timed on its own for the summary.
  if (gpt3_status_t st = nextLogits(promptIds, logits))
    return report(st);
  double promptMs = modelMs;
  int64_t generated = 0;
  auto start = Clock::now();

  if (s.beam.beams > 1) {
    s.beam.maxNewTokens = s.maxNewTokens;
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
          failure = nextLogits(tokens, l);
        out.push_back(failure ? std::vector<float>(logits.size(), 0.0f)
                              : logSoftmax(l));
      }
      return out;
    };
    std::vector<Hypothesis> best = beamSearch(next, s.beam);
    if (failure)
      return report(failure);
    for (int32_t r = 0; r < s.numReturn && r < (int32_t)best.size(); ++r) {
      if (s.numReturn > 1)
        std::printf("--- sequence %d (score %.3f)\n", r + 1, best[r].score);
      TextStream out(tokenizer.get());
      for (int32_t id : best[r].tokens)
        if (id != kEndOfText)
          out.push(id);
      out.finish();
      generated += best[r].tokens.size();
    }
  } else {
    uint64_t state = s.seed;
    std::vector<float> promptLogits = logits;
    for (int32_t r = 0; r < s.numReturn; ++r) {
      if (s.numReturn > 1)
        std::printf("--- sequence %d\n", r + 1);
      TextStream out(tokenizer.get());
      std::vector<int32_t> tokens = promptIds;
      logits = promptLogits;
      for (int32_t i = 0; i < s.maxNewTokens; ++i) {
        int32_t id = sampleToken(logits, s.sampling, state);
        ++generated;
        if (id == kEndOfText)
          break;
        out.push(id);
        tokens.push_back(id);
        if (i + 1 < s.maxNewTokens)
          if (gpt3_status_t st = nextLogits(tokens, logits))
            return report(st);
      }
      out.finish();
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr,
               "prompt: %zu tokens, %.2f ms/token; generated: %lld tokens, "
               "%.1f tokens/s (%lld model calls, %s)\n",
               promptIds.size(), promptMs / promptIds.size(),
               static_cast<long long>(generated),
               seconds > 0 ? generated / seconds : 0.0,
               static_cast<long long>(calls),
               useCache ? "KV cache" : "full re-forward");
  return 0;
}
