//===- ManifestTest.cpp - Reading an artefact's manifest --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// A manifest is read once, into enums and offsets; one that is not what
// gpt3-compile writes is a status naming what is wrong, never an exception.
//
//===----------------------------------------------------------------------===//

#include "core/manifest.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

using namespace gpt3;

// An entry point the test manifests name; the test binary exports it.
extern "C" void gpt3_entry_manifest_test(void **) {}

namespace {
const char kValid[] = R"({
  "format": "gpt3-artefact", "version": 1, "device": "cpu",
  "config": {"vocab_size": 512}, "batch": 1, "seq": 8,
  "params": [{"name": "wte.weight", "dtype": "f32", "shape": [512, 16]},
             {"name": "wpe.weight", "dtype": "f32", "shape": [8, 16]}],
  "entries": [{"name": "decode", "symbol": "gpt3_entry_manifest_test",
               "workspace_bytes": 4096,
               "args": [{"name": "tokens", "kind": "input", "dtype": "i32",
                         "shape": [1, 1]},
                        {"name": "wpe.weight", "kind": "param",
                         "dtype": "f32", "shape": [8, 16]},
                        {"name": "h.0.attn.key_cache", "kind": "state",
                         "dtype": "f32", "shape": [1, 2, 8, 8]},
                        {"name": "logits", "kind": "output", "dtype": "f32",
                         "shape": [1, 1, 512]}]}]})";

/// The message of parsing `text`, which must fail with `code`.
std::string failure(const std::string &text, gpt3_status_code_t code) {
  Manifest m;
  gpt3_status_t status = parseManifest(text, RTLD_DEFAULT, m);
  if (!status)
    return "parsed";
  EXPECT_EQ(gpt3_status_code(status), code);
  std::string message = gpt3_status_message(status);
  gpt3_status_free(status);
  return message;
}

/// `text` (kValid by default) with `from` replaced by `to`.
std::string edited(const std::string &from, const std::string &to,
                   std::string text = kValid) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(ManifestTest, ReadsKindsDtypesAndOffsetsOnce) {
  Manifest m;
  ASSERT_EQ(parseManifest(kValid, RTLD_DEFAULT, m), nullptr);
  EXPECT_EQ(m.device, GPT3_DEVICE_CPU);
  EXPECT_EQ(m.vocabSize, 512);
  EXPECT_EQ(m.positions, 8);
  EXPECT_EQ(m.weightBytes, (512u * 16 + 8 * 16) * 4);
  EXPECT_EQ(m.workspaceBytes, 4096);
  const Entry *decode = m.entry("decode");
  ASSERT_NE(decode, nullptr);
  EXPECT_EQ(decode->fn, &gpt3_entry_manifest_test);
  ASSERT_EQ(decode->args.size(), 4u);
  EXPECT_EQ(decode->args[0].kind, GPT3_ARG_INPUT);
  EXPECT_EQ(decode->args[0].dtype, GPT3_DTYPE_I32);
  EXPECT_EQ(decode->args[1].kind, GPT3_ARG_PARAM);
  EXPECT_EQ(decode->args[1].paramOffset, 512u * 16 * 4);
  EXPECT_EQ(decode->args[2].kind, GPT3_ARG_STATE);
  EXPECT_EQ(decode->args[3].kind, GPT3_ARG_OUTPUT);
  EXPECT_EQ((m.stateShapes.at("h.0.attn.key_cache")),
            (std::vector<int64_t>{1, 2, 8, 8}));
  ASSERT_EQ(decode->view.size(), 4u);
  EXPECT_STREQ(decode->view[3].name, "logits");
  EXPECT_EQ(decode->view[3].rank, 3);
  EXPECT_EQ(decode->view[3].shape[2], 512);
}

TEST(ManifestTest, MalformedManifestsAreStatuses) {
  EXPECT_EQ(failure(edited(R"("config": {"vocab_size": 512}, )", ""),
                    GPT3_STATUS_DATA_LOSS),
            "the artefact's manifest is malformed: it has no 'config' object");
  EXPECT_EQ(
      failure(edited(R"({"vocab_size": 512})", "[]"), GPT3_STATUS_DATA_LOSS),
      "the artefact's manifest is malformed: it has no 'config' object");
  EXPECT_EQ(failure(edited(R"("kind": "state")", R"("kind": "cache")"),
                    GPT3_STATUS_DATA_LOSS),
            "the artefact's manifest is malformed: entry 'decode' argument "
            "'h.0.attn.key_cache' has unknown kind 'cache'");
  EXPECT_EQ(failure(edited(R"("dtype": "i32")", R"("dtype": "u4")"),
                    GPT3_STATUS_DATA_LOSS),
            "the artefact's manifest is malformed: entry 'decode' argument "
            "'tokens' has unknown dtype 'u4'");
  EXPECT_EQ(failure(edited(R"("device": "cpu")", R"("device": "tpu")"),
                    GPT3_STATUS_DATA_LOSS),
            "the artefact's manifest is malformed: unknown device 'tpu'");
  EXPECT_EQ(failure(edited(R"("name": "wpe.weight", "kind")",
                           R"("name": "wqe.weight", "kind")"),
                    GPT3_STATUS_DATA_LOSS),
            "the artefact's manifest is malformed: entry 'decode' takes "
            "unknown parameter 'wqe.weight'");
  EXPECT_EQ(failure(edited("gpt3_entry_manifest_test", "gpt3_entry_missing"),
                    GPT3_STATUS_NOT_FOUND),
            "entry point symbol 'gpt3_entry_missing' not found in the "
            "artefact");
  EXPECT_EQ(failure("{", GPT3_STATUS_DATA_LOSS),
            "the artefact's manifest is malformed: it is not JSON");
  EXPECT_EQ(failure(R"({"version": 2})", GPT3_STATUS_DATA_LOSS),
            "the artefact's manifest is not a version-1 manifest");
}

