//===- training.cpp - The train command -------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Trains the compiled model on a text file: the corpus is tokenized once and
// split into training and held-out validation tokens; each step draws B
// windows of T + 1 tokens at offsets from a seeded generator, runs the
// compiled train_step under GPT-3's schedule (linear warm-up, cosine decay
// to 10%), and logs one line. Checkpoints hold the weights, the moments,
// the step and the generator, so a resumed run continues bit for bit.
//
//===----------------------------------------------------------------------===//

#include "training.h"

#include "checkpoint.h"
#include "step.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <unistd.h>

using namespace gpt3;

const std::vector<std::string> gpt3::kTrainFlags = {"data",
                                                    "out",
                                                    "steps",
                                                    "batch",
                                                    "seq",
                                                    "lr",
                                                    "warmup",
                                                    "seed",
                                                    "val-every",
                                                    "val-fraction",
                                                    "checkpoint-every",
                                                    "init-from",
                                                    "resume",
                                                    "tokenizer"};

namespace {

/// The resolved settings of a run; what a checkpoint records.
struct Settings {
  std::string data;
  int64_t steps = 100;
  double lr = 6e-4;
  int64_t warmup = 0;
  uint64_t seed = 1;
  int64_t valEvery = 0;
  double valFraction = 0.1;
  int64_t checkpointEvery = 0;
  std::string initFrom;
  uint64_t corpusHash = 0;
  int64_t corpusTokens = 0;

  nlohmann::json toJson() const {
    return {{"data", data},
            {"steps", steps},
            {"lr", lr},
            {"warmup", warmup},
            {"seed", seed},
            {"val_every", valEvery},
            {"val_fraction", valFraction},
            {"checkpoint_every", checkpointEvery},
            {"init_from", initFrom},
            {"corpus_hash", corpusHash},
            {"corpus_tokens", corpusTokens}};
  }
};

/// GPT-3's schedule: linear warm-up to `lr` over `warmup` steps, then a
/// cosine decay to lr / 10 at the last step. `step` counts from 0.
double learningRate(const Settings &s, int64_t step) {
  if (step < s.warmup)
    return s.lr * static_cast<double>(step + 1) / s.warmup;
  int64_t span = std::max<int64_t>(1, s.steps - s.warmup - 1);
  double progress = std::min(1.0, static_cast<double>(step - s.warmup) / span);
  double minimum = 0.1 * s.lr;
  return minimum + 0.5 * (s.lr - minimum) * (1.0 + std::cos(M_PI * progress));
}

/// FNV-1a of the token ids: a resumed run must see the same corpus.
uint64_t hashTokens(const std::vector<int32_t> &ids) {
  uint64_t h = 1469598103934665603ull;
  for (int32_t id : ids)
    for (int byte = 0; byte < 4; ++byte) {
      h ^= static_cast<uint32_t>(id) >> (8 * byte) & 0xff;
      h *= 1099511628211ull;
    }
  return h;
}

/// Windows of T + 1 tokens: random ones from the training split, fixed
/// consecutive ones from the validation split.
class DataLoader {
public:
  DataLoader(std::vector<int32_t> ids, double valFraction, int64_t batch,
             int64_t seq)
      : ids_(std::move(ids)), batch_(batch), seq_(seq) {
    split_ = static_cast<int64_t>(ids_.size()) -
             static_cast<int64_t>(valFraction * ids_.size());
  }
  int64_t trainTokens() const { return split_; }
  int64_t valTokens() const { return ids_.size() - split_; }
  /// Validation batches available (at most 8 are used).
  int64_t valBatches() const {
    return std::min<int64_t>(8, valTokens() / (batch_ * (seq_ + 1)));
  }

