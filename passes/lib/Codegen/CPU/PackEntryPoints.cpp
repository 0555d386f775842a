//===- PackEntryPoints.cpp - One C signature per entry point ----*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/CPU/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPUPACKENTRYPOINTSPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

#define DEBUG_TYPE "tfm-cpu-pack-entry-points"

using namespace mlir;

namespace {
struct TfmCpuPackEntryPointsPass
    : tfm::impl::TfmCpuPackEntryPointsPassBase<TfmCpuPackEntryPointsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    OpBuilder builder(ctx);

    SmallVector<LLVM::LLVMFuncOp> entries;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (!func.isExternal() && !func.isPrivate() &&
          !func.getName().starts_with("gpt3_entry_"))
        entries.push_back(func);

    for (LLVM::LLVMFuncOp func : entries) {
      LLVM::LLVMFunctionType type = func.getFunctionType();
      if (!llvm::all_of(type.getParams(), [&](Type t) { return t == ptr; }) ||
          !isa<LLVM::LLVMVoidType>(type.getReturnType())) {
        func.emitError("entry point must take only pointers and return "
                       "nothing; lower memrefs with bare pointers and "
                       "results as out-parameters");
        return signalPassFailure();
      }
      Location loc = func.getLoc();
      builder.setInsertionPointToEnd(module.getBody());
      auto packed = LLVM::LLVMFuncOp::create(
          builder, loc, ("gpt3_entry_" + func.getName()).str(),
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr}));
      Block *body = packed.addEntryBlock(builder);
      builder.setInsertionPointToStart(body);
      Value argv = body->getArgument(0);
      SmallVector<Value> args;
      for (unsigned i = 0, e = type.getNumParams(); i < e; ++i) {
        Value slot = LLVM::GEPOp::create(
            builder, loc, ptr, ptr, argv,
            ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
        args.push_back(LLVM::LoadOp::create(builder, loc, ptr, slot));
      }
      LLVM::CallOp::create(builder, loc, func, args);
      LLVM::ReturnOp::create(builder, loc, ValueRange{});
      // The manifest carries the argument names; LLVM translation would
      // only warn about the tfm.* argument attributes.
      func.removeArgAttrsAttr();
      // Only the packed entry is exported, so generic names such as
      // `forward` never clash with the program the model is linked into.
      func.setLinkage(LLVM::Linkage::Internal);
    }
  }
};
} // namespace
