//===- status.cpp - gpt3_status_t -------------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "status.h"

#include <cstdlib>
#include <new>

#include <sys/mman.h>

struct gpt3_status_s {
  gpt3_status_code_t code;
  std::string message;
};

gpt3_status_t gpt3::makeStatus(gpt3_status_code_t code, std::string message) {
  return new (std::nothrow) gpt3_status_s{code, std::move(message)};
}

extern "C" {
gpt3_status_code_t gpt3_status_code(gpt3_status_t status) {
  return status ? status->code : GPT3_STATUS_OK;
}

const char *gpt3_status_message(gpt3_status_t status) {
  return status ? status->message.c_str() : "OK";
}

void gpt3_status_free(gpt3_status_t status) { delete status; }

// Weight matrices are read one row per reduction step, a row every few KiB:
// with 4 KiB pages nearly every load of a matmul misses the first-level TLB.
// Large blocks (weights, the activation workspace) therefore ask for 2 MiB
// pages; the kernel falls back to small ones when it has none.
static constexpr size_t kHugePage = size_t(2) << 20;

static void *systemAllocate(void *, size_t size, size_t alignment) {
  if (size >= 2 * kHugePage && alignment < kHugePage)
    alignment = kHugePage;
  size_t rounded = (size + alignment - 1) / alignment * alignment;
  void *ptr = std::aligned_alloc(alignment, rounded ? rounded : alignment);
  if (ptr && alignment == kHugePage)
    madvise(ptr, rounded, MADV_HUGEPAGE);
  return ptr;
}

static void systemDeallocate(void *, void *ptr) { std::free(ptr); }

gpt3_allocator_t gpt3_allocator_system(void) {
  return {nullptr, systemAllocate, systemDeallocate};
}
}

gpt3_status_t gpt3_status_create(gpt3_status_code_t code, const char *message) {
  return gpt3::makeStatus(code, message ? message : "");
}
