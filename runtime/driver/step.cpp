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

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace gpt3;

bool TrainStep::init(Context &ctx, std::string &error) {
  const nlohmann::json *entry = findEntry(ctx.manifest, "train_step");
  if (!entry) {
    error = "this model has no train_step entry point";
    return false;
  }
  ctx_ = &ctx;
  tokenShape_ = argShape(*entry, "tokens");
  for (const auto &arg : (*entry)["args"]) {
    std::string name = arg["name"].get<std::string>();
    if (arg["kind"] != "output" || name.rfind("grad.", 0) != 0)
      continue;
    paramNames_.push_back(name.substr(5));
    gradShapes_.push_back(arg["shape"].get<std::vector<int64_t>>());
    grads_.emplace_back(numElements(gradShapes_.back()));
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
  for (size_t i = 0; i < grads_.size(); ++i)
    out.push_back(tensorView(grads_[i].data(), gradShapes_[i], GPT3_DTYPE_F32));
  return gpt3_context_call(ctx_->handle, "train_step", in, 4, out.data(),
                           out.size());
}

int gpt3::commandStep(Context &ctx, const Flags &flags) {
  for (const char *required : {"weights", "tokens", "targets", "lr", "out"})
    if (!flags.has(required))
      return badInput(std::string("step needs --") + required);
  TrainStep step;
  std::string error;
  if (!step.init(ctx, error))
    return badInput(error);
  float lr = 0;
  if (!numberFlag<float>(flags, "lr", 0.0f, 10.0f, lr, error))
    return badInput(error);
  std::vector<int32_t> tokens, targets;
  if (!readTokenIds(flags.values.at("tokens"), step.tokenShape(), tokens,
                    error) ||
      !readTokenIds(flags.values.at("targets"), step.tokenShape(), targets,
                    error))
    return badInput(error);
  const std::string &dir = flags.values.at("out");
  if (!makeDirectories(dir))
    return badInput("cannot create --out directory " + dir);
  if (gpt3_status_t s = gpt3_context_load_weights(
          ctx.handle, flags.values.at("weights").c_str()))
    return report(s);

  if (gpt3_status_t s = step.run(tokens.data(), targets.data(), 1, lr))
    return report(s);
  std::printf("loss %.7g\ngrad_norm %.7g\n", step.loss(), step.gradNorm());
  if (!std::isfinite(step.loss()) || !std::isfinite(step.gradNorm()))
    std::fprintf(stderr, "step skipped: the loss or the gradient norm is not "
                         "finite; the parameters are unchanged\n");

  std::vector<gpt3_tensor_t> grads, params;
  for (size_t i = 0; i < step.paramNames().size(); ++i)
    grads.push_back(
        tensorView(step.grad(i).data(), step.gradShape(i), GPT3_DTYPE_F32));
  if (gpt3_status_t s = contextTensors(ctx, step.paramNames(), params))
    return report(s);
  if (gpt3_status_t s =
          saveTensors(dir + "/grads.safetensors", step.paramNames(), grads))
    return report(s);
  if (gpt3_status_t s =
          saveTensors(dir + "/params.safetensors", step.paramNames(), params))
    return report(s);
  return 0;
}
