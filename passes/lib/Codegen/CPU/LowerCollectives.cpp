//===- LowerCollectives.cpp - tfm collectives to MPI ------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Between the processes of a CPU run, MPI (OpenMPI, launched by mpirun)
// carries the collectives. The mpi dialect works on buffers, so each
// collective's tensors are handed over to buffers here, before one-shot
// bufferization, which then treats the received buffer as a fresh
// allocation.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/CPU/Passes.h"

#include "tfm/Dialect/TfmOps.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MPIToLLVM/MPIToLLVM.h"
#include "mlir/Transforms/DialectConversion.h"

#define DEBUG_TYPE "tfm-cpu-lower-collectives"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCPULOWERCOLLECTIVESPASS
#define GEN_PASS_DEF_TFMCPUMPITOLLVMPASS
#include "tfm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {
/// `value * factor`, elementwise, into a new tensor.
Value scale(OpBuilder &b, Location loc, Value value, double factor) {
  auto type = cast<RankedTensorType>(value.getType());
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  Value c = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(type.getElementType(), factor));
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> parallel(type.getRank(),
                                            utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, type, value, init, ArrayRef<AffineMap>{id, id}, parallel,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value product = arith::MulFOp::create(nb, nloc, args[0], c);
               linalg::YieldOp::create(nb, nloc, product);
             })
      .getResult(0);
}

/// MPI_Allreduce sums of `send` into `recv` (one-dimensional, equal
/// sizes), `maxCount` elements at a time.
void allReduceSum(OpBuilder &b, Location loc, Value send, Value recv,
                  int64_t maxCount) {
  Value comm =
      mpi::CommWorldOp::create(b, loc, mpi::CommType::get(b.getContext()));
  int64_t count = cast<MemRefType>(send.getType()).getNumElements();
  for (int64_t offset = 0; offset < count; offset += maxCount) {
    int64_t size = std::min(maxCount, count - offset);
    Value from = send, to = recv;
    if (size != count) {
      auto piece = [&](Value whole) {
        return memref::SubViewOp::create(
            b, loc, whole, ArrayRef<OpFoldResult>{b.getIndexAttr(offset)},
            ArrayRef<OpFoldResult>{b.getIndexAttr(size)},
            ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
      };
      from = piece(send);
      to = piece(recv);
    }
    mpi::AllReduceOp::create(b, loc, /*retval=*/Type(), from, to,
                             mpi::MPI_ReductionOpEnum::MPI_SUM, comm);
  }
}

/// The address of `buffer`'s first element, as the runtime's MPI helpers
/// take it.
Value addressOf(OpBuilder &b, Location loc, Value buffer) {
  Value index = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
}

/// A call of the runtime's `name(send, recv, share)` (runtime/src/mpi),
/// declared in `module` on first use: MPI_Reduce_scatter_block and
/// MPI_Allgather, which the upstream mpi dialect does not have.
void callHelper(OpBuilder &b, Location loc, ModuleOp module, StringRef name,
                Value send, Value recv, int64_t share) {
  Type i64 = b.getI64Type();
  if (!module.lookupSymbol(name)) {
    OpBuilder top = OpBuilder::atBlockBegin(module.getBody());
    auto decl = func::FuncOp::create(top, loc, name,
                                     b.getFunctionType({i64, i64, i64}, {}));
    decl.setPrivate();
  }
  Value count = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(share));
  func::CallOp::create(
      b, loc, name, TypeRange{},
      ValueRange{addressOf(b, loc, send), addressOf(b, loc, recv), count});
}

/// `value`'s buffer, read only, and a new buffer for a result of `type`.
std::pair<Value, Value> buffersFor(OpBuilder &b, Location loc, Value value,
                                   RankedTensorType type) {
  auto in = cast<RankedTensorType>(value.getType());
  Value send = bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(in.getShape(), in.getElementType()), value,
      /*readOnly=*/true);
  Value recv = memref::AllocOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType()),
      b.getI64IntegerAttr(64));
  return {send, recv};
}

