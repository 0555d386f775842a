//===- cli.cpp - Flags and error reporting of the model binary --*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "cli.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

using namespace gpt3;

Flags gpt3::parseFlags(int argc, char **argv, int first,
                       const std::vector<std::string> &known,
                       const std::vector<std::string> &switches) {
  Flags flags;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      flags.error = "unexpected argument '" + arg + "'";
      return flags;
    }
    std::string name = arg.substr(2), value;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      value = argv[++i];
    } else if (std::find(switches.begin(), switches.end(), name) ==
               switches.end()) {
      flags.error = "flag --" + name + " needs a value";
      return flags;
    }
    bool isKnown = false;
    for (const std::string &k : known)
      isKnown |= k == name;
    if (!isKnown) {
      flags.error = "unknown flag --" + name;
      return flags;
    }
    flags.values[name] = value;
  }
  return flags;
}

int gpt3::badInput(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return kExitBadInput;
}

/// Reports `status` and frees it; bad input exits 2, anything else 1.
int gpt3::report(gpt3_status_t status) {
  std::fprintf(stderr, "error: %s\n", gpt3_status_message(status));
  gpt3_status_code_t code = gpt3_status_code(status);
  gpt3_status_free(status);
  return code == GPT3_STATUS_INTERNAL || code == GPT3_STATUS_RESOURCE_EXHAUSTED
             ? kExitFailure
             : kExitBadInput;
}

gpt3_tensor_t gpt3::tensorView(void *data, const std::vector<int64_t> &shape,
                               gpt3_dtype_t dtype) {
  gpt3_tensor_t t{};
  t.data = data;
  t.rank = static_cast<int32_t>(shape.size());
  t.dtype = dtype;
  std::copy(shape.begin(), shape.end(), t.shape);
  return t;
}

bool gpt3::readFile(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream contents;
  contents << in.rdbuf();
  out = contents.str();
  return true;
}

bool gpt3::makeDirectories(const std::string &path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return false;
    if (slash == std::string::npos)
      break;
  }
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
