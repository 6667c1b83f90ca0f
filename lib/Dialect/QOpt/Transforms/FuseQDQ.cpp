//===- FuseQDQ.cpp - dequantize -> matmul/conv as an integer kernel -------===//
//
// A QDQ graph states y = (DQ(xq) . DQ(wq)): with per-tensor activation
// (sx, zx) and per-channel weight (sw[n], zero point 0) parameters,
//
//   y[m, n] = sx * sw[n] * sum_k (xq[m, k] - zx) * wq[k, n]
//           = sx * sw[n] * (acc[m, n] - zx * colsum[n]),
//   acc = xq . wq (int8 x int8 -> int32), colsum[n] = sum_k wq[k, n].
//
// colsum is known at compile time, so the zero-point correction is one
// int32 per output channel, subtracted in the epilogue that also scales
// (and adds a bias). The product itself is TOSA on int8, which reaches the
// runtime's integer GEMM kernel.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "QuantCandidates.h"
#include "RewriteUtils.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_FUSEQDQ
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

/// The dequantize behind `v` and the layout ops (tosa.transpose,
/// tosa.reshape) between them, nearest the dequantize first.
struct DequantizedSource {
  mlir::qopt::DequantizeOp dq;
  SmallVector<Operation *> layout;
};

std::optional<DequantizedSource> findDequantize(Value v) {
  DequantizedSource s;
  while (Operation *def = v.getDefiningOp()) {
    if (auto dq = dyn_cast<mlir::qopt::DequantizeOp>(def)) {
      s.dq = dq;
      std::reverse(s.layout.begin(), s.layout.end());
      return s;
    }
    if (!isa<tosa::TransposeOp, tosa::ReshapeOp>(def))
      return std::nullopt;
    s.layout.push_back(def);
    v = def->getOperand(0);
  }
  return std::nullopt;
}

quant::QuantizedType quantTypeOf(mlir::qopt::DequantizeOp dq) {
  return cast<quant::QuantizedType>(
      cast<RankedTensorType>(dq.getInput().getType()).getElementType());
}

/// `layout` replayed on `v` (an integer tensor of the dequantize's shape).
Value replayLayout(OpBuilder &b, Value v, ArrayRef<Operation *> layout) {
  Type elt = cast<RankedTensorType>(v.getType()).getElementType();
  for (Operation *op : layout) {
    auto type = cast<RankedTensorType>(op->getResult(0).getType()).clone(elt);
    if (auto t = dyn_cast<tosa::TransposeOp>(op))
      v = tosa::TransposeOp::create(b, op->getLoc(), type, v, t.getPermsAttr());
    else
      v = tosa::ReshapeOp::create(b, op->getLoc(), type, v,
                                  cast<tosa::ReshapeOp>(op).getShape());
  }
  return v;
}

/// A per-tensor int8/uint8 activation as signed int8 in the op's layout,
/// with its scale and (shifted) zero point.
struct IntActivation {
  Value value;
  double scale;
  int64_t zeroPoint;
};

std::optional<IntActivation> intActivation(OpBuilder &b, Value operand) {
  auto src = findDequantize(operand);
  if (!src)
    return std::nullopt;
  auto q = dyn_cast<quant::UniformQuantizedType>(quantTypeOf(src->dq));
  if (!q || q.getStorageTypeIntegralWidth() != 8 ||
      !q.getExpressedType().isF32())
    return std::nullopt;
  Location loc = src->dq.getLoc();
  auto qTensor = cast<RankedTensorType>(src->dq.getInput().getType());
  Type i8 = b.getIntegerType(8);
  Value v = quant::StorageCastOp::create(b, loc, qTensor.clone(i8),
                                         src->dq.getInput());
  int64_t zp = q.getZeroPoint();
  if (!q.isSigned()) {
    // uint8 u is int8 u - 128: flip the top bit.
    Value bit = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(qTensor.clone(i8), int8_t(-128)));
    v = arith::XOrIOp::create(b, loc, v, bit);
    zp -= 128;
  }
  return IntActivation{replayLayout(b, v, src->layout), q.getScale(), zp};
}

/// The raw bytes of an integer constant behind `v` (through quant.scast).
std::optional<std::vector<int8_t>> constantInt8(Value v) {
  if (auto c = v.getDefiningOp<quant::StorageCastOp>())
    v = c.getInput();
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  auto type = dyn_cast_or_null<RankedTensorType>(cst ? cst.getType() : Type());
  if (!type || !type.getElementType().isInteger(8) || !type.hasStaticShape())
    return std::nullopt;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(cst.getValue())) {
    std::vector<int8_t> out;
    for (const APInt &x : dense.getValues<APInt>())
      out.push_back(static_cast<int8_t>(x.getSExtValue()));
    return out;
  }
  auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValue());
  if (!res || !res.getRawHandle().getBlob())
    return std::nullopt;
  ArrayRef<char> raw = res.getRawHandle().getBlob()->getData();
  if (raw.size() != static_cast<size_t>(type.getNumElements()))
    return std::nullopt;
  return std::vector<int8_t>(raw.begin(), raw.end());
}

