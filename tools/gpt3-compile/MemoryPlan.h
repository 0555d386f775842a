//===- MemoryPlan.h - What a compiled model needs in memory -----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Per entry point, the bytes a model binary holds while it runs: the
// weights, gradients and AdamW moments, the activations kept for the
// backward pass, the workspace's planned peak, the KV caches, and the
// inputs and outputs. Read off the manifest, after the buffer plan, so it
// is known before anything runs.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_COMPILE_MEMORYPLAN_H
#define GPT3_COMPILE_MEMORYPLAN_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>

namespace gpt3 {

/// Adds `memory` to every entry of `manifest` (which has its workspace
/// sizes): weights, gradients, moments, saved_activations (part of the
/// workspace), workspace, kv_caches, io and total, in bytes.
void addMemoryPlan(llvm::json::Object &manifest);

/// The table of the plan, one line per entry point.
void printMemoryPlan(const llvm::json::Object &manifest, llvm::raw_ostream &os);

/// "24GiB", "512MiB", "1.5GB", "1000000": bytes, or an error naming the
/// accepted forms.
llvm::Expected<int64_t> parseByteSize(llvm::StringRef text);

/// An error naming the entry points whose total exceeds `budget` bytes and
/// by how much, or success.
llvm::Error checkMemoryBudget(const llvm::json::Object &manifest,
                              int64_t budget);

} // namespace gpt3

#endif // GPT3_COMPILE_MEMORYPLAN_H
