//===- device.h - The operations a context needs from a device --*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A context keeps every buffer (weights, workspace, states) in its device's
// memory and reaches that memory, and the compiled entry points, only
// through this table of operations. The CPU's implementation is in
// runtime/src/cpu; a GPU's is a sibling of it, not a branch inside the
// context.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_CORE_DEVICE_H
#define GPT3_RUNTIME_CORE_DEVICE_H

#include "gpt3/runtime.h"

#include <cstddef>
#include <memory>
#include <string>

namespace gpt3 {

/// A compiled entry point: its packed wrapper takes one pointer per
/// argument, in manifest order.
using EntryFn = void (*)(void **);

class Device {
public:
  virtual ~Device() = default;

  virtual gpt3_device_t id() const = 0;

  /// `bytes` of device memory, 64-byte aligned, uninitialised.
  virtual gpt3_status_t allocate(size_t bytes, void **out) = 0;
  virtual void deallocate(void *buffer) = 0;

  /// Host to device and back; `device` points into an allocation.
  virtual gpt3_status_t copyIn(void *device, const void *host,
                               size_t bytes) = 0;
  virtual gpt3_status_t copyOut(void *host, const void *device,
                                size_t bytes) = 0;
  virtual gpt3_status_t fillZero(void *device, size_t bytes) = 0;

  /// Starts entry point `fn` on `args` (device pointers); it may still run
  /// when this returns.
  virtual gpt3_status_t call(EntryFn fn, void **args) = 0;
  /// Waits for every call started before.
  virtual gpt3_status_t synchronize() = 0;

  /// The worker threads (CPU) an entry point runs on.
  virtual int32_t threads() const = 0;
};

/// "cpu", "cuda:0".
std::string deviceName(gpt3_device_t device);

/// The host CPU: buffers from `allocator`, entry points run on the calling
/// thread and `numThreads` OpenMP workers (0: OpenMP's default) of the
/// OpenMP runtime the artefact whose symbols are `symbols` links.
std::unique_ptr<Device> createCpuDevice(gpt3_allocator_t allocator,
                                        void *symbols, int32_t numThreads);

/// NVIDIA GPU `ordinal` through the driver API (libcuda.so.1, loaded at
/// run time): NOT_FOUND, saying why, where there is no driver or device.
gpt3_status_t createCudaDevice(int32_t ordinal, std::unique_ptr<Device> &out);

} // namespace gpt3

#endif // GPT3_RUNTIME_CORE_DEVICE_H
