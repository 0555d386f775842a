//===- cli.cpp - Flags and error reporting of the model binary --*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "cli.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

using namespace gpt3;

CLI::Validator gpt3::numberCheck(const std::string &range, bool integral,
                                 std::function<bool(double)> accept) {
  return CLI::Validator(
      [=](std::string &text) -> std::string {
        char *end = nullptr;
        double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end || !accept(value) ||
            (integral && value != std::floor(value)))
          return "must be " + range + ", got '" + text + "'";
        return {};
      },
      range);
}

namespace {
template <typename T> std::string rangeText(const char *kind, T lo, T hi) {
  std::ostringstream text;
  text << kind << " in [" << lo << ", " << hi << "]";
  return text.str();
}
} // namespace

CLI::Validator gpt3::integerIn(int64_t lo, int64_t hi) {
  return numberCheck(rangeText("an integer", lo, hi), true,
                     [=](double v) { return v >= lo && v <= hi; });
}

CLI::Validator gpt3::numberIn(double lo, double hi) {
  return numberCheck(rangeText("a number", lo, hi), false,
                     [=](double v) { return v >= lo && v <= hi; });
}

CLI::Validator gpt3::unsignedInteger() {
  return numberCheck("an unsigned integer", true,
                     [](double v) { return v >= 0 && v < 0x1p64; });
}

CLI::Validator gpt3::oneOf(const std::vector<std::string> &choices) {
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i)
    list += (i == 0 ? "" : i + 1 < choices.size() ? ", " : " or ") + choices[i];
  return CLI::Validator(
      [=](std::string &text) -> std::string {
        if (std::find(choices.begin(), choices.end(), text) != choices.end())
          return {};
        return "must be " + list + ", got '" + text + "'";
      },
      list);
}

namespace {
/// Help lines as "-n,--max-new-tokens N   tokens to add (an integer >= 0;
/// default 32)": the value's name after the flag, its range, default and
/// whether it is required after the description.
class HelpFormatter : public CLI::Formatter {
public:
  std::string make_option_opts(const CLI::Option *option) const override {
    if (option->get_type_size() == 0)
      return "";
    return " " + valueName(*option);
  }
  std::string make_option_desc(const CLI::Option *option) const override {
    std::vector<std::string> notes;
    if (option->get_required())
      notes.push_back("required");
    std::string type = option->get_type_name();
    size_t colon = type.find(':');
    if (colon != std::string::npos)
      notes.push_back(type.substr(colon + 1));
    if (option->get_type_size() != 0 && !option->get_default_str().empty())
      notes.push_back("default " + option->get_default_str());
    std::string text = option->get_description();
    for (size_t i = 0; i < notes.size(); ++i)
      text += (i ? "; " : " (") + notes[i];
    return notes.empty() ? text : text + ")";
  }
};
} // namespace

std::string gpt3::valueName(const CLI::Option &option) {
  std::string type = option.get_type_name();
  return type.substr(0, type.find(':'));
}

std::shared_ptr<CLI::Formatter> gpt3::helpFormatter() {
  auto formatter = std::make_shared<HelpFormatter>();
  formatter->column_width(32);
  return formatter;
}

void gpt3::addTokenizerFlag(CLI::App &command, std::string &dir,
                            const std::string &fallback) {
  command
      .add_option("--tokenizer", dir,
                  "directory with encoder.json and vocab.bpe; default: " +
                      fallback)
      ->type_name("DIR");
}

void gpt3::addThreadsFlag(CLI::App &command, int32_t &threads) {
  command
      .add_option("-t,--threads", threads,
                  "worker threads; default: every core, or $OMP_NUM_THREADS")
      ->check(integerIn(1, 4096))
      ->type_name("N");
}

void gpt3::addDeviceFlag(CLI::App &command, std::string &device) {
  command
      .add_option("--device", device,
                  "where the model runs: cpu, or cuda (the first GPU); "
                  "default and only choice: the target it was compiled for")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->type_name("cpu|cuda");
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
