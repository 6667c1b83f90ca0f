//===- ImportReduction.cpp - ONNX reductions and normalisations -----------===//
//
// Reductions become chains of tosa.reduce_* (one axis each, dims kept) where
// TOSA takes the element type (f32/f16/bf16, and i32 for sum/max/min), else
// one linalg.reduce over all axes. Arg{Max,Min}, Hardmax and CumSum are
// linalg.generic ops with reduction iterators. Normalisations compose the
// reductions with elementwise ops and accumulate in f32 for f16/bf16 inputs.
//
//===----------------------------------------------------------------------===//
#include "ImporterCore.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {
/// How a reduction combines two elements.
enum class Combine { Sum, Prod, Max, Min };
enum class UnOp { Abs, Exp, Log, Sqrt, Rsqrt, Square };
enum class BinOp { Add, Sub, Mul, Div };
} // namespace

/// Float types TOSA's elementwise and reduction ops take.
static bool isTosaFloat(Type t) { return t.isF32() || t.isF16() || t.isBF16(); }

static RankedTensorType typeOf(Value v) {
  return llvm::cast<RankedTensorType>(v.getType());
}

/// Reshape for any element type: tosa.reshape for the types TOSA takes,
/// tensor.collapse_shape / expand_shape otherwise (and for rank 0).
static Value reshapeAny(OpBuilder &b, Location loc, Value v,
                        llvm::ArrayRef<int64_t> shape) {
  auto ty = typeOf(v);
  if (ty.getShape() == shape)
    return v;
  Type elt = ty.getElementType();
  if (!shape.empty() && ty.getRank() > 0 &&
      (isTosaFloat(elt) || elt.isInteger(32) || elt.isInteger(8)))
    return reshapeTo(b, loc, v, shape);
  auto dst = ty.clone(shape);
  if (dst.getRank() < ty.getRank())
    if (auto re = getReassociationIndicesForReshape(ty, dst))
      return tensor::CollapseShapeOp::create(b, loc, dst, v, *re);
  if (dst.getRank() > ty.getRank())
    if (auto re = getReassociationIndicesForReshape(ty, dst))
      return tensor::ExpandShapeOp::create(b, loc, dst, v, *re);
  // General case: through 1-D.
  int64_t n = ty.getNumElements();
  auto flatTy = ty.clone({n});
  Value flat = v;
  if (ty.getRank() != 1)
    flat = tensor::CollapseShapeOp::create(
        b, loc, flatTy, v, *getReassociationIndicesForReshape(ty, flatTy));
  if (dst.getRank() == 1)
    return flat;
  return tensor::ExpandShapeOp::create(
      b, loc, dst, flat, *getReassociationIndicesForReshape(flatTy, dst));
}

/// Converts between float types (tosa.cast between TOSA floats).
static Value castFloat(OpBuilder &b, Location loc, Value v, Type to) {
  auto ty = typeOf(v);
  Type from = ty.getElementType();
  if (from == to)
    return v;
  if (isTosaFloat(from) && isTosaFloat(to))
    return tosa::CastOp::create(b, loc, ty.clone(to), v);
  bool widen = from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth();
  return buildElementwise(b, loc, {v}, to,
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            return widen ? (Value)arith::ExtFOp::create(
                                               nb, nl, to, a[0])
                                         : (Value)arith::TruncFOp::create(
                                               nb, nl, to, a[0]);
                          });
}

/// The type numerically sensitive ops compute in: f32 for 16-bit floats.
static Type accumulationType(Type elt) {
  return elt.isF16() || elt.isBF16() ? Float32Type::get(elt.getContext())
                                     : elt;
}

static Value unary(OpBuilder &b, Location loc, UnOp op, Value x) {
  auto ty = typeOf(x);
  Type elt = ty.getElementType();
  if (isTosaFloat(elt)) {
    switch (op) {
    case UnOp::Abs:
      return tosa::AbsOp::create(b, loc, ty, x);
    case UnOp::Exp:
      return tosa::ExpOp::create(b, loc, ty, x);
    case UnOp::Log:
      return tosa::LogOp::create(b, loc, ty, x);
    case UnOp::Rsqrt:
      return tosa::RsqrtOp::create(b, loc, ty, x);
    case UnOp::Square:
      return mulBroadcast(b, loc, x, x);
    case UnOp::Sqrt: // TOSA has no sqrt
      break;
    }
  }
  bool isFloat = llvm::isa<FloatType>(elt);
  return buildElementwise(
      b, loc, {x}, elt, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value v = a[0];
        switch (op) {
        case UnOp::Abs:
          return isFloat ? (Value)math::AbsFOp::create(nb, nl, v)
                         : (Value)math::AbsIOp::create(nb, nl, v);
        case UnOp::Exp:
          return math::ExpOp::create(nb, nl, v);
        case UnOp::Log:
          return math::LogOp::create(nb, nl, v);
        case UnOp::Sqrt:
          return math::SqrtOp::create(nb, nl, v);
        case UnOp::Rsqrt:
          return math::RsqrtOp::create(nb, nl, v);
        case UnOp::Square:
          return isFloat ? (Value)arith::MulFOp::create(nb, nl, v, v)
                         : (Value)arith::MulIOp::create(nb, nl, v, v);
        }
        llvm_unreachable("unknown unary op");
      });
}

