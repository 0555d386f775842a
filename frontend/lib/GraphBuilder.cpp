//===- GraphBuilder.cpp - GPT model to tfm IR -------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Emits the GPT-2 block structure (pre-LayerNorm, attention and MLP each in a
// residual branch, final LayerNorm, tied output projection) as `tfm` ops, one
// location per layer piece (`h.3.attn.c_attn`, or `h[1::2].attn.c_attn` in
// a layer loop) so that diagnostics and IR dumps name the layer. When the
// attention pattern repeats within the depth, the inference entry points
// run the stack as a tfm.scan over one period of it, on stacked weights,
// caches and optimizer moments. Under --dtype bf16 an inference-only
// model takes its matmul weights in bf16, widened where the graph reads
// them, so that lowering hands the bf16 tensors straight to the matmuls.
// For the CPU, an inference-only model's layer weights arrive packed as
// its matmul kernels read them (tfm.layout = "panels"), and the graph
// views them as (K, N).
//
//===----------------------------------------------------------------------===//

#include "tfm/Frontend/GraphBuilder.h"

#include "tfm/Dialect/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::tfm {
namespace {

/// Tokens per @prefill call unless the compile says otherwise: enough rows
/// for the matmuls to run near their peak, few enough that padding the last
/// chunk of a prompt costs little.
constexpr int64_t kDefaultPrefill = 64;
/// GPT-3's optimizer (Brown et al. 2020, appendix B): Adam with beta1 0.9,
/// beta2 0.95, eps 1e-8, weight decay 0.1, gradients clipped to norm 1.
constexpr double kAdamBeta1 = 0.9, kAdamBeta2 = 0.95, kAdamEpsilon = 1e-8;
constexpr double kWeightDecay = 0.1, kMaxGradNorm = 1.0;
/// Banded caches are rings of whole blocks of this many positions, so that
/// each block of the decode attention is contiguous in the ring.
constexpr int64_t kRingBlock = 64;
/// A packed weight (K, N) is stored in panels of 32 columns (the CPU's
/// register tile, two zmm of f32 sums): (N / 32, K, 32) in f32; in bf16
/// (N / 32, K / 2, 32, 2), each row of a panel two rows of W interleaved,
/// the pairs one vdpbf16ps lane multiplies. The runtime packs them so at
/// load (layout "panels").
constexpr int64_t kPanelColumns = 32;
constexpr llvm::StringLiteral kLayoutAttrName = "tfm.layout";
constexpr llvm::StringLiteral kPanelsLayout = "panels";

/// Offsets of a layer's tensors within its kParamsPerLayer parameters
/// (parameterSpecs).
enum LayerParam {
  Ln1Weight,
  Ln1Bias,
  AttnWeight,
  AttnBias,
  AttnProjWeight,
  AttnProjBias,
  Ln2Weight,
  Ln2Bias,
  FcWeight,
  FcBias,
  FcProjWeight,
  FcProjBias,
};

/// A parameter argument: one tensor, or in a layer loop one layer tensor
/// stacked over the layers of a period slot, which keep their own names.
struct ParamArg {
  std::string name; // "wte.weight", "h[0::2].ln_1.weight"
  SmallVector<int64_t> shape;
  std::vector<std::string> layers; // "h.0.ln_1.weight", "h.2.ln_1.weight", ...
  Type element;                    // f32, or bf16 for a matmul's weights
  bool panels = false;             // stored packed (kPanelColumns)
};

/// The packed shape of a (..., K, N) weight, in bf16 `pairs` or not.
SmallVector<int64_t> panelShape(ArrayRef<int64_t> shape, bool pairs) {
  SmallVector<int64_t> packed(shape.drop_back(2));
  int64_t k = shape[shape.size() - 2], n = shape.back();
  if (pairs)
    packed.append({n / kPanelColumns, k / 2, kPanelColumns, 2});
  else
    packed.append({n / kPanelColumns, k, kPanelColumns});
  return packed;
}

/// The layer tensors a matmul reads as its weight.
bool isMatmulWeight(int64_t kind) {
  return kind == AttnWeight || kind == AttnProjWeight || kind == FcWeight ||
         kind == FcProjWeight;
}

/// State the runtime keeps between calls, updated in place.
struct StateArg {
  std::string name;
  Type type;
  std::vector<std::string> layers; // a stack's own names, per layer
};

/// "h[1::2]": the layers of slot 1 of a period of 2.
std::string slotName(int64_t slot, int64_t period) {
  return "h[" + std::to_string(slot) + "::" + std::to_string(period) + "]";
}

class ModelBuilder {
public:
  /// `bf16Weights`: the matmul weights are bf16 arguments; `packWeights`:
  /// the layers' ones are packed in panels.
  ModelBuilder(MLIRContext &context, const ModelConfig &config,
               CompileShape shape, bool bf16Weights, bool packWeights)
      : context(context), builder(&context), config(config), shape(shape),
        packWeights(packWeights), specs(parameterSpecs(config)),
        period(layerPeriod(config)), f32(Float32Type::get(&context)),
        weightType(bf16Weights ? Type(BFloat16Type::get(&context)) : f32) {}

