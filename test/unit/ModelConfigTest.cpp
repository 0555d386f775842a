//===- ModelConfigTest.cpp - Model presets and config.json ------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Checks the presets against the published parameter counts and the
// config.json reader against real Hugging Face files and malformed ones.
//
//===----------------------------------------------------------------------===//

#include "tfm/Frontend/ModelConfig.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "gtest/gtest.h"

#include <cmath>

using namespace mlir::tfm;

namespace {

/// Parses `text`, expecting failure, and returns the message.
std::string parseError(llvm::StringRef text) {
  llvm::Expected<ModelConfig> config = parseConfigJson(text, "config.json");
  if (config) {
    ADD_FAILURE() << "expected an error for: " << text.str();
    return "";
  }
  return llvm::toString(config.takeError());
}

ModelConfig parseOk(llvm::StringRef text) {
  llvm::Expected<ModelConfig> config = parseConfigJson(text, "m/config.json");
  if (!config) {
    ADD_FAILURE() << llvm::toString(config.takeError());
    return {};
  }
  return *config;
}

//===----------------------------------------------------------------------===//
// Presets
//===----------------------------------------------------------------------===//

// The GPT-3 paper's Table 2.1 rounds to two or three significant digits
// (125M, 350M, ..., 175B). Every preset is within 2% of its printed total.
TEST(Presets, Gpt3TotalsMatchThePaper) {
  const std::pair<const char *, double> paper[] = {
      {"gpt3-small", 125e6}, {"gpt3-medium", 350e6}, {"gpt3-large", 760e6},
      {"gpt3-xl", 1.3e9},    {"gpt3-2.7b", 2.7e9},   {"gpt3-6.7b", 6.7e9},
      {"gpt3-13b", 13e9},    {"gpt3-175b", 175e9}};
  for (auto [name, total] : paper) {
    llvm::Expected<ModelConfig> config = lookupPreset(name);
    ASSERT_TRUE(!!config) << llvm::toString(config.takeError());
    double ours = static_cast<double>(config->numParameters());
    EXPECT_LT(std::abs(ours - total) / total, 0.02)
        << name << ": " << ours << " vs the paper's " << total;
  }
}

// Hugging Face reports exactly these counts for the released GPT-2 models.
TEST(Presets, Gpt2TotalsMatchReleasedCheckpoints) {
  EXPECT_EQ(lookupPreset("gpt2")->numParameters(), 124439808);
  EXPECT_EQ(lookupPreset("gpt2-medium")->numParameters(), 354823168);
  EXPECT_EQ(lookupPreset("gpt2-large")->numParameters(), 774030080);
  EXPECT_EQ(lookupPreset("gpt2-xl")->numParameters(), 1557611200);
}

TEST(Presets, EveryPresetValidates) {
  for (llvm::StringRef name : presetNames()) {
    llvm::Expected<ModelConfig> config = lookupPreset(name);
    ASSERT_TRUE(!!config) << name.str();
    EXPECT_FALSE(!!validate(*config)) << name.str();
    EXPECT_EQ(config->width % config->numHeads, 0) << name.str();
  }
}

TEST(Presets, Gpt3AlternatesDenseAndLocal) {
  ModelConfig config = *lookupPreset("gpt3-175b");
  ASSERT_EQ(config.windows.size(), 96u);
  for (size_t layer = 0; layer < config.windows.size(); ++layer)
    EXPECT_EQ(config.windows[layer], layer % 2 ? 256 : 0) << layer;
  ModelConfig gpt2 = *lookupPreset("gpt2-xl");
  for (int64_t window : gpt2.windows)
    EXPECT_EQ(window, 0);
}

TEST(Presets, UnknownNameListsPresets) {
  llvm::Expected<ModelConfig> config = lookupPreset("gpt4");
  ASSERT_FALSE(!!config);
  std::string message = llvm::toString(config.takeError());
  EXPECT_NE(message.find("unknown model 'gpt4'"), std::string::npos);
  EXPECT_NE(message.find("gpt3-175b"), std::string::npos);
}

TEST(Presets, ParameterNamesFollowHuggingFace) {
  std::vector<ParamSpec> specs = parameterSpecs(*lookupPreset("gpt3-small"));
  ASSERT_EQ(specs.size(), 4u + 12u * 12u);
  EXPECT_EQ(specs[0].name, "wte.weight");
  EXPECT_EQ(specs[1].name, "wpe.weight");
  EXPECT_EQ(specs[2 + 12 * 3 + 2].name, "h.3.attn.c_attn.weight");
  EXPECT_EQ(specs[2 + 12 * 3 + 2].shape,
            (llvm::SmallVector<int64_t, 2>{768, 2304}));
  EXPECT_EQ(specs.back().name, "ln_f.bias");
}

//===----------------------------------------------------------------------===//
// config.json: well-formed files
//===----------------------------------------------------------------------===//

// The config.json of Hugging Face's "gpt2", as published.
constexpr const char *kGpt2Config = R"({
  "activation_function": "gelu_new",
  "architectures": ["GPT2LMHeadModel"],
  "attn_pdrop": 0.1, "bos_token_id": 50256, "embd_pdrop": 0.1,
  "eos_token_id": 50256, "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05, "model_type": "gpt2",
  "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12,
  "n_positions": 1024, "resid_pdrop": 0.1,
  "summary_activation": null, "summary_first_dropout": 0.1,
  "summary_proj_to_labels": true, "summary_type": "cls_index",
  "summary_use_proj": true,
  "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
  "vocab_size": 50257
})";

