//===- device.cpp - An NVIDIA GPU as a device -------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Buffers in the GPU's memory, copies through the driver, and entry points
// whose host code launches kernels on one stream; a call returns once the
// launches are queued, synchronize() waits for them.
//
//===----------------------------------------------------------------------===//

#include "cuda/device.h"
#include "core/device.h"
#include "core/status.h"

using namespace gpt3;
using namespace gpt3::cuda;

namespace {
thread_local ActiveDevice *current = nullptr;

class CudaDevice : public Device {
public:
  CudaDevice(const DriverApi &api, int32_t ordinal, CUdevice device,
             CUcontext context, CUstream stream)
      : api_(api), ordinal_(ordinal), device_(device), context_(context) {
    active_.api = &api;
    active_.stream = stream;
  }
  ~CudaDevice() override {
    api_.cuCtxSetCurrent(context_);
    api_.cuStreamDestroy(active_.stream);
    api_.cuDevicePrimaryCtxRelease(device_);
  }

  gpt3_device_t id() const override { return {GPT3_DEVICE_CUDA, ordinal_}; }

  gpt3_status_t allocate(size_t bytes, void **out) override {
    CUdeviceptr ptr = 0;
    if (CUresult r = enter(api_.cuMemAlloc(&ptr, bytes ? bytes : 1)))
      return makeStatus(GPT3_STATUS_RESOURCE_EXHAUSTED,
                        "cannot allocate " + std::to_string(bytes) +
                            " bytes on " + deviceName(id()) + ": " +
                            errorName(api_, r));
    *out = reinterpret_cast<void *>(ptr);
    return nullptr;
  }
  void deallocate(void *buffer) override {
    if (buffer)
      enter(api_.cuMemFree(reinterpret_cast<CUdeviceptr>(buffer)));
  }

  gpt3_status_t copyIn(void *device, const void *host, size_t bytes) override {
    return check("copy to the GPU",
                 enter(api_.cuMemcpyHtoD(reinterpret_cast<CUdeviceptr>(device),
                                         host, bytes)));
  }
  gpt3_status_t copyOut(void *host, const void *device, size_t bytes) override {
    return check("copy from the GPU",
                 enter(api_.cuMemcpyDtoH(
                     host, reinterpret_cast<CUdeviceptr>(device), bytes)));
  }
  gpt3_status_t fillZero(void *device, size_t bytes) override {
    return check("clear GPU memory",
                 enter(api_.cuMemsetD8(reinterpret_cast<CUdeviceptr>(device), 0,
                                       bytes)));
  }

  gpt3_status_t call(EntryFn fn, void **args) override {
    enter(CUDA_SUCCESS);
    active_.error.clear();
    current = &active_;
    fn(args);
    current = nullptr;
    if (!active_.error.empty())
      return makeStatus(GPT3_STATUS_INTERNAL, active_.error);
    return nullptr;
  }
  gpt3_status_t synchronize() override {
    return check("run the entry point",
                 enter(api_.cuStreamSynchronize(active_.stream)));
  }

  int32_t threads() const override { return 1; }

private:
  /// Makes the context current on the calling thread, then passes `r` on.
  CUresult enter(CUresult r) {
    api_.cuCtxSetCurrent(context_);
    return r;
  }
  gpt3_status_t check(const char *what, CUresult r) {
    if (r == CUDA_SUCCESS)
      return nullptr;
    return makeStatus(GPT3_STATUS_INTERNAL, std::string("cannot ") + what +
                                                " on " + deviceName(id()) +
                                                ": " + errorName(api_, r));
  }

  const DriverApi &api_;
  int32_t ordinal_;
  CUdevice device_;
  CUcontext context_;
  ActiveDevice active_;
};
} // namespace

ActiveDevice *gpt3::cuda::activeDevice() { return current; }

gpt3_status_t gpt3::createCudaDevice(int32_t ordinal,
                                     std::unique_ptr<Device> &out) {
  const DriverApi *api = nullptr;
  std::string why;
  if (!loadDriver(api, why))
    return makeStatus(GPT3_STATUS_NOT_FOUND, why);
  auto fail = [&](const std::string &what, CUresult r) {
    return makeStatus(GPT3_STATUS_NOT_FOUND,
                      "no CUDA device: " + what + ": " + errorName(*api, r));
  };
  if (CUresult r = api->cuInit(0))
    return fail("cuInit failed", r);
  int count = 0;
  if (CUresult r = api->cuDeviceGetCount(&count))
    return fail("cannot count devices", r);
  if (ordinal < 0 || ordinal >= count)
    return makeStatus(GPT3_STATUS_NOT_FOUND,
                      "no CUDA device " + std::to_string(ordinal) + ": " +
                          std::to_string(count) + " present");
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  if (CUresult r = api->cuDeviceGet(&device, ordinal))
    return fail("cuDeviceGet failed", r);
  if (CUresult r = api->cuDevicePrimaryCtxRetain(&context, device))
    return fail("cannot create a context", r);
  api->cuCtxSetCurrent(context);
  // A blocking stream: copies and fills, issued on the legacy default
  // stream, complete before the kernels queued after them start.
  if (CUresult r = api->cuStreamCreate(&stream, CU_STREAM_DEFAULT)) {
    api->cuDevicePrimaryCtxRelease(device);
    return fail("cannot create a stream", r);
  }
  out = std::make_unique<CudaDevice>(*api, ordinal, device, context, stream);
  return nullptr;
}
