//===- gpt3-compile.cpp - GPT model compiler driver -------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Turns a model description (a preset name or a Hugging Face config.json)
// into tfm IR, runs the same pipeline as `gpt3-opt
// --tfm-lower-to-cpu-pipeline`, and emits linalg IR, LLVM IR, an object file
// or a standalone model binary. Outputs are deleted again unless the whole
// compile succeeds, so a failure never leaves a partial artefact behind.
//
//===----------------------------------------------------------------------===//

#include "Linker.h"
#include "Manifest.h"
#include "ObjectEmitter.h"

#include "tfm/Conversion/Passes.h"
#include "tfm/Frontend/GraphBuilder.h"
#include "tfm/Frontend/ModelConfig.h"
#include "tfm/Frontend/ModelReport.h"
#include "tfm/Pipelines/Pipelines.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;
using namespace mlir;

namespace {
enum class EmitKind { Tfm, Linalg, Llvm, Obj, Exe };

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
                    clEnumValN(EmitKind::Obj, "obj",
                               "an object file with the entry "
                               "points and the manifest"),
                    clEnumValN(EmitKind::Exe, "exe",
                               "a standalone model binary (needs -o)")),
         cl::init(EmitKind::Tfm), cl::cat(category));
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

  std::vector<std::string> warnings;
  Expected<tfm::ModelConfig> config = tfm::loadConfig(configName, &warnings);
  if (!config)
    return fail(toString(config.takeError()));
  for (const std::string &warning : warnings)
    errs() << "warning: " << warning << "\n";

  DialectRegistry registry;
  tfm::registerPipelineDialects(registry);
  MLIRContext context(registry);
  Expected<OwningOpRef<ModuleOp>> built =
      tfm::buildModel(context, *config, {batch, sequence, prefill},
                      std::vector<std::string>(entries.begin(), entries.end()));
  if (!built)
    return fail(toString(built.takeError()));
  ModuleOp module = **built;
  if (failed(verify(module)))
    return fail("internal error: the built IR does not verify");

  bool reportsOnly = (printSummary || printParams) && !emit.getNumOccurrences();
  if (reportsOnly || emit == EmitKind::Tfm)
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

  if (emit == EmitKind::Linalg) {
    mlir::PassManager pm(&context);
    OpPassManager &funcPm = pm.nest<func::FuncOp>();
    funcPm.addPass(tfm::createConvertTfmToLinalgPass());
    funcPm.addPass(createCanonicalizerPass());
    funcPm.addPass(createCSEPass());
    if (failed(runPasses(pm, module)))
      return 1;
    return writeOutput([&](raw_pwrite_stream &os) {
      module->print(os);
      return Error::success();
    });
  }

  // Native code: the manifest describes the tfm-level signatures, which the
  // lowering turns into bare pointers.
  json::Object manifest = gpt3::describeModule(module, *config);
  mlir::PassManager pm(&context);
  tfm::TfmCpuPipelineOptions pipelineOptions;
  pipelineOptions.fuse = !noFuse;
  tfm::buildTfmToCpuPipeline(pm, pipelineOptions);
  if (failed(runPasses(pm, module)))
    return 1;
  gpt3::addWorkspaceSizes(manifest, module);
  std::string manifestText;
  raw_string_ostream(manifestText) << json::Value(std::move(manifest));

  gpt3::TargetOptions target;
  target.cpu = cpu;
  target.optLevel = optLevel;
  Expected<std::unique_ptr<TargetMachine>> machine =
      gpt3::createTargetMachine(target);
  if (!machine)
    return fail(toString(machine.takeError()));
  LLVMContext llvmContext;
  Expected<std::unique_ptr<llvm::Module>> llvmModule =
      gpt3::translateAndOptimize(module, llvmContext, **machine, optLevel,
                                 manifestText);
  if (!llvmModule)
    return fail(toString(llvmModule.takeError()));

  if (emit == EmitKind::Llvm)
    return writeOutput([&](raw_pwrite_stream &os) {
      (*llvmModule)->print(os, nullptr);
      return Error::success();
    });
  if (emit == EmitKind::Obj)
    return writeOutput([&](raw_pwrite_stream &os) {
      return gpt3::emitObject(**llvmModule, **machine, os);
    });

  // --emit=exe: object to a temporary file, then link.
  SmallString<128> objectPath;
  int fd;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("gpt3-model", "o", fd, objectPath))
    return fail("cannot create a temporary object file: " + ec.message());
  FileRemover removeObject(objectPath);
  {
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (Error e = gpt3::emitObject(**llvmModule, **machine, os))
      return fail(toString(std::move(e)));
  }
  if (Error e =
          gpt3::linkExecutable(objectPath, outputFile, libraryDir(argv[0])))
    return fail(toString(std::move(e)));
  return 0;
}
