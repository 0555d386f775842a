//===- context.cpp - gpt3_context_t -----------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Opens a compiled model, binds its weights into one arena, owns the one
// workspace every entry point shares, and calls entry points through their
// packed `void (*)(void **)` wrappers in manifest argument order. Every
// buffer lives on the context's device and is reached through its
// operations (device.h). No exception leaves a C function: each body runs
// under `guarded`.
//
//===----------------------------------------------------------------------===//

#include "convert.h"
#include "device.h"
#include "manifest.h"
#include "random.h"
#include "safetensors.h"
#include "status.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <dlfcn.h>
#include <sys/stat.h>

using namespace gpt3;

struct gpt3_context_t {
  void *library = nullptr; // dlopen handle of a .so artefact
  std::string manifestText;
  Manifest manifest;
  // A GPU is opened when first needed, so that a context can describe a
  // GPU model where there is no GPU.
  std::unique_ptr<Device> device;
  gpt3_device_t deviceId{GPT3_DEVICE_CPU, 0};
  uint8_t *weights = nullptr; // arena of every parameter, f32 or bf16
  void *workspace = nullptr;
  // Buffers that persist across calls (KV caches, optimizer moments), by
  // name, zeroed when first used and shared by every entry point that names
  // them.
  std::map<std::string, void *> states;
  // Which share of a sharded state (ZeRO-1) this process holds.
  int32_t rank = 0;
  // Device copies of caller tensors in host memory, by entry and argument.
  std::map<std::string, void *> staged;

  ~gpt3_context_t() {
    if (device) {
      for (auto &[name, buffer] : states)
        device->deallocate(buffer);
      for (auto &[name, buffer] : staged)
        device->deallocate(buffer);
      device->deallocate(weights);
      device->deallocate(workspace);
    }
    device.reset();
    if (library)
      dlclose(library);
  }
};

namespace {
gpt3_status_t allocateWorkspace(gpt3_context_t *ctx) {
  if (ctx->manifest.workspaceBytes == 0)
    return nullptr;
  return ctx->device->allocate(ctx->manifest.workspaceBytes, &ctx->workspace);
}

/// Opens the context's GPU (with its workspace) on first use.
gpt3_status_t ensureDevice(gpt3_context_t *ctx) {
  if (ctx->device)
    return nullptr;
  GPT3_RETURN_IF_ERROR(createCudaDevice(ctx->deviceId.ordinal, ctx->device));
  return allocateWorkspace(ctx);
}

/// Hugging Face names may carry a `transformer.` prefix.
std::string canonicalName(const std::string &name) {
  static const std::string prefix = "transformer.";
  return name.compare(0, prefix.size(), prefix) == 0
             ? name.substr(prefix.size())
             : name;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

gpt3_status_t nullArgument(const char *function) {
  return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                    std::string(function) + ": null argument");
}

/// The buffer of state `name`, allocated and zeroed on first use, so a
/// model that only generates never holds optimizer moments. A slice of a
/// stacked state is a view of the stack's buffer.
gpt3_status_t stateBuffer(gpt3_context_t *ctx, const std::string &name,
                          void **out) {
  auto slice = ctx->manifest.stateSlices.find(name);
  if (slice != ctx->manifest.stateSlices.end()) {
    void *stack = nullptr;
    GPT3_RETURN_IF_ERROR(stateBuffer(ctx, slice->second.stack, &stack));
    size_t floats = numElements(ctx->manifest.stateShapes.at(name));
    *out = static_cast<float *>(stack) + slice->second.index * floats;
    return nullptr;
  }
  auto existing = ctx->states.find(name);
  if (existing != ctx->states.end()) {
    *out = existing->second;
    return nullptr;
  }
  size_t bytes =
      numElements(ctx->manifest.stateShapes.at(name)) * sizeof(float);
  GPT3_RETURN_IF_ERROR(ensureDevice(ctx));
  GPT3_RETURN_IF_ERROR(ctx->device->allocate(bytes, out));
  ctx->states[name] = *out;
  return ctx->device->fillZero(*out, bytes);
}

/// The positions a call may start at: [0, positions - new tokens], where
/// `positions` is the compiled sequence length (the rows of a dense layer's
/// cache; a banded layer's ring wraps).
gpt3_status_t checkPosition(const Entry &entry, int64_t positions,
                            int32_t pos) {
  int64_t fresh = 0;
  for (const ArgSpec &arg : entry.args)
    if (arg.kind == GPT3_ARG_INPUT && arg.name == "tokens" &&
        arg.shape.size() == 2)
      fresh = arg.shape[1];
  if (pos < 0 || pos > positions - fresh)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      entry.name + ": pos = " + std::to_string(pos) +
                          " is outside [0, " +
                          std::to_string(positions - fresh) +
                          "], the positions the cache has room for");
  return nullptr;
}

/// The element types a parameter's file tensor may have, told apart once
/// per tensor rather than per element.
enum class FileDtype { F32, F16, BF16 };

