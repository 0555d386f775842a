//===- CudaLaunchTest.cpp - How an entry point's kernels launch -*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The GPU device against a recording stand-in for the driver: which calls
// an entry point's launches turn into, call after call (a CUDA graph from
// the second on), what happens when the driver refuses a capture, an
// update or an instantiation, and the time per kernel a profile reports.
//
//===----------------------------------------------------------------------===//

#include "cuda/device.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" void *mgpuModuleLoad(void *data, size_t);
extern "C" void *mgpuModuleGetFunction(void *module, const char *name);
extern "C" void *mgpuStreamCreate();
extern "C" void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                                 intptr_t gridZ, intptr_t blockX,
                                 intptr_t blockY, intptr_t blockZ,
                                 int32_t sharedMemory, void *stream,
                                 void **params, void **extra, size_t);

using namespace gpt3;
using namespace gpt3::cuda;

namespace {
/// What the stand-in driver was asked, and what it refuses.
struct Driver {
  std::vector<std::string> calls;
  bool refuseCapture = false, refuseUpdate = false, refuseInstantiate = false;
  bool capturing = false;
  int graphs = 0, execs = 0;
};
Driver *driver = nullptr;

CUresult record(const char *call, bool refuse = false) {
  driver->calls.push_back(call);
  return refuse ? 1 : CUDA_SUCCESS;
}
CUgraph fakeGraph() { return reinterpret_cast<CUgraph>(0x100); }

DriverApi standIn() {
  DriverApi api{};
  api.cuCtxSetCurrent = [](CUcontext) { return CUDA_SUCCESS; };
  api.cuStreamDestroy = [](CUstream) { return CUDA_SUCCESS; };
  api.cuDevicePrimaryCtxRelease = [](CUdevice) { return CUDA_SUCCESS; };
  api.cuFuncSetAttribute = [](CUfunction, int, int) { return CUDA_SUCCESS; };
  api.cuGetErrorName = [](CUresult, const char **name) {
    *name = "CUDA_ERROR_STAND_IN";
    return CUDA_SUCCESS;
  };
  api.cuLaunchKernel = [](CUfunction, unsigned, unsigned, unsigned, unsigned,
                          unsigned, unsigned, unsigned, CUstream, void **,
                          void **) {
    // While capturing, the driver records a launch into the graph.
    return record(driver->capturing ? "captured" : "launch");
  };
  api.cuStreamBeginCapture = [](CUstream, int mode) {
    EXPECT_EQ(mode, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
    driver->capturing = true;
    return record("begin-capture");
  };
  api.cuStreamEndCapture = [](CUstream, CUgraph *graph) {
    driver->capturing = false;
    *graph = driver->refuseCapture ? nullptr : fakeGraph();
    if (*graph)
      ++driver->graphs;
    return record("end-capture", driver->refuseCapture);
  };
  api.cuGraphExecUpdate = [](CUgraphExec, CUgraph graph,
                             CUgraphExecUpdateResultInfo *) {
    EXPECT_EQ(graph, fakeGraph());
    return record("update", driver->refuseUpdate);
  };
  api.cuGraphInstantiateWithFlags = [](CUgraphExec *exec, CUgraph,
                                       unsigned long long) {
    if (!driver->refuseInstantiate) {
      *exec = reinterpret_cast<CUgraphExec>(0x200);
      ++driver->execs;
    }
    return record("instantiate", driver->refuseInstantiate);
  };
  api.cuGraphLaunch = [](CUgraphExec, CUstream) {
    return record("graph-launch");
  };
  api.cuGraphDestroy = [](CUgraph) {
    --driver->graphs;
    return record("destroy-graph");
  };
  api.cuGraphExecDestroy = [](CUgraphExec) {
    --driver->execs;
    return record("destroy-exec");
  };
  api.cuModuleLoadData = [](CUmodule *module, const void *) {
    *module = reinterpret_cast<CUmodule>(0x300);
    return CUDA_SUCCESS;
  };
  api.cuModuleGetFunction = [](CUfunction *function, CUmodule, const char *) {
    *function = reinterpret_cast<CUfunction>(0x400);
    return CUDA_SUCCESS;
  };
  api.cuStreamSynchronize = [](CUstream) { return CUDA_SUCCESS; };
  api.cuEventCreate = [](CUevent *event, unsigned) {
    static uintptr_t next = 0x1000;
    *event = reinterpret_cast<CUevent>(next++);
    return CUDA_SUCCESS;
  };
  api.cuEventRecord = [](CUevent, CUstream) { return record("event"); };
  api.cuEventElapsedTime = [](float *ms, CUevent, CUevent) {
    *ms = 1.5f;
    return CUDA_SUCCESS;
  };
  api.cuEventDestroy = [](CUevent) { return CUDA_SUCCESS; };
  return api;
}

/// An entry point that launches two kernels.
void entry(void **) {
  void *stream = mgpuStreamCreate();
  for (int i = 0; i < 2; ++i)
    mgpuLaunchKernel(reinterpret_cast<void *>(0x10), 1, 1, 1, 32, 1, 1, 0,
                     stream, nullptr, nullptr, 0);
}

/// An entry point that looks its kernel up by name, then launches it.
void namedEntry(void **) {
  static void *module = mgpuModuleLoad(nullptr, 0);
  void *function = mgpuModuleGetFunction(module, "forward_matmul_8x8x8");
  void *stream = mgpuStreamCreate();
  for (int i = 0; i < 2; ++i)
    mgpuLaunchKernel(function, 1, 1, 1, 32, 1, 1, 0, stream, nullptr, nullptr,
                     0);
}

class CudaLaunchTest : public testing::Test {
protected:
  void SetUp() override { driver = &state; }
  void TearDown() override { driver = nullptr; }

  std::unique_ptr<Device> device(bool graphs = true, bool profile = false) {
    return makeCudaDevice(api, 0, 0, nullptr, reinterpret_cast<CUstream>(0x1),
                          graphs, profile);
  }
  /// The driver calls of one call of the entry point.
  std::vector<std::string> callOnce(Device &device) {
    state.calls.clear();
    gpt3_status_t status = device.call(entry, nullptr);
    EXPECT_EQ(status, nullptr) << gpt3_status_message(status);
    gpt3_status_free(status);
    return state.calls;
  }

  Driver state;
  DriverApi api = standIn();
  using Calls = std::vector<std::string>;
};

TEST_F(CudaLaunchTest, FirstCallDirectThenCapturedAndUpdated) {
  std::unique_ptr<Device> gpu = device();
  EXPECT_EQ(callOnce(*gpu), (Calls{"launch", "launch"}));
  EXPECT_EQ(callOnce(*gpu),
            (Calls{"begin-capture", "captured", "captured", "end-capture",
                   "instantiate", "destroy-graph", "graph-launch"}));
  EXPECT_EQ(callOnce(*gpu),
            (Calls{"begin-capture", "captured", "captured", "end-capture",
                   "update", "destroy-graph", "graph-launch"}));
  EXPECT_EQ(state.graphs, 0) << "a captured graph was kept";
  gpu.reset();
  EXPECT_EQ(state.execs, 0) << "the executable graph outlived the device";
}

TEST_F(CudaLaunchTest, RefusedUpdateInstantiatesAgain) {
  std::unique_ptr<Device> gpu = device();
  callOnce(*gpu);
  callOnce(*gpu);
  state.refuseUpdate = true;
  EXPECT_EQ(
      callOnce(*gpu),
      (Calls{"begin-capture", "captured", "captured", "end-capture", "update",
             "destroy-exec", "instantiate", "destroy-graph", "graph-launch"}));
  EXPECT_EQ(state.execs, 1);
}

TEST_F(CudaLaunchTest, RefusedCaptureRunsDirectlyFromThenOn) {
  std::unique_ptr<Device> gpu = device();
  callOnce(*gpu);
  state.refuseCapture = true;
  EXPECT_EQ(callOnce(*gpu), (Calls{"begin-capture", "captured", "captured",
                                   "end-capture", "launch", "launch"}));
  EXPECT_EQ(callOnce(*gpu), (Calls{"launch", "launch"}));
}

TEST_F(CudaLaunchTest, RefusedInstantiationRunsDirectly) {
  std::unique_ptr<Device> gpu = device();
  callOnce(*gpu);
  state.refuseInstantiate = true;
  EXPECT_EQ(callOnce(*gpu),
            (Calls{"begin-capture", "captured", "captured", "end-capture",
                   "instantiate", "destroy-graph", "launch", "launch"}));
  EXPECT_EQ(state.execs, 0);
}

TEST_F(CudaLaunchTest, WithoutGraphsEveryCallLaunchesDirectly) {
  std::unique_ptr<Device> gpu = device(/*graphs=*/false);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(callOnce(*gpu), (Calls{"launch", "launch"}));
}
TEST_F(CudaLaunchTest, ProfileTimesEachLaunchAndReportsPerKernel) {
  std::unique_ptr<Device> gpu = device(/*graphs=*/true, /*profile=*/true);
  for (int i = 0; i < 2; ++i) {
    state.calls.clear();
    gpt3_status_t status = gpu->call(namedEntry, nullptr);
    ASSERT_EQ(status, nullptr) << gpt3_status_message(status);
    // Timed launches are not captured: an event on each side of each.
    EXPECT_EQ(state.calls,
              (Calls{"event", "launch", "event", "event", "launch", "event"}));
    status = gpu->synchronize();
    ASSERT_EQ(status, nullptr) << gpt3_status_message(status);
  }
  testing::internal::CaptureStderr();
  gpu.reset();
  std::string report = testing::internal::GetCapturedStderr();
  EXPECT_NE(report.find("GPU time per kernel on cuda:0 (6.000 ms in all)"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("     6.000         4    1500.00  100.0%  "
                        "forward_matmul_8x8x8\n"),
            std::string::npos)
      << report;
}
} // namespace