/// x op y with numpy broadcasting; TOSA for TOSA floats (except division,
/// which is exact here rather than a reciprocal multiply).
static Value binary(OpBuilder &b, Location loc, BinOp op, Value x, Value y,
                    bool isUnsigned = false) {
  Type elt = typeOf(x).getElementType();
  if (isTosaFloat(elt)) {
    switch (op) {
    case BinOp::Add:
      return addBroadcast(b, loc, x, y);
    case BinOp::Sub:
      return subBroadcast(b, loc, x, y);
    case BinOp::Mul:
      return mulBroadcast(b, loc, x, y);
    case BinOp::Div:
      break;
    }
  }
  bool isFloat = llvm::isa<FloatType>(elt);
  return buildElementwise(
      b, loc, {x, y}, elt,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        switch (op) {
        case BinOp::Add:
          return isFloat ? (Value)arith::AddFOp::create(nb, nl, a[0], a[1])
                         : (Value)arith::AddIOp::create(nb, nl, a[0], a[1]);
        case BinOp::Sub:
          return isFloat ? (Value)arith::SubFOp::create(nb, nl, a[0], a[1])
                         : (Value)arith::SubIOp::create(nb, nl, a[0], a[1]);
        case BinOp::Mul:
          return isFloat ? (Value)arith::MulFOp::create(nb, nl, a[0], a[1])
                         : (Value)arith::MulIOp::create(nb, nl, a[0], a[1]);
        case BinOp::Div:
          if (isFloat)
            return arith::DivFOp::create(nb, nl, a[0], a[1]);
          if (isUnsigned)
            return arith::DivUIOp::create(nb, nl, a[0], a[1]);
          return arith::DivSIOp::create(nb, nl, a[0], a[1]);
        }
        llvm_unreachable("unknown binary op");
      });
}

/// A rank-1 single-element constant of `v`'s element type.
static Value scalarLike(OpBuilder &b, Location loc, Value v, double value) {
  return splatConstant(b, loc, typeOf(v).getElementType(), {1}, value);
}

/// The identity of `c` for `elt` (0, 1, -inf/+inf or the integer extremes).
static TypedAttr identityAttr(OpBuilder &b, Type elt, Combine c,
                              bool isUnsigned) {
  if (auto ft = llvm::dyn_cast<FloatType>(elt)) {
    const auto &sem = ft.getFloatSemantics();
    switch (c) {
    case Combine::Sum:
      return b.getFloatAttr(ft, 0.0);
    case Combine::Prod:
      return b.getFloatAttr(ft, 1.0);
    case Combine::Max:
      return b.getFloatAttr(ft, APFloat::getInf(sem, /*Negative=*/true));
    case Combine::Min:
      return b.getFloatAttr(ft, APFloat::getInf(sem, /*Negative=*/false));
    }
  }
  unsigned w = elt.getIntOrFloatBitWidth();
  switch (c) {
  case Combine::Sum:
    return b.getIntegerAttr(elt, 0);
  case Combine::Prod:
    return b.getIntegerAttr(elt, 1);
  case Combine::Max:
    return b.getIntegerAttr(elt, isUnsigned ? APInt::getMinValue(w)
                                            : APInt::getSignedMinValue(w));
  case Combine::Min:
    return b.getIntegerAttr(elt, isUnsigned ? APInt::getMaxValue(w)
                                            : APInt::getSignedMaxValue(w));
  }
  llvm_unreachable("unknown combine");
}

static Value combine(OpBuilder &b, Location loc, Combine c, Value x, Value y,
                     bool isUnsigned) {
  bool isFloat = llvm::isa<FloatType>(x.getType());
  switch (c) {
  case Combine::Sum:
    return isFloat ? (Value)arith::AddFOp::create(b, loc, x, y)
                   : (Value)arith::AddIOp::create(b, loc, x, y);
  case Combine::Prod:
    return isFloat ? (Value)arith::MulFOp::create(b, loc, x, y)
                   : (Value)arith::MulIOp::create(b, loc, x, y);
  case Combine::Max:
    if (isFloat)
      return arith::MaximumFOp::create(b, loc, x, y);
    return isUnsigned ? (Value)arith::MaxUIOp::create(b, loc, x, y)
                      : (Value)arith::MaxSIOp::create(b, loc, x, y);
  case Combine::Min:
    if (isFloat)
      return arith::MinimumFOp::create(b, loc, x, y);
    return isUnsigned ? (Value)arith::MinUIOp::create(b, loc, x, y)
                      : (Value)arith::MinSIOp::create(b, loc, x, y);
  }
  llvm_unreachable("unknown combine");
}

/// Reduces `x` over `axes` (sorted, unique), keeping them as size-1 dims.
static Value reduceKeepDims(OpBuilder &b, Location loc, Value x,
                            llvm::ArrayRef<int64_t> axes, Combine c,
                            bool isUnsigned) {
  auto ty = typeOf(x);
  Type elt = ty.getElementType();
  if (axes.empty())
    return x;
  SmallVector<int64_t> keepShape(ty.getShape());
  for (int64_t a : axes)
    keepShape[a] = 1;
  bool tosaInt = elt.isInteger(32) && !isUnsigned && c != Combine::Prod;
  if (isTosaFloat(elt) || tosaInt) {
    SmallVector<int64_t> shape(ty.getShape());
    for (int64_t a : axes) {
      shape[a] = 1;
      auto rt = ty.clone(shape);
      auto axis = b.getI32IntegerAttr(a);
      switch (c) {
      case Combine::Sum:
        x = tosa::ReduceSumOp::create(b, loc, rt, x, axis);
        break;
      case Combine::Prod:
        x = tosa::ReduceProductOp::create(b, loc, rt, x, axis);
        break;
      case Combine::Max:
        x = tosa::ReduceMaxOp::create(b, loc, rt, x, axis);
        break;
      case Combine::Min:
        x = tosa::ReduceMinOp::create(b, loc, rt, x, axis);
        break;
      }
    }
    return x;
  }
  SmallVector<int64_t> kept;
  for (int64_t d = 0; d < ty.getRank(); ++d)
    if (!llvm::is_contained(axes, d))
      kept.push_back(ty.getDimSize(d));
  Value init = tensor::EmptyOp::create(b, loc, kept, elt);
  Value id = arith::ConstantOp::create(b, loc,
                                       identityAttr(b, elt, c, isUnsigned));
  init = linalg::FillOp::create(b, loc, ValueRange{id}, ValueRange{init})
             .getResult(0);
  auto red = linalg::ReduceOp::create(
      b, loc, ValueRange{x}, ValueRange{init}, axes,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(
            nb, nl, combine(nb, nl, c, args[0], args[1], isUnsigned));
      });
  return reshapeAny(b, loc, red.getResult(0), keepShape);
}

