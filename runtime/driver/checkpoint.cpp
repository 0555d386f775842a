//===- checkpoint.cpp - Training checkpoints --------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "checkpoint.h"

#include "cli.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace gpt3;

namespace {
constexpr int kCheckpointVersion = 2;

/// The tensor files of a checkpoint, by their key in checkpoint.json.
const char *const kFileKinds[] = {"model", "optimizer"};

std::vector<std::string> momentNames(const std::vector<std::string> &params) {
  std::vector<std::string> names;
  for (const char *moment : {"m.", "v."})
    for (const std::string &p : params)
      names.push_back(moment + p);
  return names;
}

gpt3_status_t badCheckpoint(const std::string &path, const std::string &why) {
  std::string message = path + ": " + why;
  return gpt3_status_create(GPT3_STATUS_DATA_LOSS, message.c_str());
}

std::string hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx",
                static_cast<unsigned long long>(value));
  return text;
}

/// A file's size and XXH3-64 checksum.
struct Digest {
  uint64_t bytes = 0;
  std::string xxh3;
};

/// The digest of the regular file at `path`; false if it cannot be read.
bool digestFile(const std::string &path, Digest &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  struct stat st;
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (ok) {
    size_t size = static_cast<size_t>(st.st_size);
    const void *data = "";
    if (size > 0) {
      data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      ok = data != MAP_FAILED;
    }
    if (ok) {
      out.bytes = size;
      out.xxh3 = hex64(XXH3_64bits(data, size));
    }
    if (ok && size > 0)
      ::munmap(const_cast<void *>(data), size);
  }
  ::close(fd);
  return ok;
}

/// checkpoint.json's checksum covers its compact form without the checksum.
std::string jsonChecksum(nlohmann::json json) {
  json.erase("checksum");
  std::string text = json.dump();
  return hex64(XXH3_64bits(text.data(), text.size()));
}

/// Whether `name` is `<prefix><digits><suffix>`.
bool hasDigitsBetween(const std::string &name, const std::string &prefix,
                      const std::string &suffix) {
  if (name.size() <= prefix.size() + suffix.size() ||
      name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  for (size_t i = prefix.size(); i < name.size() - suffix.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i])))
      return false;
  return true;
}

/// A file a checkpoint write makes: the tensors of some step, or a
/// temporary of gpt3_write_file_atomic (`<name>.tmp.<pid>`).
bool isCheckpointWork(const std::string &name) {
  size_t tmp = name.rfind(".tmp.");
  return hasDigitsBetween(name, "model-", ".safetensors") ||
         hasDigitsBetween(name, "optimizer-", ".safetensors") ||
         (tmp != std::string::npos &&
          hasDigitsBetween(name.substr(tmp), ".tmp.", ""));
}

/// The files checkpoint.json `json` names, model first; empty unless it
/// names every kind.
std::vector<std::string> namedFiles(const nlohmann::json &json) {
  std::vector<std::string> names;
  const nlohmann::json *files =
      json.is_object() && json.contains("files") ? &json["files"] : nullptr;
  for (const char *kind : kFileKinds) {
    if (!files || !files->is_object() || !files->contains(kind) ||
        !(*files)[kind].is_object() || !(*files)[kind].contains("file") ||
        !(*files)[kind]["file"].is_string())
      return {};
    names.push_back((*files)[kind]["file"]);
  }
  return names;
}

