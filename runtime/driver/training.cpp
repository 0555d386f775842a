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

nlohmann::json TrainSettings::toJson() const {
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

namespace {

/// GPT-3's schedule: linear warm-up to `lr` over `warmup` steps, then a
/// cosine decay to lr / 10 at the last step. `step` counts from 0.
double learningRate(const TrainSettings &s, int64_t step) {
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
/// consecutive ones from the validation split. Of a run of several ranks,
/// each draws the global batch (B windows per rank) from the same seeded
/// generator and keeps its own B, so that the windows and their order do
/// not depend on how the global batch is divided.
class DataLoader {
public:
  DataLoader(std::vector<int32_t> ids, double valFraction, int64_t batch,
             int64_t seq, const Ranks &ranks)
      : ids_(std::move(ids)), batch_(batch * ranks.size), seq_(seq),
        first_(batch * ranks.rank), rows_(batch) {
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
  /// Window `b` of the global batch, if it is one of this rank's rows.
  void copyWindow(int64_t at, int64_t b, std::vector<int32_t> &tokens,
                  std::vector<int32_t> &targets) {
    int64_t row = b - first_;
    if (row < 0 || row >= rows_)
      return;
    for (int64_t t = 0; t < seq_; ++t) {
      tokens[row * seq_ + t] = ids_[at + t];
      targets[row * seq_ + t] = ids_[at + t + 1];
    }
  }
  std::vector<int32_t> ids_;
  int64_t batch_, seq_, first_, rows_, split_;
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
    if (gpt3_status_t s =
            batchLoss(ctx, tokens.data(), targets.data(), shape, loss))
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

/// Checks between flags and against the compiled shapes; fills in the
/// defaults that depend on --steps. An empty string when all is well.
std::string resolveSettings(TrainSettings &s, const GivenFlags &given,
                            const std::vector<int64_t> &shape) {
  if (!s.resume && !given.count("data"))
    return "train needs --data corpus.txt";
  for (auto [flag, value, index] :
       {std::tuple<const char *, int64_t, int>{"batch", s.batch, 0},
        {"seq", s.seq, 1}})
    if (given.count(flag) && value != shape[index])
      return std::string("--") + flag + " " + std::to_string(value) +
             ": the model was compiled for " + std::to_string(shape[index]) +
             "; recompile with gpt3-compile --" + flag;
  if (!given.count("warmup"))
    s.warmup = s.steps / 10;
  else if (s.warmup > s.steps)
    return "--warmup must be an integer in [0, " + std::to_string(s.steps) +
           "], got '" + std::to_string(s.warmup) + "'";
  if (!given.count("val-every"))
    s.valEvery = std::max<int64_t>(1, s.steps / 10);
  return "";
}

/// With --resume, flags that change the run must agree with the
/// checkpoint's settings (only --steps may extend it).
std::string checkResumed(const GivenFlags &given, const nlohmann::json &saved,
                         TrainSettings &s) {
  TrainSettings flags = s;
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
  if (!given.count("steps"))
    s.steps = saved.value("steps", s.steps);
  auto differs = [&](const char *flag, bool changed) {
    return given.count(flag) && changed
               ? std::string("--") + flag +
                     " differs from the checkpoint's; --resume continues the "
                     "run as it was (only --steps may change)"
               : std::string();
  };
  for (std::string e :
       {differs("data", flags.data != s.data), differs("lr", flags.lr != s.lr),
        differs("warmup", flags.warmup != s.warmup),
        differs("seed", flags.seed != s.seed),
        differs("val-fraction", flags.valFraction != s.valFraction)})
    if (!e.empty())
      return e;
  return "";
}

/// Reads the checkpoint of a resumed run into `state` (and its settings
/// into `s`), or creates the --out directory of a new one (the lead rank
/// does). Returns 0, or the exit code after reporting why not.
int openRun(Context &ctx, TrainSettings &s, const GivenFlags &given,
            TrainState &state, const Ranks &ranks) {
  if (!s.resume)
    return !ranks.lead() || makeDirectories(s.out)
               ? 0
               : badInput("cannot create --out directory " + s.out);
  if (gpt3_status_t st = loadCheckpoint(ctx, s.out, state))
    return report(st);
  std::string error = checkResumed(given, state.settings, s);
  return error.empty() ? 0 : badInput(error);
}

/// The corpus, tokenized once; every id must be in the vocabulary, and a
/// resumed run must see the corpus it was trained on. Returns 0, or the
/// exit code after reporting why not.
int readTrainingCorpus(Context &ctx, TrainSettings &s,
                       std::vector<int32_t> &ids) {
  if (int code =
          readCorpus(s.data, s.tokenizer, "",
                     ctx.manifest["config"]["vocab_size"].get<int64_t>(), ids))
    return code;
  uint64_t hash = hashTokens(ids);
  if (s.resume && (hash != s.corpusHash ||
                   static_cast<int64_t>(ids.size()) != s.corpusTokens))
    return badInput(s.data + " is not the corpus the checkpoint was "
                             "trained on");
  s.corpusHash = hash;
  s.corpusTokens = static_cast<int64_t>(ids.size());
  return 0;
}

/// Empty when `data` has a training window and, with validation on, a
/// validation batch.
std::string checkSplits(const TrainSettings &s, const DataLoader &data,
                        const std::vector<int64_t> &shape, const Ranks &ranks) {
  if (data.trainTokens() < shape[1] + 1)
    return s.data + ": " + std::to_string(data.trainTokens()) +
           " training tokens, fewer than one window of T + 1 = " +
           std::to_string(shape[1] + 1);
  if (s.valEvery > 0 && data.valBatches() == 0)
    return s.data + ": " + std::to_string(data.valTokens()) +
           " validation tokens, fewer than one batch of B (T + 1) = " +
           std::to_string(shape[0] * ranks.size * (shape[1] + 1)) +
           (ranks.size > 1 ? " (B over all ranks)" : "") +
           "; raise --val-fraction or pass --val-every 0";
  return "";
}

void printRun(Context &ctx, const TrainSettings &s, const TrainState &state,
              const DataLoader &data, const std::vector<int64_t> &shape,
              const Ranks &ranks) {
  const nlohmann::json &c = ctx.manifest["config"];
  std::string batch = std::to_string(shape[0] * ranks.size);
  if (ranks.size > 1)
    batch += " (" + std::to_string(shape[0]) + " on each of " +
             std::to_string(ranks.size) + " ranks)";
  std::printf("train %s: batch %s, sequence %lld, %lld steps from step %lld, "
              "lr %.3g (warm-up %lld, cosine to %.3g), seed %llu\n",
              c["name"].get<std::string>().c_str(), batch.c_str(),
              static_cast<long long>(shape[1]), static_cast<long long>(s.steps),
              static_cast<long long>(state.step), s.lr,
              static_cast<long long>(s.warmup), 0.1 * s.lr,
              static_cast<unsigned long long>(s.seed));
  std::printf("data %s: %lld tokens, %lld for training, %lld held out; "
              "validation every %lld steps, checkpoints every %lld in %s\n",
              s.data.c_str(), static_cast<long long>(s.corpusTokens),
              static_cast<long long>(data.trainTokens()),
              static_cast<long long>(data.valTokens()),
              static_cast<long long>(s.valEvery),
              static_cast<long long>(s.checkpointEvery), s.out.c_str());
  std::fflush(stdout);
}

/// The log line of a step; prints it too.
nlohmann::json logStep(const TrainSettings &s, const TrainStep &step,
                       int64_t at, double lr, double ms, size_t tokens,
                       bool finite) {
  double tps = tokens / (ms / 1000.0);
  std::printf("step %6lld/%lld | loss %.4f | grad norm %.4f | lr %.3e | "
              "%.1f ms | %.0f tok/s%s\n",
              static_cast<long long>(at), static_cast<long long>(s.steps),
              step.loss(), step.gradNorm(), lr, ms, tps,
              finite ? "" : " | skipped: non-finite, nothing changed");
  std::fflush(stdout);
  return {{"step", at},
          {"loss", step.loss()},
          {"grad_norm", step.gradNorm()},
          {"lr", lr},
          {"ms", ms},
          {"tokens_per_s", tps},
          {"skipped", !finite}};
}

/// A progress bar on stderr, redrawn in place.
void drawProgress(int64_t step, int64_t steps) {
  int width = 30;
  int done = static_cast<int>(width * step / steps);
  std::fprintf(stderr, "[%s%s] %lld/%lld", std::string(done, '#').c_str(),
               std::string(width - done, '.').c_str(),
               static_cast<long long>(step), static_cast<long long>(steps));
}

/// The training loop from `state.step` to --steps: a step, its log line,
/// validation and checkpoints when due.
int runSteps(Context &ctx, const TrainSettings &s, TrainStep &step,
             DataLoader &data, TrainState &state, std::mt19937_64 &rng,
             const Ranks &ranks) {
  // The lead rank alone writes the run directory.
  std::string logPath = s.out + "/log.jsonl";
  std::unique_ptr<FILE, int (*)(FILE *)> log(nullptr, &std::fclose);
  if (ranks.lead()) {
    if (s.resume)
      truncateLog(logPath, state.step);
    else if (gpt3_status_t st = gpt3_write_file_atomic(logPath.c_str(), "", 0))
      return report(st);
    log.reset(std::fopen(logPath.c_str(), "a"));
    if (!log)
      return badInput("cannot write " + logPath);
  }
  bool progress = ranks.lead() && isatty(STDERR_FILENO);
  const std::vector<int64_t> &shape = step.tokenShape();
  std::vector<int32_t> tokens(numElements(shape)), targets(tokens.size());
  int64_t committed = s.resume ? state.step : -1;
  while (state.step < s.steps) {
    double lr = learningRate(s, state.step);
    data.trainBatch(rng, tokens, targets);
    auto start = std::chrono::steady_clock::now();
    if (gpt3_status_t st = step.run(tokens.data(), targets.data(),
                                    static_cast<int32_t>(state.updates + 1),
                                    static_cast<float>(lr)))
      return report(st);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    ++state.step;
    bool finite = std::isfinite(step.loss()) && std::isfinite(step.gradNorm());
    state.updates += finite;
    if (progress)
      std::fprintf(stderr, "\r\033[K");
    nlohmann::json entry = logStep(s, step, state.step, lr, ms,
                                   tokens.size() * ranks.size, finite);
    if (s.valEvery > 0 &&
        (state.step % s.valEvery == 0 || state.step == s.steps)) {
      double valLoss = 0;
      if (gpt3_status_t st = validate(ctx, data, shape, valLoss))
        return report(st);
      std::printf("validation at step %lld: loss %.4f\n",
                  static_cast<long long>(state.step), valLoss);
      entry["val_loss"] = valLoss;
    }
    if (log) {
      std::fprintf(log.get(), "%s\n", entry.dump().c_str());
      std::fflush(log.get());
    }
    // Every rank takes part (ZeRO-1's moments are gathered); the lead
    // writes.
    if ((s.checkpointEvery > 0 && state.step % s.checkpointEvery == 0) ||
        state.step == s.steps) {
      std::ostringstream saved;
      saved << rng;
      state.rng = saved.str();
      if (gpt3_status_t st =
              saveCheckpoint(ctx, s.out, step.paramNames(), state, ranks))
        return report(notCheckpointed(st, state.step, committed, s.out));
      committed = state.step;
      std::printf("checkpoint at step %lld in %s\n",
                  static_cast<long long>(state.step), s.out.c_str());
      std::fflush(stdout);
    }
    if (progress)
      drawProgress(state.step, s.steps);
  }
  if (progress)
    std::fprintf(stderr, "\n");
  return 0;
}
} // namespace

CLI::App *gpt3::addTrainCommand(CLI::App &app, TrainSettings &s) {
  CLI::App *command = app.add_subcommand(
      "train", "train on a text file (GPT-3 init, AdamW, warm-up then cosine "
               "to 10%, clipping at 1); logs D/log.jsonl, plots D/loss.png, "
               "checkpoints D/ so that --resume continues bit for bit and "
               "generate --weights D reads it");
  command->add_option("--data", s.data, "the corpus (plain text)")
      ->type_name("corpus.txt");
  command->add_option("--out", s.out, "run directory")
      ->type_name("DIR")
      ->required();
  command->add_option("--steps", s.steps, "steps in all")
      ->type_name("N")
      ->check(integerIn(1, 100000000))
      ->capture_default_str();
  command->add_option("--lr", s.lr, "peak learning rate")
      ->type_name("LR")
      ->check(numberIn(0, 10))
      ->capture_default_str();
  command
      ->add_option("--warmup", s.warmup, "warm-up steps; default: --steps / 10")
      ->type_name("W")
      ->check(integerIn(0, 100000000));
  command->add_option("-s,--seed", s.seed, "weights and data order")
      ->type_name("S")
      ->check(integerIn(0, UINT32_MAX))
      ->capture_default_str();
  command
      ->add_option("--val-every", s.valEvery,
                   "validate every K steps, 0 never; default: --steps / 10")
      ->type_name("K")
      ->check(integerIn(0, 100000000));
  command
      ->add_option("--val-fraction", s.valFraction,
                   "share of the corpus held out")
      ->type_name("F")
      ->check(numberIn(0, 0.5))
      ->capture_default_str();
  command
      ->add_option("--checkpoint-every", s.checkpointEvery,
                   "checkpoint every K steps as well as at the end; 0 only "
                   "at the end")
      ->type_name("K")
      ->check(integerIn(0, 100000000))
      ->capture_default_str();
  command->add_option("--init-from", s.initFrom, "weights to start from")
      ->type_name("W");
  command->add_flag("--resume", s.resume,
                    "continue the run in DIR from its checkpoint");
  addTokenizerFlag(*command, s.tokenizer,
                   "$GPT3_TOKENIZER_DIR; copied into the run directory");
  command->add_option("--batch", s.batch, "must equal the compiled batch")
      ->type_name("B");
  command->add_option("--seq", s.seq, "must equal the compiled sequence")
      ->type_name("T");
  return command;
}

int gpt3::commandTrain(Context &ctx, TrainSettings s, const GivenFlags &given,
                       const Ranks &ranks) {
  // A GPU run that cannot start must not leave an output behind.
  if (gpt3_status_t st = gpt3_context_open_device(ctx.handle))
    return report(st);
  TrainStep step;
  std::string error;
  if (!step.init(ctx, error))
    return badInput(error);
  const std::vector<int64_t> &shape = step.tokenShape();
  error = resolveSettings(s, given, shape);
  if (!error.empty())
    return badInput(error);
  TrainState state;
  std::vector<int32_t> ids;
  if (int code = openRun(ctx, s, given, state, ranks))
    return code;
  if (int code = readTrainingCorpus(ctx, s, ids))
    return code;
  DataLoader data(ids, s.valFraction, shape[0], shape[1], ranks);
  error = checkSplits(s, data, shape, ranks);
  if (!error.empty())
    return badInput(error);

  if (!s.resume)
    if (gpt3_status_t st =
            s.initFrom.empty()
                ? gpt3_context_init_weights(ctx.handle, s.seed)
                : gpt3_context_load_weights(ctx.handle, s.initFrom.c_str()))
      return report(st);
  std::mt19937_64 rng(s.seed);
  if (s.resume) {
    std::istringstream saved(state.rng);
    saved >> rng;
  }
  state.settings = s.toJson();
  // For the record: a run may resume on another number of ranks.
  state.settings["ranks"] = ranks.size;
  const char *env = std::getenv("GPT3_TOKENIZER_DIR");
  if (ranks.lead() && (!s.tokenizer.empty() || env))
    copyTokenizer(s.tokenizer.empty() ? env : s.tokenizer, s.out);
  printRun(ctx, s, state, data, shape, ranks);
  if (int code = runSteps(ctx, s, step, data, state, rng, ranks))
    return code;
  if (ranks.lead())
    plotLoss(s.out);
  return 0;
}