/// `tensor`'s element type, or INVALID_ARGUMENT naming it.
gpt3_status_t fileDtype(const SafetensorsFile &file, const TensorInfo &tensor,
                        FileDtype &out) {
  if (tensor.dtype == "F32")
    out = FileDtype::F32;
  else if (tensor.dtype == "F16")
    out = FileDtype::F16;
  else if (tensor.dtype == "BF16")
    out = FileDtype::BF16;
  else
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      file.path() + ": tensor '" + tensor.name +
                          "' has dtype " + tensor.dtype +
                          "; parameters must be F32, F16 or BF16");
  return nullptr;
}

/// Element `i` of `data` as f32, exactly.
float wideElement(const uint8_t *data, FileDtype dtype, size_t i) {
  if (dtype == FileDtype::F32) {
    float value;
    std::memcpy(&value, data + 4 * i, 4);
    return value;
  }
  uint16_t bits;
  std::memcpy(&bits, data + 2 * i, 2);
  return dtype == FileDtype::BF16 ? bf16ToF32(bits) : f16ToF32(bits);
}

/// Elements [begin, begin + out.size()) of `data` as bf16: BF16 as they
/// are, F32 and F16 rounded to nearest even.
void narrowToBf16(const uint8_t *data, FileDtype dtype, size_t begin,
                  std::vector<uint16_t> &out) {
  if (dtype == FileDtype::BF16) {
    std::memcpy(out.data(), data + 2 * begin, 2 * out.size());
    return;
  }
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = f32ToBf16(wideElement(data, dtype, begin + i));
}

/// `rows`, the row-major (..., K, N) parameter `p`, packed into its panels.
template <typename T>
std::vector<T> packedPanels(const std::vector<T> &rows, const Param &p) {
  std::vector<T> panels(rows.size());
  packPanels(rows.data(), p.shape[p.shape.size() - 2], p.shape.back(),
             /*pairs=*/p.dtype == GPT3_DTYPE_BF16, panels.data());
  return panels;
}

/// Copies `tensor` from `file` into bf16 parameter `p` at `out` in device
/// memory: a BF16 tensor as it is, an F32 or F16 one rounded to nearest
/// even, in pieces so that the host holds one piece beside the arena; a
/// packed parameter whole, packed into its panels.
gpt3_status_t copyAsBf16(Device &device, const SafetensorsFile &file,
                         const TensorInfo &tensor, const Param &p,
                         uint16_t *out) {
  FileDtype dtype;
  GPT3_RETURN_IF_ERROR(fileDtype(file, tensor, dtype));
  const uint8_t *src = file.data(tensor);
  size_t count =
      (tensor.end - tensor.begin) / SafetensorsFile::dtypeSize(tensor.dtype);
  if (p.panels) {
    std::vector<uint16_t> rows(count);
    narrowToBf16(src, dtype, 0, rows);
    return device.copyIn(out, packedPanels(rows, p).data(),
                         count * sizeof(uint16_t));
  }
  if (dtype == FileDtype::BF16)
    return device.copyIn(out, src, count * sizeof(uint16_t));
  constexpr size_t kPiece = size_t{1} << 20;
  std::vector<uint16_t> narrowed;
  for (size_t done = 0; done < count; done += kPiece) {
    narrowed.resize(std::min(kPiece, count - done));
    narrowToBf16(src, dtype, done, narrowed);
    GPT3_RETURN_IF_ERROR(device.copyIn(out + done, narrowed.data(),
                                       narrowed.size() * sizeof(uint16_t)));
  }
  return nullptr;
}

/// Copies `tensor` from `file` to `out` in device memory as f32: a state,
/// or parameter `p`, packed into its panels when it is packed.
gpt3_status_t copyAsF32(Device &device, const SafetensorsFile &file,
                        const TensorInfo &tensor, float *out,
                        const Param *p = nullptr) {
  FileDtype dtype;
  GPT3_RETURN_IF_ERROR(fileDtype(file, tensor, dtype));
  const uint8_t *src = file.data(tensor);
  size_t count =
      (tensor.end - tensor.begin) / SafetensorsFile::dtypeSize(tensor.dtype);
  bool panels = p && p->panels;
  if (dtype == FileDtype::F32 && !panels)
    return device.copyIn(out, src, count * sizeof(float));
  std::vector<float> converted(count);
  for (size_t i = 0; i < count; ++i)
    converted[i] = wideElement(src, dtype, i);
  if (panels)
    converted = packedPanels(converted, *p);
  return device.copyIn(out, converted.data(), count * sizeof(float));
}

/// A new weight arena, to be filled completely before it is installed, so a
/// failed load leaves the previous weights in place.
gpt3_status_t allocateArena(gpt3_context_t *ctx, uint8_t **out) {
  GPT3_RETURN_IF_ERROR(ensureDevice(ctx));
  void *arena = nullptr;
  GPT3_RETURN_IF_ERROR(
      ctx->device->allocate(ctx->manifest.weightBytes, &arena));
  *out = static_cast<uint8_t *>(arena);
  return nullptr;
}