/// Shape without the dims in `axes`.
static SmallVector<int64_t> dropAxes(llvm::ArrayRef<int64_t> shape,
                                     llvm::ArrayRef<int64_t> axes) {
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < (int64_t)shape.size(); ++d)
    if (!llvm::is_contained(axes, d))
      out.push_back(shape[d]);
  return out;
}

/// The statically declared shape of output `i` (graph output or value_info),
/// when every dim is known.
static std::optional<std::vector<int64_t>> declaredShape(NodeContext &n,
                                                         int i) {
  const std::string &name = n.node.output(i);
  auto find = [&](const auto &list) -> const onnx::ValueInfoProto * {
    for (const auto &vi : list)
      if (vi.name() == name)
        return &vi;
    return nullptr;
  };
  const auto &graph = n.g.model.graph();
  const onnx::ValueInfoProto *vi = find(graph.output());
  if (!vi)
    vi = find(graph.value_info());
  if (!vi || !vi->type().has_tensor_type() ||
      !vi->type().tensor_type().has_shape())
    return std::nullopt;
  std::vector<int64_t> dims;
  for (const auto &d : vi->type().tensor_type().shape().dim()) {
    if (!d.has_dim_value())
      return std::nullopt;
    dims.push_back(d.dim_value());
  }
  return dims;
}

/// Normalises, sorts and uniques axes; fails on an out-of-range axis.
static FailureOr<SmallVector<int64_t>>
normalizeAxes(NodeContext &n, llvm::ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    auto na = normalizeAxis(a, rank);
    if (!na || (rank == 0))
      return n.fail("axis " + std::to_string(a) + " is out of range for rank " +
                    std::to_string(rank));
    out.push_back(*na);
  }
  llvm::sort(out);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// Candidate axes of a reduction whose `axes` input is not a compile-time
/// constant, from the node's declared output shape. With keepdims the reduced
/// dims are those whose size changes (reducing a size-1 dim changes
/// nothing): one candidate. Without, every way of deleting dims of the input
/// that leaves the declared shape, one per distinct set of non-unit dims; the
/// caller selects among them at run time.
static FailureOr<SmallVector<SmallVector<int64_t>>>
axesFromDeclaredShape(NodeContext &n, llvm::ArrayRef<int64_t> in,
                      bool keepdims) {
  auto fail = [&](llvm::StringRef why) {
    return n.fail("input 'axes' is not a compile-time constant and " + why +
                  "; make it an initializer or Constant");
  };
  auto out = declaredShape(n, 0);
  if (!out)
    return fail("the output has no static declared shape");
  int64_t rank = in.size(), outRank = out->size();
  if (keepdims) {
    if (outRank != rank)
      return fail("the declared output rank differs from the input rank");
    SmallVector<int64_t> axes;
    for (int64_t d = 0; d < rank; ++d) {
      if ((*out)[d] == in[d])
        continue;
      if ((*out)[d] != 1)
        return fail("the declared output shape is not a reduction of the "
                    "input shape");
      axes.push_back(d);
    }
    return SmallVector<SmallVector<int64_t>>{axes};
  }
  if (outRank > rank || rank > 16)
    return fail("the declared output rank is not a reduction of the input");
  SmallVector<SmallVector<int64_t>> found, foundNonUnit;
  for (uint64_t mask = 0; mask < (1ull << rank); ++mask) {
    if ((int64_t)llvm::popcount(mask) != rank - outRank)
      continue;
    SmallVector<int64_t> removed, keptShape, nonUnit;
    for (int64_t d = 0; d < rank; ++d) {
      if (mask >> d & 1) {
        removed.push_back(d);
        if (in[d] != 1)
          nonUnit.push_back(d);
      } else {
        keptShape.push_back(in[d]);
      }
    }
    if (llvm::ArrayRef<int64_t>(keptShape) != llvm::ArrayRef<int64_t>(*out) ||
        llvm::is_contained(foundNonUnit, nonUnit))
      continue;
    found.push_back(removed);
    foundNonUnit.push_back(nonUnit);
  }
  if (found.empty())
    return fail("the declared output shape is not a reduction of the input "
                "shape");
  return found;
}

namespace {
/// The axes of a reduction: one set known at compile time, or several
/// candidates selected at run time by the `axes` input. `identity` when
/// axes are empty and noop_with_empty_axes is set.
struct ReductionAxes {
  SmallVector<SmallVector<int64_t>> candidates;
  bool identity = false;
};
} // namespace

/// The axes a reduction reduces (each sorted, unique). `axesInputSince` is
/// the opset from which axes is an input rather than an attribute.
static FailureOr<ReductionAxes> reductionAxes(NodeContext &n,
                                              int64_t axesInputSince) {
  auto ty = n.inputType(0);
  int64_t rank = ty.getRank();
  bool keepdims = n.attrInt("keepdims", 1) != 0;
  ReductionAxes res;
  std::vector<int64_t> axes;
  if (n.opset >= axesInputSince && n.hasInput(1)) {
    if (const HostTensor *t = n.constantInput(1)) {
      for (int64_t k = 0; k < t->numElements(); ++k)
        axes.push_back(t->asInt(k));
    } else {
      auto at = n.inputType(1);
      if (at.getRank() != 1)
        return n.fail("input 'axes' must be 1-D");
      if (at.getDimSize(0) != 0) {
        auto found = axesFromDeclaredShape(n, ty.getShape(), keepdims);
        if (failed(found))
          return failure();
        res.candidates = std::move(*found);
        return res;
      }
    }
  } else if (n.opset < axesInputSince) {
    axes = n.attrInts("axes");
  }
  if (axes.empty()) {
    res.identity = n.attrInt("noop_with_empty_axes", 0) != 0;
    SmallVector<int64_t> all;
    for (int64_t d = 0; d < rank && !res.identity; ++d)
      all.push_back(d);
    res.candidates.push_back(all);
    return res;
  }
  auto norm = normalizeAxes(n, axes, rank);
  if (failed(norm))
    return failure();
  res.candidates.push_back(*norm);
  return res;
}

