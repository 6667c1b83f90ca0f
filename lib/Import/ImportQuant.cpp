//===- ImportQuant.cpp - ONNX quantization ops ----------------------------===//
//
// ONNX's quantized tensors are plain integer tensors; their parameters ride
// on the ops. The importer moves them into upstream `!quant.uniform` types:
// `qopt.quantize` produces a quantized tensor, `quant.scast` reinterprets it
// as its storage integers (and back for DequantizeLinear).
//
// QLinearMatMul and QLinearConv become DequantizeLinear of their inputs, the
// float MatMul / Conv, and QuantizeLinear of the result: the Q/DQ form that
// qopt-fuse-qdq turns into integer kernels. Their scales and zero points
// must then be compile-time constants; per-tensor ones given at run time
// (as in ONNX's own tests) are applied by float arithmetic instead.
// MatMulInteger and ConvInteger are int8 TOSA ops with int32 results;
// DynamicQuantizeLinear computes its parameters at run time.
// DequantizeLinear of INT4 / UINT4 constants is ImportNBits.cpp's.
//
//===----------------------------------------------------------------------===//
#include "ImporterCore.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

/// The name of input `i` of node `n`, quoted, for messages.
static std::string inputName(NodeContext &n, size_t i) {
  return "'" + (n.hasInput(i) ? n.node.input(i) : std::string()) + "'";
}

/// The uniform quantized element type of a tensor of shape `shape` whose
/// scale and zero point are inputs `scaleIdx` and `zpIdx` of node `n` (no
/// zero point input: 0). A 1-D scale of several elements is per axis along
/// `axis`, or along the node's `axis` attribute (default 1) when none.
static FailureOr<quant::QuantizedType>
quantTypeOf(NodeContext &n, llvm::ArrayRef<int64_t> shape, Type expressed,
            int32_t storageOnnxType, size_t scaleIdx = 1, size_t zpIdx = 2,
            std::optional<int64_t> axisOverride = std::nullopt) {
  const HostTensor *scale = n.constantInput(scaleIdx);
  if (!scale)
    return n.fail("the scale " + inputName(n, scaleIdx) +
                  " must be a compile-time constant");
  const HostTensor *zp = n.hasInput(zpIdx) ? n.constantInput(zpIdx) : nullptr;
  if (n.hasInput(zpIdx) && !zp)
    return n.fail("the zero point " + inputName(n, zpIdx) +
                  " must be a compile-time constant");
  if (n.attrInt("block_size", 0) != 0)
    return n.fail("blocked quantization (block_size) is not supported yet");
  int64_t count = scale->numElements();
  if (zp && zp->numElements() != count)
    return n.fail("scale and zero point differ in size");
  bool isSigned = storageOnnxType == onnx::TensorProto::INT8 ||
                  storageOnnxType == onnx::TensorProto::INT16 ||
                  storageOnnxType == onnx::TensorProto::INT32;
  unsigned width = onnxTypeSize(storageOnnxType) * 8;
  if (!width || storageOnnxType == onnx::TensorProto::BOOL ||
      llvm::isa<FloatType>(getElementType(n.g.ctx, storageOnnxType)))
    return n.fail(std::string("unsupported quantized type ") +
                  onnxTypeName(storageOnnxType));
  Type storage = IntegerType::get(n.g.ctx, width);
  unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;
  int64_t qmin = quant::QuantizedType::getDefaultMinimumForInteger(isSigned, width);
  int64_t qmax = quant::QuantizedType::getDefaultMaximumForInteger(isSigned, width);
  for (int64_t k = 0; k < count; ++k)
    if (!(scale->asDouble(k) > 0))
      return n.fail("scale " + std::to_string(scale->asDouble(k)) +
                    " is not positive");
  auto zpAt = [&](int64_t k) { return zp ? zp->asInt(k) : int64_t(0); };
  for (int64_t k = 0; k < count; ++k)
    if (zpAt(k) < qmin || zpAt(k) > qmax)
      return n.fail("zero point " + std::to_string(zpAt(k)) + " is outside " +
                    onnxTypeName(storageOnnxType));
  // Per tensor: a scalar or a one-element scale (1-D from opset 13, as
  // onnxruntime reads it; per axis over a dim of size 1 is the same thing).
  if (scale->shape.empty() ||
      (count == 1 && (n.opset < 13 || scale->shape.size() == 1)))
    return llvm::cast<quant::QuantizedType>(quant::UniformQuantizedType::get(
        flags, storage, expressed, scale->asDouble(0), zpAt(0), qmin, qmax));
  if (scale->shape.size() != 1)
    return n.fail("the scale must be a scalar or 1-D");
  auto axis = normalizeAxis(axisOverride ? *axisOverride : n.attrInt("axis", 1),
                            shape.size());
  if (!axis)
    return n.fail("axis out of range");
  if (shape[*axis] != count)
    return n.fail("the scale has " + std::to_string(count) +
                  " elements but axis " + std::to_string(*axis) + " has size " +
                  std::to_string(shape[*axis]));
  SmallVector<double> scales;
  SmallVector<int64_t> zps;
  for (int64_t k = 0; k < count; ++k) {
    scales.push_back(scale->asDouble(k));
    zps.push_back(zpAt(k));
  }
  return llvm::cast<quant::QuantizedType>(
      quant::UniformQuantizedPerAxisType::get(flags, storage, expressed, scales,
                                              zps, *axis, qmin, qmax));
}