void installArena(gpt3_context_t *ctx, uint8_t *arena) {
  ctx->device->deallocate(ctx->weights);
  ctx->weights = arena;
}

/// Every tensor of `file` must be a parameter, a known buffer, or the tied
/// head.
gpt3_status_t
checkNoStrangers(const Manifest &m, const std::string &file,
                 const std::map<std::string, const TensorInfo *> &byName) {
  const Param *wte = m.param("wte.weight");
  for (const auto &[name, tensor] : byName) {
    if (m.param(name) || endsWith(name, ".attn.bias") ||
        endsWith(name, ".attn.masked_bias"))
      continue;
    if (name == "lm_head.weight" && wte && tensor->shape == wte->shape)
      continue;
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      file + ": unexpected tensor '" + tensor->name +
                          "' with shape " + shapeString(tensor->shape) +
                          "; the model has no such parameter");
  }
  return nullptr;
}

gpt3_status_t loadWeights(gpt3_context_t *ctx, const char *path) {
  // Where the model cannot run at all, that comes before any file.
  GPT3_RETURN_IF_ERROR(ensureDevice(ctx));
  std::string file = path;
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    file += "/model.safetensors";
  std::unique_ptr<SafetensorsFile> weights;
  GPT3_RETURN_IF_ERROR(SafetensorsFile::open(file, &weights));
  std::map<std::string, const TensorInfo *> byName;
  for (const TensorInfo &t : weights->tensors())
    byName[canonicalName(t.name)] = &t;
  GPT3_RETURN_IF_ERROR(checkNoStrangers(ctx->manifest, file, byName));

  uint8_t *arena = nullptr;
  GPT3_RETURN_IF_ERROR(allocateArena(ctx, &arena));
  auto fail = [&](gpt3_status_t status) {
    ctx->device->deallocate(arena);
    return status;
  };
  for (const Param &p : ctx->manifest.params) {
    auto it = byName.find(p.name);
    if (it == byName.end())
      return fail(makeStatus(GPT3_STATUS_NOT_FOUND,
                             file + ": missing tensor '" + p.name +
                                 "' with shape " + shapeString(p.shape)));
    const TensorInfo &t = *it->second;
    if (t.shape != p.shape)
      return fail(makeStatus(
          GPT3_STATUS_INVALID_ARGUMENT,
          file + ": tensor '" + t.name + "' has shape " + shapeString(t.shape) +
              ", but the model expects " + shapeString(p.shape)));
    void *dest = arena + p.offset;
    if (gpt3_status_t s = p.dtype == GPT3_DTYPE_BF16
                              ? copyAsBf16(*ctx->device, *weights, t, p,
                                           static_cast<uint16_t *>(dest))
                              : copyAsF32(*ctx->device, *weights, t,
                                          static_cast<float *>(dest), &p))
      return fail(s);
  }
  installArena(ctx, arena);
  return nullptr;
}

/// Where tensor `name` of a file lies in a sharded state: the state, and
/// the tensor's offset and shape in the whole; false if it lies in none.
bool findInShard(const Manifest &m, const std::string &name, std::string &state,
                 int64_t &offset, std::vector<int64_t> &shape) {
  for (const auto &[stateName, shard] : m.stateShards) {
    if (shard.layers.empty() && stateName == name) {
      state = stateName;
      offset = 0;
      shape = shard.whole;
      return true;
    }
    for (size_t i = 0; i < shard.layers.size(); ++i)
      if (shard.layers[i] == name) {
        state = stateName;
        shape.assign(shard.whole.begin() + 1, shard.whole.end());
        offset = static_cast<int64_t>(i) * numElements(shape);
        return true;
      }
  }
  return false;
}

/// Fills this rank's share of each sharded state of which `file` holds
/// every piece (a layer's slice, or the whole), as ZeRO-1 keeps them.
gpt3_status_t loadShares(gpt3_context_t *ctx, const char *path,
                         const SafetensorsFile &file) {
  std::map<std::string, std::vector<float>> wholes;
  for (const TensorInfo &t : file.tensors()) {
    std::string state;
    int64_t offset = 0;
    std::vector<int64_t> shape;
    if (!findInShard(ctx->manifest, t.name, state, offset, shape))
      continue;
    std::vector<float> &whole = wholes[state];
    if (whole.empty())
      whole.resize(numElements(ctx->manifest.stateShards.at(state).whole));
    // The whole is staged in host memory; a sharded model runs on the CPU.
    GPT3_RETURN_IF_ERROR(
        copyAsF32(*ctx->device, file, t, whole.data() + offset));
  }
  for (auto &[state, whole] : wholes) {
    int64_t share = ctx->manifest.stateShapes.at(state)[0];
    std::vector<float> mine(share, 0.0f);
    int64_t begin = ctx->rank * share;
    for (int64_t i = begin; i < std::min<int64_t>(begin + share, whole.size());
         ++i)
      mine[i - begin] = whole[i];
    void *buffer = nullptr;
    GPT3_RETURN_IF_ERROR(stateBuffer(ctx, state, &buffer));
    GPT3_RETURN_IF_ERROR(
        ctx->device->copyIn(buffer, mine.data(), share * sizeof(float)));
  }
  return nullptr;
}

