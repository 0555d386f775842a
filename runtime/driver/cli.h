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

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace gpt3 {

constexpr int kExitBadInput = 2;
constexpr int kExitFailure = 1;

/// The long names (without dashes) of the flags given on the command line,
/// for checks that depend on whether a flag was given, not on its value.
using GivenFlags = std::set<std::string>;

/// A check that a flag's value is a number, an integer when `integral`,
/// for which `accept` holds. A value that fails reads "must be <range>,
/// got '<text>'"; help shows <range>.
CLI::Validator numberCheck(const std::string &range, bool integral,
                           std::function<bool(double)> accept);

/// "an integer in [lo, hi]".
CLI::Validator integerIn(int64_t lo, int64_t hi);

/// "a number in [lo, hi]".
CLI::Validator numberIn(double lo, double hi);

/// "an unsigned integer" below 2^64.
CLI::Validator unsignedInteger();

/// One of `choices`: "must be on or off, got 'x'".
CLI::Validator oneOf(const std::vector<std::string> &choices);

/// The help layout of every command: a flag, the name of its value, then
/// its description with its range and default.
std::shared_ptr<CLI::Formatter> helpFormatter();

/// The name of `option`'s value ("N", "DIR"), without its range.
std::string valueName(const CLI::Option &option);

/// Adds `--tokenizer DIR` to `command`; `fallback` says where the
/// tokenizer comes from without it.
void addTokenizerFlag(CLI::App &command, std::string &dir,
                      const std::string &fallback);

/// Adds `-t,--threads N` to `command`.
void addThreadsFlag(CLI::App &command, int32_t &threads);

/// --device cpu|cuda: where the model runs; it must be what the model binary
/// was compiled for (gpt3-compile --target).
void addDeviceFlag(CLI::App &command, std::string &device);

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

/// Loads the tokenizer from `dir` (--tokenizer), else $GPT3_TOKENIZER_DIR,
/// else the directory of `weights` (--weights) when it holds vocab.bpe.
/// Returns 0, or the exit code after reporting why not.
int openTokenizer(const std::string &dir, const std::string &weights,
                  Tokenizer &out);

/// The ids of `text` (any bytes; invalid UTF-8 becomes U+FFFD).
gpt3_status_t encodeText(const gpt3_tokenizer_t *tokenizer,
                         const std::string &text, std::vector<int32_t> &ids);

/// The ids of the text file `path` (a corpus, `--data`), through the
/// tokenizer in `dir` (else $GPT3_TOKENIZER_DIR, else `weights`' directory),
/// each checked to lie in a vocabulary of `vocab`. Returns 0, or the exit
/// code after reporting why not.
int readCorpus(const std::string &path, const std::string &dir,
               const std::string &weights, int64_t vocab,
               std::vector<int32_t> &ids);

struct TokenizeSettings {
  std::string text, textFile, ids, tokenizer;
};

/// Declares `tokenize`'s flags on `app`.
CLI::App *addTokenizeCommand(CLI::App &app, TokenizeSettings &s);

/// `tokenize --text T | --text-file F | --ids "15496 995"`.
int commandTokenize(const TokenizeSettings &s, const GivenFlags &given);

} // namespace gpt3

#endif // GPT3_DRIVER_CLI_H
