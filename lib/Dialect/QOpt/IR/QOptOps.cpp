//===- QOptOps.cpp - qopt operations --------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "qopt/Support/FloatBits.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qopt;

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

/// Converts packed little-endian floats of `from` to `to` (f32/f16/bf16),
/// rounding to nearest even; `saturate` clamps finite values to the largest
/// finite value of `to`.
static std::vector<char> convertFloatBytes(ArrayRef<char> in, Type from, Type to,
                                           bool saturate) {
  size_t inBytes = from.getIntOrFloatBitWidth() / 8;
  size_t outBytes = to.getIntOrFloatBitWidth() / 8;
  size_t n = in.size() / inBytes;
  std::vector<char> out(n * outBytes);
  float maxFinite = to.isF16() ? 65504.0f : to.isBF16() ? 3.38953139e38f : 3.40282347e38f;
  for (size_t i = 0; i < n; ++i) {
    float v;
    if (from.isF32()) {
      std::memcpy(&v, in.data() + i * 4, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, in.data() + i * 2, 2);
      v = from.isBF16() ? bf16ToF32(h) : f16ToF32(h);
    }
    if (saturate) // NaN compares false and stays NaN
      v = std::clamp(v, -maxFinite, maxFinite);
    if (to.isF32()) {
      std::memcpy(out.data() + i * 4, &v, 4);
    } else {
      uint16_t h = to.isBF16() ? f32ToBF16(v) : f32ToF16(v);
      std::memcpy(out.data() + i * 2, &h, 2);
    }
  }
  return out;
}

/// A cast from `from` to `to` is exact when every value of `from` is a value
/// of `to`: f16 and bf16 both embed in f32, and nothing else among the three.
static bool isExactFloatCast(Type from, Type to) {
  if (from == to)
    return true;
  return to.isF32() && (from.isF16() || from.isBF16());
}

LogicalResult CastOp::verify() {
  auto inTy = llvm::cast<RankedTensorType>(getInput().getType());
  auto outTy = llvm::cast<RankedTensorType>(getOutput().getType());
  if (inTy.getEncoding() != outTy.getEncoding())
    return emitOpError("operand and result encodings differ");
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  Type outElt = getElementTypeOrSelf(getOutput().getType());
  if (getInput().getType() == getOutput().getType())
    return getInput();

  // cast(cast(x)): when the inner cast is exact, the outer one sees x's
  // values unchanged, so it can read x directly (or vanish).
  if (auto inner = getInput().getDefiningOp<CastOp>()) {
    Value x = inner.getInput();
    Type xElt = getElementTypeOrSelf(x.getType());
    if (isExactFloatCast(xElt,
                         getElementTypeOrSelf(inner.getOutput().getType()))) {
      if (x.getType() == getOutput().getType())
        return x;
      getInputMutable().assign(x);
      return getOutput();
    }
  }

  // Casts of constants happen at compile time (to a static result type: the
  // constant's type is the result's).
  auto resultTy = llvm::cast<RankedTensorType>(getOutput().getType());
  if (!resultTy.hasStaticShape() || !adaptor.getInput())
    return {};
  Type inElt = getElementTypeOrSelf(getInput().getType());
  if (auto dense = llvm::dyn_cast<DenseFPElementsAttr>(adaptor.getInput())) {
    ArrayRef<char> raw = dense.getRawData();
    std::vector<char> out = convertFloatBytes(raw, inElt, outElt, getSaturate());
    // A splat's raw data is one element; getFromRawBuffer detects that.
    return DenseElementsAttr::getFromRawBuffer(resultTy, out);
  }
  if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(adaptor.getInput())) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return {};
    std::vector<char> out =
        convertFloatBytes(blob->getData(), inElt, outElt, getSaturate());
    auto newBlob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        out, std::max<size_t>(8, outElt.getIntOrFloatBitWidth() / 8));
    std::string name = (res.getRawHandle().getKey() + "_" +
                        llvm::StringRef(outElt.isBF16() ? "bf16"
                                        : outElt.isF16() ? "f16"
                                                         : "f32"))
                           .str();
    return DenseResourceElementsAttr::get(resultTy, name, std::move(newBlob));
  }
  return {};
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