// The config.json of EleutherAI's GPT-Neo 125M, as published.
constexpr const char *kGptNeoConfig = R"({
  "activation_function": "gelu_new",
  "architectures": ["GPTNeoForCausalLM"],
  "attention_dropout": 0,
  "attention_layers": ["global", "local", "global", "local", "global", "local",
                       "global", "local", "global", "local", "global", "local"],
  "attention_types": [[["global", "local"], 6]],
  "bos_token_id": 50256, "embed_dropout": 0, "eos_token_id": 50256,
  "gradient_checkpointing": false, "hidden_size": 768,
  "initializer_range": 0.02, "intermediate_size": null,
  "layer_norm_epsilon": 1e-05, "max_position_embeddings": 2048,
  "model_type": "gpt_neo", "num_heads": 12, "num_layers": 12,
  "resid_dropout": 0, "summary_activation": null,
  "summary_first_dropout": 0.1, "summary_proj_to_labels": true,
  "summary_type": "cls_index", "summary_use_proj": true,
  "transformers_version": "4.9.0.dev0", "use_cache": true,
  "vocab_size": 50257, "window_size": 256
})";

TEST(ConfigJson, ReadsHuggingFaceGpt2) {
  ModelConfig config = parseOk(kGpt2Config);
  EXPECT_EQ(config.name, "m");
  EXPECT_EQ(config.numLayers, 12);
  EXPECT_EQ(config.width, 768);
  EXPECT_EQ(config.numHeads, 12);
  EXPECT_EQ(config.vocabSize, 50257);
  EXPECT_EQ(config.contextSize, 1024);
  EXPECT_EQ(config.mlpWidth, 3072);
  EXPECT_EQ(config.numParameters(), lookupPreset("gpt2")->numParameters());
}

TEST(ConfigJson, ReadsGptNeoPattern) {
  ModelConfig config = parseOk(kGptNeoConfig);
  EXPECT_EQ(config.numLayers, 12);
  EXPECT_EQ(config.contextSize, 2048);
  EXPECT_EQ(config.mlpWidth, 3072);
  for (int64_t layer = 0; layer < 12; ++layer)
    EXPECT_EQ(config.windows[layer], layer % 2 ? 256 : 0);
}

TEST(ConfigJson, ExpandsGptNeoAttentionTypes) {
  ModelConfig config = parseOk(R"({"model_type": "gpt_neo", "num_layers": 6,
      "hidden_size": 64, "num_heads": 4, "vocab_size": 100,
      "max_position_embeddings": 32, "window_size": 4,
      "attention_types": [[["global", "local", "local"], 2]]})");
  EXPECT_EQ(config.windows, (std::vector<int64_t>{0, 4, 4, 0, 4, 4}));
}