/// A rank-0 i1 tensor: whether every element of the runtime `axes` (1-D,
/// negative values counting from the end) lies in `candidate`.
static Value axesMatch(OpBuilder &b, Location loc, Value axes, int64_t rank,
                       llvm::ArrayRef<int64_t> candidate) {
  MLIRContext *ctx = b.getContext();
  Type i1 = b.getI1Type();
  Value init = tensor::EmptyOp::create(b, loc, llvm::ArrayRef<int64_t>{}, i1);
  Value t = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  init = linalg::FillOp::create(b, loc, ValueRange{t}, ValueRange{init})
             .getResult(0);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(1, ctx),
                                 AffineMap::get(1, 0, {}, ctx)};
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{axes}, ValueRange{init},
      maps, {utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Type at = args[0].getType();
        Value a = args[0];
        Value zero = arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(at, 0));
        Value rk = arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(at, rank));
        Value neg =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, a, zero);
        a = arith::SelectOp::create(nb, nl, neg,
                                    arith::AddIOp::create(nb, nl, a, rk), a);
        Value in = arith::ConstantOp::create(nb, nl, nb.getBoolAttr(false));
        for (int64_t d : candidate) {
          Value c = arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(at, d));
          in = arith::OrIOp::create(
              nb, nl, in,
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, a, c));
        }
        linalg::YieldOp::create(
            nb, nl, ValueRange{arith::AndIOp::create(nb, nl, args[1], in)});
      });
  return op.getResult(0);
}

//===----------------------------------------------------------------------===//
// Reduce*
//===----------------------------------------------------------------------===//

namespace {
enum class ReduceKind {
  Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare
};
} // namespace

/// One reduction of `x` (in its compute type) over `axes`, dims kept.
static Value buildReduce(OpBuilder &b, Location loc, ReduceKind kind, Value x,
                         llvm::ArrayRef<int64_t> axes, bool isUnsigned) {
  auto ty = typeOf(x);
  bool isFloat = llvm::isa<FloatType>(ty.getElementType());
  int64_t count = 1;
  for (int64_t a : axes)
    count *= ty.getDimSize(a);
  auto reduce = [&](Value v, Combine c) {
    return reduceKeepDims(b, loc, v, axes, c, isUnsigned);
  };
  switch (kind) {
  case ReduceKind::Sum:
    return reduce(x, Combine::Sum);
  case ReduceKind::Mean: {
    Value r = reduce(x, Combine::Sum);
    if (count == 1)
      return r;
    if (isFloat)
      return binary(b, loc, BinOp::Mul, r,
                    scalarLike(b, loc, r, 1.0 / (double)count));
    return binary(b, loc, BinOp::Div, r, scalarLike(b, loc, r, (double)count),
                  isUnsigned);
  }
  case ReduceKind::Max:
    return reduce(x, Combine::Max);
  case ReduceKind::Min:
    return reduce(x, Combine::Min);
  case ReduceKind::Prod:
    return reduce(x, Combine::Prod);
  case ReduceKind::L1:
    return reduce(isUnsigned ? x : unary(b, loc, UnOp::Abs, x), Combine::Sum);
  case ReduceKind::L2:
    return unary(b, loc, UnOp::Sqrt,
                 reduce(unary(b, loc, UnOp::Square, x), Combine::Sum));
  case ReduceKind::LogSum:
    return unary(b, loc, UnOp::Log, reduce(x, Combine::Sum));
  case ReduceKind::LogSumExp: {
    // max + log(sum(exp(x - max))): no overflow for large inputs.
    Value m = reduce(x, Combine::Max);
    Value e = unary(b, loc, UnOp::Exp, binary(b, loc, BinOp::Sub, x, m));
    return binary(b, loc, BinOp::Add, m,
                  unary(b, loc, UnOp::Log, reduce(e, Combine::Sum)));
  }
  case ReduceKind::SumSquare:
    return reduce(unary(b, loc, UnOp::Square, x), Combine::Sum);
  }
  llvm_unreachable("unknown reduction");
}