/// QuantizeLinear of float `x` to `q`, as its storage integers.
static Value quantizeTo(OpBuilder &b, Location loc, Value x,
                        quant::QuantizedType q) {
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  Value qv = mlir::qopt::QuantizeOp::create(b, loc, xt.clone(q), x);
  return quant::StorageCastOp::create(b, loc, xt.clone(q.getStorageType()), qv);
}

/// DequantizeLinear of the storage integers `x` read as `q`.
static Value dequantizeFrom(OpBuilder &b, Location loc, Value x,
                            quant::QuantizedType q) {
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  Value qv = quant::StorageCastOp::create(b, loc, xt.clone(q), x);
  return mlir::qopt::DequantizeOp::create(b, loc,
                                          xt.clone(q.getExpressedType()), qv);
}

static LogicalResult importQuantizeLinear(NodeContext &n) {
  auto xt = n.inputType(0);
  if (!xt || !llvm::isa<FloatType>(xt.getElementType()))
    return n.fail("expects a floating-point input");
  int32_t storageType =
      n.hasInput(2) ? n.inputOnnxType(2) : (int32_t)onnx::TensorProto::UINT8;
  if (int64_t od = n.attrInt("output_dtype", 0))
    storageType = od;
  auto q = quantTypeOf(n, xt.getShape(), xt.getElementType(), storageType);
  if (failed(q))
    return failure();
  return n.setOutputs(quantizeTo(n.builder(), n.loc, n.input(0), *q),
                      {storageType});
}

static LogicalResult importDequantizeLinear(NodeContext &n) {
  if (isFourBitOnnxType(n.inputOnnxType(0)))
    return importDequantizeLinear4Bit(n);
  auto xt = n.inputType(0);
  if (!xt || !llvm::isa<IntegerType>(xt.getElementType()))
    return n.fail("expects an integer input");
  auto st = n.inputType(1);
  Type expressed = st ? st.getElementType() : Type();
  if (!expressed || !llvm::isa<FloatType>(expressed))
    return n.fail("the scale must be floating-point");
  auto q = quantTypeOf(n, xt.getShape(), expressed, n.inputOnnxType(0));
  if (failed(q))
    return failure();
  return n.setOutputs(dequantizeFrom(n.builder(), n.loc, n.input(0), *q));
}

//===----------------------------------------------------------------------===//
// Quantization parameters read at run time
//===----------------------------------------------------------------------===//

static bool isEightBit(int32_t onnxType) {
  return onnxType == onnx::TensorProto::INT8 ||
         onnxType == onnx::TensorProto::UINT8;
}

static Value intToF32(OpBuilder &b, Location loc, Value v, bool isUnsigned) {
  Type f32 = b.getF32Type();
  return isUnsigned ? (Value)arith::UIToFPOp::create(b, loc, f32, v)
                    : (Value)arith::SIToFPOp::create(b, loc, f32, v);
}

static Value f32Constant(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr((float)v));
}

/// (x - zp) * scale in f32, elementwise with numpy broadcasting: the
/// DequantizeLinear of an integer tensor whose scale and zero point are
/// run-time values. `zp` may be null (zero).
static Value dequantizeAtRunTime(OpBuilder &b, Location loc, Value x,
                                 bool isUnsigned, Value scale, Value zp) {
  SmallVector<Value> ins{x, scale};
  if (zp)
    ins.push_back(zp);
  return buildElementwise(
      b, loc, ins, b.getF32Type(),
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value v = intToF32(nb, nl, a[0], isUnsigned);
        if (zp)
          v = arith::SubFOp::create(nb, nl, v,
                                    intToF32(nb, nl, a[2], isUnsigned));
        return arith::MulFOp::create(nb, nl, v, a[1]);
      });
}

