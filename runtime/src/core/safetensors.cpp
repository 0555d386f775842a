//===- safetensors.cpp - Validating, memory-mapped safetensors --*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "safetensors.h"

#include "shape.h"
#include "status.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

using gpt3::SafetensorsFile;
using gpt3::shapeString;
using gpt3::TensorInfo;

namespace {
gpt3_status_t malformed(const std::string &path, const std::string &what) {
  return gpt3::makeStatus(GPT3_STATUS_DATA_LOSS, path + ": " + what);
}

/// The format allows `__metadata__` only as a map of strings to strings
/// (the reference implementation refuses anything else); says what is
/// wrong with it, if anything.
std::string checkMetadata(const nlohmann::json &metadata) {
  if (!metadata.is_object())
    return std::string("__metadata__ must be a map of strings to strings, "
                       "got ") +
           metadata.type_name();
  for (auto it = metadata.begin(); it != metadata.end(); ++it)
    if (!it.value().is_string())
      return "__metadata__ must map strings to strings, but '" + it.key() +
             "' holds " + (it.value().is_number() ? "a " : "") +
             it.value().type_name() + " (" + it.value().dump() + ")";
  return "";
}

/// Parses one header entry into `info`, or says what is wrong with it.
std::string parseEntry(const std::string &name, const nlohmann::json &entry,
                       TensorInfo &info) {
  if (!entry.is_object())
    return "tensor '" + name + "': entry is not a JSON object";
  info.name = name;
  auto dtype = entry.find("dtype");
  if (dtype == entry.end() || !dtype->is_string())
    return "tensor '" + name + "': missing string field 'dtype'";
  info.dtype = dtype->get<std::string>();
  if (SafetensorsFile::dtypeSize(info.dtype) == 0)
    return "tensor '" + name + "': unknown dtype '" + info.dtype + "'";
  auto shape = entry.find("shape");
  if (shape == entry.end() || !shape->is_array())
    return "tensor '" + name + "': missing list field 'shape'";
  for (const nlohmann::json &dim : *shape) {
    if (!dim.is_number_unsigned())
      return "tensor '" + name +
             "': shape must be a list of non-negative integers";
    info.shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
    if (info.shape.back() < 0)
      return "tensor '" + name + "': dimension too large";
  }
  auto offsets = entry.find("data_offsets");
  if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned())
    return "tensor '" + name +
           "': data_offsets must be [begin, end] with non-negative integers";
  info.begin = (*offsets)[0].get<uint64_t>();
  info.end = (*offsets)[1].get<uint64_t>();
  if (info.begin > info.end)
    return "tensor '" + name + "': data_offsets [" +
           std::to_string(info.begin) + ", " + std::to_string(info.end) +
           "] end before they begin";
  uint64_t bytes =
      static_cast<uint64_t>(SafetensorsFile::dtypeSize(info.dtype));
  for (int64_t dim : info.shape)
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(dim), &bytes))
      return "tensor '" + name + "': shape " + shapeString(info.shape) +
             " is too large";
  if (bytes != info.end - info.begin)
    return "tensor '" + name + "': shape " + shapeString(info.shape) + " of " +
           info.dtype + " needs " + std::to_string(bytes) + " bytes, but " +
           "data_offsets [" + std::to_string(info.begin) + ", " +
           std::to_string(info.end) + "] hold " +
           std::to_string(info.end - info.begin);
  return "";
}
} // namespace