gpt3_status_t loadStates(gpt3_context_t *ctx, const char *path) {
  // Where the model cannot run at all, that comes before any file.
  GPT3_RETURN_IF_ERROR(ensureDevice(ctx));
  std::unique_ptr<SafetensorsFile> file;
  GPT3_RETURN_IF_ERROR(SafetensorsFile::open(path, &file));
  // Everything is checked before anything is written.
  std::map<std::string, size_t> pieces;
  for (const TensorInfo &t : file->tensors()) {
    std::string state;
    int64_t offset = 0;
    std::vector<int64_t> piece;
    if (findInShard(ctx->manifest, t.name, state, offset, piece)) {
      if (piece != t.shape || t.dtype != "F32")
        return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                          std::string(path) + ": state '" + t.name + "' is " +
                              t.dtype + " " + shapeString(t.shape) +
                              ", but the model expects F32 " +
                              shapeString(piece));
      ++pieces[state];
      continue;
    }
    auto shape = ctx->manifest.stateShapes.find(t.name);
    if (shape == ctx->manifest.stateShapes.end())
      return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                        std::string(path) + ": unexpected tensor '" + t.name +
                            "'; the model has no such state");
    if (shape->second != t.shape || t.dtype != "F32")
      return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                        std::string(path) + ": state '" + t.name + "' is " +
                            t.dtype + " " + shapeString(t.shape) +
                            ", but the model expects F32 " +
                            shapeString(shape->second));
  }
  // A sharded state is filled from all its layers or none.
  for (const auto &[state, count] : pieces) {
    size_t layers = ctx->manifest.stateShards.at(state).layers.size();
    if (count != std::max<size_t>(layers, 1))
      return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                        std::string(path) + ": holds " + std::to_string(count) +
                            " of the " + std::to_string(layers) +
                            " layers of state '" + state + "'");
  }
  for (const TensorInfo &t : file->tensors()) {
    if (!ctx->manifest.stateShapes.count(t.name) ||
        ctx->manifest.stateShards.count(t.name))
      continue;
    void *buffer = nullptr;
    GPT3_RETURN_IF_ERROR(stateBuffer(ctx, t.name, &buffer));
    GPT3_RETURN_IF_ERROR(
        copyAsF32(*ctx->device, *file, t, static_cast<float *>(buffer)));
  }
  return loadShares(ctx, path, *file);
}

/// GPT-3's initialisation of parameter `p` from `normal`, into `dest` on
/// `device` (rounded to nearest even for a bf16 parameter), in pieces:
/// beside the arena the host holds one piece, not a copy of the largest
/// tensor (the token embedding's 147 MiB for GPT-3 Small), so the memory
/// plan is the peak. A packed parameter is drawn whole, then packed.
gpt3_status_t initParam(const Param &p, int64_t layers, Normal &normal,
                        Device &device, uint8_t *dest) {
  constexpr int64_t kPiece = int64_t{1} << 20;
  bool gain = endsWith(p.name, "ln_1.weight") ||
              endsWith(p.name, "ln_2.weight") || p.name == "ln_f.weight";
  bool constant = gain || p.shape.size() == 1;
  float std = 0.02f;
  if (endsWith(p.name, "attn.c_proj.weight") ||
      endsWith(p.name, "mlp.c_proj.weight"))
    std /= std::sqrt(2.0f * static_cast<float>(std::max<int64_t>(layers, 1)));
  std::vector<float> values;
  std::vector<uint16_t> narrowed;
  size_t size = dtypeBytes(p.dtype);
  int64_t piece = p.panels ? p.numElements() : kPiece;
  for (int64_t done = 0; done < p.numElements(); done += piece) {
    values.resize(std::min(piece, p.numElements() - done));
    for (float &value : values)
      value = constant ? (gain ? 1.0f : 0.0f) : std * normal.next();
    const void *data;
    if (p.dtype == GPT3_DTYPE_BF16) {
      narrowed.resize(values.size());
      std::transform(values.begin(), values.end(), narrowed.begin(), f32ToBf16);
      if (p.panels)
        narrowed = packedPanels(narrowed, p);
      data = narrowed.data();
    } else {
      if (p.panels)
        values = packedPanels(values, p);
      data = values.data();
    }
    GPT3_RETURN_IF_ERROR(
        device.copyIn(dest + done * size, data, values.size() * size));
  }
  return nullptr;
}