/// After a commit (or on resume, to finish an interrupted one): links
/// model.safetensors to the committed weights `keep[0]`, then removes every
/// file of other checkpoints and every temporary. Failures here lose
/// nothing, so they are warnings.
void publish(const std::string &dir, const std::vector<std::string> &keep) {
  if (!keep.empty()) {
    std::string target = dir + "/model.safetensors";
    std::string temporary = target + ".tmp." + std::to_string(::getpid());
    ::unlink(temporary.c_str());
    // A hard link is a plain file to any reader; a symbolic link serves
    // where the filesystem has no hard links.
    if ((::link((dir + "/" + keep[0]).c_str(), temporary.c_str()) != 0 &&
         ::symlink(keep[0].c_str(), temporary.c_str()) != 0) ||
        ::rename(temporary.c_str(), target.c_str()) != 0)
      std::fprintf(stderr, "warning: cannot point %s at %s: %s\n",
                   target.c_str(), keep[0].c_str(), std::strerror(errno));
  }
  // In name order, not the directory's: the same run removes the same
  // files in the same order (the kill tests count calls).
  std::vector<std::string> stale;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *entry = ::readdir(d)) {
      std::string name = entry->d_name;
      if (isCheckpointWork(name) &&
          std::find(keep.begin(), keep.end(), name) == keep.end())
        stale.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(stale.begin(), stale.end());
  for (const std::string &name : stale)
    ::unlink((dir + "/" + name).c_str());
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// Removes what a failed checkpoint write left, keeping the committed
/// checkpoint (if any) as it is.
void discardUncommitted(const std::string &dir) {
  std::string text;
  nlohmann::json committed;
  if (readFile(dir + "/checkpoint.json", text))
    committed = nlohmann::json::parse(text, nullptr, false);
  publish(dir, namedFiles(committed));
}

/// Checks the file that checkpoint.json's `files.<kind>` names; returns
/// its path.
gpt3_status_t verifyFile(const std::string &dir, const std::string &path,
                         const nlohmann::json &json, const char *kind,
                         std::string &out) {
  const nlohmann::json *files =
      json.contains("files") ? &json["files"] : nullptr;
  const nlohmann::json *entry =
      files && files->is_object() && files->contains(kind) ? &(*files)[kind]
                                                           : nullptr;
  if (!entry || !entry->is_object() || !entry->contains("file") ||
      !entry->contains("bytes") || !entry->contains("xxh3") ||
      !(*entry)["file"].is_string() ||
      !(*entry)["bytes"].is_number_unsigned() || !(*entry)["xxh3"].is_string())
    return badCheckpoint(path, std::string("'files.") + kind +
                                   "' must name a file with its bytes and "
                                   "xxh3");
  std::string name = (*entry)["file"];
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
    return badCheckpoint(path, "'files." + std::string(kind) + "' names '" +
                                   name + "', not a file beside it");
  out = dir + "/" + name;
  Digest digest;
  if (!digestFile(out, digest))
    return gpt3_status_create(
        GPT3_STATUS_NOT_FOUND,
        ("cannot read " + out + ", which " + path + " names").c_str());
  if (digest.bytes != (*entry)["bytes"].get<uint64_t>())
    return badCheckpoint(out,
                         std::to_string(digest.bytes) + " bytes where " + path +
                             " records " +
                             std::to_string((*entry)["bytes"].get<uint64_t>()) +
                             "; the checkpoint cannot be resumed");
  if (digest.xxh3 != (*entry)["xxh3"].get<std::string>())
    return badCheckpoint(out, "checksum " + digest.xxh3 + " where " + path +
                                  " records " +
                                  (*entry)["xxh3"].get<std::string>() +
                                  ": the file is damaged or was changed; the "
                                  "checkpoint cannot be resumed");
  return nullptr;
}
} // namespace

gpt3_status_t gpt3::hostTensors(Context &ctx,
                                const std::vector<std::string> &names,
                                std::vector<gpt3_tensor_t> &out,
                                std::vector<std::vector<char>> &copies) {
  for (const std::string &name : names) {
    gpt3_tensor_t t;
    if (gpt3_status_t s = gpt3_context_tensor(ctx.handle, name.c_str(), &t))
      return s;
    if (t.device.type != GPT3_DEVICE_CPU) {
      gpt3_tensor_t host = t;
      host.device = {GPT3_DEVICE_CPU, 0};
      copies.emplace_back(
          numElements(std::vector<int64_t>(t.shape, t.shape + t.rank)) *
          (t.dtype == GPT3_DTYPE_BF16 ? 2 : sizeof(float)));
      host.data = copies.back().data();
      if (gpt3_status_t s = gpt3_context_copy(ctx.handle, &t, &host))
        return s;
      t = host;
    }
    out.push_back(t);
  }
  return nullptr;
}

gpt3_status_t gpt3::saveTensors(const std::string &path,
                                const std::vector<std::string> &names,
                                const std::vector<gpt3_tensor_t> &tensors) {
  std::vector<const char *> cNames;
  for (const std::string &name : names)
    cNames.push_back(name.c_str());
  return gpt3_safetensors_save(path.c_str(), cNames.data(), tensors.data(),
                               tensors.size());
}

namespace {
/// The states of a ZeRO-1 model that each rank holds a share of, gathered
/// whole on the lead rank into `copies`, as views by the names one
/// process's checkpoint gives them (a stack's layers one by one). Every
/// rank must call it; the others get no views.
gpt3_status_t gatherShares(Context &ctx, const Ranks &ranks,
                           std::map<std::string, gpt3_tensor_t> &views,
                           std::vector<std::vector<char>> &copies) {
  for (const gpt3_arg_t &arg : entryArgs(ctx, "train_step")) {
    if (arg.kind != GPT3_ARG_STATE)
      continue;
    std::vector<int64_t> whole;
    for (const nlohmann::json &e : ctx.manifest["entries"])
      for (const nlohmann::json &a : e["args"])
        if (e["name"] == "train_step" && a["name"] == arg.name)
          whole = a.value("shard_of", std::vector<int64_t>{});
    if (whole.empty())
      continue;
    gpt3_tensor_t share;
    if (gpt3_status_t s = gpt3_context_tensor(ctx.handle, arg.name, &share))
      return s;
    int64_t count = numElements(shapeOf(arg));
    copies.emplace_back(ranks.lead() ? ranks.size * count * sizeof(float) : 0);
    float *all = reinterpret_cast<float *>(copies.back().data());
    gatherToLead(static_cast<const float *>(share.data), count, all);
    if (!ranks.lead())
      continue;
    if (arg.num_layers == 0) {
      views[arg.name] = tensorView(all, whole, GPT3_DTYPE_F32);
      continue;
    }
    std::vector<int64_t> layer(whole.begin() + 1, whole.end());
    for (int32_t i = 0; i < arg.num_layers; ++i)
      views[arg.layers[i]] =
          tensorView(all + i * numElements(layer), layer, GPT3_DTYPE_F32);
  }
  return nullptr;
}
} // namespace

