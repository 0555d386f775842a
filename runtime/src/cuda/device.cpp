//===- device.cpp - An NVIDIA GPU as a device -------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Buffers in the GPU's memory, copies through the driver, and entry points
// whose host code launches kernels on one stream; a call returns once the
// launches are queued, synchronize() waits for them.
//
// A decode step is a few hundred small kernels: launched one by one, the
// GPU would wait on the host between them. So from its second call on, an
// entry point's launches are captured into a CUDA graph, which the driver
// updates in place (the same kernels, new arguments: the position) and
// launches as one. The first call runs directly: it loads the kernels,
// which a capture must not do.
//
//===----------------------------------------------------------------------===//

#include "cuda/device.h"
#include "core/device.h"
#include "core/status.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

using namespace gpt3;
using namespace gpt3::cuda;

namespace {
thread_local ActiveDevice *current = nullptr;

class CudaDevice : public Device {
public:
  CudaDevice(const DriverApi &api, int32_t ordinal, CUdevice device,
             CUcontext context, CUstream stream, bool graphs, bool profile)
      : api_(api), ordinal_(ordinal), device_(device), context_(context),
        graphs_(graphs && !profile) {
    active_.api = &api;
    active_.stream = stream;
    if (profile) {
      profile_ = std::make_unique<KernelProfile>(api);
      active_.profile = profile_.get();
    }
  }
  ~CudaDevice() override {
    api_.cuCtxSetCurrent(context_);
    if (profile_) {
      api_.cuStreamSynchronize(active_.stream);
      profile_->collect();
      std::fputs(profile_->report(deviceName(id())).c_str(), stderr);
      profile_.reset();
    }
    for (auto &[fn, graph] : entryGraphs_)
      if (graph.exec)
        api_.cuGraphExecDestroy(graph.exec);
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
    EntryGraph &graph = entryGraphs_[fn];
    if (graphs_ && graph.warm && !graph.direct)
      runAsGraph(fn, args, graph);
    else
      fn(args);
    graph.warm = true;
    current = nullptr;
    if (!active_.error.empty())
      return makeStatus(GPT3_STATUS_INTERNAL, active_.error);
    return nullptr;
  }
  gpt3_status_t synchronize() override {
    gpt3_status_t status = check(
        "run the entry point", enter(api_.cuStreamSynchronize(active_.stream)));
    if (!status && profile_)
      profile_->collect();
    return status;
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

  /// An entry point's graph: none before its first call; `direct` once
  /// capturing it failed (its launches then go one by one).
  struct EntryGraph {
    bool warm = false;
    bool direct = false;
    CUgraphExec exec = nullptr;
  };

  /// Runs `fn` captured: its launches become a graph that updates (or
  /// replaces) the entry's executable graph, launched as one. Where the
  /// driver refuses any step, nothing has run yet, and `fn` runs directly.
  void runAsGraph(EntryFn fn, void **args, EntryGraph &graph) {
    CUstream stream = active_.stream;
    if (api_.cuStreamBeginCapture(
            stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL) != CUDA_SUCCESS)
      return runDirectly(fn, args, graph);
    fn(args);
    CUgraph captured = nullptr;
    CUresult ended = api_.cuStreamEndCapture(stream, &captured);
    if (ended != CUDA_SUCCESS || !active_.error.empty() || !captured) {
      if (captured)
        api_.cuGraphDestroy(captured);
      return runDirectly(fn, args, graph);
    }
    if (graph.exec) {
      CUgraphExecUpdateResultInfo info{};
      if (api_.cuGraphExecUpdate(graph.exec, captured, &info) != CUDA_SUCCESS) {
        api_.cuGraphExecDestroy(graph.exec);
        graph.exec = nullptr;
      }
    }
    CUresult instantiated = CUDA_SUCCESS;
    if (!graph.exec)
      instantiated = api_.cuGraphInstantiateWithFlags(&graph.exec, captured, 0);
    api_.cuGraphDestroy(captured);
    if (instantiated != CUDA_SUCCESS) {
      graph.exec = nullptr;
      return runDirectly(fn, args, graph);
    }
    if (CUresult r = api_.cuGraphLaunch(graph.exec, stream))
      active_.error = "cannot launch the kernels' graph: " + errorName(api_, r);
  }
  void runDirectly(EntryFn fn, void **args, EntryGraph &graph) {
    graph.direct = true;
    active_.error.clear();
    fn(args);
  }

  const DriverApi &api_;
  int32_t ordinal_;
  CUdevice device_;
  CUcontext context_;
  ActiveDevice active_;
  bool graphs_;
  std::unordered_map<EntryFn, EntryGraph> entryGraphs_;
  std::unique_ptr<KernelProfile> profile_;
};
} // namespace

ActiveDevice *gpt3::cuda::activeDevice() { return current; }

std::unique_ptr<Device>
gpt3::cuda::makeCudaDevice(const DriverApi &api, int32_t ordinal,
                           CUdevice device, CUcontext context, CUstream stream,
                           bool graphs, bool profile) {
  return std::make_unique<CudaDevice>(api, ordinal, device, context, stream,
                                      graphs, profile);
}

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
  // GPT3_CUDA_GRAPHS=0 launches every kernel by itself (for profilers
  // that attribute time per launch); GPT3_CUDA_PROFILE=1 times each.
  auto set = [](const char *name) {
    const char *value = std::getenv(name);
    return value && *value && std::strcmp(value, "0") != 0;
  };
  const char *graphs = std::getenv("GPT3_CUDA_GRAPHS");
  out = cuda::makeCudaDevice(*api, ordinal, device, context, stream,
                             !graphs || std::strcmp(graphs, "0") != 0,
                             set("GPT3_CUDA_PROFILE"));
  return nullptr;
}
