//===- profile.cpp - GPU time per kernel ------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "cuda/profile.h"

#include <algorithm>
#include <cstdio>

using namespace gpt3::cuda;

KernelProfile::~KernelProfile() {
  for (const Pending &p : pending_) {
    api_.cuEventDestroy(p.start);
    api_.cuEventDestroy(p.end);
  }
  for (CUevent e : free_)
    api_.cuEventDestroy(e);
}

CUevent KernelProfile::event() {
  if (!free_.empty()) {
    CUevent e = free_.back();
    free_.pop_back();
    return e;
  }
  CUevent e = nullptr;
  // Flags 0: events that record time.
  if (api_.cuEventCreate(&e, 0) != CUDA_SUCCESS)
    return nullptr;
  return e;
}

void KernelProfile::before(CUstream stream, const char *name) {
  Pending p{name, event(), event()};
  if (p.start)
    api_.cuEventRecord(p.start, stream);
  pending_.push_back(p);
}

void KernelProfile::after(CUstream stream) {
  if (!pending_.empty() && pending_.back().end)
    api_.cuEventRecord(pending_.back().end, stream);
}

void KernelProfile::collect() {
  for (const Pending &p : pending_) {
    float ms = 0;
    if (p.start && p.end &&
        api_.cuEventElapsedTime(&ms, p.start, p.end) == CUDA_SUCCESS) {
      Total &total = totals_[p.name];
      ++total.launches;
      total.ms += ms;
    }
    for (CUevent e : {p.start, p.end})
      if (e)
        free_.push_back(e);
  }
  pending_.clear();
}

std::string KernelProfile::report(const std::string &device) const {
  if (totals_.empty())
    return "";
  std::vector<std::pair<std::string, Total>> rows(totals_.begin(),
                                                  totals_.end());
  std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
    return a.second.ms > b.second.ms;
  });
  double all = 0;
  for (const auto &row : rows)
    all += row.second.ms;
  char line[512];
  std::snprintf(line, sizeof line,
                "GPU time per kernel on %s (%.3f ms in all):\n", device.c_str(),
                all);
  std::string out =
      std::string(line) + "  ms total  launches  us/launch   share  kernel\n";
  for (const auto &[name, total] : rows) {
    std::snprintf(line, sizeof line, "%10.3f %9ld %10.2f %6.1f%%  %s\n",
                  total.ms, total.launches, 1e3 * total.ms / total.launches,
                  all > 0 ? 100.0 * total.ms / all : 0.0, name.c_str());
    out += line;
  }
  return out;
}