  /// Adds `@forward(tokens, params...) -> logits` to `module`.
  void buildForward(ModuleOp module) {
    Type tokens = tokenType();
    func::FuncOp func = createFunction(module, "forward", {tokens}, {"tokens"},
                                       {logitsType()}, paramArgs());
    ValueRange params = func.getArguments().drop_front(1);
    Value logits = emitLogits(func.getArgument(0), params);
    func::ReturnOp::create(builder, loc("forward"), logits);
  }

  /// Adds `@NAME(tokens, pos, params..., caches...) -> (logits, caches...)`:
  /// `fresh` new tokens per sequence at positions pos .. pos + fresh - 1,
  /// attending to the keys and values of the earlier positions in per-layer
  /// caches, which it updates.
  void buildCached(ModuleOp module, StringRef name, int64_t fresh) {
    SequenceScope scope(*this, fresh);
    Type tokens = tokenType();
    Type pos = RankedTensorType::get({}, IntegerType::get(&context, 32));
    std::vector<ParamArg> params = paramArgs();
    std::vector<StateArg> states = cacheArgs();
    SmallVector<Type> results = {logitsType()};
    for (const StateArg &state : states)
      results.push_back(state.type);
    func::FuncOp func =
        createFunction(module, name, {tokens, pos}, {"tokens", "pos"}, results,
                       params, states);
    size_t firstCache = 2 + params.size();
    SmallVector<Value> caches(func.getArguments().drop_front(firstCache));
    Value logits = emitLogits(func.getArgument(0),
                              func.getArguments().slice(2, params.size()),
                              func.getArgument(1), &caches);
    SmallVector<Value> returned = {logits};
    returned.append(caches);
    for (size_t i = 0; i < states.size(); ++i)
      func.setResultAttr(1 + i, "tfm.state",
                         func.getArgAttr(firstCache + i, "tfm.state"));
    func::ReturnOp::create(builder, loc(name), returned);
  }

  /// Adds `@loss(tokens, targets, params...) -> mean cross-entropy`.
  void buildLoss(ModuleOp module) {
    Type tokens = tokenType();
    Type loss = RankedTensorType::get({}, f32);
    func::FuncOp func =
        createFunction(module, "loss", {tokens, tokens}, {"tokens", "targets"},
                       {loss}, paramArgs());
    ValueRange params = func.getArguments().drop_front(2);
    Value logits = emitLogits(func.getArgument(0), params);
    Value result = CrossEntropyOp::create(builder, loc("loss"), loss, logits,
                                          func.getArgument(1));
    func::ReturnOp::create(builder, loc("loss"), result);
  }