TEST(ConfigJson, InfersFamilyAndDefaults) {
  ModelConfig config = parseOk(R"({"n_layer": 2, "n_embd": 32, "n_head": 2,
      "vocab_size": 10, "n_ctx": 16, "n_inner": 48,
      "layer_norm_epsilon": 1e-6})");
  EXPECT_EQ(config.contextSize, 16);
  EXPECT_EQ(config.mlpWidth, 48);
  EXPECT_DOUBLE_EQ(config.layerNormEpsilon, 1e-6);
}

TEST(ConfigJson, LoadsFromADirectory) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("gpt3-config", dir));
  llvm::SmallString<128> file(dir);
  llvm::sys::path::append(file, "config.json");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    ASSERT_FALSE(ec);
    os << kGpt2Config;
  }
  llvm::Expected<ModelConfig> config = loadConfig(dir);
  ASSERT_TRUE(!!config) << llvm::toString(config.takeError());
  EXPECT_EQ(config->name, llvm::sys::path::filename(dir).str());
  llvm::sys::fs::remove(file);
  llvm::sys::fs::remove(dir);
}

//===----------------------------------------------------------------------===//
// config.json: malformed files
//===----------------------------------------------------------------------===//

constexpr const char *kMinimalGpt2 =
    R"("model_type": "gpt2", "n_layer": 2, "n_embd": 32, "n_head": 2, "vocab_size": 10)";

std::string gpt2With(llvm::StringRef extra) {
  return "{" + std::string(kMinimalGpt2) + ", " + extra.str() + "}";
}

TEST(ConfigJsonErrors, InvalidJsonIsLocated) {
  std::string message =
      parseError("{\n  \"n_layer\": 12,\n  \"n_embd\" 768\n}");
  EXPECT_EQ(message.rfind("config.json:3:", 0), 0u) << message;
  EXPECT_NE(message.find("invalid JSON"), std::string::npos) << message;
}

TEST(ConfigJsonErrors, NotAnObject) {
  EXPECT_EQ(parseError("[1, 2]"),
            "config.json: expected a JSON object, got an array");
}

TEST(ConfigJsonErrors, MissingField) {
  EXPECT_EQ(parseError(R"({"model_type": "gpt2", "n_layer": 2})"),
            "config.json: missing required field 'n_embd'");
  EXPECT_EQ(parseError("{" + std::string(kMinimalGpt2) + "}"),
            "config.json: missing required field 'n_ctx'");
}

TEST(ConfigJsonErrors, MistypedFields) {
  EXPECT_EQ(parseError(R"({"model_type": "gpt2", "n_layer": "12"})"),
            "config.json: field 'n_layer' must be an integer, got the string "
            "\"12\"");
  EXPECT_EQ(parseError(R"({"model_type": "gpt2", "n_layer": 2.5})"),
            "config.json: field 'n_layer' must be an integer, got the number "
            "2.5");
  EXPECT_EQ(
      parseError(gpt2With(R"("n_ctx": 8, "layer_norm_epsilon": "small")")),
      "config.json: field 'layer_norm_epsilon' must be a number, got "
      "the string \"small\"");
  EXPECT_EQ(parseError(R"({"model_type": 2})"),
            "config.json: field 'model_type' must be a string, got the "
            "number 2");
}