Value asTensor(OpBuilder &b, Location loc, Value buffer,
               RankedTensorType type) {
  return bufferization::ToTensorOp::create(b, loc, type, buffer,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

/// Lowers collective `op` (a mean over the ranks, or one between a whole
/// and the ranks' shares of it) to MPI on buffers.
LogicalResult lowerCollective(Operation *op, ModuleOp module,
                              int64_t maxCount) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  Value input = op->getOperand(0);
  int64_t ranks = op->getAttrOfType<IntegerAttr>("ranks").getInt();
  Value result;
  if (isa<AllReduceOp>(op)) {
    if (type.getRank() != 1)
      return op->emitOpError() << "is lowered to MPI on one-dimensional "
                                  "tensors (tfm-data-parallel flattens its "
                                  "buckets)";
    Value scaled = scale(b, loc, input, 1.0 / static_cast<double>(ranks));
    auto [send, recv] = buffersFor(b, loc, scaled, type);
    allReduceSum(b, loc, send, recv, maxCount);
    result = asTensor(b, loc, recv, type);
  } else if (!type.getElementType().isF32()) {
    return op->emitOpError() << "is lowered to MPI for f32 only";
  } else if (isa<ReduceScatterOp>(op)) {
    Value scaled = scale(b, loc, input, 1.0 / static_cast<double>(ranks));
    auto [send, recv] = buffersFor(b, loc, scaled, type);
    callHelper(b, loc, module, "gpt3_mpi_reduce_scatter_f32", send, recv,
               type.getNumElements());
    result = asTensor(b, loc, recv, type);
  } else if (isa<AllGatherOp>(op)) {
    auto [send, recv] = buffersFor(b, loc, input, type);
    callHelper(b, loc, module, "gpt3_mpi_all_gather_f32", send, recv,
               cast<RankedTensorType>(input.getType()).getNumElements());
    result = asTensor(b, loc, recv, type);
  } else {
    Value comm =
        mpi::CommWorldOp::create(b, loc, mpi::CommType::get(b.getContext()));
    Value rank =
        mpi::CommRankOp::create(b, loc, Type(), b.getI32Type(), comm).getRank();
    Value index = arith::IndexCastOp::create(b, loc, b.getIndexType(), rank);
    Value share = arith::ConstantIndexOp::create(b, loc, type.getNumElements());
    Value offset = arith::MulIOp::create(b, loc, index, share);
    result = tensor::ExtractSliceOp::create(
        b, loc, type, input, ArrayRef<OpFoldResult>{offset},
        ArrayRef<OpFoldResult>{b.getIndexAttr(type.getNumElements())},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  }
  op->getResult(0).replaceAllUsesWith(result);
  op->erase();
  return success();
}

struct TfmCpuLowerCollectivesPass
    : tfm::impl::TfmCpuLowerCollectivesPassBase<TfmCpuLowerCollectivesPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (maxCount < 1 || maxCount > INT32_MAX) {
      module.emitError() << "max-count must be in [1, 2^31 - 1], got "
                         << maxCount;
      return signalPassFailure();
    }
    SmallVector<Operation *> collectives;
    module.walk([&](Operation *op) {
      if (isa<AllReduceOp, ReduceScatterOp, AllGatherOp, RankShareOp>(op))
        collectives.push_back(op);
    });
    for (Operation *op : collectives)
      if (failed(lowerCollective(op, module, maxCount)))
        return signalPassFailure();
    if (collectives.empty())
      return;
    MLIRContext *ctx = module.getContext();
    Builder b(ctx);
    module->setAttr("dlti.map",
                    MapAttr::get(ctx, {DataLayoutEntryAttr::get(
                                          b.getStringAttr("MPI:Implementation"),
                                          b.getStringAttr("OpenMPI"))}));
  }
};

/// Gives the predefined reduction ops the names libmpi exports.
LogicalResult nameOpenMpiOps(ModuleOp module) {
  for (auto global :
       llvm::make_early_inc_range(module.getOps<LLVM::GlobalOp>())) {
    StringRef name = global.getSymName();
    auto type = dyn_cast<LLVM::LLVMStructType>(global.getGlobalType());
    if (global.getLinkage() != LLVM::Linkage::External || !type ||
        !type.isIdentified() || type.getName() != "ompi_predefined_op_t" ||
        !name.starts_with("ompi_mpi_") || name.starts_with("ompi_mpi_op_"))
      continue;
    std::string exported =
        ("ompi_mpi_op_" + name.drop_front(strlen("ompi_mpi_"))).str();
    if (failed(SymbolTable::replaceAllSymbolUses(
            global, StringAttr::get(module.getContext(), exported), module)))
      return failure();
    global.setSymName(exported);
  }
  return success();
}

struct TfmCpuMpiToLlvmPass
    : tfm::impl::TfmCpuMpiToLlvmPassBase<TfmCpuMpiToLlvmPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    bool hasMpi = false;
    module.walk([&](Operation *op) {
      hasMpi |= isa<mpi::MPIDialect>(op->getDialect());
      return hasMpi ? WalkResult::interrupt() : WalkResult::advance();
    });
    if (!hasMpi)
      return;
    LLVMTypeConverter converter(ctx);
    RewritePatternSet patterns(ctx);
    mpi::populateMPIToLLVMConversionPatterns(converter, patterns);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<mpi::MPIDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(module, target, std::move(patterns))) ||
        failed(nameOpenMpiOps(module)))
      signalPassFailure();
  }
};
} // namespace