/// A constant int8 weight in the op's layout with one scale per output
/// channel (`channelDim` of the op's weight).
struct IntWeight {
  std::vector<int8_t> values;
  std::vector<double> scales;
};

std::optional<IntWeight> intWeight(Value operand, unsigned channelDim) {
  auto src = findDequantize(operand);
  if (!src)
    return std::nullopt;
  quant::QuantizedType q = quantTypeOf(src->dq);
  if (q.getStorageTypeIntegralWidth() != 8 || !q.isSigned() ||
      !q.getExpressedType().isF32())
    return std::nullopt;
  auto values = constantInt8(src->dq.getInput());
  if (!values)
    return std::nullopt;
  // Follow the quantized axis through the layout changes.
  SmallVector<int64_t> shape(
      cast<RankedTensorType>(src->dq.getInput().getType()).getShape());
  auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(q);
  int64_t axis = perAxis ? perAxis.getQuantizedDimension() : -1;
  for (Operation *op : src->layout) {
    auto outShape = cast<RankedTensorType>(op->getResult(0).getType()).getShape();
    if (auto t = dyn_cast<tosa::TransposeOp>(op)) {
      SmallVector<int64_t> perm(t.getPerms().begin(), t.getPerms().end());
      std::vector<char> bytes = mlir::qopt::permuteBytes(
          ArrayRef<char>(reinterpret_cast<const char *>(values->data()),
                         values->size()),
          shape, perm, 1);
      std::memcpy(values->data(), bytes.data(), bytes.size());
      if (axis >= 0)
        axis = std::find(perm.begin(), perm.end(), axis) - perm.begin();
    } else if (axis >= 0) {
      // A reshape keeps the axis when a dim of its size has the same
      // number of elements after it.
      int64_t after = 1, size = shape[axis];
      for (size_t d = axis + 1; d < shape.size(); ++d)
        after *= shape[d];
      int64_t newAxis = -1, tail = 1;
      for (int64_t d = outShape.size(); d-- > 0; tail *= outShape[d])
        if (tail == after && outShape[d] == size) {
          newAxis = d;
          break;
        }
      if (newAxis < 0)
        return std::nullopt;
      axis = newAxis;
    }
    shape.assign(outShape.begin(), outShape.end());
  }
  int64_t channels = shape[channelDim];
  IntWeight w;
  w.values = std::move(*values);
  if (perAxis) {
    if (axis != static_cast<int64_t>(channelDim))
      return std::nullopt;
    for (int64_t zp : perAxis.getZeroPoints())
      if (zp != 0)
        return std::nullopt;
    w.scales.assign(perAxis.getScales().begin(), perAxis.getScales().end());
  } else {
    auto u = cast<quant::UniformQuantizedType>(q);
    if (u.getZeroPoint() != 0)
      return std::nullopt;
    w.scales.assign(channels, u.getScale());
  }
  return w;
}


/// y = f32(acc - corr[n]) * scale[n] (+ bias[n] or bias[0]); n the last
/// dim of acc; `corr` may be null (zero point 0).
Value epilogue(OpBuilder &b, Location loc, Value acc, Value corr, Value scale,
               Value bias) {
  auto type = cast<RankedTensorType>(acc.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
  SmallVector<Value> ins = {acc, scale};
  SmallVector<AffineMap> maps = {id, channel};
  if (corr) {
    ins.push_back(corr);
    maps.push_back(channel);
  }
  if (bias) {
    ins.push_back(bias);
    maps.push_back(mlir::qopt::biasMap(bias, type));
  }
  maps.push_back(id);
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), b.getF32Type());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  bool hasCorr = static_cast<bool>(corr), hasBias = static_cast<bool>(bias);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ins, init, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value a = args[0];
               unsigned next = 2;
               if (hasCorr)
                 a = arith::SubIOp::create(nb, l, a, args[next++]);
               Value y = arith::SIToFPOp::create(nb, l, nb.getF32Type(), a);
               y = arith::MulFOp::create(nb, l, y, args[1]);
               if (hasBias)
                 y = arith::AddFOp::create(nb, l, y, args[next]);
               linalg::YieldOp::create(nb, l, y);
             })
      .getResult(0);
}

struct FuseQDQPass : mlir::qopt::impl::FuseQDQBase<FuseQDQPass> {
  unsigned counter = 0;

