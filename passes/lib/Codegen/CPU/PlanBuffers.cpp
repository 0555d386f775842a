//===- PlanBuffers.cpp - One workspace for all temporaries ------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Static shapes make the activation memory of an entry point a compile-time
// problem: every temporary gets a fixed offset in one workspace, reused by
// buffers whose lifetimes do not overlap.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/CPU/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/Support/Debug.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPUPLANBUFFERSPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

#define DEBUG_TYPE "tfm-cpu-plan-buffers"

using namespace mlir;

namespace {
constexpr int64_t kAlignment = 64;
// OpenMP worker threads have small stacks; per-thread scratch stays small.
constexpr int64_t kMaxStackBytes = 64 * 1024;

struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  int64_t start = 0, end = 0; // top-level op indices, inclusive
  int64_t offset = 0;
};

/// Index of the op in `block` that is or contains `op`.
int64_t topLevelIndex(Block &block, Operation *op,
                      const DenseMap<Operation *, int64_t> &index) {
  Operation *ancestor = block.findAncestorOpInBlock(*op);
  return index.lookup(ancestor);
}

/// The last top-level index at which `root` or any view of it is used.
int64_t lastUse(Block &block, Value root,
                const DenseMap<Operation *, int64_t> &index) {
  int64_t last = 0;
  SmallVector<Value> worklist = {root};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      last = std::max(last, topLevelIndex(block, user, index));
      // Views alias the buffer: their uses keep it alive.
      if (isa<ViewLikeOpInterface>(user))
        llvm::append_range(worklist, user->getResults());
    }
  }
  return last;
}

