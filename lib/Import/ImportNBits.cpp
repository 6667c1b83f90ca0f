//===- ImportNBits.cpp - 4-bit weights: MatMulNBits, int4 DequantizeLinear ===//
//
// Two spellings of a weight-only 4-bit matrix product become one
// `qopt.matmul_nbits`, whose operands are onnxruntime's MatMulNBits layout:
//
// - onnxruntime's `com.microsoft.MatMulNBits` (bits = 4): B, scales and
//   packed zero points are taken as they are stored;
// - ONNX DequantizeLinear (opset 21) of a constant INT4 / UINT4 [K, N]
//   weight in blocks along K, read only by MatMuls as B (onnxruntime's
//   MatMulNBitsQuantizer in QDQ format writes these): the codes are
//   transposed to N x K and repacked; int4 codes are offset by 8, so zero
//   points that are all 0 make the symmetric format.
//
// Any other DequantizeLinear of a 4-bit constant is computed at compile time
// into a constant of the scale's type.
//
//===----------------------------------------------------------------------===//
#include "ImporterCore.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;
using onnx::TensorProto;

/// "input 'name'" of node `n`, for messages.
static std::string describeInput(NodeContext &n, size_t i, llvm::StringRef what) {
  return what.str() + " '" + (n.hasInput(i) ? n.node.input(i) : std::string()) +
         "'";
}

static std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Packs two 4-bit codes a byte, element 2i in the low nibble of byte i.
static char packNibbles(uint8_t lo, uint8_t hi) {
  return char((lo & 0xF) | ((hi & 0xF) << 4));
}

//===----------------------------------------------------------------------===//
// com.microsoft.MatMulNBits
//===----------------------------------------------------------------------===//

/// Input `i` of `n` when it is a compile-time constant (an initializer or a
/// Constant's output), reshaped to `shape` when its element count matches
/// (onnxruntime accepted scales and zero points flattened to 1-D before it
/// wrote them 2-D); else an error naming the input.
static FailureOr<Value> constantOperand(NodeContext &n, size_t i,
                                        llvm::StringRef what,
                                        llvm::ArrayRef<int64_t> shape) {
  Value v = n.input(i);
  if (!v.getDefiningOp<arith::ConstantOp>())
    return n.fail(describeInput(n, i, what) +
                  " must be an initializer (a compile-time constant)");
  auto t = llvm::cast<RankedTensorType>(v.getType());
  int64_t want = 1;
  for (int64_t d : shape)
    want *= d;
  if (t.getShape() == shape)
    return v;
  if (t.getRank() == 1 && t.getDimSize(0) == want)
    return reshapeTo(n.builder(), n.loc, v, shape);
  return n.fail(describeInput(n, i, what) + " has shape " +
                shapeString(t.getShape()) + ", expected " + shapeString(shape));
}