TEST(ConfigJsonErrors, ZeroAndAbsurdSizes) {
  EXPECT_EQ(parseError(R"({"model_type": "gpt2", "n_layer": 0, "n_embd": 32,
      "n_head": 2, "vocab_size": 10, "n_ctx": 8})"),
            "config.json: number of layers must be in [1, 1024], got 0");
  EXPECT_EQ(parseError(R"({"model_type": "gpt2", "n_layer": 2,
      "n_embd": 1000000000, "n_head": 2, "vocab_size": 10, "n_ctx": 8})"),
            "config.json: width must be in [1, 131072], got 1000000000");
  EXPECT_EQ(parseError(R"({"model_type": "gpt2", "n_layer": 2, "n_embd": 32,
      "n_head": 2, "vocab_size": -5, "n_ctx": 8})"),
            "config.json: vocabulary size must be in [1, 16777216], got -5");
  EXPECT_EQ(parseError(R"({"model_type": "gpt2", "n_layer": 99999999999,
      "n_embd": 32, "n_head": 2, "vocab_size": 10, "n_ctx": 8})"),
            "config.json: number of layers must be in [1, 1024], got "
            "99999999999");
  EXPECT_EQ(parseError(gpt2With(R"("n_ctx": 8, "layer_norm_epsilon": 0)")),
            "config.json: layer norm epsilon must be in (0, 1), got 0");
}

TEST(ConfigJsonErrors, HeadsMustDivideWidth) {
  EXPECT_EQ(parseError(R"({"model_type": "gpt2", "n_layer": 2, "n_embd": 30,
      "n_head": 4, "vocab_size": 10, "n_ctx": 8})"),
            "config.json: number of heads 4 does not divide width 30");
}

TEST(ConfigJsonErrors, UnsupportedModels) {
  EXPECT_EQ(parseError(R"({"model_type": "llama"})"),
            "config.json: model_type 'llama' is not supported; expected "
            "'gpt2' or 'gpt_neo'");
  EXPECT_EQ(parseError(R"({"hidden": 3})"),
            "config.json: cannot tell the model family: no 'model_type', "
            "'n_layer' or 'num_layers' field");
  EXPECT_EQ(
      parseError(gpt2With(R"("n_ctx": 8, "activation_function": "relu")")),
      "config.json: activation_function 'relu' is not supported; "
      "expected 'gelu_new' (the tanh GELU of GPT-2 and GPT-3)");
  EXPECT_EQ(parseError(gpt2With(R"("n_ctx": 8, "tie_word_embeddings": false)")),
            "config.json: tie_word_embeddings is false; only models whose "
            "output projection is the token embedding are supported");
}

TEST(ConfigJsonErrors, BadGptNeoPatterns) {
  const std::string neo = R"("model_type": "gpt_neo", "num_layers": 2,
      "hidden_size": 32, "num_heads": 2, "vocab_size": 10,
      "max_position_embeddings": 16)";
  EXPECT_EQ(parseError("{" + neo + R"(, "attention_layers": ["global"]})"),
            "config.json: attention pattern lists 1 layers, but num_layers "
            "is 2");
  EXPECT_EQ(
      parseError("{" + neo + R"(, "attention_layers": ["global", "sparse"]})"),
      "config.json: attention layer kinds must be \"global\" or "
      "\"local\", got the string \"sparse\"");
  EXPECT_EQ(
      parseError("{" + neo + R"(, "attention_layers": ["global", "local"]})"),
      "config.json: missing required field 'window_size'");
  EXPECT_EQ(parseError("{" + neo + R"(, "window_size": 0,
      "attention_layers": ["global", "local"]})"),
            "config.json: window_size must be at least 1, got 0");
  EXPECT_EQ(parseError("{" + neo + R"(, "window_size": 64,
      "attention_layers": ["global", "local"]})"),
            "config.json: layer 1: local attention window must be in [1, "
            "16], got 64");
  EXPECT_EQ(parseError("{" + neo + R"(, "attention_types": [["global", 2]]})"),
            "config.json: each entry of 'attention_types' must be "
            "[[kinds...], repeat count], got [\"global\",2]");
  EXPECT_EQ(parseError("{" + neo + "}"),
            "config.json: missing required field 'attention_types' (or "
            "'attention_layers')");
}