  void trainBatch(std::mt19937_64 &rng, std::vector<int32_t> &tokens,
                  std::vector<int32_t> &targets) {
    std::uniform_int_distribution<int64_t> offset(0, split_ - seq_ - 1);
    for (int64_t b = 0; b < batch_; ++b)
      copyWindow(offset(rng), b, tokens, targets);
  }
  void valBatch(int64_t index, std::vector<int32_t> &tokens,
                std::vector<int32_t> &targets) {
    for (int64_t b = 0; b < batch_; ++b)
      copyWindow(split_ + (index * batch_ + b) * (seq_ + 1), b, tokens,
                 targets);
  }

private:
  void copyWindow(int64_t at, int64_t row, std::vector<int32_t> &tokens,
                  std::vector<int32_t> &targets) {
    for (int64_t t = 0; t < seq_; ++t) {
      tokens[row * seq_ + t] = ids_[at + t];
      targets[row * seq_ + t] = ids_[at + t + 1];
    }
  }
  std::vector<int32_t> ids_;
  int64_t batch_, seq_, split_;
};

/// Copies the tokenizer files next to the weights, so that
/// `generate --weights DIR` needs nothing else.
void copyTokenizer(const std::string &from, const std::string &dir) {
  for (const char *name : {"encoder.json", "vocab.bpe"}) {
    std::string bytes;
    if (readFile(from + "/" + name, bytes))
      if (gpt3_status_t s = gpt3_write_file_atomic((dir + "/" + name).c_str(),
                                                   bytes.data(), bytes.size()))
        gpt3_status_free(s);
  }
}

/// Draws the training and validation losses logged in `dir`/log.jsonl into
/// `dir`/loss.png with gnuplot, when it is installed.
void plotLoss(const std::string &dir) {
  std::string text;
  if (!readFile(dir + "/log.jsonl", text))
    return;
  std::string train, val;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json e =
        nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (e.is_discarded() || !e.contains("step"))
      continue;
    std::string step = std::to_string(e["step"].get<int64_t>());
    if (!e.value("skipped", false) && e.contains("loss"))
      train += step + " " + e["loss"].dump() + "\n";
    if (e.contains("val_loss"))
      val += step + " " + e["val_loss"].dump() + "\n";
  }
  if (train.empty())
    return;
  FILE *gp = popen("gnuplot 2>/dev/null", "w");
  if (!gp)
    return;
  std::fprintf(gp,
               "set terminal pngcairo size 900,540\nset output '%s/loss.png'\n"
               "set xlabel 'step'\nset ylabel 'loss'\nset grid\n"
               "plot '-' with lines title 'train'%s\n%se\n%s%s",
               dir.c_str(),
               val.empty() ? "" : ", '-' with linespoints title 'validation'",
               train.c_str(), val.c_str(), val.empty() ? "" : "e\n");
  if (pclose(gp) != 0)
    std::fprintf(stderr, "note: no loss.png: gnuplot is not installed or "
                         "failed (apt-get install gnuplot-nox)\n");
}

/// The mean loss of the validation batches, through the compiled `loss`.
gpt3_status_t validate(Context &ctx, DataLoader &data,
                       const std::vector<int64_t> &shape, double &out) {
  std::vector<int32_t> tokens(numElements(shape)), targets(tokens.size());
  double sum = 0;
  for (int64_t i = 0; i < data.valBatches(); ++i) {
    data.valBatch(i, tokens, targets);
    float loss = 0;
    gpt3_tensor_t in[2] = {tensorView(tokens.data(), shape, GPT3_DTYPE_I32),
                           tensorView(targets.data(), shape, GPT3_DTYPE_I32)};
    gpt3_tensor_t result = tensorView(&loss, {}, GPT3_DTYPE_F32);
    if (gpt3_status_t s =
            gpt3_context_call(ctx.handle, "loss", in, 2, &result, 1))
      return s;
    sum += loss;
  }
  out = sum / data.valBatches();
  return nullptr;
}

/// Keeps the log lines of steps up to `step`: a resumed run rewrites what
/// the interrupted one logged after its checkpoint.
void truncateLog(const std::string &path, int64_t step) {
  std::string text, kept;
  if (!readFile(path, text))
    return;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json entry =
        nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!entry.is_discarded() && entry.value("step", int64_t{0}) <= step)
      kept += line + "\n";
  }
  if (gpt3_status_t s =
          gpt3_write_file_atomic(path.c_str(), kept.data(), kept.size()))
    gpt3_status_free(s);
}

