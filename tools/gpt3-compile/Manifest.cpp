//===- Manifest.cpp - Entry points and parameters of an artefact -*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include "tfm/Dialect/TfmDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;
namespace json = llvm::json;

namespace {
std::string dtypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isBF16())
    return "bf16";
  if (type.isInteger(32))
    return "i32";
  if (type.isInteger(64))
    return "i64";
  if (type.isInteger(8))
    return "i8";
  return "unknown";
}

json::Object tensorArg(std::string name, std::string kind, Type type) {
  auto tensor = cast<ShapedType>(type);
  json::Array shape;
  for (int64_t d : tensor.getShape())
    shape.push_back(d);
  return json::Object{{"name", name},
                      {"kind", kind},
                      {"dtype", dtypeName(tensor.getElementType())},
                      {"shape", std::move(shape)}};
}
/// How the entry points take a parameter (a stack's layers as the stack):
/// its element type, f32 unless --dtype bf16 keeps it in bf16, and its
/// layout in the arena, "panels" for a weight packed at load.
struct ParamStorage {
  Type element;
  StringRef layout;
};
llvm::StringMap<ParamStorage> paramStorage(ModuleOp module) {
  llvm::StringMap<ParamStorage> storage;
  for (auto func : module.getOps<func::FuncOp>())
    for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
      auto param = func.getArgAttrOfType<StringAttr>(i, "tfm.param");
      if (!param)
        continue;
      ParamStorage how{cast<ShapedType>(type).getElementType(), ""};
      if (auto layout = func.getArgAttrOfType<StringAttr>(i, "tfm.layout"))
        how.layout = layout.getValue();
      storage[param.getValue()] = how;
      if (auto layers = func.getArgAttrOfType<ArrayAttr>(i, "tfm.layers"))
        for (StringRef name : layers.getAsValueRange<StringAttr>())
          storage[name] = how;
    }
  return storage;
}

/// A stack's layers, in order, under their own names.
json::Array layerNames(ArrayAttr layers) {
  json::Array names;
  for (StringRef name : layers.getAsValueRange<StringAttr>())
    names.push_back(name.str());
  return names;
}
} // namespace

json::Object gpt3::describeModule(ModuleOp module,
                                  const tfm::ModelConfig &config) {
  json::Array windows;
  for (int64_t w : config.windows)
    windows.push_back(w);
  json::Object cfg{{"name", config.name},
                   {"n_layer", config.numLayers},
                   {"n_embd", config.width},
                   {"n_head", config.numHeads},
                   {"vocab_size", config.vocabSize},
                   {"n_ctx", config.contextSize},
                   {"n_inner", config.mlpWidth},
                   {"layer_norm_epsilon", config.layerNormEpsilon},
                   {"windows", std::move(windows)}};

  // In the weight arena's order, so that each stacked argument is a view.
  json::Array params;
  llvm::StringMap<ParamStorage> storage = paramStorage(module);
  for (const tfm::ParamSpec &spec : tfm::arenaOrder(config)) {
    json::Array shape;
    for (int64_t d : spec.shape)
      shape.push_back(d);
    ParamStorage how = storage.lookup(spec.name);
    json::Object param{{"name", spec.name},
                       {"dtype", how.element ? dtypeName(how.element) : "f32"},
                       {"shape", std::move(shape)}};
    if (!how.layout.empty())
      param["layout"] = how.layout.str();
    params.push_back(std::move(param));
  }

  json::Array entries;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isPrivate())
      continue;
    json::Array args;
    for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
      if (auto input = func.getArgAttrOfType<StringAttr>(i, "tfm.input")) {
        args.push_back(tensorArg(input.getValue().str(), "input", type));
        continue;
      }
      auto param = func.getArgAttrOfType<StringAttr>(i, "tfm.param");
      auto state = func.getArgAttrOfType<StringAttr>(i, "tfm.state");
      if (!param && !state)
        continue;
      json::Object arg = tensorArg((param ? param : state).getValue().str(),
                                   param ? "param" : "state", type);
      if (auto layers = func.getArgAttrOfType<ArrayAttr>(i, "tfm.layers"))
        arg["layers"] = layerNames(layers);
      if (auto whole =
              func.getArgAttrOfType<DenseI64ArrayAttr>(i, "tfm.shard_of")) {
        json::Array shape;
        for (int64_t d : whole.asArrayRef())
          shape.push_back(d);
        arg["shard_of"] = std::move(shape);
      }
      args.push_back(std::move(arg));
    }
    // Results become out-parameters after the arguments, in order; results
    // that hand back a state are updated in place and take no parameter,
    // results that update a parameter in place take none either.
    std::string output = func.getSymName() == "loss" ? "loss" : "logits";
    for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
      if (func.getResultAttr(i, "tfm.state") ||
          func.getResultAttr(i, "tfm.param"))
        continue;
      std::string name = i == 0 ? output : output + "." + std::to_string(i);
      if (auto named = func.getResultAttrOfType<StringAttr>(i, "tfm.output"))
        name = named.getValue().str();
      json::Object arg = tensorArg(name, "output", type);
      if (auto layers = func.getResultAttrOfType<ArrayAttr>(i, "tfm.layers"))
        arg["layers"] = layerNames(layers);
      args.push_back(std::move(arg));
    }
    entries.push_back(
        json::Object{{"name", func.getSymName().str()},
                     {"symbol", ("gpt3_entry_" + func.getSymName()).str()},
                     {"args", std::move(args)}});
  }

  auto shapeAttr = module->getAttrOfType<DictionaryAttr>("tfm.config");
  int64_t batch = 0, seq = 0;
  if (shapeAttr) {
    if (auto b = shapeAttr.getAs<IntegerAttr>("batch"))
      batch = b.getInt();
    if (auto s = shapeAttr.getAs<IntegerAttr>("seq"))
      seq = s.getInt();
  }
  auto matmulType =
      module->getAttrOfType<TypeAttr>(tfm::TfmDialect::kMatmulTypeAttrName);
  auto ranks =
      module->getAttrOfType<IntegerAttr>(tfm::TfmDialect::kRanksAttrName);
  return json::Object{
      {"format", "gpt3-artefact"},
      {"version", 1},
      {"config", std::move(cfg)},
      {"batch", batch},
      {"seq", seq},
      {"matmul_dtype", matmulType ? dtypeName(matmulType.getValue()) : "f32"},
      {"ranks", ranks ? ranks.getInt() : 1},
      {"zero", module->hasAttr(tfm::TfmDialect::kZeroAttrName) ? 1 : 0},
      {"params", std::move(params)},
      {"entries", std::move(entries)}};
}