static LogicalResult importReduce(NodeContext &n, ReduceKind kind,
                                  int64_t axesInputSince) {
  auto ty = n.inputType(0);
  if (!ty)
    return n.fail("expects an input");
  Type elt = ty.getElementType();
  bool isFloat = llvm::isa<FloatType>(elt);
  bool isUnsigned = isUnsignedOnnxType(n.inputOnnxType(0));
  if (!isFloat && !llvm::isa<IntegerType>(elt))
    return n.fail("unsupported element type");
  if (!isFloat && (kind == ReduceKind::L2 || kind == ReduceKind::LogSum ||
                   kind == ReduceKind::LogSumExp))
    return n.fail("integer inputs are not supported (" +
                  std::string(onnxTypeName(n.inputOnnxType(0))) + ")");
  auto axesOr = reductionAxes(n, axesInputSince);
  if (failed(axesOr))
    return failure();
  bool keepdims = n.attrInt("keepdims", 1) != 0;
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  bool minMax = kind == ReduceKind::Max || kind == ReduceKind::Min;
  Value x = n.input(0);
  if (isFloat)
    x = castFloat(b, loc, x, minMax ? elt : accumulationType(elt));

  // Identity reductions (noop_with_empty_axes) have no axes but still apply
  // the element maps (ReduceSumSquare of nothing is the square).
  SmallVector<Value> results;
  for (const auto &axes : axesOr->candidates) {
    Value r = buildReduce(b, loc, kind, x, axes, isUnsigned);
    if (isFloat)
      r = castFloat(b, loc, r, elt);
    if (!keepdims)
      r = reshapeAny(b, loc, r, dropAxes(ty.getShape(), axes));
    results.push_back(r);
  }
  Value r = results.front();
  if (results.size() > 1) {
    // Axes known only at run time: select the candidate they name.
    SmallVector<Value> inputs;
    for (const auto &axes : axesOr->candidates)
      inputs.push_back(axesMatch(b, loc, n.input(1), ty.getRank(), axes));
    inputs.append(results);
    size_t m = results.size();
    r = buildElementwise(b, loc, inputs, typeOf(r).getElementType(),
                         [&](OpBuilder &nb, Location nl, ValueRange a) {
                           Value v = a[2 * m - 1];
                           for (int64_t k = m - 2; k >= 0; --k)
                             v = arith::SelectOp::create(nb, nl, a[k],
                                                         a[m + k], v);
                           return v;
                         });
  }
  return n.setOutputs(r, {n.inputOnnxType(0)});
}

//===----------------------------------------------------------------------===//
// ArgMax, ArgMin, Hardmax
//===----------------------------------------------------------------------===//

/// Index (i64) of the max (or min) of `x` along `axis`, the axis dropped.
/// Ties go to the first index, or the last with `lastIndex`.
static Value argExtreme(OpBuilder &b, Location loc, Value x, int64_t axis,
                        bool isMax, bool lastIndex, bool isUnsigned) {
  auto ty = typeOf(x);
  Type elt = ty.getElementType();
  int64_t rank = ty.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> outShape = dropAxes(ty.getShape(), {axis});
  Type i64 = b.getI64Type();
  Value vInit = tensor::EmptyOp::create(b, loc, outShape, elt);
  Value iInit = tensor::EmptyOp::create(b, loc, outShape, i64);
  Value vId = arith::ConstantOp::create(
      b, loc,
      identityAttr(b, elt, isMax ? Combine::Max : Combine::Min, isUnsigned));
  Value iId = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
  vInit = linalg::FillOp::create(b, loc, ValueRange{vId}, ValueRange{vInit})
              .getResult(0);
  iInit = linalg::FillOp::create(b, loc, ValueRange{iId}, ValueRange{iInit})
              .getResult(0);
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      outExprs.push_back(getAffineDimExpr(d, ctx));
  auto outMap = AffineMap::get(rank, 0, outExprs, ctx);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank), outMap,
                                 outMap};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters[axis] = utils::IteratorType::reduction;
  bool isFloat = llvm::isa<FloatType>(elt);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{vInit.getType(), iInit.getType()}, ValueRange{x},
      ValueRange{vInit, iInit}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value v = args[0], best = args[1], bestIdx = args[2];
        Value idx = arith::IndexCastOp::create(
            nb, nl, i64, linalg::IndexOp::create(nb, nl, axis));
        Value take;
        if (isFloat) {
          auto pred = isMax ? (lastIndex ? arith::CmpFPredicate::OGE
                                         : arith::CmpFPredicate::OGT)
                            : (lastIndex ? arith::CmpFPredicate::OLE
                                         : arith::CmpFPredicate::OLT);
          take = arith::CmpFOp::create(nb, nl, pred, v, best);
        } else {
          using P = arith::CmpIPredicate;
          P pred = isMax ? (lastIndex ? (isUnsigned ? P::uge : P::sge)
                                      : (isUnsigned ? P::ugt : P::sgt))
                         : (lastIndex ? (isUnsigned ? P::ule : P::sle)
                                      : (isUnsigned ? P::ult : P::slt));
          take = arith::CmpIOp::create(nb, nl, pred, v, best);
        }
        Value nv = arith::SelectOp::create(nb, nl, take, v, best);
        Value ni = arith::SelectOp::create(nb, nl, take, idx, bestIdx);
        linalg::YieldOp::create(nb, nl, ValueRange{nv, ni});
      });
  return op.getResult(1);
}

static LogicalResult importArg(NodeContext &n, bool isMax) {
  auto ty = n.inputType(0);
  if (!ty || ty.getRank() == 0)
    return n.fail("expects an input of rank >= 1");
  Type elt = ty.getElementType();
  if (!llvm::isa<FloatType, IntegerType>(elt))
    return n.fail("unsupported element type");
  auto axis = normalizeAxis(n.attrInt("axis", 0), ty.getRank());
  if (!axis)
    return n.fail("axis out of range");
  OpBuilder &b = n.builder();
  Value r = argExtreme(b, n.loc, n.input(0), *axis, isMax,
                       n.attrInt("select_last_index", 0) != 0,
                       isUnsignedOnnxType(n.inputOnnxType(0)));
  if (n.attrInt("keepdims", 1)) {
    SmallVector<int64_t> shape(ty.getShape());
    shape[*axis] = 1;
    r = reshapeAny(b, n.loc, r, shape);
  }
  return n.setOutputs(r);
}

/// Calls `along(x2d, 1)` on `x` coerced to 2-D at `axis` (ONNX before opset
/// 13: dims before axis are rows, the rest columns) and restores the shape.
static Value alongCoerced2D(OpBuilder &b, Location loc, Value x, int64_t axis,
                            llvm::function_ref<Value(Value, int64_t)> along) {
  auto ty = typeOf(x);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ty.getRank(); ++d)
    (d < axis ? outer : inner) *= ty.getDimSize(d);
  Value flat = reshapeAny(b, loc, x, {outer, inner});
  return reshapeAny(b, loc, along(flat, 1), ty.getShape());
}