/// `why` a checkpoint at `step` failed, and what `dir` still holds: the
/// checkpoint committed at step `committed`, if any.
gpt3_status_t notCheckpointed(gpt3_status_t why, int64_t step,
                              int64_t committed, const std::string &dir) {
  std::string message =
      "checkpoint at step " + std::to_string(step) +
      " not written: " + gpt3_status_message(why) + "; " +
      (committed < 0 ? "no checkpoint was committed in " + dir
                     : dir + " keeps the checkpoint of step " +
                           std::to_string(committed));
  gpt3_status_t status =
      gpt3_status_create(gpt3_status_code(why), message.c_str());
  gpt3_status_free(why);
  return status;
}

/// Reads the flags into `s`; an empty string when they are valid.
std::string parseSettings(const Flags &flags, Settings &s) {
  std::string error;
  s.data = flags.has("data") ? flags.values.at("data") : "";
  if (!numberFlag<int64_t>(flags, "steps", 1, 100000000, s.steps, error) ||
      !numberFlag<double>(flags, "lr", 0.0, 10.0, s.lr, error))
    return error;
  s.warmup = s.steps / 10;
  s.valEvery = std::max<int64_t>(1, s.steps / 10);
  if (!numberFlag<int64_t>(flags, "warmup", 0, s.steps, s.warmup, error) ||
      !numberFlag<uint64_t>(flags, "seed", 0, UINT32_MAX, s.seed, error) ||
      !numberFlag<int64_t>(flags, "val-every", 0, 100000000, s.valEvery,
                           error) ||
      !numberFlag<double>(flags, "val-fraction", 0.0, 0.5, s.valFraction,
                          error) ||
      !numberFlag<int64_t>(flags, "checkpoint-every", 0, 100000000,
                           s.checkpointEvery, error))
    return error;
  s.initFrom = flags.has("init-from") ? flags.values.at("init-from") : "";
  return "";
}

/// With --resume, flags that change the run must agree with the
/// checkpoint's settings (only --steps may extend it).
std::string checkResumed(const Flags &flags, const nlohmann::json &saved,
                         Settings &s) {
  Settings given = s;
  s.data = saved.value("data", s.data);
  s.lr = saved.value("lr", s.lr);
  s.warmup = saved.value("warmup", s.warmup);
  s.seed = saved.value("seed", s.seed);
  s.valEvery = saved.value("val_every", s.valEvery);
  s.valFraction = saved.value("val_fraction", s.valFraction);
  s.checkpointEvery = saved.value("checkpoint_every", s.checkpointEvery);
  s.initFrom = saved.value("init_from", s.initFrom);
  s.corpusHash = saved.value("corpus_hash", uint64_t{0});
  s.corpusTokens = saved.value("corpus_tokens", int64_t{0});
  if (!flags.has("steps"))
    s.steps = saved.value("steps", s.steps);
  auto differs = [&](const char *flag, bool changed) {
    return flags.has(flag) && changed
               ? std::string("--") + flag +
                     " differs from the checkpoint's; --resume continues the "
                     "run as it was (only --steps may change)"
               : std::string();
  };
  for (std::string e :
       {differs("data", given.data != s.data), differs("lr", given.lr != s.lr),
        differs("warmup", given.warmup != s.warmup),
        differs("seed", given.seed != s.seed),
        differs("val-fraction", given.valFraction != s.valFraction)})
    if (!e.empty())
      return e;
  return "";
}
} // namespace