gpt3_status_t gpt3::saveCheckpoint(Context &ctx, const std::string &dir,
                                   const std::vector<std::string> &params,
                                   const TrainState &state,
                                   const Ranks &ranks) {
  std::vector<std::string> moments = momentNames(params);
  std::vector<gpt3_tensor_t> weightViews, momentViews;
  std::vector<std::vector<char>> copies;
  std::map<std::string, gpt3_tensor_t> gathered;
  if (gpt3_status_t s = gatherShares(ctx, ranks, gathered, copies))
    return s;
  if (!ranks.lead())
    return nullptr;
  if (gpt3_status_t s = hostTensors(ctx, params, weightViews, copies))
    return s;
  for (const std::string &moment : moments) {
    auto whole = gathered.find(moment);
    if (whole != gathered.end())
      momentViews.push_back(whole->second);
    else if (gpt3_status_t s = hostTensors(ctx, {moment}, momentViews, copies))
      return s;
  }
  char tag[32];
  std::snprintf(tag, sizeof tag, "%08lld", static_cast<long long>(state.step));

  const std::vector<std::string> *names[] = {&params, &moments};
  const std::vector<gpt3_tensor_t> *views[] = {&weightViews, &momentViews};
  nlohmann::json files = nlohmann::json::object();
  for (int i = 0; i < 2; ++i) {
    std::string name = std::string(kFileKinds[i]) + "-" + tag + ".safetensors";
    gpt3_status_t s = saveTensors(dir + "/" + name, *names[i], *views[i]);
    Digest digest;
    if (!s && !digestFile(dir + "/" + name, digest))
      s = gpt3_status_create(GPT3_STATUS_INTERNAL,
                             ("cannot read back " + dir + "/" + name).c_str());
    if (s) {
      discardUncommitted(dir);
      return s;
    }
    files[kFileKinds[i]] = {
        {"file", name}, {"bytes", digest.bytes}, {"xxh3", digest.xxh3}};
  }
  nlohmann::json json = {{"version", kCheckpointVersion}, {"step", state.step},
                         {"updates", state.updates},      {"rng", state.rng},
                         {"settings", state.settings},    {"files", files}};
  json["checksum"] = jsonChecksum(json);
  std::string text = json.dump(2) + "\n";
  if (gpt3_status_t s = gpt3_write_file_atomic(
          (dir + "/checkpoint.json").c_str(), text.data(), text.size())) {
    discardUncommitted(dir);
    return s;
  }
  publish(dir, namedFiles(json));
  return nullptr;
}

gpt3_status_t gpt3::loadCheckpoint(Context &ctx, const std::string &dir,
                                   TrainState &state) {
  std::string path = dir + "/checkpoint.json", text;
  if (!readFile(path, text))
    return gpt3_status_create(
        GPT3_STATUS_NOT_FOUND,
        ("no checkpoint to resume: cannot read " + path).c_str());
  nlohmann::json json =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return badCheckpoint(path, "not a JSON object");
  if (json.value("version", 0) == 1)
    return badCheckpoint(path, "a version-1 checkpoint, written before "
                               "checkpoints were atomic; resume it with the "
                               "model binary that wrote it");
  if (json.value("version", 0) != kCheckpointVersion)
    return badCheckpoint(path, "not a version-2 checkpoint");
  if (!json.contains("checksum") || !json["checksum"].is_string() ||
      json["checksum"].get<std::string>() != jsonChecksum(json))
    return badCheckpoint(path, "its checksum does not match its contents: "
                               "the file is damaged or was changed");
  for (const char *key : {"step", "updates"})
    if (!json.contains(key) || !json[key].is_number_integer() ||
        json[key].get<int64_t>() < 0)
      return badCheckpoint(path, std::string("'") + key +
                                     "' must be an integer >= 0");
  if (!json.contains("rng") || !json["rng"].is_string() ||
      !json.contains("settings") || !json["settings"].is_object())
    return badCheckpoint(path, "'rng' and 'settings' are missing");
  std::string weights, moments;
  if (gpt3_status_t s = verifyFile(dir, path, json, "model", weights))
    return s;
  if (gpt3_status_t s = verifyFile(dir, path, json, "optimizer", moments))
    return s;
  if (gpt3_status_t s = gpt3_context_load_weights(ctx.handle, weights.c_str()))
    return s;
  if (gpt3_status_t s = gpt3_context_load_states(ctx.handle, moments.c_str()))
    return s;
  state.step = json["step"].get<int64_t>();
  state.updates = json["updates"].get<int64_t>();
  state.rng = json["rng"].get<std::string>();
  state.settings = json["settings"];
  publish(dir, namedFiles(json));
  return nullptr;
}
