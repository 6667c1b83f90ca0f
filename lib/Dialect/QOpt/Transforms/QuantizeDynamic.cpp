//===- QuantizeDynamic.cpp - int8 weights, activations scaled at run time -===//
//
// The int8-dynamic recipe. For each tosa.matmul and tosa.conv2d whose
// weight is an f32 constant:
//   - the weight is quantized now: symmetric int8 per output channel
//     (scale = max|w| / 127, round half to even), stored as int8 with its
//     f32 scales;
//   - the activation is quantized when the model runs: symmetric int8 with
//     scale max|x| / 127 per row (token) of a matmul input, per tensor for a
//     convolution;
//   - the product runs in int8 x int8 -> int32 (TOSA, then the GEMM kernel);
//   - one f32 rescale (x scale * w scale) and the bias give the result.
// The run-time steps are linalg ops on tensors, fused with their neighbours
// by the usual elementwise fusion.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"
#include "QuantCandidates.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"


namespace mlir::qopt {
#define GEN_PASS_DEF_QUANTIZEDYNAMIC
#define GEN_PASS_DEF_QUANTIZELLMINT8
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

/// affine_map over `rank` loops selecting `dims`.
AffineMap selectDims(MLIRContext *ctx, unsigned rank, ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// max |x| over the dims of `x` not in `keep` (a rank-|keep| tensor).
Value absMax(OpBuilder &b, Location loc, Value x, ArrayRef<unsigned> keep) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  SmallVector<int64_t> shape;
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::reduction);
  for (unsigned d : keep) {
    shape.push_back(type.getDimSize(d));
    iters[d] = utils::IteratorType::parallel;
  }
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.f));
  Value init = tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
  init = linalg::FillOp::create(b, loc, zero, init).getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineMap maps[] = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                      selectDims(ctx, rank, keep)};
  return linalg::GenericOp::create(
             b, loc, init.getType(), x, init, maps, iters,
             [](OpBuilder &nb, Location l, ValueRange args) {
               Value a = math::AbsFOp::create(nb, l, args[0]);
               Value m = arith::MaximumFOp::create(nb, l, a, args[1]);
               linalg::YieldOp::create(nb, l, m);
             })
      .getResult(0);
}

/// int8(clamp(roundeven(x * 127 / absmax), -127, 127)); absmax broadcast
/// along the dims not in `keep`.
Value quantizeActivation(OpBuilder &b, Location loc, Value x, Value amax,
                         ArrayRef<unsigned> keep) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), b.getI8Type());
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap maps[] = {id, selectDims(ctx, rank, keep), id};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{x, amax}, init, maps, iters,
             [](OpBuilder &nb, Location l, ValueRange args) {
               auto f32 = [&](float v) {
                 return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v));
               };
               Value zero = f32(0.f);
               // 127 / absmax, 0 for an all-zero row (every value is 0).
               Value inv = arith::DivFOp::create(nb, l, f32(127.f), args[1]);
               Value positive = arith::CmpFOp::create(
                   nb, l, arith::CmpFPredicate::OGT, args[1], zero);
               inv = arith::SelectOp::create(nb, l, positive, inv, zero);
               Value q = arith::MulFOp::create(nb, l, args[0], inv);
               q = math::RoundEvenOp::create(nb, l, q);
               q = arith::MaximumFOp::create(nb, l, q, f32(-127.f));
               q = arith::MinimumFOp::create(nb, l, q, f32(127.f));
               Value i = arith::FPToSIOp::create(nb, l, nb.getI8Type(), q);
               linalg::YieldOp::create(nb, l, i);
             })
      .getResult(0);
}

/// f32(acc) * absmax / 127 * wscale[channel] (+ bias[channel]); the
/// channel is the last dim of acc.
Value rescale(OpBuilder &b, Location loc, Value acc, Value amax,
              ArrayRef<unsigned> keep, Value wscale, Value bias,
              Value outliers = Value()) {
  auto type = cast<RankedTensorType>(acc.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), b.getF32Type());
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap channel = selectDims(ctx, rank, {rank - 1});
  SmallVector<Value> ins = {acc, amax, wscale};
  SmallVector<AffineMap> maps = {id, selectDims(ctx, rank, keep), channel};
  if (bias) {
    ins.push_back(bias);
    maps.push_back(mlir::qopt::biasMap(bias, type));
  }
  if (outliers) {
    ins.push_back(outliers);
    maps.push_back(id);
  }
  maps.push_back(id);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  bool hasBias = static_cast<bool>(bias), hasOutliers = static_cast<bool>(outliers);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ins, init, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value s = arith::DivFOp::create(
                   nb, l, args[1],
                   arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(127.f)));
               s = arith::MulFOp::create(nb, l, s, args[2]);
               Value y = arith::SIToFPOp::create(nb, l, nb.getF32Type(), args[0]);
               y = arith::MulFOp::create(nb, l, y, s);
               if (hasOutliers) // x_out . w_q, in weight units
                 y = arith::AddFOp::create(
                     nb, l, y,
                     arith::MulFOp::create(nb, l, args[3 + hasBias], args[2]));
               if (hasBias)
                 y = arith::AddFOp::create(nb, l, y, args[3]);
               linalg::YieldOp::create(nb, l, y);
             })
      .getResult(0);
}