/// The axis of Softmax-like ops: along `axis` from opset 13 (default -1),
/// coerced 2-D before (default 1). Returns {axis, coerced}.
static FailureOr<std::pair<int64_t, bool>> softmaxAxis(NodeContext &n) {
  int64_t rank = n.inputType(0).getRank();
  bool coerced = n.opset < 13;
  auto axis = normalizeAxis(n.attrInt("axis", coerced ? 1 : -1), rank);
  if (!axis || rank == 0)
    return n.fail("axis out of range");
  return std::make_pair(*axis, coerced);
}

static Value hardmaxAlong(OpBuilder &b, Location loc, Value x, int64_t axis) {
  auto ty = typeOf(x);
  Type elt = ty.getElementType();
  int64_t rank = ty.getRank();
  MLIRContext *ctx = b.getContext();
  Value idx = argExtreme(b, loc, x, axis, /*isMax=*/true, /*lastIndex=*/false,
                         /*isUnsigned=*/false);
  SmallVector<AffineExpr> inExprs;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      inExprs.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, inExprs, ctx),
                                 b.getMultiDimIdentityMap(rank)};
  Value init = tensor::EmptyOp::create(b, loc, ty.getShape(), elt);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{idx}, ValueRange{init},
      maps, iters, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value i = arith::IndexCastOp::create(
            nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, axis));
        Value hit = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, i,
                                          args[0]);
        Value one = arith::ConstantOp::create(nb, nl, nb.getFloatAttr(elt, 1));
        Value zero =
            arith::ConstantOp::create(nb, nl, nb.getFloatAttr(elt, 0));
        linalg::YieldOp::create(
            nb, nl, ValueRange{arith::SelectOp::create(nb, nl, hit, one, zero)});
      });
  return op.getResult(0);
}

using AlongFn = Value (*)(OpBuilder &, Location, Value, int64_t);

/// Hardmax and LogSoftmax: `along` over the Softmax-like axis of a
/// floating-point input (see softmaxAxis), in the accumulation type when
/// `widen` (cast back to the input type after).
static LogicalResult importAlongSoftmaxAxis(NodeContext &n, AlongFn along,
                                            bool widen) {
  auto ty = n.inputType(0);
  if (!ty || !llvm::isa<FloatType>(ty.getElementType()))
    return n.fail("expects a floating-point input");
  auto ax = softmaxAxis(n);
  if (failed(ax))
    return failure();
  OpBuilder &b = n.builder();
  Type elt = ty.getElementType();
  Value x = n.input(0);
  if (widen)
    x = castFloat(b, n.loc, x, accumulationType(elt));
  auto at = [&](Value v, int64_t a) { return along(b, n.loc, v, a); };
  Value r = ax->second ? alongCoerced2D(b, n.loc, x, ax->first, at)
                       : at(x, ax->first);
  return n.setOutputs(widen ? castFloat(b, n.loc, r, elt) : r);
}

static LogicalResult importHardmax(NodeContext &n) {
  return importAlongSoftmaxAxis(n, hardmaxAlong, /*widen=*/false);
}

//===----------------------------------------------------------------------===//
// LogSoftmax
//===----------------------------------------------------------------------===//

/// x - max - log(sum(exp(x - max))) along `axis` (declared in
/// ImporterCore.h; SoftmaxCrossEntropyLoss uses it too).
Value onnx_import::buildLogSoftmax(OpBuilder &b, Location loc, Value x,
                                   int64_t axis) {
  Value m = reduceKeepDims(b, loc, x, {axis}, Combine::Max, false);
  Value d = binary(b, loc, BinOp::Sub, x, m);
  Value s = reduceKeepDims(b, loc, unary(b, loc, UnOp::Exp, d), {axis},
                           Combine::Sum, false);
  return binary(b, loc, BinOp::Sub, d, unary(b, loc, UnOp::Log, s));
}

static LogicalResult importLogSoftmax(NodeContext &n) {
  return importAlongSoftmaxAxis(n, buildLogSoftmax, /*widen=*/true);
}

//===----------------------------------------------------------------------===//
// CumSum
//===----------------------------------------------------------------------===//

/// Cumulative sum of `x` along `axis`: out[i] = sum of x[j] over the j that
/// the flags admit (j <= i; j < i exclusive; j >= i / j > i reversed), one
/// linalg.generic whose extra reduction dim runs over j.
static Value cumsumAlong(OpBuilder &b, Location loc, Value x, int64_t axis,
                         bool exclusive, bool reverse) {
  auto ty = typeOf(x);
  Type elt = ty.getElementType();
  int64_t rank = ty.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> inExprs;
  for (int64_t d = 0; d < rank; ++d)
    inExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank + 1, 0, inExprs, ctx),
      AffineMap::getMultiDimIdentityMap(rank + 1, ctx).getMajorSubMap(rank)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  bool isFloat = llvm::isa<FloatType>(elt);
  Value zero = arith::ConstantOp::create(
      b, loc, isFloat ? (TypedAttr)b.getFloatAttr(elt, 0)
                      : (TypedAttr)b.getIntegerAttr(elt, 0));
  Value init = tensor::EmptyOp::create(b, loc, ty.getShape(), elt);
  init = linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{init})
             .getResult(0);
  using P = arith::CmpIPredicate;
  P pred = reverse ? (exclusive ? P::sgt : P::sge)
                   : (exclusive ? P::slt : P::sle);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init}, maps,
      iters, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value i = linalg::IndexOp::create(nb, nl, axis);
        Value j = linalg::IndexOp::create(nb, nl, rank);
        Value in = arith::CmpIOp::create(nb, nl, pred, j, i);
        Value z = arith::ConstantOp::create(
            nb, nl, isFloat ? (TypedAttr)nb.getFloatAttr(elt, 0)
                            : (TypedAttr)nb.getIntegerAttr(elt, 0));
        Value v = arith::SelectOp::create(nb, nl, in, args[0], z);
        Value s = isFloat ? (Value)arith::AddFOp::create(nb, nl, args[1], v)
                          : (Value)arith::AddIOp::create(nb, nl, args[1], v);
        linalg::YieldOp::create(nb, nl, ValueRange{s});
      });
  return op.getResult(0);
}