/// Checks that `quantTy` is a uniform type (per tensor or per axis) whose
/// expressed type is `floatTy` and whose axis fits `shapedTy`.
static LogicalResult verifyUniformPair(Operation *op, ShapedType quantShaped,
                                       Type floatElt) {
  Type elt = quantShaped.getElementType();
  auto qTy = llvm::cast<quant::QuantizedType>(elt);
  if (!llvm::isa<quant::UniformQuantizedType,
                 quant::UniformQuantizedPerAxisType>(qTy))
    return op->emitOpError("expects a per-tensor or per-axis "
                           "!quant.uniform element type, got ")
           << elt;
  if (qTy.getExpressedType() != floatElt)
    return op->emitOpError("quantized expressed type ")
           << qTy.getExpressedType() << " differs from the float type "
           << floatElt;
  if (auto perAxis = llvm::dyn_cast<quant::UniformQuantizedPerAxisType>(qTy)) {
    int64_t axis = perAxis.getQuantizedDimension();
    if (axis >= quantShaped.getRank())
      return op->emitOpError("quantized dimension ")
             << axis << " is out of range for rank " << quantShaped.getRank();
    int64_t dim = quantShaped.getDimSize(axis);
    int64_t n = perAxis.getScales().size();
    if (!ShapedType::isDynamic(dim) && dim != n)
      return op->emitOpError("quantized dimension ")
             << axis << " has size " << dim << " but the type has " << n
             << " scales";
  }
  return success();
}

LogicalResult QuantizeOp::verify() {
  return verifyUniformPair(*this, llvm::cast<ShapedType>(getOutput().getType()),
                           getElementTypeOrSelf(getInput().getType()));
}

/// Whether quantize(dequantize(q)) is q for every stored q, with one scale
/// and zero point. The dequantized value (q - zeroPoint) * scale is rounded
/// to the expressed type's p-bit significand, an error of at most
/// |q - zeroPoint| / 2^p scale units, and the f32 arithmetic of the
/// lowering adds about |q - zeroPoint| / 2^23 more; the sum stays under half
/// a unit, so rounding recovers q, while |q - zeroPoint| <= 2^(p-1) (2^21 for
/// f32) and the product is normal and finite. Past that it is not: with
/// i8:bf16, scale 0.7025 and zero point -73, q = 127 dequantizes to 140.0
/// (140.5 rounded to bf16), which quantizes to 126.
static bool isExactRoundTrip(double scale, int64_t zeroPoint, int64_t qmin,
                             int64_t qmax, FloatType expressed) {
  const llvm::fltSemantics &sem = expressed.getFloatSemantics();
  unsigned precision = APFloat::semanticsPrecision(sem);
  int64_t limit =
      precision >= 24 ? int64_t(1) << 21 : int64_t(1) << (precision - 1);
  int64_t maxDiff =
      std::max(std::abs(qmin - zeroPoint), std::abs(qmax - zeroPoint));
  if (maxDiff > limit)
    return false;
  double minNormal = APFloat::getSmallestNormalized(sem).convertToDouble();
  double largest = APFloat::getLargest(sem).convertToDouble();
  return scale >= minNormal && 2.0 * maxDiff * scale <= largest;
}

