//===- SamplingTest.cpp - Sampling and beam search --------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace gpt3;

namespace {

TEST(Sampling, TopKKeepsExactlyK) {
  std::vector<float> logits = {0.1f, 2.0f, -1.0f, 2.0f, 0.5f};
  EXPECT_EQ(topK(logits, 2), (std::vector<int32_t>{1, 3})); // tie: lower id
  EXPECT_EQ(topK(logits, 3), (std::vector<int32_t>{1, 3, 4}));
  EXPECT_EQ(topK(logits, 0).size(), 5u);
  EXPECT_EQ(topK(logits, 9).size(), 5u);
}

TEST(Sampling, NucleusIsTheSmallestSetReachingP) {
  std::vector<float> probs = {0.15f, 0.5f, 0.05f, 0.3f};
  std::vector<int32_t> all = {0, 1, 2, 3};
  EXPECT_EQ(nucleus(probs, all, 0.5f), (std::vector<int32_t>{1}));
  EXPECT_EQ(nucleus(probs, all, 0.8f), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(nucleus(probs, all, 0.81f), (std::vector<int32_t>{1, 3, 0}));
  EXPECT_EQ(nucleus(probs, all, 1.0f).size(), 4u);
  EXPECT_EQ(nucleus(probs, all, 0.01f), (std::vector<int32_t>{1}));
}

TEST(Sampling, TemperatureZeroIsGreedy) {
  std::vector<float> logits = {0.1f, 3.0f, 2.9f};
  uint64_t state = 7;
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(sampleToken(logits, {0.0f, 0, 1.0f}, state), 1);
}

TEST(Sampling, FixedSeedRepeats) {
  std::vector<float> logits = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f};
  auto draw = [&](uint64_t seed) {
    std::vector<int32_t> ids;
    for (int i = 0; i < 50; ++i)
      ids.push_back(sampleToken(logits, {1.0f, 0, 1.0f}, seed));
    return ids;
  };
  EXPECT_EQ(draw(42), draw(42));
  EXPECT_NE(draw(42), draw(43));
}

TEST(Sampling, FrequenciesFollowTheFilteredDistribution) {
  // Top-2 of {1, 2, 3}: ids 2 and 1 with probabilities e/(1+e) and 1/(1+e).
  std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  uint64_t state = 1;
  std::map<int32_t, int> counts;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i)
    ++counts[sampleToken(logits, {1.0f, 2, 1.0f}, state)];
  EXPECT_EQ(counts.count(0), 0u);
  double expected = std::exp(1.0) / (1.0 + std::exp(1.0));
  EXPECT_NEAR(counts[2] / double(draws), expected, 0.02);
  // Top-p 0.5 of the same logits keeps only the most likely id.
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(sampleToken(logits, {1.0f, 0, 0.5f}, state), 2);
}

/// A toy model over 3 tokens whose next-token log probabilities depend on
/// the last token and the position.
std::vector<float> toyLogProbs(const std::vector<int32_t> &prefix) {
  int32_t last = prefix.empty() ? 0 : prefix.back();
  int32_t step = static_cast<int32_t>(prefix.size());
  std::vector<float> logits = {
      std::sin(1.0f + last + 2.0f * step), std::cos(2.0f * last - step),
      0.3f * static_cast<float>(last * step) - 0.5f};
  return logSoftmax(logits);
}

TEST(BeamSearch, EqualsExhaustiveSearchWhenWideEnough) {
  // All 27 sequences of 3 tokens, scored exactly.
  std::vector<std::pair<double, std::vector<int32_t>>> all;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 3; ++c) {
        std::vector<int32_t> seq = {a, b, c};
        double lp = 0;
        for (size_t i = 0; i < seq.size(); ++i)
          lp += toyLogProbs({seq.begin(), seq.begin() + i})[seq[i]];
        all.push_back({lp, seq});
      }
  std::sort(all.begin(), all.end(),
            [](auto &x, auto &y) { return x.first > y.first; });
  BeamOptions options;
  options.beams = 9;
  options.maxNewTokens = 3;
  options.endOfText = -1;
  options.lengthPenalty = 0.0f;
  auto next = [](const std::vector<std::vector<int32_t>> &prefixes) {
    std::vector<std::vector<float>> out;
    for (const auto &p : prefixes)
      out.push_back(toyLogProbs(p));
    return out;
  };
  std::vector<Hypothesis> result = beamSearch(next, options);
  ASSERT_EQ(result.size(), 9u);
  for (size_t i = 0; i < result.size(); ++i) {
    EXPECT_EQ(result[i].tokens, all[i].second) << "rank " << i;
    EXPECT_NEAR(result[i].logProb, all[i].first, 1e-5);
  }
  // One beam is greedy decoding.
  options.beams = 1;
  std::vector<int32_t> greedy;
  for (int i = 0; i < 3; ++i)
    greedy.push_back(topK(toyLogProbs(greedy), 1).front());
  EXPECT_EQ(beamSearch(next, options).front().tokens, greedy);
}

TEST(BeamSearch, StopsAtEndOfText) {
  // Token 2 is end of text and likely after token 1.
  auto next = [](const std::vector<std::vector<int32_t>> &prefixes) {
    std::vector<std::vector<float>> out;
    for (const auto &p : prefixes) {
      bool afterOne = !p.empty() && p.back() == 1;
      out.push_back(logSoftmax({0.0f, 1.0f, afterOne ? 3.0f : -3.0f}));
    }
    return out;
  };
  BeamOptions options;
  options.beams = 2;
  options.maxNewTokens = 10;
  options.endOfText = 2;
  std::vector<Hypothesis> result = beamSearch(next, options);
  ASSERT_FALSE(result.empty());
  EXPECT_EQ(result.front().tokens, (std::vector<int32_t>{1, 2}));
  EXPECT_TRUE(result.front().finished);
}

} // namespace
