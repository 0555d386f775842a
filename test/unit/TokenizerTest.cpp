//===- TokenizerTest.cpp - GPT-2 BPE tokenizer ------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Known ids come from GPT-2's published tokenizer; parity with the
// JavaScript reference on a thousand strings is test/Runtime/tokenizer-*.
//
//===----------------------------------------------------------------------===//

#include "gpt3/runtime.h"
#include "text/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace {

struct StatusDeleter {
  void operator()(gpt3_status_s *s) const { gpt3_status_free(s); }
};
using Status = std::unique_ptr<gpt3_status_s, StatusDeleter>;

class TokenizerTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    Status status(gpt3::Tokenizer::load(GPT3_TOKENIZER_DIR, tokenizer));
    ASSERT_EQ(status, nullptr) << gpt3_status_message(status.get());
  }
  static std::string decode(const std::vector<int32_t> &ids) {
    std::string text;
    for (int32_t id : ids)
      text += tokenizer->token(id);
    return text;
  }
  static std::unique_ptr<gpt3::Tokenizer> tokenizer;
};
std::unique_ptr<gpt3::Tokenizer> TokenizerTest::tokenizer;

TEST_F(TokenizerTest, KnownIds) {
  EXPECT_EQ(tokenizer->vocabSize(), 50257);
  EXPECT_EQ(tokenizer->encode("Hello world"),
            (std::vector<int32_t>{15496, 995}));
  EXPECT_EQ(tokenizer->encode(" the"), (std::vector<int32_t>{262}));
  EXPECT_EQ(tokenizer->token(50256), "<|endoftext|>");
}

TEST_F(TokenizerTest, EndOfTextIsPlainText) {
  std::vector<int32_t> ids = tokenizer->encode("a<|endoftext|>b");
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 50256), 0);
  EXPECT_EQ(decode(ids), "a<|endoftext|>b");
}

TEST_F(TokenizerTest, RoundTrips) {
  for (const char *text :
       {"", " ", "\n\n\t  x", "Don't stop-believin' 1999.", "日本語のテキスト",
        "emoji 🤖👩‍🚀 mix", "int main() { return 0; }", "   trailing   ",
        "ÀÉÎõü ß", "\xC2\xA0nbsp\xE3\x80\x80ideographic space"})
    EXPECT_EQ(decode(tokenizer->encode(text)), text) << text;
}

TEST_F(TokenizerTest, InvalidUtf8BecomesReplacementCharacters) {
  // A stray continuation byte, an overlong encoding, a surrogate, a
  // truncated sequence: each bad byte becomes one U+FFFD.
  std::string bad = "a\x80"
                    "b\xC0\xAF"
                    "c\xED\xA0\x80"
                    "d\xE2\x82";
  std::string expected = gpt3::replaceInvalidUtf8(bad);
  EXPECT_EQ(expected, "a\xEF\xBF\xBD"
                      "b\xEF\xBF\xBD\xEF\xBF\xBD"
                      "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                      "d\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(decode(tokenizer->encode(bad)), expected);
}

TEST_F(TokenizerTest, LongWordWithoutSpaces) {
  // One pre-token of 1 MiB: merging must not be quadratic (the time is
  // measured in bench/tokenizer.sh; here the result must be exact).
  std::string text;
  for (int i = 0; text.size() < (1 << 20); ++i)
    text += "abcdefghijklmnopqrstuvwxyz"[(i * 7) % 26];
  std::vector<int32_t> ids = tokenizer->encode(text);
  EXPECT_LT(ids.size(), text.size());
  EXPECT_EQ(decode(ids), text);
}

TEST_F(TokenizerTest, CApiReportsSmallBuffers) {
  gpt3_tokenizer_t *handle = nullptr;
  Status status(gpt3_tokenizer_load(GPT3_TOKENIZER_DIR, &handle));
  ASSERT_EQ(status, nullptr);
  int32_t ids[1];
  size_t count = 0;
  status.reset(gpt3_tokenizer_encode(handle, "Hello world", 11, ids, 1,
                                     &count));
  EXPECT_EQ(gpt3_status_code(status.get()), GPT3_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(count, 2u);
  size_t length = 0;
  EXPECT_EQ(gpt3_tokenizer_token(handle, 50257, &length), nullptr);
  gpt3_tokenizer_release(handle);
}

/// A scratch directory with the given tokenizer files.
std::string scratch(const std::string &encoder, const std::string &vocab) {
  static int counter = 0;
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("gpt3-tokenizer-test-" +
                               std::to_string(getpid()) + "-" +
                               std::to_string(counter++));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "encoder.json") << encoder;
  std::ofstream(dir / "vocab.bpe") << vocab;
  return dir.string();
}

std::string loadError(const std::string &dir) {
  std::unique_ptr<gpt3::Tokenizer> tokenizer;
  Status status(gpt3::Tokenizer::load(dir, tokenizer));
  EXPECT_EQ(tokenizer, nullptr);
  return status ? gpt3_status_message(status.get()) : "OK";
}

TEST(TokenizerFiles, MissingDirectory) {
  EXPECT_NE(loadError("/nonexistent").find(
                "cannot read tokenizer file /nonexistent/encoder.json"),
            std::string::npos);
}

TEST(TokenizerFiles, MalformedEncoder) {
  EXPECT_NE(loadError(scratch("{\"a\": ", "")).find("not a JSON object"),
            std::string::npos);
  EXPECT_NE(loadError(scratch("{\"a\": 0, \"b\": 0}", ""))
                .find("token \"b\" has an id that is not unique"),
            std::string::npos);
}

TEST(TokenizerFiles, MalformedMerges) {
  // GPT-2's vocabulary, then merges that are wrong.
  std::ifstream real(std::string(GPT3_TOKENIZER_DIR) + "/encoder.json");
  ASSERT_TRUE(real.good());
  std::string text((std::istreambuf_iterator<char>(real)), {});
  EXPECT_NE(loadError(scratch(text, "#version: 0.2\nĠ t\nnot-a-merge\n"))
                .find("vocab.bpe:3: expected two tokens separated by one "
                      "space"),
            std::string::npos);
  EXPECT_NE(loadError(scratch(text, "#version: 0.2\nĠ t\nq☃ x\n"))
                .find("vocab.bpe:3: merge of tokens missing from "
                      "encoder.json"),
            std::string::npos);
}

} // namespace