/// saturate(round_half_even(y / scale) + zp) as 8-bit integers of
/// `storageType` (int8 or uint8): the QuantizeLinear of f32 `y` by run-time
/// parameters. `zp` is an integer tensor of that type, or an f32 tensor
/// holding integers; null means zero.
static Value quantizeAtRunTime(OpBuilder &b, Location loc, Value y, Value scale,
                               Value zp, int32_t storageType) {
  bool isUnsigned = storageType == onnx::TensorProto::UINT8;
  double qmin = isUnsigned ? 0 : -128, qmax = isUnsigned ? 255 : 127;
  SmallVector<Value> ins{y, scale};
  if (zp)
    ins.push_back(zp);
  Type i8 = b.getI8Type();
  return buildElementwise(
      b, loc, ins, i8, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value q = math::RoundEvenOp::create(
            nb, nl, arith::DivFOp::create(nb, nl, a[0], a[1]));
        if (zp) {
          Value z = a[2];
          if (!llvm::isa<FloatType>(z.getType()))
            z = intToF32(nb, nl, z, isUnsigned);
          q = arith::AddFOp::create(nb, nl, q, z);
        }
        q = arith::MaximumFOp::create(nb, nl, q, f32Constant(nb, nl, qmin));
        q = arith::MinimumFOp::create(nb, nl, q, f32Constant(nb, nl, qmax));
        return isUnsigned ? (Value)arith::FPToUIOp::create(nb, nl, i8, q)
                          : (Value)arith::FPToSIOp::create(nb, nl, i8, q);
      });
}

/// Checks the data input `data` of a QLinear op or an integer op and its
/// zero point input `zp` (optional): 8-bit data of one type.
static LogicalResult checkEightBit(NodeContext &n, size_t data, size_t zp) {
  int32_t t = n.inputOnnxType(data);
  if (!isEightBit(t))
    return n.fail("input " + inputName(n, data) +
                  " must be int8 or uint8, not " + onnxTypeName(t));
  if (n.hasInput(zp) && n.inputOnnxType(zp) != t)
    return n.fail("the zero point " + inputName(n, zp) + " is " +
                  onnxTypeName(n.inputOnnxType(zp)) + " but input " +
                  inputName(n, data) + " is " + onnxTypeName(t));
  return success();
}

/// True when every present input among `idx` is a compile-time constant.
static bool allConstant(NodeContext &n, llvm::ArrayRef<size_t> idx) {
  return llvm::all_of(
      idx, [&](size_t i) { return !n.hasInput(i) || n.constantInput(i); });
}

/// Scales and zero points given at run time are supported per tensor only:
/// each of `idx` must hold one element.
static LogicalResult checkRunTimePerTensor(NodeContext &n,
                                           llvm::ArrayRef<size_t> idx) {
  for (size_t i : idx)
    if (n.hasInput(i) && n.inputType(i).getNumElements() != 1)
      return n.fail(inputName(n, i) + " has " +
                    std::to_string(n.inputType(i).getNumElements()) +
                    " elements: a per-axis scale or zero point must be a "
                    "compile-time constant");
  return success();
}

/// The scale or zero point input `i` of one element as a rank-0 tensor (so
/// that it broadcasts against any shape).
static Value scalarInput(NodeContext &n, size_t i) {
  return n.hasInput(i) ? reshapeTo(n.builder(), n.loc, n.input(i), {})
                       : Value();
}

//===----------------------------------------------------------------------===//
// QLinearMatMul, QLinearConv
//===----------------------------------------------------------------------===//

/// The float expressed type of a QLinear op: that of its scales.
static FailureOr<Type> expressedType(NodeContext &n,
                                     llvm::ArrayRef<size_t> scales) {
  Type t;
  for (size_t i : scales) {
    auto st = n.inputType(i);
    if (!st || !llvm::isa<FloatType>(st.getElementType()))
      return n.fail("the scale " + inputName(n, i) + " must be floating-point");
    if (t && st.getElementType() != t)
      return n.fail("the scales differ in type");
    t = st.getElementType();
  }
  return t;
}