void gpt3::addWorkspaceSizes(json::Object &manifest, ModuleOp lowered) {
  json::Array *entries = manifest.getArray("entries");
  if (!entries)
    return;
  for (json::Value &entry : *entries) {
    json::Object *object = entry.getAsObject();
    std::optional<StringRef> name = object->getString("name");
    auto func = lowered.lookupSymbol<LLVM::LLVMFuncOp>(*name);
    int64_t bytes = 0;
    int64_t saved = 0;
    if (func) {
      if (auto attr = func->getAttrOfType<IntegerAttr>("tfm.workspace_bytes"))
        bytes = attr.getInt();
      if (auto attr =
              func->getAttrOfType<IntegerAttr>("tfm.saved_activation_bytes"))
        saved = attr.getInt();
    }
    (*object)["workspace_bytes"] = bytes;
    (*object)["saved_activation_bytes"] = saved;
    if (json::Array *args = object->getArray("args"))
      args->push_back(json::Object{{"name", "workspace"},
                                   {"kind", "workspace"},
                                   {"dtype", "i8"},
                                   {"shape", json::Array{bytes}}});
  }
}

void gpt3::addKernelLaunches(json::Object &manifest, ModuleOp lowered) {
  json::Array *entries = manifest.getArray("entries");
  if (!entries)
    return;
  for (json::Value &entry : *entries) {
    json::Object *object = entry.getAsObject();
    auto func =
        lowered.lookupSymbol<LLVM::LLVMFuncOp>(*object->getString("name"));
    auto kernels =
        func ? func->getAttrOfType<ArrayAttr>("tfm.kernels") : ArrayAttr();
    if (!kernels)
      continue;
    json::Array launches;
    for (auto kernel : kernels.getAsRange<DictionaryAttr>()) {
      auto dims = [&](StringRef name) {
        json::Array out;
        for (int64_t d : cast<DenseI64ArrayAttr>(kernel.get(name)).asArrayRef())
          out.push_back(d);
        return out;
      };
      launches.push_back(json::Object{
          {"kernel", cast<StringAttr>(kernel.get("kernel")).getValue()},
          {"grid", dims("grid")},
          {"block", dims("block")},
          {"shared_memory",
           cast<IntegerAttr>(kernel.get("shared_memory")).getInt()},
          {"launches", cast<IntegerAttr>(kernel.get("launches")).getInt()},
      });
    }
    (*object)["kernels"] = std::move(launches);
  }
}