  /// Adds `@train_step(tokens, targets, step, lr, params..., m..., v...)
  /// -> (loss, grad_norm, grads...)`: the loss, its gradient with respect to
  /// every parameter (tfm.gradient, derived later by tfm-autodiff), the
  /// gradients' global norm, and one AdamW update per parameter after
  /// clipping that norm to 1, with GPT-3's settings and weight decay on the
  /// matrices only. Parameters and the moments `m.<name>`, `v.<name>` are
  /// updated in place; the pre-clip norm and the gradients are returned.
  void buildTrainStep(ModuleOp module) {
    Type tokens = tokenType();
    Type scalar = RankedTensorType::get({}, f32);
    Type step = RankedTensorType::get({}, IntegerType::get(&context, 32));
    std::vector<ParamArg> paramList = paramArgs();
    auto prefixed = [](StringRef prefix, ArrayRef<std::string> names) {
      std::vector<std::string> out;
      for (const std::string &name : names)
        out.push_back(prefix.str() + name);
      return out;
    };
    SmallVector<Type> results = {scalar, scalar};
    std::vector<StateArg> moments;
    for (StringRef moment : {"m.", "v."})
      for (const ParamArg &param : paramList)
        moments.push_back({moment.str() + param.name,
                           RankedTensorType::get(param.shape, f32),
                           prefixed(moment, param.layers)});
    for (int copy = 0; copy < 2; ++copy)
      for (const ParamArg &param : paramList)
        results.push_back(RankedTensorType::get(param.shape, f32));
    for (const StateArg &moment : moments)
      results.push_back(moment.type);
    func::FuncOp func = createFunction(
        module, "train_step", {tokens, tokens, step, scalar},
        {"tokens", "targets", "step", "lr"}, results, paramList, moments);
    Location where = loc("train_step");
    size_t numParams = paramList.size();
    ValueRange params = func.getArguments().slice(4, numParams);
    ValueRange m = func.getArguments().slice(4 + numParams, numParams);
    ValueRange v = func.getArguments().slice(4 + 2 * numParams, numParams);

    Value logits = emitLogits(func.getArgument(0), params);
    Value loss = CrossEntropyOp::create(builder, loc("loss"), scalar, logits,
                                        func.getArgument(1));
    auto grads =
        GradientOp::create(builder, where, params.getTypes(), loss, params);
    Value norm =
        GlobalNormOp::create(builder, where, scalar, grads.getResults());
    SmallVector<Value> returned = {loss, norm};
    returned.append(grads.getResults().begin(), grads.getResults().end());
    SmallVector<Value> newParams, newM, newV;
    for (auto [i, param] : llvm::enumerate(paramList)) {
      // Weight decay on the matrices: a stack's slices are its tensors.
      bool matrix = param.shape.size() == (param.layers.empty() ? 2u : 3u);
      Type type = params[i].getType();
      auto update = AdamWOp::create(
          builder, loc(param.name), type, type, type, params[i],
          grads.getResult(i), m[i], v[i], func.getArgument(2),
          func.getArgument(3), norm, builder.getF64FloatAttr(kAdamBeta1),
          builder.getF64FloatAttr(kAdamBeta2),
          builder.getF64FloatAttr(kAdamEpsilon),
          builder.getF64FloatAttr(matrix ? kWeightDecay : 0.0),
          builder.getF64FloatAttr(kMaxGradNorm));
      newParams.push_back(update.getNewParam());
      newM.push_back(update.getNewM());
      newV.push_back(update.getNewV());
    }
    returned.append(newParams);
    returned.append(newM);
    returned.append(newV);

    func.setResultAttr(0, "tfm.output", builder.getStringAttr("loss"));
    func.setResultAttr(1, "tfm.output", builder.getStringAttr("grad_norm"));
    for (auto [i, param] : llvm::enumerate(paramList)) {
      func.setResultAttr(2 + i, "tfm.output",
                         builder.getStringAttr("grad." + param.name));
      if (!param.layers.empty())
        func.setResultAttr(2 + i, "tfm.layers",
                           stringArray(prefixed("grad.", param.layers)));
      func.setResultAttr(2 + numParams + i, kParamAttrName,
                         builder.getStringAttr(param.name));
    }
    for (auto [i, moment] : llvm::enumerate(moments))
      func.setResultAttr(2 + 2 * numParams + i, "tfm.state",
                         builder.getStringAttr(moment.name));
    func::ReturnOp::create(builder, where, returned);
  }

private:
  Location loc(const Twine &name) {
    return NameLoc::get(StringAttr::get(&context, name));
  }

  /// Builds the ops of one function for `tokens` new tokens per sequence.
  struct SequenceScope {
    SequenceScope(ModelBuilder &b, int64_t tokens) : b(b), saved(b.newTokens) {
      b.newTokens = tokens;
    }
    ~SequenceScope() { b.newTokens = saved; }
    ModelBuilder &b;
    int64_t saved;
  };

  Type tokenType() {
    return RankedTensorType::get({shape.batch, newTokens},
                                 IntegerType::get(&context, 32));
  }
  Type activationType(int64_t channels) {
    return RankedTensorType::get({shape.batch, newTokens, channels}, f32);
  }
  /// A layer's key or value cache: (B, H, P, C / H), P its cachePositions.
  RankedTensorType cacheType(int64_t layer) {
    return RankedTensorType::get({shape.batch, config.numHeads,
                                  cachePositions(config.windows[layer], shape),
                                  config.width / config.numHeads},
                                 f32);
  }
  /// Layers per period slot, the iterations of the layer loop.
  int64_t iterations() const { return config.numLayers / period; }
  bool looped() const { return period < config.numLayers; }

