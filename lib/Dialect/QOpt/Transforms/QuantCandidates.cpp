//===- QuantCandidates.cpp - What the int8 recipes quantize ---------------===//
#include "QuantCandidates.h"

#include "RewriteUtils.h"
#include "qopt/Dialect/QOpt/IR/NodeLocation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qopt;

/// The constant attribute behind `v` (through reshapes and transposes),
/// when it is a static f32 tensor.
static TypedAttr constantSource(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto r = dyn_cast<tosa::ReshapeOp>(def)) {
      v = r.getInput1();
      continue;
    }
    if (auto t = dyn_cast<tosa::TransposeOp>(def)) {
      v = t.getInput1();
      continue;
    }
    TypedAttr value;
    if (auto c = dyn_cast<arith::ConstantOp>(def))
      value = c.getValue();
    else if (auto c = dyn_cast<tosa::ConstOp>(def))
      value = c.getValues();
    auto type = dyn_cast_or_null<RankedTensorType>(value ? value.getType() : Type());
    if (!type || !type.getElementType().isF32() || !type.hasStaticShape())
      return {};
    return value;
  }
  return {};
}

std::optional<std::vector<float>> mlir::qopt::constantValues(Value v) {
  if (auto r = v.getDefiningOp<tosa::ReshapeOp>())
    return constantValues(r.getInput1()); // row-major order is unchanged
  if (auto t = v.getDefiningOp<tosa::TransposeOp>()) {
    auto values = constantValues(t.getInput1());
    auto type = dyn_cast<RankedTensorType>(t.getInput1().getType());
    if (!values || !type)
      return std::nullopt;
    SmallVector<int64_t> perm(t.getPerms().begin(), t.getPerms().end());
    std::vector<char> bytes = permuteBytes(
        ArrayRef<char>(reinterpret_cast<const char *>(values->data()),
                       values->size() * 4),
        type.getShape(), perm, 4);
    std::memcpy(values->data(), bytes.data(), bytes.size());
    return values;
  }
  TypedAttr value = constantSource(v);
  if (!value)
    return std::nullopt;
  auto type = cast<RankedTensorType>(value.getType());
  if (auto dense = dyn_cast<DenseElementsAttr>(value))
    return std::vector<float>(dense.getValues<float>().begin(),
                              dense.getValues<float>().end());
  auto res = dyn_cast<DenseResourceElementsAttr>(value);
  if (!res || !res.getRawHandle().getBlob())
    return std::nullopt;
  ArrayRef<char> raw = res.getRawHandle().getBlob()->getData();
  if (raw.size() != static_cast<size_t>(type.getNumElements()) * 4)
    return std::nullopt;
  std::vector<float> out(type.getNumElements());
  std::memcpy(out.data(), raw.data(), raw.size());
  return out;
}

std::optional<std::vector<float>>
mlir::qopt::channelConstant(Value c, int64_t axis, int64_t channels) {
  auto type = dyn_cast<RankedTensorType>(c.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
    return std::nullopt;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.getDimSize(d) != 1 &&
        (d != axis || type.getDimSize(d) != channels))
      return std::nullopt;
  auto values = constantValues(c);
  if (!values)
    return std::nullopt;
  if (values->size() == 1)
    values->assign(channels, values->front());
  return values;
}

void mlir::qopt::forEachProduct(func::FuncOp f,
                                function_ref<void(tosa::MatMulOp)> onMatMul,
                                function_ref<void(tosa::Conv2DOp)> onConv) {
  SmallVector<Operation *> ops;
  f.walk([&](Operation *op) {
    if (isa<tosa::MatMulOp, tosa::Conv2DOp>(op))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    if (auto mm = dyn_cast<tosa::MatMulOp>(op))
      onMatMul(mm);
    else
      onConv(cast<tosa::Conv2DOp>(op));
  }
}

std::vector<QuantCandidate> mlir::qopt::findQuantCandidates(func::FuncOp f,
                                                            int64_t minElements) {
  std::vector<QuantCandidate> found;
  llvm::StringMap<unsigned> seen;
  f.walk([&](Operation *op) {
    Value x, w;
    if (auto mm = dyn_cast<tosa::MatMulOp>(op)) {
      auto wType = dyn_cast<RankedTensorType>(mm.getB().getType());
      if (!wType || wType.getRank() != 3 || wType.getDimSize(0) != 1)
        return;
      x = mm.getA();
      w = mm.getB();
    } else if (auto conv = dyn_cast<tosa::Conv2DOp>(op)) {
      x = conv.getInput();
      w = conv.getWeight();
    } else {
      return;
    }
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    auto wType = dyn_cast<RankedTensorType>(w.getType());
    if (!xType || !xType.hasStaticShape() || !xType.getElementType().isF32() ||
        !wType || !wType.hasStaticShape() || !constantSource(w) ||
        wType.getNumElements() < minElements)
      return;
    std::string base;
    if (auto origin = getNodeOrigin(op->getLoc()))
      base = !origin->nodeName.empty() ? origin->nodeName.str()
                                       : origin->opType.str();
    if (base.empty())
      base = op->getName().stripDialect().str();
    unsigned n = seen[base]++;
    std::string key = n ? base + "#" + std::to_string(n) : base;
    found.push_back({op, x, w, std::move(key)});
  });
  return found;
}

unsigned mlir::qopt::outputChannelDim(Operation *product) {
  return isa<tosa::MatMulOp>(product) ? 2 : 0;
}

std::optional<QuantizedWeight>
mlir::qopt::quantizeProductWeight(Operation *product, Value weight,
                                  ::qopt::WeightScaleGrid grid) {
  auto values = constantValues(weight);
  if (!values)
    return std::nullopt;
  auto type = cast<RankedTensorType>(weight.getType());
  unsigned dim = outputChannelDim(product);
  int64_t inner = 1;
  for (int64_t d = dim + 1; d < type.getRank(); ++d)
    inner *= type.getDimSize(d);
  return quantizePerChannel(*values, type.getDimSize(dim), inner, grid);
}

Value mlir::qopt::int8ZeroPoint(OpBuilder &b, Location loc) {
  auto type = RankedTensorType::get({1}, b.getI8Type());
  return tosa::ConstOp::create(b, loc, type,
                               DenseElementsAttr::get(type, int8_t(0)));
}

AffineMap mlir::qopt::biasMap(Value bias, RankedTensorType result) {
  MLIRContext *ctx = bias.getContext();
  unsigned rank = result.getRank();
  bool perChannel = cast<RankedTensorType>(bias.getType()).getDimSize(0) ==
                    result.getDimSize(rank - 1);
  return AffineMap::get(rank, 0,
                        perChannel ? getAffineDimExpr(rank - 1, ctx)
                                   : getAffineConstantExpr(0, ctx),
                        ctx);
}

Value mlir::qopt::resourceConstant(OpBuilder &b, Location loc,
                                   RankedTensorType type, ArrayRef<char> bytes,
                                   StringRef key, size_t align) {
  auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align);
  auto attr = DenseResourceElementsAttr::get(type, key, std::move(blob));
  return arith::ConstantOp::create(b, loc, type, attr);
}
