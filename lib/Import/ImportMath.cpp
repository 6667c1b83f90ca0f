//===- ImportMath.cpp - ONNX elementwise math, logic and cast ops ---------===//
//
// Every op here is a linalg.generic over the numpy broadcast of its inputs
// (buildElementwise) with an arith/math body: that covers every element type
// ONNX allows (f64, i64, unsigned, bool), which TOSA does not. Floating-point
// math on f16/bf16 is computed in f32 and rounded back, as numpy does.
//
// When every input is a small compile-time constant the op is folded on the
// host (setConstantOutput), so that shape computations stay constant.
//
//===----------------------------------------------------------------------===//
#include "ImporterCore.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;
using onnx::TensorProto;

//===----------------------------------------------------------------------===//
// Host folding
//===----------------------------------------------------------------------===//

namespace {
/// One element of a host tensor, seen both ways: `f` is its value as a
/// double, `i` as an integer (unsigned 64-bit values keep their bit pattern).
struct HostVal {
  double f = 0;
  int64_t i = 0;
};
using HostFn = std::function<HostVal(llvm::ArrayRef<HostVal>)>;
} // namespace

/// Folds at most this many output elements on the host.
static constexpr int64_t kFoldLimit = 1 << 16;

static double roundToType(double v, int32_t t) {
  switch (t) {
  case TensorProto::FLOAT:
    return (float)v;
  case TensorProto::FLOAT16:
  case TensorProto::BFLOAT16: {
    llvm::APFloat a(v);
    bool lost;
    a.convert(t == TensorProto::FLOAT16 ? llvm::APFloat::IEEEhalf()
                                        : llvm::APFloat::BFloat(),
              llvm::APFloat::rmNearestTiesToEven, &lost);
    return a.convertToDouble();
  }
  default:
    return v;
  }
}

/// Wraps an integer to the width and signedness of `t` (two's complement).
static int64_t wrapInt(int64_t v, int32_t t) {
  switch (t) {
  case TensorProto::BOOL: return v != 0;
  case TensorProto::INT8: return (int8_t)v;
  case TensorProto::UINT8: return (uint8_t)v;
  case TensorProto::INT16: return (int16_t)v;
  case TensorProto::UINT16: return (uint16_t)v;
  case TensorProto::INT32: return (int32_t)v;
  case TensorProto::UINT32: return (uint32_t)v;
  default: return v;
  }
}

static bool isFloatOnnx(int32_t t) {
  HostTensor h;
  h.onnxType = t;
  return h.isFloat();
}

static HostVal hostAt(const HostTensor &t, int64_t k) {
  HostVal v;
  if (t.isFloat()) {
    v.f = t.f[k];
    v.i = std::isfinite(v.f) ? (int64_t)std::trunc(v.f) : 0;
  } else {
    v.i = t.i[k];
    v.f = t.onnxType == TensorProto::UINT64 ? (double)(uint64_t)v.i
                                            : (double)v.i;
  }
  return v;
}

/// Input `i` when it is a compile-time constant small enough to fold (the
/// size is checked first so that large weights are never decoded).
static const HostTensor *smallConstant(NodeContext &n, size_t i) {
  auto ty = n.inputType(i);
  if (!ty || ty.getNumElements() > kFoldLimit)
    return nullptr;
  return n.constantInput(i);
}

/// Evaluates `fn` over the numpy broadcast of `ins` into a tensor of ONNX
/// type `outType`; nullopt when the shapes do not broadcast or the result is
/// too large to fold.
static std::optional<HostTensor>
foldHost(llvm::ArrayRef<const HostTensor *> ins, int32_t outType,
         const HostFn &fn) {
  std::vector<int64_t> shape;
  for (const HostTensor *t : ins) {
    auto s = broadcastShapes(shape, t->shape);
    if (!s)
      return std::nullopt;
    shape = *s;
  }
  HostTensor out;
  out.onnxType = outType;
  out.shape = shape;
  int64_t count = out.numElements();
  if (count > kFoldLimit)
    return std::nullopt;
  int64_t rank = shape.size();
  // Per input, the stride of each output dim (0 where it is broadcast).
  std::vector<std::vector<int64_t>> strides;
  for (const HostTensor *t : ins) {
    std::vector<int64_t> s(rank, 0);
    int64_t off = rank - t->shape.size(), acc = 1;
    for (int64_t d = t->shape.size() - 1; d >= 0; --d) {
      s[d + off] = t->shape[d] == 1 ? 0 : acc;
      acc *= t->shape[d];
    }
    strides.push_back(std::move(s));
  }
  bool isFloat = out.isFloat();
  (isFloat ? out.f.resize(count) : out.i.resize(count));
  std::vector<int64_t> idx(rank, 0);
  SmallVector<HostVal> args(ins.size());
  for (int64_t k = 0; k < count; ++k) {
    for (size_t j = 0; j < ins.size(); ++j) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src += idx[d] * strides[j][d];
      args[j] = hostAt(*ins[j], src);
    }
    HostVal r = fn(args);
    if (isFloat)
      out.f[k] = roundToType(r.f, outType);
    else
      out.i[k] = wrapInt(r.i, outType);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  return out;
}

/// Folds the node when its first `count` inputs (all when -1) are small
/// constants. Returns true when it did (the output is bound).
static bool tryFold(NodeContext &n, int32_t outType, const HostFn &fn,
                    int count = -1) {
  SmallVector<const HostTensor *> ins;
  size_t end =
      count < 0 ? n.numInputs() : std::min<size_t>(count, n.numInputs());
  for (size_t i = 0; i < end; ++i) {
    if (!n.hasInput(i))
      return false;
    const HostTensor *c = smallConstant(n, i);
    if (!c)
      return false;
    ins.push_back(c);
  }
  if (ins.empty())
    return false;
  auto r = foldHost(ins, outType, fn);
  if (!r)
    return false;
  return succeeded(n.setConstantOutput(0, std::move(*r)));
}

//===----------------------------------------------------------------------===//
// Scalar IR helpers (used inside linalg.generic bodies)
//===----------------------------------------------------------------------===//

static Value constLike(OpBuilder &b, Location loc, Type t, double v) {
  if (auto ft = llvm::dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, v));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, (int64_t)v));
}

/// The type floating-point math on `t` is computed in (f32 for 16-bit floats).
static Type computeType(Type t) {
  if (llvm::isa<FloatType>(t) && t.getIntOrFloatBitWidth() < 32)
    return Float32Type::get(t.getContext());
  return t;
}

