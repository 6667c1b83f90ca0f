//===- QOptOps.cpp - qopt operations --------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::qopt;

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

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
    if (isExactFloatCast(xElt, getElementTypeOrSelf(inner.getOutput().getType()))) {
      if (x.getType() == getOutput().getType())
        return x;
      getInputMutable().assign(x);
      return getOutput();
    }
  }

  // Casts of constants happen at compile time.
  if (auto dense = llvm::dyn_cast_if_present<DenseFPElementsAttr>(
          adaptor.getInput())) {
    auto &sem = llvm::cast<FloatType>(outElt).getFloatSemantics();
    return dense.mapValues(outElt, [&](const APFloat &v) {
      APFloat r = v;
      bool losesInfo = false;
      r.convert(sem, APFloat::rmNearestTiesToEven, &losesInfo);
      return r.bitcastToAPInt();
    });
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

OpFoldResult QuantizeOp::fold(FoldAdaptor) {
  // quantize(dequantize(q)) with the same parameters gives q back exactly:
  // every dequantized value is a multiple of the scale inside the range.
  if (auto dq = getInput().getDefiningOp<DequantizeOp>())
    if (dq.getInput().getType() == getOutput().getType())
      return dq.getInput();
  return {};
}

LogicalResult DequantizeOp::verify() {
  return verifyUniformPair(*this, llvm::cast<ShapedType>(getInput().getType()),
                           getElementTypeOrSelf(getOutput().getType()));
}

#define GET_OP_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptOps.cpp.inc"
