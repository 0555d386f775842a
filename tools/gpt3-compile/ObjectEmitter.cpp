//===- ObjectEmitter.cpp - LLVM dialect to native code ----------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "ObjectEmitter.h"
#include "Linker.h"
#include "Target.h"

#include "tfm/Dialect/TfmDialect.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace llvm;

Expected<std::unique_ptr<TargetMachine>>
gpt3::createTargetMachine(const TargetOptions &options) {
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  Triple triple(sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return createStringError(inconvertibleErrorCode(), error);

  std::string cpu = options.cpu;
  std::string features;
  if (cpu == "native") {
    cpu = sys::getHostCPUName().str();
    SubtargetFeatures list;
    for (const auto &[name, enabled] : sys::getHostCPUFeatures())
      list.AddFeature(name, enabled);
    features = list.getString();
  }
  llvm::TargetOptions targetOptions;
  // Fuse the multiply-adds of the vectorized contractions into FMAs, as
  // -ffp-contract=fast does: one rounding instead of two, twice the rate.
  targetOptions.AllowFPOpFusion = FPOpFusion::Fast;
  std::unique_ptr<TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, Reloc::PIC_, std::nullopt,
      options.optLevel >= 3   ? CodeGenOptLevel::Aggressive
      : options.optLevel == 0 ? CodeGenOptLevel::None
                              : CodeGenOptLevel::Default));
  if (!machine)
    return createStringError(inconvertibleErrorCode(),
                             "cannot create a target machine for CPU '" +
                                 options.cpu + "'");
  return std::move(machine);
}

Expected<std::unique_ptr<Module>>
gpt3::translateAndOptimize(mlir::ModuleOp module, LLVMContext &context,
                           TargetMachine &machine, unsigned optLevel,
                           StringRef manifest) {
  std::unique_ptr<Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context, "gpt3-model");
  if (!llvmModule)
    return createStringError(inconvertibleErrorCode(),
                             "translation to LLVM IR failed");
  llvmModule->setTargetTriple(machine.getTargetTriple());
  llvmModule->setDataLayout(machine.createDataLayout());

  // The manifest travels inside the object so an artefact is one file.
  Constant *text = ConstantDataArray::getString(context, manifest);
  new GlobalVariable(*llvmModule, text->getType(), /*isConstant=*/true,
                     GlobalValue::ExternalLinkage, text, "gpt3_manifest");

  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  // Vectorization, unrolling and register tiling were decided in MLIR; the
  // LLVM loop vectorizer and unroller only find the generated loops again
  // and cost most of the optimization time on a model of this size.
  PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  tuning.LoopVectorization = false;
  tuning.SLPVectorization = false;
  PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  static const OptimizationLevel levels[] = {
      OptimizationLevel::O0, OptimizationLevel::O1, OptimizationLevel::O2,
      OptimizationLevel::O3};
  OptimizationLevel level = levels[std::min(optLevel, 3u)];
  if (level == OptimizationLevel::O0)
    builder.buildO0DefaultPipeline(level).run(*llvmModule, mam);
  else
    builder.buildPerModuleDefaultPipeline(level).run(*llvmModule, mam);
  return std::move(llvmModule);
}

Error gpt3::emitObject(Module &module, TargetMachine &machine,
                       raw_pwrite_stream &os) {
  legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr, CodeGenFileType::ObjectFile))
    return createStringError(inconvertibleErrorCode(),
                             "the target cannot emit object files");
  pm.run(module);
  return Error::success();
}

Error gpt3::emitHostArtefact(mlir::ModuleOp module, StringRef manifest,
                             Artefact kind, const TargetOptions &options,
                             raw_pwrite_stream &os, StringRef outputPath,
                             StringRef libDir) {
  Expected<std::unique_ptr<TargetMachine>> machine =
      gpt3::createTargetMachine(options);
  if (!machine)
    return machine.takeError();
  LLVMContext context;
  Expected<std::unique_ptr<Module>> llvmModule = gpt3::translateAndOptimize(
      module, context, **machine, options.optLevel, manifest);
  if (!llvmModule)
    return llvmModule.takeError();
  if (kind == gpt3::Artefact::LlvmIr) {
    (*llvmModule)->print(os, nullptr);
    return Error::success();
  }
  if (kind == gpt3::Artefact::Object)
    return gpt3::emitObject(**llvmModule, **machine, os);

  // An executable: the object to a temporary file, then the link.
  SmallString<128> objectPath;
  int fd;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("gpt3-model", "o", fd, objectPath))
    return createStringError(ec, "cannot create a temporary object file: " +
                                     ec.message());
  FileRemover removeObject(objectPath);
  {
    raw_fd_ostream objectOs(fd, /*shouldClose=*/true);
    if (Error e = gpt3::emitObject(**llvmModule, **machine, objectOs))
      return e;
  }
  // A data-parallel model's collectives call MPI.
  bool mpi = module->hasAttr(mlir::tfm::TfmDialect::kRanksAttrName);
  return gpt3::linkExecutable(objectPath, outputPath, libDir, mpi);
}