int gpt3::commandTrain(Context &ctx, const Flags &flags) {
  if (!flags.has("out"))
    return badInput("train needs --out DIR");
  bool resume = flags.has("resume");
  if (!resume && !flags.has("data"))
    return badInput("train needs --data corpus.txt");
  TrainStep step;
  std::string error;
  if (!step.init(ctx, error))
    return badInput(error);
  std::vector<int64_t> shape = step.tokenShape();
  for (auto [flag, index] :
       {std::pair<const char *, int>{"batch", 0}, {"seq", 1}})
    if (flags.has(flag) &&
        flags.values.at(flag) != std::to_string(shape[index]))
      return badInput(std::string("--") + flag + " " + flags.values.at(flag) +
                      ": the model was compiled for " +
                      std::to_string(shape[index]) +
                      "; recompile with gpt3-compile --" + flag);
  Settings settings;
  error = parseSettings(flags, settings);
  if (!error.empty())
    return badInput(error);
  const std::string dir = flags.values.at("out");
  TrainState state;
  if (resume) {
    if (gpt3_status_t s = loadCheckpoint(ctx, dir, state))
      return report(s);
    error = checkResumed(flags, state.settings, settings);
    if (!error.empty())
      return badInput(error);
  } else if (!makeDirectories(dir)) {
    return badInput("cannot create --out directory " + dir);
  }

  // The corpus, tokenized once; every id must be in the vocabulary.
  Tokenizer tokenizer;
  if (int code = openTokenizer(flags, tokenizer))
    return code;
  std::string text;
  if (!readFile(settings.data, text))
    return badInput("cannot read --data " + settings.data);
  std::vector<int32_t> ids;
  if (gpt3_status_t s = encodeText(tokenizer.get(), text, ids))
    return report(s);
  int64_t vocab = ctx.manifest["config"]["vocab_size"].get<int64_t>();
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] >= vocab)
      return badInput(settings.data + ": token " + std::to_string(ids[i]) +
                      " at position " + std::to_string(i) +
                      " is outside the model's vocabulary of " +
                      std::to_string(vocab));
  uint64_t hash = hashTokens(ids);
  if (resume && (hash != settings.corpusHash ||
                 static_cast<int64_t>(ids.size()) != settings.corpusTokens))
    return badInput(settings.data + " is not the corpus the checkpoint was "
                                    "trained on");
  settings.corpusHash = hash;
  settings.corpusTokens = static_cast<int64_t>(ids.size());
  DataLoader data(ids, settings.valFraction, shape[0], shape[1]);
  if (data.trainTokens() < shape[1] + 1)
    return badInput(settings.data + ": " + std::to_string(data.trainTokens()) +
                    " training tokens, fewer than one window of T + 1 = " +
                    std::to_string(shape[1] + 1));
  if (settings.valEvery > 0 && data.valBatches() == 0)
    return badInput(settings.data + ": " + std::to_string(data.valTokens()) +
                    " validation tokens, fewer than one batch of B (T + 1) = " +
                    std::to_string(shape[0] * (shape[1] + 1)) +
                    "; raise --val-fraction or pass --val-every 0");

  if (!resume) {
    gpt3_status_t s =
        settings.initFrom.empty()
            ? gpt3_context_init_weights(ctx.handle, settings.seed)
            : gpt3_context_load_weights(ctx.handle, settings.initFrom.c_str());
    if (s)
      return report(s);
  }
  std::mt19937_64 rng(settings.seed);
  if (resume) {
    std::istringstream saved(state.rng);
    saved >> rng;
  }
  state.settings = settings.toJson();
  if (flags.has("tokenizer"))
    copyTokenizer(flags.values.at("tokenizer"), dir);
  else if (const char *env = std::getenv("GPT3_TOKENIZER_DIR"))
    copyTokenizer(env, dir);

  const nlohmann::json &c = ctx.manifest["config"];
  std::printf(
      "train %s: batch %lld, sequence %lld, %lld steps from step %lld, "
      "lr %.3g (warm-up %lld, cosine to %.3g), seed %llu\n",
      c["name"].get<std::string>().c_str(), static_cast<long long>(shape[0]),
      static_cast<long long>(shape[1]), static_cast<long long>(settings.steps),
      static_cast<long long>(state.step), settings.lr,
      static_cast<long long>(settings.warmup), 0.1 * settings.lr,
      static_cast<unsigned long long>(settings.seed));
  std::printf("data %s: %lld tokens, %lld for training, %lld held out; "
              "validation every %lld steps, checkpoints every %lld in %s\n",
              settings.data.c_str(), static_cast<long long>(ids.size()),
              static_cast<long long>(data.trainTokens()),
              static_cast<long long>(data.valTokens()),
              static_cast<long long>(settings.valEvery),
              static_cast<long long>(settings.checkpointEvery), dir.c_str());
  std::fflush(stdout);

  std::string logPath = dir + "/log.jsonl";
  if (resume)
    truncateLog(logPath, state.step);
  else if (gpt3_status_t s = gpt3_write_file_atomic(logPath.c_str(), "", 0))
    return report(s);
  FILE *log = std::fopen(logPath.c_str(), "a");
  if (!log)
    return badInput("cannot write " + logPath);
  bool progress = isatty(STDERR_FILENO);
  std::vector<int32_t> tokens(numElements(shape)), targets(tokens.size());

  int64_t committed = resume ? state.step : -1;
  auto checkpoint = [&]() {
    std::ostringstream saved;
    saved << rng;
    state.rng = saved.str();
    return saveCheckpoint(ctx, dir, step.paramNames(), state);
  };
  while (state.step < settings.steps) {
    double lr = learningRate(settings, state.step);
    data.trainBatch(rng, tokens, targets);
    auto start = std::chrono::steady_clock::now();
    if (gpt3_status_t s = step.run(tokens.data(), targets.data(),
                                   static_cast<int32_t>(state.updates + 1),
                                   static_cast<float>(lr)))
      return report(s);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    ++state.step;
    bool finite = std::isfinite(step.loss()) && std::isfinite(step.gradNorm());
    if (finite)
      ++state.updates;
    double tps = tokens.size() / (ms / 1000.0);
    if (progress)
      std::fprintf(stderr, "\r\033[K");
    std::printf("step %6lld/%lld | loss %.4f | grad norm %.4f | lr %.3e | "
                "%.1f ms | %.0f tok/s%s\n",
                static_cast<long long>(state.step),
                static_cast<long long>(settings.steps), step.loss(),
                step.gradNorm(), lr, ms, tps,
                finite ? "" : " | skipped: non-finite, nothing changed");
    std::fflush(stdout);
    nlohmann::json entry = {{"step", state.step},
                            {"loss", step.loss()},
                            {"grad_norm", step.gradNorm()},
                            {"lr", lr},
                            {"ms", ms},
                            {"tokens_per_s", tps},
                            {"skipped", !finite}};
    if (settings.valEvery > 0 &&
        (state.step % settings.valEvery == 0 || state.step == settings.steps)) {
      double valLoss = 0;
      if (gpt3_status_t s = validate(ctx, data, shape, valLoss))
        return report(s);
      std::printf("validation at step %lld: loss %.4f\n",
                  static_cast<long long>(state.step), valLoss);
      entry["val_loss"] = valLoss;
    }
    std::fprintf(log, "%s\n", entry.dump().c_str());
    std::fflush(log);
    if ((settings.checkpointEvery > 0 &&
         state.step % settings.checkpointEvery == 0) ||
        state.step == settings.steps) {
      if (gpt3_status_t s = checkpoint())
        return report(notCheckpointed(s, state.step, committed, dir));
      committed = state.step;
      std::printf("checkpoint at step %lld in %s\n",
                  static_cast<long long>(state.step), dir.c_str());
      std::fflush(stdout);
    }
    if (progress) {
      int width = 30;
      int done = static_cast<int>(width * state.step / settings.steps);
      std::fprintf(stderr, "[%s%s] %lld/%lld", std::string(done, '#').c_str(),
                   std::string(width - done, '.').c_str(),
                   static_cast<long long>(state.step),
                   static_cast<long long>(settings.steps));
    }
  }
  if (progress)
    std::fprintf(stderr, "\n");
  std::fclose(log);
  plotLoss(dir);
  return 0;
}
