//===- launch.cpp - Kernel launches of compiled host code -------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The functions that gpu-to-llvm's host code calls (the names and
// signatures of MLIR's CUDA runtime wrappers), implemented on the running
// context's device: every launch goes to its one stream, in order, so the
// per-launch stream create/synchronize/destroy the generated code asks for
// are no-ops and a whole entry point runs without a host round trip. The
// kernels' module is registered by a global constructor before main; it is
// loaded on the device at its first launch.
//
//===----------------------------------------------------------------------===//

#include "cuda/device.h"

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

using namespace gpt3::cuda;

namespace {
/// A module the artefact embeds, and what its first launch loaded.
struct LazyModule {
  const void *image;
  CUmodule module = nullptr;
  // By the address of the name: the host code passes its constant on
  // every launch, so a lookup costs no string.
  std::unordered_map<const char *, CUfunction> functions;
  std::mutex mutex;
};

/// Records the first failure of the running entry point.
void fail(ActiveDevice &device, const std::string &what, CUresult r) {
  if (device.error.empty())
    device.error = what + ": " + errorName(*device.api, r);
}

/// Dynamic shared memory beyond the default 48 KiB needs the function's
/// consent, once.
constexpr int32_t kDefaultSharedMemory = 48 * 1024;

/// Each loaded kernel's name (the host code's constant), for profiles.
std::mutex namesMutex;
std::unordered_map<CUfunction, const char *> names;
} // namespace

const char *gpt3::cuda::kernelName(CUfunction function) {
  std::lock_guard<std::mutex> lock(namesMutex);
  auto it = names.find(function);
  return it == names.end() ? "unknown" : it->second;
}

extern "C" {

void *mgpuModuleLoad(void *data, size_t) {
  auto *lazy = new LazyModule();
  lazy->image = data;
  return lazy;
}

void mgpuModuleUnload(void *module) {
  // Process exit: the driver releases what a context loaded.
  delete static_cast<LazyModule *>(module);
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  ActiveDevice *device = activeDevice();
  if (!device)
    return nullptr;
  auto *lazy = static_cast<LazyModule *>(module);
  std::lock_guard<std::mutex> lock(lazy->mutex);
  if (!lazy->module)
    if (CUresult r =
            device->api->cuModuleLoadData(&lazy->module, lazy->image)) {
      fail(*device, "cannot load the kernels on the GPU", r);
      lazy->module = nullptr;
      return nullptr;
    }
  auto [it, inserted] = lazy->functions.try_emplace(name, nullptr);
  if (!inserted)
    return it->second;
  if (CUresult r =
          device->api->cuModuleGetFunction(&it->second, lazy->module, name)) {
    fail(*device, std::string("no kernel ") + name, r);
    lazy->functions.erase(it);
    return nullptr;
  }
  std::lock_guard<std::mutex> namesLock(namesMutex);
  names[it->second] = name;
  return it->second;
}

void *mgpuStreamCreate() {
  ActiveDevice *device = activeDevice();
  return device ? device->stream : nullptr;
}
void mgpuStreamDestroy(void *) {}
void mgpuStreamSynchronize(void *) {}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedMemory, void *stream,
                      void **params, void **extra, size_t) {
  ActiveDevice *device = activeDevice();
  if (!device || !function)
    return; // the failure that left no function is already recorded
  auto *kernel = static_cast<CUfunction>(function);
  if (sharedMemory > kDefaultSharedMemory)
    if (CUresult r = device->api->cuFuncSetAttribute(
            kernel, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
            sharedMemory))
      return fail(*device, "cannot give a kernel its shared memory", r);
  if (device->profile)
    device->profile->before(static_cast<CUstream>(stream), kernelName(kernel));
  if (CUresult r = device->api->cuLaunchKernel(
          kernel, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedMemory,
          static_cast<CUstream>(stream), params, extra))
    fail(*device, "cannot launch a kernel", r);
  if (device->profile)
    device->profile->after(static_cast<CUstream>(stream));
}
}