  /// The parameter arguments: in parameterSpecs order, or when the model
  /// loops over its layers wte, wpe, each slot's layer tensors stacked
  /// (arenaOrder), ln_f.
  std::vector<ParamArg> paramArgs() {
    std::vector<ParamArg> args;
    // The token table is the output projection's weight.
    auto single = [&](const ParamSpec &spec, bool matmul) {
      args.push_back({spec.name,
                      llvm::to_vector(spec.shape),
                      {},
                      matmul ? weightType : f32});
    };
    if (!looped()) {
      for (auto [i, spec] : llvm::enumerate(specs)) {
        bool inLayer = i >= 2 && i + 2 < specs.size();
        bool layerWeight = inLayer && isMatmulWeight((i - 2) % kParamsPerLayer);
        single(spec, i == 0 || layerWeight);
        args.back().panels = layerWeight && packsPanels(args.back());
      }
      return args;
    }
    single(specs[0], true);
    single(specs[1], false);
    for (int64_t slot = 0; slot < period; ++slot)
      for (int64_t kind = 0; kind < kParamsPerLayer; ++kind) {
        const ParamSpec &first = specs[2 + slot * kParamsPerLayer + kind];
        // "h.1.ln_1.weight" -> "ln_1.weight"
        StringRef suffix =
            StringRef(first.name).split('.').second.split('.').second;
        ParamArg arg{slotName(slot, period) + "." + suffix.str(),
                     {iterations()},
                     {},
                     isMatmulWeight(kind) ? weightType : f32};
        arg.shape.append(first.shape.begin(), first.shape.end());
        arg.panels = isMatmulWeight(kind) && packsPanels(arg);
        for (int64_t layer = slot; layer < config.numLayers; layer += period)
          arg.layers.push_back(specs[2 + layer * kParamsPerLayer + kind].name);
        args.push_back(std::move(arg));
      }
    single(specs[specs.size() - 2], false);
    single(specs.back(), false);
    return args;
  }

  /// Whether layer weight `arg` is stored packed: whole panels of columns
  /// and, in bf16, whole pairs of rows.
  bool packsPanels(const ParamArg &arg) const {
    int64_t k = arg.shape[arg.shape.size() - 2], n = arg.shape.back();
    return packWeights && n % kPanelColumns == 0 &&
           (arg.element == f32 || k % 2 == 0);
  }

  /// The key and value caches: per layer, or in a layer loop per period
  /// slot, stacked over its layers.
  std::vector<StateArg> cacheArgs() {
    std::vector<StateArg> states;
    int64_t slots = looped() ? period : config.numLayers;
    for (int64_t slot = 0; slot < slots; ++slot)
      for (StringRef kind : {"key", "value"}) {
        std::string suffix = ".attn." + kind.str() + "_cache";
        RankedTensorType type = cacheType(slot);
        if (!looped()) {
          states.push_back({"h." + std::to_string(slot) + suffix, type, {}});
          continue;
        }
        SmallVector<int64_t> stackedShape = {iterations()};
        llvm::append_range(stackedShape, type.getShape());
        StateArg state{slotName(slot, period) + suffix,
                       RankedTensorType::get(stackedShape, f32),
                       {}};
        for (int64_t layer = slot; layer < config.numLayers; layer += period)
          state.layers.push_back("h." + std::to_string(layer) + suffix);
        states.push_back(std::move(state));
      }
    return states;
  }
  Type logitsType() { return activationType(config.vocabSize); }

  ArrayAttr stringArray(ArrayRef<std::string> names) {
    return builder.getStrArrayAttr(llvm::to_vector_of<StringRef>(names));
  }

