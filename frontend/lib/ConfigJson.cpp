//===- ConfigJson.cpp - Hugging Face config.json reader ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Reads the `config.json` of a Hugging Face GPT-2 (`model_type: gpt2`) or
// GPT-Neo (`model_type: gpt_neo`) model. Every diagnostic starts with the file
// name and names the offending field; unknown fields are ignored because
// Hugging Face configs carry many that do not affect the graph.
//
//===----------------------------------------------------------------------===//

#include "tfm/Frontend/ModelConfig.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

#include <optional>

using namespace llvm;

namespace mlir::tfm {
namespace {

/// Describes a JSON value's kind for "expected X, got Y" messages.
std::string describe(const json::Value &value) {
  switch (value.kind()) {
  case json::Value::Null:
    return "null";
  case json::Value::Boolean:
    return "a boolean";
  case json::Value::Number:
    return formatv("the number {0}", value).str();
  case json::Value::String:
    return formatv("the string {0}", value).str();
  case json::Value::Array:
    return "an array";
  case json::Value::Object:
    return "an object";
  }
  llvm_unreachable("unknown JSON kind");
}

/// Typed access to the fields of the top-level object, with errors that name
/// the file and the field.
class Fields {
public:
  Fields(const json::Object &object, StringRef fileName)
      : object(object), fileName(fileName) {}

  Error error(const Twine &message) const {
    return createStringError(inconvertibleErrorCode(),
                             fileName + ": " + message);
  }

  bool has(StringRef key) const {
    const json::Value *value = object.get(key);
    return value && value->kind() != json::Value::Null;
  }

  /// A required integer field.
  Expected<int64_t> integer(StringRef key) const {
    if (!has(key))
      return error("missing required field '" + key + "'");
    Expected<std::optional<int64_t>> value = optionalInteger(key);
    if (!value)
      return value.takeError();
    return **value;
  }

  /// An integer field that may be absent or null.
  Expected<std::optional<int64_t>> optionalInteger(StringRef key) const {
    if (!has(key))
      return std::nullopt;
    const json::Value &value = *object.get(key);
    if (std::optional<int64_t> v = value.getAsInteger())
      return v;
    return error("field '" + key + "' must be an integer, got " +
                 describe(value));
  }

  Expected<std::optional<double>> optionalNumber(StringRef key) const {
    if (!has(key))
      return std::nullopt;
    const json::Value &value = *object.get(key);
    if (std::optional<double> v = value.getAsNumber())
      return v;
    return error("field '" + key + "' must be a number, got " +
                 describe(value));
  }

  Expected<std::optional<StringRef>> optionalString(StringRef key) const {
    if (!has(key))
      return std::nullopt;
    const json::Value &value = *object.get(key);
    if (std::optional<StringRef> v = value.getAsString())
      return v;
    return error("field '" + key + "' must be a string, got " +
                 describe(value));
  }

  Expected<std::optional<bool>> optionalBool(StringRef key) const {
    if (!has(key))
      return std::nullopt;
    const json::Value &value = *object.get(key);
    if (std::optional<bool> v = value.getAsBoolean())
      return v;
    return error("field '" + key + "' must be a boolean, got " +
                 describe(value));
  }

