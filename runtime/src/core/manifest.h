//===- manifest.h - An artefact's manifest, read once -----------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The JSON manifest gpt3-compile embeds, parsed once when a context opens:
// argument kinds and dtypes become enums, parameters get their place in the
// weight arena, entry points their code. Everything after works on these
// structs, never on the JSON.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_RUNTIME_CORE_MANIFEST_H
#define GPT3_RUNTIME_CORE_MANIFEST_H

#include "device.h"
#include "panels.h"
#include "shape.h"

#include <map>
#include <string>
#include <vector>

namespace gpt3 {

struct ArgSpec {
  std::string name; // "tokens", "wte.weight", "logits", "workspace"
  gpt3_arg_kind_t kind;
  gpt3_dtype_t dtype;
  std::vector<int64_t> shape;
  size_t paramOffset = 0; // a parameter's place in the weight arena, bytes
  std::vector<std::string> layers; // a stack's slices, by their own names
  // Of a state sharded over ranks (ZeRO-1): the whole's shape; the state
  // itself is this rank's flat share.
  std::vector<int64_t> shardOf;
};

struct Entry {
  std::string name;
  EntryFn fn = nullptr;
  std::vector<ArgSpec> args;
  std::vector<gpt3_arg_t> view; // `args` as the C API hands them out
  std::vector<std::vector<const char *>> layerViews; // their `layers`
  int64_t workspaceBytes = 0;
};

struct Param {
  std::string name;
  std::vector<int64_t> shape;
  gpt3_dtype_t dtype = GPT3_DTYPE_F32; // bf16 for matmul weights under
                                       // --dtype bf16 without training
  bool panels = false;                 // packed at load (panels.h)
  size_t offset = 0;                   // in the weight arena, in bytes
  int64_t numElements() const { return gpt3::numElements(shape); }
  /// The shape it has in the arena: packed, or as in the file.
  std::vector<int64_t> storedShape() const {
    return panels ? panelShape(shape, dtype == GPT3_DTYPE_BF16) : shape;
  }
  size_t bytes() const { return numElements() * dtypeBytes(dtype); }
};

struct Manifest {
  gpt3_device_type_t device = GPT3_DEVICE_CPU;
  int64_t vocabSize = 0;
  int64_t positions = 0; // the compiled sequence length
  std::vector<Param> params;
  size_t weightBytes = 0;
  std::vector<Entry> entries;
  // A state's shape, the same in every entry point that names it; a
  // stacked state's slices are states too, views of the stack.
  std::map<std::string, std::vector<int64_t>> stateShapes;
  struct StateSlice {
    std::string stack;
    int64_t index = 0;
  };
  std::map<std::string, StateSlice> stateSlices;
  // A sharded state's whole shape and layers' names, by the state's name.
  struct Shard {
    std::vector<int64_t> whole;
    std::vector<std::string> layers;
  };
  std::map<std::string, Shard> stateShards;
  int64_t ranks = 1;          // the processes the model was compiled for
  int64_t workspaceBytes = 0; // the largest entry point's

  const Entry *entry(const std::string &name) const;
  const Param *param(const std::string &name) const;
};

/// Reads manifest `text`, finding entry points among `symbols`. A manifest
/// that is not what gpt3-compile writes (no `config` object, an unknown
/// kind or dtype, a field of the wrong type) is DATA_LOSS naming what is
/// wrong.
gpt3_status_t parseManifest(const std::string &text, void *symbols,
                            Manifest &out);

/// "f32".
const char *dtypeName(gpt3_dtype_t dtype);

} // namespace gpt3

#endif // GPT3_RUNTIME_CORE_MANIFEST_H