gpt3_status_t initWeights(gpt3_context_t *ctx, uint64_t seed) {
  uint8_t *arena = nullptr;
  GPT3_RETURN_IF_ERROR(allocateArena(ctx, &arena));
  int64_t layers = 0;
  for (const Param &p : ctx->manifest.params)
    layers += endsWith(p.name, ".ln_1.weight");
  // Drawn in Hugging Face order (wte, wpe, h.0.*, h.1.*, ..., ln_f), not
  // the arena's slot by slot, so a seed gives the same model whatever the
  // layout.
  std::vector<const Param *> order;
  for (const Param &p : ctx->manifest.params)
    order.push_back(&p);
  auto rank = [](const Param *p) {
    if (p->name.rfind("h.", 0) != 0)
      return std::pair<int, long>{p->name.rfind("ln_f.", 0) == 0 ? 2 : 0, 0};
    return std::pair<int, long>{1, std::stol(p->name.substr(2))};
  };
  std::stable_sort(
      order.begin(), order.end(),
      [&](const Param *a, const Param *b) { return rank(a) < rank(b); });
  Normal normal(seed);
  for (const Param *p : order)
    if (gpt3_status_t s =
            initParam(*p, layers, normal, *ctx->device, arena + p->offset)) {
      ctx->device->deallocate(arena);
      return s;
    }
  installArena(ctx, arena);
  return nullptr;
}

/// Checks caller tensor `t` against argument `spec` of entry `fn`.
gpt3_status_t checkTensor(const gpt3_context_t *ctx, const char *fn,
                          const ArgSpec &spec, const gpt3_tensor_t &t) {
  std::vector<int64_t> shape(t.shape, t.shape + std::clamp(t.rank, 0, 8));
  if (t.rank < 0 || t.rank > 8 || shape != spec.shape ||
      t.dtype != spec.dtype || !t.data)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      std::string(fn) + ": '" + spec.name + "' must be " +
                          dtypeName(spec.dtype) + " " +
                          shapeString(spec.shape) + ", got " +
                          dtypeName(t.dtype) + " " + shapeString(shape));
  gpt3_device_t device = ctx->device->id();
  bool onHost = t.device.type == GPT3_DEVICE_CPU;
  if (!onHost &&
      (t.device.type != device.type || t.device.ordinal != device.ordinal))
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      std::string(fn) + ": '" + spec.name + "' is on " +
                          deviceName(t.device) + ", but the model runs on " +
                          deviceName(device));
  // Ids in the device's memory are the caller's to check.
  if (!onHost || spec.kind != GPT3_ARG_INPUT || spec.dtype != GPT3_DTYPE_I32 ||
      (spec.name != "tokens" && spec.name != "targets"))
    return nullptr;
  const int32_t *ids = static_cast<const int32_t *>(t.data);
  for (int64_t i = 0, count = numElements(shape); i < count; ++i)
    if (ids[i] < 0 || ids[i] >= ctx->manifest.vocabSize)
      return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                        spec.name + "[" + std::to_string(i) +
                            "] = " + std::to_string(ids[i]) +
                            " is outside the vocabulary [0, " +
                            std::to_string(ctx->manifest.vocabSize) + ")");
  return nullptr;
}

/// Caller tensors in host memory, moved for a device with memory of its
/// own: inputs copied in before the call, outputs copied out after it.
/// Scalar inputs stay on the host, where the entry point reads them.
class Staging {
public:
  /// Device buffers for staged tensors come from `buffers`, by entry and
  /// argument, allocated on first use and kept: a decode step reuses the
  /// last step's instead of allocating (and freeing, which waits for the
  /// GPU) its own.
  Staging(Device &device, std::map<std::string, void *> &buffers,
          const std::string &entry)
      : device_(device), buffers_(buffers), entry_(entry) {}

  /// The pointer the entry point gets for caller tensor `t`.
  gpt3_status_t stage(const ArgSpec &spec, const gpt3_tensor_t &t, void **out) {
    bool hostDevice = device_.id().type == GPT3_DEVICE_CPU;
    bool onHost = t.device.type == GPT3_DEVICE_CPU;
    bool isInput = spec.kind == GPT3_ARG_INPUT;
    size_t bytes = numElements(spec.shape) * dtypeBytes(spec.dtype);
    *out = t.data;
    if (hostDevice || (isInput && spec.shape.empty() && onHost) ||
        (!onHost && !(isInput && spec.shape.empty())))
      return nullptr;
    if (isInput && spec.shape.empty()) {
      scalars_.emplace_back(bytes);
      *out = scalars_.back().data();
      return device_.copyOut(*out, t.data, bytes);
    }
    void *&buffer = buffers_[entry_ + "/" + spec.name];
    if (!buffer)
      GPT3_RETURN_IF_ERROR(device_.allocate(bytes, &buffer));
    *out = buffer;
    if (isInput)
      return device_.copyIn(*out, t.data, bytes);
    outputs_.push_back({t.data, *out, bytes});
    return nullptr;
  }

  /// Copies the outputs back, once the call is done.
  gpt3_status_t finish() {
    for (const Output &o : outputs_)
      GPT3_RETURN_IF_ERROR(device_.copyOut(o.host, o.device, o.bytes));
    return nullptr;
  }

private:
  struct Output {
    void *host;
    void *device;
    size_t bytes;
  };
  Device &device_;
  std::map<std::string, void *> &buffers_;
  std::string entry_;
  std::vector<Output> outputs_;
  std::vector<std::vector<char>> scalars_;
};

