//===- status.h - Status construction inside the runtime --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_CORE_STATUS_H
#define GPT3_RUNTIME_CORE_STATUS_H

#include "gpt3/runtime.h"

#include <string>

namespace gpt3 {

/// A new status with `code` and `message`.
gpt3_status_t makeStatus(gpt3_status_code_t code, std::string message);

} // namespace gpt3

#define GPT3_RETURN_IF_ERROR(expr)                                             \
  do {                                                                         \
    gpt3_status_t status_ = (expr);                                            \
    if (status_)                                                               \
      return status_;                                                          \
  } while (0)

#endif // GPT3_RUNTIME_CORE_STATUS_H
