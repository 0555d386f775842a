//===- gpt3-compile.cpp - GPT model compiler driver -------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Turns a model description (a preset name or a Hugging Face config.json)
// into tfm IR, runs the target's pipeline (for the CPU the same phases as
// `gpt3-opt --tfm-lower-to-cpu-pipeline`), and emits the IR after any phase,
// LLVM IR, an object file or a standalone model binary. Outputs are deleted
// again unless the whole compile succeeds, so a failure never leaves a
// partial artefact behind.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"
#include "MemoryPlan.h"
#include "Target.h"

#include "tfm/Frontend/GraphBuilder.h"
#include "tfm/Frontend/ModelConfig.h"
#include "tfm/Frontend/ModelReport.h"
#include "tfm/Pipelines/Pipelines.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <optional>

using namespace llvm;
using namespace mlir;

namespace {
enum class EmitKind { Tfm, Linalg, Llvm, Ptx, Obj, Exe };
enum class TargetKind { Cpu, Cuda };
/// Where --compile-to stops: the IR as built, or after a phase.
enum class StopAt { Tfm, Preprocessing, Linalg, Codegen, LlvmDialect };

cl::OptionCategory category("gpt3-compile options");

cl::opt<std::string>
    configName("config",
               cl::desc("Model: a preset name (see --list-presets) or the path "
                        "of a Hugging Face GPT-2/GPT-Neo config.json"),
               cl::value_desc("name|path"), cl::cat(category));
cl::opt<int64_t> batch("batch", cl::desc("Batch size B compiled in"),
                       cl::init(1), cl::cat(category));
cl::opt<int64_t>
    sequence("seq",
             cl::desc("Sequence length T compiled in (default: the context)"),
             cl::init(0), cl::cat(category));
cl::opt<int64_t> prefill(
    "prefill-chunk",
    cl::desc("Tokens per @prefill call, which feeds a prompt through the KV "
             "cache (default: min(64, T))"),
    cl::init(0), cl::cat(category));
cl::list<std::string>
    entries("entries",
            cl::desc("Entry points to build (default: all): forward, loss, "
                     "prefill, decode, train_step"),
            cl::value_desc("name,..."), cl::CommaSeparated, cl::cat(category));
cl::opt<EmitKind>
    emit("emit", cl::desc("What to write"),
         cl::values(clEnumValN(EmitKind::Tfm, "tfm", "the model's tfm IR"),
                    clEnumValN(EmitKind::Linalg, "linalg", "linalg on tensors"),
                    clEnumValN(EmitKind::Llvm, "llvm",
                               "optimized LLVM IR for the CPU"),
                    clEnumValN(EmitKind::Ptx, "ptx",
                               "the kernels' PTX, as ptxas reads it "
                               "(--target=cuda)"),
                    clEnumValN(EmitKind::Obj, "obj",
                               "an object file with the entry "
                               "points and the manifest"),
                    clEnumValN(EmitKind::Exe, "exe",
                               "a standalone model binary (needs -o)")),
         cl::init(EmitKind::Tfm), cl::cat(category));
cl::opt<StopAt> compileTo(
    "compile-to", cl::desc("Write the IR after this phase and stop"),
    cl::values(
        clEnumValN(StopAt::Tfm, "tfm", "the tfm IR as built (--emit=tfm)"),
        clEnumValN(StopAt::Preprocessing, "preprocessing",
                   "after tfm-preprocessing-pipeline: training graphs "
                   "differentiated"),
        clEnumValN(StopAt::Linalg, "linalg",
                   "after tfm-to-linalg-pipeline: fused kernels and linalg "
                   "on tensors (--emit=linalg)"),
        clEnumValN(StopAt::Codegen, "codegen",
                   "after the target's codegen phase: tiled, vectorized, "
                   "bufferized loops"),
        clEnumValN(StopAt::LlvmDialect, "llvm-dialect",
                   "after the target's last phase: the LLVM dialect")),
    cl::cat(category));
cl::opt<TargetKind>
    targetKind("target", cl::desc("What the code runs on"),
               cl::values(clEnumValN(TargetKind::Cpu, "cpu",
                                     "the host CPU: LLVM, vectorized, OpenMP "
                                     "threads (default)"),
                          clEnumValN(TargetKind::Cuda, "cuda",
                                     "an NVIDIA GPU: kernels (cubin and PTX) "
                                     "in the binary, launched through the "
                                     "runtime's CUDA device; host code for "
                                     "--cpu")),
               cl::init(TargetKind::Cpu), cl::cat(category));
cl::opt<std::string>
    gpuArch("gpu-arch",
            cl::desc("With --target=cuda: the GPU the kernels are built for "
                     "(default sm_90a: H100, H200)"),
            cl::init("sm_90a"), cl::cat(category));
cl::opt<std::string> dtype(
    "dtype",
    cl::desc("Precision of the matmuls: f32 (the default, exact) or bf16 "
             "(bf16 operands into f32 sums, on AVX512-BF16; the matmul "
             "weights are stored in bf16 unless train_step is built, which "
             "keeps f32 master weights; layer norm, softmax, the loss and "
             "reductions stay f32). --target=cpu only"),
    cl::init("f32"), cl::cat(category));
cl::opt<int64_t> ranks(
    "ranks",
    cl::desc("Data-parallel training over N processes (mpirun -np N ./M "
             "train), each with its own batch of --batch: train_step averages "
             "the gradients and loss averages the loss over them "
             "(tfm-data-parallel, MPI). --target=cpu only (default 1)"),
    cl::value_desc("N"), cl::init(1), cl::cat(category));
cl::opt<unsigned> zero(
    "zero",
    cl::desc("With --ranks: 1 keeps on each rank only its share of the "
             "AdamW moments (ZeRO stage 1: gradients reduce-scattered, "
             "parameters all-gathered); 0 (the default) keeps them whole on "
             "every rank"),
    cl::value_desc("stage"), cl::init(0), cl::cat(category));
cl::opt<std::string> gpuMatmulPrecision(
    "gpu-matmul-precision",
    cl::desc("With --target=cuda: operands of the matmuls: f32 (the SIMT "
             "units, the exact path; the default for inference), tf32 or "
             "bf16 (tensor cores, f32 accumulation; the default when "
             "train_step is built)"),
    cl::cat(category));
cl::opt<std::string> cudaPath(
    "cuda-path",
    cl::desc("With --target=cuda: the CUDA toolkit, for libdevice, ptxas and "
             "fatbinary (default: $CUDA_HOME, else /usr/local/cuda)"),
    cl::cat(category));
cl::opt<bool> gpuHostEmulation(
    "gpu-host-emulation",
    cl::desc("With --target=cuda: run the GPU's distributed form (thread "
             "blocks, their steps and scratch) on the host CPU instead, to "
             "check it without a GPU; the binary runs with --device cpu"),
    cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::cat(category));
cl::opt<std::string> cpu("cpu",
                         cl::desc("Target CPU (default: the host, with all "
                                  "its features), e.g. x86-64-v3"),
                         cl::init("native"), cl::cat(category));
cl::opt<unsigned> optLevel("O",
                           cl::desc("LLVM optimization level (0-3, default 3)"),
                           cl::init(3), cl::Prefix, cl::cat(category));
cl::opt<bool> noFuse(
    "no-fuse",
    cl::desc("Skip fusion and matmul packing (the tfm-fuse-* passes, "
             "tfm-cpu-pack-matmuls, accumulator fills in matmul blocks): "
             "each op runs as lowered, to bisect a wrong result"),
    cl::cat(category));
cl::opt<bool> printParams("print-params",
                          cl::desc("Print the parameter table and total"),
                          cl::cat(category));
cl::opt<bool> printSummary(
    "print-summary",
    cl::desc("Print the hyperparameters and a summary of the tfm IR"),
    cl::cat(category));
cl::opt<bool> memoryReport(
    "memory-report",
    cl::desc("Print, per entry point, the memory the model binary needs: "
             "weights, gradients, AdamW moments, workspace peak (with the "
             "activations kept for the backward pass), KV caches, inputs "
             "and outputs, total. Without --emit, nothing else is written"),
    cl::cat(category));
cl::opt<std::string> memoryBudget(
    "memory-budget",
    cl::desc("Fail (exit 1, naming the shortfall) when an entry point needs "
             "more than this, e.g. 24GiB"),
    cl::value_desc("size"), cl::cat(category));
cl::opt<bool> listPresets("list-presets",
                          cl::desc("Print the built-in model names"),
                          cl::cat(category));

int fail(const Twine &message) {
  WithColor::error(errs(), "gpt3-compile") << message << "\n";
  return 1;
}

/// Writes the -o file through `write`; the file is removed again unless
/// `write` succeeds.
int writeOutput(llvm::function_ref<Error(raw_pwrite_stream &)> write) {
  std::string error;
  std::unique_ptr<ToolOutputFile> output = openOutputFile(outputFile, &error);
  if (!output)
    return fail(error);
  if (Error e = write(output->os()))
    return fail(toString(std::move(e)));
  output->keep();
  return 0;
}

/// Runs `pm` on `module`, with the --mlir-* pass manager flags applied.
LogicalResult runPasses(mlir::PassManager &pm, ModuleOp module) {
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(pm);
  return pm.run(module);
}

/// The last phase a compile that stops at `stop` (or runs to the end) runs.
tfm::TfmPhase lastPhase(std::optional<StopAt> stop) {
  switch (stop.value_or(StopAt::LlvmDialect)) {
  case StopAt::Preprocessing:
    return tfm::TfmPhase::Preprocessing;
  case StopAt::Linalg:
    return tfm::TfmPhase::Linalg;
  case StopAt::Codegen:
    return tfm::TfmPhase::Codegen;
  case StopAt::Tfm:
  case StopAt::LlvmDialect:
    break;
  }
  return tfm::TfmPhase::LlvmDialect;
}

/// The directory holding the runtime archives: build/lib beside build/bin.
std::string libraryDir(const char *argv0) {
  std::string exe =
      sys::fs::getMainExecutable(argv0, reinterpret_cast<void *>(&libraryDir));
  SmallString<256> dir(sys::path::parent_path(sys::path::parent_path(exe)));
  sys::path::append(dir, "lib");
  return dir.str().str();
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  // LLVM's backends register hundreds of flags; --help lists ours and
  // --help-hidden the rest.
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "GPT-3 ahead-of-time compiler\n\n"
      "  gpt3-compile --config gpt3-small --emit=tfm -o model.mlir\n"
      "  gpt3-compile --config gpt3-small --seq 128 --emit=exe -o gpt3-small\n"
      "  gpt3-compile --config path/to/config.json --print-params\n");