int64_t SafetensorsFile::dtypeSize(const std::string &dtype) {
  static const std::pair<const char *, int64_t> sizes[] = {
      {"F64", 8}, {"F32", 4}, {"F16", 2},  {"BF16", 2},    {"I64", 8},
      {"I32", 4}, {"I16", 2}, {"I8", 1},   {"U64", 8},     {"U32", 4},
      {"U16", 2}, {"U8", 1},  {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
  for (auto [name, size] : sizes)
    if (dtype == name)
      return size;
  return 0;
}

gpt3_status_t SafetensorsFile::open(const std::string &path,
                                    std::unique_ptr<SafetensorsFile> *out) {
  out->reset();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return makeStatus(errno == ENOENT ? GPT3_STATUS_NOT_FOUND
                                      : GPT3_STATUS_INVALID_ARGUMENT,
                      path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      path + ": not a regular file");
  }
  uint64_t fileBytes = static_cast<uint64_t>(st.st_size);
  if (fileBytes < 8) {
    ::close(fd);
    return malformed(path, "file is " + std::to_string(fileBytes) +
                               " bytes, shorter than the 8-byte header "
                               "length");
  }
  void *mapping = mmap(nullptr, fileBytes, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED)
    return makeStatus(GPT3_STATUS_RESOURCE_EXHAUSTED,
                      path + ": cannot map: " + std::strerror(errno));
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->mapping_ = mapping;
  file->mappingBytes_ = fileBytes;
  const uint8_t *bytes = static_cast<const uint8_t *>(mapping);

  uint64_t headerBytes = 0;
  for (int i = 7; i >= 0; --i)
    headerBytes = (headerBytes << 8) | bytes[i];
  if (headerBytes > kMaxHeaderBytes)
    return malformed(path, "header length " + std::to_string(headerBytes) +
                               " exceeds the " +
                               std::to_string(kMaxHeaderBytes) + "-byte cap");
  if (headerBytes > fileBytes - 8)
    return malformed(path, "header length " + std::to_string(headerBytes) +
                               " runs past the end of the " +
                               std::to_string(fileBytes) + "-byte file");
  uint64_t dataBytes = fileBytes - 8 - headerBytes;
  file->dataStart_ = bytes + 8 + headerBytes;

  // nlohmann rejects ill-formed UTF-8 in strings while parsing.
  nlohmann::json header = nlohmann::json::parse(
      bytes + 8, bytes + 8 + headerBytes, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded())
    return malformed(path, "header is not valid UTF-8 JSON");
  if (!header.is_object())
    return malformed(path, "header is not a JSON object");

  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      std::string problem = checkMetadata(it.value());
      if (!problem.empty())
        return malformed(path, problem);
      continue;
    }
    TensorInfo info;
    std::string problem = parseEntry(it.key(), it.value(), info);
    if (!problem.empty())
      return malformed(path, problem);
    file->tensors_.push_back(std::move(info));
  }

  // The byte ranges, in order, must tile [0, dataBytes) exactly.
  std::vector<const TensorInfo *> order;
  for (const TensorInfo &t : file->tensors_)
    order.push_back(&t);
  std::sort(order.begin(), order.end(),
            [](const TensorInfo *a, const TensorInfo *b) {
              return std::tie(a->begin, a->end, a->name) <
                     std::tie(b->begin, b->end, b->name);
            });
  uint64_t expected = 0;
  const TensorInfo *previous = nullptr;
  for (const TensorInfo *t : order) {
    if (t->begin < expected)
      return malformed(path, "tensor '" + t->name + "' at data offset " +
                                 std::to_string(t->begin) +
                                 " overlaps tensor '" + previous->name +
                                 "', which ends at " +
                                 std::to_string(expected));
    if (t->begin > expected)
      return malformed(path, "gap in the data: tensor '" + t->name +
                                 "' starts at data offset " +
                                 std::to_string(t->begin) + ", expected " +
                                 std::to_string(expected));
    if (t->end > dataBytes)
      return malformed(path, "tensor '" + t->name + "' ends at data offset " +
                                 std::to_string(t->end) + ", past the " +
                                 std::to_string(dataBytes) +
                                 "-byte data section (truncated file?)");
    expected = t->end;
    previous = t;
  }
  if (expected != dataBytes)
    return malformed(path, "data section is " + std::to_string(dataBytes) +
                               " bytes, but the tensors end at data offset " +
                               std::to_string(expected));
  *out = std::move(file);
  return nullptr;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_)
    munmap(mapping_, mappingBytes_);
}