static LogicalResult importMatMulNBits(NodeContext &n) {
  if (!n.hasInput(0) || !n.hasInput(1) || !n.hasInput(2))
    return n.fail("expects inputs A, B and scales");
  int64_t bits = n.attrInt("bits", 4);
  if (bits != 4)
    return n.fail("bits = " + std::to_string(bits) +
                  " is not supported (only 4-bit weights are)");
  int64_t k = n.attrInt("K", 0), nn = n.attrInt("N", 0);
  int64_t group = n.attrInt("block_size", 0);
  // accuracy_level only lets onnxruntime compute in lower precision (int8
  // activations, fp16); qopt's f32 result is the reference it approximates,
  // so the attribute is ignored.
  if (k <= 0 || nn <= 0)
    return n.fail("attributes K and N must be positive, got K = " +
                  std::to_string(k) + ", N = " + std::to_string(nn));
  if (group < 16 || !llvm::isPowerOf2_64(group))
    return n.fail("block_size " + std::to_string(group) +
                  " is not a power of two of at least 16");
  auto at = n.inputType(0);
  if (!at.getElementType().isF32())
    return n.fail("input A must be f32 (tensor(float)); other types of A are "
                  "not supported");
  if (at.getRank() < 1 || at.getDimSize(at.getRank() - 1) != k)
    return n.fail("A's last dimension must be K = " + std::to_string(k) +
                  ", A has shape " + shapeString(at.getShape()));
  if (n.hasInput(4))
    return n.fail("g_idx (input 4, act-order group indices) is not supported");
  int64_t blocks = (k + group - 1) / group;

  if (n.inputOnnxType(1) != TensorProto::UINT8)
    return n.fail(describeInput(n, 1, "B") + " must be uint8, got " +
                  onnxTypeName(n.inputOnnxType(1)));
  auto w = constantOperand(n, 1, "B", {nn, blocks, group / 2});
  if (failed(w))
    return failure();
  if (n.inputOnnxType(2) != TensorProto::FLOAT)
    return n.fail(describeInput(n, 2, "scales") + " must be f32, got " +
                  onnxTypeName(n.inputOnnxType(2)));
  auto s = constantOperand(n, 2, "scales", {nn, blocks});
  if (failed(s))
    return failure();
  Value zeros;
  if (n.hasInput(3)) {
    int32_t zt = n.inputOnnxType(3);
    if (zt != TensorProto::UINT8)
      return n.fail(describeInput(n, 3, "zero_points") + " of type " +
                    onnxTypeName(zt) +
                    " is not supported: only packed uint8 zero points are "
                    "(float zero points are not)");
    auto z = constantOperand(n, 3, "zero_points", {nn, (blocks + 1) / 2});
    if (failed(z))
      return failure();
    zeros = *z;
  }
  OpBuilder &b = n.builder();
  SmallVector<int64_t> outShape(at.getShape());
  outShape.back() = nn;
  Value y = MatMulNBitsOp::create(b, n.loc, tensorOf(outShape, b.getF32Type()),
                                  n.input(0), *w, *s, zeros, k, group,
                                  zeros ? "asymmetric" : "symmetric");
  if (n.hasInput(5)) {
    auto bt = n.inputType(5);
    if (!bt.getElementType().isF32() || bt.getShape() != ArrayRef<int64_t>{nn})
      return n.fail(describeInput(n, 5, "bias") + " must be f32 of shape [" +
                    std::to_string(nn) + "]");
    y = addBroadcast(b, n.loc, y, n.input(5));
  }
  return n.setOutputs(y);
}

//===----------------------------------------------------------------------===//
// DequantizeLinear of 4-bit constants
//===----------------------------------------------------------------------===//

namespace {
/// A 4-bit constant, one code per element (INT4 sign-extended).
struct FourBitTensor {
  int32_t onnxType = 0;
  std::vector<int64_t> shape;
  std::vector<char> codes;
  int64_t numElements() const { return (int64_t)codes.size(); }
};
} // namespace

/// Reads 4-bit input `i` of `n`, an initializer.
static FailureOr<FourBitTensor> readFourBit(NodeContext &n, size_t i,
                                            llvm::StringRef what) {
  auto it = n.g.initializers.find(n.node.input(i));
  if (it == n.g.initializers.end())
    return n.fail(describeInput(n, i, what) +
                  " must be an initializer (a compile-time constant)");
  FourBitTensor t;
  t.onnxType = it->second->data_type();
  t.shape.assign(it->second->dims().begin(), it->second->dims().end());
  if (auto err = readTensorBytes(*it->second, n.g.modelDir, t.codes))
    return n.fail(describeInput(n, i, what) + ": " + *err);
  return t;
}

/// True when every reader of `name` is a MatMul that reads it as B only
/// (and at least one does), and it is no graph output.
static bool readOnlyAsMatMulB(NodeContext &n, llvm::StringRef name) {
  const onnx::GraphProto &graph = n.g.model.graph();
  for (const auto &o : graph.output())
    if (o.name() == name)
      return false;
  int readers = 0;
  for (const auto &node : graph.node())
    for (int i = 0; i < node.input_size(); ++i) {
      if (node.input(i) != name)
        continue;
      bool isMatMul = node.op_type() == "MatMul" &&
                      (node.domain().empty() || node.domain() == "ai.onnx");
      if (!isMatMul || i != 1)
        return false;
      ++readers;
    }
  return readers > 0;
}