  if (listPresets) {
    for (StringRef name : tfm::presetNames())
      outs() << name << "\n";
    return 0;
  }
  if (configName.empty())
    return fail("no model given; use --config NAME or --config "
                "path/config.json (--list-presets shows the names)");
  if (emit == EmitKind::Exe && outputFile == "-")
    return fail("--emit=exe needs an output path: -o <binary>");

  std::optional<int64_t> budget;
  if (memoryBudget.getNumOccurrences()) {
    Expected<int64_t> parsed = gpt3::parseByteSize(memoryBudget);
    if (!parsed)
      return fail("--memory-budget: " + toString(parsed.takeError()));
    budget = *parsed;
  }

  if (dtype != "f32" && dtype != "bf16")
    return fail("--dtype must be f32 or bf16, got '" + dtype + "'");
  if (dtype == "bf16" && targetKind == TargetKind::Cuda)
    return fail("--dtype bf16 is for --target=cpu; on the GPU, "
                "--gpu-matmul-precision bf16 runs the matmuls on bf16 "
                "tensor cores");

  if (zero > 1)
    return fail("--zero must be 0 or 1, got " + std::to_string(zero));
  if (ranks > 1 && targetKind == TargetKind::Cuda)
    return fail("--ranks is for --target=cpu (MPI between processes); "
                "collectives between GPUs are not built yet");

