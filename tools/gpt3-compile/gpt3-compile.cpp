//===- gpt3-compile.cpp - GPT model compiler driver -------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Turns a model description (a preset name or a Hugging Face config.json)
// into `tfm` IR and, in later stages, into native code. The output file is
// deleted again unless the whole compile succeeds, so a failure never leaves
// a partial artefact behind.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmOps.h"
#include "tfm/Frontend/GraphBuilder.h"
#include "tfm/Frontend/ModelConfig.h"
#include "tfm/Frontend/ModelReport.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;
using namespace mlir;

namespace {
enum class EmitKind { Tfm };

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
cl::opt<EmitKind>
    emit("emit", cl::desc("What to write"),
         cl::values(clEnumValN(EmitKind::Tfm, "tfm", "the model's tfm IR")),
         cl::init(EmitKind::Tfm), cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                cl::value_desc("path"), cl::init("-"),
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
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::ParseCommandLineOptions(
      argc, argv,
      "GPT-3 ahead-of-time compiler\n\n"
      "  gpt3-compile --config gpt3-small --emit=tfm -o model.mlir\n"
      "  gpt3-compile --config path/to/config.json --print-params\n");

  if (listPresets) {
    for (StringRef name : tfm::presetNames())
      outs() << name << "\n";
    return 0;
  }
  if (configName.empty())
    return fail("no model given; use --config NAME or --config "
                "path/config.json (--list-presets shows the names)");

  Expected<tfm::ModelConfig> config = tfm::loadConfig(configName);
  if (!config)
    return fail(toString(config.takeError()));

  MLIRContext context;
  Expected<OwningOpRef<ModuleOp>> module =
      tfm::buildModel(context, *config, {batch, sequence});
  if (!module)
    return fail(toString(module.takeError()));
  if (failed(verify(**module)))
    return fail("internal error: the built IR does not verify");

  std::string error;
  std::unique_ptr<ToolOutputFile> output = openOutputFile(outputFile, &error);
  if (!output)
    return fail(error);
  raw_ostream &os = output->os();
  if (printSummary)
    tfm::printSummary(*config, **module, os);
  if (printParams) {
    if (printSummary)
      os << "\n";
    tfm::printParameterTable(*config, os);
  }
  // The reports replace the IR unless --emit is given explicitly.
  bool reportsOnly = (printSummary || printParams) && !emit.getNumOccurrences();
  if (!reportsOnly && emit == EmitKind::Tfm)
    (*module)->print(os);
  output->keep();
  return 0;
}
