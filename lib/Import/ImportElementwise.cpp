//===- ImportElementwise.cpp - ONNX elementwise and activation ops --------===//
#include "ImporterCore.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

/// Checks that the node's two inputs have one element type and broadcast.
static LogicalResult checkBinary(NodeContext &n) {
  auto a = n.inputType(0), b = n.inputType(1);
  if (!a || !b)
    return n.fail("expects two inputs");
  if (a.getElementType() != b.getElementType())
    return n.fail("input element types differ");
  if (!broadcastShapes(a.getShape(), b.getShape()))
    return n.fail("input shapes do not broadcast");
  return success();
}

enum class Arith { Add, Sub, Mul, Div };

/// Folds the op on the host when both inputs are small compile-time
/// constants (shape arithmetic); returns failure when it cannot.
static LogicalResult foldArithOnHost(NodeContext &n, Arith kind) {
  const HostTensor *a = n.constantInput(0), *b = n.constantInput(1);
  if (!a || !b)
    return failure();
  bool isUnsigned = isUnsignedOnnxType(a->onnxType);
  auto r = foldBinaryOnHost(
      *a, *b,
      [&](double x, double y) {
        switch (kind) {
        case Arith::Add: return x + y;
        case Arith::Sub: return x - y;
        case Arith::Mul: return x * y;
        case Arith::Div: return x / y;
        }
        return 0.0;
      },
      [&](int64_t x, int64_t y) -> int64_t {
        switch (kind) {
        case Arith::Add: return (int64_t)((uint64_t)x + (uint64_t)y);
        case Arith::Sub: return (int64_t)((uint64_t)x - (uint64_t)y);
        case Arith::Mul: return (int64_t)((uint64_t)x * (uint64_t)y);
        case Arith::Div:
          if (y == 0)
            return 0; // undefined in ONNX; never reached by valid shapes
          return isUnsigned ? (int64_t)((uint64_t)x / (uint64_t)y) : x / y;
        }
        return 0;
      });
  if (!r)
    return failure();
  return n.setConstantOutput(0, std::move(*r));
}

/// TOSA's add/sub/mul cover f32, f16, bf16 and i32; other types (f64, i8,
/// i16, i64, unsigned) and all divisions use a linalg.generic.
static bool tosaHandles(Type elt, Arith kind) {
  return kind != Arith::Div &&
         (elt.isF32() || elt.isF16() || elt.isBF16() || elt.isInteger(32));
}

template <Arith kind>
static LogicalResult importArith(NodeContext &n) {
  if (failed(checkBinary(n)))
    return failure();
  if (succeeded(foldArithOnHost(n, kind)))
    return success();
  OpBuilder &b = n.builder();
  Type elt = n.inputType(0).getElementType();
  if (tosaHandles(elt, kind)) {
    Value r = kind == Arith::Add ? addBroadcast(b, n.loc, n.input(0), n.input(1))
              : kind == Arith::Sub
                  ? subBroadcast(b, n.loc, n.input(0), n.input(1))
                  : mulBroadcast(b, n.loc, n.input(0), n.input(1));
    return n.setOutputs(r, {n.inputOnnxType(0)});
  }
  bool isUnsigned = isUnsignedOnnxType(n.inputOnnxType(0));
  bool isFloat = llvm::isa<FloatType>(elt);
  // Division is a true division (not reciprocal-multiply) so results match
  // ONNX bit for bit; integer division truncates toward zero as in C.
  Value r = buildElementwise(
      b, n.loc, {n.input(0), n.input(1)}, elt,
      [&](OpBuilder &nb, Location loc, ValueRange a) -> Value {
        switch (kind) {
        case Arith::Add:
          return isFloat ? arith::AddFOp::create(nb, loc, a[0], a[1]).getResult()
                         : arith::AddIOp::create(nb, loc, a[0], a[1]).getResult();
        case Arith::Sub:
          return isFloat ? arith::SubFOp::create(nb, loc, a[0], a[1]).getResult()
                         : arith::SubIOp::create(nb, loc, a[0], a[1]).getResult();
        case Arith::Mul:
          return isFloat ? arith::MulFOp::create(nb, loc, a[0], a[1]).getResult()
                         : arith::MulIOp::create(nb, loc, a[0], a[1]).getResult();
        case Arith::Div:
          if (isFloat)
            return arith::DivFOp::create(nb, loc, a[0], a[1]);
          if (isUnsigned)
            return arith::DivUIOp::create(nb, loc, a[0], a[1]);
          return arith::DivSIOp::create(nb, loc, a[0], a[1]);
        }
        llvm_unreachable("covered switch");
      });
  return n.setOutputs(r, {n.inputOnnxType(0)});
}