/// Rounds an f32/f64 scalar to bf16, to nearest even, in integer arithmetic
/// (arith.truncf to bf16 becomes a libcall, __truncsfbf2, that the model
/// library cannot count on).
static Value truncToBF16(OpBuilder &b, Location loc, Value v) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type(), i16 = b.getI16Type();
  if (!v.getType().isF32())
    v = v.getType().getIntOrFloatBitWidth() > 32
            ? arith::TruncFOp::create(b, loc, f32, v).getResult()
            : arith::ExtFOp::create(b, loc, f32, v).getResult();
  auto c32 = [&](int64_t x) {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(i32, x));
  };
  Value bits = arith::BitcastOp::create(b, loc, i32, v);
  Value lsb = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, bits, c32(16)), c32(1));
  Value rounded = arith::AddIOp::create(
      b, loc, bits, arith::AddIOp::create(b, loc, lsb, c32(0x7fff)));
  Value hi = arith::TruncIOp::create(
      b, loc, i16, arith::ShRUIOp::create(b, loc, rounded, c32(16)));
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
  Value qnan = arith::ConstantOp::create(b, loc, b.getIntegerAttr(i16, 0x7fc0));
  hi = arith::SelectOp::create(b, loc, isNaN, qnan, hi);
  return arith::BitcastOp::create(b, loc, b.getBF16Type(), hi);
}

/// Converts one scalar between element types with ONNX Cast semantics:
/// float -> int truncates toward zero, -> bool is `!= 0`, integers extend by
/// the signedness of their ONNX type.
static Value convertScalar(OpBuilder &b, Location loc, Value v,
                           bool fromUnsigned, Type to, bool toUnsigned) {
  Type from = v.getType();
  if (from == to)
    return v;
  bool fromFloat = llvm::isa<FloatType>(from);
  bool toFloat = llvm::isa<FloatType>(to);
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (to.isInteger(1)) {
    if (fromFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   constLike(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 constLike(b, loc, from, 0));
  }
  if (to.isBF16()) {
    if (!fromFloat)
      v = convertScalar(b, loc, v, fromUnsigned, b.getF32Type(), false);
    return truncToBF16(b, loc, v);
  }
  if (fromFloat && toFloat) {
    if (fw == tw) // bf16 -> f16
      v = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    if (v.getType().getIntOrFloatBitWidth() < tw)
      return arith::ExtFOp::create(b, loc, to, v);
    return arith::TruncFOp::create(b, loc, to, v);
  }
  if (fromFloat) {
    if (toUnsigned)
      return arith::FPToUIOp::create(b, loc, to, v);
    return arith::FPToSIOp::create(b, loc, to, v);
  }
  bool zext = fromUnsigned || from.isInteger(1);
  if (toFloat) {
    if (zext)
      return arith::UIToFPOp::create(b, loc, to, v);
    return arith::SIToFPOp::create(b, loc, to, v);
  }
  if (fw < tw) {
    if (zext)
      return arith::ExtUIOp::create(b, loc, to, v);
    return arith::ExtSIOp::create(b, loc, to, v);
  }
  return arith::TruncIOp::create(b, loc, to, v);
}

static Value promote(OpBuilder &b, Location loc, Value v) {
  Type ct = computeType(v.getType());
  return ct == v.getType() ? v : arith::ExtFOp::create(b, loc, ct, v);
}

/// bf16 arithmetic would lower to libcalls (__truncsfbf2): widen to f32.
static Value widenBF16(OpBuilder &b, Location loc, Value v) {
  if (!v.getType().isBF16())
    return v;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
}

static Value demote(OpBuilder &b, Location loc, Value v, Type elt) {
  if (v.getType() == elt)
    return v;
  if (elt.isBF16())
    return truncToBF16(b, loc, v);
  return arith::TruncFOp::create(b, loc, elt, v);
}

static Value selectV(OpBuilder &b, Location loc, Value c, Value x, Value y) {
  return arith::SelectOp::create(b, loc, c, x, y);
}

static Value cmpF(OpBuilder &b, Location loc, arith::CmpFPredicate p, Value x,
                  Value y) {
  return arith::CmpFOp::create(b, loc, p, x, y);
}

static Value maxF(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MaximumFOp::create(b, loc, x, y);
}
static Value minF(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MinimumFOp::create(b, loc, x, y);
}
static Value mulF(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y);
}
static Value addF(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::AddFOp::create(b, loc, x, y);
}
static Value subF(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::SubFOp::create(b, loc, x, y);
}
static Value divF(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::DivFOp::create(b, loc, x, y);
}

/// Integer max/min/compare by signedness.
static Value maxI(OpBuilder &b, Location loc, Value x, Value y,
                  bool isUnsigned) {
  if (isUnsigned)
    return arith::MaxUIOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}
static Value minI(OpBuilder &b, Location loc, Value x, Value y,
                  bool isUnsigned) {
  if (isUnsigned)
    return arith::MinUIOp::create(b, loc, x, y);
  return arith::MinSIOp::create(b, loc, x, y);
}

using ScalarBody = llvm::function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Binds output 0 to the elementwise op over `ins`.
static LogicalResult emitElementwise(NodeContext &n, ValueRange ins,
                                     Type outElt, ScalarBody body,
                                     int32_t outOnnxType) {
  Value r = buildElementwise(n.builder(), n.loc, ins, outElt, body);
  if (!r)
    return n.fail("input shapes do not broadcast");
  return n.setOutputs(r, {outOnnxType});
}

/// The node's present inputs, all of one element type.
static FailureOr<SmallVector<Value>> sameTypeInputs(NodeContext &n,
                                                    size_t minCount) {
  // Before opset 7, binary ops broadcast the second input from `axis`.
  if (n.opset < 7 && n.attrInt("broadcast", 0) && n.attr("axis"))
    return n.fail("legacy broadcasting with an 'axis' attribute (opset < 7) "
                  "is not supported");
  SmallVector<Value> ins;
  for (size_t i = 0; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      ins.push_back(n.input(i));
  if (ins.size() < minCount)
    return n.fail("expects at least " + std::to_string(minCount) + " input" +
                  (minCount > 1 ? "s" : ""));
  Type elt = getElementTypeOrSelf(ins[0].getType());
  for (Value v : ins)
    if (getElementTypeOrSelf(v.getType()) != elt)
      return n.fail("input element types differ");
  return ins;
}

//===----------------------------------------------------------------------===//
// Unary floating-point math and activations
//===----------------------------------------------------------------------===//

/// `x` is already in the compute type (f32 or f64).
using FloatBody = std::function<Value(OpBuilder &, Location, Value)>;

static LogicalResult importFloatUnary(NodeContext &n, const FloatBody &body,
                                      std::function<double(double)> host = {}) {
  auto ty = n.inputType(0);
  if (!ty || !llvm::isa<FloatType>(ty.getElementType()))
    return n.fail(std::string("expects a floating-point input, got ") +
                  onnxTypeName(n.inputOnnxType(0)));
  int32_t onnxType = n.inputOnnxType(0);
  if (host && tryFold(n, onnxType, [&](llvm::ArrayRef<HostVal> a) {
        return HostVal{host(a[0].f), 0};
      }))
    return success();
  Type elt = ty.getElementType();
  return emitElementwise(
      n, n.input(0), elt,
      [&](OpBuilder &b, Location loc, ValueRange a) {
        return demote(b, loc, body(b, loc, promote(b, loc, a[0])), elt);
      },
      onnxType);
}

template <typename MathOp>
static FloatBody mathOp() {
  return [](OpBuilder &b, Location loc, Value x) -> Value {
    return MathOp::create(b, loc, x);
  };
}

/// Registers a one-op unary function with its host counterpart.
template <typename MathOp>
static void onMathUnary(OpRegistry &r, llvm::StringRef name, int64_t since,
                        double (*host)(double)) {
  r.onOp(name, since, [host](NodeContext &n) {
    return importFloatUnary(n, mathOp<MathOp>(), host);
  });
}

/// softplus(x) = log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)).
static Value softplus(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value absx = math::AbsFOp::create(b, loc, x);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, absx));
  Value l = math::Log1pOp::create(b, loc, e);
  return addF(b, loc, maxF(b, loc, x, constLike(b, loc, t, 0)), l);
}

