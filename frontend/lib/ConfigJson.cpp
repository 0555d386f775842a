//===- ConfigJson.cpp - Hugging Face config.json reader ---------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Reads the `config.json` of a Hugging Face GPT-2 (`model_type: gpt2`) or
// GPT-Neo (`model_type: gpt_neo`) model. Every diagnostic starts with the file
// name and names the offending field. A field that changes the model is
// honoured or rejected, never ignored: each family's fields are read, the
// other family's are refused, and fields with no effect on the computation
// (token ids, library metadata, the classification head) are accepted.
// Anything else is listed in one warning, as are dropout rates (training
// runs without dropout).
//
//===----------------------------------------------------------------------===//

#include "tfm/Frontend/ModelConfig.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

#include <cstdio>
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
    return createStringError(inconvertibleErrorCode(), located(message));
  }

  /// `message` prefixed with the file name.
  std::string located(const Twine &message) const {
    return (fileName + ": " + message).str();
  }

  /// Whether `key` is present and not null; either way it counts as read.
  bool has(StringRef key) const {
    read.insert(key);
    const json::Value *value = object.get(key);
    return value && value->kind() != json::Value::Null;
  }

  /// The present keys that nothing has read, sorted.
  SmallVector<StringRef> unread() const {
    SmallVector<StringRef> keys;
    for (const auto &entry : object)
      if (!read.contains(entry.first))
        keys.push_back(entry.first);
    llvm::sort(keys);
    return keys;
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

  const json::Value *get(StringRef key) const {
    read.insert(key);
    return object.get(key);
  }

private:
  const json::Object &object;
  StringRef fileName;
  mutable StringSet<> read;
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

  // Older configs carry both; they must agree.
  if (fields.has("n_positions") && fields.has("n_ctx")) {
    Expected<int64_t> ctx = fields.integer("n_ctx");
    if (!ctx)
      return ctx.takeError();
    if (*ctx != config.contextSize)
      return fields.error("n_ctx " + Twine(*ctx) +
                          " differs from n_positions " +
                          Twine(config.contextSize));
  }

  // Variants of GPT-2's attention that the model does not compute.
  for (auto [key, supported] :
       {std::pair<StringRef, bool>{"scale_attn_by_inverse_layer_idx", false},
        {"scale_attn_weights", true},
        {"add_cross_attention", false},
        {"is_encoder_decoder", false}}) {
    Expected<std::optional<bool>> value = fields.optionalBool(key);
    if (!value)
      return value.takeError();
    if (*value && **value != supported)
      return fields.error(key + " " + (**value ? "true" : "false") +
                          " is not supported");
  }
  // Attention in f32 already computes what the upcast asks for.
  if (Expected<std::optional<bool>> upcast =
          fields.optionalBool("reorder_and_upcast_attn");
      !upcast)
    return upcast.takeError();

  // An absurd layer count is left for validate() to report, not allocated.
  if (config.numLayers >= 1 && config.numLayers <= 1024)
    config.windows.assign(config.numLayers, 0);
  return readCommon(fields, "n_inner", config);
}