gpt3_status_t call(gpt3_context_t *ctx, const char *fn,
                   const gpt3_tensor_t *args, size_t numArgs,
                   gpt3_tensor_t *results, size_t numResults) {
  const Entry *entry = ctx->manifest.entry(fn);
  if (!entry)
    return makeStatus(GPT3_STATUS_NOT_FOUND,
                      std::string("no entry point '") + fn + "'");
  if (!ctx->weights)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "weights are not loaded; call "
                      "gpt3_context_load_weights first");
  GPT3_RETURN_IF_ERROR(ensureDevice(ctx));
  std::vector<void *> argv;
  Staging staging(*ctx->device, ctx->staged, fn);
  size_t nextArg = 0, nextResult = 0;
  for (const ArgSpec &spec : entry->args) {
    if (spec.kind == GPT3_ARG_PARAM) {
      argv.push_back(ctx->weights + spec.paramOffset);
      continue;
    }
    if (spec.kind == GPT3_ARG_WORKSPACE) {
      argv.push_back(ctx->workspace);
      continue;
    }
    if (spec.kind == GPT3_ARG_STATE) {
      void *buffer = nullptr;
      GPT3_RETURN_IF_ERROR(stateBuffer(ctx, spec.name, &buffer));
      argv.push_back(buffer);
      continue;
    }
    bool isInput = spec.kind == GPT3_ARG_INPUT;
    if (isInput ? nextArg >= numArgs : nextResult >= numResults)
      return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                        std::string(fn) + ": too few " +
                            (isInput ? "inputs" : "outputs") + "; '" +
                            spec.name + "' is missing");
    const gpt3_tensor_t &t = isInput ? args[nextArg++] : results[nextResult++];
    GPT3_RETURN_IF_ERROR(checkTensor(ctx, fn, spec, t));
    void *staged = nullptr;
    GPT3_RETURN_IF_ERROR(staging.stage(spec, t, &staged));
    // A scalar input is in host memory once staged.
    if (isInput && spec.name == "pos" && spec.dtype == GPT3_DTYPE_I32)
      GPT3_RETURN_IF_ERROR(
          checkPosition(*entry, ctx->manifest.positions,
                        *static_cast<const int32_t *>(staged)));
    argv.push_back(staged);
  }
  if (nextArg != numArgs || nextResult != numResults)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      std::string(fn) + ": too many inputs or outputs");
  GPT3_RETURN_IF_ERROR(ctx->device->call(entry->fn, argv.data()));
  GPT3_RETURN_IF_ERROR(ctx->device->synchronize());
  return staging.finish();
}

gpt3_status_t create(const gpt3_context_options_t *options,
                     gpt3_allocator_t allocator, gpt3_context_t **out) {
  if (options->num_threads < 0)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "num_threads must be >= 0, got " +
                          std::to_string(options->num_threads));
  std::unique_ptr<gpt3_context_t> ctx(new gpt3_context_t());
  void *symbols = RTLD_DEFAULT;
  if (options->artefact_path) {
    ctx->library = dlopen(options->artefact_path, RTLD_NOW | RTLD_LOCAL);
    if (!ctx->library)
      return makeStatus(GPT3_STATUS_NOT_FOUND,
                        std::string("cannot open artefact: ") + dlerror());
    symbols = ctx->library;
  }
  const char *manifest =
      static_cast<const char *>(dlsym(symbols, "gpt3_manifest"));
  if (!manifest)
    return makeStatus(GPT3_STATUS_NOT_FOUND,
                      "no gpt3_manifest in the artefact: it was not built by "
                      "gpt3-compile");
  ctx->manifestText = manifest;
  GPT3_RETURN_IF_ERROR(
      parseManifest(ctx->manifestText, symbols, ctx->manifest));
  gpt3_device_t compiled{ctx->manifest.device, options->device.ordinal};
  if (options->device.type != compiled.type)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "cannot run on " + deviceName(options->device) +
                          ": the artefact was compiled for " +
                          (compiled.type == GPT3_DEVICE_CUDA
                               ? std::string("cuda")
                               : deviceName(compiled)));
  ctx->deviceId = compiled;
  if (compiled.type == GPT3_DEVICE_CPU) {
    ctx->device = createCpuDevice(allocator, symbols, options->num_threads);
    GPT3_RETURN_IF_ERROR(allocateWorkspace(ctx.get()));
  }
  *out = ctx.release();
  return nullptr;
}