static void registerActivations(OpRegistry &r) {
  r.onOp("Reciprocal", 1, [](NodeContext &n) {
    return importFloatUnary(
        n,
        [](OpBuilder &b, Location loc, Value x) {
          return divF(b, loc, constLike(b, loc, x.getType(), 1), x);
        },
        [](double v) { return 1 / v; });
  });
  r.onOp("Softplus", 1, [](NodeContext &n) {
    return importFloatUnary(n, softplus);
  });
  r.onOp("Softsign", 1, [](NodeContext &n) {
    return importFloatUnary(n, [](OpBuilder &b, Location loc, Value x) {
      Value d = addF(b, loc, constLike(b, loc, x.getType(), 1),
                     math::AbsFOp::create(b, loc, x));
      return divF(b, loc, x, d);
    });
  });
  r.onOp("Elu", 1, [](NodeContext &n) {
    double alpha = n.attrFloat("alpha", 1.0f);
    return importFloatUnary(n, [alpha](OpBuilder &b, Location loc, Value x) {
      Type t = x.getType();
      Value em1 = subF(b, loc, math::ExpOp::create(b, loc, x),
                       constLike(b, loc, t, 1));
      Value neg = mulF(b, loc, constLike(b, loc, t, alpha), em1);
      return selectV(b, loc,
                     cmpF(b, loc, arith::CmpFPredicate::OGT, x,
                          constLike(b, loc, t, 0)),
                     x, neg);
    });
  });
  r.onOp("Selu", 1, [](NodeContext &n) {
    double alpha = n.attrFloat("alpha", 1.67326319217681884765625f);
    double gamma = n.attrFloat("gamma", 1.05070102214813232421875f);
    return importFloatUnary(n, [=](OpBuilder &b, Location loc, Value x) {
      Type t = x.getType();
      Value a = constLike(b, loc, t, alpha);
      Value e = math::ExpOp::create(b, loc, x);
      Value neg = subF(b, loc, mulF(b, loc, a, e), a);
      Value v = selectV(b, loc,
                        cmpF(b, loc, arith::CmpFPredicate::OGT, x,
                             constLike(b, loc, t, 0)),
                        x, neg);
      return mulF(b, loc, constLike(b, loc, t, gamma), v);
    });
  });
  r.onOp("LeakyRelu", 1, [](NodeContext &n) {
    double alpha = n.attrFloat("alpha", 0.01f);
    return importFloatUnary(n, [=](OpBuilder &b, Location loc, Value x) {
      Type t = x.getType();
      return selectV(b, loc,
                     cmpF(b, loc, arith::CmpFPredicate::OLT, x,
                          constLike(b, loc, t, 0)),
                     mulF(b, loc, constLike(b, loc, t, alpha), x), x);
    });
  });
  r.onOp("ThresholdedRelu", 10, [](NodeContext &n) {
    double alpha = n.attrFloat("alpha", 1.0f);
    return importFloatUnary(n, [=](OpBuilder &b, Location loc, Value x) {
      Type t = x.getType();
      return selectV(b, loc,
                     cmpF(b, loc, arith::CmpFPredicate::OGT, x,
                          constLike(b, loc, t, alpha)),
                     x, constLike(b, loc, t, 0));
    });
  });
  r.onOp("HardSigmoid", 1, [](NodeContext &n) {
    double alpha = n.attrFloat("alpha", 0.2f), beta = n.attrFloat("beta", 0.5f);
    return importFloatUnary(n, [=](OpBuilder &b, Location loc, Value x) {
      Type t = x.getType();
      Value v = addF(b, loc, mulF(b, loc, constLike(b, loc, t, alpha), x),
                     constLike(b, loc, t, beta));
      return maxF(b, loc, constLike(b, loc, t, 0),
                  minF(b, loc, constLike(b, loc, t, 1), v));
    });
  });
  r.onOp("HardSwish", 14, [](NodeContext &n) {
    return importFloatUnary(n, [](OpBuilder &b, Location loc, Value x) {
      Type t = x.getType();
      Value v = addF(b, loc, mulF(b, loc, constLike(b, loc, t, 1.0 / 6), x),
                     constLike(b, loc, t, 0.5));
      v = maxF(b, loc, constLike(b, loc, t, 0),
               minF(b, loc, constLike(b, loc, t, 1), v));
      return mulF(b, loc, x, v);
    });
  });
  r.onOp("Mish", 18, [](NodeContext &n) {
    return importFloatUnary(n, [](OpBuilder &b, Location loc, Value x) {
      return mulF(b, loc, x, math::TanhOp::create(b, loc, softplus(b, loc, x)));
    });
  });
  r.onOp("Celu", 12, [](NodeContext &n) {
    double alpha = n.attrFloat("alpha", 1.0f);
    return importFloatUnary(n, [=](OpBuilder &b, Location loc, Value x) {
      // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
      Type t = x.getType();
      Value a = constLike(b, loc, t, alpha), zero = constLike(b, loc, t, 0);
      Value e = math::ExpOp::create(b, loc, divF(b, loc, x, a));
      Value neg = mulF(b, loc, a, subF(b, loc, e, constLike(b, loc, t, 1)));
      return addF(b, loc, maxF(b, loc, zero, x), minF(b, loc, zero, neg));
    });
  });
}