/// The qopt.matmul_nbits operands of x [K, N] (codes) dequantized in blocks
/// of `group` along K by scale [blocks, N] and zero point zp (same shape,
/// null: 0): codes and zero points move to the unsigned 0..15 range (INT4
/// + 8), transposed to N x K and packed. The bytes are those onnxruntime's
/// MatMulNBitsQuantizer writes for the same weight: codes past K are 0 and
/// the unused zero-point nibble of an odd block count is 8 (neither is
/// read).
static GraphImporter::NBitsWeight repackForMatMul(NodeContext &n,
                                                  const FourBitTensor &x,
                                                  const HostTensor &scale,
                                                  const FourBitTensor *zp,
                                                  int64_t group) {
  int64_t k = x.shape[0], nn = x.shape[1];
  int64_t blocks = (k + group - 1) / group, zcols = (blocks + 1) / 2;
  int offset = x.onnxType == kOnnxInt4 ? 8 : 0;
  auto zeroAt = [&](int64_t col, int64_t blk) -> uint8_t {
    return uint8_t((zp ? zp->codes[blk * nn + col] : 0) + offset);
  };
  bool symmetric = true;
  for (int64_t col = 0; col < nn && symmetric; ++col)
    for (int64_t blk = 0; blk < blocks; ++blk)
      symmetric &= zeroAt(col, blk) == 8;

  std::vector<char> w(nn * blocks * (group / 2)), s(nn * blocks * 4),
      z(symmetric ? 0 : nn * zcols);
  for (int64_t col = 0; col < nn; ++col) {
    for (int64_t blk = 0; blk < blocks; ++blk) {
      auto code = [&](int64_t row) -> uint8_t {
        return row < k ? uint8_t(x.codes[row * nn + col] + offset) : 0;
      };
      char *dst = &w[(col * blocks + blk) * (group / 2)];
      for (int64_t i = 0; i < group / 2; ++i)
        dst[i] = packNibbles(code(blk * group + 2 * i),
                             code(blk * group + 2 * i + 1));
      float sv = (float)scale.asDouble(blk * nn + col);
      std::memcpy(&s[(col * blocks + blk) * 4], &sv, 4);
    }
    if (!symmetric)
      for (int64_t j = 0; j < zcols; ++j)
        z[col * zcols + j] = packNibbles(
            zeroAt(col, 2 * j), 2 * j + 1 < blocks ? zeroAt(col, 2 * j + 1) : 8);
  }
  GraphImporter::NBitsWeight r;
  r.weights = n.g.materializeBytes(TensorProto::INT8, {nn, blocks, group / 2}, w);
  r.scales = n.g.materializeBytes(TensorProto::FLOAT, {nn, blocks}, s);
  if (!symmetric)
    r.zeros = n.g.materializeBytes(TensorProto::INT8, {nn, zcols}, z);
  r.k = k;
  r.group = group;
  r.format = symmetric ? "symmetric" : "asymmetric";
  return r;
}