static LogicalResult importRelu(NodeContext &n) {
  auto ty = n.inputType(0);
  OpBuilder &b = n.builder();
  Type elt = ty.getElementType();
  Attribute lo, hi;
  if (auto ft = llvm::dyn_cast<FloatType>(elt)) {
    lo = b.getFloatAttr(ft, 0.0);
    hi = b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics()));
  } else {
    lo = b.getIntegerAttr(elt, 0);
    hi = b.getIntegerAttr(elt, APInt::getSignedMaxValue(elt.getIntOrFloatBitWidth()));
  }
  Value r = tosa::ClampOp::create(b, n.loc, ty, n.input(0), lo, hi);
  return n.setOutputs(r, {n.inputOnnxType(0)});
}

template <typename TosaOp>
static LogicalResult importFloatUnary(NodeContext &n) {
  auto ty = n.inputType(0);
  if (!ty || !llvm::isa<FloatType>(ty.getElementType()))
    return n.fail("expects a floating-point input");
  Value r = TosaOp::create(n.builder(), n.loc, ty, n.input(0));
  return n.setOutputs(r);
}

static LogicalResult importIdentity(NodeContext &n) {
  return n.setOutputs(n.input(0), {n.inputOnnxType(0)});
}

/// softmax along one axis: exp(x - max) / sum(exp(x - max)).
static Value softmaxAlong(OpBuilder &b, Location loc, Value x, int64_t axis) {
  auto ty = llvm::cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> reduced(ty.getShape());
  reduced[axis] = 1;
  auto redTy = ty.clone(reduced);
  auto axisAttr = b.getI32IntegerAttr(axis);
  Value m = tosa::ReduceMaxOp::create(b, loc, redTy, x, axisAttr);
  Value e = tosa::ExpOp::create(b, loc, ty, subBroadcast(b, loc, x, m));
  Value s = tosa::ReduceSumOp::create(b, loc, redTy, e, axisAttr);
  return buildElementwise(b, loc, {e, s}, ty.getElementType(),
                          [](OpBuilder &nb, Location nl, ValueRange a) {
                            return arith::DivFOp::create(nb, nl, a[0], a[1])
                                .getResult();
                          });
}

static LogicalResult importSoftmax(NodeContext &n) {
  auto ty = n.inputType(0);
  if (!ty || !llvm::isa<FloatType>(ty.getElementType()))
    return n.fail("expects a floating-point input");
  int64_t rank = ty.getRank();
  OpBuilder &b = n.builder();
  if (n.opset >= 13) {
    auto axis = normalizeAxis(n.attrInt("axis", -1), rank);
    if (!axis)
      return n.fail("axis out of range");
    return n.setOutputs(softmaxAlong(b, n.loc, n.input(0), *axis));
  }
  // Before opset 13 the input is coerced to 2-D at `axis` (default 1).
  auto axis = normalizeAxis(n.attrInt("axis", 1), rank);
  if (!axis)
    return n.fail("axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < *axis ? outer : inner) *= ty.getDimSize(d);
  Value flat = reshapeTo(b, n.loc, n.input(0), {outer, inner});
  Value r = softmaxAlong(b, n.loc, flat, 1);
  return n.setOutputs(reshapeTo(b, n.loc, r, ty.getShape()));
}

void onnx_import::registerElementwiseOps(OpRegistry &r) {
  r.onOp("Add", 7, importArith<Arith::Add>);
  r.onOp("Sub", 7, importArith<Arith::Sub>);
  r.onOp("Mul", 7, importArith<Arith::Mul>);
  r.onOp("Div", 7, importArith<Arith::Div>);
  r.onOp("Relu", 6, importRelu);
  r.onOp("Sigmoid", 6, importFloatUnary<tosa::SigmoidOp>);
  r.onOp("Tanh", 6, importFloatUnary<tosa::TanhOp>);
  r.onOp("Identity", 1, importIdentity);
  r.onOp("Softmax", 1, importSoftmax);
}