/// IsNaN / IsInf: float input, bool output.
static LogicalResult importFloatClass(NodeContext &n, bool isNaN) {
  auto ty = n.inputType(0);
  if (!ty || !llvm::isa<FloatType>(ty.getElementType()))
    return n.fail(std::string("expects a floating-point input, got ") +
                  onnxTypeName(n.inputOnnxType(0)));
  bool pos = n.attrInt("detect_positive", 1) != 0;
  bool neg = n.attrInt("detect_negative", 1) != 0;
  double inf = std::numeric_limits<double>::infinity();
  Type i1 = n.builder().getI1Type();
  return emitElementwise(
      n, n.input(0), i1,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value x = a[0];
        if (isNaN)
          return cmpF(b, loc, arith::CmpFPredicate::UNO, x, x);
        Value r;
        if (pos)
          r = cmpF(b, loc, arith::CmpFPredicate::OEQ, x,
                   constLike(b, loc, x.getType(), inf));
        if (neg) {
          Value m = cmpF(b, loc, arith::CmpFPredicate::OEQ, x,
                         constLike(b, loc, x.getType(), -inf));
          r = pos ? arith::OrIOp::create(b, loc, r, m).getResult() : m;
        }
        return r ? r : constLike(b, loc, i1, 0);
      },
      TensorProto::BOOL);
}

//===----------------------------------------------------------------------===//
// Unary numeric: Abs, Neg, Sign
//===----------------------------------------------------------------------===//

enum class NumUnary { Abs, Neg, Sign };

/// Input 0 of an op that takes any numeric (non-bool) type: its element type,
/// ONNX type and whether that is a float or an unsigned type. Fails (reported)
/// when the input is missing or bool.
static LogicalResult numericInput(NodeContext &n, Type &elt, int32_t &onnxType,
                                  bool &isFloat, bool &isUnsigned) {
  auto ty = n.inputType(0);
  if (!ty || ty.getElementType().isInteger(1))
    return n.fail("expects a numeric input");
  elt = ty.getElementType();
  onnxType = n.inputOnnxType(0);
  isFloat = llvm::isa<FloatType>(elt);
  isUnsigned = isUnsignedOnnxType(onnxType);
  return success();
}

static LogicalResult importNumericUnary(NodeContext &n, NumUnary kind) {
  Type elt;
  int32_t onnxType;
  bool isFloat, isUnsigned;
  if (failed(numericInput(n, elt, onnxType, isFloat, isUnsigned)))
    return failure();
  if (tryFold(n, onnxType, [&](llvm::ArrayRef<HostVal> a) {
        HostVal v = a[0];
        switch (kind) {
        case NumUnary::Abs:
          if (!isUnsigned)
            v.f = std::fabs(v.f), v.i = v.i < 0 ? -(uint64_t)v.i : v.i;
          break;
        case NumUnary::Neg:
          v.f = -v.f, v.i = -(uint64_t)v.i;
          break;
        case NumUnary::Sign:
          if (isFloat)
            v.f = std::isnan(v.f) ? v.f : (v.f > 0) - (v.f < 0);
          else
            v.i = isUnsigned ? v.i != 0 : (v.i > 0) - (v.i < 0);
          break;
        }
        return v;
      }))
    return success();
  return emitElementwise(
      n, n.input(0), elt,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value x = a[0];
        Value zero = constLike(b, loc, elt, 0);
        switch (kind) {
        case NumUnary::Abs:
          if (isFloat)
            return math::AbsFOp::create(b, loc, x);
          return isUnsigned ? x : math::AbsIOp::create(b, loc, x).getResult();
        case NumUnary::Neg:
          if (isFloat)
            return arith::NegFOp::create(b, loc, x);
          return arith::SubIOp::create(b, loc, zero, x);
        case NumUnary::Sign: {
          Value one = constLike(b, loc, elt, 1);
          Value mone = constLike(b, loc, elt, -1);
          if (isFloat) { // NaN and +-0 pass through
            Value pos = cmpF(b, loc, arith::CmpFPredicate::OGT, x, zero);
            Value neg = cmpF(b, loc, arith::CmpFPredicate::OLT, x, zero);
            return selectV(b, loc, pos, one, selectV(b, loc, neg, mone, x));
          }
          Value gt = arith::CmpIOp::create(
              b, loc,
              isUnsigned ? arith::CmpIPredicate::ugt
                         : arith::CmpIPredicate::sgt,
              x, zero);
          if (isUnsigned)
            return selectV(b, loc, gt, one, zero);
          Value lt = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x,
                                           zero);
          return selectV(b, loc, gt, one, selectV(b, loc, lt, mone, zero));
        }
        }
        llvm_unreachable("unknown unary op");
      },
      onnxType);
}

/// Shrink: x < -lambd ? x + bias : x > lambd ? x - bias : 0.
static LogicalResult importShrink(NodeContext &n) {
  Type elt;
  int32_t onnxType;
  bool isFloat, isUnsigned;
  if (failed(numericInput(n, elt, onnxType, isFloat, isUnsigned)))
    return failure();
  double bias = n.attrFloat("bias", 0), lambd = n.attrFloat("lambd", 0.5f);
  return emitElementwise(
      n, n.input(0), elt,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value x = isFloat ? promote(b, loc, a[0]) : a[0];
        Type t = x.getType();
        Value zero = constLike(b, loc, t, 0), bv = constLike(b, loc, t, bias);
        Value lo = constLike(b, loc, t, -lambd);
        Value hi = constLike(b, loc, t, lambd);
        Value r;
        if (isFloat) {
          r = selectV(b, loc, cmpF(b, loc, arith::CmpFPredicate::OLT, x, lo),
                      addF(b, loc, x, bv),
                      selectV(b, loc,
                              cmpF(b, loc, arith::CmpFPredicate::OGT, x, hi),
                              subF(b, loc, x, bv), zero));
          return demote(b, loc, r, elt);
        }
        auto cmpi = [&](arith::CmpIPredicate p, Value y) -> Value {
          return arith::CmpIOp::create(b, loc, p, x, y);
        };
        Value above = selectV(
            b, loc,
            cmpi(isUnsigned ? arith::CmpIPredicate::ugt
                            : arith::CmpIPredicate::sgt,
                 hi),
            arith::SubIOp::create(b, loc, x, bv), zero);
        if (isUnsigned)
          return above;
        return selectV(b, loc, cmpi(arith::CmpIPredicate::slt, lo),
                       arith::AddIOp::create(b, loc, x, bv), above);
      },
      onnxType);
}

//===----------------------------------------------------------------------===//
// Comparisons and logic
//===----------------------------------------------------------------------===//

enum class Cmp { EQ, LT, GT, LE, GE };

