//===- context.cpp - gpt3_context_t -----------------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Opens a compiled model, binds its weights into one arena, owns the one
// workspace every entry point shares, and calls entry points through their
// packed `void (*)(void **)` wrappers in manifest argument order.
//
//===----------------------------------------------------------------------===//

#include "convert.h"
#include "random.h"
#include "safetensors.h"
#include "status.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <sys/stat.h>

using gpt3::makeStatus;
using gpt3::SafetensorsFile;
using gpt3::TensorInfo;

namespace {
struct ArgSpec {
  std::string name;  // "tokens", "wte.weight", "logits", "workspace"
  std::string kind;  // "input", "param", "state", "output", "workspace"
  std::string dtype; // "i32", "f32", "i8"
  std::vector<int64_t> shape;
  size_t paramOffset = 0; // for kind "param": floats into the weight arena
};

struct Entry {
  std::string name;
  void (*fn)(void **) = nullptr;
  std::vector<ArgSpec> args;
  int64_t workspaceBytes = 0;
};

struct Param {
  std::string name;
  std::vector<int64_t> shape;
  size_t offset = 0; // in the weight arena, in floats
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

const char *dtypeName(gpt3_dtype_t dtype) {
  switch (dtype) {
  case GPT3_DTYPE_F32:
    return "f32";
  case GPT3_DTYPE_I32:
    return "i32";
  case GPT3_DTYPE_I64:
    return "i64";
  case GPT3_DTYPE_I8:
    return "i8";
  }
  return "unknown";
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
} // namespace

struct gpt3_context_t {
  gpt3_allocator_t allocator;
  void *library = nullptr; // dlopen handle of a .so artefact
  std::string manifest;
  int64_t vocabSize = 0;
  int64_t positions = 0; // the compiled sequence length
  std::vector<Param> params;
  std::map<std::string, Entry> entries;
  float *weights = nullptr; // arena of every parameter, f32
  size_t weightFloats = 0;
  void *workspace = nullptr;
  int64_t workspaceBytes = 0;
  int32_t threads = 1;
  // Buffers that persist across calls (KV caches, optimizer moments), by
  // name, zeroed when first used and shared by every entry point that names
  // them.
  std::map<std::string, void *> states;
  std::map<std::string, std::vector<int64_t>> stateShapes;

