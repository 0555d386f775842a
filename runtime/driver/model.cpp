//===- model.cpp - The compiled model as the driver sees it -----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "model.h"

#include "cli.h"

#include <dlfcn.h>

gpt3_status_t gpt3::openModel(Context &ctx, int32_t threads,
                              const std::string &device) {
  gpt3_context_options_t options;
  gpt3_context_options_initialize(&options);
  options.num_threads = threads;
  // Without --device, the model runs where it was compiled for.
  std::string where = device;
  if (where.empty())
    if (const char *manifest =
            static_cast<const char *>(dlsym(RTLD_DEFAULT, "gpt3_manifest")))
      where = nlohmann::json::parse(manifest, nullptr, false)
                  .value("device", std::string("cpu"));
  if (where == "cuda")
    options.device = {GPT3_DEVICE_CUDA, 0};
  gpt3_status_t status =
      gpt3_context_create(&options, gpt3_allocator_system(), &ctx.handle);
  if (!status)
    ctx.manifest = nlohmann::json::parse(gpt3_context_manifest(ctx.handle));
  return status;
}

std::vector<gpt3_arg_t> gpt3::entryArgs(const Context &ctx,
                                        const std::string &name) {
  const gpt3_arg_t *args = nullptr;
  size_t count = 0;
  if (gpt3_status_t status =
          gpt3_context_entry_args(ctx.handle, name.c_str(), &args, &count)) {
    gpt3_status_free(status);
    return {};
  }
  return {args, args + count};
}

bool gpt3::hasEntry(const Context &ctx, const std::string &name) {
  return !entryArgs(ctx, name).empty();
}

std::vector<int64_t> gpt3::argShape(const Context &ctx,
                                    const std::string &entry,
                                    const std::string &arg) {
  for (const gpt3_arg_t &a : entryArgs(ctx, entry))
    if (a.name == arg)
      return shapeOf(a);
  return {};
}

std::vector<int64_t> gpt3::shapeOf(const gpt3_arg_t &arg) {
  return {arg.shape, arg.shape + arg.rank};
}

gpt3_status_t gpt3::batchLoss(Context &ctx, int32_t *tokens, int32_t *targets,
                              const std::vector<int64_t> &shape, float &loss) {
  gpt3_tensor_t in[2] = {tensorView(tokens, shape, GPT3_DTYPE_I32),
                         tensorView(targets, shape, GPT3_DTYPE_I32)};
  gpt3_tensor_t result = tensorView(&loss, {}, GPT3_DTYPE_F32);
  return gpt3_context_call(ctx.handle, "loss", in, 2, &result, 1);
}

int64_t gpt3::numElements(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  return count;
}