  /// Creates a public function whose leading arguments are `inputs` (marked
  /// with `tfm.input`) followed by one argument per parameter (marked with
  /// `tfm.param`) and one per state (marked with `tfm.state`); a stack also
  /// lists its layers' own names (`tfm.layers`). Leaves the builder in its
  /// entry block.
  func::FuncOp createFunction(ModuleOp module, StringRef name,
                              ArrayRef<Type> inputs,
                              ArrayRef<StringRef> inputNames,
                              ArrayRef<Type> results, ArrayRef<ParamArg> params,
                              ArrayRef<StateArg> states = {}) {
    SmallVector<Type> argTypes(inputs);
    for (const ParamArg &param : params)
      argTypes.push_back(RankedTensorType::get(
          param.panels ? panelShape(param.shape, param.element != f32)
                       : param.shape,
          param.element));
    for (const StateArg &state : states)
      argTypes.push_back(state.type);
    builder.setInsertionPointToEnd(module.getBody());
    auto func = func::FuncOp::create(
        builder, loc(name), name, builder.getFunctionType(argTypes, results));
    auto mark = [&](unsigned index, StringRef attr, const std::string &name,
                    ArrayRef<std::string> layers) {
      func.setArgAttr(index, attr, builder.getStringAttr(name));
      if (!layers.empty())
        func.setArgAttr(index, "tfm.layers", stringArray(layers));
    };
    for (auto [index, inputName] : llvm::enumerate(inputNames))
      func.setArgAttr(index, "tfm.input", builder.getStringAttr(inputName));
    for (auto [index, param] : llvm::enumerate(params)) {
      mark(inputs.size() + index, kParamAttrName, param.name, param.layers);
      if (param.panels)
        func.setArgAttr(inputs.size() + index, kLayoutAttrName,
                        builder.getStringAttr(kPanelsLayout));
    }
    for (auto [index, state] : llvm::enumerate(states))
      mark(inputs.size() + params.size() + index, "tfm.state", state.name,
           state.layers);
    builder.setInsertionPointToStart(func.addEntryBlock());
    return func;
  }

  /// Embedding, the blocks, the final LayerNorm and the tied projection,
  /// on parameters as paramArgs lists them. With `caches` (as
  /// cacheArgs lists them, replaced by their updated values), the tokens
  /// start at position `start` and attend through the caches.
  Value emitLogits(Value tokens, ValueRange params, Value start = {},
                   SmallVectorImpl<Value> *caches = nullptr) {
    Value wte = widen(params[0]), wpe = params[1];
    Value x = EmbeddingOp::create(builder, loc("embedding"),
                                  activationType(config.width), tokens, wte,
                                  wpe, start);
    ValueRange layers = params.drop_front(2).drop_back(2);
    if (looped()) {
      x = emitLayerLoop(x, layers, start, caches);
    } else {
      for (int64_t layer = 0; layer < config.numLayers; ++layer)
        x = emitBlock("h." + std::to_string(layer), config.windows[layer], x,
                      layers.slice(layer * kParamsPerLayer, kParamsPerLayer),
                      start, caches ? &(*caches)[2 * layer] : nullptr);
    }
    ValueRange lnF = params.take_back(2);
    x = LayerNormOp::create(builder, loc("ln_f"), x.getType(), x, lnF[0],
                            lnF[1], epsilon());
    return LmHeadOp::create(builder, loc("lm_head"), logitsType(), x, wte);
  }

