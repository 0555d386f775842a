//===- bench.cpp - The bench command ----------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Times an entry point on random tokens and reports it against what bounds
// it: GFLOP/s for forward, loss, training steps and prefill chunks, GB/s of
// weights and cache for a decode step.
//
//===----------------------------------------------------------------------===//

#include "bench.h"

#include "step.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

using namespace gpt3;

namespace {
/// "2 threads" or "cuda:0": what a timing ran on.
std::string threadCount(const Context &ctx) {
  gpt3_device_t device = gpt3_context_device(ctx.handle);
  if (device.type == GPT3_DEVICE_CUDA)
    return "cuda:" + std::to_string(device.ordinal);
  int32_t threads = gpt3_context_num_threads(ctx.handle);
  return std::to_string(threads) + (threads == 1 ? " thread" : " threads");
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

/// Output `name` of entry point `fn` in the context's own memory: a
/// benchmark times the entry point, not a copy of its results to the host
/// (1.6 GB of logits for GPT-3 Small at B=8 T=1024 on a GPU).
gpt3_status_t resultTensor(Context &ctx, const std::string &fn,
                           const char *name, gpt3_tensor_t &out) {
  return gpt3_context_arg_tensor(ctx.handle, fn.c_str(), name, &out);
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
int benchCached(Context &ctx, int64_t pos, int iters, const std::string &name) {
  std::vector<gpt3_arg_t> args = entryArgs(ctx, name);
  if (args.empty())
    return badInput("this model has no " + name + " entry point");
  std::vector<int64_t> tokenShape = argShape(ctx, name, "tokens");
  int64_t fresh = tokenShape[1];
  int64_t last = ctx.manifest["seq"].get<int64_t>() - fresh;
  if (pos < 0) // not given
    pos = last;
  if (pos > last)
    return badInput("--pos must be in [0, " + std::to_string(last) + "]");
  std::vector<int32_t> ids(numElements(tokenShape), 13);
  int32_t position = static_cast<int32_t>(pos);
  gpt3_tensor_t in[2] = {tensorView(ids.data(), tokenShape, GPT3_DTYPE_I32),
                         tensorView(&position, {}, GPT3_DTYPE_I32)};
  gpt3_tensor_t out{};
  std::vector<double> ms;
  if (gpt3_status_t s = resultTensor(ctx, name, "logits", out))
    return report(s);
  if (gpt3_status_t s = timeCalls(ctx, name.c_str(), in, 2, &out, iters, ms))
    return report(s);
  double median = ms[ms.size() / 2];
  double weightBytes = 0, cache = 0, attention = 0;
  const nlohmann::json &windows = ctx.manifest["config"]["windows"];
  for (const gpt3_arg_t &arg : args) {
    std::vector<int64_t> shape = shapeOf(arg);
    std::string argName = arg.name;
    if (arg.kind == GPT3_ARG_PARAM)
      weightBytes +=
          numElements(shape) * (arg.dtype == GPT3_DTYPE_BF16 ? 2 : 4);
    if (arg.kind != GPT3_ARG_STATE || argName.find("key") == std::string::npos)
      continue;
    // One layer's key cache (B, H, T, D), or a stack of them over the
    // layers of a layer loop, each named.
    std::vector<std::string> layers(arg.layers, arg.layers + arg.num_layers);
    if (layers.empty())
      layers.push_back(argName);
    else
      shape.erase(shape.begin());
    if (shape.size() != 4)
      continue;
    int64_t width = shape[0] * shape[1] * shape[3];
    for (const std::string &layerName : layers) {
      // Per layer: the positions the last query sees, and the query-key
      // pairs of the chunk (q k^T and p v, 2 flops each per channel).
      size_t layer = std::stoul(layerName.substr(2));
      int64_t window =
          layer < windows.size() ? windows[layer].get<int64_t>() : 0;
      for (int64_t q = pos; q < pos + fresh; ++q) {
        int64_t seen = window ? std::min<int64_t>(window, q + 1) : q + 1;
        attention += 2.0 * 2.0 * width * seen;
        if (q == pos + fresh - 1)
          cache += 2.0 * width * seen; // keys and values
      }
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
    double bytes = weightBytes + 4.0 * cache;
    std::printf("%.1f GB/s of weights and cache (%.1f MB per step), %s\n",
                bytes / (median * 1e6), bytes / 1e6, threadCount(ctx).c_str());
  } else {
    double flops = 2.0 * tokens * matmulWeights(ctx.manifest) + attention;
    std::printf("%.1f GFLOP/s (%.2f GFLOP per call), %s\n",
                flops / (median * 1e6), flops / 1e9, threadCount(ctx).c_str());
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
              "steps, %.0f tokens/s, %.1f GFLOP/s (%.2f GFLOP per step), "
              "%s\n",
              static_cast<long long>(shape[0]),
              static_cast<long long>(shape[1]), median, ms.front(), iters,
              count / (median / 1000.0), flops / (median * 1e6), flops / 1e9,
              threadCount(ctx).c_str());
  return 0;
}

/// Times `forward` (tokens -> logits) or `loss` (tokens, targets -> mean
/// cross-entropy) on random tokens.
int benchForward(Context &ctx, int iters, uint64_t seed,
                 const std::string &name) {
  if (!hasEntry(ctx, name))
    return badInput("this model has no " + name + " entry point");
  bool loss = name == "loss";
  std::vector<int64_t> tokenShape = argShape(ctx, name, "tokens");
  std::vector<int32_t> ids, targets;
  benchTokens(ctx, numElements(tokenShape), seed, ids, targets);
  gpt3_tensor_t in[2] = {
      tensorView(ids.data(), tokenShape, GPT3_DTYPE_I32),
      tensorView(targets.data(), tokenShape, GPT3_DTYPE_I32)};
  gpt3_tensor_t result{};
  if (gpt3_status_t s =
          resultTensor(ctx, name, loss ? "loss" : "logits", result))
    return report(s);
  std::vector<double> ms;
  if (gpt3_status_t s =
          timeCalls(ctx, name.c_str(), in, loss ? 2 : 1, &result, iters, ms))
    return report(s);
  double median = ms[ms.size() / 2];
  double flops = forwardFlops(ctx.manifest);
  std::printf("%s B=%lld T=%lld: median %.2f ms, min %.2f ms over %d "
              "runs, %.0f tokens/s, %.1f GFLOP/s (%.2f GFLOP per pass), %s\n",
              name.c_str(), static_cast<long long>(tokenShape[0]),
              static_cast<long long>(tokenShape[1]), median, ms.front(), iters,
              ids.size() / (median / 1000.0), flops / (median * 1e6),
              flops / 1e9, threadCount(ctx).c_str());
  return 0;
}
} // namespace

CLI::App *gpt3::addBenchCommand(CLI::App &app, BenchSettings &s) {
  CLI::App *command = app.add_subcommand(
      "bench", "time forward, forward and loss, a training step, a prefill "
               "chunk or a decode step on random tokens");
  command
      ->add_option("--weights", s.weights,
                   "the weights (default: GPT-3-initialised)")
      ->type_name("W");
  command->add_option("--iters", s.iters, "timed calls after a warm-up")
      ->type_name("N")
      ->check(integerIn(1, 100000))
      ->capture_default_str();
  command->add_option("-s,--seed", s.seed, "weights and tokens")
      ->type_name("S")
      ->check(unsignedInteger())
      ->capture_default_str();
  command->add_option("--entry", s.entry, "the entry point to time")
      ->check(oneOf({"forward", "loss", "prefill", "decode", "train_step"}))
      ->capture_default_str();
  command
      ->add_option("--pos", s.pos,
                   "position of a prefill chunk or decode step (default: "
                   "the last that fits)")
      ->type_name("P")
      ->check(integerIn(0, INT32_MAX));
  return command;
}

int gpt3::commandBench(Context &ctx, const BenchSettings &s) {
  gpt3_status_t status =
      s.weights.empty()
          ? gpt3_context_init_weights(ctx.handle, s.seed)
          : gpt3_context_load_weights(ctx.handle, s.weights.c_str());
  if (status)
    return report(status);
  if (s.entry == "train_step")
    return benchTrain(ctx, s.iters, s.seed);
  if (s.entry != "forward" && s.entry != "loss")
    return benchCached(ctx, s.pos, s.iters, s.entry);
  return benchForward(ctx, s.iters, s.seed, s.entry);
}