// A field that changes the model is honoured or refused, never ignored:
// GPT-Neo's band on a GPT-2 config (and the reverse), attention variants
// the model does not compute, two spellings that disagree.
TEST(ConfigJsonErrors, ModelChangingFieldsAreNotIgnored) {
  EXPECT_EQ(
      parseError(gpt2With(R"("n_ctx": 8,
          "attention_layers": ["global", "local"], "window_size": 4)")),
      "config.json: field 'attention_layers' belongs to GPT-Neo configs; a "
      "'gpt2' model cannot honour it: remove it, or set model_type to "
      "'gpt_neo'");
  EXPECT_EQ(parseError(gpt2With(R"("n_ctx": 8, "window_size": 4)")),
            "config.json: field 'window_size' belongs to GPT-Neo configs; a "
            "'gpt2' model cannot honour it: remove it, or set model_type to "
            "'gpt_neo'");
  EXPECT_EQ(parseError(R"({"model_type": "gpt_neo", "num_layers": 2,
      "hidden_size": 32, "num_heads": 2, "vocab_size": 10, "n_embd": 64,
      "max_position_embeddings": 16, "attention_layers": ["global", "global"]})"),
            "config.json: field 'n_embd' belongs to GPT-2 configs; a "
            "'gpt_neo' model cannot honour it: remove it, or set model_type "
            "to 'gpt2'");
  EXPECT_EQ(parseError(gpt2With(R"("n_ctx": 8, "scale_attn_weights": false)")),
            "config.json: scale_attn_weights false is not supported");
  EXPECT_EQ(parseError(gpt2With(R"("n_ctx": 8,
          "scale_attn_by_inverse_layer_idx": true)")),
            "config.json: scale_attn_by_inverse_layer_idx true is not "
            "supported");
  EXPECT_EQ(parseError(gpt2With(R"("n_ctx": 8, "add_cross_attention": true)")),
            "config.json: add_cross_attention true is not supported");
  EXPECT_EQ(parseError(gpt2With(R"("n_ctx": 8, "n_positions": 16)")),
            "config.json: n_ctx 8 differs from n_positions 16");
  EXPECT_EQ(parseError(R"({"model_type": "gpt_neo", "num_layers": 2,
      "hidden_size": 32, "num_heads": 2, "vocab_size": 10,
      "max_position_embeddings": 16, "window_size": 4,
      "attention_layers": ["global", "local"],
      "attention_types": [[["local", "global"], 1]]})"),
            "config.json: 'attention_layers' and 'attention_types' describe "
            "different layer patterns");
}

/// Parses `text`, expecting success, and returns its warnings.
std::vector<std::string> warningsOf(llvm::StringRef text) {
  std::vector<std::string> warnings;
  llvm::Expected<ModelConfig> config =
      parseConfigJson(text, "config.json", &warnings);
  if (!config)
    ADD_FAILURE() << llvm::toString(config.takeError());
  return warnings;
}

// What the model does not use is said, one line each: unknown fields in
// one list, dropout rates, another initialisation. Fields with no effect
// on the computation (token ids, metadata, the classification head) and
// zero dropout say nothing.
TEST(ConfigJson, WarnsOfWhatTheModelDoesNotUse) {
  EXPECT_EQ(warningsOf(gpt2With(R"("n_ctx": 8, "zeta": 1, "alpha": [],
      "bos_token_id": 0, "summary_type": "cls_index")")),
            std::vector<std::string>{
                "config.json: unknown fields, ignored: alpha, zeta"});
  EXPECT_EQ(warningsOf(kGpt2Config),
            std::vector<std::string>{
                "config.json: dropout is not applied (attn_pdrop 0.1, "
                "embd_pdrop 0.1, resid_pdrop 0.1): inference is unaffected, "
                "training runs without it"});
  EXPECT_EQ(warningsOf(kGptNeoConfig), std::vector<std::string>{});
  EXPECT_EQ(warningsOf(gpt2With(R"("n_ctx": 8, "initializer_range": 0.01)")),
            std::vector<std::string>{
                "config.json: initializer_range 0.01 is not used: `train` "
                "starts from GPT-3's initialisation (std 0.02) unless given "
                "--init-from"});
}

TEST(ConfigJsonErrors, UnreadableFile) {
  llvm::Expected<ModelConfig> config = loadConfig("/nonexistent/config.json");
  ASSERT_FALSE(!!config);
  EXPECT_EQ(llvm::toString(config.takeError()),
            "/nonexistent/config.json: cannot read: No such file or "
            "directory");
}

} // namespace