  ~gpt3_context_t() {
    for (auto &[name, buffer] : states)
      allocator.deallocate(allocator.self, buffer);
    if (weights)
      allocator.deallocate(allocator.self, weights);
    if (workspace)
      allocator.deallocate(allocator.self, workspace);
    if (library)
      dlclose(library);
  }
};

namespace {
int64_t numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Records the shape of state `arg`; states of one name must agree in shape
/// across entry points. The buffer is allocated on first use, so a model
/// that only generates never holds optimizer moments.
gpt3_status_t declareState(gpt3_context_t *ctx, const ArgSpec &arg) {
  auto known = ctx->stateShapes.find(arg.name);
  if (known == ctx->stateShapes.end()) {
    ctx->stateShapes[arg.name] = arg.shape;
    return nullptr;
  }
  return known->second == arg.shape
             ? nullptr
             : makeStatus(GPT3_STATUS_DATA_LOSS,
                          "state '" + arg.name + "' has two shapes, " +
                              shapeString(known->second) + " and " +
                              shapeString(arg.shape));
}

/// The buffer of state `name`, allocated and zeroed on first use.
gpt3_status_t stateBuffer(gpt3_context_t *ctx, const std::string &name,
                          void **out) {
  auto existing = ctx->states.find(name);
  if (existing != ctx->states.end()) {
    *out = existing->second;
    return nullptr;
  }
  size_t bytes = numElements(ctx->stateShapes.at(name)) * sizeof(float);
  void *buffer = ctx->allocator.allocate(ctx->allocator.self, bytes, 64);
  if (!buffer)
    return makeStatus(GPT3_STATUS_RESOURCE_EXHAUSTED,
                      "cannot allocate " + std::to_string(bytes) +
                          " bytes for state '" + name + "'");
  std::memset(buffer, 0, bytes);
  ctx->states[name] = buffer;
  *out = buffer;
  return nullptr;
}

/// The positions a call may start at: [0, positions - new tokens], where
/// `positions` is the compiled sequence length (the rows of a dense layer's
/// cache; a banded layer's ring wraps).
gpt3_status_t checkPosition(const Entry &entry, int64_t positions,
                            int32_t pos) {
  int64_t fresh = 0;
  for (const ArgSpec &arg : entry.args)
    if (arg.kind == "input" && arg.name == "tokens" && arg.shape.size() == 2)
      fresh = arg.shape[1];
  if (pos < 0 || pos > positions - fresh)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      entry.name + ": pos = " + std::to_string(pos) +
                          " is outside [0, " +
                          std::to_string(positions - fresh) +
                          "], the positions the cache has room for");
  return nullptr;
}

gpt3_status_t parseManifest(gpt3_context_t *ctx, void *symbols) {
  nlohmann::json m =
      nlohmann::json::parse(ctx->manifest, nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded() || !m.is_object() || m.value("version", 0) != 1)
    return makeStatus(GPT3_STATUS_DATA_LOSS,
                      "the artefact's manifest is not a version-1 manifest");
  ctx->vocabSize = m["config"].value("vocab_size", int64_t{0});
  ctx->positions = m.value("seq", int64_t{0});
  size_t offset = 0;
  for (const auto &p : m["params"]) {
    Param param;
    param.name = p.value("name", "");
    param.shape = p.value("shape", std::vector<int64_t>{});
    param.offset = offset;
    offset += param.numElements();
    ctx->params.push_back(std::move(param));
  }
  ctx->weightFloats = offset;
  for (const auto &e : m["entries"]) {
    Entry entry;
    entry.name = e.value("name", "");
    entry.workspaceBytes = e.value("workspace_bytes", int64_t{0});
    std::string symbol = e.value("symbol", "");
    entry.fn =
        reinterpret_cast<void (*)(void **)>(dlsym(symbols, symbol.c_str()));
    if (!entry.fn)
      return makeStatus(GPT3_STATUS_NOT_FOUND,
                        "entry point symbol '" + symbol +
                            "' not found in the artefact");
    for (const auto &a : e["args"]) {
      ArgSpec arg{a.value("name", ""), a.value("kind", ""),
                  a.value("dtype", ""),
                  a.value("shape", std::vector<int64_t>{})};
      // Resolve parameters once here, not on every call.
      if (arg.kind == "param") {
        auto param =
            std::find_if(ctx->params.begin(), ctx->params.end(),
                         [&](const Param &p) { return p.name == arg.name; });
        if (param == ctx->params.end())
          return makeStatus(GPT3_STATUS_DATA_LOSS,
                            "the manifest's entry '" + entry.name +
                                "' takes unknown parameter '" + arg.name + "'");
        arg.paramOffset = param->offset;
      }
      if (arg.kind == "state")
        GPT3_RETURN_IF_ERROR(declareState(ctx, arg));
      entry.args.push_back(std::move(arg));
    }
    ctx->workspaceBytes = std::max(ctx->workspaceBytes, entry.workspaceBytes);
    ctx->entries[entry.name] = std::move(entry);
  }
  return nullptr;
}

/// Copies `tensor` from `file` into `out` as f32.
gpt3_status_t convertToF32(const SafetensorsFile &file,
                           const TensorInfo &tensor, float *out) {
  const uint8_t *src = file.data(tensor);
  size_t count =
      (tensor.end - tensor.begin) / SafetensorsFile::dtypeSize(tensor.dtype);
  if (tensor.dtype == "F32") {
    std::memcpy(out, src, count * sizeof(float));
  } else if (tensor.dtype == "BF16" || tensor.dtype == "F16") {
    bool bf16 = tensor.dtype == "BF16";
    for (size_t i = 0; i < count; ++i) {
      uint16_t bits;
      std::memcpy(&bits, src + 2 * i, 2);
      out[i] = bf16 ? gpt3::bf16ToF32(bits) : gpt3::f16ToF32(bits);
    }
  } else {
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      file.path() + ": tensor '" + tensor.name +
                          "' has dtype " + tensor.dtype +
                          "; parameters must be F32, F16 or BF16");
  }
  return nullptr;
}

/// A new weight arena, to be filled completely before it is installed, so a
/// failed load leaves the previous weights in place.
gpt3_status_t allocateArena(gpt3_context_t *ctx, float **out) {
  *out = static_cast<float *>(ctx->allocator.allocate(
      ctx->allocator.self, ctx->weightFloats * sizeof(float), 64));
  if (!*out)
    return makeStatus(GPT3_STATUS_RESOURCE_EXHAUSTED,
                      "cannot allocate " +
                          std::to_string(ctx->weightFloats * sizeof(float)) +
                          " bytes for the weights");
  return nullptr;
}

void installArena(gpt3_context_t *ctx, float *arena) {
  if (ctx->weights)
    ctx->allocator.deallocate(ctx->allocator.self, ctx->weights);
  ctx->weights = arena;
}
} // namespace