static LogicalResult importCompare(NodeContext &n, Cmp kind) {
  auto ins = sameTypeInputs(n, 2);
  if (failed(ins))
    return failure();
  if (ins->size() != 2)
    return n.fail("expects two inputs");
  Type elt = getElementTypeOrSelf((*ins)[0].getType());
  bool isFloat = llvm::isa<FloatType>(elt);
  bool isUnsigned = isUnsignedOnnxType(n.inputOnnxType(0)) || elt.isInteger(1);
  if (tryFold(n, TensorProto::BOOL, [&](llvm::ArrayRef<HostVal> a) {
        auto cmp = [&](auto x, auto y) -> bool {
          switch (kind) {
          case Cmp::EQ: return x == y;
          case Cmp::LT: return x < y;
          case Cmp::GT: return x > y;
          case Cmp::LE: return x <= y;
          case Cmp::GE: return x >= y;
          }
          return false;
        };
        bool r = isFloat      ? cmp(a[0].f, a[1].f)
                 : isUnsigned ? cmp((uint64_t)a[0].i, (uint64_t)a[1].i)
                              : cmp(a[0].i, a[1].i);
        return HostVal{0, r};
      }))
    return success();
  return emitElementwise(
      n, *ins, n.builder().getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (isFloat) {
          static const arith::CmpFPredicate fp[] = {
              arith::CmpFPredicate::OEQ, arith::CmpFPredicate::OLT,
              arith::CmpFPredicate::OGT, arith::CmpFPredicate::OLE,
              arith::CmpFPredicate::OGE};
          return cmpF(b, loc, fp[(int)kind], a[0], a[1]);
        }
        static const arith::CmpIPredicate sp[] = {
            arith::CmpIPredicate::eq, arith::CmpIPredicate::slt,
            arith::CmpIPredicate::sgt, arith::CmpIPredicate::sle,
            arith::CmpIPredicate::sge};
        static const arith::CmpIPredicate up[] = {
            arith::CmpIPredicate::eq, arith::CmpIPredicate::ult,
            arith::CmpIPredicate::ugt, arith::CmpIPredicate::ule,
            arith::CmpIPredicate::uge};
        return arith::CmpIOp::create(b, loc, (isUnsigned ? up : sp)[(int)kind],
                                     a[0], a[1]);
      },
      TensorProto::BOOL);
}

enum class Logic { And, Or, Xor };

/// And/Or/Xor on bools (`bitwise` false) or BitwiseAnd/Or/Xor on integers.
static LogicalResult importLogic(NodeContext &n, Logic kind, bool bitwise) {
  auto ins = sameTypeInputs(n, 2);
  if (failed(ins))
    return failure();
  if (ins->size() != 2)
    return n.fail("expects two inputs");
  Type elt = getElementTypeOrSelf((*ins)[0].getType());
  if (bitwise ? !elt.isSignlessInteger() || elt.isInteger(1)
              : !elt.isInteger(1))
    return n.fail(std::string("expects ") +
                  (bitwise ? "integer" : "bool") + " inputs, got " +
                  onnxTypeName(n.inputOnnxType(0)));
  int32_t onnxType = n.inputOnnxType(0);
  if (tryFold(n, onnxType, [&](llvm::ArrayRef<HostVal> a) {
        int64_t x = a[0].i, y = a[1].i;
        return HostVal{0, kind == Logic::And  ? x & y
                          : kind == Logic::Or ? x | y
                                              : x ^ y};
      }))
    return success();
  return emitElementwise(
      n, *ins, elt,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        switch (kind) {
        case Logic::And: return arith::AndIOp::create(b, loc, a[0], a[1]);
        case Logic::Or: return arith::OrIOp::create(b, loc, a[0], a[1]);
        case Logic::Xor: return arith::XOrIOp::create(b, loc, a[0], a[1]);
        }
        llvm_unreachable("unknown logic op");
      },
      onnxType);
}

/// Not on bools, BitwiseNot on integers: x ^ all-ones.
static LogicalResult importNot(NodeContext &n, bool bitwise) {
  auto ty = n.inputType(0);
  Type elt = ty ? ty.getElementType() : Type();
  if (!elt || (bitwise ? !elt.isSignlessInteger() || elt.isInteger(1)
                       : !elt.isInteger(1)))
    return n.fail(std::string("expects a ") + (bitwise ? "integer" : "bool") +
                  " input, got " + onnxTypeName(n.inputOnnxType(0)));
  int32_t onnxType = n.inputOnnxType(0);
  if (tryFold(n, onnxType, [&](llvm::ArrayRef<HostVal> a) {
        return HostVal{0, bitwise ? ~a[0].i : !a[0].i};
      }))
    return success();
  return emitElementwise(
      n, n.input(0), elt,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return arith::XOrIOp::create(b, loc, a[0], constLike(b, loc, elt, -1));
      },
      onnxType);
}

static LogicalResult importBitShift(NodeContext &n) {
  auto ins = sameTypeInputs(n, 2);
  if (failed(ins))
    return failure();
  int32_t onnxType = n.inputOnnxType(0);
  if (!isUnsignedOnnxType(onnxType))
    return n.fail(std::string("expects unsigned integer inputs, got ") +
                  onnxTypeName(onnxType));
  std::string dir = n.attrString("direction", "");
  if (dir != "LEFT" && dir != "RIGHT")
    return n.fail("direction must be LEFT or RIGHT, got '" + dir + "'");
  bool left = dir == "LEFT";
  Type elt = getElementTypeOrSelf((*ins)[0].getType());
  unsigned width = elt.getIntOrFloatBitWidth();
  if (tryFold(n, onnxType, [&](llvm::ArrayRef<HostVal> a) {
        uint64_t x = a[0].i, s = a[1].i;
        return HostVal{0, s >= width ? 0 : (int64_t)(left ? x << s : x >> s)};
      }))
    return success();
  // Shifts by the width or more give 0 (LLVM would give poison).
  return emitElementwise(
      n, *ins, elt,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value s = left ? arith::ShLIOp::create(b, loc, a[0], a[1]).getResult()
                       : arith::ShRUIOp::create(b, loc, a[0], a[1]).getResult();
        Value big = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                          a[1], constLike(b, loc, elt, width));
        return selectV(b, loc, big, constLike(b, loc, elt, 0), s);
      },
      onnxType);
}

static LogicalResult importWhere(NodeContext &n) {
  auto ct = n.inputType(0), xt = n.inputType(1), yt = n.inputType(2);
  if (!ct || !xt || !yt)
    return n.fail("expects three inputs");
  if (!ct.getElementType().isInteger(1))
    return n.fail("condition must be bool");
  if (xt.getElementType() != yt.getElementType())
    return n.fail("X and Y element types differ");
  int32_t onnxType = n.inputOnnxType(1);
  if (tryFold(n, onnxType, [](llvm::ArrayRef<HostVal> a) {
        return a[0].i ? a[1] : a[2];
      }))
    return success();
  return emitElementwise(
      n, {n.input(0), n.input(1), n.input(2)}, xt.getElementType(),
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return selectV(b, loc, a[0], a[1], a[2]);
      },
      onnxType);
}

//===----------------------------------------------------------------------===//
// Variadic: Max, Min, Sum, Mean
//===----------------------------------------------------------------------===//

enum class Variadic { Max, Min, Sum, Mean };

