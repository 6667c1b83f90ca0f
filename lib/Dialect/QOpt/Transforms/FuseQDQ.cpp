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
// constant per output channel, subtracted in the epilogue that also scales.
// A constant bias b[n] folds in with it: y = sx * sw[n] * (acc + off[n]),
// off[n] = b[n] / (sx * sw[n]) - zx * colsum[n], one f32 a channel for
// both. Scales on qopt-insert-qdq's E4M4 grid are stored as one byte,
// bfloat16 scales as two. At d = 64 these per-channel bytes are what
// separates int8 weights from a quarter of FP32 (12 -> 5 bytes with a bias,
// 3 without, against 64 weight bytes a channel). The product itself is TOSA
// on int8, which reaches the runtime's integer GEMM kernel.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "QuantCandidates.h"
#include "RewriteUtils.h"
#include "qopt/Analysis/Calibration.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <cstring>

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


/// What the epilogue applies per output channel n (the last dim of acc):
///   y = (f32(acc - corr[n]) + offset[n]) * scale[n] (+ bias[n] or bias[0])
/// Each term is stored as compactly as it is exact:
///   scale  f32 sx * sw[n]; or bf16 sw[n], times sx; or an E4M4 code
///          (::qopt::scaleCodeFactor), times base, times sx;
///   corr   i32 zx * colsum[n]; or i16 colsum[n], times zx;
/// offset and bias are f32; every term but scale may be null.
struct EpilogueTerms {
  enum class Scale { F32, BF16, Code } scaleKind = Scale::F32;
  Value scale;
  float base = 1, sx = 1;
  Value corr;
  std::optional<int32_t> zx; // with an i16 corr: its factor
  Value offset, bias;
};

/// sw[n] (or sx * sw[n]) from its stored form, in f32.
Value decodeScale(OpBuilder &b, Location l, const EpilogueTerms &t, Value s) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto cst = [&](float v) {
    return arith::ConstantOp::create(b, l, b.getF32FloatAttr(v)).getResult();
  };
  auto icst = [&](int32_t v) {
    return arith::ConstantOp::create(b, l, b.getI32IntegerAttr(v)).getResult();
  };
  switch (t.scaleKind) {
  case EpilogueTerms::Scale::F32:
    return s;
  case EpilogueTerms::Scale::BF16:
    s = arith::ExtFOp::create(b, l, f32, s);
    break;
  case EpilogueTerms::Scale::Code: {
    // g = the f32 with exponent -(code >> 4), mantissa (code & 15) << 19.
    Value c = arith::ExtUIOp::create(b, l, i32, s);
    Value e = arith::ShRUIOp::create(b, l, c, icst(4));
    Value m = arith::AndIOp::create(b, l, c, icst(15));
    Value exp = arith::ShLIOp::create(
        b, l, arith::SubIOp::create(b, l, icst(127), e), icst(23));
    Value bits = arith::OrIOp::create(b, l, exp,
                                      arith::ShLIOp::create(b, l, m, icst(19)));
    s = arith::MulFOp::create(b, l, arith::BitcastOp::create(b, l, f32, bits),
                              cst(t.base));
    break;
  }
  }
  return arith::MulFOp::create(b, l, s, cst(t.sx));
}

Value epilogue(OpBuilder &b, Location loc, Value acc, const EpilogueTerms &t) {
  auto type = cast<RankedTensorType>(acc.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
  SmallVector<Value> ins = {acc, t.scale};
  SmallVector<AffineMap> maps = {id, channel};
  for (Value v : {t.corr, t.offset})
    if (v) {
      ins.push_back(v);
      maps.push_back(channel);
    }
  if (t.bias) {
    ins.push_back(t.bias);
    maps.push_back(mlir::qopt::biasMap(t.bias, type));
  }
  maps.push_back(id);
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), b.getF32Type());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ins, init, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Type f32 = nb.getF32Type(), i32 = nb.getI32Type();
               Value a = args[0];
               unsigned next = 2;
               if (t.corr) {
                 Value corr = args[next++];
                 if (t.zx) {
                   Value zx = arith::ConstantOp::create(
                       nb, l, nb.getI32IntegerAttr(*t.zx));
                   corr = arith::MulIOp::create(
                       nb, l, arith::ExtSIOp::create(nb, l, i32, corr), zx);
                 }
                 a = arith::SubIOp::create(nb, l, a, corr);
               }
               Value y = arith::SIToFPOp::create(nb, l, f32, a);
               if (t.offset)
                 y = arith::AddFOp::create(nb, l, y, args[next++]);
               y = arith::MulFOp::create(nb, l, y,
                                         decodeScale(nb, l, t, args[1]));
               if (t.bias)
                 y = arith::AddFOp::create(nb, l, y, args[next]);
               linalg::YieldOp::create(nb, l, y);
             })
      .getResult(0);
}

