//===- shape.h - Tensor shapes in the runtime's messages --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_CORE_SHAPE_H
#define GPT3_RUNTIME_CORE_SHAPE_H

#include "gpt3/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gpt3 {

inline int64_t numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

inline size_t dtypeBytes(gpt3_dtype_t dtype) {
  switch (dtype) {
  case GPT3_DTYPE_I64:
    return 8;
  case GPT3_DTYPE_I8:
    return 1;
  case GPT3_DTYPE_BF16:
    return 2;
  default:
    return 4;
  }
}

/// "[4, 64]".
inline std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

} // namespace gpt3

#endif // GPT3_RUNTIME_CORE_SHAPE_H
