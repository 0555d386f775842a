//===- Kernels.h - Kernels both targets build -------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Each kernel is a builder parameterised by its tile sizes and wrapped in a
// rewrite pattern: a target picks the tiles (L1-sized blocks on the CPU)
// and applies the patterns; the IR the builder emits is the same for both.
// Matmul blocks are per op, so they travel as the op's `tfm.thread_tiles`.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CODEGEN_COMMON_KERNELS_H
#define TFM_CODEGEN_COMMON_KERNELS_H

#include "tfm/Dialect/TfmOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tfm {

/// Tiles of the attention kernels. A tile takes the largest divisor of the
/// sequence up to its size, so no tile needs a mask; a sequence whose
/// divisor is below `minBlock` (a prime T) keeps the unfused lowering.
struct AttentionTiles {
  int64_t queryBlock = 64; // queries per forward tile
  int64_t keyBlock = 64;   // keys per step of the forward's online softmax
  int64_t gradBlock = 64;  // queries and keys per backward tile
  int64_t minBlock = 16;
  int64_t cacheBlock = 128; // cached positions per step of a decode's softmax
};

/// Tiles of the residual + layer norm kernel.
struct RowTiles {
  int64_t rows = 16; // rows per parallel iteration
};

/// A contraction's parallel blocks: per loop, the block size (0 for the
/// reductions). Block loops run columns first, so consecutive blocks share
/// a column panel of the right operand.
struct MatmulBlocks {
  SmallVector<int64_t> sizes;
};

/// Flash attention: tfm.attention and tfm.cached_attention forward, one
/// parallel iteration per (batch, head, query block) walking only the key
/// blocks its queries see with an online softmax; tfm.attention_grad
/// backward, recomputing probabilities tile by tile.
void populateFlashAttentionPatterns(RewritePatternSet &patterns,
                                    const AttentionTiles &tiles);

/// tfm.layer_norm (with the tfm.add that makes its input, when nothing
/// reads the sum earlier) as one pass over blocks of rows.
void populateResidualLayerNormPatterns(RewritePatternSet &patterns,
                                       const RowTiles &tiles);

/// A contraction with the parallel blocks its target chose
/// (`tfm.thread_tiles`), tiled into those blocks together with its initial
/// value (zeros or the broadcast bias) and its elementwise epilogue (GELU,
/// residual add, a gradient's elementwise part), one `scf.forall`.
void populateMatmulEpiloguePatterns(RewritePatternSet &patterns);

/// Builders the patterns wrap, for a target that drives them itself.
void buildFlashAttention(RewriterBase &rewriter, AttentionOp op,
                         const AttentionTiles &tiles);
void buildCachedFlashAttention(RewriterBase &rewriter, CachedAttentionOp op,
                               const AttentionTiles &tiles);
void buildFlashAttentionGrad(RewriterBase &rewriter, AttentionGradOp op,
                             const AttentionTiles &tiles);
void buildResidualLayerNorm(RewriterBase &rewriter, LayerNormOp norm, AddOp add,
                            const RowTiles &tiles);
LogicalResult buildMatmulWithEpilogue(RewriterBase &rewriter,
                                      linalg::LinalgOp contraction,
                                      const MatmulBlocks &blocks);

/// The elementwise op that is the only reader of `contraction`'s result
/// (seen through a packed layout's collapse_shape), reading it element for
/// element; null when there is none.
linalg::LinalgOp matmulEpilogue(Operation *contraction);

} // namespace mlir::tfm

#endif // TFM_CODEGEN_COMMON_KERNELS_H
