/*===- runtime.h - GPT-3 runtime C API ------------------------------*- C -*-===
 *
 * Part of the GPT-3 compiler, under the Apache License v2.0.
 *
 * The only public header of the runtime: open a compiled model, bind its
 * weights from safetensors files, and call its entry points. Plain C with
 * opaque handles; every fallible call returns a gpt3_status_t (NULL = OK).
 *
 * Thread safety: a context may be used by one thread at a time. Distinct
 * contexts are independent.
 *
 *===----------------------------------------------------------------------===*/

#ifndef GPT3_RUNTIME_H
#define GPT3_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===--- Status
 * ------------------------------------------------------------===*/

typedef enum {
  GPT3_STATUS_OK = 0,
  GPT3_STATUS_INVALID_ARGUMENT = 1,   /* a caller mistake: shape, id, flag */
  GPT3_STATUS_NOT_FOUND = 2,          /* a file, tensor or entry point */
  GPT3_STATUS_DATA_LOSS = 3,          /* a malformed or truncated file */
  GPT3_STATUS_RESOURCE_EXHAUSTED = 4, /* out of memory */
  GPT3_STATUS_INTERNAL = 5,
} gpt3_status_code_t;

/* NULL means success. Otherwise owned by the caller: free it. */
typedef struct gpt3_status_s *gpt3_status_t;

/* A status with `code` (not GPT3_STATUS_OK) and a copy of `message`, for
 * code built on the runtime that reports its own errors the same way. */
gpt3_status_t gpt3_status_create(gpt3_status_code_t code, const char *message);

gpt3_status_code_t gpt3_status_code(gpt3_status_t status);
/* Valid until gpt3_status_free; "OK" for NULL. */
const char *gpt3_status_message(gpt3_status_t status);
void gpt3_status_free(gpt3_status_t status);

/*===--- Allocator
 * ---------------------------------------------------------===*/

/* Every allocation of a context goes through its allocator. */
typedef struct {
  void *self;
  /* Returns NULL on failure; `alignment` is a power of two. */
  void *(*allocate)(void *self, size_t size, size_t alignment);
  void (*deallocate)(void *self, void *ptr);
} gpt3_allocator_t;

/* aligned_alloc/free. */
gpt3_allocator_t gpt3_allocator_system(void);

typedef enum {
  GPT3_DTYPE_F32 = 0,
  GPT3_DTYPE_I32 = 1,
  GPT3_DTYPE_I64 = 2,
  GPT3_DTYPE_I8 = 3,
  GPT3_DTYPE_BF16 = 4, /* the top half of an f32: a --dtype bf16 weight */
} gpt3_dtype_t;

/*===--- Devices
 * -----------------------------------------------------------===*/

typedef enum {
  GPT3_DEVICE_CPU = 0,  /* the host: memory any code can read */
  GPT3_DEVICE_CUDA = 1, /* an NVIDIA GPU: memory of its own */
} gpt3_device_type_t;

typedef struct {
  gpt3_device_type_t type;
  int32_t ordinal; /* which one of its type: 0 for the first GPU */
} gpt3_device_t;

/*===--- Tensors
 * -----------------------------------------------------------===*/

/* A view of caller-owned memory; the runtime never frees `data`. A
 * zero-initialised tensor lives on the CPU. */
typedef struct {
  void *data;       /* row-major, contiguous */
  int64_t shape[8]; /* {4, 64} */
  int32_t rank;     /* 2 */
  gpt3_dtype_t dtype;
  gpt3_device_t device; /* where `data` lives */
} gpt3_tensor_t;

/*===--- Context
 * -----------------------------------------------------------===*/

/* A compiled model with its weights, workspace and entry points. */
typedef struct gpt3_context_t gpt3_context_t;

typedef struct {
  /* Path of a model library (.so); NULL for the model linked into the
   * running executable. */
  const char *artefact_path;
  /* Worker threads of the entry points; 0 leaves OpenMP's default (every
   * core, or $OMP_NUM_THREADS). The setting is process-wide: OpenMP has
   * one thread pool. */
  int32_t num_threads;
  /* Where the entry points run and the context's buffers live; the CPU by
   * default. It must be the target the artefact was compiled for. */
  gpt3_device_t device;
} gpt3_context_options_t;

void gpt3_context_options_initialize(gpt3_context_options_t *out_options);