/// Whether every scale is exactly a bfloat16 (qopt-insert-qdq's fallback
/// grid makes them so): the kernel then stores them in 2 bytes, losslessly.
bool allBF16(ArrayRef<double> scales) {
  return llvm::all_of(scales, [](double s) {
    auto f = static_cast<float>(s);
    return static_cast<double>(f) == s && ::qopt::roundUpToBF16(f) == f;
  });
}

/// The f32 values of a constant bias of `channels` entries along its last
/// dim, or of one entry broadcast to all of them.
std::optional<std::vector<float>> constantBias(Value bias, int64_t channels) {
  auto type = dyn_cast<RankedTensorType>(bias.getType());
  if (!type)
    return std::nullopt;
  return mlir::qopt::channelConstant(bias, type.getRank() - 1, channels);
}

/// A tosa.add of a constant per-channel bias to `product`, which reaches
/// it as its only use, possibly through reshapes that keep the channel
/// dim last (the importer's [1, M, N] -> [M, N]); with the bias values.
struct BiasAdd {
  tosa::AddOp add;
  Value addend; // the operand that carries the product
  std::vector<float> bias;
};

std::optional<BiasAdd> biasAddOf(Value product, int64_t channels) {
  Value v = product;
  while (v.hasOneUse()) {
    Operation *user = *v.getUsers().begin();
    if (auto reshape = dyn_cast<tosa::ReshapeOp>(user)) {
      if (reshape.getType().getShape().back() != channels)
        return std::nullopt;
      v = reshape.getResult();
      continue;
    }
    auto add = dyn_cast<tosa::AddOp>(user);
    if (!add || add.getType() != v.getType())
      return std::nullopt;
    Value other = add.getInput1() == v ? add.getInput2() : add.getInput1();
    auto values = constantBias(other, channels);
    if (!values)
      return std::nullopt;
    return BiasAdd{add, v, std::move(*values)};
  }
  return std::nullopt;
}

struct FuseQDQPass : mlir::qopt::impl::FuseQDQBase<FuseQDQPass> {
  unsigned counter = 0;