/// x where keepOutliers == (colmax[k] > threshold), else 0; k the last dim.
Value splitColumns(OpBuilder &b, Location loc, Value x, Value colmax,
                   float threshold, bool keepOutliers) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), b.getF32Type());
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap maps[] = {id, selectDims(ctx, rank, {rank - 1}), id};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{x, colmax}, init, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value t = arith::ConstantOp::create(nb, l,
                                                   nb.getF32FloatAttr(threshold));
               Value outlier = arith::CmpFOp::create(
                   nb, l, arith::CmpFPredicate::OGT, args[1], t);
               Value zero = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0.f));
               Value v = keepOutliers
                             ? arith::SelectOp::create(nb, l, outlier, args[0], zero)
                             : arith::SelectOp::create(nb, l, outlier, zero, args[0]);
               linalg::YieldOp::create(nb, l, v);
             })
      .getResult(0);
}

/// x [B, M, K] f32 . w [1, K, N] int8 -> [B, M, N] f32, the weights widened
/// as they are read (the runtime's f32 x int8 GEMM kind).
Value mixedMatmul(OpBuilder &b, Location loc, Value x, Value w) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  SmallVector<int64_t> shape = {xType.getDimSize(0), xType.getDimSize(1),
                                wType.getDimSize(2)};
  MLIRContext *ctx = b.getContext();
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.f));
  Value init = tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
  init = linalg::FillOp::create(b, loc, zero, init).getResult(0);
  AffineExpr bb = getAffineDimExpr(0, ctx), m = getAffineDimExpr(1, ctx),
             n = getAffineDimExpr(2, ctx), k = getAffineDimExpr(3, ctx);
  AffineMap maps[] = {AffineMap::get(4, 0, {bb, m, k}, ctx),
                      AffineMap::get(4, 0, {getAffineConstantExpr(0, ctx), k, n}, ctx),
                      AffineMap::get(4, 0, {bb, m, n}, ctx)};
  SmallVector<utils::IteratorType> iters = {
      utils::IteratorType::parallel, utils::IteratorType::parallel,
      utils::IteratorType::parallel, utils::IteratorType::reduction};
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{x, w}, init, maps, iters,
             [](OpBuilder &nb, Location l, ValueRange args) {
               Value wf = arith::SIToFPOp::create(nb, l, nb.getF32Type(), args[1]);
               Value p = arith::MulFOp::create(nb, l, args[0], wf);
               linalg::YieldOp::create(nb, l,
                                       arith::AddFOp::create(nb, l, args[2], p).getResult());
             })
      .getResult(0);
}


/// Quantized weights and their scales as dense_resource constants.
struct WeightConstants {
  std::string prefix;
  unsigned counter = 0;

  std::string key(StringRef what) {
    return (prefix + what + "_" + Twine(counter)).str();
  }

  std::pair<Value, Value> operator()(OpBuilder &b, Location loc,
                                     const mlir::qopt::QuantizedWeight &q,
                                     RankedTensorType wType) {
    auto qType = RankedTensorType::get(wType.getShape(), b.getI8Type());
    Value wq = mlir::qopt::resourceConstant(b, loc, qType, q.values, key("w"));
    auto sType = RankedTensorType::get({static_cast<int64_t>(q.scales.size())},
                                       b.getF32Type());
    Value ws = mlir::qopt::resourceConstant(b, loc, sType, q.scales, key("scale"));
    ++counter;
    return {wq, ws};
  }
};

