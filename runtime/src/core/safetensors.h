//===- safetensors.h - Validating, memory-mapped safetensors ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Reads the safetensors format: an 8-byte little-endian header length N, N
// bytes of UTF-8 JSON mapping tensor names to {dtype, shape, data_offsets},
// then the data. Opening validates everything a later read relies on: the
// header cap, the JSON, that the offsets tile the data exactly (no overlap,
// no gap, nothing past the end) and that every byte range equals its shape
// times its dtype size. The file is memory-mapped, never copied.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_CORE_SAFETENSORS_H
#define GPT3_RUNTIME_CORE_SAFETENSORS_H

#include "gpt3/runtime.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gpt3 {

/// The header of one tensor.
struct TensorInfo {
  std::string name;           // "h.0.attn.c_attn.weight"
  std::string dtype;          // "F32", "BF16", "F16", "I32", ...
  std::vector<int64_t> shape; // {768, 2304}
  uint64_t begin = 0;         // byte offsets within the data section
  uint64_t end = 0;
};

class SafetensorsFile {
public:
  /// The header may be at most 100 MB, as in the reference implementation.
  static constexpr uint64_t kMaxHeaderBytes = 100'000'000;

  /// Maps and validates `path`.
  static gpt3_status_t open(const std::string &path,
                            std::unique_ptr<SafetensorsFile> *out);
  ~SafetensorsFile();

  const std::string &path() const { return path_; }
  const std::vector<TensorInfo> &tensors() const { return tensors_; }
  /// The first byte of `tensor`'s data (not necessarily aligned).
  const uint8_t *data(const TensorInfo &tensor) const {
    return dataStart_ + tensor.begin;
  }

  /// Bytes per element of a safetensors dtype name; 0 when unknown.
  static int64_t dtypeSize(const std::string &dtype);

private:
  SafetensorsFile() = default;
  std::string path_;
  void *mapping_ = nullptr;
  size_t mappingBytes_ = 0;
  const uint8_t *dataStart_ = nullptr;
  std::vector<TensorInfo> tensors_;
};

} // namespace gpt3

#endif // GPT3_RUNTIME_CORE_SAFETENSORS_H
