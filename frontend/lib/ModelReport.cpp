//===- ModelReport.cpp - Human-readable model summaries ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tfm/Frontend/ModelReport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

using namespace llvm;

namespace mlir::tfm {
namespace {
/// "125,239,296".
std::string withCommas(int64_t value) {
  std::string digits = std::to_string(value), result;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      result += ',';
    result += digits[i];
  }
  return result;
}

std::string shapeString(ArrayRef<int64_t> shape) {
  return join(map_range(shape, [](int64_t d) { return std::to_string(d); }),
              " x ");
}

/// The indices of the local (or the dense) layers, space-separated.
std::string layerList(const ModelConfig &config, bool local) {
  SmallVector<std::string> layers;
  for (auto [layer, window] : enumerate(config.windows))
    if ((window != 0) == local)
      layers.push_back(std::to_string(layer));
  return join(layers, " ");
}

/// What result `i` of `func` is, as a group name for a run of like results
/// ("gradients") or, for a result of its own, its name or type.
std::pair<std::string, bool> resultKind(func::FuncOp func, unsigned i) {
  if (auto output = func.getResultAttrOfType<StringAttr>(i, "tfm.output")) {
    if (output.getValue().starts_with("grad."))
      return {"gradients", true};
    return {output.getValue().str(), false};
  }
  if (func.getResultAttr(i, "tfm.param"))
    return {"updated parameters", true};
  if (auto state = func.getResultAttrOfType<StringAttr>(i, "tfm.state")) {
    StringRef name = state.getValue();
    if (name.ends_with("_cache"))
      return {"key/value caches", true};
    if (name.starts_with("m."))
      return {"first moments", true};
    if (name.starts_with("v."))
      return {"second moments", true};
    return {"states", true};
  }
  std::string type;
  raw_string_ostream os(type);
  os << func.getResultTypes()[i];
  return {type, false};
}

/// The results of `func` with runs of like results counted: "loss,
/// grad_norm, 52 gradients, 52 updated parameters, ...".
std::string resultList(func::FuncOp func) {
  SmallVector<std::string> parts;
  unsigned n = func.getNumResults();
  for (unsigned i = 0; i < n;) {
    auto [kind, grouped] = resultKind(func, i);
    unsigned end = i + 1;
    while (grouped && end < n && resultKind(func, end).first == kind)
      ++end;
    parts.push_back(grouped ? std::to_string(end - i) + " " + kind : kind);
    i = end;
  }
  return join(parts, ", ");
}
} // namespace

std::string formatCount(int64_t count) {
  if (count >= 1'000'000'000)
    return formatv("{0:f1}B", count / 1e9).str();
  if (count >= 1'000'000)
    return formatv("{0:f1}M", count / 1e6).str();
  if (count >= 1'000)
    return formatv("{0:f1}K", count / 1e3).str();
  return std::to_string(count);
}

void printParameterTable(const ModelConfig &config, raw_ostream &os) {
  std::vector<ParamSpec> specs = parameterSpecs(config);
  size_t nameWidth = 4;
  for (const ParamSpec &spec : specs)
    nameWidth = std::max(nameWidth, spec.name.size());
  os << formatv("{0,-5} {1} {2,-15} {3,15}\n", "#",
                left_justify("name", nameWidth), "shape", "elements");
  int64_t total = 0;
  for (auto [index, spec] : enumerate(specs)) {
    os << formatv("{0,-5} {1} {2,-15} {3,15}\n", index,
                  left_justify(spec.name, nameWidth), shapeString(spec.shape),
                  withCommas(spec.numElements()));
    total += spec.numElements();
  }
  os << "total: " << withCommas(total) << " parameters (" << formatCount(total)
     << ") in " << specs.size() << " tensors\n";
}

void printSummary(const ModelConfig &config, ModuleOp module, raw_ostream &os) {
  os << "model       " << config.name << "\n";
  os << "layers      " << config.numLayers << "\n";
  os << "width       " << config.width << ", " << config.numHeads
     << " heads of " << config.headDim() << ", MLP " << config.mlpWidth << "\n";
  os << "vocabulary  " << config.vocabSize << ", context " << config.contextSize
     << ", layer norm epsilon " << format("%g", config.layerNormEpsilon)
     << "\n";
  os << "dense       layers " << layerList(config, false) << "\n";
  std::string local = layerList(config, true);
  if (!local.empty()) {
    int64_t window = *find_if(config.windows, [](int64_t w) { return w; });
    bool uniform = all_of(config.windows,
                          [&](int64_t w) { return w == 0 || w == window; });
    os << "local       layers " << local << " (window "
       << (uniform ? std::to_string(window) : std::string("varies")) << ")\n";
  }
  os << "parameters  " << withCommas(config.numParameters()) << " ("
     << formatCount(config.numParameters()) << ")\n";

  for (auto func : module.getOps<func::FuncOp>()) {
    MapVector<StringRef, int64_t> counts;
    func.walk([&](Operation *op) {
      if (!isa<func::FuncOp, func::ReturnOp>(op))
        ++counts[op->getName().getStringRef()];
    });
    os << "\n@" << func.getSymName() << ": " << func.getNumArguments()
       << " arguments -> " << resultList(func) << "\n";
    for (auto [name, count] : counts)
      os << formatv("  {0,-20} {1,6}\n", name, count);
  }
}

} // namespace mlir::tfm
