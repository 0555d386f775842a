//===- device.h - An NVIDIA GPU as a device ---------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// What the kernel launches of compiled host code (launch.cpp) need from the
// device a context runs on: its driver, context and the one stream every
// launch goes to, in order.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_CUDA_DEVICE_H
#define GPT3_RUNTIME_CUDA_DEVICE_H

#include "core/device.h"
#include "cuda/driver_api.h"
#include "cuda/profile.h"

#include <memory>
#include <string>

namespace gpt3::cuda {

/// The device whose entry point is running on this thread, or null.
struct ActiveDevice {
  const DriverApi *api = nullptr;
  CUstream stream = nullptr;
  /// The first failed launch since the entry point started; empty if none.
  std::string error;
  /// Times every launch, when GPT3_CUDA_PROFILE asks for it.
  KernelProfile *profile = nullptr;
};

/// The name of kernel `function`, as its launch looked it up.
const char *kernelName(CUfunction function);

ActiveDevice *activeDevice();

/// The device on `context` of `api`'s driver, every launch on `stream`.
/// With `graphs`, an entry point's launches are captured into a CUDA graph
/// from its second call on and replayed as one; with `profile`, each launch
/// is timed instead and the device prints the time per kernel to stderr
/// when it is released.
std::unique_ptr<Device> makeCudaDevice(const DriverApi &api, int32_t ordinal,
                                       CUdevice device, CUcontext context,
                                       CUstream stream, bool graphs,
                                       bool profile = false);

} // namespace gpt3::cuda

#endif // GPT3_RUNTIME_CUDA_DEVICE_H