static LogicalResult importVariadic(NodeContext &n, Variadic kind) {
  auto ins = sameTypeInputs(n, 1);
  if (failed(ins))
    return failure();
  Type elt = getElementTypeOrSelf((*ins)[0].getType());
  int32_t onnxType = n.inputOnnxType(0);
  bool isFloat = llvm::isa<FloatType>(elt);
  bool isUnsigned = isUnsignedOnnxType(onnxType);
  if (elt.isInteger(1))
    return n.fail("expects numeric inputs, got BOOL");
  if (kind == Variadic::Mean && !isFloat)
    return n.fail(std::string("expects floating-point inputs, got ") +
                  onnxTypeName(onnxType));
  int64_t count = ins->size();
  if (count == 1 && kind != Variadic::Mean)
    return n.setOutputs((*ins)[0], {onnxType});
  if (tryFold(n, onnxType, [&](llvm::ArrayRef<HostVal> a) {
        HostVal r = a[0];
        for (size_t k = 1; k < a.size(); ++k) {
          const HostVal &v = a[k];
          switch (kind) {
          case Variadic::Max:
          case Variadic::Min: {
            bool isMax = kind == Variadic::Max;
            if (isFloat) {
              if (std::isnan(v.f) || std::isnan(r.f))
                r.f = std::numeric_limits<double>::quiet_NaN();
              else
                r.f = isMax ? std::max(r.f, v.f) : std::min(r.f, v.f);
            } else if (isUnsigned) {
              uint64_t x = r.i, y = v.i;
              r.i = isMax ? std::max(x, y) : std::min(x, y);
            } else {
              r.i = isMax ? std::max(r.i, v.i) : std::min(r.i, v.i);
            }
            break;
          }
          case Variadic::Sum:
          case Variadic::Mean:
            r.f += v.f;
            r.i = (uint64_t)r.i + (uint64_t)v.i;
            break;
          }
        }
        if (kind == Variadic::Mean)
          r.f /= a.size();
        return r;
      }))
    return success();
  return emitElementwise(
      n, *ins, elt,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value r = widenBF16(b, loc, a[0]);
        for (Value v : a.drop_front()) {
          v = widenBF16(b, loc, v);
          switch (kind) {
          case Variadic::Max:
            r = isFloat ? maxF(b, loc, r, v) : maxI(b, loc, r, v, isUnsigned);
            break;
          case Variadic::Min:
            r = isFloat ? minF(b, loc, r, v) : minI(b, loc, r, v, isUnsigned);
            break;
          case Variadic::Sum:
          case Variadic::Mean:
            r = isFloat ? addF(b, loc, r, v)
                        : arith::AddIOp::create(b, loc, r, v).getResult();
            break;
          }
        }
        if (kind == Variadic::Mean)
          r = divF(b, loc, r, constLike(b, loc, r.getType(), count));
        return demote(b, loc, r, elt);
      },
      onnxType);
}

//===----------------------------------------------------------------------===//
// Binary arithmetic: Pow, Mod, PRelu
//===----------------------------------------------------------------------===//

static LogicalResult importPow(NodeContext &n) {
  auto xt = n.inputType(0), yt = n.inputType(1);
  if (!xt || !yt)
    return n.fail("expects two inputs");
  if (n.opset < 7 && n.attrInt("broadcast", 0) && n.attr("axis"))
    return n.fail("legacy broadcasting with an 'axis' attribute (opset < 7) "
                  "is not supported");
  Type elt = xt.getElementType(), yElt = yt.getElementType();
  if (elt.isInteger(1) || yElt.isInteger(1))
    return n.fail("bool inputs are not supported");
  int32_t onnxType = n.inputOnnxType(0);
  bool xUnsigned = isUnsignedOnnxType(onnxType);
  bool yUnsigned = isUnsignedOnnxType(n.inputOnnxType(1));
  bool isFloat = llvm::isa<FloatType>(elt);
  if (tryFold(n, onnxType, [&](llvm::ArrayRef<HostVal> a) {
        double r = std::pow(a[0].f, a[1].f);
        return HostVal{r, std::isfinite(r) ? (int64_t)r : 0};
      }))
    return success();
  // Integer bases are raised in f64 (exact while |result| < 2^53).
  Type ct = isFloat ? computeType(elt) : Float64Type::get(n.g.ctx);
  return emitElementwise(
      n, {n.input(0), n.input(1)}, elt,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value x = convertScalar(b, loc, a[0], xUnsigned, ct, false);
        Value y = convertScalar(b, loc, a[1], yUnsigned, ct, false);
        Value r = math::PowFOp::create(b, loc, x, y);
        return convertScalar(b, loc, r, false, elt, xUnsigned);
      },
      onnxType);
}

static LogicalResult importMod(NodeContext &n) {
  auto ins = sameTypeInputs(n, 2);
  if (failed(ins))
    return failure();
  Type elt = getElementTypeOrSelf((*ins)[0].getType());
  int32_t onnxType = n.inputOnnxType(0);
  bool isFloat = llvm::isa<FloatType>(elt);
  bool isUnsigned = isUnsignedOnnxType(onnxType);
  bool fmod = n.attrInt("fmod", 0) != 0;
  if (elt.isInteger(1))
    return n.fail("expects numeric inputs, got BOOL");
  if (tryFold(n, onnxType, [&](llvm::ArrayRef<HostVal> a) -> HostVal {
        if (isFloat) {
          double r = std::fmod(a[0].f, a[1].f);
          if (!fmod && r != 0 && ((r < 0) != (a[1].f < 0)))
            r += a[1].f;
          return {r, 0};
        }
        if (a[1].i == 0)
          return {0, 0};
        if (isUnsigned)
          return {0, (int64_t)((uint64_t)a[0].i % (uint64_t)a[1].i)};
        int64_t r = a[1].i == -1 ? 0 : a[0].i % a[1].i;
        if (!fmod && r != 0 && ((r < 0) != (a[1].i < 0)))
          r += a[1].i;
        return {0, r};
      }))
    return success();
  // fmod=0 takes the sign of the divisor (Python's %), fmod=1 the sign of the
  // dividend (C's fmod).
  return emitElementwise(
      n, *ins, elt,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (isFloat) {
          Value x = promote(b, loc, a[0]), y = promote(b, loc, a[1]);
          Value r = arith::RemFOp::create(b, loc, x, y);
          if (!fmod) {
            Value zero = constLike(b, loc, x.getType(), 0);
            Value nz = cmpF(b, loc, arith::CmpFPredicate::ONE, r, zero);
            Value differ = arith::XOrIOp::create(
                b, loc, cmpF(b, loc, arith::CmpFPredicate::OLT, r, zero),
                cmpF(b, loc, arith::CmpFPredicate::OLT, y, zero));
            r = selectV(b, loc, arith::AndIOp::create(b, loc, nz, differ),
                        addF(b, loc, r, y), r);
          }
          return demote(b, loc, r, elt);
        }
        if (isUnsigned)
          return arith::RemUIOp::create(b, loc, a[0], a[1]);
        Value r = arith::RemSIOp::create(b, loc, a[0], a[1]);
        if (fmod)
          return r;
        Value zero = constLike(b, loc, elt, 0);
        auto cmpi = [&](arith::CmpIPredicate p, Value x, Value y) -> Value {
          return arith::CmpIOp::create(b, loc, p, x, y);
        };
        Value nz = cmpi(arith::CmpIPredicate::ne, r, zero);
        Value differ = arith::XOrIOp::create(
            b, loc, cmpi(arith::CmpIPredicate::slt, r, zero),
            cmpi(arith::CmpIPredicate::slt, a[1], zero));
        return selectV(b, loc, arith::AndIOp::create(b, loc, nz, differ),
                       arith::AddIOp::create(b, loc, r, a[1]), r);
      },
      onnxType);
}

