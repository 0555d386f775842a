//===- MemoryPlan.cpp - What a compiled model needs in memory ---*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "MemoryPlan.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

#include <cmath>

using namespace llvm;

namespace {
int64_t elementBytes(StringRef dtype) {
  return dtype == "i8" ? 1 : dtype == "bf16" ? 2 : dtype == "i64" ? 8 : 4;
}

int64_t tensorBytes(const json::Object &arg) {
  int64_t count = 1;
  if (const json::Array *shape = arg.getArray("shape"))
    for (const json::Value &d : *shape)
      count *= d.getAsInteger().value_or(0);
  return count * elementBytes(arg.getString("dtype").value_or("f32"));
}

/// "1.23 GiB".
std::string bytesText(int64_t bytes) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? std::to_string(bytes) + " B"
                   : formatv("{0:f2} {1}", value, units[unit]).str();
}

const char *const kColumns[] = {"weights",   "gradients", "moments",
                                "workspace", "kv_caches", "io"};
} // namespace

void gpt3::addMemoryPlan(json::Object &manifest) {
  int64_t weights = 0;
  if (const json::Array *params = manifest.getArray("params"))
    for (const json::Value &p : *params)
      weights += tensorBytes(*p.getAsObject());
  json::Array *entries = manifest.getArray("entries");
  if (!entries)
    return;
  for (json::Value &entry : *entries) {
    json::Object *object = entry.getAsObject();
    int64_t gradients = 0, moments = 0, caches = 0, io = 0, workspace = 0;
    for (const json::Value &a : *object->getArray("args")) {
      const json::Object &arg = *a.getAsObject();
      StringRef name = arg.getString("name").value_or("");
      StringRef kind = arg.getString("kind").value_or("");
      int64_t bytes = tensorBytes(arg);
      if (kind == "workspace")
        workspace = bytes;
      else if (kind == "state")
        (name.ends_with("_cache") ? caches : moments) += bytes;
      else if (kind == "output" && name.starts_with("grad."))
        gradients += bytes;
      else if (kind == "input" || kind == "output")
        io += bytes;
    }
    int64_t saved = object->getInteger("saved_activation_bytes").value_or(0);
    (*object)["memory"] = json::Object{
        {"weights", weights},
        {"gradients", gradients},
        {"moments", moments},
        {"saved_activations", saved},
        {"workspace", workspace},
        {"kv_caches", caches},
        {"io", io},
        {"total", weights + gradients + moments + workspace + caches + io}};
  }
}

void gpt3::printMemoryPlan(const json::Object &manifest, raw_ostream &os) {
  os << formatv("{0,-11}", "entry");
  for (const char *column : kColumns)
    os << formatv(" {0,12}", column);
  os << formatv(" {0,12}  {1}\n", "total", "(saved activations, in workspace)");
  for (const json::Value &entry : *manifest.getArray("entries")) {
    const json::Object &object = *entry.getAsObject();
    const json::Object &memory = *object.getObject("memory");
    os << formatv("{0,-11}", object.getString("name").value_or(""));
    for (const char *column : kColumns)
      os << formatv(" {0,12}",
                    bytesText(memory.getInteger(column).value_or(0)));
    os << formatv(
        " {0,12}  {1}\n", bytesText(memory.getInteger("total").value_or(0)),
        bytesText(memory.getInteger("saved_activations").value_or(0)));
  }
}

Expected<int64_t> gpt3::parseByteSize(StringRef text) {
  StringRef number =
      text.take_while([](char c) { return isDigit(c) || c == '.'; });
  StringRef unit = text.drop_front(number.size()).trim();
  double value = 0;
  static const std::pair<const char *, double> units[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1e3},
      {"MB", 1e6},
      {"GB", 1e9},
      {"TB", 1e12},
      {"KiB", 1024.0},
      {"MiB", 1024.0 * 1024},
      {"GiB", 1024.0 * 1024 * 1024},
      {"TiB", 1024.0 * 1024 * 1024 * 1024}};
  if (!number.empty() && !number.getAsDouble(value))
    for (auto [name, scale] : units)
      if (unit.equals_insensitive(name) && std::isfinite(value * scale))
        return static_cast<int64_t>(value * scale);
  return createStringError("'" + text +
                           "' is not a size; write bytes with an optional "
                           "unit: 24GiB, 512MiB, 1.5GB, 1000000");
}

Error gpt3::checkMemoryBudget(const json::Object &manifest, int64_t budget) {
  std::string shortfalls;
  for (const json::Value &entry : *manifest.getArray("entries")) {
    const json::Object &object = *entry.getAsObject();
    int64_t total = object.getObject("memory")->getInteger("total").value_or(0);
    if (total > budget)
      shortfalls +=
          formatv("{0}{1} needs {2}, {3} more than the budget of {4}",
                  shortfalls.empty() ? "" : "; ",
                  object.getString("name").value_or(""), bytesText(total),
                  bytesText(total - budget), bytesText(budget))
              .str();
  }
  if (shortfalls.empty())
    return Error::success();
  return createStringError(shortfalls);
}
