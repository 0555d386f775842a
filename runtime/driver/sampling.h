//===- sampling.h - Next-token choice and beam search -----------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Sampling follows the usual order: logits / temperature, keep the top k,
// softmax, keep the smallest nucleus whose probability reaches top_p,
// renormalise, draw. Temperature 0 is greedy. Ties go to the lower id, so a
// fixed seed gives the same text on every machine.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_SAMPLING_H
#define GPT3_DRIVER_SAMPLING_H

#include <cstdint>
#include <functional>
#include <vector>

namespace gpt3 {

struct SamplingOptions {
  float temperature = 1.0f; // 0.8; 0 = greedy
  int32_t topK = 0;         // 40; 0 = the whole vocabulary
  float topP = 1.0f;        // 0.95; in (0, 1]
};

/// The ids kept by top-k: exactly min(k, n) (all for k = 0), highest first.
std::vector<int32_t> topK(const std::vector<float> &logits, int32_t k);

/// The smallest set of ids, most probable first, whose probabilities sum to
/// at least `p` (at least one id).
std::vector<int32_t> nucleus(const std::vector<float> &probs,
                             const std::vector<int32_t> &ids, float p);

/// Draws the next id from `logits`; `state` is the SplitMix64 state.
int32_t sampleToken(const std::vector<float> &logits,
                    const SamplingOptions &options, uint64_t &state);

/// log softmax of `logits`.
std::vector<float> logSoftmax(const std::vector<float> &logits);

struct Hypothesis {
  std::vector<int32_t> tokens; // generated tokens, without the prompt
  double logProb = 0;          // sum of the tokens' log probabilities
  double score = 0;            // logProb / length^lengthPenalty
  bool finished = false;       // ended with the end-of-text token
};

struct BeamOptions {
  int32_t beams = 4;
  int32_t maxNewTokens = 32;
  float lengthPenalty = 1.0f; // > 1 favours longer sequences
  int32_t endOfText = 50256;  // -1: none
};

/// For each alive hypothesis (generated tokens so far), the log
/// probabilities of the next token over the vocabulary.
using NextLogProbs = std::function<std::vector<std::vector<float>>(
    const std::vector<std::vector<int32_t>> &)>;

/// Beam search: every step extends each of the `beams` best hypotheses by
/// its best tokens and keeps the `beams` best; a hypothesis ending with end
/// of text is finished. Stops when `beams` hypotheses have finished and no
/// alive one can beat the worst of them, or after maxNewTokens. Returns all
/// kept hypotheses, best score first.
std::vector<Hypothesis> beamSearch(const NextLogProbs &next,
                                   const BeamOptions &options);

} // namespace gpt3

#endif // GPT3_DRIVER_SAMPLING_H