/// Reads GPT-Neo's per-layer pattern from the expanded `attention_layers`
/// list and the run-length `attention_types` ([[["global", "local"], 12]]);
/// where a config has both, they must agree.
Expected<std::vector<std::string>> readNeoLayerKinds(const Fields &fields) {
  auto kindOf = [&](const json::Value &value,
                    std::vector<std::string> &kinds) -> Error {
    std::optional<StringRef> kind = value.getAsString();
    if (!kind || (*kind != "global" && *kind != "local"))
      return fields.error("attention layer kinds must be \"global\" or "
                          "\"local\", got " +
                          describe(value));
    kinds.push_back(kind->str());
    return Error::success();
  };
  std::vector<std::string> listed, expanded;
  if (fields.has("attention_layers")) {
    const json::Array *layers = fields.get("attention_layers")->getAsArray();
    if (!layers)
      return fields.error("field 'attention_layers' must be an array, got " +
                          describe(*fields.get("attention_layers")));
    for (const json::Value &layer : *layers)
      if (Error e = kindOf(layer, listed))
        return std::move(e);
  }
  if (!fields.has("attention_types")) {
    if (fields.has("attention_layers"))
      return listed;
    return fields.error(
        "missing required field 'attention_types' (or 'attention_layers')");
  }
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
        if (Error e = kindOf(kind, expanded))
          return std::move(e);
  }
  if (fields.has("attention_layers") && listed != expanded)
    return fields.error("'attention_layers' and 'attention_types' describe "
                        "different layer patterns");
  return expanded;
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
  // Without a local layer the window changes nothing.
  if (is_contained(*kinds, "local") || fields.has("window_size")) {
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

/// `value` as a config file would write it: 0.1, 1e-05.
std::string shortNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

/// Fields that change a family's model. Each family's reader reads its own;
/// the other family's are refused, not ignored.
constexpr StringRef kGpt2Fields[] = {"n_layer",
                                     "n_embd",
                                     "n_head",
                                     "n_positions",
                                     "n_ctx",
                                     "n_inner",
                                     "attn_pdrop",
                                     "embd_pdrop",
                                     "resid_pdrop",
                                     "scale_attn_weights",
                                     "scale_attn_by_inverse_layer_idx",
                                     "add_cross_attention",
                                     "reorder_and_upcast_attn"};
constexpr StringRef kNeoFields[] = {
    "num_layers",        "hidden_size",
    "num_heads",         "max_position_embeddings",
    "intermediate_size", "attention_layers",
    "attention_types",   "window_size",
    "attention_dropout", "embed_dropout",
    "resid_dropout"};

/// Dropout rates: training runs without dropout, which a warning says.
constexpr StringRef kDropoutFields[] = {"attn_pdrop",    "embd_pdrop",
                                        "resid_pdrop",   "attention_dropout",
                                        "embed_dropout", "resid_dropout"};

/// Fields with no effect on the computation: token ids, library and hub
/// metadata, and the sequence-classification head the model does not have.
constexpr StringRef kInertFields[] = {"_name_or_path",
                                      "architectures",
                                      "bos_token_id",
                                      "eos_token_id",
                                      "pad_token_id",
                                      "torch_dtype",
                                      "transformers_version",
                                      "use_cache",
                                      "gradient_checkpointing",
                                      "task_specific_params",
                                      "id2label",
                                      "label2id",
                                      "output_past",
                                      "return_dict",
                                      "output_hidden_states",
                                      "output_attentions",
                                      "torchscript",
                                      "tokenizer_class",
                                      "is_decoder",
                                      "summary_type",
                                      "summary_use_proj",
                                      "summary_activation",
                                      "summary_proj_to_labels",
                                      "summary_first_dropout",
                                      "classifier_dropout"};

/// Checks what the family readers leave: refuses the other family's
/// fields, and gathers one warning each for dropout rates, a different
/// initialisation, and unknown fields.
Error checkRemainingFields(const Fields &fields, StringRef family,
                           std::vector<std::string> &warnings) {
  bool neo = family == "gpt_neo";
  for (StringRef key : neo ? ArrayRef(kGpt2Fields) : ArrayRef(kNeoFields))
    if (fields.has(key))
      return fields.error(formatv("field '{0}' belongs to {1} configs; a "
                                  "'{2}' model cannot honour it: remove it, "
                                  "or set model_type to '{3}'",
                                  key, neo ? "GPT-2" : "GPT-Neo", family,
                                  neo ? "gpt2" : "gpt_neo")
                              .str());

  SmallVector<std::string> rates;
  for (StringRef key : kDropoutFields) {
    Expected<std::optional<double>> rate = fields.optionalNumber(key);
    if (!rate)
      return rate.takeError();
    if (*rate && **rate != 0)
      rates.push_back(formatv("{0} {1}", key, shortNumber(**rate)).str());
  }
  if (!rates.empty())
    warnings.push_back(
        fields.located("dropout is not applied (" + join(rates, ", ") +
                       "): inference is unaffected, training runs without it"));

  Expected<std::optional<double>> init =
      fields.optionalNumber("initializer_range");
  if (!init)
    return init.takeError();
  if (*init && **init != 0.02)
    warnings.push_back(fields.located(
        formatv("initializer_range {0} is not used: `train` starts from "
                "GPT-3's initialisation (std 0.02) unless given --init-from",
                shortNumber(**init))));

  SmallVector<StringRef> unknown;
  for (StringRef key : fields.unread())
    if (!is_contained(kInertFields, key))
      unknown.push_back(key);
  if (!unknown.empty())
    warnings.push_back(
        fields.located("unknown fields, ignored: " + join(unknown, ", ")));
  return Error::success();
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

Expected<ModelConfig> parseConfigJson(StringRef text, StringRef fileName,
                                      std::vector<std::string> *warnings) {
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
  std::vector<std::string> notes;
  if (Error e = checkRemainingFields(fields, family, notes))
    return std::move(e);
  // Report range errors against the file, not the model name.
  std::string name = config.name;
  config.name = fileName.str();
  if (Error e = validate(config))
    return std::move(e);
  config.name = name;
  if (warnings)
    llvm::append_range(*warnings, notes);
  return config;
}

} // namespace mlir::tfm