extern "C" {

void gpt3_context_options_initialize(gpt3_context_options_t *out_options) {
  out_options->artefact_path = nullptr;
  out_options->num_threads = 0;
}

gpt3_status_t gpt3_context_create(const gpt3_context_options_t *options,
                                  gpt3_allocator_t allocator,
                                  gpt3_context_t **out_context) {
  if (!out_context || !options)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "gpt3_context_create: null argument");
  *out_context = nullptr;
  std::unique_ptr<gpt3_context_t> ctx(new gpt3_context_t());
  ctx->allocator = allocator;
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
  ctx->manifest = manifest;
  GPT3_RETURN_IF_ERROR(parseManifest(ctx.get(), symbols));
  if (options->num_threads < 0)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "num_threads must be >= 0, got " +
                          std::to_string(options->num_threads));
  // The artefact's code runs on the OpenMP runtime it links; a model built
  // without threads has none and nothing to set.
  using SetThreads = void (*)(int);
  using GetThreads = int (*)();
  if (auto set =
          reinterpret_cast<SetThreads>(dlsym(symbols, "omp_set_num_threads"));
      set && options->num_threads > 0)
    set(options->num_threads);
  if (auto get =
          reinterpret_cast<GetThreads>(dlsym(symbols, "omp_get_max_threads")))
    ctx->threads = get();
  if (ctx->workspaceBytes > 0) {
    ctx->workspace =
        allocator.allocate(allocator.self, ctx->workspaceBytes, 64);
    if (!ctx->workspace)
      return makeStatus(GPT3_STATUS_RESOURCE_EXHAUSTED,
                        "cannot allocate the " +
                            std::to_string(ctx->workspaceBytes) +
                            "-byte workspace");
  }
  *out_context = ctx.release();
  return nullptr;
}

int32_t gpt3_context_num_threads(const gpt3_context_t *context) {
  return context ? context->threads : 0;
}

const char *gpt3_context_manifest(const gpt3_context_t *context) {
  return context ? context->manifest.c_str() : "";
}