gpt3_status_t tensor(gpt3_context_t *ctx, const char *name,
                     gpt3_tensor_t *out) {
  std::vector<int64_t> shape;
  void *data = nullptr;
  gpt3_dtype_t dtype = GPT3_DTYPE_F32;
  if (const Param *param = ctx->manifest.param(name)) {
    if (!ctx->weights)
      return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                        "weights are not loaded; call "
                        "gpt3_context_load_weights first");
    shape = param->storedShape();
    dtype = param->dtype;
    data = ctx->weights + param->offset;
  } else if (ctx->manifest.stateShapes.count(name)) {
    shape = ctx->manifest.stateShapes.at(name);
    GPT3_RETURN_IF_ERROR(stateBuffer(ctx, name, &data));
  } else {
    return makeStatus(GPT3_STATUS_NOT_FOUND,
                      std::string("the model has no parameter or state '") +
                          name + "'");
  }
  *out = gpt3_tensor_t{};
  out->data = data;
  out->rank = static_cast<int32_t>(shape.size());
  std::copy(shape.begin(), shape.end(), out->shape);
  out->dtype = dtype;
  out->device = ctx->deviceId;
  return nullptr;
}
gpt3_status_t copyTensor(gpt3_context_t *ctx, const gpt3_tensor_t &src,
                         gpt3_tensor_t &dst) {
  std::vector<int64_t> from(src.shape, src.shape + std::clamp(src.rank, 0, 8));
  std::vector<int64_t> to(dst.shape, dst.shape + std::clamp(dst.rank, 0, 8));
  if (from != to || src.dtype != dst.dtype || src.rank != dst.rank)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      std::string("gpt3_context_copy: ") +
                          dtypeName(src.dtype) + " " + shapeString(from) +
                          " into " + dtypeName(dst.dtype) + " " +
                          shapeString(to));
  if (!src.data || !dst.data)
    return nullArgument("gpt3_context_copy");
  bool srcHost = src.device.type == GPT3_DEVICE_CPU;
  bool dstHost = dst.device.type == GPT3_DEVICE_CPU;
  for (const gpt3_tensor_t *t :
       {&src, static_cast<const gpt3_tensor_t *>(&dst)})
    if (t->device.type != GPT3_DEVICE_CPU &&
        (t->device.type != ctx->deviceId.type ||
         t->device.ordinal != ctx->deviceId.ordinal))
      return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                        "gpt3_context_copy: a tensor on " +
                            deviceName(t->device) +
                            ", but the context runs "
                            "on " +
                            deviceName(ctx->deviceId));
  size_t bytes = numElements(from) * dtypeBytes(src.dtype);
  if (srcHost && dstHost) {
    std::memcpy(dst.data, src.data, bytes);
    return nullptr;
  }
  if (!srcHost && !dstHost)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "gpt3_context_copy: both tensors are on " +
                          deviceName(ctx->deviceId) +
                          "; copy through the host");
  GPT3_RETURN_IF_ERROR(ensureDevice(ctx));
  return srcHost ? ctx->device->copyIn(dst.data, src.data, bytes)
                 : ctx->device->copyOut(dst.data, src.data, bytes);
}

gpt3_status_t argTensor(gpt3_context_t *ctx, const char *fn, const char *name,
                        gpt3_tensor_t *out) {
  const Entry *entry = ctx->manifest.entry(fn);
  if (!entry)
    return makeStatus(GPT3_STATUS_NOT_FOUND,
                      std::string("no entry point '") + fn + "'");
  auto spec = std::find_if(
      entry->args.begin(), entry->args.end(), [&](const ArgSpec &a) {
        return a.name == name &&
               (a.kind == GPT3_ARG_INPUT || a.kind == GPT3_ARG_OUTPUT);
      });
  if (spec == entry->args.end())
    return makeStatus(GPT3_STATUS_NOT_FOUND, std::string(fn) +
                                                 " has no input or output '" +
                                                 name + "'");
  GPT3_RETURN_IF_ERROR(ensureDevice(ctx));
  void *&buffer = ctx->staged[std::string(fn) + "/" + name];
  size_t bytes = numElements(spec->shape) * dtypeBytes(spec->dtype);
  if (!buffer) {
    GPT3_RETURN_IF_ERROR(ctx->device->allocate(bytes, &buffer));
    GPT3_RETURN_IF_ERROR(ctx->device->fillZero(buffer, bytes));
  }
  *out = gpt3_tensor_t{};
  out->data = buffer;
  out->rank = static_cast<int32_t>(spec->shape.size());
  std::copy(spec->shape.begin(), spec->shape.end(), out->shape);
  out->dtype = spec->dtype;
  out->device = ctx->deviceId;
  return nullptr;
}
} // namespace

std::string gpt3::deviceName(gpt3_device_t device) {
  switch (device.type) {
  case GPT3_DEVICE_CPU:
    return "cpu";
  case GPT3_DEVICE_CUDA:
    return "cuda:" + std::to_string(device.ordinal);
  }
  return "device " + std::to_string(device.type);
}