  std::vector<std::string> warnings;
  Expected<tfm::ModelConfig> config = tfm::loadConfig(configName, &warnings);
  if (!config)
    return fail(toString(config.takeError()));
  for (const std::string &warning : warnings)
    errs() << "warning: " << warning << "\n";

  DialectRegistry registry;
  tfm::registerPipelineDialects(registry);
  MLIRContext context(registry);
  Expected<OwningOpRef<ModuleOp>> built = tfm::buildModel(
      context, *config,
      {batch, sequence, prefill, dtype == "bf16",
       /*packWeights=*/targetKind == TargetKind::Cpu, ranks, zero == 1},
      std::vector<std::string>(entries.begin(), entries.end()));
  if (!built)
    return fail(toString(built.takeError()));
  ModuleOp module = **built;
  if (failed(verify(module)))
    return fail("internal error: the built IR does not verify");

  bool reportsOnly = (printSummary || printParams) &&
                     !emit.getNumOccurrences() &&
                     !compileTo.getNumOccurrences();
  // The memory plan needs the buffer plan: without --emit it is the only
  // output, after a compile to the LLVM dialect.
  bool planOnly = (memoryReport || budget) && !emit.getNumOccurrences() &&
                  !compileTo.getNumOccurrences();
  if (reportsOnly ||
      (!planOnly && emit == EmitKind::Tfm &&
       (!compileTo.getNumOccurrences() || compileTo == StopAt::Tfm)))
    return writeOutput([&](raw_pwrite_stream &os) {
      if (printSummary)
        tfm::printSummary(*config, module, os);
      if (printParams) {
        if (printSummary)
          os << "\n";
        tfm::printParameterTable(*config, os);
      }
      if (!reportsOnly)
        module->print(os);
      return Error::success();
    });