gpt3_status_t gpt3_context_load_weights(gpt3_context_t *ctx, const char *path) {
  if (!ctx || !path)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "gpt3_context_load_weights: null argument");
  std::string file = path;
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    file += "/model.safetensors";
  std::unique_ptr<SafetensorsFile> weights;
  GPT3_RETURN_IF_ERROR(SafetensorsFile::open(file, &weights));

  std::map<std::string, const TensorInfo *> byName;
  for (const TensorInfo &t : weights->tensors())
    byName[canonicalName(t.name)] = &t;
  const Param *wte = nullptr;
  for (const Param &p : ctx->params)
    if (p.name == "wte.weight")
      wte = &p;

  // Every file tensor must be a parameter, a known buffer, or the tied head.
  std::map<std::string, const Param *> paramByName;
  for (const Param &p : ctx->params)
    paramByName[p.name] = &p;
  for (const auto &[name, tensor] : byName) {
    if (paramByName.count(name) || endsWith(name, ".attn.bias") ||
        endsWith(name, ".attn.masked_bias"))
      continue;
    if (name == "lm_head.weight" && wte && tensor->shape == wte->shape)
      continue;
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      file + ": unexpected tensor '" + tensor->name +
                          "' with shape " + shapeString(tensor->shape) +
                          "; the model has no such parameter");
  }

  float *arena = nullptr;
  GPT3_RETURN_IF_ERROR(allocateArena(ctx, &arena));
  auto fail = [&](gpt3_status_t status) {
    ctx->allocator.deallocate(ctx->allocator.self, arena);
    return status;
  };
  for (const Param &p : ctx->params) {
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
    if (gpt3_status_t s = convertToF32(*weights, t, arena + p.offset))
      return fail(s);
  }
  installArena(ctx, arena);
  return nullptr;
}

gpt3_status_t gpt3_context_load_states(gpt3_context_t *ctx, const char *path) {
  if (!ctx || !path)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "gpt3_context_load_states: null argument");
  std::unique_ptr<SafetensorsFile> file;
  GPT3_RETURN_IF_ERROR(SafetensorsFile::open(path, &file));
  // Everything is checked before anything is written.
  for (const TensorInfo &t : file->tensors()) {
    auto shape = ctx->stateShapes.find(t.name);
    if (shape == ctx->stateShapes.end())
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
  for (const TensorInfo &t : file->tensors()) {
    void *buffer = nullptr;
    GPT3_RETURN_IF_ERROR(stateBuffer(ctx, t.name, &buffer));
    GPT3_RETURN_IF_ERROR(convertToF32(*file, t, static_cast<float *>(buffer)));
  }
  return nullptr;
}

gpt3_status_t gpt3_context_init_weights(gpt3_context_t *ctx, uint64_t seed) {
  if (!ctx)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "gpt3_context_init_weights: null context");
  float *arena = nullptr;
  GPT3_RETURN_IF_ERROR(allocateArena(ctx, &arena));
  int64_t layers = 0;
  for (const Param &p : ctx->params)
    if (endsWith(p.name, ".ln_1.weight"))
      ++layers;
  gpt3::Normal normal(seed);
  for (const Param &p : ctx->params) {
    float *data = arena + p.offset;
    int64_t n = p.numElements();
    bool gain = endsWith(p.name, "ln_1.weight") ||
                endsWith(p.name, "ln_2.weight") || p.name == "ln_f.weight";
    if (gain || p.shape.size() == 1) {
      std::fill(data, data + n, gain ? 1.0f : 0.0f);
      continue;
    }
    float std = 0.02f;
    if (endsWith(p.name, "attn.c_proj.weight") ||
        endsWith(p.name, "mlp.c_proj.weight"))
      std /= std::sqrt(2.0f * static_cast<float>(std::max<int64_t>(layers, 1)));
    for (int64_t i = 0; i < n; ++i)
      data[i] = std * normal.next();
  }
  installArena(ctx, arena);
  return nullptr;
}