extern "C" {

void gpt3_context_options_initialize(gpt3_context_options_t *out_options) {
  *out_options = gpt3_context_options_t{};
  out_options->device = {GPT3_DEVICE_CPU, 0};
}

gpt3_status_t gpt3_context_create(const gpt3_context_options_t *options,
                                  gpt3_allocator_t allocator,
                                  gpt3_context_t **out_context) {
  if (!out_context || !options)
    return nullArgument("gpt3_context_create");
  *out_context = nullptr;
  return guarded("gpt3_context_create",
                 [&] { return create(options, allocator, out_context); });
}

int32_t gpt3_context_num_threads(const gpt3_context_t *context) {
  if (!context)
    return 0;
  return context->device ? context->device->threads() : 1;
}

gpt3_device_t gpt3_context_device(const gpt3_context_t *context) {
  return context ? context->deviceId : gpt3_device_t{};
}

size_t gpt3_context_num_entries(const gpt3_context_t *context) {
  return context ? context->manifest.entries.size() : 0;
}

const char *gpt3_context_entry_name(const gpt3_context_t *context,
                                    size_t index) {
  if (!context || index >= context->manifest.entries.size())
    return nullptr;
  return context->manifest.entries[index].name.c_str();
}

gpt3_status_t gpt3_context_entry_args(const gpt3_context_t *context,
                                      const char *fn,
                                      const gpt3_arg_t **out_args,
                                      size_t *out_count) {
  if (!context || !fn || !out_args || !out_count)
    return nullArgument("gpt3_context_entry_args");
  return guarded("gpt3_context_entry_args", [&]() -> gpt3_status_t {
    const Entry *entry = context->manifest.entry(fn);
    if (!entry)
      return makeStatus(GPT3_STATUS_NOT_FOUND,
                        std::string("no entry point '") + fn + "'");
    *out_args = entry->view.data();
    *out_count = entry->view.size();
    return nullptr;
  });
}

const char *gpt3_context_manifest(const gpt3_context_t *context) {
  return context ? context->manifestText.c_str() : "";
}

gpt3_status_t gpt3_context_load_weights(gpt3_context_t *ctx, const char *path) {
  if (!ctx || !path)
    return nullArgument("gpt3_context_load_weights");
  return guarded("gpt3_context_load_weights",
                 [&] { return loadWeights(ctx, path); });
}

gpt3_status_t gpt3_context_load_states(gpt3_context_t *ctx, const char *path) {
  if (!ctx || !path)
    return nullArgument("gpt3_context_load_states");
  return guarded("gpt3_context_load_states",
                 [&] { return loadStates(ctx, path); });
}

gpt3_status_t gpt3_context_init_weights(gpt3_context_t *ctx, uint64_t seed) {
  if (!ctx)
    return nullArgument("gpt3_context_init_weights");
  return guarded("gpt3_context_init_weights",
                 [&] { return initWeights(ctx, seed); });
}

gpt3_status_t gpt3_context_call(gpt3_context_t *ctx, const char *fn,
                                const gpt3_tensor_t *args, size_t num_args,
                                gpt3_tensor_t *results, size_t num_results) {
  if (!ctx || !fn)
    return nullArgument("gpt3_context_call");
  return guarded("gpt3_context_call", [&] {
    return call(ctx, fn, args, num_args, results, num_results);
  });
}

gpt3_status_t gpt3_context_tensor(gpt3_context_t *ctx, const char *name,
                                  gpt3_tensor_t *out_tensor) {
  if (!ctx || !name || !out_tensor)
    return nullArgument("gpt3_context_tensor");
  return guarded("gpt3_context_tensor",
                 [&] { return tensor(ctx, name, out_tensor); });
}

gpt3_status_t gpt3_context_set_rank(gpt3_context_t *ctx, int32_t rank) {
  if (!ctx)
    return nullArgument("gpt3_context_set_rank");
  if (rank < 0 || rank >= ctx->manifest.ranks)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "rank " + std::to_string(rank) +
                          " is not one of the model's " +
                          std::to_string(ctx->manifest.ranks));
  ctx->rank = rank;
  return nullptr;
}

gpt3_status_t gpt3_context_open_device(gpt3_context_t *ctx) {
  if (!ctx)
    return nullArgument("gpt3_context_open_device");
  return guarded("gpt3_context_open_device", [&] { return ensureDevice(ctx); });
}

gpt3_status_t gpt3_context_copy(gpt3_context_t *ctx, const gpt3_tensor_t *src,
                                gpt3_tensor_t *dst) {
  if (!ctx || !src || !dst)
    return nullArgument("gpt3_context_copy");
  return guarded("gpt3_context_copy",
                 [&] { return copyTensor(ctx, *src, *dst); });
}

gpt3_status_t gpt3_context_arg_tensor(gpt3_context_t *ctx, const char *fn,
                                      const char *name,
                                      gpt3_tensor_t *out_tensor) {
  if (!ctx || !fn || !name || !out_tensor)
    return nullArgument("gpt3_context_arg_tensor");
  return guarded("gpt3_context_arg_tensor",
                 [&] { return argTensor(ctx, fn, name, out_tensor); });
}

void gpt3_context_release(gpt3_context_t *context) { delete context; }

} // extern "C"