  /// The layer stack as one tfm.scan over the layers of each period slot:
  /// the residual stream and the stacked caches are carried, the stacked
  /// weights sliced per iteration; each iteration runs one period.
  Value emitLayerLoop(Value x, ValueRange stacks, Value start,
                      SmallVectorImpl<Value> *caches) {
    Location where = loc("h");
    SmallVector<Value> inits = {x};
    if (caches)
      inits.append(caches->begin(), caches->end());
    auto scan = ScanOp::create(builder, where, ValueRange(inits).getTypes(),
                               builder.getI64IntegerAttr(iterations()),
                               UnitAttr(), inits, stacks);
    SmallVector<Type> argTypes = {builder.getIndexType()};
    llvm::append_range(argTypes, ValueRange(inits).getTypes());
    for (Value stack : stacks) {
      auto type = cast<RankedTensorType>(stack.getType());
      argTypes.push_back(RankedTensorType::get(type.getShape().drop_front(),
                                               type.getElementType()));
    }
    OpBuilder::InsertionGuard guard(builder);
    Block *body =
        builder.createBlock(&scan.getBody(), {}, argTypes,
                            SmallVector<Location>(argTypes.size(), where));
    Value i = body->getArgument(0);
    Value h = body->getArgument(1);
    SmallVector<Value> cacheStacks(
        body->getArguments().slice(2, caches ? caches->size() : 0));
    ValueRange slices = body->getArguments().take_back(stacks.size());
    for (int64_t slot = 0; slot < period; ++slot) {
      std::string name = slotName(slot, period);
      if (!caches) {
        h = emitBlock(name, config.windows[slot], h,
                      slices.slice(slot * kParamsPerLayer, kParamsPerLayer),
                      start, nullptr);
        continue;
      }
      // This layer's caches: slice i of the slot's stacks, written back.
      Value pair[2];
      for (int kind = 0; kind < 2; ++kind)
        pair[kind] = layerSlice(cacheStacks[2 * slot + kind], i);
      h = emitBlock(name, config.windows[slot], h,
                    slices.slice(slot * kParamsPerLayer, kParamsPerLayer),
                    start, pair);
      for (int kind = 0; kind < 2; ++kind) {
        Value &stack = cacheStacks[2 * slot + kind];
        stack = tensor::InsertSliceOp::create(
            builder, loc(name + ".attn"), pair[kind], stack,
            sliceOffsets(stack, i), sliceSizes(stack), sliceStrides(stack));
      }
    }
    SmallVector<Value> yielded = {h};
    yielded.append(cacheStacks);
    YieldOp::create(builder, where, yielded);
    if (caches)
      for (auto [cache, result] :
           llvm::zip(*caches, scan.getCarries().drop_front()))
        cache = result;
    return scan.getCarries().front();
  }

  SmallVector<OpFoldResult> sliceOffsets(Value stack, Value i) {
    SmallVector<OpFoldResult> offsets(
        cast<RankedTensorType>(stack.getType()).getRank(),
        builder.getIndexAttr(0));
    offsets[0] = i;
    return offsets;
  }
  SmallVector<OpFoldResult> sliceSizes(Value stack) {
    SmallVector<OpFoldResult> sizes = getAsIndexOpFoldResult(
        &context, cast<RankedTensorType>(stack.getType()).getShape());
    sizes[0] = builder.getIndexAttr(1);
    return sizes;
  }
  SmallVector<OpFoldResult> sliceStrides(Value stack) {
    return SmallVector<OpFoldResult>(
        cast<RankedTensorType>(stack.getType()).getRank(),
        builder.getIndexAttr(1));
  }
  /// Slice `i` of `stack`, without the leading dimension.
  Value layerSlice(Value stack, Value i) {
    auto type = cast<RankedTensorType>(stack.getType());
    return tensor::ExtractSliceOp::create(
        builder, stack.getLoc(),
        RankedTensorType::get(type.getShape().drop_front(), f32), stack,
        sliceOffsets(stack, i), sliceSizes(stack), sliceStrides(stack));
  }

  /// One pre-LayerNorm block, its ops located under `name` ("h.3"):
  ///   x = x + c_proj(attention(c_attn(ln_1(x))))
  ///   x = x + mlp.c_proj(gelu(mlp.c_fc(ln_2(x))))
  /// With `cache` (its key and value caches, replaced by their updated
  /// values), attention runs through the caches from position `start`.
  Value emitBlock(const std::string &name, int64_t window, Value x,
                  ValueRange weights, Value start, Value *cache) {
    std::string h = name + ".";
    SmallVector<Value> p = llvm::map_to_vector(
        weights, [&](Value weight) { return widen(unpackPanels(weight)); });
    Type hidden = activationType(config.width);

    // x: (B, T, C) -> qkv: (B, T, 3C) -> attention: (B, T, C)
    Value ln1 = LayerNormOp::create(builder, loc(h + "ln_1"), hidden, x,
                                    p[Ln1Weight], p[Ln1Bias], epsilon());
    Value qkv = LinearOp::create(builder, loc(h + "attn.c_attn"),
                                 activationType(3 * config.width), ln1,
                                 p[AttnWeight], p[AttnBias]);
    auto pattern = AttentionPatternAttr::get(&context, window);
    IntegerAttr heads = builder.getI64IntegerAttr(config.numHeads);
    Value attn;
    if (cache) {
      auto cached = CachedAttentionOp::create(
          builder, loc(h + "attn"), hidden, cache[0].getType(),
          cache[1].getType(), qkv, cache[0], cache[1], start, heads, pattern);
      attn = cached.getResult();
      cache[0] = cached.getNewKeyCache();
      cache[1] = cached.getNewValueCache();
    } else {
      attn = AttentionOp::create(builder, loc(h + "attn"), hidden, qkv, heads,
                                 pattern);
    }
    Value proj = LinearOp::create(builder, loc(h + "attn.c_proj"), hidden, attn,
                                  p[AttnProjWeight], p[AttnProjBias]);
    x = AddOp::create(builder, loc(h + "attn.residual"), x, proj);

    // x: (B, T, C) -> fc: (B, T, 4C) -> (B, T, C)
    Value ln2 = LayerNormOp::create(builder, loc(h + "ln_2"), hidden, x,
                                    p[Ln2Weight], p[Ln2Bias], epsilon());
    Value fc = LinearOp::create(builder, loc(h + "mlp.c_fc"),
                                activationType(config.mlpWidth), ln2,
                                p[FcWeight], p[FcBias]);
    Value gelu = GeluOp::create(builder, loc(h + "mlp.gelu"), fc);
    Value out = LinearOp::create(builder, loc(h + "mlp.c_proj"), hidden, gelu,
                                 p[FcProjWeight], p[FcProjBias]);
    return AddOp::create(builder, loc(h + "mlp.residual"), x, out);
  }

