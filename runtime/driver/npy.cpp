//===- npy.cpp - NumPy .npy files for the model binary ----------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "npy.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

namespace {
const char kMagic[] = "\x93NUMPY";

int64_t elementSize(const std::string &descr) {
  if (descr == "<i4" || descr == "<f4")
    return 4;
  if (descr == "<i8")
    return 8;
  return 0;
}
} // namespace

bool gpt3::readNpy(const std::string &path, NpyArray &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, kMagic, 6) != 0) {
    error = path + ": not a .npy file (bad magic)";
    return false;
  }
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(bytes[8]) |
                static_cast<unsigned char>(bytes[9]) << 8;
    headerStart = 10;
  } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = headerLen << 8 | static_cast<unsigned char>(bytes[8 + i]);
    headerStart = 12;
  } else {
    error = path + ": unsupported .npy version " + std::to_string(major);
    return false;
  }
  if (headerStart + headerLen > bytes.size()) {
    error = path + ": header runs past the end of the file";
    return false;
  }
  std::string header = bytes.substr(headerStart, headerLen);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']*)'"))) {
    error = path + ": header has no 'descr'";
    return false;
  }
  out.descr = m[1];
  if (elementSize(out.descr) == 0) {
    error = path + ": dtype '" + out.descr +
            "' is not supported; use little-endian int32, int64 or float32";
    return false;
  }
  if (std::regex_search(header, m,
                        std::regex("'fortran_order'\\s*:\\s*True"))) {
    error = path + ": Fortran-ordered arrays are not supported";
    return false;
  }
  if (!std::regex_search(header, m,
                         std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)"))) {
    error = path + ": header has no 'shape'";
    return false;
  }
  out.shape.clear();
  std::stringstream dims(m[1].str());
  std::string dim;
  int64_t count = 1;
  while (std::getline(dims, dim, ',')) {
    size_t first = dim.find_first_not_of(" ");
    if (first == std::string::npos)
      continue;
    char *end = nullptr;
    long long value = std::strtoll(dim.c_str() + first, &end, 10);
    if (value < 0 || (end && *end && *end != ' ')) {
      error = path + ": bad shape entry '" + dim + "'";
      return false;
    }
    out.shape.push_back(value);
    count *= value;
  }
  size_t dataBytes = static_cast<size_t>(count) * elementSize(out.descr);
  size_t dataStart = headerStart + headerLen;
  if (bytes.size() - dataStart != dataBytes) {
    error = path + ": holds " + std::to_string(bytes.size() - dataStart) +
            " data bytes, but its shape needs " + std::to_string(dataBytes);
    return false;
  }
  out.data.assign(bytes.begin() + dataStart, bytes.end());
  return true;
}

bool gpt3::writeNpyF32(const std::string &path,
                       const std::vector<int64_t> &shape, const float *values,
                       std::string &error) {
  std::string dims;
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    dims += (i ? ", " : "") + std::to_string(shape[i]);
    count *= shape[i];
  }
  if (shape.size() == 1)
    dims += ","; // a Python 1-tuple
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad so the data starts at a multiple of 64 bytes, newline-terminated.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string temp = path + ".tmp";
  std::FILE *f = std::fopen(temp.c_str(), "wb");
  if (!f) {
    error = path + ": cannot write: " + std::strerror(errno);
    return false;
  }
  unsigned char lengthBytes[2] = {
      static_cast<unsigned char>(header.size()),
      static_cast<unsigned char>(header.size() >> 8)};
  bool ok = std::fwrite(kMagic, 1, 6, f) == 6 &&
            std::fwrite("\x01\x00", 1, 2, f) == 2 &&
            std::fwrite(lengthBytes, 1, 2, f) == 2 &&
            std::fwrite(header.data(), 1, header.size(), f) == header.size() &&
            std::fwrite(values, sizeof(float), count, f) ==
                static_cast<size_t>(count);
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    error = path + ": write failed: " + std::strerror(errno);
    return false;
  }
  return true;
}

bool gpt3::readTokenIds(const std::string &path,
                        const std::vector<int64_t> &shape,
                        std::vector<int32_t> &ids, std::string &error) {
  auto fail = [&](const std::string &message) {
    error = message;
    return false;
  };
  NpyArray tokens;
  if (!readNpy(path, tokens, error))
    return false;
  if (tokens.descr != "<i4" && tokens.descr != "<i8")
    return fail(path + ": token ids must be int32 or int64, got '" +
                tokens.descr + "'");
  if (tokens.shape != shape)
    return fail(path + ": shape " + nlohmann::json(tokens.shape).dump() +
                " differs from the compiled [batch, seq] " +
                nlohmann::json(shape).dump() +
                "; recompile with --batch/--seq");
  size_t count = tokens.data.size() / (tokens.descr == "<i8" ? 8 : 4);
  ids.assign(count, 0);
  for (size_t i = 0; i < count; ++i) {
    int64_t id;
    if (tokens.descr == "<i8")
      std::memcpy(&id, tokens.data.data() + 8 * i, 8);
    else {
      int32_t narrow;
      std::memcpy(&narrow, tokens.data.data() + 4 * i, 4);
      id = narrow;
    }
    if (id < INT32_MIN || id > INT32_MAX)
      return fail("token id " + std::to_string(id) + " at position " +
                  std::to_string(i) + " is out of range");
    ids[i] = static_cast<int32_t>(id);
  }
  return true;
}
