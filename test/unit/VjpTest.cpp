//===- VjpTest.cpp - Finite-difference checks of every VJP ------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Each differentiable op, followed by a cross-entropy so the loss is a
// scalar, is compiled twice by the CPU pipeline and run in process: once as
// the loss, once with `tfm.gradient` (derived by tfm-autodiff and lowered
// like a training step). The gradient must match central differences of the
// loss. Everything is in f64, so the differences are accurate to about
// 1e-9 and the comparison can be tight.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmDialect.h"
#include "tfm/Pipelines/Pipelines.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/TargetSelect.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace mlir;

namespace {

/// An argument of the tested function: a float tensor (differentiated when
/// `wrt`) or token ids below `vocab`.
struct Arg {
  std::string name;
  std::vector<int64_t> shape;
  bool wrt = true;
  int64_t vocab = 0; // > 0: i32 ids in [0, vocab)
};

std::string tensorType(const Arg &arg) {
  std::string type = "tensor<";
  for (int64_t d : arg.shape)
    type += std::to_string(d) + "x";
  return type + (arg.vocab ? "i32>" : "f64>");
}

int64_t count(const Arg &arg) {
  int64_t n = 1;
  for (int64_t d : arg.shape)
    n *= d;
  return n;
}

/// Compiles `source` with the CPU pipeline (no OpenMP) and calls its
/// packed entry points with bare pointers.
class Jit {
public:
  explicit Jit(const std::string &source) {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    DialectRegistry registry;
    tfm::registerPipelineDialects(registry);
    context = std::make_unique<MLIRContext>(registry);
    context->loadDialect<tfm::TfmDialect>();
    module = parseSourceString<ModuleOp>(source, context.get());
    if (!module)
      return;
    PassManager pm(context.get());
    tfm::TfmCpuPipelineOptions options;
    options.openmp = false;
    tfm::buildTfmToCpuPipeline(pm, options);
    if (failed(pm.run(*module)))
      return;
    for (auto func : module->getOps<LLVM::LLVMFuncOp>())
      if (auto bytes = func->getAttrOfType<IntegerAttr>("tfm.workspace_bytes"))
        workspace = std::max<int64_t>(workspace, bytes.getInt());
    auto created = ExecutionEngine::create(*module);
    if (!created) {
      llvm::consumeError(created.takeError());
      return;
    }
    engine = std::move(*created);
  }

  bool ok() const { return engine != nullptr; }

