//===- step.cpp - One training step, and the step command ------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Both run the compiled `train_step`, which derives the gradients, clips
// them to norm 1 and applies AdamW to the weights and moments the runtime
// holds, in place. `step` runs exactly one update from fresh moments and
// writes what it computed, for comparison with other frameworks.
//
//===----------------------------------------------------------------------===//

#include "step.h"

#include "checkpoint.h"
#include "npy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace gpt3;

bool TrainStep::init(Context &ctx, std::string &error) {
  std::vector<gpt3_arg_t> args = entryArgs(ctx, "train_step");
  if (args.empty()) {
    error = "this model has no train_step entry point";
    return false;
  }
  ctx_ = &ctx;
  tokenShape_ = argShape(ctx, "train_step", "tokens");
  for (const gpt3_arg_t &arg : args) {
    if (arg.kind != GPT3_ARG_PARAM)
      continue;
    for (int32_t i = 0; i < std::max(arg.num_layers, 1); ++i)
      paramNames_.push_back(arg.num_layers ? arg.layers[i] : arg.name);
  }
  // Gradient outputs, in the parameters' order (none under ZeRO-1).
  for (const gpt3_arg_t &arg : args) {
    std::string name = arg.name;
    if (arg.kind != GPT3_ARG_OUTPUT || name.rfind("grad.", 0) != 0)
      continue;
    outputShapes_.push_back(shapeOf(arg));
    outputs_.emplace_back(numElements(outputShapes_.back()));
    float *data = outputs_.back().data();
    if (arg.num_layers == 0) {
      gradShapes_.push_back(outputShapes_.back());
      grads_.push_back(data);
      continue;
    }
    // A stack of layers' gradients: one view per layer.
    std::vector<int64_t> slice(outputShapes_.back().begin() + 1,
                               outputShapes_.back().end());
    for (int32_t i = 0; i < arg.num_layers; ++i) {
      gradShapes_.push_back(slice);
      grads_.push_back(data + i * numElements(slice));
    }
  }
  if (!grads_.empty() && grads_.size() != paramNames_.size()) {
    error = "the model's train_step has " + std::to_string(grads_.size()) +
            " gradients for " + std::to_string(paramNames_.size()) +
            " parameters";
    return false;
  }
  return true;
}

gpt3_status_t TrainStep::run(const int32_t *tokens, const int32_t *targets,
                             int32_t step, float lr) {
  gpt3_tensor_t in[4] = {
      tensorView(const_cast<int32_t *>(tokens), tokenShape_, GPT3_DTYPE_I32),
      tensorView(const_cast<int32_t *>(targets), tokenShape_, GPT3_DTYPE_I32),
      tensorView(&step, {}, GPT3_DTYPE_I32),
      tensorView(&lr, {}, GPT3_DTYPE_F32)};
  std::vector<gpt3_tensor_t> out = {tensorView(&loss_, {}, GPT3_DTYPE_F32),
                                    tensorView(&gradNorm_, {}, GPT3_DTYPE_F32)};
  for (size_t i = 0; i < outputs_.size(); ++i)
    out.push_back(
        tensorView(outputs_[i].data(), outputShapes_[i], GPT3_DTYPE_F32));
  return gpt3_context_call(ctx_->handle, "train_step", in, 4, out.data(),
                           out.size());
}

CLI::App *gpt3::addStepCommand(CLI::App &app, StepSettings &s) {
  CLI::App *command = app.add_subcommand(
      "step", "one AdamW step from fresh moments (clipped to norm 1): prints "
              "the loss and the pre-clip gradient norm, writes "
              "D/grads.safetensors and D/params.safetensors (HF names)");
  command->add_option("--weights", s.weights, "weights to start from")
      ->type_name("W")
      ->required();
  command
      ->add_option("--tokens", s.tokens,
                   "int32/int64 token ids [B, T]; for a model compiled for N "
                   "ranks [N B, T], rank r taking rows r B to (r + 1) B - 1")
      ->type_name("in.npy")
      ->required();
  command
      ->add_option("--targets", s.targets, "next-token ids, shaped as --tokens")
      ->type_name("tgt.npy")
      ->required();
  command->add_option("--lr", s.lr, "learning rate")
      ->type_name("LR")
      ->check(numberIn(0, 10))
      ->required();
  command->add_option("--out", s.out, "directory for the two files")
      ->type_name("D")
      ->required();
  return command;
}

int gpt3::commandStep(Context &ctx, const StepSettings &s, const Ranks &ranks) {
  // A GPU run that cannot start must not leave an output behind.
  if (gpt3_status_t st = gpt3_context_open_device(ctx.handle))
    return report(st);
  TrainStep step;
  std::string error;
  if (!step.init(ctx, error))
    return badInput(error);
  if (!step.hasGradients())
    return badInput("step writes the gradients, which no rank of a model "
                    "compiled with --zero 1 holds whole; compile it without "
                    "--zero");
  // Of several ranks, each takes its own rows of the global batch.
  std::vector<int64_t> global = step.tokenShape();
  global[0] *= ranks.size;
  std::vector<int32_t> tokens, targets;
  if (!readTokenIds(s.tokens, global, tokens, error) ||
      !readTokenIds(s.targets, global, targets, error))
    return badInput(error);
  int64_t first = numElements(step.tokenShape()) * ranks.rank;
  const std::string &dir = s.out;
  if (ranks.lead() && !makeDirectories(dir))
    return badInput("cannot create --out directory " + dir);
  if (gpt3_status_t st =
          gpt3_context_load_weights(ctx.handle, s.weights.c_str()))
    return report(st);

  if (gpt3_status_t st =
          step.run(tokens.data() + first, targets.data() + first, 1, s.lr))
    return report(st);
  std::printf("loss %.7g\ngrad_norm %.7g\n", step.loss(), step.gradNorm());
  if (!std::isfinite(step.loss()) || !std::isfinite(step.gradNorm()))
    std::fprintf(stderr, "step skipped: the loss or the gradient norm is not "
                         "finite; the parameters are unchanged\n");

  if (!ranks.lead())
    return 0;
  std::vector<gpt3_tensor_t> grads, params;
  for (size_t i = 0; i < step.paramNames().size(); ++i)
    grads.push_back(
        tensorView(step.grad(i), step.gradShape(i), GPT3_DTYPE_F32));
  std::vector<std::vector<char>> copies;
  if (gpt3_status_t st = hostTensors(ctx, step.paramNames(), params, copies))
    return report(st);
  if (gpt3_status_t st =
          saveTensors(dir + "/grads.safetensors", step.paramNames(), grads))
    return report(st);
  if (gpt3_status_t st =
          saveTensors(dir + "/params.safetensors", step.paramNames(), params))
    return report(st);
  return 0;
}