  /// The int8 weight and the epilogue's per-channel constants:
  ///   scale  sx * sw[n] (f32), or sw[n] (bf16 or an E4M4 code) and sx;
  ///   corr   zx * colsum[n] when zx != 0 and no bias folds in: colsum
  ///          as int16 (times zx in the epilogue) when it fits, else the
  ///          product as int32;
  ///   offset bias[n] / scale[n] - zx * colsum[n] (f32) when a constant
  ///          bias folds in: one f32 a channel replaces the bias and the
  ///          correction, and the epilogue adds it before scaling.
  struct Constants {
    Value weight;
    EpilogueTerms terms;
  };
  Constants makeConstants(OpBuilder &b, Location loc, const IntWeight &w,
                          ArrayRef<int64_t> shape, unsigned channelDim,
                          const IntActivation &x,
                          const std::optional<std::vector<float>> &bias) {
    int64_t channels = shape[channelDim];
    int64_t inner = 1;
    for (size_t d = channelDim + 1; d < shape.size(); ++d)
      inner *= shape[d];
    std::vector<int32_t> colsum(channels, 0);
    for (size_t i = 0; i < w.values.size(); ++i)
      colsum[(i / inner) % channels] += w.values[i];
    float base = 1;
    std::optional<std::vector<uint8_t>> codes = ::qopt::scaleCodes(w.scales, base);
    bool bf16 = !codes && allBF16(w.scales);
    auto sx = static_cast<float>(x.scale);
    // The scale exactly as the epilogue computes it.
    std::vector<float> scale(channels);
    for (int64_t n = 0; n < channels; ++n)
      scale[n] = codes ? ::qopt::scaleCodeFactor((*codes)[n]) * base * sx
                 : bf16 ? static_cast<float>(w.scales[n]) * sx
                        : static_cast<float>(x.scale * w.scales[n]);

    std::string id = std::to_string(counter++);
    Constants c;
    c.weight = mlir::qopt::resourceConstant(
        b, loc, RankedTensorType::get(shape, b.getI8Type()), w.values,
        "qopt_qdq_weight_" + id);
    auto vec = [&](Type t) { return RankedTensorType::get({channels}, t); };
    std::string scaleKey = "qopt_qdq_scale_" + id;
    EpilogueTerms &t = c.terms;
    t.sx = sx;
    if (codes) {
      t.scaleKind = EpilogueTerms::Scale::Code;
      t.base = base;
      t.scale = mlir::qopt::resourceConstant(b, loc, vec(b.getI8Type()),
                                             *codes, scaleKey);
    } else if (bf16) {
      std::vector<uint16_t> bits(channels);
      for (int64_t n = 0; n < channels; ++n) {
        auto f = static_cast<float>(w.scales[n]);
        uint32_t u;
        std::memcpy(&u, &f, 4);
        bits[n] = static_cast<uint16_t>(u >> 16);
      }
      t.scaleKind = EpilogueTerms::Scale::BF16;
      t.scale = mlir::qopt::resourceConstant(b, loc, vec(b.getBF16Type()),
                                             bits, scaleKey);
    } else {
      t.scale = mlir::qopt::resourceConstant(b, loc, vec(b.getF32Type()),
                                             scale, scaleKey);
      t.sx = 1;
    }
    std::string corrKey = "qopt_qdq_zero_point_" + id;
    if (bias) {
      std::vector<float> offset(channels);
      for (int64_t n = 0; n < channels; ++n)
        offset[n] = static_cast<float>(double((*bias)[n]) / scale[n] -
                                       double(x.zeroPoint) * colsum[n]);
      t.offset = mlir::qopt::resourceConstant(
          b, loc, vec(b.getF32Type()), offset, "qopt_qdq_offset_" + id);
    } else if (x.zeroPoint != 0 &&
               llvm::all_of(colsum, [](int32_t v) { return v == int16_t(v); })) {
      std::vector<int16_t> narrow(colsum.begin(), colsum.end());
      t.corr = mlir::qopt::resourceConstant(b, loc, vec(b.getI16Type()),
                                            narrow, corrKey);
      t.zx = static_cast<int32_t>(x.zeroPoint);
    } else if (x.zeroPoint != 0) {
      std::vector<int32_t> corr(channels);
      for (int64_t n = 0; n < channels; ++n)
        corr[n] = static_cast<int32_t>(x.zeroPoint * colsum[n]);
      t.corr = mlir::qopt::resourceConstant(b, loc, vec(b.getI32Type()),
                                            corr, corrKey);
    }
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
    auto biasAdd = biasAddOf(op.getResult(), wType.getDimSize(channelDim));
    std::optional<std::vector<float>> bias;
    if (biasAdd)
      bias = biasAdd->bias;
    Constants c =
        makeConstants(b, loc, *w, wType.getShape(), channelDim, *x, bias);
    Value acc = tosa::MatMulOp::create(b, loc, outType.clone(b.getI32Type()),
                                       x->value, c.weight, mlir::qopt::int8ZeroPoint(b, loc),
                                       mlir::qopt::int8ZeroPoint(b, loc));
    Value y = epilogue(b, loc, acc, c.terms);
    if (biasAdd) { // the epilogue added the bias
      Value addend = biasAdd->addend == op.getResult() ? y : biasAdd->addend;
      biasAdd->add.getResult().replaceAllUsesWith(addend);
      biasAdd->add.erase();
    }
    op.getResult().replaceAllUsesWith(y);
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
    int64_t channels = wType.getDimSize(channelDim);
    std::optional<std::vector<float>> bias = constantBias(op.getBias(), channels);
    Constants c =
        makeConstants(b, loc, *w, wType.getShape(), channelDim, *x, bias);
    if (!bias)
      c.terms.bias = op.getBias();
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
    op.getResult().replaceAllUsesWith(epilogue(b, loc, acc, c.terms));
    op.erase();
  }

  void runOnOperation() override {
    mlir::qopt::forEachProduct(
        getOperation(), [&](tosa::MatMulOp op) { fuseMatMul(op); },
        [&](tosa::Conv2DOp op) { fuseConv(op); });
  }
};

} // namespace
