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

#include <map>
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
/// `known` are an error.
Flags parseFlags(int argc, char **argv, int first,
                 const std::vector<std::string> &known);

/// Prints "error: <message>" and returns kExitBadInput.
int badInput(const std::string &message);

/// Reports `status` and frees it; bad input exits 2, anything else 1.
int report(gpt3_status_t status);

/// The tokenizer directory: --tokenizer, else $GPT3_TOKENIZER_DIR, else the
/// directory of --weights when it holds vocab.bpe. Empty when none.
std::string tokenizerDir(const Flags &flags);

/// `tokenize --text T | --text-file F | --ids "15496 995"`.
int commandTokenize(const Flags &flags);

} // namespace gpt3

#endif // GPT3_DRIVER_CLI_H