  /// The weight, sx * sw[n] and (for zx != 0) zx * colsum[n] as constants.
  struct Constants {
    Value weight, scale, corr;
  };
  Constants makeConstants(OpBuilder &b, Location loc, const IntWeight &w,
                          ArrayRef<int64_t> shape, unsigned channelDim,
                          const IntActivation &x) {
    int64_t channels = shape[channelDim];
    int64_t inner = 1;
    for (size_t d = channelDim + 1; d < shape.size(); ++d)
      inner *= shape[d];
    std::vector<int32_t> colsum(channels, 0);
    for (size_t i = 0; i < w.values.size(); ++i)
      colsum[(i / inner) % channels] += w.values[i];
    std::vector<float> scale(channels);
    std::vector<int32_t> corr(channels);
    for (int64_t n = 0; n < channels; ++n) {
      scale[n] = static_cast<float>(x.scale * w.scales[n]);
      corr[n] = static_cast<int32_t>(x.zeroPoint * colsum[n]);
    }
    std::string id = std::to_string(counter++);
    Constants c;
    c.weight = mlir::qopt::resourceConstant(
        b, loc, RankedTensorType::get(shape, b.getI8Type()), w.values,
        "qopt_qdq_weight_" + id);
    auto vec = [&](Type t) { return RankedTensorType::get({channels}, t); };
    c.scale = mlir::qopt::resourceConstant(b, loc, vec(b.getF32Type()), scale,
                                     "qopt_qdq_scale_" + id);
    if (x.zeroPoint != 0)
      c.corr = mlir::qopt::resourceConstant(b, loc, vec(b.getI32Type()), corr,
                                      "qopt_qdq_zero_point_" + id);
    return c;
  }

  void fuseMatMul(tosa::MatMulOp op) {
    auto outType = cast<RankedTensorType>(op.getType());
    auto wType = cast<RankedTensorType>(op.getB().getType());
    if (!outType.getElementType().isF32() || !wType.hasStaticShape() ||
        wType.getDimSize(0) != 1)
      return;
    unsigned channelDim = mlir::qopt::outputChannelDim(op);
    auto w = intWeight(op.getB(), channelDim);
    if (!w)
      return;
    OpBuilder b(op);
    auto x = intActivation(b, op.getA());
    if (!x)
      return; // what intActivation built is dead and folds away
    Location loc = op.getLoc();
    Constants c = makeConstants(b, loc, *w, wType.getShape(), channelDim, *x);
    Value acc = tosa::MatMulOp::create(b, loc, outType.clone(b.getI32Type()),
                                       x->value, c.weight, mlir::qopt::int8ZeroPoint(b, loc),
                                       mlir::qopt::int8ZeroPoint(b, loc));
    op.getResult().replaceAllUsesWith(
        epilogue(b, loc, acc, c.corr, c.scale, Value()));
    op.erase();
  }

  void fuseConv(tosa::Conv2DOp op) {
    auto outType = cast<RankedTensorType>(op.getType());
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    if (!outType.getElementType().isF32() || !wType.hasStaticShape())
      return;
    unsigned channelDim = mlir::qopt::outputChannelDim(op);
    auto w = intWeight(op.getWeight(), channelDim);
    if (!w)
      return;
    OpBuilder b(op);
    auto x = intActivation(b, op.getInput());
    if (!x)
      return;
    Location loc = op.getLoc();
    Constants c = makeConstants(b, loc, *w, wType.getShape(), channelDim, *x);
    Value input = x->value;
    SmallVector<int64_t> pad(op.getPad());
    if (x->zeroPoint != 0 && llvm::any_of(pad, [](int64_t p) { return p; })) {
      // Zero padding means zx in the integer domain: pad explicitly so that
      // colsum's correction holds at the borders too.
      auto inType = cast<RankedTensorType>(input.getType());
      SmallVector<int64_t> padded(inType.getShape());
      padded[1] += pad[0] + pad[1];
      padded[2] += pad[2] + pad[3];
      ImplicitLocOpBuilder ib(loc, b);
      Value padding =
          tosa::getTosaConstShape(ib, {0, 0, pad[0], pad[1], pad[2], pad[3], 0, 0});
      auto constType = RankedTensorType::get({1}, b.getI8Type());
      Value padConst = tosa::ConstOp::create(
          b, loc, constType,
          DenseElementsAttr::get(constType, static_cast<int8_t>(x->zeroPoint)));
      input = tosa::PadOp::create(b, loc, inType.clone(padded), input, padding,
                                  padConst);
      pad.assign(4, 0);
    }
    auto zeroBias = RankedTensorType::get({1}, b.getI32Type());
    Value noBias = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(zeroBias, int32_t(0)));
    Value acc = tosa::Conv2DOp::create(
        b, loc, outType.clone(b.getI32Type()), input, c.weight, noBias,
        mlir::qopt::int8ZeroPoint(b, loc), mlir::qopt::int8ZeroPoint(b, loc), b.getDenseI64ArrayAttr(pad),
        op.getStrideAttr(), op.getDilationAttr(), TypeAttr::get(b.getI32Type()));
    op.getResult().replaceAllUsesWith(
        epilogue(b, loc, acc, c.corr, c.scale, op.getBias()));
    op.erase();
  }

  void runOnOperation() override {
    mlir::qopt::forEachProduct(
        getOperation(), [&](tosa::MatMulOp op) { fuseMatMul(op); },
        [&](tosa::Conv2DOp op) { fuseConv(op); });
  }
};

} // namespace