static LogicalResult importPRelu(NodeContext &n) {
  auto ins = sameTypeInputs(n, 2);
  if (failed(ins))
    return failure();
  Type elt = getElementTypeOrSelf((*ins)[0].getType());
  int32_t onnxType = n.inputOnnxType(0);
  auto xt = n.inputType(0);
  auto shape = broadcastShapes(xt.getShape(), n.inputType(1).getShape());
  if (!shape || llvm::ArrayRef<int64_t>(*shape) != xt.getShape())
    return n.fail("slope does not broadcast to X");
  if (elt.isInteger(1))
    return n.fail("expects numeric inputs, got BOOL");
  bool isFloat = llvm::isa<FloatType>(elt);
  bool isUnsigned = isUnsignedOnnxType(onnxType);
  return emitElementwise(
      n, *ins, elt,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value zero = constLike(b, loc, elt, 0);
        if (isFloat) {
          Value x = widenBF16(b, loc, a[0]);
          Value y = mulF(b, loc, x, widenBF16(b, loc, a[1]));
          return demote(b, loc,
                        selectV(b, loc,
                                cmpF(b, loc, arith::CmpFPredicate::OLT, x,
                                     constLike(b, loc, x.getType(), 0)),
                                y, x),
                        elt);
        }
        if (isUnsigned)
          return a[0];
        Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                          a[0], zero);
        return selectV(b, loc, neg, arith::MulIOp::create(b, loc, a[0], a[1]),
                       a[0]);
      },
      onnxType);
}

//===----------------------------------------------------------------------===//
// Clip
//===----------------------------------------------------------------------===//

static LogicalResult importClip(NodeContext &n) {
  Type elt;
  int32_t onnxType;
  bool isFloat, isUnsigned;
  if (failed(numericInput(n, elt, onnxType, isFloat, isUnsigned)))
    return failure();
  // A bound is a constant (std::optional<HostVal>) or a runtime scalar input.
  std::optional<HostVal> lo, hi;
  SmallVector<Value> ins{n.input(0)};
  int loIdx = -1, hiIdx = -1;
  if (n.opset < 11) {
    if (!isFloat)
      return n.fail("expects a floating-point input before opset 11");
    if (n.attr("min"))
      lo = HostVal{n.attrFloat("min", 0), 0};
    if (n.attr("max"))
      hi = HostVal{n.attrFloat("max", 0), 0};
  } else {
    for (int k = 1; k <= 2; ++k) {
      if (!n.hasInput(k))
        continue;
      auto bt = n.inputType(k);
      if (bt.getElementType() != elt)
        return n.fail(std::string(k == 1 ? "min" : "max") +
                      " element type differs from the input's");
      if (bt.getNumElements() != 1)
        return n.fail(std::string(k == 1 ? "min" : "max") +
                      " must be a scalar");
      std::optional<HostVal> &bound = k == 1 ? lo : hi;
      if (const HostTensor *c = n.constantInput(k)) {
        bound = hostAt(*c, 0);
      } else {
        // Rank-0 so that the bound does not change the output's rank.
        (k == 1 ? loIdx : hiIdx) = ins.size();
        ins.push_back(reshapeTo(n.builder(), n.loc, n.input(k), {}));
      }
    }
  }
  if (const HostTensor *c = smallConstant(n, 0); c && loIdx < 0 && hiIdx < 0) {
    auto r = foldHost({c}, onnxType, [&](llvm::ArrayRef<HostVal> a) {
      HostVal v = a[0];
      auto clampTo = [&](const HostVal &bound, bool isMax) {
        if (isFloat) {
          if (!std::isnan(v.f))
            v.f = isMax ? std::max(v.f, bound.f) : std::min(v.f, bound.f);
        } else if (isUnsigned) {
          uint64_t x = v.i, y = bound.i;
          v.i = isMax ? std::max(x, y) : std::min(x, y);
        } else {
          v.i = isMax ? std::max(v.i, bound.i) : std::min(v.i, bound.i);
        }
      };
      if (lo)
        clampTo(*lo, true);
      if (hi)
        clampTo(*hi, false);
      return v;
    });
    if (r)
      return n.setConstantOutput(0, std::move(*r));
  }
  return emitElementwise(
      n, ins, elt,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        auto boundValue = [&](const std::optional<HostVal> &c,
                              int idx) -> Value {
          if (idx >= 0)
            return widenBF16(b, loc, a[idx]);
          if (!c)
            return {};
          if (isFloat)
            return constLike(b, loc, elt.isBF16() ? b.getF32Type() : elt, c->f);
          return arith::ConstantOp::create(b, loc, b.getIntegerAttr(elt, c->i));
        };
        Value v = widenBF16(b, loc, a[0]);
        if (Value l = boundValue(lo, loIdx))
          v = isFloat ? maxF(b, loc, v, l) : maxI(b, loc, v, l, isUnsigned);
        if (Value h = boundValue(hi, hiIdx))
          v = isFloat ? minF(b, loc, v, h) : minI(b, loc, v, h, isUnsigned);
        return demote(b, loc, v, elt);
      },
      onnxType);
}

//===----------------------------------------------------------------------===//
// Cast, CastLike
//===----------------------------------------------------------------------===//

/// ONNX type of a Cast-1 `to` string ("FLOAT", "INT64", ...), or UNDEFINED.
static int32_t onnxTypeFromName(llvm::StringRef name) {
  TensorProto::DataType t;
  if (TensorProto::DataType_Parse(name.upper(), &t))
    return t;
  return TensorProto::UNDEFINED;
}

