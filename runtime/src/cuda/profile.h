//===- profile.h - GPU time per kernel --------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// With GPT3_CUDA_PROFILE=1, a GPU context times every launch between two
// events and, when it is released, prints the GPU time of each kernel: the
// numbers the device checks set beside cuBLAS and SDPA, kernel by kernel.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_CUDA_PROFILE_H
#define GPT3_RUNTIME_CUDA_PROFILE_H

#include "cuda/driver_api.h"

#include <map>
#include <string>
#include <vector>

namespace gpt3::cuda {

class KernelProfile {
public:
  explicit KernelProfile(const DriverApi &api) : api_(api) {}
  ~KernelProfile();
  KernelProfile(const KernelProfile &) = delete;
  KernelProfile &operator=(const KernelProfile &) = delete;

  /// Around a launch of kernel `name` on `stream`.
  void before(CUstream stream, const char *name);
  void after(CUstream stream);
  /// Adds up the launches since the last collect(); the stream must be
  /// idle.
  void collect();
  /// One line per kernel, the most time first; empty if nothing ran.
  std::string report(const std::string &device) const;

private:
  struct Pending {
    const char *name;
    CUevent start, end;
  };
  struct Total {
    long launches = 0;
    double ms = 0;
  };
  CUevent event();

  const DriverApi &api_;
  std::vector<Pending> pending_;
  std::vector<CUevent> free_;
  std::map<std::string, Total> totals_;
};

} // namespace gpt3::cuda

#endif // GPT3_RUNTIME_CUDA_PROFILE_H
