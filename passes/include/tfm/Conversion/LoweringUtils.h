//===- LoweringUtils.h - Shared helpers of tfm-to-linalg --------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Builders the forward and the backward lowerings share: views, fills,
// generics, row reductions, and the packing of attention heads.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CONVERSION_TFMTOLINALG_LOWERINGUTILS_H
#define TFM_CONVERSION_TFMTOLINALG_LOWERINGUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir {
class RewritePatternSet;
class RewriterBase;
namespace tfm {
class AttentionGradOp;
namespace lowering {

using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

/// Positions of a KV cache attended per online-softmax step.
constexpr int64_t kCacheBlock = 128;

/// The score of a hidden key in an online softmax: finite, so that a row
/// whose first blocks hide every key never computes -inf - -inf; its
/// garbage is scaled to zero once a visible key raises the max.
constexpr double kHiddenScore = -1.0e30;

RankedTensorType tensorType(Value value);

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type element);

Value floatConstant(OpBuilder &b, Location loc, Type type, double value);

/// The largest divisor of `n` that is at most `cap`.
int64_t largestDivisor(int64_t n, int64_t cap);

/// The value of a rank-0 integer tensor as an index.
Value indexOf(OpBuilder &b, Location loc, Value scalar);

/// A tensor of `shape` filled with `value`.
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Type element, double value);

/// (d0, ..., dn-1) -> (the listed dims).
AffineMap dimsMap(MLIRContext *ctx, unsigned numDims, ArrayRef<unsigned> dims);

/// Views `value` of shape (..., C) as (N, C).
Value collapseTo2d(OpBuilder &b, Location loc, Value value);

/// Views the (N, C) `value` as `type` (..., C).
Value expandFrom2d(OpBuilder &b, Location loc, Value value,
                   RankedTensorType type);

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// The element type `op`'s matmuls read their operands in: its module's
/// tfm.matmul_type (bf16 under --dtype bf16); null when the module names
/// none, and the operands are read as they are. The matmuls accumulate in
/// their result's type either way.
Type matmulOperandType(Operation *op);

/// The tensor `value` was widened from by an arith.extf (a bf16 weight as
/// the graph reads it), else `value`.
Value unwidened(Value value);

/// `value` as a matmul operand of element type `type`: as it is (also when
/// `type` is null), the bf16 tensor it was widened from, or rounded to
/// `type` (nearest even).
Value matmulOperand(OpBuilder &b, Location loc, Value value, Type type);

/// A linalg.generic with one result whose body computes `body(args)`, where
/// `args` are the block arguments (inputs, then the output).
Value generic(OpBuilder &b, Location loc, ValueRange inputs, Value init,
              ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iterators,
              BodyFn body);

/// Reduces the last dimension of the (N, C) `input` with `combine`, starting
/// from `initValue`: returns (N).
Value reduceRows(OpBuilder &b, Location loc, Value input, double initValue,
                 BodyFn combine);

Value maxF(OpBuilder &b, Location loc, Value x, Value y);

/// Softmax over the last dimension of the (N, C) view `x`; `x` may hold -inf
/// entries, never a whole row of them.
Value softmaxRows(OpBuilder &b, Location loc, Value x);

/// The max of each row of the (N, C) `x` and the sum of exp(x - max) over
/// the row, both (N): the stable log-sum-exp is max + log(sum).
std::pair<Value, Value> rowMaxAndSumExp(OpBuilder &b, Location loc, Value x);

/// The shape of an attention op: activations (B, T, C) in H heads of
/// D = C / H, and its causal band (0: dense).
struct AttentionGeometry {
  AttentionGeometry(RankedTensorType activations, int64_t heads, int64_t window)
      : element(activations.getElementType()), batch(activations.getDimSize(0)),
        seq(activations.getDimSize(1)), heads(heads),
        headDim(activations.getDimSize(2) / heads), window(window) {}

  Type element;
  int64_t batch, seq, heads, headDim, window;
};

/// qkv (B, T, 3C) viewed as (B, T, 3, H, D); with `parts` = 1, a
/// (B, T, C) activation viewed as (B, T, 1, H, D).
Value packHeads(OpBuilder &b, Location loc, Value qkv, int64_t heads,
                int64_t parts = 3);

/// Rows [t0, t0 + count) of part `which` of head h in batch bi of
/// `packed` (B, T, parts, H, D), as (count, D): a view, read in place.
Value headRows(OpBuilder &b, Location loc, Value packed, Value bi, Value t0,
               int64_t which, Value h, int64_t count);