  // Where the compile stops; --emit=linalg is --compile-to=linalg.
  std::optional<StopAt> stop;
  if (emit == EmitKind::Linalg)
    stop = StopAt::Linalg;
  if (compileTo.getNumOccurrences()) {
    if (emit.getNumOccurrences() && stop != compileTo)
      return fail("--compile-to writes IR; give it without --emit, or with "
                  "the --emit kind it equals (tfm, linalg)");
    stop = compileTo;
  }
  if (targetKind != TargetKind::Cuda &&
      (gpuArch.getNumOccurrences() || gpuHostEmulation ||
       cudaPath.getNumOccurrences() || gpuMatmulPrecision.getNumOccurrences() ||
       emit == EmitKind::Ptx))
    return fail("--gpu-arch, --gpu-host-emulation, --gpu-matmul-precision, "
                "--cuda-path and --emit=ptx need --target=cuda");
  // Training in bf16 mixed precision (f32 master weights, moments and
  // reductions) is what a GPU is for; inference keeps the exact path
  // unless asked.
  std::string matmulPrecision = gpuMatmulPrecision;
  if (!gpuMatmulPrecision.getNumOccurrences())
    matmulPrecision =
        entries.empty() || llvm::is_contained(entries, "train_step") ? "bf16"
                                                                     : "f32";
  if (matmulPrecision != "f32" && matmulPrecision != "tf32" &&
      matmulPrecision != "bf16")
    return fail("--gpu-matmul-precision must be f32, tf32 or bf16, got '" +
                matmulPrecision + "'");
  if (emit == EmitKind::Ptx && gpuHostEmulation)
    return fail("--emit=ptx has no kernels to write with "
                "--gpu-host-emulation");
  std::unique_ptr<gpt3::Target> target;
  if (targetKind == TargetKind::Cuda) {
    gpt3::CudaTargetOptions cudaOptions;
    cudaOptions.arch = gpuArch;
    cudaOptions.cpu = cpu;
    cudaOptions.optLevel = optLevel;
    cudaOptions.fuse = !noFuse;
    cudaOptions.hostEmulation = gpuHostEmulation;
    cudaOptions.matmulPrecision = matmulPrecision;
    if (emit == EmitKind::Ptx)
      cudaOptions.binaryFormat = "isa";
    cudaOptions.cudaPath = cudaPath;
    if (cudaPath.empty()) {
      const char *home = std::getenv("CUDA_HOME");
      cudaOptions.cudaPath = home && *home ? home : "/usr/local/cuda";
    }
    std::string libdevice =
        cudaOptions.cudaPath + "/nvvm/libdevice/libdevice.10.bc";
    if (!gpuHostEmulation && !sys::fs::exists(libdevice))
      return fail("no CUDA toolkit at " + cudaOptions.cudaPath + " (" +
                  libdevice + " is missing); give --cuda-path");
    target = gpt3::createCudaTarget(cudaOptions);
  } else {
    gpt3::CpuTargetOptions cpuOptions;
    cpuOptions.cpu = cpu;
    cpuOptions.optLevel = optLevel;
    cpuOptions.fuse = !noFuse;
    target = gpt3::createCpuTarget(cpuOptions);
  }