// Two layers' biases, one after the other in the arena, and an entry
// point that takes them as one stacked argument.
const char kStacked[] = R"({
  "format": "gpt3-artefact", "version": 1, "device": "cpu",
  "config": {"vocab_size": 512}, "batch": 1, "seq": 8,
  "params": [{"name": "wte.weight", "dtype": "f32", "shape": [512, 16]},
             {"name": "h.0.ln_1.bias", "dtype": "f32", "shape": [16]},
             {"name": "h.2.ln_1.bias", "dtype": "f32", "shape": [16]},
             {"name": "h.1.ln_1.bias", "dtype": "f32", "shape": [16]}],
  "entries": [{"name": "forward", "symbol": "gpt3_entry_manifest_test",
               "args": [{"name": "h[0::2].ln_1.bias", "kind": "param",
                         "dtype": "f32", "shape": [2, 16],
                         "layers": ["h.0.ln_1.bias", "h.2.ln_1.bias"]},
                        {"name": "m.h[0::2].ln_1.bias", "kind": "state",
                         "dtype": "f32", "shape": [2, 16],
                         "layers": ["m.h.0.ln_1.bias", "m.h.2.ln_1.bias"]}]}]})";

TEST(ManifestTest, StackedParameterIsAViewOfItsLayers) {
  Manifest m;
  ASSERT_EQ(parseManifest(kStacked, RTLD_DEFAULT, m), nullptr);
  const Entry *forward = m.entry("forward");
  ASSERT_NE(forward, nullptr);
  EXPECT_EQ(forward->args[0].paramOffset, 512u * 16 * 4);
  EXPECT_EQ(m.param("h.2.ln_1.bias")->offset, (512u * 16 + 16) * 4);
  // The C API's view names the layers.
  ASSERT_EQ(forward->view[0].num_layers, 2);
  EXPECT_STREQ(forward->view[0].layers[1], "h.2.ln_1.bias");
  // A stacked state's slices are states of their own, views of the stack.
  EXPECT_EQ(m.stateShapes.at("m.h[0::2].ln_1.bias"),
            (std::vector<int64_t>{2, 16}));
  EXPECT_EQ(m.stateShapes.at("m.h.2.ln_1.bias"), (std::vector<int64_t>{16}));
  EXPECT_EQ(m.stateSlices.at("m.h.2.ln_1.bias").stack, "m.h[0::2].ln_1.bias");
  EXPECT_EQ(m.stateSlices.at("m.h.2.ln_1.bias").index, 1);
}

TEST(ManifestTest, MalformedStacksAreStatuses) {
  const std::string prefix = "the artefact's manifest is malformed: entry "
                             "'forward' argument 'h[0::2].ln_1.bias' ";
  EXPECT_EQ(
      failure(edited(R"("shape": [2, 16])", R"("shape": [3, 16])", kStacked),
              GPT3_STATUS_DATA_LOSS),
      prefix + "stacks 2 layers but has shape [3, 16]");
  EXPECT_EQ(failure(edited(R"("h.0.ln_1.bias", "h.2)",
                           R"("h.0.ln_1.bias", "h.9)", kStacked),
                    GPT3_STATUS_DATA_LOSS),
            prefix + "stacks unknown parameter 'h.9.ln_1.bias'");
  EXPECT_EQ(failure(edited(R"("h.0.ln_1.bias", "h.2)",
                           R"("h.0.ln_1.bias", "h.1)", kStacked),
                    GPT3_STATUS_DATA_LOSS),
            prefix + "stacks 'h.1.ln_1.bias', which does not follow the "
                     "previous layer in the weight arena");
  EXPECT_EQ(failure(edited(R"("layers": ["h.0.ln_1.bias")",
                           R"("layers": ["wte.weight")", kStacked),
                    GPT3_STATUS_DATA_LOSS),
            prefix + "stacks 'wte.weight', f32 [512, 16], as f32 [16]");
  EXPECT_EQ(
      failure(edited(R"("name": "h.2.ln_1.bias", "dtype": "f32")",
                     R"("name": "h.2.ln_1.bias", "dtype": "bf16")", kStacked),
              GPT3_STATUS_DATA_LOSS),
      prefix + "stacks 'h.2.ln_1.bias', bf16 [16], as f32 [16]");
}

