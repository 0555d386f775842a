//===- random.h - Seeded random numbers for the runtime ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A small, portable generator: the same seed gives the same weights on every
// machine and standard library (std::normal_distribution does not).
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_CORE_RANDOM_H
#define GPT3_RUNTIME_CORE_RANDOM_H

#include <cmath>
#include <cstdint>

namespace gpt3 {

/// SplitMix64: 64 random bits per call.
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in (0, 1].
  double uniform() {
    return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53;
  }

private:
  uint64_t state_;
};

/// Standard normal samples by Box-Muller.
class Normal {
public:
  explicit Normal(uint64_t seed) : bits_(seed) {}
  float next() {
    if (hasSpare_) {
      hasSpare_ = false;
      return spare_;
    }
    double radius = std::sqrt(-2.0 * std::log(bits_.uniform()));
    double angle = 2.0 * M_PI * bits_.uniform();
    spare_ = static_cast<float>(radius * std::sin(angle));
    hasSpare_ = true;
    return static_cast<float>(radius * std::cos(angle));
  }

private:
  SplitMix64 bits_;
  float spare_ = 0.0f;
  bool hasSpare_ = false;
};

} // namespace gpt3

#endif // GPT3_RUNTIME_CORE_RANDOM_H