struct QuantizeDynamicPass
    : mlir::qopt::impl::QuantizeDynamicBase<QuantizeDynamicPass> {
  using QuantizeDynamicBase::QuantizeDynamicBase;

  WeightConstants weightConstants{"qopt_int8_"};

  /// tosa.matmul(x [B,M,K] f32, w [B,K,N] constant f32).
  void rewriteMatMul(tosa::MatMulOp op) {
    auto xType = cast<RankedTensorType>(op.getA().getType());
    auto wType = cast<RankedTensorType>(op.getB().getType());
    if (!xType.getElementType().isF32() || !wType.hasStaticShape() ||
        !xType.hasStaticShape() || wType.getDimSize(0) != 1)
      return;
    if (wType.getNumElements() < minElements)
      return;
    auto q = mlir::qopt::quantizeProductWeight(op, op.getB());
    if (!q)
      return;

    OpBuilder b(op);
    Location loc = op.getLoc();
    auto [wq, ws] = weightConstants(b, loc, *q, wType);
    SmallVector<unsigned> keep = perRow ? SmallVector<unsigned>{0, 1}
                                        : SmallVector<unsigned>{};
    Value amax = absMax(b, loc, op.getA(), keep);
    Value xq = quantizeActivation(b, loc, op.getA(), amax, keep);
    auto accType = RankedTensorType::get(
        cast<RankedTensorType>(op.getType()).getShape(), b.getI32Type());
    Value acc = tosa::MatMulOp::create(b, loc, accType, xq, wq,
                                       mlir::qopt::int8ZeroPoint(b, loc), mlir::qopt::int8ZeroPoint(b, loc));
    Value y = rescale(b, loc, acc, amax, keep, ws, Value());
    op.getResult().replaceAllUsesWith(y);
    op.erase();
  }

  /// tosa.conv2d(x [N,H,W,C] f32, w [F,KH,KW,C] constant f32, bias).
  void rewriteConv(tosa::Conv2DOp op) {
    auto xType = cast<RankedTensorType>(op.getInput().getType());
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    if (!xType.getElementType().isF32() || !wType.hasStaticShape() ||
        !xType.hasStaticShape())
      return;
    if (wType.getNumElements() < minElements)
      return;
    auto q = mlir::qopt::quantizeProductWeight(op, op.getWeight());
    if (!q)
      return;

    OpBuilder b(op);
    Location loc = op.getLoc();
    auto [wq, ws] = weightConstants(b, loc, *q, wType);
    Value amax = absMax(b, loc, op.getInput(), {});
    Value xq = quantizeActivation(b, loc, op.getInput(), amax, {});
    auto outType = cast<RankedTensorType>(op.getType());
    auto accType = RankedTensorType::get(outType.getShape(), b.getI32Type());
    Value zeroBias = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(
                    RankedTensorType::get({1}, b.getI32Type()), int32_t(0)));
    Value acc = tosa::Conv2DOp::create(
        b, loc, accType, xq, wq, zeroBias, mlir::qopt::int8ZeroPoint(b, loc), mlir::qopt::int8ZeroPoint(b, loc),
        op.getPadAttr(), op.getStrideAttr(), op.getDilationAttr(),
        TypeAttr::get(b.getI32Type()));
    // The f32 bias is [F] or [1] (broadcast by the rescale).
    Value y = rescale(b, loc, acc, amax, {}, ws, op.getBias());
    op.getResult().replaceAllUsesWith(y);
    op.erase();
  }

  void runOnOperation() override {
    mlir::qopt::forEachProduct(
        getOperation(), [&](tosa::MatMulOp op) { rewriteMatMul(op); },
        [&](tosa::Conv2DOp op) { rewriteConv(op); });
  }
};

/// LLM.int8() (Dettmers et al. 2022) on tosa.matmul by a constant weight.
struct QuantizeLLMInt8Pass
    : mlir::qopt::impl::QuantizeLLMInt8Base<QuantizeLLMInt8Pass> {
  using QuantizeLLMInt8Base::QuantizeLLMInt8Base;

  WeightConstants weightConstants{"qopt_llm_int8_"};

  void rewrite(tosa::MatMulOp op) {
    auto q = mlir::qopt::quantizeProductWeight(op, op.getB());
    if (!q)
      return;
    auto wType = cast<RankedTensorType>(op.getB().getType());
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto [wq, ws] = weightConstants(b, loc, *q, wType);
    Value x = op.getA();
    // Feature columns with any |x| above the threshold, found at run time.
    Value colmax = absMax(b, loc, x, {2});
    Value regular = splitColumns(b, loc, x, colmax, threshold, false);
    Value outliers = splitColumns(b, loc, x, colmax, threshold, true);
    // The rest: int8 with a scale per row of X and per column of W.
    Value amax = absMax(b, loc, regular, {0, 1});
    Value xq = quantizeActivation(b, loc, regular, amax, {0, 1});
    auto accType = RankedTensorType::get(
        cast<RankedTensorType>(op.getType()).getShape(), b.getI32Type());
    Value acc = tosa::MatMulOp::create(b, loc, accType, xq, wq,
                                       mlir::qopt::int8ZeroPoint(b, loc), mlir::qopt::int8ZeroPoint(b, loc));
    // Outlier columns in f32 against the int8 weights (what bitsandbytes
    // does with its fp16 outlier product), added back in the rescale.
    Value out = mixedMatmul(b, loc, outliers, wq);
    Value y = rescale(b, loc, acc, amax, {0, 1}, ws, Value(), out);
    op.getResult().replaceAllUsesWith(y);
    op.erase();
  }

  void runOnOperation() override {
    for (const mlir::qopt::QuantCandidate &c :
         mlir::qopt::findQuantCandidates(getOperation(), minElements))
      if (auto mm = dyn_cast<tosa::MatMulOp>(c.op))
        rewrite(mm);
  }
};

} // namespace
