//===- Builders.cpp - IR building helpers shared by op importers ----------===//
#include "ImporterCore.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

RankedTensorType onnx_import::tensorOf(llvm::ArrayRef<int64_t> shape,
                                       Type elt) {
  return RankedTensorType::get(shape, elt);
}

Value onnx_import::reshapeTo(OpBuilder &b, Location loc, Value v,
                             llvm::ArrayRef<int64_t> shape) {
  auto ty = llvm::cast<RankedTensorType>(v.getType());
  if (ty.getShape() == shape)
    return v;
  ImplicitLocOpBuilder ib(loc, b);
  Value s = tosa::getTosaConstShape(ib, shape);
  return tosa::ReshapeOp::create(b, loc, ty.clone(shape), v, s);
}

Value onnx_import::transposeBy(OpBuilder &b, Location loc, Value v,
                               llvm::ArrayRef<int32_t> perm) {
  auto ty = llvm::cast<RankedTensorType>(v.getType());
  bool identity = true;
  SmallVector<int64_t> shape;
  for (size_t i = 0; i < perm.size(); ++i) {
    identity &= perm[i] == (int32_t)i;
    shape.push_back(ty.getDimSize(perm[i]));
  }
  if (identity)
    return v;
  return tosa::TransposeOp::create(b, loc, ty.clone(shape), v, perm);
}

Value onnx_import::splatConstant(OpBuilder &b, Location loc, Type elt,
                                 llvm::ArrayRef<int64_t> shape, double value) {
  auto ty = RankedTensorType::get(shape, elt);
  Attribute a;
  if (auto ft = llvm::dyn_cast<FloatType>(elt))
    a = DenseElementsAttr::get(ty, b.getFloatAttr(ft, value));
  else
    a = DenseElementsAttr::get(ty, b.getIntegerAttr(elt, (int64_t)value));
  return arith::ConstantOp::create(b, loc, llvm::cast<TypedAttr>(a));
}

std::optional<std::vector<int64_t>>
onnx_import::broadcastShapes(llvm::ArrayRef<int64_t> a,
                             llvm::ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::pair<Value, Value> onnx_import::equalizeRanks(OpBuilder &b, Location loc,
                                                   Value x, Value y) {
  auto tx = llvm::cast<RankedTensorType>(x.getType());
  auto ty = llvm::cast<RankedTensorType>(y.getType());
  auto lift = [&](Value v, RankedTensorType t, int64_t rank) {
    SmallVector<int64_t> shape(rank - t.getRank(), 1);
    shape.append(t.getShape().begin(), t.getShape().end());
    return reshapeTo(b, loc, v, shape);
  };
  if (tx.getRank() < ty.getRank())
    x = lift(x, tx, ty.getRank());
  else if (ty.getRank() < tx.getRank())
    y = lift(y, ty, tx.getRank());
  return {x, y};
}

Value onnx_import::zeroShift(OpBuilder &b, Location loc) {
  return splatConstant(b, loc, b.getI8Type(), {1}, 0);
}

template <typename OpTy, typename... Extra>
static Value binaryBroadcast(OpBuilder &b, Location loc, Value x, Value y,
                             Extra... extra) {
  auto [ex, ey] = equalizeRanks(b, loc, x, y);
  auto tx = llvm::cast<RankedTensorType>(ex.getType());
  auto ty = llvm::cast<RankedTensorType>(ey.getType());
  auto shape = broadcastShapes(tx.getShape(), ty.getShape());
  assert(shape && "callers check broadcast compatibility");
  return OpTy::create(b, loc, tx.clone(*shape), ex, ey, extra...);
}

Value onnx_import::mulBroadcast(OpBuilder &b, Location loc, Value x, Value y) {
  return binaryBroadcast<tosa::MulOp>(b, loc, x, y, zeroShift(b, loc));
}
Value onnx_import::addBroadcast(OpBuilder &b, Location loc, Value x, Value y) {
  return binaryBroadcast<tosa::AddOp>(b, loc, x, y);
}
Value onnx_import::subBroadcast(OpBuilder &b, Location loc, Value x, Value y) {
  return binaryBroadcast<tosa::SubOp>(b, loc, x, y);
}

std::optional<int64_t> onnx_import::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

Value onnx_import::buildElementwise(
    OpBuilder &b, Location loc, ValueRange inputs, Type resultElt,
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  std::vector<int64_t> shape;
  for (Value v : inputs) {
    auto s = broadcastShapes(shape, llvm::cast<RankedTensorType>(v.getType())
                                        .getShape());
    if (!s)
      return {};
    shape = *s;
  }
  int64_t rank = shape.size();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value v : inputs) {
    auto ty = llvm::cast<RankedTensorType>(v.getType());
    SmallVector<AffineExpr> exprs;
    int64_t offset = rank - ty.getRank();
    for (int64_t d = 0; d < ty.getRank(); ++d)
      exprs.push_back(ty.getDimSize(d) == 1 && shape[d + offset] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(d + offset, ctx));
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = tensor::EmptyOp::create(b, loc, shape, resultElt);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, body(nb, nl, args.drop_back()));
      });
  return op.getResult(0);
}

std::optional<HostTensor> onnx_import::foldBinaryOnHost(
    const HostTensor &a, const HostTensor &b,
    llvm::function_ref<double(double, double)> onFloat,
    llvm::function_ref<int64_t(int64_t, int64_t)> onInt) {
  auto shape = broadcastShapes(a.shape, b.shape);
  if (!shape)
    return std::nullopt;
  HostTensor r;
  r.onnxType = a.onnxType;
  r.shape = *shape;
  int64_t n = r.numElements();
  if (n > kHostFoldLimit)
    return std::nullopt;
  size_t rank = shape->size();
  // Index of an output element in an operand, honouring broadcast dims.
  auto sourceIndex = [&](const HostTensor &t, int64_t flat) {
    int64_t idx = 0, stride = 1;
    for (size_t d = rank; d-- > 0;) {
      int64_t coord = flat % (*shape)[d];
      flat /= (*shape)[d];
      size_t td = d + t.shape.size();
      if (td < rank)
        continue; // a leading dim the operand does not have
      td -= rank;
      int64_t dim = t.shape[td];
      idx += (dim == 1 ? 0 : coord) * stride;
      stride *= dim;
    }
    return idx;
  };
  if (r.isFloat())
    r.f.resize(n);
  else
    r.i.resize(n);
  for (int64_t k = 0; k < n; ++k) {
    int64_t ia = sourceIndex(a, k), ib = sourceIndex(b, k);
    if (r.isFloat())
      r.f[k] = onFloat(a.asDouble(ia), b.asDouble(ib));
    else
      r.i[k] = onInt(a.asInt(ia), b.asInt(ib));
  }
  return r;
}