struct TfmCpuPlanBuffersPass
    : tfm::impl::TfmCpuPlanBuffersPassBase<TfmCpuPlanBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || func.isPrivate())
      return;
    Block &body = func.getBody().front();
    DenseMap<Operation *, int64_t> index;
    for (auto [i, op] : llvm::enumerate(body))
      index[&op] = i;

    if (failed(hoistLoopScratch(func)))
      return signalPassFailure();

    SmallVector<Buffer> buffers;
    WalkResult walk = func.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (alloc->getBlock() != &body || !type.hasStaticShape() ||
          !type.getLayout().isIdentity() ||
          type.getElementTypeBitWidth() % 8 != 0) {
        alloc.emitError("cannot place this allocation in the workspace: it "
                        "must be statically shaped, with an identity "
                        "layout, at the top level of the function");
        return WalkResult::interrupt();
      }
      Buffer buffer;
      buffer.alloc = alloc;
      buffer.bytes = llvm::alignTo(type.getNumElements() *
                                       type.getElementTypeBitWidth() / 8,
                                   kAlignment);
      buffer.start = index[alloc];
      buffer.end = lastUse(body, alloc.getResult(), index);
      buffers.push_back(buffer);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    int64_t total = assignOffsets(buffers);
    LLVM_DEBUG(llvm::dbgs() << func.getName() << ": " << buffers.size()
                            << " buffers in " << total << " bytes\n");

    // Append the workspace argument and turn allocations into views.
    MLIRContext *ctx = &getContext();
    auto workspaceType = MemRefType::get({std::max<int64_t>(total, kAlignment)},
                                         IntegerType::get(ctx, 8));
    unsigned argIndex = func.getNumArguments();
    if (failed(func.insertArgument(argIndex, workspaceType,
                                   DictionaryAttr::get(ctx), func.getLoc())))
      return signalPassFailure();
    func.setArgAttr(argIndex, "tfm.workspace", UnitAttr::get(ctx));
    Value workspace = func.getArgument(argIndex);
    OpBuilder builder(ctx);
    for (Buffer &buffer : buffers) {
      builder.setInsertionPoint(buffer.alloc);
      Location loc = buffer.alloc.getLoc();
      Value offset =
          arith::ConstantIndexOp::create(builder, loc, buffer.offset);
      Value view = memref::ViewOp::create(builder, loc, buffer.alloc.getType(),
                                          workspace, offset, ValueRange{});
      for (Operation *user :
           llvm::make_early_inc_range(buffer.alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      buffer.alloc.replaceAllUsesWith(view);
      buffer.alloc.erase();
    }
    func->setAttr("tfm.workspace_bytes",
                  builder.getI64IntegerAttr(workspaceType.getNumElements()));
  }

  /// Scratch allocated inside loops (a row's partial sums) is the same size
  /// on every iteration: it moves to the top of the enclosing parallel body,
  /// on that thread's stack, or out to the function level when no parallel
  /// loop encloses it.
  static LogicalResult hoistLoopScratch(func::FuncOp func) {
    Block &body = func.getBody().front();
    SmallVector<memref::AllocOp> nested;
    func.walk([&](memref::AllocOp alloc) {
      if (alloc->getBlock() != &body)
        nested.push_back(alloc);
    });
    for (memref::AllocOp alloc : nested) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape())
        return alloc.emitError("cannot hoist a dynamically sized allocation");
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      Operation *parallel = alloc->getParentOfType<scf::ForallOp>();
      if (!parallel) {
        alloc->moveBefore(&body.front());
        continue;
      }
      int64_t bytes = type.getNumElements() * type.getElementTypeBitWidth() / 8;
      if (bytes > kMaxStackBytes)
        return alloc.emitError("thread scratch of ")
               << bytes << " bytes exceeds the " << kMaxStackBytes
               << "-byte stack budget";
      Block &threadBody =
          threadScope(cast<scf::ForallOp>(parallel)).getBodyRegion().front();
      OpBuilder builder(&threadBody, threadBody.begin());
      auto alloca = memref::AllocaOp::create(builder, alloc.getLoc(), type,
                                             alloc.getAlignmentAttr());
      alloc.replaceAllUsesWith(alloca.getResult());
      alloc.erase();
    }
    return success();
  }

  /// The body of `forall` inside one memref.alloca_scope, so that stack
  /// slots taken per iteration are released at its end: a parallel loop's
  /// body runs as a loop on each thread.
  static memref::AllocaScopeOp threadScope(scf::ForallOp forall) {
    Block &body = forall.getRegion().front();
    Operation *terminator = body.getTerminator();
    if (auto scope = dyn_cast<memref::AllocaScopeOp>(body.front()))
      if (scope->getNextNode() == terminator)
        return scope;
    OpBuilder builder(&body, body.begin());
    auto scope =
        memref::AllocaScopeOp::create(builder, forall.getLoc(), TypeRange{});
    Block *inner = builder.createBlock(&scope.getBodyRegion());
    inner->getOperations().splice(inner->end(), body.getOperations(),
                                  std::next(scope->getIterator()),
                                  terminator->getIterator());
    builder.setInsertionPointToEnd(inner);
    memref::AllocaScopeReturnOp::create(builder, forall.getLoc());
    return scope;
  }

  /// Greedy placement, largest first, at the lowest aligned offset free
  /// of every already placed buffer whose live range intersects. Returns
  /// the workspace size.
  static int64_t assignOffsets(MutableArrayRef<Buffer> buffers) {
    SmallVector<Buffer *> order;
    for (Buffer &buffer : buffers)
      order.push_back(&buffer);
    llvm::sort(order, [](Buffer *a, Buffer *b) {
      return std::make_pair(-a->bytes, a->start) <
             std::make_pair(-b->bytes, b->start);
    });
    int64_t total = 0;
    SmallVector<Buffer *> placed;
    for (Buffer *buffer : order) {
      SmallVector<std::pair<int64_t, int64_t>> busy;
      for (Buffer *other : placed)
        if (other->start <= buffer->end && buffer->start <= other->end)
          busy.push_back({other->offset, other->offset + other->bytes});
      llvm::sort(busy);
      int64_t offset = 0;
      for (auto [begin, end] : busy) {
        if (offset + buffer->bytes <= begin)
          break;
        offset = std::max(offset, end);
      }
      buffer->offset = offset;
      total = std::max(total, offset + buffer->bytes);
      placed.push_back(buffer);
    }
    return total;
  }
};
} // namespace