static LogicalResult importCumSum(NodeContext &n) {
  auto ty = n.inputType(0), axTy = n.inputType(1);
  if (!ty || !axTy)
    return n.fail("expects inputs x and axis");
  Type elt = ty.getElementType();
  if (!llvm::isa<FloatType, IntegerType>(elt))
    return n.fail("unsupported element type");
  if (axTy.getNumElements() != 1)
    return n.fail("input 'axis' must hold one element");
  int64_t rank = ty.getRank();
  if (rank == 0)
    return n.fail("expects an input of rank >= 1");
  bool exclusive = n.attrInt("exclusive", 0) != 0;
  bool reverse = n.attrInt("reverse", 0) != 0;
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Value x = n.input(0);
  auto setResult = [&](Value r) {
    return n.setOutputs(r, {n.inputOnnxType(0)});
  };
  if (const HostTensor *t = n.constantInput(1)) {
    auto axis = normalizeAxis(t->asInt(0), rank);
    if (!axis)
      return n.fail("axis out of range");
    return setResult(cumsumAlong(b, loc, x, *axis, exclusive, reverse));
  }
  if (rank == 1)
    return setResult(cumsumAlong(b, loc, x, 0, exclusive, reverse));
  // A runtime axis: the cumulative sum along every axis, selected by the
  // axis value (negative axes count from the end).
  SmallVector<Value> inputs = {reshapeAny(b, loc, n.input(1), {})};
  for (int64_t d = 0; d < rank; ++d)
    inputs.push_back(cumsumAlong(b, loc, x, d, exclusive, reverse));
  Value r = buildElementwise(
      b, loc, inputs, elt, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Type at = a[0].getType();
        Value axis = a[0];
        Value zero = arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(at, 0));
        Value rk = arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(at, rank));
        Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                          axis, zero);
        axis = arith::SelectOp::create(
            nb, nl, neg, arith::AddIOp::create(nb, nl, axis, rk), axis);
        Value v = a[rank];
        for (int64_t d = rank - 2; d >= 0; --d) {
          Value c = arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(at, d));
          Value is = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                           axis, c);
          v = arith::SelectOp::create(nb, nl, is, a[d + 1], v);
        }
        return v;
      });
  return setResult(r);
}

//===----------------------------------------------------------------------===//
// Normalisations
//===----------------------------------------------------------------------===//

namespace {
/// (x - mean) * invStdDev over some axes, with the statistics (dims kept).
struct Normalized {
  Value centered; // (x - mean) * invStdDev
  Value mean;
  Value invStdDev;
};
} // namespace

/// Normalises `x` (a float tensor in its compute type) over `axes`:
/// invStdDev = 1 / sqrt(mean((x - mean)^2) + epsilon).
static Normalized normalizeOver(OpBuilder &b, Location loc, Value x,
                                llvm::ArrayRef<int64_t> axes, double epsilon) {
  auto ty = typeOf(x);
  int64_t count = 1;
  for (int64_t a : axes)
    count *= ty.getDimSize(a);
  Value invCount = scalarLike(b, loc, x, 1.0 / (double)count);
  auto meanOf = [&](Value v) {
    return binary(b, loc, BinOp::Mul,
                  reduceKeepDims(b, loc, v, axes, Combine::Sum, false),
                  invCount);
  };
  Value mean = meanOf(x);
  Value d = binary(b, loc, BinOp::Sub, x, mean);
  Value var = meanOf(unary(b, loc, UnOp::Square, d));
  Value inv = unary(b, loc, UnOp::Rsqrt,
                    binary(b, loc, BinOp::Add, var,
                           scalarLike(b, loc, var, epsilon)));
  return {binary(b, loc, BinOp::Mul, d, inv), mean, inv};
}

static LogicalResult importLayerNorm(NodeContext &n) {
  auto ty = n.inputType(0), st = n.inputType(1);
  if (!ty || !st || !llvm::isa<FloatType>(ty.getElementType()))
    return n.fail("expects floating-point X and Scale");
  int64_t rank = ty.getRank();
  auto axis = normalizeAxis(n.attrInt("axis", -1), rank);
  if (!axis || rank == 0)
    return n.fail("axis out of range");
  Type elt = ty.getElementType();
  int64_t stash = n.attrInt("stash_type", 1);
  if (stash != onnx::TensorProto::FLOAT && stash != (int64_t)n.inputOnnxType(0))
    return n.fail("stash_type " + std::string(onnxTypeName(stash)) +
                  " is not supported (float or the input type)");
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Type calc = stash == onnx::TensorProto::FLOAT ? b.getF32Type() : elt;
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < rank; ++d)
    axes.push_back(d);
  for (int i = 1; i <= 2; ++i)
    if (n.hasInput(i) &&
        !broadcastShapes(ty.getShape(), n.inputType(i).getShape()))
      return n.fail("Scale/B do not broadcast to X");
  Normalized nz = normalizeOver(b, loc, castFloat(b, loc, n.input(0), calc),
                                axes, n.attrFloat("epsilon", 1e-5f));
  Value y = binary(b, loc, BinOp::Mul, nz.centered,
                   castFloat(b, loc, n.input(1), calc));
  if (n.hasInput(2))
    y = binary(b, loc, BinOp::Add, y, castFloat(b, loc, n.input(2), calc));
  y = castFloat(b, loc, y, elt);
  return n.setOutputs({y, nz.mean, nz.invStdDev});
}