  // The manifest describes the signatures after preprocessing (data
  // parallelism may shard the optimizer state), before the lowering turns
  // them into bare pointers.
  if (stop != StopAt::Tfm) {
    mlir::PassManager preprocess(&context);
    tfm::buildTfmPreprocessingPipeline(preprocess);
    if (failed(runPasses(preprocess, module)))
      return 1;
  }
  json::Object manifest = gpt3::describeModule(module, *config);
  mlir::PassManager pm(&context);
  if (stop != StopAt::Tfm && stop != StopAt::Preprocessing)
    target->buildPipeline(pm, lastPhase(stop));
  if (failed(runPasses(pm, module)))
    return 1;
  if (stop)
    return writeOutput([&](raw_pwrite_stream &os) {
      module->print(os);
      return Error::success();
    });

  if (emit == EmitKind::Ptx)
    return writeOutput([&](raw_pwrite_stream &os) {
      module.walk([&](gpu::BinaryOp binary) {
        for (mlir::Attribute object : binary.getObjects())
          os << cast<gpu::ObjectAttr>(object).getObject().getValue();
      });
      return Error::success();
    });

  gpt3::addWorkspaceSizes(manifest, module);
  gpt3::addKernelLaunches(manifest, module);
  gpt3::addMemoryPlan(manifest);
  if (memoryReport)
    gpt3::printMemoryPlan(manifest, outs());
  if (budget)
    if (Error e = gpt3::checkMemoryBudget(manifest, *budget))
      return fail("does not fit the memory budget: " + toString(std::move(e)));
  if (planOnly)
    return 0;
  manifest["device"] = target->deviceName();
  std::string manifestText;
  raw_string_ostream(manifestText) << json::Value(std::move(manifest));
  if (emit == EmitKind::Exe) {
    raw_null_ostream none;
    if (Error e = target->emit(module, manifestText, gpt3::Artefact::Executable,
                               none, outputFile, libraryDir(argv[0])))
      return fail(toString(std::move(e)));
    return 0;
  }
  return writeOutput([&](raw_pwrite_stream &os) {
    return target->emit(module, manifestText,
                        emit == EmitKind::Llvm ? gpt3::Artefact::LlvmIr
                                               : gpt3::Artefact::Object,
                        os, outputFile, "");
  });
}