/// The output of a QLinear op: QuantizeLinear of float `y` by y_scale
/// (input `scaleIdx`) and y_zero_point (input `scaleIdx + 1`), per tensor.
static LogicalResult quantizeOutput(NodeContext &n, Value y, size_t scaleIdx,
                                    Type expressed) {
  size_t zpIdx = scaleIdx + 1;
  int32_t yType = n.hasInput(zpIdx) ? n.inputOnnxType(zpIdx)
                                    : (int32_t)onnx::TensorProto::UINT8;
  if (!isEightBit(yType))
    return n.fail("the output zero point " + inputName(n, zpIdx) +
                  " must be int8 or uint8, not " + onnxTypeName(yType));
  if (n.inputType(scaleIdx).getNumElements() != 1)
    return n.fail("the output scale " + inputName(n, scaleIdx) +
                  " must have one element (per tensor)");
  OpBuilder &b = n.builder();
  if (!allConstant(n, {scaleIdx, zpIdx}))
    return n.setOutputs(quantizeAtRunTime(b, n.loc, y, scalarInput(n, scaleIdx),
                                          scalarInput(n, zpIdx), yType),
                        {yType});
  auto yt = llvm::cast<RankedTensorType>(y.getType());
  auto q = quantTypeOf(n, yt.getShape(), expressed, yType, scaleIdx, zpIdx);
  if (failed(q))
    return failure();
  return n.setOutputs(quantizeTo(b, n.loc, y, *q), {yType});
}

/// DequantizeLinear of data input `data` by the scale and zero point that
/// follow it, per tensor or per axis `axis`.
static FailureOr<Value> dequantizeInput(NodeContext &n, size_t data,
                                        Type expressed, int64_t axis) {
  auto q = quantTypeOf(n, n.inputType(data).getShape(), expressed,
                       n.inputOnnxType(data), data + 1, data + 2, axis);
  if (failed(q))
    return failure();
  return dequantizeFrom(n.builder(), n.loc, n.input(data), *q);
}

/// QLinearMatMul: a (0) with a_scale, a_zero_point (1, 2); b (3) with 4, 5;
/// y_scale, y_zero_point (6, 7). a may be quantized per row, b per column.
static LogicalResult importQLinearMatMul(NodeContext &n) {
  if (failed(checkEightBit(n, 0, 2)) || failed(checkEightBit(n, 3, 5)))
    return failure();
  auto expressed = expressedType(n, {1, 4, 6});
  if (failed(expressed))
    return failure();
  auto ta = n.inputType(0), tb = n.inputType(3);
  if (ta.getRank() == 0 || tb.getRank() == 0)
    return n.fail("inputs must have rank >= 1");
  OpBuilder &b = n.builder();
  Value a, bm;
  if (allConstant(n, {1, 2, 4, 5, 6, 7})) {
    auto qa = dequantizeInput(n, 0, *expressed,
                              std::max<int64_t>(ta.getRank() - 2, 0));
    if (failed(qa))
      return failure();
    auto qb = dequantizeInput(n, 3, *expressed, tb.getRank() - 1);
    if (failed(qb))
      return failure();
    a = *qa;
    bm = *qb;
  } else {
    if (failed(checkRunTimePerTensor(n, {1, 2, 4, 5, 6, 7})))
      return failure();
    if (!expressed->isF32())
      return n.fail("run-time scales must be float32");
    a = dequantizeAtRunTime(b, n.loc, n.input(0),
                            isUnsignedOnnxType(n.inputOnnxType(0)),
                            scalarInput(n, 1), scalarInput(n, 2));
    bm = dequantizeAtRunTime(b, n.loc, n.input(3),
                             isUnsignedOnnxType(n.inputOnnxType(3)),
                             scalarInput(n, 4), scalarInput(n, 5));
  }
  auto y = buildMatMul(n, a, bm);
  if (failed(y))
    return failure();
  return quantizeOutput(n, *y, 6, *expressed);
}

