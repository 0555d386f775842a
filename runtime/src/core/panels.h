//===- panels.h - Weights in the layout the kernels read --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A model compiled for the CPU without train_step takes its layers'
// weights (K, N) packed, layout "panels": panels of 32 columns, (N / 32, K,
// 32) in f32, and in bf16 (N / 32, K / 2, 32, 2), whose rows hold two rows
// of W interleaved, the pairs one vdpbf16ps lane multiplies. The runtime
// packs them once, at load, instead of each call copying them.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_CORE_PANELS_H
#define GPT3_RUNTIME_CORE_PANELS_H

#include <cstdint>
#include <vector>

namespace gpt3 {

inline constexpr int64_t kPanelColumns = 32;

/// The packed shape of a (..., K, N) weight, in bf16 `pairs` or not.
inline std::vector<int64_t> panelShape(const std::vector<int64_t> &shape,
                                       bool pairs) {
  std::vector<int64_t> packed(shape.begin(), shape.end() - 2);
  int64_t k = shape[shape.size() - 2], n = shape.back();
  if (pairs)
    packed.insert(packed.end(), {n / kPanelColumns, k / 2, kPanelColumns, 2});
  else
    packed.insert(packed.end(), {n / kPanelColumns, k, kPanelColumns});
  return packed;
}

/// Packs the row-major (K, N) `rows` into `panels`, in pairs of rows or
/// not.
template <typename T>
void packPanels(const T *rows, int64_t k, int64_t n, bool pairs, T *panels) {
  int64_t q = pairs ? 2 : 1;
  for (int64_t j = 0; j < n / kPanelColumns; ++j)
    for (int64_t row = 0; row < k / q; ++row)
      for (int64_t p = 0; p < kPanelColumns; ++p)
        for (int64_t i = 0; i < q; ++i)
          *panels++ = rows[(q * row + i) * n + j * kPanelColumns + p];
}

} // namespace gpt3

#endif // GPT3_RUNTIME_CORE_PANELS_H
