//===- driver_api.cpp - The CUDA driver API, loaded at run time -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "cuda/driver_api.h"

#include <dlfcn.h>
#include <mutex>

using namespace gpt3::cuda;

namespace {
/// Resolves `name` (or its _v2 version, which the driver's headers map the
/// plain names to) into `fn`.
template <typename Fn>
bool resolve(void *library, const char *name, Fn &fn, std::string &missing) {
  void *symbol = dlsym(library, (std::string(name) + "_v2").c_str());
  if (!symbol)
    symbol = dlsym(library, name);
  fn = reinterpret_cast<Fn>(symbol);
  if (!symbol && missing.empty())
    missing = name;
  return symbol != nullptr;
}
} // namespace

bool gpt3::cuda::loadDriver(const DriverApi *&api, std::string &why) {
  static DriverApi table;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      failure = std::string("no CUDA driver (cannot load libcuda.so.1: ") +
                dlerror() + ")";
      return;
    }
    std::string missing;
    resolve(library, "cuInit", table.cuInit, missing);
    resolve(library, "cuDeviceGetCount", table.cuDeviceGetCount, missing);
    resolve(library, "cuDeviceGet", table.cuDeviceGet, missing);
    resolve(library, "cuDeviceGetName", table.cuDeviceGetName, missing);
    resolve(library, "cuDevicePrimaryCtxRetain", table.cuDevicePrimaryCtxRetain,
            missing);
    resolve(library, "cuDevicePrimaryCtxRelease",
            table.cuDevicePrimaryCtxRelease, missing);
    resolve(library, "cuCtxSetCurrent", table.cuCtxSetCurrent, missing);
    resolve(library, "cuMemAlloc", table.cuMemAlloc, missing);
    resolve(library, "cuMemFree", table.cuMemFree, missing);
    resolve(library, "cuMemcpyHtoD", table.cuMemcpyHtoD, missing);
    resolve(library, "cuMemcpyDtoH", table.cuMemcpyDtoH, missing);
    resolve(library, "cuMemsetD8", table.cuMemsetD8, missing);
    resolve(library, "cuStreamCreate", table.cuStreamCreate, missing);
    resolve(library, "cuStreamDestroy", table.cuStreamDestroy, missing);
    resolve(library, "cuStreamSynchronize", table.cuStreamSynchronize, missing);
    resolve(library, "cuModuleLoadData", table.cuModuleLoadData, missing);
    resolve(library, "cuModuleGetFunction", table.cuModuleGetFunction, missing);
    resolve(library, "cuFuncSetAttribute", table.cuFuncSetAttribute, missing);
    resolve(library, "cuLaunchKernel", table.cuLaunchKernel, missing);
    resolve(library, "cuStreamBeginCapture", table.cuStreamBeginCapture,
            missing);
    resolve(library, "cuStreamEndCapture", table.cuStreamEndCapture, missing);
    resolve(library, "cuGraphInstantiateWithFlags",
            table.cuGraphInstantiateWithFlags, missing);
    resolve(library, "cuGraphExecUpdate", table.cuGraphExecUpdate, missing);
    resolve(library, "cuGraphLaunch", table.cuGraphLaunch, missing);
    resolve(library, "cuGraphDestroy", table.cuGraphDestroy, missing);
    resolve(library, "cuGraphExecDestroy", table.cuGraphExecDestroy, missing);
    resolve(library, "cuEventCreate", table.cuEventCreate, missing);
    resolve(library, "cuEventRecord", table.cuEventRecord, missing);
    resolve(library, "cuEventElapsedTime", table.cuEventElapsedTime, missing);
    resolve(library, "cuEventDestroy", table.cuEventDestroy, missing);
    resolve(library, "cuGetErrorName", table.cuGetErrorName, missing);
    if (!missing.empty())
      failure = "the CUDA driver (libcuda.so.1) lacks " + missing;
  });
  api = failure.empty() ? &table : nullptr;
  why = failure;
  return api != nullptr;
}

std::string gpt3::cuda::errorName(const DriverApi &api, CUresult result) {
  const char *name = nullptr;
  if (api.cuGetErrorName(result, &name) != CUDA_SUCCESS || !name) {
    // The toolkit's stub library, installed where no driver is, names
    // nothing; these are what it and a driverless machine report.
    switch (result) {
    case 34:
      name = "CUDA_ERROR_STUB_LIBRARY";
      break;
    case 35:
      name = "CUDA_ERROR_INSUFFICIENT_DRIVER";
      break;
    case 100:
      name = "CUDA_ERROR_NO_DEVICE";
      break;
    default:
      name = "unknown CUDA error";
    }
  }
  return std::string(name) + " (" + std::to_string(result) + ")";
}