/// QLinearConv: x (0) with x_scale, x_zero_point (1, 2); w (3) with 4, 5
/// (per tensor or per output channel); y_scale, y_zero_point (6, 7); an
/// optional int32 bias B (8) with scale x_scale * w_scale and zero point 0.
static LogicalResult importQLinearConv(NodeContext &n) {
  if (failed(checkEightBit(n, 0, 2)) || failed(checkEightBit(n, 3, 5)))
    return failure();
  auto expressed = expressedType(n, {1, 4, 6});
  if (failed(expressed))
    return failure();
  auto wt = n.inputType(3);
  if (wt.getRank() < 1)
    return n.fail("W must have rank >= 1");
  int64_t outChannels = wt.getDimSize(0);
  if (n.inputType(1).getNumElements() != 1)
    return n.fail("the input scale " + inputName(n, 1) +
                  " must have one element (per tensor)");
  auto biasType = n.hasInput(8) ? n.inputType(8) : RankedTensorType();
  if (biasType &&
      (n.inputOnnxType(8) != onnx::TensorProto::INT32 ||
       biasType.getRank() != 1 || biasType.getDimSize(0) != outChannels))
    return n.fail("the bias " + inputName(n, 8) + " must be int32 of shape [" +
                  std::to_string(outChannels) + "]");
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Value x, w, bias;
  if (allConstant(n, {1, 2, 4, 5, 6, 7})) {
    auto qx = quantTypeOf(n, n.inputType(0).getShape(), *expressed,
                          n.inputOnnxType(0), 1, 2, /*axis=*/1);
    if (failed(qx))
      return failure();
    auto qw = quantTypeOf(n, wt.getShape(), *expressed, n.inputOnnxType(3), 4,
                          5, /*axis=*/0);
    if (failed(qw))
      return failure();
    x = dequantizeFrom(b, loc, n.input(0), *qx);
    w = dequantizeFrom(b, loc, n.input(3), *qw);
    if (biasType) {
      // int32 with zero point 0 and scale x_scale * w_scale (per channel
      // with w's), the product taken in float as onnxruntime takes it.
      const HostTensor *xs = n.constantInput(1), *ws = n.constantInput(4);
      SmallVector<double> scales;
      for (int64_t k = 0; k < ws->numElements(); ++k)
        scales.push_back(
            (double)((float)xs->asDouble(0) * (float)ws->asDouble(k)));
      if (llvm::any_of(scales, [](double s) { return !(s > 0); }))
        return n.fail("the bias scale x_scale * w_scale underflows to 0");
      Type i32 = b.getI32Type();
      unsigned flags = quant::QuantizationFlags::Signed;
      int64_t qmin =
          quant::QuantizedType::getDefaultMinimumForInteger(true, 32);
      int64_t qmax =
          quant::QuantizedType::getDefaultMaximumForInteger(true, 32);
      quant::QuantizedType bq;
      if (llvm::isa<quant::UniformQuantizedPerAxisType>(*qw))
        bq = quant::UniformQuantizedPerAxisType::get(
            flags, i32, *expressed, scales,
            SmallVector<int64_t>(scales.size(), 0), /*quantizedDimension=*/0,
            qmin, qmax);
      else
        bq = quant::UniformQuantizedType::get(flags, i32, *expressed, scales[0],
                                              0, qmin, qmax);
      bias = dequantizeFrom(b, loc, n.input(8), bq);
    }
  } else {
    if (failed(checkRunTimePerTensor(n, {1, 2, 4, 5, 6, 7})))
      return failure();
    if (!expressed->isF32())
      return n.fail("run-time scales must be float32");
    Value xs = scalarInput(n, 1), ws = scalarInput(n, 4);
    x = dequantizeAtRunTime(b, loc, n.input(0),
                            isUnsignedOnnxType(n.inputOnnxType(0)), xs,
                            scalarInput(n, 2));
    w = dequantizeAtRunTime(b, loc, n.input(3),
                            isUnsignedOnnxType(n.inputOnnxType(3)), ws,
                            scalarInput(n, 5));
    if (biasType)
      bias = buildElementwise(
          b, loc, {n.input(8), xs, ws}, b.getF32Type(),
          [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
            Value s = arith::MulFOp::create(nb, nl, a[1], a[2]);
            return arith::MulFOp::create(
                nb, nl, intToF32(nb, nl, a[0], /*isUnsigned=*/false), s);
          });
  }
  auto y = buildConv(n, x, w, bias);
  if (failed(y))
    return failure();
  return quantizeOutput(n, *y, 6, *expressed);
}

//===----------------------------------------------------------------------===//
// MatMulInteger, ConvInteger
//===----------------------------------------------------------------------===//

/// 8-bit input `i` as int8 for TOSA: uint8 values v become v - 128 (the
/// sign bit flipped; folded now for constants), as do their zero points, so
/// that every difference of a value and its zero point stays exact.
static Value signed8(NodeContext &n, size_t i) {
  if (n.inputOnnxType(i) != onnx::TensorProto::UINT8)
    return n.input(i);
  OpBuilder &b = n.builder();
  const HostTensor *c = n.constantInput(i);
  if (c && c->numElements() <= kMaxFoldedElements) {
    HostTensor t;
    t.onnxType = onnx::TensorProto::INT8;
    t.shape = c->shape;
    for (int64_t k = 0; k < c->numElements(); ++k)
      t.i.push_back(c->asInt(k) - 128);
    return n.g.materialize(t);
  }
  auto ty = n.inputType(i);
  Value signBit = splatConstant(b, n.loc, b.getI8Type(),
                                SmallVector<int64_t>(ty.getRank(), 1), -128);
  return tosa::BitwiseXorOp::create(b, n.loc, ty, n.input(i), signBit);
}