/* Opens the artefact and reads its manifest. Weights are not bound yet. */
gpt3_status_t gpt3_context_create(const gpt3_context_options_t *options,
                                  gpt3_allocator_t allocator,
                                  gpt3_context_t **out_context);

/* The worker threads an entry point runs on: num_threads when it was set,
 * else OpenMP's default; 1 for an artefact built without threads. */
int32_t gpt3_context_num_threads(const gpt3_context_t *context);

/* The device the context runs on. */
gpt3_device_t gpt3_context_device(const gpt3_context_t *context);

/* Opens the context's device now rather than at its first use (binding
 * weights, a call), so that where there is none (no driver, no GPU) a
 * caller learns it before it writes anything. */
gpt3_status_t gpt3_context_open_device(gpt3_context_t *context);

typedef enum {
  GPT3_ARG_INPUT = 0,     /* given by the caller: tokens, pos, lr */
  GPT3_ARG_OUTPUT = 1,    /* written for the caller: logits, loss */
  GPT3_ARG_PARAM = 2,     /* a weight, from the context */
  GPT3_ARG_STATE = 3,     /* a KV cache or optimizer moment, kept */
  GPT3_ARG_WORKSPACE = 4, /* the context's scratch memory */
} gpt3_arg_kind_t;

/* One argument of an entry point, as the manifest describes it. */
typedef struct {
  const char *name; /* "tokens", "h.0.attn.c_attn.weight", "logits" */
  gpt3_arg_kind_t kind;
  gpt3_dtype_t dtype;
  int64_t shape[8];
  int32_t rank;
  /* A stack over the layers of a layer loop ("h[0::2].ln_1.weight", shape
   * (layers, ...)): the names of its slices in order ("h.0.ln_1.weight",
   * "h.2.ln_1.weight", ...); 0 and NULL otherwise. */
  int32_t num_layers;
  const char *const *layers;
} gpt3_arg_t;

/* The entry points' names, in manifest order; owned by the context. */
size_t gpt3_context_num_entries(const gpt3_context_t *context);
const char *gpt3_context_entry_name(const gpt3_context_t *context,
                                    size_t index);

/* The arguments of entry point `fn` in the order its code takes them;
 * owned by the context. NOT_FOUND when the model has no such entry. */
gpt3_status_t gpt3_context_entry_args(const gpt3_context_t *context,
                                      const char *fn,
                                      const gpt3_arg_t **out_args,
                                      size_t *out_count);

/* The artefact's JSON manifest (config, parameters, entry points). Owned by
 * the context. */
const char *gpt3_context_manifest(const gpt3_context_t *context);

/* Binds every parameter from `path`: a .safetensors file or a directory
 * holding model.safetensors. Accepts Hugging Face GPT-2 names with or
 * without the `transformer.` prefix, ignores attn.bias/attn.masked_bias,
 * treats lm_head.weight as tied, and converts each tensor to the dtype the
 * model keeps it in: F32, F16 and BF16 to f32 exactly; for a bf16
 * parameter (--dtype bf16), BF16 as it is and F32 or F16 rounded to nearest
 * even. Any missing or
 * unexpected tensor, shape mismatch or malformed file is an error naming
 * the tensor or byte offset; on error nothing is bound. */
gpt3_status_t gpt3_context_load_weights(gpt3_context_t *context,
                                        const char *path);

/* Fills states (optimizer moments "m.wte.weight", KV caches) from the F32
 * tensors of the safetensors file `path`. Every tensor must be a state of
 * the model with its shape, or a layer (or the whole) of a state sharded
 * over ranks, of which this rank's share is filled (gpt3_context_set_rank);
 * states the file lacks keep their values. On error nothing is written. */
gpt3_status_t gpt3_context_load_states(gpt3_context_t *context,
                                       const char *path);

/* Initialises every parameter as GPT-3 does, from `seed`: matrices and
 * embeddings N(0, 0.02), residual projections (attn.c_proj, mlp.c_proj)
 * N(0, 0.02 / sqrt(2 * n_layer)), biases 0, LayerNorm gains 1. */
gpt3_status_t gpt3_context_init_weights(gpt3_context_t *context, uint64_t seed);

/* Calls entry point `fn` ("forward", "loss"). `args` are its inputs in
 * manifest order (e.g. tokens), `results` its outputs (e.g. logits), all
 * with the manifest's shapes and dtypes. Token ids are checked against the
 * vocabulary first. */