LogicalResult onnx_import::importDequantizeLinear4Bit(NodeContext &n) {
  auto x = readFourBit(n, 0, "x");
  if (failed(x))
    return failure();
  int64_t rank = x->shape.size();
  const HostTensor *scale = n.constantInput(1);
  if (!scale)
    return n.fail(describeInput(n, 1, "the scale") +
                  " must be a compile-time constant");
  if (!scale->isFloat())
    return n.fail("the scale must be floating-point");
  std::optional<FourBitTensor> zp;
  if (n.hasInput(2)) {
    if (n.inputOnnxType(2) != x->onnxType)
      return n.fail(std::string("the zero point must be of x's type ") +
                    onnxTypeName(x->onnxType) + ", got " +
                    onnxTypeName(n.inputOnnxType(2)));
    auto z = readFourBit(n, 2, "the zero point");
    if (failed(z))
      return failure();
    zp = std::move(*z);
  }
  if (zp && zp->shape != scale->shape)
    return n.fail("the scale and the zero point differ in shape");
  if (n.attrInt("output_dtype", 0) != 0 &&
      n.attrInt("output_dtype", 0) != scale->onnxType)
    return n.fail("output_dtype must be the scale's type");

  // Where each element of x finds its scale: per tensor, per axis or per
  // block along `axis` (ONNX's three forms).
  int64_t blockSize = n.attrInt("block_size", 0);
  std::optional<int64_t> axis = normalizeAxis(n.attrInt("axis", 1), rank);
  bool perTensor = scale->numElements() == 1 && scale->shape.size() <= 1 &&
                   blockSize == 0;
  if (!perTensor && !axis)
    return n.fail("axis out of range");
  if (blockSize < 0)
    return n.fail("block_size must not be negative");
  if (!perTensor && blockSize == 0 &&
      (scale->shape.size() != 1 || scale->shape[0] != x->shape[*axis]))
    return n.fail("a per-axis scale must be 1-D of size " +
                  std::to_string(x->shape[*axis]) + ", got " +
                  shapeString(scale->shape));
  if (blockSize > 0) {
    std::vector<int64_t> want = x->shape;
    want[*axis] = (want[*axis] + blockSize - 1) / blockSize;
    if (scale->shape != want)
      return n.fail("a blocked scale must have shape " + shapeString(want) +
                    ", got " + shapeString(scale->shape));
  }

  const std::string &out = n.node.output(0);
  if (blockSize >= 16 && llvm::isPowerOf2_64(blockSize) && rank == 2 &&
      *axis == 0 && scale->onnxType == TensorProto::FLOAT &&
      readOnlyAsMatMulB(n, out)) {
    GraphImporter::NBitsWeight w =
        repackForMatMul(n, *x, *scale, zp ? &*zp : nullptr, blockSize);
    Value placeholder = w.weights;
    n.g.nbitsWeights[out] = std::move(w);
    return n.setOutputs(placeholder, {TensorProto::FLOAT});
  }

  // Elsewhere: dequantize now, in f32 as onnxruntime does, then round to
  // the scale's type (f32 written directly: a large table must not pass
  // through the host's doubles).
  int64_t count = x->numElements();
  bool isF32 = scale->onnxType == TensorProto::FLOAT;
  if (!isF32 && count > kMaxFoldedElements)
    return n.fail("dequantizing " + std::to_string(count) + " elements to " +
                  onnxTypeName(scale->onnxType) +
                  " at import is beyond the limit of " +
                  std::to_string(kMaxFoldedElements));
  std::vector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * x->shape[d + 1];
  std::vector<int64_t> sStrides;
  if (!perTensor) {
    sStrides.assign(scale->shape.size(), 1);
    for (int64_t d = (int64_t)scale->shape.size() - 2; d >= 0; --d)
      sStrides[d] = sStrides[d + 1] * scale->shape[d + 1];
  }
  std::vector<float> y(count);
  for (int64_t e = 0; e < count; ++e) {
    int64_t si = 0;
    if (!perTensor) {
      int64_t along = (e / strides[*axis]) % x->shape[*axis];
      if (blockSize == 0) {
        si = along;
      } else {
        for (int64_t d = 0; d < rank; ++d) {
          int64_t c = (e / strides[d]) % x->shape[d];
          si += (d == *axis ? c / blockSize : c) * sStrides[d];
        }
      }
    }
    int zero = zp ? zp->codes[si] : 0;
    y[e] = (float)(x->codes[e] - zero) * (float)scale->asDouble(si);
  }
  if (isF32) {
    llvm::ArrayRef<char> bytes(reinterpret_cast<const char *>(y.data()),
                               y.size() * sizeof(float));
    return n.setOutputs(
        n.g.materializeBytes(TensorProto::FLOAT, x->shape, bytes),
        {TensorProto::FLOAT});
  }
  HostTensor h;
  h.onnxType = scale->onnxType;
  h.shape = x->shape;
  h.f.assign(y.begin(), y.end());
  return n.setOutputs(n.g.materialize(h), {h.onnxType});
}

LogicalResult
onnx_import::importMatMulNBitsWeight(NodeContext &n,
                                     const GraphImporter::NBitsWeight &w) {
  auto at = n.inputType(0);
  if (!at || !at.getElementType().isF32() || at.getRank() < 1 ||
      at.getDimSize(at.getRank() - 1) != w.k)
    return n.fail("A must be f32 with last dimension K = " +
                  std::to_string(w.k) + " to multiply the 4-bit weight " +
                  describeInput(n, 1, "B"));
  OpBuilder &b = n.builder();
  SmallVector<int64_t> outShape(at.getShape());
  outShape.back() =
      llvm::cast<RankedTensorType>(w.scales.getType()).getDimSize(0);
  Value y = MatMulNBitsOp::create(b, n.loc, tensorOf(outShape, b.getF32Type()),
                                  n.input(0), w.weights, w.scales, w.zeros,
                                  w.k, w.group, w.format);
  return n.setOutputs(y);
}

void onnx_import::registerNBitsOps(OpRegistry &r) {
  r.onOp("MatMulNBits", 1, importMatMulNBits, "com.microsoft");
}
