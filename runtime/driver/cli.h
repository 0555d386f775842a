//===- cli.h - Flags and error reporting of the model binary ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Bad input (a flag, a file, a token id) is one line on stderr and exit
// code 2; a failure of the machine (memory, an internal error) exits 1.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_DRIVER_CLI_H
#define GPT3_DRIVER_CLI_H

#include "gpt3/runtime.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace gpt3 {

constexpr int kExitBadInput = 2;
constexpr int kExitFailure = 1;

/// --name value pairs after the command.
struct Flags {
  std::map<std::string, std::string> values;
  std::string error;
  bool has(const std::string &name) const { return values.count(name); }
};

/// Parses argv[first..] as --name value or --name=value; names outside
/// `known` are an error. The names in `switches` (also in `known`) may
/// stand alone, with an empty value.
Flags parseFlags(int argc, char **argv, int first,
                 const std::vector<std::string> &known,
                 const std::vector<std::string> &switches = {});

/// Reads --name as a number in [lo, hi] into `out`, which keeps its value
/// when the flag is absent. Otherwise sets `error` to "--name must be
/// <range>, got '<text>'" (`range` by default "an integer in [lo, hi]" or
/// "a number in [lo, hi]") and returns false.
template <typename T>
bool numberFlag(const Flags &flags, const std::string &name, T lo, T hi, T &out,
                std::string &error, const std::string &range = "") {
  if (!flags.has(name))
    return true;
  const std::string &text = flags.values.at(name);
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  bool integral = std::is_integral<T>::value;
  if (text.empty() || *end || !(value >= lo && value <= hi) ||
      (integral && value != std::floor(value))) {
    std::ostringstream message;
    message << "--" << name << " must be ";
    if (range.empty())
      message << (integral ? "an integer" : "a number") << " in [" << lo << ", "
              << hi << "]";
    else
      message << range;
    message << ", got '" << text << "'";
    error = message.str();
    return false;
  }
  out = static_cast<T>(value);
  return true;
}

/// Prints "error: <message>" and returns kExitBadInput.
int badInput(const std::string &message);

/// Reports `status` and frees it; bad input exits 2, anything else 1.
int report(gpt3_status_t status);

/// A view of `data` with `shape` (rank 0 for an empty shape).
gpt3_tensor_t tensorView(void *data, const std::vector<int64_t> &shape,
                         gpt3_dtype_t dtype);

/// Creates directory `path` and any missing parents; false if it cannot.
bool makeDirectories(const std::string &path);

/// Reads the whole file at `path` into `out`; false if it cannot be read.
bool readFile(const std::string &path, std::string &out);

struct TokenizerDeleter {
  void operator()(gpt3_tokenizer_t *t) const { gpt3_tokenizer_release(t); }
};
using Tokenizer = std::unique_ptr<gpt3_tokenizer_t, TokenizerDeleter>;

/// Loads the tokenizer from --tokenizer, else $GPT3_TOKENIZER_DIR, else the
/// directory of --weights when it holds vocab.bpe. Returns 0, or the exit
/// code after reporting why not.
int openTokenizer(const Flags &flags, Tokenizer &out);

/// The ids of `text` (any bytes; invalid UTF-8 becomes U+FFFD).
gpt3_status_t encodeText(const gpt3_tokenizer_t *tokenizer,
                         const std::string &text, std::vector<int32_t> &ids);

/// `tokenize --text T | --text-file F | --ids "15496 995"`.
int commandTokenize(const Flags &flags);

} // namespace gpt3

#endif // GPT3_DRIVER_CLI_H