OpFoldResult QuantizeOp::fold(FoldAdaptor) {
  // quantize(dequantize(q)) with the same parameters gives q back when every
  // dequantized value survives its rounding to the expressed type.
  auto dq = getInput().getDefiningOp<DequantizeOp>();
  if (!dq || dq.getInput().getType() != getOutput().getType())
    return {};
  auto qTy = llvm::cast<quant::QuantizedType>(
      getElementTypeOrSelf(getOutput().getType()));
  auto expressed = llvm::cast<FloatType>(qTy.getExpressedType());
  int64_t qmin = qTy.getStorageTypeMin(), qmax = qTy.getStorageTypeMax();
  auto exact = [&](double scale, int64_t zeroPoint) {
    return isExactRoundTrip(scale, zeroPoint, qmin, qmax, expressed);
  };
  if (auto u = llvm::dyn_cast<quant::UniformQuantizedType>(qTy)) {
    if (!exact(u.getScale(), u.getZeroPoint()))
      return {};
  } else {
    auto a = llvm::cast<quant::UniformQuantizedPerAxisType>(qTy);
    for (auto [scale, zeroPoint] :
         llvm::zip_equal(a.getScales(), a.getZeroPoints()))
      if (!exact(scale, zeroPoint))
        return {};
  }
  return dq.getInput();
}

LogicalResult DequantizeOp::verify() {
  return verifyUniformPair(*this, llvm::cast<ShapedType>(getInput().getType()),
                           getElementTypeOrSelf(getOutput().getType()));
}

//===----------------------------------------------------------------------===//
// MatMulNBitsOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulNBitsOp::verify() {
  auto x = getInput().getType();
  auto w = getWeights().getType();
  auto s = getScales().getType();
  auto y = getOutput().getType();
  StringRef format = getFormat();
  if (format != "symmetric" && format != "asymmetric" && format != "nf4")
    return emitOpError("format must be symmetric, asymmetric or nf4, got '")
           << format << "'";
  if (getActivations() != "f32" && getActivations() != "int8")
    return emitOpError("activations must be f32 or int8, got '")
           << getActivations() << "'";
  int64_t k = getK(), group = getGroup();
  if (group < 16 || !llvm::isPowerOf2_64(group))
    return emitOpError("group ") << group
                                 << " is not a power of two of at least 16";
  if (k <= 0)
    return emitOpError("k must be positive, got ") << k;
  if (!w.hasStaticShape() || !s.hasStaticShape() || w.getRank() != 3 ||
      s.getRank() != 2)
    return emitOpError("expects static weights N x blocks x group/2 and "
                       "scales N x blocks");
  int64_t n = s.getDimSize(0), blocks = (k + group - 1) / group;
  if (s.getDimSize(1) != blocks)
    return emitOpError("scales have ")
           << s.getDimSize(1) << " blocks per row; k " << k << " in groups of "
           << group << " needs " << blocks;
  if (w.getDimSize(0) != n || w.getDimSize(1) != blocks ||
      w.getDimSize(2) != group / 2)
    return emitOpError("weights must be ")
           << n << "x" << blocks << "x" << group / 2 << ", got " << w;
  bool asymmetric = format == "asymmetric";
  if (asymmetric != static_cast<bool>(getZeros()))
    return emitOpError(asymmetric ? "asymmetric format needs zero points"
                                  : "only the asymmetric format takes zero "
                                    "points");
  if (auto zeros = getZeros()) {
    auto z = zeros.getType();
    if (!z.hasStaticShape() || z.getRank() != 2 || z.getDimSize(0) != n ||
        z.getDimSize(1) != (blocks + 1) / 2)
      return emitOpError("zero points must be ")
             << n << "x" << (blocks + 1) / 2 << ", got " << z;
  }
  if (x.getRank() < 1 || y.getRank() != x.getRank())
    return emitOpError("input and result must have the same rank (>= 1)");
  int64_t xk = x.getDimSize(x.getRank() - 1);
  if (!ShapedType::isDynamic(xk) && xk != k)
    return emitOpError("input's last dimension is ")
           << xk << ", expected k = " << k;
  if (y.getDimSize(y.getRank() - 1) != n)
    return emitOpError("result's last dimension must be N = ") << n;
  for (int64_t d = 0; d + 1 < x.getRank(); ++d)
    if (!ShapedType::isDynamic(x.getDimSize(d)) &&
        !ShapedType::isDynamic(y.getDimSize(d)) &&
        x.getDimSize(d) != y.getDimSize(d))
      return emitOpError("input and result differ in dimension ") << d;
  return success();
}

#define GET_OP_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptOps.cpp.inc"