static LogicalResult castTo(NodeContext &n, int32_t to) {
  int32_t from = n.inputOnnxType(0);
  Type toElt = getElementType(n.g.ctx, to);
  if (!toElt)
    return n.fail(std::string("casting to ") + onnxTypeName(to) +
                  " is not supported (strings, float8, int4 and complex types "
                  "are not)");
  if (from == to && !smallConstant(n, 0))
    return n.setOutputs(n.input(0), {to});
  bool fromFloat = isFloatOnnx(from), toFloat = isFloatOnnx(to);
  bool toUnsigned = isUnsignedOnnxType(to);
  if (tryFold(
          n, to,
          [&](llvm::ArrayRef<HostVal> a) {
            HostVal v = a[0];
            if (to == TensorProto::BOOL)
              return HostVal{0, fromFloat ? v.f != 0 : v.i != 0};
            if (toFloat)
              return HostVal{v.f, 0};
            if (fromFloat) {
              double t = std::isfinite(v.f) ? std::trunc(v.f) : 0;
              v.i = toUnsigned && t >= 9223372036854775808.0
                        ? (int64_t)(uint64_t)t
                        : (int64_t)t;
            }
            return v;
          },
          /*count=*/1))
    return success();
  bool fromUnsigned = isUnsignedOnnxType(from);
  return emitElementwise(
      n, n.input(0), toElt,
      [&](OpBuilder &b, Location loc, ValueRange a) {
        return convertScalar(b, loc, a[0], fromUnsigned, toElt, toUnsigned);
      },
      to);
}

static LogicalResult importCast(NodeContext &n) {
  const onnx::AttributeProto *a = n.attr("to");
  if (!a)
    return n.fail("missing attribute 'to'");
  int32_t to = a->type() == onnx::AttributeProto::STRING
                   ? onnxTypeFromName(a->s())
                   : (int32_t)a->i();
  if (to == TensorProto::UNDEFINED)
    return n.fail("attribute 'to' names no known type");
  return castTo(n, to);
}

static LogicalResult importCastLike(NodeContext &n) {
  if (!n.hasInput(1))
    return n.fail("expects a target_type input");
  // Only the element type of input 1 matters.
  return castTo(n, n.inputOnnxType(1));
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerMathOps(OpRegistry &r) {
  onMathUnary<math::ExpOp>(r, "Exp", 1, [](double v) { return std::exp(v); });
  onMathUnary<math::LogOp>(r, "Log", 1, [](double v) { return std::log(v); });
  onMathUnary<math::SqrtOp>(r, "Sqrt", 1,
                            [](double v) { return std::sqrt(v); });
  onMathUnary<math::FloorOp>(r, "Floor", 1,
                             [](double v) { return std::floor(v); });
  onMathUnary<math::CeilOp>(r, "Ceil", 1,
                            [](double v) { return std::ceil(v); });
  // Round halves to even (the default floating-point rounding mode).
  onMathUnary<math::RoundEvenOp>(r, "Round", 11,
                                 [](double v) { return std::nearbyint(v); });
  onMathUnary<math::SinOp>(r, "Sin", 7, [](double v) { return std::sin(v); });
  onMathUnary<math::CosOp>(r, "Cos", 7, [](double v) { return std::cos(v); });
  onMathUnary<math::TanOp>(r, "Tan", 7, [](double v) { return std::tan(v); });
  onMathUnary<math::AsinOp>(r, "Asin", 7,
                            [](double v) { return std::asin(v); });
  onMathUnary<math::AcosOp>(r, "Acos", 7,
                            [](double v) { return std::acos(v); });
  onMathUnary<math::AtanOp>(r, "Atan", 7,
                            [](double v) { return std::atan(v); });
  onMathUnary<math::SinhOp>(r, "Sinh", 9,
                            [](double v) { return std::sinh(v); });
  onMathUnary<math::CoshOp>(r, "Cosh", 9,
                            [](double v) { return std::cosh(v); });
  onMathUnary<math::AsinhOp>(r, "Asinh", 9,
                             [](double v) { return std::asinh(v); });
  onMathUnary<math::AcoshOp>(r, "Acosh", 9,
                             [](double v) { return std::acosh(v); });
  onMathUnary<math::AtanhOp>(r, "Atanh", 9,
                             [](double v) { return std::atanh(v); });
  onMathUnary<math::ErfOp>(r, "Erf", 9, [](double v) { return std::erf(v); });
  registerActivations(r);
  r.onOp("IsNaN", 9, [](NodeContext &n) { return importFloatClass(n, true); });
  r.onOp("IsInf", 10, [](NodeContext &n) {
    return importFloatClass(n, false);
  });

  r.onOp("Abs", 1, [](NodeContext &n) {
    return importNumericUnary(n, NumUnary::Abs);
  });
  r.onOp("Neg", 1, [](NodeContext &n) {
    return importNumericUnary(n, NumUnary::Neg);
  });
  r.onOp("Shrink", 9, importShrink);
  r.onOp("Sign", 9, [](NodeContext &n) {
    return importNumericUnary(n, NumUnary::Sign);
  });

  r.onOp("Equal", 1, [](NodeContext &n) { return importCompare(n, Cmp::EQ); });
  r.onOp("Less", 1, [](NodeContext &n) { return importCompare(n, Cmp::LT); });
  r.onOp("Greater", 1, [](NodeContext &n) {
    return importCompare(n, Cmp::GT);
  });
  r.onOp("LessOrEqual", 12,
         [](NodeContext &n) { return importCompare(n, Cmp::LE); });
  r.onOp("GreaterOrEqual", 12,
         [](NodeContext &n) { return importCompare(n, Cmp::GE); });

  r.onOp("And", 1, [](NodeContext &n) {
    return importLogic(n, Logic::And, false);
  });
  r.onOp("Or", 1, [](NodeContext &n) {
    return importLogic(n, Logic::Or, false);
  });
  r.onOp("Xor", 1, [](NodeContext &n) {
    return importLogic(n, Logic::Xor, false);
  });
  r.onOp("Not", 1, [](NodeContext &n) { return importNot(n, false); });
  r.onOp("BitwiseAnd", 18, [](NodeContext &n) {
    return importLogic(n, Logic::And, true);
  });
  r.onOp("BitwiseOr", 18, [](NodeContext &n) {
    return importLogic(n, Logic::Or, true);
  });
  r.onOp("BitwiseXor", 18, [](NodeContext &n) {
    return importLogic(n, Logic::Xor, true);
  });
  r.onOp("BitwiseNot", 18, [](NodeContext &n) { return importNot(n, true); });
  r.onOp("BitShift", 11, importBitShift);
  r.onOp("Where", 9, importWhere);

  r.onOp("Max", 1, [](NodeContext &n) {
    return importVariadic(n, Variadic::Max);
  });
  r.onOp("Min", 1, [](NodeContext &n) {
    return importVariadic(n, Variadic::Min);
  });
  r.onOp("Sum", 1, [](NodeContext &n) {
    return importVariadic(n, Variadic::Sum);
  });
  r.onOp("Mean", 1, [](NodeContext &n) {
    return importVariadic(n, Variadic::Mean);
  });

  r.onOp("Pow", 1, importPow);
  r.onOp("Mod", 10, importMod);
  r.onOp("PRelu", 1, importPRelu);
  r.onOp("Clip", 1, importClip);
  r.onOp("Cast", 1, importCast);
  r.onOp("CastLike", 15, importCastLike);
}