static LogicalResult importInstanceNorm(NodeContext &n) {
  auto ty = n.inputType(0);
  if (!ty || !llvm::isa<FloatType>(ty.getElementType()) || ty.getRank() < 3)
    return n.fail("expects a floating-point input of rank >= 3");
  int64_t rank = ty.getRank(), c = ty.getDimSize(1);
  for (int i = 1; i <= 2; ++i) {
    auto t = n.inputType(i);
    if (!t || t.getRank() != 1 || t.getDimSize(0) != c)
      return n.fail("scale and B must have shape [C]");
  }
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Type elt = ty.getElementType(), calc = accumulationType(elt);
  SmallVector<int64_t> axes, chan(rank, 1);
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  chan[1] = c;
  auto perChannel = [&](int i) {
    return reshapeAny(b, loc, castFloat(b, loc, n.input(i), calc), chan);
  };
  Normalized nz = normalizeOver(b, loc, castFloat(b, loc, n.input(0), calc),
                                axes, n.attrFloat("epsilon", 1e-5f));
  Value y = binary(b, loc, BinOp::Mul, nz.centered, perChannel(1));
  y = binary(b, loc, BinOp::Add, y, perChannel(2));
  return n.setOutputs(castFloat(b, loc, y, elt));
}

static LogicalResult importMVN(NodeContext &n) {
  auto ty = n.inputType(0);
  if (!ty || !llvm::isa<FloatType>(ty.getElementType()))
    return n.fail("expects a floating-point input");
  auto axes = normalizeAxes(n, n.attrInts("axes", {0, 2, 3}), ty.getRank());
  if (failed(axes))
    return failure();
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Type elt = ty.getElementType();
  Value x = castFloat(b, loc, n.input(0), accumulationType(elt));
  int64_t count = 1;
  for (int64_t a : *axes)
    count *= ty.getDimSize(a);
  Value invCount = scalarLike(b, loc, x, 1.0 / (double)count);
  auto meanOf = [&](Value v) {
    return binary(b, loc, BinOp::Mul,
                  reduceKeepDims(b, loc, v, *axes, Combine::Sum, false),
                  invCount);
  };
  // As ONNX's function body: (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9).
  Value mean = meanOf(x);
  Value var = binary(b, loc, BinOp::Sub, meanOf(unary(b, loc, UnOp::Square, x)),
                     unary(b, loc, UnOp::Square, mean));
  Value std = binary(b, loc, BinOp::Add, unary(b, loc, UnOp::Sqrt, var),
                     scalarLike(b, loc, var, 1e-9));
  Value y = binary(b, loc, BinOp::Div, binary(b, loc, BinOp::Sub, x, mean), std);
  return n.setOutputs(castFloat(b, loc, y, elt));
}

static LogicalResult importLpNorm(NodeContext &n) {
  auto ty = n.inputType(0);
  if (!ty || !llvm::isa<FloatType>(ty.getElementType()) || ty.getRank() == 0)
    return n.fail("expects a floating-point input of rank >= 1");
  auto axis = normalizeAxis(n.attrInt("axis", -1), ty.getRank());
  if (!axis)
    return n.fail("axis out of range");
  int64_t p = n.attrInt("p", 2);
  if (p != 1 && p != 2)
    return n.fail("p must be 1 or 2 (got " + std::to_string(p) + ")");
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Type elt = ty.getElementType();
  Value x = castFloat(b, loc, n.input(0), accumulationType(elt));
  Value norm =
      p == 1 ? reduceKeepDims(b, loc, unary(b, loc, UnOp::Abs, x), {*axis},
                              Combine::Sum, false)
             : unary(b, loc, UnOp::Sqrt,
                     reduceKeepDims(b, loc, unary(b, loc, UnOp::Square, x),
                                    {*axis}, Combine::Sum, false));
  Value y = binary(b, loc, BinOp::Div, x, norm);
  return n.setOutputs(castFloat(b, loc, y, elt));
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerReductionOps(OpRegistry &r) {
  auto reduce = [&](llvm::StringRef name, ReduceKind kind,
                    int64_t axesInputSince) {
    r.onOp(name, 1, [=](NodeContext &n) {
      return importReduce(n, kind, axesInputSince);
    });
  };
  reduce("ReduceSum", ReduceKind::Sum, 13);
  reduce("ReduceMean", ReduceKind::Mean, 18);
  reduce("ReduceMax", ReduceKind::Max, 18);
  reduce("ReduceMin", ReduceKind::Min, 18);
  reduce("ReduceProd", ReduceKind::Prod, 18);
  reduce("ReduceL1", ReduceKind::L1, 18);
  reduce("ReduceL2", ReduceKind::L2, 18);
  reduce("ReduceLogSum", ReduceKind::LogSum, 18);
  reduce("ReduceLogSumExp", ReduceKind::LogSumExp, 18);
  reduce("ReduceSumSquare", ReduceKind::SumSquare, 18);
  r.onOp("ArgMax", 1, [](NodeContext &n) { return importArg(n, true); });
  r.onOp("ArgMin", 1, [](NodeContext &n) { return importArg(n, false); });
  r.onOp("Hardmax", 1, importHardmax);
  r.onOp("LogSoftmax", 1, importLogSoftmax);
  r.onOp("CumSum", 11, importCumSum);
  r.onOp("LayerNormalization", 17, importLayerNorm);
  r.onOp("InstanceNormalization", 1, importInstanceNorm);
  r.onOp("MeanVarianceNormalization", 9, importMVN);
  r.onOp("LpNormalization", 1, importLpNorm);
}