  /// A layer weight as (K, N): a packed one, (N / 32, K, 32) or in bf16
  /// (N / 32, K / 2, 32, 2), viewed through the transpose and reshape that
  /// undo the packing, which the CPU's matmul packing recognises and reads
  /// the panels instead.
  Value unpackPanels(Value weight) {
    auto type = cast<RankedTensorType>(weight.getType());
    bool pairs = type.getElementType() != f32;
    if (type.getRank() != (pairs ? 4 : 3))
      return weight;
    int64_t panels = type.getDimSize(0), rows = type.getDimSize(1);
    SmallVector<int64_t> rowsFirst = {rows, panels, kPanelColumns};
    SmallVector<int64_t> permutation = {1, 0, 2};
    SmallVector<ReassociationIndices> matrix = {{0}, {1, 2}};
    if (pairs) {
      rowsFirst = {rows, 2, panels, kPanelColumns};
      permutation = {1, 3, 0, 2};
      matrix = {{0, 1}, {2, 3}};
    }
    Location where = weight.getLoc();
    Value unpacked = linalg::TransposeOp::create(
                         builder, where, weight,
                         tensor::EmptyOp::create(builder, where, rowsFirst,
                                                 type.getElementType()),
                         permutation)
                         .getResult()[0];
    return tensor::CollapseShapeOp::create(
        builder, where,
        RankedTensorType::get({(pairs ? 2 : 1) * rows, panels * kPanelColumns},
                              type.getElementType()),
        unpacked, matrix);
  }

  /// `weight` in f32: a bf16 weight widened where it is read, which the
  /// lowering of its matmul looks through.
  Value widen(Value weight) {
    auto type = cast<RankedTensorType>(weight.getType());
    if (type.getElementType() == f32)
      return weight;
    return arith::ExtFOp::create(builder, weight.getLoc(), type.clone(f32),
                                 weight);
  }

  FloatAttr epsilon() {
    return builder.getF64FloatAttr(config.layerNormEpsilon);
  }

  MLIRContext &context;
  OpBuilder builder;
  const ModelConfig &config;
  CompileShape shape;
  bool packWeights;
  int64_t newTokens = shape.sequence; // per sequence, in the function built
  std::vector<ParamSpec> specs;
  int64_t period;
  Type f32;
  Type weightType; // of the matmul weights
};

/// Records the hyperparameters on the module so later stages (and a reader
/// of the IR) need not be told the config again.
void annotateModule(ModuleOp module, const ModelConfig &config,
                    CompileShape shape) {
  Builder b(module.getContext());
  SmallVector<int64_t> windows(config.windows.begin(), config.windows.end());
  module->setAttr("tfm.model", b.getStringAttr(config.name));
  module->setAttr(
      "tfm.config",
      b.getDictionaryAttr({
          b.getNamedAttr("n_layer", b.getI64IntegerAttr(config.numLayers)),
          b.getNamedAttr("n_embd", b.getI64IntegerAttr(config.width)),
          b.getNamedAttr("n_head", b.getI64IntegerAttr(config.numHeads)),
          b.getNamedAttr("vocab_size", b.getI64IntegerAttr(config.vocabSize)),
          b.getNamedAttr("n_ctx", b.getI64IntegerAttr(config.contextSize)),
          b.getNamedAttr("n_inner", b.getI64IntegerAttr(config.mlpWidth)),
          b.getNamedAttr("layer_norm_epsilon",
                         b.getF64FloatAttr(config.layerNormEpsilon)),
          b.getNamedAttr("windows", b.getDenseI64ArrayAttr(windows)),
          b.getNamedAttr("batch", b.getI64IntegerAttr(shape.batch)),
          b.getNamedAttr("seq", b.getI64IntegerAttr(shape.sequence)),
          b.getNamedAttr("prefill", b.getI64IntegerAttr(shape.prefill)),
      }));
  if (shape.bf16)
    module->setAttr(TfmDialect::kMatmulTypeAttrName,
                    TypeAttr::get(b.getBF16Type()));
  if (shape.ranks > 1)
    module->setAttr(TfmDialect::kRanksAttrName,
                    b.getI64IntegerAttr(shape.ranks));
  if (shape.ranks > 1 && shape.zero)
    module->setAttr(TfmDialect::kZeroAttrName, b.getI64IntegerAttr(1));
}
} // namespace