namespace {
/// The zero point of 8-bit data, shifted as `signed8` shifts the data.
struct ZeroPoint {
  /// Known at compile time with one element.
  std::optional<int64_t> scalar;
  /// Otherwise: the zero points as int8, in the zero point input's shape.
  Value value;
  bool isZero() const { return scalar && *scalar == 0; }
};
} // namespace

/// Zero point input `zp` of data input `data` (absent: 0).
static ZeroPoint readZeroPoint(NodeContext &n, size_t zp, size_t data) {
  int64_t shift = n.inputOnnxType(data) == onnx::TensorProto::UINT8 ? 128 : 0;
  if (!n.hasInput(zp))
    return {-shift, Value()};
  const HostTensor *c = n.constantInput(zp);
  if (c && c->numElements() == 1)
    return {c->asInt(0) - shift, Value()};
  return {std::nullopt, signed8(n, zp)};
}

/// A zero point as an int32 tensor of `rank` dims whose dim `dim` holds the
/// per-row or per-channel values (all 1s for one value).
static Value zeroPointI32(NodeContext &n, const ZeroPoint &z, int64_t rank,
                          int64_t dim) {
  OpBuilder &b = n.builder();
  SmallVector<int64_t> shape(rank, 1);
  if (z.scalar)
    return splatConstant(b, n.loc, b.getI32Type(), shape, *z.scalar);
  auto t = llvm::cast<RankedTensorType>(z.value.getType());
  shape[dim] = t.getNumElements();
  Value v = reshapeTo(b, n.loc, z.value, shape);
  return tosa::CastOp::create(b, n.loc, tensorOf(shape, b.getI32Type()), v);
}

/// tosa.cast of an int8 tensor to int32.
static Value toI32(OpBuilder &b, Location loc, Value v) {
  auto t = llvm::cast<RankedTensorType>(v.getType());
  return tosa::CastOp::create(b, loc, t.clone(b.getI32Type()), v);
}

/// Sum of an int32 tensor over dim `d`, kept as a dim of size 1.
static Value sumOver(OpBuilder &b, Location loc, Value v, int64_t d) {
  auto t = llvm::cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(t.getShape());
  shape[d] = 1;
  return tosa::ReduceSumOp::create(b, loc, t.clone(shape), v,
                                   b.getI32IntegerAttr(d));
}

static IntegerZeroPoints zeroPointOperands(OpBuilder &b, Location loc,
                                           int64_t input, int64_t weight) {
  return {splatConstant(b, loc, b.getI8Type(), {1}, input),
          splatConstant(b, loc, b.getI8Type(), {1}, weight)};
}

/// MatMulInteger: int32 A x B of 8-bit A and B less their zero points. With
/// one compile-time zero point each, one int8 tosa.matmul takes them; per
/// row (A) or per column (B) zero points, or ones given at run time, are
/// applied to the int8 product by the expansion
///   sum_k (a - za)(b - zb) = sum_k a b - zb sum_k a - za sum_k b + K za zb.
static LogicalResult importMatMulInteger(NodeContext &n) {
  if (failed(checkEightBit(n, 0, 2)) || failed(checkEightBit(n, 1, 3)))
    return failure();
  auto ta = n.inputType(0), tb = n.inputType(1);
  if (ta.getRank() == 0 || tb.getRank() == 0)
    return n.fail("inputs must have rank >= 1");
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  // Vectors as matrices, as MatMul does, so that the sums below have rows
  // and columns; the inserted dims are dropped at the end.
  bool vecA = ta.getRank() == 1, vecB = tb.getRank() == 1;
  Value a = signed8(n, 0), bm = signed8(n, 1);
  if (vecA)
    a = reshapeTo(b, loc, a, {1, ta.getDimSize(0)});
  if (vecB)
    bm = reshapeTo(b, loc, bm, {tb.getDimSize(0), 1});
  auto a2 = llvm::cast<RankedTensorType>(a.getType());
  auto b2 = llvm::cast<RankedTensorType>(bm.getType());
  int64_t m = a2.getDimSize(a2.getRank() - 2),
          k = a2.getDimSize(a2.getRank() - 1);
  int64_t cols = b2.getDimSize(b2.getRank() - 1);
  ZeroPoint za = readZeroPoint(n, 2, 0), zb = readZeroPoint(n, 3, 1);
  for (auto [z, idx, size, what] : {std::tuple(&za, 2, m, "rows of A"),
                                    std::tuple(&zb, 3, cols, "columns of B")}) {
    if (!z->value)
      continue;
    auto t = llvm::cast<RankedTensorType>(z->value.getType());
    if (t.getRank() > 1 ||
        (t.getNumElements() != 1 && t.getNumElements() != size))
      return n.fail("the zero point " + inputName(n, idx) +
                    " must be a scalar or "
                    "1-D with one value per " +
                    what + " (" + std::to_string(size) + ")");
  }
  Value y;
  if (za.scalar && zb.scalar) {
    IntegerZeroPoints zp = zeroPointOperands(b, loc, *za.scalar, *zb.scalar);
    auto r = buildMatMul(n, a, bm, &zp);
    if (failed(r))
      return failure();
    y = *r;
  } else {
    IntegerZeroPoints zero = zeroPointOperands(b, loc, 0, 0);
    auto r = buildMatMul(n, a, bm, &zero);
    if (failed(r))
      return failure();
    y = *r;
    Value zaT = zeroPointI32(n, za, 2, 0), zbT = zeroPointI32(n, zb, 2, 1);
    if (!zb.isZero()) {
      Value rowSums = sumOver(b, loc, toI32(b, loc, a), a2.getRank() - 1);
      y = subBroadcast(b, loc, y, mulBroadcast(b, loc, zbT, rowSums));
    }
    if (!za.isZero()) {
      Value colSums = sumOver(b, loc, toI32(b, loc, bm), b2.getRank() - 2);
      y = subBroadcast(b, loc, y, mulBroadcast(b, loc, zaT, colSums));
    }
    if (!za.isZero() && !zb.isZero()) {
      Value kzz = mulBroadcast(
          b, loc, mulBroadcast(b, loc, zaT, zbT),
          splatConstant(b, loc, b.getI32Type(), {1, 1}, (double)k));
      y = addBroadcast(b, loc, y, kzz);
    }
  }
  auto yt = llvm::cast<RankedTensorType>(y.getType());
  SmallVector<int64_t> shape(yt.getShape());
  if (vecB)
    shape.erase(shape.end() - 1);
  if (vecA)
    shape.erase(shape.end() - (vecB ? 1 : 2));
  return n.setOutputs(reshapeTo(b, loc, y, shape));
}

