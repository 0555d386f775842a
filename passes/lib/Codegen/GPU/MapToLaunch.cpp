//===- MapToLaunch.cpp - Thread blocks as gpu.launch ------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// The last step of the distributed form: each block loop becomes a
// `gpu.launch` with a one-dimensional grid, each thread step a loop over
// the thread id (strided by the block size) followed by a barrier. Scratch
// a block's steps share lives in shared memory; scratch a thread keeps to
// itself lives on its stack.
//
//===----------------------------------------------------------------------===//

#include "Distribution.h"

#include "tfm/Codegen/Common/KernelNames.h"
#include "tfm/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUMAPTOLAUNCHPASS
#include "tfm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm::distribution;

namespace {
/// Moves the body of `forall` before `point`, its induction variables
/// derived from the linear worker index `linear`.
void inlineBody(RewriterBase &rewriter, scf::ForallOp forall,
                ArrayRef<int64_t> counts, Value linear, Operation *point) {
  Location loc = forall.getLoc();
  rewriter.setInsertionPoint(point);
  SmallVector<Value> ids = {linear};
  if (counts.size() > 1)
    ids = llvm::to_vector_of<Value>(
        affine::AffineDelinearizeIndexOp::create(rewriter, loc, linear, counts)
            .getResults());
  SmallVector<Value> ivs;
  for (auto [id, lb, step] : llvm::zip_equal(ids, forall.getMixedLowerBound(),
                                             forall.getMixedStep())) {
    Value iv = id;
    if (!isConstantIntValue(step, 1))
      iv = arith::MulIOp::create(
          rewriter, loc, iv,
          getValueOrCreateConstantIndexOp(rewriter, loc, step));
    if (!isZeroInteger(lb))
      iv = arith::AddIOp::create(
          rewriter, loc, iv,
          getValueOrCreateConstantIndexOp(rewriter, loc, lb));
    ivs.push_back(iv);
  }
  rewriter.eraseOp(forall.getTerminator());
  rewriter.inlineBlockBefore(forall.getBody(), point, ivs);
  rewriter.eraseOp(forall);
}

struct TfmGpuMapToLaunchPass
    : tfm::impl::TfmGpuMapToLaunchPassBase<TfmGpuMapToLaunchPass> {
  using Base::Base;

  LogicalResult mapBlock(RewriterBase &rewriter, scf::ForallOp block) {
    std::optional<SmallVector<int64_t>> grid = tripCounts(block);
    if (!grid)
      return block.emitError("a thread-block loop needs static bounds");
    SmallVector<scf::ForallOp> steps;
    SmallVector<SmallVector<int64_t>> stepCounts;
    int64_t threads = 1;
    WalkResult walk = block.walk([&](scf::ForallOp step) {
      if (step == block)
        return WalkResult::advance();
      std::optional<SmallVector<int64_t>> counts = tripCounts(step);
      if (!isStep(step) || !counts) {
        step.emitError("a loop inside a thread block must be a thread or "
                       "warp step with static bounds");
        return WalkResult::interrupt();
      }
      int64_t workers = ShapedType::getNumElements(*counts);
      threads = std::max(threads, isMappedTo(step, Level::Warp)
                                      ? workers * kThreadsPerWarp
                                      : workers);
      steps.push_back(step);
      stepCounts.push_back(*counts);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    threads =
        std::min<int64_t>(llvm::alignTo(threads, kThreadsPerWarp), maxThreads);

    // Scratch a step allocates is its thread's own; the rest is shared by
    // the block's threads.
    SmallVector<memref::AllocOp> privateScratch, sharedScratch;
    block.walk([&](memref::AllocOp alloc) {
      auto step = alloc->getParentOfType<scf::ForallOp>();
      (step != block ? privateScratch : sharedScratch).push_back(alloc);
    });
    // Block scratch is carved out of the block's dynamic shared memory,
    // each buffer at a 16-byte aligned offset.
    SmallVector<int64_t> offsets;
    int64_t sharedBytes = 0;
    for (memref::AllocOp alloc : sharedScratch) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity())
        return alloc.emitError("block scratch needs a static shape and an "
                               "identity layout");
      offsets.push_back(sharedBytes);
      sharedBytes += llvm::alignTo(
          type.getNumElements() * type.getElementTypeBitWidth() / 8, 16);
    }
    if (sharedBytes > sharedMemory)
      return block.emitError("the block's scratch needs ")
             << sharedBytes << " bytes of shared memory; at most "
             << static_cast<int64_t>(sharedMemory) << " fit";

    Location loc = block.getLoc();
    rewriter.setInsertionPoint(block);
    auto constant = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    Value one = constant(1);
    Value dynamicShared =
        sharedScratch.empty()
            ? Value()
            : arith::ConstantIntOp::create(rewriter, loc, sharedBytes, 32)
                  .getResult();
    // Kernels are named after their host function and what they compute:
    // "forward_matmul_8192x3072x768" (made unique when outlined).
    auto func = block->getParentOfType<FunctionOpInterface>();
    std::string name =
        (func.getName() + "_" + tfm::kernelName(block).value_or("kernel"))
            .str();
    auto launch = mlir::gpu::LaunchOp::create(
        rewriter, loc, constant(ShapedType::getNumElements(*grid)), one, one,
        constant(threads), one, one, dynamicShared);
    launch.setFunctionAttr(FlatSymbolRefAttr::get(rewriter.getContext(), name));
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToEnd(&body);
    Operation *end = mlir::gpu::TerminatorOp::create(rewriter, loc);

    if (!sharedScratch.empty()) {
      auto workgroup = mlir::gpu::AddressSpaceAttr::get(
          rewriter.getContext(), mlir::gpu::AddressSpace::Workgroup);
      rewriter.setInsertionPointToStart(&body);
      Value shared = mlir::gpu::DynamicSharedMemoryOp::create(
          rewriter, loc,
          MemRefType::get({ShapedType::kDynamic}, rewriter.getI8Type(),
                          MemRefLayoutAttrInterface{}, workgroup));
      for (auto [alloc, offset] : llvm::zip_equal(sharedScratch, offsets)) {
        MemRefType type = alloc.getType();
        rewriter.setInsertionPoint(alloc);
        Value view = memref::ViewOp::create(
            rewriter, alloc.getLoc(),
            MemRefType::get(type.getShape(), type.getElementType(),
                            MemRefLayoutAttrInterface{}, workgroup),
            shared, arith::ConstantIndexOp::create(rewriter, loc, offset),
            ValueRange{});
        rewriter.replaceOpWithNewOp<memref::MemorySpaceCastOp>(alloc, type,
                                                               view);
      }
    }
    for (memref::AllocOp alloc : privateScratch) {
      rewriter.setInsertionPointToStart(&body);
      rewriter.replaceOpWithNewOp<memref::AllocaOp>(alloc, alloc.getType(),
                                                    alloc.getAlignmentAttr());
    }
    // Scratch is reused by the next launch; nothing frees it.
    launch.walk([&](memref::DeallocOp dealloc) { rewriter.eraseOp(dealloc); });
    block.walk([&](memref::DeallocOp dealloc) { rewriter.eraseOp(dealloc); });

    inlineBody(rewriter, block, *grid, launch.getBlockIds().x, end);

    Value threadId = launch.getThreadIds().x;
    for (auto [step, counts] : llvm::zip_equal(steps, stepCounts)) {
      rewriter.setInsertionPoint(step);
      Location stepLoc = step.getLoc();
      // A warp step's iterations go to warps: all 32 lanes run each one.
      bool warps = isMappedTo(step, Level::Warp);
      Value worker =
          warps
              ? arith::DivUIOp::create(rewriter, stepLoc, threadId,
                                       arith::ConstantIndexOp::create(
                                           rewriter, stepLoc, kThreadsPerWarp))
                    .getResult()
              : threadId;
      auto loop = scf::ForOp::create(
          rewriter, stepLoc, worker,
          arith::ConstantIndexOp::create(rewriter, stepLoc,
                                         ShapedType::getNumElements(counts)),
          arith::ConstantIndexOp::create(
              rewriter, stepLoc, warps ? threads / kThreadsPerWarp : threads));
      rewriter.setInsertionPointAfter(loop);
      mlir::gpu::BarrierOp::create(rewriter, stepLoc);
      inlineBody(rewriter, step, counts, loop.getInductionVar(),
                 loop.getBody()->getTerminator());
    }
    return success();
  }

  void runOnOperation() override {
    SmallVector<scf::ForallOp> blocks;
    getOperation().walk([&](scf::ForallOp forall) {
      if (isMappedTo(forall, Level::Block))
        blocks.push_back(forall);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ForallOp block : blocks)
      if (failed(mapBlock(rewriter, block)))
        return signalPassFailure();
  }
};
} // namespace