  /// Calls `name` with `buffers` (inputs, then outputs); the workspace is
  /// appended.
  void call(const std::string &name, std::vector<void *> buffers) {
    scratch.assign(workspace + 64, 0);
    buffers.push_back(scratch.data());
    auto fn = engine->lookup("gpt3_entry_" + name);
    ASSERT_TRUE(static_cast<bool>(fn)) << llvm::toString(fn.takeError());
    reinterpret_cast<void (*)(void **)> (*fn)(buffers.data());
  }

private:
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<ExecutionEngine> engine;
  int64_t workspace = 0;
  std::vector<char> scratch;
};

/// Checks the gradient of cross_entropy(`body`, targets) with respect to
/// every `wrt` argument against central differences, at up to 12 elements
/// of each. `body` computes `%y` (B, T, V) from the arguments.
void checkVjp(const std::vector<Arg> &args, const std::string &body,
              std::vector<int64_t> logits) {
  Arg targets{"targets", {logits[0], logits[1]}, false, logits[2]};
  std::vector<Arg> all = args;
  all.push_back(targets);
  std::string params, wrt, wrtTypes, gradTypes;
  for (const Arg &arg : all) {
    params += (params.empty() ? "" : ", ") + ("%" + arg.name) + ": " +
              tensorType(arg);
    if (!arg.wrt || arg.vocab)
      continue;
    wrt += (wrt.empty() ? "" : ", ") + ("%" + arg.name);
    wrtTypes += ", " + tensorType(arg);
    gradTypes += (gradTypes.empty() ? "" : ", ") + tensorType(arg);
  }
  Arg y{"y", logits};
  std::string loss = body + "    %l = tfm.cross_entropy %y, %targets : (" +
                     tensorType(y) + ", " + tensorType(targets) +
                     ") -> tensor<f64>\n";
  std::string source =
      "func.func @loss(" + params + ") -> tensor<f64> {\n" + loss +
      "    return %l : tensor<f64>\n}\n" + "func.func @grad(" + params +
      ") -> (" + gradTypes + ") {\n" + loss +
      "    %grads:" + std::to_string(std::count(wrt.begin(), wrt.end(), '%')) +
      " = tfm.gradient %l wrt " + wrt + " : (tensor<f64>" + wrtTypes +
      ") -> (" + gradTypes + ")\n    return %grads#0";
  for (int i = 1, n = std::count(wrt.begin(), wrt.end(), '%'); i < n; ++i)
    source += ", %grads#" + std::to_string(i);
  source += " : " + gradTypes + "\n}\n";

  Jit jit(source);
  ASSERT_TRUE(jit.ok()) << "cannot compile:\n" << source;

  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<std::vector<double>> floats(all.size());
  std::vector<std::vector<int32_t>> ints(all.size());
  std::vector<void *> inputs;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].vocab) {
      for (int64_t k = 0; k < count(all[i]); ++k)
        ints[i].push_back(static_cast<int32_t>(rng() % all[i].vocab));
      inputs.push_back(ints[i].data());
    } else {
      for (int64_t k = 0; k < count(all[i]); ++k)
        floats[i].push_back(normal(rng));
      inputs.push_back(floats[i].data());
    }
  }
  auto lossAt = [&]() {
    double l = 0;
    std::vector<void *> buffers = inputs;
    buffers.push_back(&l);
    jit.call("loss", buffers);
    return l;
  };
  std::vector<std::vector<double>> grads;
  std::vector<void *> buffers = inputs;
  for (const Arg &arg : all)
    if (arg.wrt && !arg.vocab) {
      grads.emplace_back(count(arg));
      buffers.push_back(grads.back().data());
    }
  jit.call("grad", buffers);

  size_t g = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!all[i].wrt || all[i].vocab)
      continue;
    std::vector<double> &x = floats[i];
    for (int sample = 0; sample < 12; ++sample) {
      size_t k = rng() % x.size();
      double saved = x[k], h = 1e-5;
      x[k] = saved + h;
      double up = lossAt();
      x[k] = saved - h;
      double down = lossAt();
      x[k] = saved;
      double numeric = (up - down) / (2 * h);
      EXPECT_NEAR(grads[g][k], numeric, 1e-7 * std::max(1.0, std::abs(numeric)))
          << all[i].name << "[" << k << "]";
    }
    ++g;
  }
}

TEST(VjpTest, Gelu) {
  checkVjp({{"x", {2, 4, 8}}}, "    %y = tfm.gelu %x : tensor<2x4x8xf64>\n",
           {2, 4, 8});
}

TEST(VjpTest, AddFansOutToBothOperands) {
  checkVjp({{"a", {2, 4, 8}}, {"b", {2, 4, 8}}},
           "    %s = tfm.add %a, %b : tensor<2x4x8xf64>\n"
           "    %y = tfm.add %s, %a : tensor<2x4x8xf64>\n",
           {2, 4, 8});
}

TEST(VjpTest, Softmax) {
  checkVjp({{"x", {2, 4, 8}}}, "    %y = tfm.softmax %x : tensor<2x4x8xf64>\n",
           {2, 4, 8});
}

TEST(VjpTest, LayerNorm) {
  checkVjp({{"x", {2, 4, 8}}, {"g", {8}}, {"b", {8}}},
           "    %y = tfm.layer_norm %x, %g, %b : (tensor<2x4x8xf64>, "
           "tensor<8xf64>, tensor<8xf64>) -> tensor<2x4x8xf64>\n",
           {2, 4, 8});
}

