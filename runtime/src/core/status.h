//===- status.h - Status construction inside the runtime --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_CORE_STATUS_H
#define GPT3_RUNTIME_CORE_STATUS_H

#include "gpt3/runtime.h"

#include <exception>
#include <new>
#include <string>

namespace gpt3 {

/// A new status with `code` and `message`.
gpt3_status_t makeStatus(gpt3_status_code_t code, std::string message);

/// Runs `body`, the work of C API function `function`, and returns its
/// status; an exception it throws becomes a status too, so none crosses
/// into a C caller.
template <typename Body>
gpt3_status_t guarded(const char *function, Body &&body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return makeStatus(GPT3_STATUS_RESOURCE_EXHAUSTED,
                      std::string(function) + ": out of memory");
  } catch (const std::exception &e) {
    return makeStatus(GPT3_STATUS_INTERNAL,
                      std::string(function) + ": " + e.what());
  } catch (...) {
    return makeStatus(GPT3_STATUS_INTERNAL,
                      std::string(function) + ": unknown exception");
  }
}

} // namespace gpt3

#define GPT3_RETURN_IF_ERROR(expr)                                             \
  do {                                                                         \
    gpt3_status_t status_ = (expr);                                            \
    if (status_)                                                               \
      return status_;                                                          \
  } while (0)

#endif // GPT3_RUNTIME_CORE_STATUS_H