// --dtype bf16: a bf16 parameter takes 2 bytes an element in the arena,
// and the next f32 one starts right after it, 4-byte aligned.
TEST(ManifestTest, Bf16ParametersTakeTwoBytes) {
  std::string bf16 = edited(R"("name": "wte.weight", "dtype": "f32")",
                            R"("name": "wte.weight", "dtype": "bf16")");
  bf16 = edited(R"("shape": [512, 16]})", R"("shape": [511, 1]})", bf16);
  Manifest m;
  ASSERT_EQ(parseManifest(bf16, RTLD_DEFAULT, m), nullptr);
  EXPECT_EQ(m.param("wte.weight")->dtype, GPT3_DTYPE_BF16);
  EXPECT_EQ(m.param("wpe.weight")->offset, 1024u);
  EXPECT_EQ(m.weightBytes, 1024u + 8 * 16 * 4);
  EXPECT_EQ(failure(edited(R"("name": "wpe.weight", "dtype": "f32")",
                           R"("name": "wpe.weight", "dtype": "bf16")"),
                    GPT3_STATUS_DATA_LOSS),
            "the artefact's manifest is malformed: entry 'decode' argument "
            "'wpe.weight' is f32 [8, 16], but the parameter is bf16 [8, 16]");
  EXPECT_EQ(failure(edited(R"("name": "wpe.weight", "dtype": "f32")",
                           R"("name": "wpe.weight", "dtype": "i32")"),
                    GPT3_STATUS_DATA_LOSS),
            "the artefact's manifest is malformed: parameter 'wpe.weight' has "
            "dtype 'i32'; parameters are f32 or bf16");
}

// A layer weight packed at load (layout "panels") takes the packed shape
// in the entry points and the arena, (N / 32, K / 2, 32, 2); only a bf16
// matrix with whole pairs and panels can have that layout.
TEST(ManifestTest, PackedParametersTakeTheirPanelShape) {
  std::string packed =
      edited(R"({"name": "wpe.weight", "dtype": "f32", "shape": [8, 16]})",
             R"({"name": "wpe.weight", "dtype": "bf16", "layout": "panels",
          "shape": [8, 64]})");
  packed = edited(R"("dtype": "f32", "shape": [8, 16]})",
                  R"("dtype": "bf16", "shape": [2, 4, 32, 2]})", packed);
  Manifest m;
  ASSERT_EQ(parseManifest(packed, RTLD_DEFAULT, m), nullptr);
  const Param *wpe = m.param("wpe.weight");
  EXPECT_TRUE(wpe->panels);
  EXPECT_EQ(wpe->storedShape(), (std::vector<int64_t>{2, 4, 32, 2}));
  EXPECT_EQ(m.weightBytes, 512u * 16 * 4 + 8 * 64 * 2);
  EXPECT_EQ(failure(edited(R"("shape": [2, 4, 32, 2]})", R"("shape": [8, 64]})",
                           packed),
                    GPT3_STATUS_DATA_LOSS),
            "the artefact's manifest is malformed: entry 'decode' argument "
            "'wpe.weight' is bf16 [8, 64], but the parameter is bf16 "
            "[2, 4, 32, 2]");
  EXPECT_EQ(
      failure(edited(R"("shape": [8, 64]})", R"("shape": [8, 48]})", packed),
              GPT3_STATUS_DATA_LOSS),
      "the artefact's manifest is malformed: parameter 'wpe.weight' "
      "cannot have layout 'panels'");
  EXPECT_EQ(
      failure(edited(R"("layout": "panels")", R"("layout": "tiles")", packed),
              GPT3_STATUS_DATA_LOSS),
      "the artefact's manifest is malformed: parameter 'wpe.weight' "
      "cannot have layout 'tiles'");
}

// Fields of the wrong type throw inside the JSON library; the caller sees a
// status that names the field.
TEST(ManifestTest, WrongTypesAreStatusesNotExceptions) {
  std::string message =
      failure(edited(R"("shape": [1, 1]})", R"("shape": "1x1"})"),
              GPT3_STATUS_DATA_LOSS);
  EXPECT_NE(message.find("the artefact's manifest is malformed: "),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("type must be array"), std::string::npos) << message;
  message = failure(edited(R"("seq": 8)", R"("seq": "eight")"),
                    GPT3_STATUS_DATA_LOSS);
  EXPECT_NE(message.find("type must be number"), std::string::npos) << message;
  message = failure(edited(R"("vocab_size": 512)", R"("vocab": 512)"),
                    GPT3_STATUS_DATA_LOSS);
  EXPECT_NE(message.find("vocab_size"), std::string::npos) << message;
}
} // namespace
