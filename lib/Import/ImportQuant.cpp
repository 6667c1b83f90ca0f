//===- ImportQuant.cpp - ONNX QuantizeLinear / DequantizeLinear -----------===//
//
// ONNX's quantized tensors are plain integer tensors; their parameters ride
// on the ops. The importer moves them into upstream `!quant.uniform` types:
// `qopt.quantize` produces a quantized tensor, `quant.scast` reinterprets it
// as its storage integers (and back for DequantizeLinear).
//
//===----------------------------------------------------------------------===//
#include "ImporterCore.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

/// The uniform quantized element type described by a Q/DQ node's scale
/// (input 1) and zero point (input 2) for a tensor of shape `shape`.
static FailureOr<quant::QuantizedType>
quantTypeOf(NodeContext &n, llvm::ArrayRef<int64_t> shape, Type expressed,
            int32_t storageOnnxType) {
  const HostTensor *scale = n.constantInput(1);
  if (!scale)
    return n.fail("the scale must be a compile-time constant");
  const HostTensor *zp = n.hasInput(2) ? n.constantInput(2) : nullptr;
  if (n.hasInput(2) && !zp)
    return n.fail("the zero point must be a compile-time constant");
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
  // Per tensor: a scalar or a one-element scale (1-D from opset 13, as
  // onnxruntime reads it; per axis over a dim of size 1 is the same thing).
  if (scale->shape.empty() ||
      (count == 1 && (n.opset < 13 || scale->shape.size() == 1)))
    return llvm::cast<quant::QuantizedType>(quant::UniformQuantizedType::get(
        flags, storage, expressed, scale->asDouble(0), zpAt(0), qmin, qmax));
  if (scale->shape.size() != 1)
    return n.fail("the scale must be a scalar or 1-D");
  auto axis = normalizeAxis(n.attrInt("axis", 1), shape.size());
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

static LogicalResult importQuantizeLinear(NodeContext &n) {
  auto xt = n.inputType(0);
  if (!xt || !llvm::isa<FloatType>(xt.getElementType()))
    return n.fail("expects a floating-point input");
  int32_t storageType = n.hasInput(2) ? n.inputOnnxType(2)
                                      : (int32_t)onnx::TensorProto::UINT8;
  if (int64_t od = n.attrInt("output_dtype", 0))
    storageType = od;
  auto q = quantTypeOf(n, xt.getShape(), xt.getElementType(), storageType);
  if (failed(q))
    return failure();
  OpBuilder &b = n.builder();
  Value qv = mlir::qopt::QuantizeOp::create(b, n.loc, xt.clone(*q), n.input(0));
  Value s = quant::StorageCastOp::create(
      b, n.loc, xt.clone((*q).getStorageType()), qv);
  return n.setOutputs(s, {storageType});
}

static LogicalResult importDequantizeLinear(NodeContext &n) {
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
  OpBuilder &b = n.builder();
  Value qv = quant::StorageCastOp::create(b, n.loc, xt.clone(*q), n.input(0));
  Value r = mlir::qopt::DequantizeOp::create(b, n.loc, xt.clone(expressed), qv);
  return n.setOutputs(r);
}

void onnx_import::registerQuantOps(OpRegistry &r) {
  r.onOp("QuantizeLinear", 10, importQuantizeLinear);
  r.onOp("DequantizeLinear", 10, importDequantizeLinear);
}
