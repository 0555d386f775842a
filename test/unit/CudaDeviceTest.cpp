//===- CudaDeviceTest.cpp - The GPU device where there is none --*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The machines that run the tests have no GPU: what the runtime must do
// there is say so, and never touch a GPU's memory as if it were the host's.
//
//===----------------------------------------------------------------------===//

#include "core/device.h"
#include "cuda/driver_api.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <unistd.h>

using namespace gpt3;

namespace {
TEST(CudaDeviceTest, NoDriverIsNotFound) {
  const cuda::DriverApi *api = nullptr;
  std::string why;
  if (cuda::loadDriver(api, why))
    GTEST_SKIP() << "a CUDA driver is installed here";
  std::unique_ptr<Device> device;
  gpt3_status_t status = createCudaDevice(0, device);
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(gpt3_status_code(status), GPT3_STATUS_NOT_FOUND);
  EXPECT_EQ(std::string(gpt3_status_message(status))
                .rfind("no CUDA driver (cannot load libcuda.so.1: ", 0),
            0u)
      << gpt3_status_message(status);
  EXPECT_EQ(device, nullptr);
  gpt3_status_free(status);
}

TEST(CudaDeviceTest, SavingGpuTensorsIsRefused) {
  float data[4] = {1, 2, 3, 4};
  gpt3_tensor_t tensor{};
  tensor.data = data;
  tensor.shape[0] = 4;
  tensor.rank = 1;
  tensor.dtype = GPT3_DTYPE_F32;
  tensor.device = {GPT3_DEVICE_CUDA, 0};
  const char *name = "wte.weight";
  std::string path = testing::TempDir() + "gpu.safetensors";
  gpt3_status_t status = gpt3_safetensors_save(path.c_str(), &name, &tensor, 1);
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(gpt3_status_code(status), GPT3_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(gpt3_status_message(status),
               "gpt3_safetensors_save: 'wte.weight' is in cuda:0 memory, "
               "not the host's");
  gpt3_status_free(status);
  EXPECT_NE(access(path.c_str(), F_OK), 0) << "a partial file was left";
}
} // namespace