/// ConvInteger: int32 convolution of 8-bit x and w less their zero points
/// (padding contributes nothing). With compile-time zero points (w's per
/// tensor), one int8 tosa.conv2d takes them; otherwise the int8 convolution
/// is corrected over the taps that lie in the input:
///   sum (x - zx)(w - zw) = sum x w - zw sum x - zx sum w + zx zw count,
/// the last three being convolutions with all-ones w and/or x.
static LogicalResult importConvInteger(NodeContext &n) {
  if (failed(checkEightBit(n, 0, 2)) || failed(checkEightBit(n, 1, 3)))
    return failure();
  auto xt = n.inputType(0), wt = n.inputType(1);
  if (wt.getRank() < 1)
    return n.fail("W must have rank >= 1");
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Value x = signed8(n, 0), w = signed8(n, 1);
  ZeroPoint zx = readZeroPoint(n, 2, 0), zw = readZeroPoint(n, 3, 1);
  int64_t outChannels = wt.getDimSize(0);
  if (zx.value && n.inputType(2).getNumElements() != 1)
    return n.fail("the zero point " + inputName(n, 2) +
                  " must have one element (per tensor)");
  if (zw.value) {
    auto t = n.inputType(3);
    if (t.getRank() > 1 ||
        (t.getNumElements() != 1 && t.getNumElements() != outChannels))
      return n.fail("the zero point " + inputName(n, 3) +
                    " must be a scalar or 1-D with one value per output "
                    "channel (" +
                    std::to_string(outChannels) + ")");
  }
  if (zx.scalar && zw.scalar) {
    IntegerZeroPoints zp = zeroPointOperands(b, loc, *zx.scalar, *zw.scalar);
    auto y = buildConv(n, x, w, Value(), &zp);
    if (failed(y))
      return failure();
    return n.setOutputs(*y);
  }
  IntegerZeroPoints zero = zeroPointOperands(b, loc, 0, 0);
  auto conv = [&](Value in, Value filter) {
    return buildConv(n, in, filter, Value(), &zero);
  };
  SmallVector<int64_t> onesShape(xt.getShape());
  onesShape[0] = 1; // the correction is the same for every batch element
  Value onesX = splatConstant(b, loc, b.getI8Type(), onesShape, 1);
  Value onesW = splatConstant(b, loc, b.getI8Type(), wt.getShape(), 1);
  auto y = conv(x, w);
  if (failed(y))
    return failure();
  Value r = *y;
  int64_t rank = xt.getRank();
  Value zxT = zeroPointI32(n, zx, rank, 1), zwT = zeroPointI32(n, zw, rank, 1);
  if (!zw.isZero()) {
    auto sx = conv(x, onesW);
    if (failed(sx))
      return failure();
    r = subBroadcast(b, loc, r, mulBroadcast(b, loc, zwT, *sx));
  }
  if (!zx.isZero()) {
    auto sw = conv(onesX, w);
    if (failed(sw))
      return failure();
    r = subBroadcast(b, loc, r, mulBroadcast(b, loc, zxT, *sw));
  }
  if (!zx.isZero() && !zw.isZero()) {
    auto count = conv(onesX, onesW);
    if (failed(count))
      return failure();
    r = addBroadcast(
        b, loc, r,
        mulBroadcast(b, loc, mulBroadcast(b, loc, zxT, zwT), *count));
  }
  return n.setOutputs(r);
}

