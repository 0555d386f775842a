//===- step.h - One training step, and the step command ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_STEP_H
#define GPT3_DRIVER_STEP_H

#include "cli.h"
#include "model.h"
#include "ranks.h"

namespace gpt3 {

/// The compiled `train_step` with its output buffers: loss, the pre-clip
/// gradient norm and one gradient per parameter.
class TrainStep {
public:
  /// Reads the entry point's shapes; false (with `error`) if there is none.
  bool init(Context &ctx, std::string &error);

  /// One update from `tokens` and `targets` (the compiled [B, T]) at
  /// optimizer step `step` (1 for the first) with learning rate `lr`.
  gpt3_status_t run(const int32_t *tokens, const int32_t *targets, int32_t step,
                    float lr);

  float loss() const { return loss_; }
  float gradNorm() const { return gradNorm_; }
  const std::vector<int64_t> &tokenShape() const { return tokenShape_; }
  /// Parameter names and, after run(), their gradients, in manifest
  /// order, a stack's layers one by one.
  const std::vector<std::string> &paramNames() const { return paramNames_; }
  /// Whether run() writes the gradients (not under ZeRO-1, where each rank
  /// holds only its share of them).
  bool hasGradients() const { return !grads_.empty(); }
  float *grad(size_t i) { return grads_[i]; }
  const std::vector<int64_t> &gradShape(size_t i) const {
    return gradShapes_[i];
  }

private:
  Context *ctx_ = nullptr;
  std::vector<int64_t> tokenShape_;
  // The entry point's gradient outputs, as it writes them.
  std::vector<std::vector<int64_t>> outputShapes_;
  std::vector<std::vector<float>> outputs_;
  // Per parameter: its name, shape and gradient (a view of an output).
  std::vector<std::string> paramNames_;
  std::vector<std::vector<int64_t>> gradShapes_;
  std::vector<float *> grads_;
  float loss_ = 0, gradNorm_ = 0;
};

/// `step --weights W --tokens in.npy --targets tgt.npy --lr LR --out DIR`.
struct StepSettings {
  std::string weights, tokens, targets, out;
  float lr = 0;
};

/// Declares `step`'s flags on `app`.
CLI::App *addStepCommand(CLI::App &app, StepSettings &s);

int commandStep(Context &ctx, const StepSettings &s, const Ranks &ranks);

} // namespace gpt3

#endif // GPT3_DRIVER_STEP_H
