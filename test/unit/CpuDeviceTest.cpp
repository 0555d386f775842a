//===- CpuDeviceTest.cpp - The CPU's device operations ----------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "core/device.h"

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <numeric>
#include <vector>

using namespace gpt3;

namespace {
/// An entry point: doubles the n floats at args[0], n = *args[1].
void doubleAll(void **args) {
  float *data = static_cast<float *>(args[0]);
  int64_t n = *static_cast<int64_t *>(args[1]);
  for (int64_t i = 0; i < n; ++i)
    data[i] *= 2;
}

void *failingAllocate(void *, size_t, size_t) { return nullptr; }
void noDeallocate(void *, void *) {}

TEST(CpuDeviceTest, MovesDataInAndOutAndCallsEntries) {
  std::unique_ptr<Device> device =
      createCpuDevice(gpt3_allocator_system(), RTLD_DEFAULT, 0);
  EXPECT_EQ(device->id().type, GPT3_DEVICE_CPU);
  EXPECT_GE(device->threads(), 1);
  const int64_t n = 1000;
  std::vector<float> host(n);
  std::iota(host.begin(), host.end(), 0.5f);
  void *buffer = nullptr;
  ASSERT_EQ(device->allocate(n * sizeof(float), &buffer), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer) % 64, 0u);
  ASSERT_EQ(device->copyIn(buffer, host.data(), n * sizeof(float)), nullptr);

  int64_t count = n;
  void *args[2] = {buffer, &count};
  ASSERT_EQ(device->call(doubleAll, args), nullptr);
  ASSERT_EQ(device->synchronize(), nullptr);
  std::vector<float> back(n);
  ASSERT_EQ(device->copyOut(back.data(), buffer, n * sizeof(float)), nullptr);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(back[i], 2 * host[i]) << "at " << i;

  ASSERT_EQ(device->fillZero(buffer, n * sizeof(float)), nullptr);
  ASSERT_EQ(device->copyOut(back.data(), buffer, n * sizeof(float)), nullptr);
  for (float value : back)
    ASSERT_EQ(value, 0.0f);
  device->deallocate(buffer);
}

TEST(CpuDeviceTest, AllocationFailureIsAStatus) {
  std::unique_ptr<Device> device = createCpuDevice(
      {nullptr, failingAllocate, noDeallocate}, RTLD_DEFAULT, 0);
  void *buffer = nullptr;
  gpt3_status_t status = device->allocate(1 << 20, &buffer);
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(gpt3_status_code(status), GPT3_STATUS_RESOURCE_EXHAUSTED);
  EXPECT_STREQ(gpt3_status_message(status),
               "cannot allocate 1048576 bytes of CPU memory");
  gpt3_status_free(status);
}

TEST(CpuDeviceTest, Names) {
  EXPECT_EQ(deviceName({GPT3_DEVICE_CPU, 0}), "cpu");
  EXPECT_EQ(deviceName({GPT3_DEVICE_CUDA, 1}), "cuda:1");
}
} // namespace