int64_t cachePositions(int64_t window, CompileShape shape) {
  if (window == 0)
    return shape.sequence;
  int64_t ring = llvm::alignTo(window + shape.prefill - 1, kRingBlock);
  return std::min(ring, shape.sequence);
}

llvm::Expected<OwningOpRef<ModuleOp>>
buildModel(MLIRContext &context, const ModelConfig &config, CompileShape shape,
           llvm::ArrayRef<std::string> entries) {
  if (llvm::Error e = validate(config))
    return std::move(e);
  if (shape.sequence == 0)
    shape.sequence = config.contextSize;
  if (shape.batch < 1 || shape.batch > (1 << 16))
    return llvm::createStringError(config.name +
                                   ": batch size must be in [1, 65536], got " +
                                   llvm::Twine(shape.batch));
  if (shape.ranks < 1 || shape.ranks > (1 << 16))
    return llvm::createStringError(config.name +
                                   ": ranks must be in [1, 65536], got " +
                                   llvm::Twine(shape.ranks));
  if (shape.zero && shape.ranks < 2)
    return llvm::createStringError(
        config.name + ": ZeRO shards the optimizer state over ranks; give "
                      "2 ranks or more");
  if (shape.sequence < 1 || shape.sequence > config.contextSize)
    return llvm::createStringError(
        config.name + ": sequence length must be in [1, " +
        llvm::Twine(config.contextSize) + "] (the context size), got " +
        llvm::Twine(shape.sequence));
  if (shape.prefill == 0)
    shape.prefill = std::min<int64_t>(kDefaultPrefill, shape.sequence);
  if (shape.prefill < 1 || shape.prefill > shape.sequence)
    return llvm::createStringError(
        config.name + ": prefill chunk must be in [1, " +
        llvm::Twine(shape.sequence) + "] (the sequence length), got " +
        llvm::Twine(shape.prefill));
  for (const std::string &entry : entries)
    if (!llvm::is_contained(kEntryPoints, entry))
      return llvm::createStringError(
          "unknown entry point '" + entry + "'; entry points are " +
          llvm::join(
              llvm::map_range(kEntryPoints,
                              [](llvm::StringLiteral e) { return e.str(); }),
              ", "));
  auto wanted = [&](llvm::StringRef name) {
    return entries.empty() || llvm::is_contained(entries, name.str());
  };

  context.loadDialect<TfmDialect, arith::ArithDialect, func::FuncDialect,
                      linalg::LinalgDialect, tensor::TensorDialect>();
  Location where = NameLoc::get(StringAttr::get(&context, config.name));
  OwningOpRef<ModuleOp> module = ModuleOp::create(where);
  annotateModule(*module, config, shape);
  ModelBuilder builder(context, config, shape,
                       shape.bf16 && !wanted("train_step"),
                       shape.packWeights && !wanted("train_step"));
  if (wanted("forward"))
    builder.buildForward(*module);
  if (wanted("loss"))
    builder.buildLoss(*module);
  if (wanted("prefill"))
    builder.buildCached(*module, "prefill", shape.prefill);
  if (wanted("decode"))
    builder.buildCached(*module, "decode", 1);
  if (wanted("train_step"))
    builder.buildTrainStep(*module);
  return module;
}

} // namespace mlir::tfm