gpt3_status_t gpt3_context_call(gpt3_context_t *context, const char *fn,
                                const gpt3_tensor_t *args, size_t num_args,
                                gpt3_tensor_t *results, size_t num_results);

/* A view of the parameter ("h.0.attn.c_attn.weight") or state (a KV cache,
 * an optimizer moment "m.wte.weight") `name` in the context's own memory,
 * f32 or, for a bf16 parameter, bf16, for reading and writing it
 * (checkpoints). A state is allocated,
 * zeroed, on first use. Valid until the context is released or its weights
 * are bound again. */
gpt3_status_t gpt3_context_tensor(gpt3_context_t *context, const char *name,
                                  gpt3_tensor_t *out_tensor);

/* Copies `src` into `dst`, of the same shape and dtype, each in host memory
 * or in the context's device's (a GPU context's parameters to the host, for
 * a checkpoint). */
gpt3_status_t gpt3_context_copy(gpt3_context_t *context,
                                const gpt3_tensor_t *src, gpt3_tensor_t *dst);

/* A tensor in the context's own memory (the GPU's, for a CUDA context) for
 * input or output `name` of entry point `fn`: the buffer a call stages that
 * argument through. Passed to gpt3_context_call, it is used in place, with
 * no copy: results that stay on the device (a benchmark's logits), or
 * inputs already there. Allocated and zeroed on first use; valid until the
 * context is released. */
gpt3_status_t gpt3_context_arg_tensor(gpt3_context_t *context, const char *fn,
                                      const char *name,
                                      gpt3_tensor_t *out_tensor);

/* This process's rank in a run of a model compiled for several (gpt3-compile
 * --ranks N): which share of each state sharded over the ranks (ZeRO-1's
 * optimizer moments) gpt3_context_load_states fills, from the whole
 * tensors in the file. 0 by default. */
gpt3_status_t gpt3_context_set_rank(gpt3_context_t *context, int32_t rank);

void gpt3_context_release(gpt3_context_t *context);

/*===--- Files
 * -------------------------------------------------------------===*/

/* Replaces the file at `path` with `size` bytes of `data`, atomically: the
 * bytes go to a temporary file beside it, are flushed to disk, and the
 * temporary file is renamed over `path`. */
gpt3_status_t gpt3_write_file_atomic(const char *path, const void *data,
                                     size_t size);

/* Writes `count` f32 or bf16 tensors to a safetensors file at `path`,
 * atomically
 * as gpt3_write_file_atomic does: a reader sees the old file or the new
 * one, never a partial one. */
gpt3_status_t gpt3_safetensors_save(const char *path, const char *const *names,
                                    const gpt3_tensor_t *tensors, size_t count);

/*===--- Tokenizer
 * ---------------------------------------------------------===*/

/* GPT-2's byte-level BPE (ids identical to the gpt-3-encoder package).
 * `<|endoftext|>` in text is plain text; invalid UTF-8 is replaced byte by
 * byte with U+FFFD before encoding. Immutable once loaded: any number of
 * threads may encode with one tokenizer. */
typedef struct gpt3_tokenizer_t gpt3_tokenizer_t;

/* Reads `dir`/encoder.json and `dir`/vocab.bpe. */
gpt3_status_t gpt3_tokenizer_load(const char *dir,
                                  gpt3_tokenizer_t **out_tokenizer);

/* Encodes `length` bytes of `text` into `ids` (room for `capacity`).
 * `*out_count` is the number of ids the text needs, also when the buffer is
 * too small (then nothing is written and the status says so). A valid UTF-8
 * text never needs more ids than it has bytes. */
gpt3_status_t gpt3_tokenizer_encode(const gpt3_tokenizer_t *tokenizer,
                                    const char *text, size_t length,
                                    int32_t *ids, size_t capacity,
                                    size_t *out_count);

/* The raw bytes of token `id` (not NUL-terminated; a token may end inside a
 * UTF-8 character), owned by the tokenizer; NULL for an id out of range. */
const char *gpt3_tokenizer_token(const gpt3_tokenizer_t *tokenizer, int32_t id,
                                 size_t *out_length);

/* 50257 for GPT-2's vocabulary; 0 for NULL. */
int32_t gpt3_tokenizer_vocab_size(const gpt3_tokenizer_t *tokenizer);

void gpt3_tokenizer_release(gpt3_tokenizer_t *tokenizer);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GPT3_RUNTIME_H */
