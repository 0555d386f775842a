//===- tokenize.cpp - The tokenize command ----------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// `M tokenize --text "Hello world"` prints "15496 995";
// `M tokenize --ids "15496 995"` prints "Hello world".
//
//===----------------------------------------------------------------------===//

#include "cli.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <sys/stat.h>

using namespace gpt3;

namespace {
bool isFile(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}
} // namespace

namespace {
/// `given`, else $GPT3_TOKENIZER_DIR, else the directory of `weights` when
/// it holds vocab.bpe; empty when none.
std::string tokenizerDir(const std::string &given, const std::string &weights) {
  if (!given.empty())
    return given;
  if (const char *env = std::getenv("GPT3_TOKENIZER_DIR"))
    return env;
  if (!weights.empty()) {
    std::string dir = isFile(weights)
                          ? weights.substr(0, weights.find_last_of('/') + 1)
                          : weights + "/";
    if (dir.empty())
      dir = "./";
    if (isFile(dir + "vocab.bpe"))
      return dir;
  }
  return {};
}
} // namespace

int gpt3::openTokenizer(const std::string &given, const std::string &weights,
                        Tokenizer &out) {
  std::string dir = tokenizerDir(given, weights);
  if (dir.empty())
    return badInput("no tokenizer: pass --tokenizer DIR (encoder.json and "
                    "vocab.bpe) or set GPT3_TOKENIZER_DIR");
  gpt3_tokenizer_t *raw = nullptr;
  if (gpt3_status_t s = gpt3_tokenizer_load(dir.c_str(), &raw))
    return report(s);
  out.reset(raw);
  return 0;
}

gpt3_status_t gpt3::encodeText(const gpt3_tokenizer_t *tokenizer,
                               const std::string &text,
                               std::vector<int32_t> &ids) {
  // Valid UTF-8 never needs more ids than bytes; each invalid byte becomes
  // U+FFFD, three bytes.
  ids.resize(3 * text.size() + 1);
  size_t count = 0;
  gpt3_status_t status = gpt3_tokenizer_encode(
      tokenizer, text.data(), text.size(), ids.data(), ids.size(), &count);
  ids.resize(status ? 0 : count);
  return status;
}

int gpt3::readCorpus(const std::string &path, const std::string &dir,
                     const std::string &weights, int64_t vocab,
                     std::vector<int32_t> &ids) {
  Tokenizer tokenizer;
  if (int code = openTokenizer(dir, weights, tokenizer))
    return code;
  std::string text;
  if (!readFile(path, text))
    return badInput("cannot read --data " + path);
  if (gpt3_status_t st = encodeText(tokenizer.get(), text, ids))
    return report(st);
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] >= vocab)
      return badInput(path + ": token " + std::to_string(ids[i]) +
                      " at position " + std::to_string(i) +
                      " is outside the model's vocabulary of " +
                      std::to_string(vocab));
  return 0;
}

CLI::App *gpt3::addTokenizeCommand(CLI::App &app, TokenizeSettings &s) {
  CLI::App *command = app.add_subcommand(
      "tokenize", "GPT-2 BPE ids of a text, on one line, or the text of ids");
  command->add_option("--text", s.text, "the text to encode")->type_name("T");
  command->add_option("--text-file", s.textFile, "a file to encode")
      ->type_name("F");
  command->add_option("--ids", s.ids, "ids to decode, e.g. \"15496 995\"")
      ->type_name("\"ID ...\"");
  addTokenizerFlag(*command, s.tokenizer, "$GPT3_TOKENIZER_DIR");
  return command;
}

int gpt3::commandTokenize(const TokenizeSettings &s, const GivenFlags &given) {
  int sources =
      given.count("text") + given.count("text-file") + given.count("ids");
  if (sources != 1)
    return badInput("tokenize needs exactly one of --text, --text-file, --ids");
  Tokenizer tokenizer;
  if (int rc = openTokenizer(s.tokenizer, "", tokenizer))
    return rc;

  if (given.count("ids")) {
    std::istringstream in(s.ids);
    std::string word, text;
    int32_t vocab = gpt3_tokenizer_vocab_size(tokenizer.get());
    while (in >> word) {
      char *end = nullptr;
      long id = std::strtol(word.c_str(), &end, 10);
      if (*end || id < 0 || id >= vocab)
        return badInput("--ids: '" + word + "' is not a token id in [0, " +
                        std::to_string(vocab) + ")");
      size_t length = 0;
      const char *bytes = gpt3_tokenizer_token(
          tokenizer.get(), static_cast<int32_t>(id), &length);
      text.append(bytes, length);
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    return 0;
  }

  std::string text;
  if (given.count("text"))
    text = s.text;
  else if (!readFile(s.textFile, text))
    return badInput("--text-file: cannot read " + s.textFile);
  std::vector<int32_t> ids;
  if (gpt3_status_t s = encodeText(tokenizer.get(), text, ids))
    return report(s);
  size_t count = ids.size();
  std::string line;
  for (size_t i = 0; i < count; ++i) {
    line += std::to_string(ids[i]);
    line += i + 1 < count ? ' ' : '\n';
  }
  if (count == 0)
    line = "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  return 0;
}
