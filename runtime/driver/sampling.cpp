//===- sampling.cpp - Next-token choice and beam search ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace gpt3;

namespace {
/// Uniform in [0, 1) from SplitMix64.
double uniform(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

/// Ids by descending value, ties to the lower id.
bool higher(const std::vector<float> &values, int32_t a, int32_t b) {
  return values[a] > values[b] || (values[a] == values[b] && a < b);
}

double lengthNormalized(double logProb, size_t length, float penalty) {
  return logProb /
         std::pow(static_cast<double>(std::max<size_t>(length, 1)), penalty);
}
} // namespace

std::vector<int32_t> gpt3::topK(const std::vector<float> &logits, int32_t k) {
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  size_t keep = k > 0 ? std::min<size_t>(k, ids.size()) : ids.size();
  auto order = [&](int32_t a, int32_t b) { return higher(logits, a, b); };
  std::partial_sort(ids.begin(), ids.begin() + keep, ids.end(), order);
  ids.resize(keep);
  return ids;
}

std::vector<int32_t> gpt3::nucleus(const std::vector<float> &probs,
                                   const std::vector<int32_t> &ids, float p) {
  std::vector<int32_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end(),
            [&](int32_t a, int32_t b) { return higher(probs, a, b); });
  double total = 0;
  size_t keep = 0;
  while (keep < sorted.size() && (keep == 0 || total < p))
    total += probs[sorted[keep++]];
  sorted.resize(keep);
  return sorted;
}

std::vector<float> gpt3::logSoftmax(const std::vector<float> &logits) {
  float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float l : logits)
    sum += std::exp(static_cast<double>(l - max));
  float logSum = max + static_cast<float>(std::log(sum));
  std::vector<float> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i)
    out[i] = logits[i] - logSum;
  return out;
}

int32_t gpt3::sampleToken(const std::vector<float> &logits,
                          const SamplingOptions &options, uint64_t &state) {
  if (options.temperature == 0.0f)
    return topK(logits, 1).front();
  std::vector<int32_t> ids = topK(logits, options.topK);
  std::vector<float> probs(logits.size(), 0.0f);
  float max = logits[ids.front()];
  double sum = 0;
  for (int32_t id : ids)
    sum += probs[id] = std::exp((logits[id] - max) / options.temperature);
  for (int32_t id : ids)
    probs[id] = static_cast<float>(probs[id] / sum);
  if (options.topP < 1.0f)
    ids = nucleus(probs, ids, options.topP);
  double kept = 0;
  for (int32_t id : ids)
    kept += probs[id];
  double draw = uniform(state) * kept;
  for (int32_t id : ids) {
    draw -= probs[id];
    if (draw < 0)
      return id;
  }
  return ids.back();
}

std::vector<Hypothesis> gpt3::beamSearch(const NextLogProbs &next,
                                         const BeamOptions &options) {
  std::vector<Hypothesis> alive(1), finished;
  auto better = [](const Hypothesis &a, const Hypothesis &b) {
    return a.logProb > b.logProb ||
           (a.logProb == b.logProb && a.tokens < b.tokens);
  };
  auto byScore = [](const Hypothesis &a, const Hypothesis &b) {
    return a.score > b.score || (a.score == b.score && a.tokens < b.tokens);
  };
  size_t beams = static_cast<size_t>(std::max(options.beams, 1));
  for (int32_t step = 0; step < options.maxNewTokens && !alive.empty();
       ++step) {
    std::vector<std::vector<int32_t>> prefixes;
    for (const Hypothesis &h : alive)
      prefixes.push_back(h.tokens);
    std::vector<std::vector<float>> logProbs = next(prefixes);
    std::vector<Hypothesis> candidates;
    for (size_t h = 0; h < alive.size(); ++h)
      for (int32_t token : topK(logProbs[h], static_cast<int32_t>(2 * beams))) {
        Hypothesis c = alive[h];
        c.tokens.push_back(token);
        c.logProb += logProbs[h][token];
        c.finished = token == options.endOfText;
        c.score =
            lengthNormalized(c.logProb, c.tokens.size(), options.lengthPenalty);
        candidates.push_back(std::move(c));
      }
    std::sort(candidates.begin(), candidates.end(), better);
    alive.clear();
    for (size_t i = 0; i < candidates.size() && alive.size() < beams; ++i) {
      if (!candidates[i].finished)
        alive.push_back(std::move(candidates[i]));
      else if (i < beams)
        finished.push_back(std::move(candidates[i]));
    }
    std::sort(finished.begin(), finished.end(), byScore);
    if (finished.size() > beams)
      finished.resize(beams);
    if (finished.size() == beams && !alive.empty() &&
        lengthNormalized(alive.front().logProb, alive.front().tokens.size(),
                         options.lengthPenalty) <= finished.back().score)
      break;
  }
  for (Hypothesis &h : alive)
    finished.push_back(std::move(h));
  std::sort(finished.begin(), finished.end(), byScore);
  if (finished.size() > beams)
    finished.resize(beams);
  return finished;
}
