//===- files.cpp - Atomic file writes and the safetensors writer -*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Checkpoints must survive a kill at any instant: every file is written
// beside its destination, flushed to disk, renamed over it, and the rename
// flushed with the directory. A reader sees the old file or the new one.
//
//===----------------------------------------------------------------------===//

#include "gpt3/runtime.h"

#include "device.h"
#include "status.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {
struct Piece {
  const void *data;
  size_t size;
};

gpt3_status_t ioError(const std::string &what, const std::string &path) {
  return gpt3::makeStatus(GPT3_STATUS_INTERNAL, "cannot " + what + " " + path +
                                                    ": " +
                                                    std::strerror(errno));
}

bool writeAll(int fd, const void *data, size_t size) {
  const char *p = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

gpt3_status_t writeAtomically(const std::string &path,
                              const std::vector<Piece> &pieces) {
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return ioError("create", temporary);
  for (const Piece &piece : pieces)
    if (!writeAll(fd, piece.data, piece.size)) {
      gpt3_status_t status = ioError("write", temporary);
      ::close(fd);
      ::unlink(temporary.c_str());
      return status;
    }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    gpt3_status_t status = ioError("flush", temporary);
    ::unlink(temporary.c_str());
    return status;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    gpt3_status_t status = ioError("rename into", path);
    ::unlink(temporary.c_str());
    return status;
  }
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  int dirFd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
  return nullptr;
}
/// gpt3_safetensors_save's work.
gpt3_status_t saveSafetensors(const char *path, const char *const *names,
                              const gpt3_tensor_t *tensors, size_t count) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  std::vector<Piece> pieces;
  uint64_t offset = 0;
  for (size_t i = 0; i < count; ++i) {
    const gpt3_tensor_t &t = tensors[i];
    bool bf16 = t.dtype == GPT3_DTYPE_BF16;
    if ((t.dtype != GPT3_DTYPE_F32 && !bf16) || t.rank < 0 || t.rank > 8 ||
        !t.data)
      return gpt3::makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                              std::string("gpt3_safetensors_save: '") +
                                  names[i] + "' is not an f32 or bf16 tensor");
    // Written from host memory only: a GPU's buffer is not readable here.
    if (t.device.type != GPT3_DEVICE_CPU)
      return gpt3::makeStatus(
          GPT3_STATUS_INVALID_ARGUMENT,
          std::string("gpt3_safetensors_save: '") + names[i] + "' is in " +
              gpt3::deviceName(t.device) + " memory, not the host's");
    uint64_t bytes = bf16 ? 2 : 4;
    std::vector<int64_t> shape(t.shape, t.shape + t.rank);
    for (int64_t d : shape)
      bytes *= static_cast<uint64_t>(d);
    header[names[i]] = {{"dtype", bf16 ? "BF16" : "F32"},
                        {"shape", shape},
                        {"data_offsets", {offset, offset + bytes}}};
    pieces.push_back({t.data, bytes});
    offset += bytes;
  }
  // The data section starts 8-byte aligned: pad the JSON with spaces.
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  uint64_t length = json.size();
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i)
    prefix[i] = static_cast<unsigned char>(length >> (8 * i));
  pieces.insert(pieces.begin(), {{prefix, 8}, {json.data(), json.size()}});
  return writeAtomically(path, pieces);
}
} // namespace

gpt3_status_t gpt3_write_file_atomic(const char *path, const void *data,
                                     size_t size) {
  if (!path || (!data && size))
    return gpt3::makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                            "gpt3_write_file_atomic: null argument");
  return gpt3::guarded("gpt3_write_file_atomic", [&] {
    return writeAtomically(path, {{data, size}});
  });
}

gpt3_status_t gpt3_safetensors_save(const char *path, const char *const *names,
                                    const gpt3_tensor_t *tensors,
                                    size_t count) {
  if (!path || (count && (!names || !tensors)))
    return gpt3::makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                            "gpt3_safetensors_save: null argument");
  return gpt3::guarded("gpt3_safetensors_save", [&] {
    return saveSafetensors(path, names, tensors, count);
  });
}