//===----------------------------------------------------------------------===//
// DynamicQuantizeLinear
//===----------------------------------------------------------------------===//

/// DynamicQuantizeLinear (uint8), as the ONNX reference computes it:
///   y_scale = (max(0, max x) - min(0, min x)) / 255  (1 / 255 when that
///             range is 0, where the spec would divide by zero),
///   y_zero_point = round(saturate(0 - min(0, min x) / y_scale)),
///   y = saturate(round(x / y_scale) + y_zero_point),
/// rounding half to even, saturating to [0, 255].
static LogicalResult importDynamicQuantizeLinear(NodeContext &n) {
  auto xt = n.inputType(0);
  if (!xt || !xt.getElementType().isF32())
    return n.fail("expects a float32 input");
  int64_t count = xt.getNumElements();
  if (count == 0)
    return n.fail("the input is empty: its range is undefined");
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Type f32 = b.getF32Type();
  Value flat = reshapeTo(b, loc, n.input(0), {count});
  auto one = tensorOf({1}, f32);
  Value lo =
      tosa::ReduceMinOp::create(b, loc, one, flat, b.getI32IntegerAttr(0));
  Value hi =
      tosa::ReduceMaxOp::create(b, loc, one, flat, b.getI32IntegerAttr(0));
  Value scale = buildElementwise(
      b, loc, {lo, hi}, f32,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value zero = f32Constant(nb, nl, 0.0);
        Value mn = arith::MinimumFOp::create(nb, nl, a[0], zero);
        Value mx = arith::MaximumFOp::create(nb, nl, a[1], zero);
        Value range = arith::SubFOp::create(nb, nl, mx, mn);
        Value flatRange =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, mx, mn);
        range = arith::SelectOp::create(nb, nl, flatRange,
                                        f32Constant(nb, nl, 1.0), range);
        return arith::DivFOp::create(nb, nl, range, f32Constant(nb, nl, 255.0));
      });
  // The zero point as an f32 integer in [0, 255].
  Value zpF = buildElementwise(
      b, loc, {lo, scale}, f32,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value zero = f32Constant(nb, nl, 0.0);
        Value mn = arith::MinimumFOp::create(nb, nl, a[0], zero);
        Value z = arith::SubFOp::create(
            nb, nl, zero, arith::DivFOp::create(nb, nl, mn, a[1]));
        z = arith::MaximumFOp::create(nb, nl, z, zero);
        z = arith::MinimumFOp::create(nb, nl, z, f32Constant(nb, nl, 255.0));
        return math::RoundEvenOp::create(nb, nl, z);
      });
  scale = reshapeTo(b, loc, scale, {});
  zpF = reshapeTo(b, loc, zpF, {});
  Value y = quantizeAtRunTime(b, loc, n.input(0), scale, zpF,
                              onnx::TensorProto::UINT8);
  Value zp = buildElementwise(
      b, loc, {zpF}, b.getI8Type(),
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        return arith::FPToUIOp::create(nb, nl, nb.getI8Type(), a[0]);
      });
  return n.setOutputs({y, scale, zp},
                      {onnx::TensorProto::UINT8, onnx::TensorProto::FLOAT,
                       onnx::TensorProto::UINT8});
}

void onnx_import::registerQuantOps(OpRegistry &r) {
  r.onOp("QuantizeLinear", 10, importQuantizeLinear);
  r.onOp("DequantizeLinear", 10, importDequantizeLinear);
  r.onOp("QLinearMatMul", 10, importQLinearMatMul);
  r.onOp("QLinearConv", 10, importQLinearConv);
  r.onOp("MatMulInteger", 10, importMatMulInteger);
  r.onOp("ConvInteger", 10, importConvInteger);
  r.onOp("DynamicQuantizeLinear", 11, importDynamicQuantizeLinear);
}
