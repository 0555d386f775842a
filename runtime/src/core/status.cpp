//===- status.cpp - gpt3_status_t -------------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "status.h"

#include <cstdlib>
#include <new>

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

static void *systemAllocate(void *, size_t size, size_t alignment) {
  size_t rounded = (size + alignment - 1) / alignment * alignment;
  return std::aligned_alloc(alignment, rounded ? rounded : alignment);
}

static void systemDeallocate(void *, void *ptr) { std::free(ptr); }

gpt3_allocator_t gpt3_allocator_system(void) {
  return {nullptr, systemAllocate, systemDeallocate};
}
}