TEST(VjpTest, Linear) {
  checkVjp({{"x", {2, 4, 6}}, {"w", {6, 8}}, {"b", {8}}},
           "    %y = tfm.linear %x, %w, %b : (tensor<2x4x6xf64>, "
           "tensor<6x8xf64>, tensor<8xf64>) -> tensor<2x4x8xf64>\n",
           {2, 4, 8});
}

TEST(VjpTest, LinearWithoutBias) {
  checkVjp({{"x", {2, 4, 6}}, {"w", {6, 8}}},
           "    %y = tfm.linear %x, %w : (tensor<2x4x6xf64>, "
           "tensor<6x8xf64>) -> tensor<2x4x8xf64>\n",
           {2, 4, 8});
}

// A reduction of 4096 runs as two blocks of 2048 (the CPU tiling's cut of
// long reductions); a block dropped or counted twice changes the loss but
// not the analytic gradient of W.
TEST(VjpTest, LinearOverALongReduction) {
  checkVjp({{"x", {1, 2, 4096}}, {"w", {4096, 8}}},
           "    %y = tfm.linear %x, %w : (tensor<1x2x4096xf64>, "
           "tensor<4096x8xf64>) -> tensor<1x2x8xf64>\n",
           {1, 2, 8});
}

TEST(VjpTest, DenseAttention) {
  checkVjp({{"qkv", {2, 5, 24}}},
           "    %y = tfm.attention %qkv {num_heads = 2 : i64, pattern = "
           "#tfm.pattern<dense>} : tensor<2x5x24xf64> -> tensor<2x5x8xf64>\n",
           {2, 5, 8});
}

TEST(VjpTest, BandedAttention) {
  checkVjp({{"qkv", {1, 9, 24}}},
           "    %y = tfm.attention %qkv {num_heads = 2 : i64, pattern = "
           "#tfm.pattern<local, window = 3>} : tensor<1x9x24xf64> -> "
           "tensor<1x9x8xf64>\n",
           {1, 9, 8});
}

// 160 positions are two key blocks of 80; the window spans their boundary.
TEST(VjpTest, BandedAttentionOverKeyBlocks) {
  checkVjp({{"qkv", {1, 160, 12}}},
           "    %y = tfm.attention %qkv {num_heads = 1 : i64, pattern = "
           "#tfm.pattern<local, window = 100>} : tensor<1x160x12xf64> -> "
           "tensor<1x160x4xf64>\n",
           {1, 160, 4});
}

// Two batch rows of two heads over 128 positions: four parallel
// iterations, each over two query and two key blocks of 64, with the
// diagonal blocks masked and the block above them skipped.
TEST(VjpTest, DenseAttentionOverQueryAndKeyBlocks) {
  checkVjp({{"qkv", {2, 128, 24}}},
           "    %y = tfm.attention %qkv {num_heads = 2 : i64, pattern = "
           "#tfm.pattern<dense>} : tensor<2x128x24xf64> -> "
           "tensor<2x128x8xf64>\n",
           {2, 128, 8});
}

TEST(VjpTest, EmbeddingScattersIntoRepeatedTokens) {
  checkVjp({{"tokens", {2, 4}, false, 3}, {"wte", {3, 8}}, {"wpe", {6, 8}}},
           "    %y = tfm.embedding %tokens, %wte, %wpe : (tensor<2x4xi32>, "
           "tensor<3x8xf64>, tensor<6x8xf64>) -> tensor<2x4x8xf64>\n",
           {2, 4, 8});
}

TEST(VjpTest, LmHead) {
  checkVjp({{"x", {2, 4, 8}}, {"wte", {10, 8}}},
           "    %y = tfm.lm_head %x, %wte : (tensor<2x4x8xf64>, "
           "tensor<10x8xf64>) -> tensor<2x4x10xf64>\n",
           {2, 4, 10});
}

TEST(VjpTest, CrossEntropy) {
  checkVjp({{"x", {2, 4, 10}}},
           "    %y = tfm.add %x, %x : tensor<2x4x10xf64>\n", {2, 4, 10});
}

} // namespace