gpt3_status_t gpt3_context_call(gpt3_context_t *ctx, const char *fn,
                                const gpt3_tensor_t *args, size_t num_args,
                                gpt3_tensor_t *results, size_t num_results) {
  if (!ctx || !fn)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "gpt3_context_call: null argument");
  auto it = ctx->entries.find(fn);
  if (it == ctx->entries.end())
    return makeStatus(GPT3_STATUS_NOT_FOUND,
                      std::string("no entry point '") + fn + "'");
  if (!ctx->weights)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "weights are not loaded; call "
                      "gpt3_context_load_weights first");
  const Entry &entry = it->second;

  std::vector<void *> argv;
  size_t nextArg = 0, nextResult = 0;
  for (const ArgSpec &spec : entry.args) {
    if (spec.kind == "param") {
      argv.push_back(ctx->weights + spec.paramOffset);
      continue;
    }
    if (spec.kind == "workspace") {
      argv.push_back(ctx->workspace);
      continue;
    }
    if (spec.kind == "state") {
      void *buffer = nullptr;
      GPT3_RETURN_IF_ERROR(stateBuffer(ctx, spec.name, &buffer));
      argv.push_back(buffer);
      continue;
    }
    bool isInput = spec.kind == "input";
    if (isInput ? nextArg >= num_args : nextResult >= num_results)
      return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                        std::string(fn) + ": too few " +
                            (isInput ? "inputs" : "outputs") + "; '" +
                            spec.name + "' is missing");
    const gpt3_tensor_t &t = isInput ? args[nextArg++] : results[nextResult++];
    std::vector<int64_t> shape(t.shape, t.shape + std::max(t.rank, 0));
    if (t.rank < 0 || t.rank > 8 || shape != spec.shape ||
        dtypeName(t.dtype) != spec.dtype || !t.data)
      return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                        std::string(fn) + ": '" + spec.name + "' must be " +
                            spec.dtype + " " + shapeString(spec.shape) +
                            ", got " + dtypeName(t.dtype) + " " +
                            shapeString(shape));
    if (isInput && spec.dtype == "i32" &&
        (spec.name == "tokens" || spec.name == "targets")) {
      const int32_t *ids = static_cast<const int32_t *>(t.data);
      int64_t count = 1;
      for (int64_t d : shape)
        count *= d;
      for (int64_t i = 0; i < count; ++i)
        if (ids[i] < 0 || ids[i] >= ctx->vocabSize)
          return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                            spec.name + "[" + std::to_string(i) +
                                "] = " + std::to_string(ids[i]) +
                                " is outside the vocabulary [0, " +
                                std::to_string(ctx->vocabSize) + ")");
    }
    if (isInput && spec.name == "pos" && spec.dtype == "i32")
      GPT3_RETURN_IF_ERROR(checkPosition(
          entry, ctx->positions, *static_cast<const int32_t *>(t.data)));
    argv.push_back(t.data);
  }
  if (nextArg != num_args || nextResult != num_results)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      std::string(fn) + ": too many inputs or outputs");
  entry.fn(argv.data());
  return nullptr;
}

gpt3_status_t gpt3_context_tensor(gpt3_context_t *ctx, const char *name,
                                  gpt3_tensor_t *out_tensor) {
  if (!ctx || !name || !out_tensor)
    return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                      "gpt3_context_tensor: null argument");
  std::vector<int64_t> shape;
  void *data = nullptr;
  auto param = std::find_if(ctx->params.begin(), ctx->params.end(),
                            [&](const Param &p) { return p.name == name; });
  if (param != ctx->params.end()) {
    if (!ctx->weights)
      return makeStatus(GPT3_STATUS_INVALID_ARGUMENT,
                        "weights are not loaded; call "
                        "gpt3_context_load_weights first");
    shape = param->shape;
    data = ctx->weights + param->offset;
  } else if (ctx->stateShapes.count(name)) {
    shape = ctx->stateShapes.at(name);
    GPT3_RETURN_IF_ERROR(stateBuffer(ctx, name, &data));
  } else {
    return makeStatus(GPT3_STATUS_NOT_FOUND,
                      std::string("the model has no parameter or state '") +
                          name + "'");
  }
  *out_tensor = gpt3_tensor_t{};
  out_tensor->data = data;
  out_tensor->rank = static_cast<int32_t>(shape.size());
  std::copy(shape.begin(), shape.end(), out_tensor->shape);
  out_tensor->dtype = GPT3_DTYPE_F32;
  return nullptr;
}

void gpt3_context_release(gpt3_context_t *context) { delete context; }

} // extern "C"
