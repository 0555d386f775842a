//===- panels.h - bf16 weights in the layout the kernels read ---*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A --dtype bf16 model takes its layers' weights (K, N) packed, layout
// "panels": (N / 32, K / 2, 32, 2), panels of 32 columns whose rows hold
// two rows of W interleaved, the pairs one vdpbf16ps lane multiplies. The
// runtime packs them once, at load, instead of each call copying them.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_CORE_PANELS_H
#define GPT3_RUNTIME_CORE_PANELS_H

#include <cstdint>
#include <vector>

namespace gpt3 {

inline constexpr int64_t kPanelColumns = 32;

/// The packed shape of a (..., K, N) weight.
inline std::vector<int64_t> panelShape(const std::vector<int64_t> &shape) {
  std::vector<int64_t> packed(shape.begin(), shape.end() - 2);
  int64_t k = shape[shape.size() - 2], n = shape.back();
  packed.insert(packed.end(), {n / kPanelColumns, k / 2, kPanelColumns, 2});
  return packed;
}

/// Packs the row-major (K, N) `rows` into `panels`.
inline void packPanels(const uint16_t *rows, int64_t k, int64_t n,
                       uint16_t *panels) {
  for (int64_t j = 0; j < n / kPanelColumns; ++j)
    for (int64_t pair = 0; pair < k / 2; ++pair)
      for (int64_t p = 0; p < kPanelColumns; ++p)
        for (int64_t q = 0; q < 2; ++q)
          *panels++ = rows[(2 * pair + q) * n + j * kPanelColumns + p];
}

} // namespace gpt3

#endif // GPT3_RUNTIME_CORE_PANELS_H
