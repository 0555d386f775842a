//===- tokenizer.h - GPT-2 byte-level BPE -----------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// GPT-2's tokenizer, as its reference implementations define it:
// pre-tokenization by the GPT-2 regular expression (PCRE2, with JavaScript's
// \s so that ids match the gpt-3-encoder package), bytes mapped to printable
// characters, then BPE merges by rank. Merging uses a heap of adjacent
// pairs, so a long word costs O(n log n), not O(n^2).
//
// Policies:
// - `<|endoftext|>` in text is plain text (it encodes to `<`, `|`, ...);
//   only the caller inserts id 50256, e.g. as a separator or stop token.
// - Invalid UTF-8 is replaced byte by byte with U+FFFD before encoding, so
//   encode never fails; decode(encode(s)) == s for every valid UTF-8 s.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_TEXT_TOKENIZER_H
#define GPT3_RUNTIME_TEXT_TOKENIZER_H

#include "gpt3/runtime.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gpt3 {

class Tokenizer {
public:
  /// Reads `dir`/encoder.json and `dir`/vocab.bpe.
  static gpt3_status_t load(const std::string &dir,
                            std::unique_ptr<Tokenizer> &out);
  ~Tokenizer();

  std::vector<int32_t> encode(std::string_view text) const;
  /// The raw bytes of token `id` (a token may hold part of a character).
  std::string_view token(int32_t id) const { return tokens_[id]; }
  int32_t vocabSize() const { return static_cast<int32_t>(tokens_.size()); }

private:
  Tokenizer() = default;
  struct Merge {
    int32_t rank;
    int32_t merged;
  };
  void bpe(std::string_view word, std::vector<int32_t> &out) const;

  std::vector<std::string> tokens_;  // id -> bytes
  int32_t byteToken_[256] = {};      // byte -> id of its one-byte token
  std::unordered_map<uint64_t, Merge> merges_; // (left, right) -> merge
  struct Pattern;
  std::unique_ptr<Pattern> pattern_;
};

/// `text` with every byte that is not part of a valid UTF-8 sequence
/// replaced by U+FFFD.
std::string replaceInvalidUtf8(std::string_view text);

} // namespace gpt3

#endif // GPT3_RUNTIME_TEXT_TOKENIZER_H
