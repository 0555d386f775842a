//===- device.cpp - The host CPU as a device --------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Memory any code can read, so copies are memcpy and a call returns when the
// entry point is done. The entry points' threads belong to the OpenMP
// runtime the artefact links (libomp), found through the artefact's
// symbols; an artefact built without threads has none to set.
//
//===----------------------------------------------------------------------===//

#include "core/device.h"
#include "core/status.h"

#include <cstring>
#include <dlfcn.h>

using namespace gpt3;

namespace {
class CpuDevice : public Device {
public:
  CpuDevice(gpt3_allocator_t allocator, int32_t threads)
      : allocator_(allocator), threads_(threads) {}

  gpt3_device_t id() const override { return {GPT3_DEVICE_CPU, 0}; }

  gpt3_status_t allocate(size_t bytes, void **out) override {
    *out = allocator_.allocate(allocator_.self, bytes, 64);
    if (!*out)
      return makeStatus(GPT3_STATUS_RESOURCE_EXHAUSTED,
                        "cannot allocate " + std::to_string(bytes) +
                            " bytes of CPU memory");
    return nullptr;
  }
  void deallocate(void *buffer) override {
    if (buffer)
      allocator_.deallocate(allocator_.self, buffer);
  }

  gpt3_status_t copyIn(void *device, const void *host, size_t bytes) override {
    std::memcpy(device, host, bytes);
    return nullptr;
  }
  gpt3_status_t copyOut(void *host, const void *device, size_t bytes) override {
    std::memcpy(host, device, bytes);
    return nullptr;
  }
  gpt3_status_t fillZero(void *device, size_t bytes) override {
    std::memset(device, 0, bytes);
    return nullptr;
  }

  gpt3_status_t call(EntryFn fn, void **args) override {
    fn(args);
    return nullptr;
  }
  gpt3_status_t synchronize() override { return nullptr; }

  int32_t threads() const override { return threads_; }

private:
  gpt3_allocator_t allocator_;
  int32_t threads_;
};
} // namespace

std::unique_ptr<Device> gpt3::createCpuDevice(gpt3_allocator_t allocator,
                                              void *symbols,
                                              int32_t numThreads) {
  using SetThreads = void (*)(int);
  using GetThreads = int (*)();
  auto set =
      reinterpret_cast<SetThreads>(dlsym(symbols, "omp_set_num_threads"));
  auto get =
      reinterpret_cast<GetThreads>(dlsym(symbols, "omp_get_max_threads"));
  if (set && numThreads > 0)
    set(numThreads);
  return std::make_unique<CpuDevice>(allocator, get ? get() : 1);
}