  const json::Value *get(StringRef key) const { return object.get(key); }

private:
  const json::Object &object;
  StringRef fileName;
};

/// Reads the fields GPT-2 and GPT-Neo share under different names: the MLP
/// width, the layer norm epsilon and the activation.
Error readCommon(const Fields &fields, StringRef mlpKey, ModelConfig &config) {
  Expected<std::optional<int64_t>> mlp = fields.optionalInteger(mlpKey);
  if (!mlp)
    return mlp.takeError();
  config.mlpWidth = mlp->value_or(4 * config.width);

  Expected<std::optional<double>> eps =
      fields.optionalNumber("layer_norm_epsilon");
  if (!eps)
    return eps.takeError();
  config.layerNormEpsilon = eps->value_or(1e-5);

  // All three names denote the tanh approximation that tfm.gelu computes.
  Expected<std::optional<StringRef>> act =
      fields.optionalString("activation_function");
  if (!act)
    return act.takeError();
  if (*act &&
      !is_contained({"gelu_new", "gelu_pytorch_tanh", "gelu_fast"}, **act))
    return fields.error("activation_function '" + **act +
                        "' is not supported; expected 'gelu_new' (the tanh "
                        "GELU of GPT-2 and GPT-3)");

  Expected<std::optional<bool>> tied =
      fields.optionalBool("tie_word_embeddings");
  if (!tied)
    return tied.takeError();
  if (*tied && !**tied)
    return fields.error("tie_word_embeddings is false; only models whose "
                        "output projection is the token embedding are "
                        "supported");
  return Error::success();
}

Error readGpt2(const Fields &fields, ModelConfig &config) {
  for (auto [key, field] :
       {std::pair<StringRef, int64_t *>{"n_layer", &config.numLayers},
        {"n_embd", &config.width},
        {"n_head", &config.numHeads},
        {"vocab_size", &config.vocabSize}}) {
    Expected<int64_t> value = fields.integer(key);
    if (!value)
      return value.takeError();
    *field = *value;
  }
  // Older configs name the context n_ctx; newer ones n_positions.
  Expected<int64_t> context =
      fields.integer(fields.has("n_positions") ? "n_positions" : "n_ctx");
  if (!context)
    return context.takeError();
  config.contextSize = *context;

  Expected<std::optional<bool>> scaleByLayer =
      fields.optionalBool("scale_attn_by_inverse_layer_idx");
  if (!scaleByLayer)
    return scaleByLayer.takeError();
  if (*scaleByLayer && **scaleByLayer)
    return fields.error("scale_attn_by_inverse_layer_idx is not supported");

  // An absurd layer count is left for validate() to report, not allocated.
  if (config.numLayers >= 1 && config.numLayers <= 1024)
    config.windows.assign(config.numLayers, 0);
  return readCommon(fields, "n_inner", config);
}

/// Reads GPT-Neo's per-layer pattern, either the expanded `attention_layers`
/// list or the run-length `attention_types` ([[["global", "local"], 12]]).
Expected<std::vector<std::string>> readNeoLayerKinds(const Fields &fields) {
  std::vector<std::string> kinds;
  auto kindOf = [&](const json::Value &value) -> Error {
    std::optional<StringRef> kind = value.getAsString();
    if (!kind || (*kind != "global" && *kind != "local"))
      return fields.error("attention layer kinds must be \"global\" or "
                          "\"local\", got " +
                          describe(value));
    kinds.push_back(kind->str());
    return Error::success();
  };
  if (fields.has("attention_layers")) {
    const json::Array *layers = fields.get("attention_layers")->getAsArray();
    if (!layers)
      return fields.error("field 'attention_layers' must be an array, got " +
                          describe(*fields.get("attention_layers")));
    for (const json::Value &layer : *layers)
      if (Error e = kindOf(layer))
        return std::move(e);
    return kinds;
  }
  if (!fields.has("attention_types"))
    return fields.error(
        "missing required field 'attention_types' (or 'attention_layers')");
  const json::Array *groups = fields.get("attention_types")->getAsArray();
  if (!groups)
    return fields.error("field 'attention_types' must be an array, got " +
                        describe(*fields.get("attention_types")));
  for (const json::Value &group : *groups) {
    const json::Array *pair = group.getAsArray();
    const json::Array *pattern =
        pair && pair->size() == 2 ? (*pair)[0].getAsArray() : nullptr;
    std::optional<int64_t> repeat =
        pair && pair->size() == 2 ? (*pair)[1].getAsInteger() : std::nullopt;
    if (!pattern || !repeat || *repeat < 0 || *repeat > 1024)
      return fields.error("each entry of 'attention_types' must be "
                          "[[kinds...], repeat count], got " +
                          formatv("{0}", group).str());
    for (int64_t r = 0; r < *repeat; ++r)
      for (const json::Value &kind : *pattern)
        if (Error e = kindOf(kind))
          return std::move(e);
  }
  return kinds;
}

Error readGptNeo(const Fields &fields, ModelConfig &config) {
  for (auto [key, field] :
       {std::pair<StringRef, int64_t *>{"num_layers", &config.numLayers},
        {"hidden_size", &config.width},
        {"num_heads", &config.numHeads},
        {"vocab_size", &config.vocabSize},
        {"max_position_embeddings", &config.contextSize}}) {
    Expected<int64_t> value = fields.integer(key);
    if (!value)
      return value.takeError();
    *field = *value;
  }
  Expected<std::vector<std::string>> kinds = readNeoLayerKinds(fields);
  if (!kinds)
    return kinds.takeError();
  if (static_cast<int64_t>(kinds->size()) != config.numLayers)
    return fields.error("attention pattern lists " + Twine(kinds->size()) +
                        " layers, but num_layers is " +
                        Twine(config.numLayers));
  int64_t window = 0;
  if (is_contained(*kinds, "local")) {
    Expected<int64_t> w = fields.integer("window_size");
    if (!w)
      return w.takeError();
    if (*w < 1)
      return fields.error("window_size must be at least 1, got " + Twine(*w));
    window = *w;
  }
  for (const std::string &kind : *kinds)
    config.windows.push_back(kind == "local" ? window : 0);
  return readCommon(fields, "intermediate_size", config);
}

/// Rewrites llvm::json's "[line:col, byte=N]: message" as "file:line:col:".
std::string formatParseError(StringRef fileName, StringRef message) {
  SmallVector<StringRef, 4> groups;
  static const Regex located("^\\[([0-9]+):([0-9]+), byte=[0-9]+\\]: (.*)$");
  if (located.match(message, &groups)) {
    // llvm::json counts columns from 1, except at the end of an empty input.
    StringRef column = groups[2] == "0" ? "1" : groups[2];
    return formatv("{0}:{1}:{2}: invalid JSON: {3}", fileName, groups[1],
                   column, groups[3])
        .str();
  }
  return formatv("{0}: invalid JSON: {1}", fileName, message).str();
}

/// A readable model name: `_name_or_path` when present, else the directory
/// of a `config.json`, else the file's stem.
std::string modelName(const Fields &fields, StringRef fileName) {
  if (fields.has("_name_or_path"))
    if (std::optional<StringRef> name =
            fields.get("_name_or_path")->getAsString();
        name && !name->empty())
      return name->str();
  StringRef stem = sys::path::stem(fileName);
  if (stem == "config") {
    StringRef dir = sys::path::filename(sys::path::parent_path(fileName));
    if (!dir.empty() && dir != ".")
      return dir.str();
  }
  return stem.str();
}
} // namespace

Expected<ModelConfig> parseConfigJson(StringRef text, StringRef fileName) {
  Expected<json::Value> root = json::parse(text);
  if (!root)
    return createStringError(
        inconvertibleErrorCode(),
        formatParseError(fileName, toString(root.takeError())));
  const json::Object *object = root->getAsObject();
  if (!object)
    return createStringError(inconvertibleErrorCode(),
                             fileName + ": expected a JSON object, got " +
                                 describe(*root));
  Fields fields(*object, fileName);

  Expected<std::optional<StringRef>> type = fields.optionalString("model_type");
  if (!type)
    return type.takeError();
  StringRef family;
  if (*type)
    family = **type;
  else if (fields.has("n_layer"))
    family = "gpt2";
  else if (fields.has("num_layers"))
    family = "gpt_neo";

  ModelConfig config;
  config.name = modelName(fields, fileName);
  if (family == "gpt2") {
    if (Error e = readGpt2(fields, config))
      return std::move(e);
  } else if (family == "gpt_neo") {
    if (Error e = readGptNeo(fields, config))
      return std::move(e);
  } else if (family.empty()) {
    return fields.error("cannot tell the model family: no 'model_type', "
                        "'n_layer' or 'num_layers' field");
  } else {
    return fields.error("model_type '" + family +
                        "' is not supported; expected 'gpt2' or 'gpt_neo'");
  }
  // Report range errors against the file, not the model name.
  std::string name = config.name;
  config.name = fileName.str();
  if (Error e = validate(config))
    return std::move(e);
  config.name = name;
  return config;
}

} // namespace mlir::tfm