/// Columns [t0, t0 + count) of head h in batch bi of the transposed
/// heads `x` (B, H, D, T), as (D, count).
Value headColumns(OpBuilder &b, Location loc, Value x, Value bi, Value h,
                  Value t0, int64_t count);

/// Copies part `which` (0 = q, 1 = k, 2 = v) of `packed` (B, T, 3, H, D)
/// into `dest`, (B, H, T, D), or (B, H, D, T) when `transposed`.
Value copyHeadPart(OpBuilder &b, Location loc, Value packed, int64_t which,
                   Value dest, bool transposed = false);

/// (B, H, T, D) heads concatenated back into `type` (B, T, C).
Value mergeHeads(OpBuilder &b, Location loc, Value heads4,
                 RankedTensorType type);

/// `score * scale` when key position `key` is visible from query position
/// `query` (key <= query and query - key < window), else `hidden`.
Value maskedScore(OpBuilder &b, Location loc, Value score, Value key,
                  Value query, Value window, Value scale, Value hidden);

/// Copies each of the rows of part `which` of `packed` (B, S, 3, H, D)
/// into its slot of `cache` (B, H, P, D): position start + s in slot
/// (start + s) mod P, so a banded layer's ring wraps. An in-place update of
/// the cache after bufferization.
Value storeInCache(OpBuilder &b, Location loc, Value packed, int64_t which,
                   Value cache, Value start);

/// The blocks of `block` keys that queries start .. start + fresh - 1 may
/// see, [lo, hi): from the block holding the first query's first visible
/// key (max(start + 1 - window, 0), or 0 when dense) to the block holding
/// the last query.
std::pair<Value, Value> cacheBlockRange(OpBuilder &b, Location loc, Value start,
                                        int64_t fresh, int64_t block,
                                        int64_t window);

/// The index of an attention band of `window` keys for maskedScore; a
/// dense layer's (0) queries see every earlier key, a window of all.
Value windowIndex(OpBuilder &b, Location loc, int64_t window);

/// Folds the masked scores `s` (..., Q, K) into an online log-sum-exp: the
/// running row maximum `m` and sum of exponentials `l` (..., Q) become
/// m' = max(m, rowmax s) and l' = l exp(m - m') + rowsum exp(s - m'),
/// written into the buffers of `m` and `l`.
std::pair<Value, Value> foldIntoLogSumExp(OpBuilder &b, Location loc, Value s,
                                          Value m, Value l);

/// m + log(l), elementwise, into `dest`: a log-sum-exp from its running
/// maximum and sum.
Value logSumExpOf(OpBuilder &b, Location loc, Value m, Value l, Value dest);

/// One block of keys for attendKeyBlocks: keys (..., K, D), or (..., D, K)
/// when transposed; values (..., K, D); the position of its first key.
struct KeyBlock {
  Value keys, values, firstKey;
};
using KeyBlockFn = function_ref<KeyBlock(OpBuilder &, Location, Value index)>;

/// Attention of the queries q (..., Q, D) at positions q0 + i over the key
/// blocks `blockAt(index)` for index in [lo, hi), by an online softmax (a
/// running max, sum and output per row, FlashAttention's forward), keys
/// masked to the causal band of `window` (0: dense). Normalized into
/// `dest`, the shape of q.
Value attendKeyBlocks(OpBuilder &b, Location loc, Value q, Value q0, Value lo,
                      Value hi, bool keysTransposed, int64_t window, Value dest,
                      KeyBlockFn blockAt);

/// The mean and 1 / sqrt(variance + epsilon) of each row of the (N, C) `x`,
/// both (N): two passes, so the variance does not cancel.
std::pair<Value, Value> layerNormStats(OpBuilder &b, Location loc, Value x,
                                       double epsilon);

/// (x - mean) * rstd * gamma + beta for the (N, C) `x`, written into
/// `dest`.
Value normalizeLayer(OpBuilder &b, Location loc, Value x, Value mean,
                     Value rstd, Value gamma, Value beta, Value dest);

/// Adds the lowerings of the backward and optimizer ops but attention's.
void populateTrainLoweringPatterns(RewritePatternSet &patterns);

/// Adds the lowering of tfm.attention_grad.
void populateAttentionGradLoweringPatterns(RewritePatternSet &patterns);

/// Adds the lowering of tfm.scan to scf.for, a rewrite (not a conversion)
/// that convert-tfm-to-linalg applies first.
void populateScanLoweringPatterns(RewritePatternSet &patterns);

} // namespace lowering
} // namespace tfm
} // namespace mlir

#endif // TFM_CONVERSION_TFMTOLINALG_LOWERINGUTILS_H
