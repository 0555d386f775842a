//===- npy.h - NumPy .npy files for the model binary ------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Reads little-endian int32/int64/float32 arrays in C order and writes
// float32 arrays, for `forward --tokens in.npy --out logits.npy`.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_NPY_H
#define GPT3_DRIVER_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace gpt3 {

struct NpyArray {
  std::string descr;          // "<i4", "<i8", "<f4"
  std::vector<int64_t> shape; // {1, 128}
  std::vector<char> data;     // raw little-endian elements
};

/// Reads `path`; on failure returns false and sets `error` to one line.
bool readNpy(const std::string &path, NpyArray &out, std::string &error);

/// Reads int32 or int64 token ids of exactly `shape` from `path` into
/// `ids`; on failure returns false and sets `error` to one line.
bool readTokenIds(const std::string &path, const std::vector<int64_t> &shape,
                  std::vector<int32_t> &ids, std::string &error);

/// Writes float32 `values` with `shape` to `path` through a temporary file
/// renamed into place, so a failure leaves no partial file.
bool writeNpyF32(const std::string &path, const std::vector<int64_t> &shape,
                 const float *values, std::string &error);

} // namespace gpt3

#endif // GPT3_DRIVER_NPY_H
