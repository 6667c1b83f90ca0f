//===- ImportIndexing.cpp - ONNX shape, slicing, gathering and padding ops
//---===//
//
// Shapes are static, so Shape and Size are always compile-time constants;
// the ops that shape computations chain through (Gather, Slice, Squeeze,
// Unsqueeze, Expand, Tile, Range, ConstantOfShape) fold on the host when
// their inputs are small constants, so that Reshape sees constant shapes.
//
// Otherwise: TOSA for pure layout (reshape, reverse, tile, transpose),
// tensor.extract_slice / tensor.pad for slicing and constant padding, and
// linalg.generic with tensor.extract in the body for data-dependent indexing
// (Gather*, Scatter*, OneHot, Pad reflect/edge/wrap, ReverseSequence).
//
//===----------------------------------------------------------------------===//
#include "ImporterCore.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;
using onnx::TensorProto;

/// Largest output, in elements, that an op folds on the host.
static constexpr int64_t kFoldLimit = 1 << 16;
/// Largest constant input, in elements, that folding reads on the host.
static constexpr int64_t kFoldInputLimit = 1 << 20;

//===----------------------------------------------------------------------===//
// Host helpers
//===----------------------------------------------------------------------===//

static int64_t product(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

static std::vector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t d = (int64_t)shape.size() - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

static HostTensor hostInts(std::vector<int64_t> shape,
                           std::vector<int64_t> values,
                           int32_t type = TensorProto::INT64) {
  HostTensor t;
  t.onnxType = type;
  t.shape = std::move(shape);
  t.i = std::move(values);
  return t;
}

/// A host tensor of `shape` whose element at each multi-index is
/// `src[srcIndex(multi-index)]` (a linear index into `src`).
static HostTensor
hostRemap(const HostTensor &src, std::vector<int64_t> shape,
          llvm::function_ref<int64_t(llvm::ArrayRef<int64_t>)> srcIndex) {
  HostTensor out;
  out.onnxType = src.onnxType;
  out.shape = std::move(shape);
  int64_t n = product(out.shape);
  (src.isFloat() ? out.f.resize(n) : out.i.resize(n));
  SmallVector<int64_t> idx(out.shape.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t s = srcIndex(idx);
    if (src.isFloat())
      out.f[k] = src.f[s];
    else
      out.i[k] = src.i[s];
    for (int64_t d = (int64_t)idx.size() - 1; d >= 0; --d) {
      if (++idx[d] < out.shape[d])
        break;
      idx[d] = 0;
    }
  }
  return out;
}

/// `t` with a new shape of the same element count.
static HostTensor hostReshape(const HostTensor &t, std::vector<int64_t> shape) {
  HostTensor r = t;
  r.shape = std::move(shape);
  return r;
}

/// The integer values of input `i` when it is a compile-time constant.
static std::optional<std::vector<int64_t>> constInts(NodeContext &n, size_t i) {
  const HostTensor *t = n.constantInput(i);
  if (!t)
    return std::nullopt;
  std::vector<int64_t> v;
  for (int64_t k = 0; k < t->numElements(); ++k)
    v.push_back(t->asInt(k));
  return v;
}

/// Input `i` as a host tensor when it is constant and both it and the result
/// of folding (`outElements`) stay small: a weight is never decoded to the
/// host just to slice a few rows out of it.
static const HostTensor *foldableInput(NodeContext &n, size_t i,
                                       int64_t outElements) {
  if (outElements > kFoldLimit ||
      n.inputType(i).getNumElements() > kFoldInputLimit)
    return nullptr;
  return n.constantInput(i);
}

/// Index `v` normalised against a dim of size `dim` (negative counts from
/// the end); nullopt when out of range.
static std::optional<int64_t> hostIndex(int64_t v, int64_t dim) {
  if (v < 0)
    v += dim;
  if (v < 0 || v >= dim)
    return std::nullopt;
  return v;
}

//===----------------------------------------------------------------------===//
// IR helpers
//===----------------------------------------------------------------------===//

static Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// An integer (or float, truncated) scalar as an index.
static Value toIndex(OpBuilder &b, Location loc, Value v) {
  Type t = v.getType();
  if (t.isIndex())
    return v;
  if (llvm::isa<FloatType>(t))
    v = arith::FPToSIOp::create(b, loc, b.getI64Type(), v);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// A possibly negative index along a dim of size `dim`, wrapped once and
/// clamped into [0, dim - 1] so that an out-of-range index in the data never
/// reads or writes outside the tensor (ONNX leaves the result undefined).
static Value normIndex(OpBuilder &b, Location loc, Value idx, int64_t dim) {
  Value i = toIndex(b, loc, idx);
  Value zero = indexConst(b, loc, 0);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  Value wrapped = arith::AddIOp::create(b, loc, i, indexConst(b, loc, dim));
  i = arith::SelectOp::create(b, loc, neg, wrapped, i);
  i = arith::MaxSIOp::create(b, loc, i, zero);
  return arith::MinSIOp::create(
      b, loc, i, indexConst(b, loc, std::max<int64_t>(dim - 1, 0)));
}

/// The map from `numLoops` loop dims to the listed dims.
static AffineMap dimsMap(MLIRContext *ctx, int64_t numLoops,
                         llvm::ArrayRef<int64_t> dims) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

static SmallVector<int64_t> iota(int64_t from, int64_t count) {
  SmallVector<int64_t> v(count);
  std::iota(v.begin(), v.end(), from);
  return v;
}

using IndexedBody = llvm::function_ref<Value(
    OpBuilder &, Location, llvm::ArrayRef<Value> ivs, ValueRange args)>;

/// A linalg.generic with `iters` loops writing `init` through `outMap`. The
/// body gets the loop indices (linalg.index), the input elements and last
/// the output element, and yields the new output element.
static Value buildGeneric(OpBuilder &b, Location loc,
                          llvm::ArrayRef<utils::IteratorType> iters,
                          ValueRange inputs, llvm::ArrayRef<AffineMap> inMaps,
                          Value init, AffineMap outMap, IndexedBody body) {
  SmallVector<AffineMap> maps(inMaps);
  maps.push_back(outMap);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> ivs;
        for (size_t d = 0; d < iters.size(); ++d)
          ivs.push_back(linalg::IndexOp::create(nb, nl, d));
        linalg::YieldOp::create(nb, nl, body(nb, nl, ivs, args));
      });
  return op.getResult(0);
}

/// An all-parallel linalg.generic producing a fresh tensor of `shape`.
static Value buildIndexed(OpBuilder &b, Location loc,
                          llvm::ArrayRef<int64_t> shape, Type elt,
                          ValueRange inputs, llvm::ArrayRef<AffineMap> inMaps,
                          IndexedBody body) {
  int64_t rank = shape.size();
  Value init = tensor::EmptyOp::create(b, loc, shape, elt);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return buildGeneric(b, loc, iters, inputs, inMaps, init,
                      b.getMultiDimIdentityMap(rank), body);
}

/// `v` broadcast (numpy rules, already checked) to `shape`.
static Value broadcastTo(OpBuilder &b, Location loc, Value v,
                         llvm::ArrayRef<int64_t> shape) {
  auto ty = llvm::cast<RankedTensorType>(v.getType());
  if (ty.getShape() == shape)
    return v;
  int64_t rank = shape.size(), offset = rank - ty.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < ty.getRank(); ++d)
    exprs.push_back(ty.getDimSize(d) == 1 && shape[d + offset] != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(d + offset, ctx));
  return buildIndexed(b, loc, shape, ty.getElementType(), {v},
                      {AffineMap::get(rank, 0, exprs, ctx)},
                      [](OpBuilder &, Location, llvm::ArrayRef<Value>,
                         ValueRange args) { return args[0]; });
}

static SmallVector<OpFoldResult> foldResults(OpBuilder &b,
                                             llvm::ArrayRef<int64_t> v) {
  SmallVector<OpFoldResult> r;
  for (int64_t x : v)
    r.push_back(b.getIndexAttr(x));
  return r;
}

static Value extractSlice(OpBuilder &b, Location loc, Value v,
                          llvm::ArrayRef<int64_t> offsets,
                          llvm::ArrayRef<int64_t> sizes,
                          llvm::ArrayRef<int64_t> strides) {
  auto ty = llvm::cast<RankedTensorType>(v.getType());
  bool identity = ty.getShape() == sizes;
  for (size_t d = 0; d < offsets.size(); ++d)
    identity &= offsets[d] == 0 && (strides[d] == 1 || sizes[d] <= 1);
  if (identity)
    return v;
  return tensor::ExtractSliceOp::create(
      b, loc, ty.clone(sizes), v, foldResults(b, offsets),
      foldResults(b, sizes), foldResults(b, strides));
}

/// Scalar element `k` of a small tensor input: an arith.constant when the
/// input is constant, else a tensor.extract.
static Value scalarInput(NodeContext &n, size_t i, int64_t k = 0) {
  OpBuilder &b = n.builder();
  auto ty = n.inputType(i);
  Type elt = ty.getElementType();
  if (const HostTensor *c = n.constantInput(i)) {
    if (llvm::isa<FloatType>(elt))
      return arith::ConstantOp::create(b, n.loc, elt,
                                       b.getFloatAttr(elt, c->asDouble(k)));
    return arith::ConstantOp::create(b, n.loc, elt,
                                     b.getIntegerAttr(elt, c->asInt(k)));
  }
  SmallVector<Value> idx;
  auto strides = stridesOf(ty.getShape());
  for (int64_t d = 0; d < ty.getRank(); ++d)
    idx.push_back(indexConst(b, n.loc, (k / strides[d]) % ty.getDimSize(d)));
  return tensor::ExtractOp::create(b, n.loc, n.input(i), idx);
}

//===----------------------------------------------------------------------===//
// Shape, Size, ConstantOfShape, Range, EyeLike
//===----------------------------------------------------------------------===//

static LogicalResult importShape(NodeContext &n) {
  auto ty = n.inputType(0);
  int64_t rank = ty.getRank();
  int64_t start = n.attrInt("start", 0), end = n.attrInt("end", rank);
  auto clampDim = [&](int64_t v) {
    if (v < 0)
      v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  start = clampDim(start);
  end = clampDim(end);
  std::vector<int64_t> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(ty.getDimSize(d));
  int64_t count = dims.size();
  return n.setConstantOutput(0, hostInts({count}, std::move(dims)));
}

static LogicalResult importSize(NodeContext &n) {
  return n.setConstantOutput(
      0, hostInts({}, {product(n.inputType(0).getShape())}));
}

static LogicalResult importConstantOfShape(NodeContext &n) {
  auto dims = constInts(n, 0);
  if (!dims) {
    auto declared = n.shapeForRuntime("the shape input");
    if (failed(declared))
      return failure();
    dims = *declared;
  }
  for (int64_t d : *dims)
    if (d < 0)
      return n.fail("shape entry " + std::to_string(d) + " is negative");
  HostTensor value;
  value.onnxType = TensorProto::FLOAT;
  value.f = {0.0};
  if (const onnx::AttributeProto *a = n.attr("value")) {
    std::vector<char> bytes;
    if (auto err = readTensorBytes(a->t(), n.g.modelDir, bytes))
      return n.fail("value: " + *err);
    if (!getElementType(n.g.ctx, a->t().data_type()))
      return n.fail(std::string("unsupported value element type ") +
                    onnxTypeName(a->t().data_type()));
    value = decodeHostTensor(a->t().data_type(), {1}, bytes);
    if (value.f.size() + value.i.size() != 1)
      return n.fail("value must hold exactly one element");
  }
  int64_t count = product(*dims);
  if (count > kFoldLimit) {
    Type elt = getElementType(n.g.ctx, value.onnxType);
    return n.setOutputs(
        splatConstant(n.builder(), n.loc, elt, *dims, value.asDouble(0)),
        {value.onnxType});
  }
  return n.setConstantOutput(
      0, hostRemap(value, *dims, [](llvm::ArrayRef<int64_t>) { return 0; }));
}

static LogicalResult importRange(NodeContext &n) {
  const HostTensor *start = n.constantInput(0), *limit = n.constantInput(1),
                   *delta = n.constantInput(2);
  if (!start || !limit || !delta) {
    // Runtime values: the declared length fixes the shape; element k is
    // start + k * delta.
    auto declared = n.shapeForRuntime("start, limit and delta");
    if (failed(declared))
      return failure();
    if (declared->size() != 1)
      return n.fail("the declared output shape is not 1-D");
    Type elt = n.inputType(0).getElementType();
    Value s = scalarInput(n, 0), d = scalarInput(n, 2);
    Value r = buildIndexed(
        n.builder(), n.loc, *declared, elt, {}, {},
        [&](OpBuilder &b, Location loc, llvm::ArrayRef<Value> ivs,
            ValueRange) -> Value {
          if (llvm::isa<FloatType>(elt)) {
            Value k =
                arith::IndexCastOp::create(b, loc, b.getI64Type(), ivs[0]);
            k = arith::SIToFPOp::create(b, loc, elt, k);
            return arith::AddFOp::create(b, loc, s,
                                         arith::MulFOp::create(b, loc, k, d));
          }
          Value k = arith::IndexCastOp::create(b, loc, elt, ivs[0]);
          return arith::AddIOp::create(b, loc, s,
                                       arith::MulIOp::create(b, loc, k, d));
        });
    return n.setOutputs(r, {n.inputOnnxType(0)});
  }
  HostTensor out;
  out.onnxType = n.inputOnnxType(0);
  if (start->isFloat()) {
    double s = start->asDouble(0), l = limit->asDouble(0),
           d = delta->asDouble(0);
    if (d == 0)
      return n.fail("delta is zero");
    double steps = std::ceil((l - s) / d);
    // Also refuses NaN and infinities, which have no integer count.
    if (!(steps <= (double)kMaxFoldedElements))
      return n.fail("the range has more than " +
                    std::to_string(kMaxFoldedElements) + " elements");
    int64_t count = std::max<int64_t>((int64_t)steps, 0);
    for (int64_t k = 0; k < count; ++k)
      out.f.push_back(s + k * d);
  } else {
    int64_t s = start->asInt(0), l = limit->asInt(0), d = delta->asInt(0);
    if (d == 0)
      return n.fail("delta is zero");
    int64_t span;
    if (llvm::SubOverflow(l, s, span) || (d == -1 && span == INT64_MIN))
      return n.fail("the range's length overflows");
    int64_t count = span / d + ((span % d != 0) && ((span < 0) == (d < 0)));
    count = std::max<int64_t>(count, 0);
    if (count > kMaxFoldedElements)
      return n.fail("the range has more than " +
                    std::to_string(kMaxFoldedElements) + " elements");
    for (int64_t k = 0; k < count; ++k)
      out.i.push_back(s + k * d);
  }
  out.shape = {(int64_t)(out.f.size() + out.i.size())};
  if (out.shape[0] > kFoldLimit)
    return n.fail("the range has " + std::to_string(out.shape[0]) +
                  " elements; at most " + std::to_string(kFoldLimit) +
                  " are supported");
  return n.setConstantOutput(0, std::move(out));
}

static LogicalResult importEyeLike(NodeContext &n) {
  auto ty = n.inputType(0);
  if (ty.getRank() != 2)
    return n.fail("expects a 2-D input");
  int32_t type = n.attrInt("dtype", n.inputOnnxType(0));
  Type elt = getElementType(n.g.ctx, type);
  if (!elt)
    return n.fail(std::string("unsupported dtype ") + onnxTypeName(type));
  int64_t k = n.attrInt("k", 0), rows = ty.getDimSize(0),
          cols = ty.getDimSize(1);
  if (rows * cols <= kFoldLimit) {
    HostTensor t;
    t.onnxType = type;
    t.shape = {rows, cols};
    std::vector<int64_t> ones(rows * cols, 0);
    for (int64_t r = 0; r < rows; ++r)
      if (r + k >= 0 && r + k < cols)
        ones[r * cols + r + k] = 1;
    if (t.isFloat())
      t.f.assign(ones.begin(), ones.end());
    else
      t.i = std::move(ones);
    return n.setConstantOutput(0, std::move(t));
  }
  OpBuilder &b = n.builder();
  Value one = splatConstant(b, n.loc, elt, {}, 1);
  Value zero = splatConstant(b, n.loc, elt, {}, 0);
  Value oneS = tensor::ExtractOp::create(b, n.loc, one, ValueRange{});
  Value zeroS = tensor::ExtractOp::create(b, n.loc, zero, ValueRange{});
  Value r = buildIndexed(
      b, n.loc, ty.getShape(), elt, {}, {},
      [&](OpBuilder &nb, Location nl, llvm::ArrayRef<Value> ivs, ValueRange) {
        Value diag =
            arith::AddIOp::create(nb, nl, ivs[0], indexConst(nb, nl, k));
        Value on = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, diag,
                                         ivs[1]);
        return arith::SelectOp::create(nb, nl, on, oneS, zeroS).getResult();
      });
  return n.setOutputs(r, {type});
}

//===----------------------------------------------------------------------===//
// Squeeze, Unsqueeze, Expand, Tile, DepthToSpace, SpaceToDepth
//===----------------------------------------------------------------------===//

/// Axes from the `axes` attribute (before `inputSince`) or input 1; failure
/// (without a diagnostic) when the input is a runtime value.
static FailureOr<std::optional<std::vector<int64_t>>>
axesOperand(NodeContext &n, int64_t inputSince) {
  if (n.opset < inputSince) {
    if (!n.attr("axes"))
      return std::optional<std::vector<int64_t>>();
    return std::optional<std::vector<int64_t>>(n.attrInts("axes"));
  }
  if (!n.hasInput(1))
    return std::optional<std::vector<int64_t>>();
  auto axes = constInts(n, 1);
  if (!axes)
    return failure();
  return std::optional<std::vector<int64_t>>(*axes);
}

static LogicalResult setReshaped(NodeContext &n, llvm::ArrayRef<int64_t> shape);

/// Binds output 0 to `in` reshaped to the declared output shape when the
/// axes are runtime values.
static LogicalResult setReshapedToDeclared(NodeContext &n) {
  auto shape = n.shapeForRuntime("the axes input");
  if (failed(shape))
    return failure();
  if (product(*shape) != product(n.inputType(0).getShape()))
    return n.fail("the declared output shape has a different element count");
  return setReshaped(n, *shape);
}

/// Binds output 0 to `in` reshaped to `shape` (folded when constant).
static LogicalResult setReshaped(NodeContext &n,
                                 llvm::ArrayRef<int64_t> shape) {
  if (const HostTensor *c = foldableInput(n, 0, product(shape)))
    return n.setConstantOutput(0, hostReshape(*c, shape));
  return n.setOutputs(reshapeTo(n.builder(), n.loc, n.input(0), shape),
                      {n.inputOnnxType(0)});
}

static LogicalResult importSqueeze(NodeContext &n) {
  auto ty = n.inputType(0);
  int64_t rank = ty.getRank();
  auto axes = axesOperand(n, 13);
  if (failed(axes))
    return setReshapedToDeclared(n);
  std::vector<bool> drop(rank, false);
  if (!*axes) {
    for (int64_t d = 0; d < rank; ++d)
      drop[d] = ty.getDimSize(d) == 1;
  } else {
    for (int64_t a : **axes) {
      auto ax = normalizeAxis(a, rank);
      if (!ax)
        return n.fail("axis " + std::to_string(a) + " is out of range");
      if (ty.getDimSize(*ax) != 1)
        return n.fail("cannot squeeze dim " + std::to_string(*ax) +
                      " of size " + std::to_string(ty.getDimSize(*ax)));
      drop[*ax] = true;
    }
  }
  std::vector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d)
    if (!drop[d])
      shape.push_back(ty.getDimSize(d));
  return setReshaped(n, shape);
}

static LogicalResult importUnsqueeze(NodeContext &n) {
  auto ty = n.inputType(0);
  auto axes = axesOperand(n, 13);
  if (failed(axes))
    return setReshapedToDeclared(n);
  if (!*axes)
    return n.fail("axes are required");
  int64_t outRank = ty.getRank() + (**axes).size();
  std::vector<bool> inserted(outRank, false);
  for (int64_t a : **axes) {
    auto ax = normalizeAxis(a, outRank);
    if (!ax)
      return n.fail("axis " + std::to_string(a) + " is out of range");
    if (inserted[*ax])
      return n.fail("axis " + std::to_string(a) + " is repeated");
    inserted[*ax] = true;
  }
  std::vector<int64_t> shape;
  int64_t src = 0;
  for (int64_t d = 0; d < outRank; ++d)
    shape.push_back(inserted[d] ? 1 : ty.getDimSize(src++));
  return setReshaped(n, shape);
}

static LogicalResult importExpand(NodeContext &n) {
  auto ty = n.inputType(0);
  std::optional<std::vector<int64_t>> shape;
  if (auto target = constInts(n, 1)) {
    shape = broadcastShapes(ty.getShape(), *target);
  } else {
    auto declared = n.shapeForRuntime("the shape input");
    if (failed(declared))
      return failure();
    shape = broadcastShapes(ty.getShape(), *declared);
    if (shape && *shape != *declared)
      shape.reset();
  }
  if (!shape)
    return n.fail("the input does not broadcast to the requested shape");
  if (const HostTensor *c = foldableInput(n, 0, product(*shape))) {
    auto inStrides = stridesOf(c->shape);
    int64_t offset = shape->size() - c->shape.size();
    return n.setConstantOutput(
        0, hostRemap(*c, *shape, [&](llvm::ArrayRef<int64_t> idx) {
          int64_t s = 0;
          for (size_t d = 0; d < c->shape.size(); ++d)
            s += (c->shape[d] == 1 ? 0 : idx[d + offset]) * inStrides[d];
          return s;
        }));
  }
  return n.setOutputs(broadcastTo(n.builder(), n.loc, n.input(0), *shape),
                      {n.inputOnnxType(0)});
}

static LogicalResult importTile(NodeContext &n) {
  auto ty = n.inputType(0);
  auto repeats = constInts(n, 1);
  if (!repeats) {
    // Runtime repeats: the declared output shape fixes them.
    auto declared = n.shapeForRuntime("the repeats input");
    if (failed(declared))
      return failure();
    if ((int64_t)declared->size() != ty.getRank())
      return n.fail("the declared output shape has the wrong rank");
    repeats.emplace();
    for (int64_t d = 0; d < ty.getRank(); ++d) {
      int64_t in = ty.getDimSize(d), out = (*declared)[d];
      if (in == 0 ? out != 0 : out % in)
        return n.fail("the declared output shape is not a tiling of the "
                      "input");
      repeats->push_back(in == 0 ? 0 : out / in);
    }
  }
  if ((int64_t)repeats->size() != ty.getRank())
    return n.fail("repeats has " + std::to_string(repeats->size()) +
                  " entries for rank " + std::to_string(ty.getRank()));
  std::vector<int64_t> shape;
  for (int64_t d = 0; d < ty.getRank(); ++d) {
    if ((*repeats)[d] < 0)
      return n.fail("repeats must not be negative");
    shape.push_back(ty.getDimSize(d) * (*repeats)[d]);
  }
  if (const HostTensor *c = foldableInput(n, 0, product(shape))) {
    auto inStrides = stridesOf(c->shape);
    return n.setConstantOutput(
        0, hostRemap(*c, shape, [&](llvm::ArrayRef<int64_t> idx) {
          int64_t s = 0;
          for (size_t d = 0; d < idx.size(); ++d)
            s += (idx[d] % c->shape[d]) * inStrides[d];
          return s;
        }));
  }
  if (ty.getRank() == 0)
    return n.setOutputs(n.input(0), {n.inputOnnxType(0)});
  OpBuilder &b = n.builder();
  ImplicitLocOpBuilder ib(n.loc, b);
  Value mult = tosa::getTosaConstShape(ib, *repeats);
  Value r = tosa::TileOp::create(b, n.loc, ty.clone(shape), n.input(0), mult);
  return n.setOutputs(r, {n.inputOnnxType(0)});
}

/// DepthToSpace (DCR or CRD) and SpaceToDepth as reshape-transpose-reshape.
static LogicalResult importDepthToSpace(NodeContext &n) {
  auto ty = n.inputType(0);
  if (ty.getRank() != 4)
    return n.fail("expects a 4-D NCHW input");
  int64_t bs = n.attrInt("blocksize", 0);
  int64_t N = ty.getDimSize(0), C = ty.getDimSize(1), H = ty.getDimSize(2),
          W = ty.getDimSize(3);
  if (bs <= 0 || C % (bs * bs))
    return n.fail("channels " + std::to_string(C) +
                  " are not a multiple of blocksize^2");
  std::string mode = n.attrString("mode", "DCR");
  OpBuilder &b = n.builder();
  Value v;
  if (mode == "DCR") {
    v = reshapeTo(b, n.loc, n.input(0), {N, bs, bs, C / (bs * bs), H, W});
    v = transposeBy(b, n.loc, v, {0, 3, 4, 1, 5, 2});
  } else if (mode == "CRD") {
    v = reshapeTo(b, n.loc, n.input(0), {N, C / (bs * bs), bs, bs, H, W});
    v = transposeBy(b, n.loc, v, {0, 1, 4, 2, 5, 3});
  } else {
    return n.fail("mode '" + mode + "' is not supported");
  }
  v = reshapeTo(b, n.loc, v, {N, C / (bs * bs), H * bs, W * bs});
  return n.setOutputs(v, {n.inputOnnxType(0)});
}

static LogicalResult importSpaceToDepth(NodeContext &n) {
  auto ty = n.inputType(0);
  if (ty.getRank() != 4)
    return n.fail("expects a 4-D NCHW input");
  int64_t bs = n.attrInt("blocksize", 0);
  int64_t N = ty.getDimSize(0), C = ty.getDimSize(1), H = ty.getDimSize(2),
          W = ty.getDimSize(3);
  if (bs <= 0 || H % bs || W % bs)
    return n.fail("spatial dims are not multiples of blocksize");
  OpBuilder &b = n.builder();
  Value v = reshapeTo(b, n.loc, n.input(0), {N, C, H / bs, bs, W / bs, bs});
  v = transposeBy(b, n.loc, v, {0, 3, 5, 1, 2, 4});
  v = reshapeTo(b, n.loc, v, {N, C * bs * bs, H / bs, W / bs});
  return n.setOutputs(v, {n.inputOnnxType(0)});
}

//===----------------------------------------------------------------------===//
// Slice, Split
//===----------------------------------------------------------------------===//

/// Slice whose starts, ends, axes or steps are runtime values: the declared
/// output shape fixes the sizes; starts (normalised and clamped as ONNX
/// does) and steps are read at run time, and a linalg.generic reads element
/// start + i * step of every sliced dim.
static LogicalResult importRuntimeSlice(NodeContext &n) {
  auto ty = n.inputType(0);
  int64_t rank = ty.getRank();
  auto declared = n.shapeForRuntime("starts, ends, axes and steps");
  if (failed(declared))
    return failure();
  if ((int64_t)declared->size() != rank)
    return n.fail("the declared output shape has the wrong rank");
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  int64_t count = n.inputType(1).getNumElements();
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  const HostTensor *axesC = n.hasInput(3) ? n.constantInput(3) : nullptr;
  SmallVector<Value> start(rank, zero), step(rank, one);
  for (int64_t i = 0; i < count; ++i) {
    Value s = toIndex(b, loc, scalarInput(n, 1, i));
    Value st = n.hasInput(4) ? toIndex(b, loc, scalarInput(n, 4, i)) : one;
    std::optional<int64_t> axisC;
    Value axisV;
    if (!n.hasInput(3)) {
      axisC = i;
    } else if (axesC) {
      axisC = normalizeAxis(axesC->asInt(i), rank);
      if (!axisC)
        return n.fail("axis " + std::to_string(axesC->asInt(i)) +
                      " is out of range");
    } else {
      axisV = toIndex(b, loc, scalarInput(n, 3, i));
      Value neg =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, axisV, zero);
      axisV = arith::SelectOp::create(
          b, loc, neg,
          arith::AddIOp::create(b, loc, axisV, indexConst(b, loc, rank)),
          axisV);
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (axisC && *axisC != d)
        continue;
      int64_t dim = ty.getDimSize(d);
      Value neg =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, s, zero);
      Value sd = arith::SelectOp::create(
          b, loc, neg,
          arith::AddIOp::create(b, loc, s, indexConst(b, loc, dim)), s);
      Value forward =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, st, zero);
      Value hi =
          arith::SelectOp::create(b, loc, forward, indexConst(b, loc, dim),
                                  indexConst(b, loc, dim - 1));
      sd = arith::MaxSIOp::create(b, loc, sd, zero);
      sd = arith::MinSIOp::create(b, loc, sd, hi);
      if (axisC) {
        start[d] = sd;
        step[d] = st;
        continue;
      }
      Value here = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         axisV, indexConst(b, loc, d));
      start[d] = arith::SelectOp::create(b, loc, here, sd, start[d]);
      step[d] = arith::SelectOp::create(b, loc, here, st, step[d]);
    }
  }
  Value data = n.input(0);
  Value res = buildIndexed(
      b, loc, *declared, ty.getElementType(), {}, {},
      [&](OpBuilder &nb, Location nl, llvm::ArrayRef<Value> ivs, ValueRange) {
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d) {
          Value j = arith::AddIOp::create(
              nb, nl, start[d], arith::MulIOp::create(nb, nl, ivs[d], step[d]));
          j = arith::MaxSIOp::create(nb, nl, j, indexConst(nb, nl, 0));
          j = arith::MinSIOp::create(
              nb, nl, j,
              indexConst(nb, nl, std::max<int64_t>(ty.getDimSize(d) - 1, 0)));
          coords.push_back(j);
        }
        return tensor::ExtractOp::create(nb, nl, data, coords).getResult();
      });
  return n.setOutputs(res, {n.inputOnnxType(0)});
}

static LogicalResult importSlice(NodeContext &n) {
  auto ty = n.inputType(0);
  int64_t rank = ty.getRank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (n.opset < 10) {
    starts = n.attrInts("starts");
    ends = n.attrInts("ends");
    axes = n.attrInts("axes");
  } else {
    std::vector<int64_t> *dst[] = {&starts, &ends, &axes, &steps};
    for (size_t i = 1; i < 5; ++i) {
      if (!n.hasInput(i))
        continue;
      auto v = constInts(n, i);
      if (!v)
        return importRuntimeSlice(n);
      *dst[i - 1] = std::move(*v);
    }
  }
  if (starts.size() != ends.size())
    return n.fail("starts and ends differ in length");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    return n.fail("starts, ends, axes and steps differ in length");

  std::vector<int64_t> offset(rank, 0), size(ty.getShape()), step(rank, 1);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    auto ax = normalizeAxis(axes[i], rank);
    if (!ax || seen[*ax])
      return n.fail("axis " + std::to_string(axes[i]) +
                    " is out of range or repeated");
    seen[*ax] = true;
    int64_t dim = ty.getDimSize(*ax), s = starts[i], e = ends[i], st = steps[i];
    if (st == 0)
      return n.fail("step is zero");
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    int64_t count;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      count = e > s ? (e - s + st - 1) / st : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      count = s > e ? (s - e - st - 1) / -st : 0;
    }
    offset[*ax] = s;
    size[*ax] = count;
    step[*ax] = st;
  }

  if (const HostTensor *c = foldableInput(n, 0, product(size))) {
    auto inStrides = stridesOf(c->shape);
    return n.setConstantOutput(
        0, hostRemap(*c, size, [&](llvm::ArrayRef<int64_t> idx) {
          int64_t s = 0;
          for (int64_t d = 0; d < rank; ++d)
            s += (offset[d] + idx[d] * step[d]) * inStrides[d];
          return s;
        }));
  }
  // Negative steps walk a reversed axis forwards.
  OpBuilder &b = n.builder();
  Value v = n.input(0);
  for (int64_t d = 0; d < rank; ++d) {
    if (step[d] > 0 || size[d] == 0)
      continue;
    if (ty.getDimSize(d) > 1)
      v = tosa::ReverseOp::create(b, n.loc, v.getType(), v,
                                  b.getI32IntegerAttr(d));
    offset[d] = ty.getDimSize(d) - 1 - offset[d];
    step[d] = -step[d];
  }
  for (int64_t d = 0; d < rank; ++d)
    if (size[d] == 0)
      offset[d] = 0, step[d] = 1;
  return n.setOutputs(extractSlice(b, n.loc, v, offset, size, step),
                      {n.inputOnnxType(0)});
}

static LogicalResult importSplit(NodeContext &n) {
  auto ty = n.inputType(0);
  int64_t rank = ty.getRank();
  auto axis = normalizeAxis(n.attrInt("axis", 0), rank);
  if (!axis)
    return n.fail("axis out of range");
  int64_t dim = ty.getDimSize(*axis), outs = n.node.output_size();
  std::vector<int64_t> parts;
  if (n.opset < 13) {
    parts = n.attrInts("split");
  } else if (n.hasInput(1)) {
    if (auto v = constInts(n, 1)) {
      parts = *v;
    } else {
      // Runtime split sizes: the declared output shapes fix them.
      for (int64_t k = 0; k < outs; ++k) {
        auto declared = n.shapeForRuntime("the split input", k);
        if (failed(declared))
          return failure();
        if ((int64_t)declared->size() != rank)
          return n.fail("the declared shape of output " + std::to_string(k) +
                        " has the wrong rank");
        parts.push_back((*declared)[*axis]);
      }
    }
  }
  if (parts.empty()) {
    int64_t num = n.opset >= 18 ? n.attrInt("num_outputs", outs) : outs;
    if (num <= 0 || num != outs)
      return n.fail("num_outputs does not match the number of outputs");
    int64_t chunk = (dim + num - 1) / num;
    if (n.opset < 18 && dim % num)
      return n.fail("dim " + std::to_string(dim) +
                    " does not split into equal parts");
    for (int64_t k = 0; k < num; ++k)
      parts.push_back(std::clamp<int64_t>(dim - k * chunk, 0, chunk));
  }
  if ((int64_t)parts.size() != outs)
    return n.fail("split has " + std::to_string(parts.size()) +
                  " entries for " + std::to_string(outs) + " outputs");
  int64_t sum = 0;
  for (int64_t p : parts) {
    if (p < 0)
      return n.fail("split entries must not be negative");
    sum += p;
  }
  if (sum != dim)
    return n.fail("split sums to " + std::to_string(sum) + ", not dim " +
                  std::to_string(dim));

  OpBuilder &b = n.builder();
  const HostTensor *c = foldableInput(n, 0, product(ty.getShape()));
  SmallVector<Value> results;
  SmallVector<int32_t> types;
  int64_t at = 0;
  for (int64_t k = 0; k < outs; ++k) {
    std::vector<int64_t> offsets(rank, 0), sizes(ty.getShape()),
        strides(rank, 1);
    offsets[*axis] = at;
    sizes[*axis] = parts[k];
    at += parts[k];
    if (c) {
      if (n.node.output(k).empty())
        continue;
      auto inStrides = stridesOf(c->shape);
      if (failed(n.setConstantOutput(
              k, hostRemap(*c, sizes, [&](llvm::ArrayRef<int64_t> idx) {
                int64_t s = 0;
                for (int64_t d = 0; d < rank; ++d)
                  s += (offsets[d] + idx[d]) * inStrides[d];
                return s;
              }))))
        return failure();
      continue;
    }
    results.push_back(
        extractSlice(b, n.loc, n.input(0), offsets, sizes, strides));
    types.push_back(n.inputOnnxType(0));
  }
  return c ? success() : n.setOutputs(results, types);
}

//===----------------------------------------------------------------------===//
// Gather, GatherElements, GatherND
//===----------------------------------------------------------------------===//

static LogicalResult importGather(NodeContext &n) {
  auto dty = n.inputType(0), ity = n.inputType(1);
  int64_t r = dty.getRank(), q = ity.getRank();
  auto axis = normalizeAxis(n.attrInt("axis", 0), r);
  if (!axis || r == 0)
    return n.fail("axis out of range");
  int64_t dim = dty.getDimSize(*axis);
  std::vector<int64_t> shape(dty.getShape().begin(),
                             dty.getShape().begin() + *axis);
  shape.insert(shape.end(), ity.getShape().begin(), ity.getShape().end());
  shape.insert(shape.end(), dty.getShape().begin() + *axis + 1,
               dty.getShape().end());

  // The indices are no larger than the output, so this decodes little.
  const HostTensor *idx =
      product(shape) <= kFoldLimit ? n.constantInput(1) : nullptr;
  const HostTensor *c = idx ? foldableInput(n, 0, product(shape)) : nullptr;
  if (c) {
    auto inStrides = stridesOf(c->shape);
    auto idxStrides = stridesOf(idx->shape);
    bool bad = false;
    HostTensor t = hostRemap(*c, shape, [&](llvm::ArrayRef<int64_t> o) {
      int64_t s = 0, lin = 0;
      for (int64_t d = 0; d < q; ++d)
        lin += o[*axis + d] * idxStrides[d];
      auto i = hostIndex(idx->asInt(lin), dim);
      bad |= !i;
      for (int64_t d = 0; d < r; ++d) {
        int64_t v = d < *axis    ? o[d]
                    : d == *axis ? i.value_or(0)
                                 : o[d - 1 + q];
        s += v * inStrides[d];
      }
      return s;
    });
    if (bad)
      return n.fail("an index is out of range");
    return n.setConstantOutput(0, std::move(t));
  }
  int64_t outRank = shape.size();
  AffineMap idxMap = dimsMap(n.g.ctx, outRank, iota(*axis, q));
  Value data = n.input(0);
  Value res = buildIndexed(
      n.builder(), n.loc, shape, dty.getElementType(), {n.input(1)}, {idxMap},
      [&](OpBuilder &b, Location loc, llvm::ArrayRef<Value> ivs,
          ValueRange args) {
        SmallVector<Value> coords(ivs.begin(), ivs.begin() + *axis);
        coords.push_back(normIndex(b, loc, args[0], dim));
        coords.append(ivs.begin() + *axis + q, ivs.end());
        return tensor::ExtractOp::create(b, loc, data, coords).getResult();
      });
  return n.setOutputs(res, {n.inputOnnxType(0)});
}

static LogicalResult importGatherElements(NodeContext &n) {
  auto dty = n.inputType(0), ity = n.inputType(1);
  int64_t r = dty.getRank();
  if (ity.getRank() != r)
    return n.fail("data and indices differ in rank");
  auto axis = normalizeAxis(n.attrInt("axis", 0), r);
  if (!axis || r == 0)
    return n.fail("axis out of range");
  int64_t dim = dty.getDimSize(*axis);
  Value data = n.input(0);
  Value res = buildIndexed(
      n.builder(), n.loc, ity.getShape(), dty.getElementType(), {n.input(1)},
      {n.builder().getMultiDimIdentityMap(r)},
      [&](OpBuilder &b, Location loc, llvm::ArrayRef<Value> ivs,
          ValueRange args) {
        SmallVector<Value> coords(ivs);
        coords[*axis] = normIndex(b, loc, args[0], dim);
        return tensor::ExtractOp::create(b, loc, data, coords).getResult();
      });
  return n.setOutputs(res, {n.inputOnnxType(0)});
}

static LogicalResult importGatherND(NodeContext &n) {
  auto dty = n.inputType(0), ity = n.inputType(1);
  int64_t r = dty.getRank(), q = ity.getRank();
  int64_t batch = n.attrInt("batch_dims", 0);
  if (q < 1 || batch < 0 || batch >= std::min(r, q))
    return n.fail("batch_dims out of range");
  int64_t k = ity.getDimSize(q - 1);
  if (batch + k > r)
    return n.fail("indices address more dims than the data has");
  for (int64_t d = 0; d < batch; ++d)
    if (dty.getDimSize(d) != ity.getDimSize(d))
      return n.fail("data and indices differ in the batch dims");
  std::vector<int64_t> shape(ity.getShape().begin(), ity.getShape().end() - 1);
  shape.insert(shape.end(), dty.getShape().begin() + batch + k,
               dty.getShape().end());
  Value data = n.input(0), indices = n.input(1);
  Value res = buildIndexed(
      n.builder(), n.loc, shape, dty.getElementType(), {}, {},
      [&](OpBuilder &b, Location loc, llvm::ArrayRef<Value> ivs, ValueRange) {
        SmallVector<Value> coords(ivs.begin(), ivs.begin() + batch);
        SmallVector<Value> at(ivs.begin(), ivs.begin() + q - 1);
        at.push_back(Value());
        for (int64_t j = 0; j < k; ++j) {
          at.back() = indexConst(b, loc, j);
          Value i = tensor::ExtractOp::create(b, loc, indices, at);
          coords.push_back(normIndex(b, loc, i, dty.getDimSize(batch + j)));
        }
        coords.append(ivs.begin() + q - 1, ivs.end());
        return tensor::ExtractOp::create(b, loc, data, coords).getResult();
      });
  return n.setOutputs(res, {n.inputOnnxType(0)});
}

//===----------------------------------------------------------------------===//
// ScatterElements, ScatterND
//===----------------------------------------------------------------------===//

/// Combines the current element with an update per ONNX's `reduction`.
static Value combine(OpBuilder &b, Location loc, llvm::StringRef reduction,
                     Value acc, Value upd, bool isUnsigned) {
  bool f = llvm::isa<FloatType>(acc.getType());
  if (reduction == "add")
    return f ? arith::AddFOp::create(b, loc, acc, upd).getResult()
             : arith::AddIOp::create(b, loc, acc, upd).getResult();
  if (reduction == "mul")
    return f ? arith::MulFOp::create(b, loc, acc, upd).getResult()
             : arith::MulIOp::create(b, loc, acc, upd).getResult();
  if (reduction == "max")
    return f ? arith::MaximumFOp::create(b, loc, acc, upd).getResult()
           : isUnsigned ? arith::MaxUIOp::create(b, loc, acc, upd).getResult()
                        : arith::MaxSIOp::create(b, loc, acc, upd).getResult();
  if (reduction == "min")
    return f ? arith::MinimumFOp::create(b, loc, acc, upd).getResult()
           : isUnsigned ? arith::MinUIOp::create(b, loc, acc, upd).getResult()
                        : arith::MinSIOp::create(b, loc, acc, upd).getResult();
  return upd;
}

static FailureOr<std::string> scatterReduction(NodeContext &n) {
  std::string red = n.attrString("reduction", "none");
  if (red != "none" && red != "add" && red != "mul" && red != "max" &&
      red != "min")
    return n.fail("reduction '" + red + "' is not supported");
  return red;
}

/// ScatterElements (and the older Scatter): a linalg.generic whose loops
/// run over the output (parallel) and the updates (reduction, in order, so
/// the last duplicate wins without a reduction); each output element takes
/// the updates that address it.
static LogicalResult importScatterElements(NodeContext &n) {
  auto dty = n.inputType(0), ity = n.inputType(1), uty = n.inputType(2);
  int64_t r = dty.getRank();
  if (ity.getRank() != r || uty.getShape() != ity.getShape())
    return n.fail("indices and updates must have the data's rank and one "
                  "shape");
  auto axis = normalizeAxis(n.attrInt("axis", 0), r);
  if (!axis || r == 0)
    return n.fail("axis out of range");
  auto red = scatterReduction(n);
  if (failed(red))
    return failure();
  int64_t dim = dty.getDimSize(*axis);
  bool isUnsigned = isUnsignedOnnxType(n.inputOnnxType(0));
  SmallVector<utils::IteratorType> iters(r, utils::IteratorType::parallel);
  iters.append(r, utils::IteratorType::reduction);
  AffineMap updMap = dimsMap(n.g.ctx, 2 * r, iota(r, r));
  Value res = buildGeneric(
      n.builder(), n.loc, iters, {n.input(1), n.input(2)}, {updMap, updMap},
      n.input(0), dimsMap(n.g.ctx, 2 * r, iota(0, r)),
      [&](OpBuilder &b, Location loc, llvm::ArrayRef<Value> ivs,
          ValueRange args) {
        Value target = normIndex(b, loc, args[0], dim);
        Value match = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            target, ivs[*axis]);
        for (int64_t d = 0; d < r; ++d) {
          if (d == *axis)
            continue;
          Value eq = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                           ivs[d], ivs[r + d]);
          match = arith::AndIOp::create(b, loc, match, eq);
        }
        Value upd = combine(b, loc, *red, args[2], args[1], isUnsigned);
        return arith::SelectOp::create(b, loc, match, upd, args[2]).getResult();
      });
  return n.setOutputs(res, {n.inputOnnxType(0)});
}

static LogicalResult importScatterND(NodeContext &n) {
  auto dty = n.inputType(0), ity = n.inputType(1), uty = n.inputType(2);
  int64_t r = dty.getRank(), q = ity.getRank();
  if (q < 1)
    return n.fail("indices must have rank >= 1");
  int64_t k = ity.getDimSize(q - 1);
  if (k > r)
    return n.fail("indices address more dims than the data has");
  SmallVector<int64_t> updShape(ity.getShape().drop_back());
  updShape.append(dty.getShape().begin() + k, dty.getShape().end());
  if (uty.getShape() != llvm::ArrayRef<int64_t>(updShape))
    return n.fail("updates do not have shape indices.shape[:-1] + "
                  "data.shape[k:]");
  auto red = scatterReduction(n);
  if (failed(red))
    return failure();
  bool isUnsigned = isUnsignedOnnxType(n.inputOnnxType(0));
  int64_t loops = r + q - 1;
  SmallVector<utils::IteratorType> iters(r, utils::IteratorType::parallel);
  iters.append(q - 1, utils::IteratorType::reduction);
  SmallVector<int64_t> updDims = iota(r, q - 1);
  updDims.append(iota(k, r - k));
  Value indices = n.input(1);
  Value res = buildGeneric(
      n.builder(), n.loc, iters, {n.input(2)},
      {dimsMap(n.g.ctx, loops, updDims)}, n.input(0),
      dimsMap(n.g.ctx, loops, iota(0, r)),
      [&](OpBuilder &b, Location loc, llvm::ArrayRef<Value> ivs,
          ValueRange args) {
        SmallVector<Value> at(ivs.begin() + r, ivs.end());
        at.push_back(Value());
        Value match = arith::ConstantIntOp::create(b, loc, 1, 1);
        for (int64_t j = 0; j < k; ++j) {
          at.back() = indexConst(b, loc, j);
          Value i = tensor::ExtractOp::create(b, loc, indices, at);
          Value eq = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::eq,
              normIndex(b, loc, i, dty.getDimSize(j)), ivs[j]);
          match = arith::AndIOp::create(b, loc, match, eq);
        }
        Value upd = combine(b, loc, *red, args[1], args[0], isUnsigned);
        return arith::SelectOp::create(b, loc, match, upd, args[1]).getResult();
      });
  return n.setOutputs(res, {n.inputOnnxType(0)});
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

/// Pad as a linalg.generic reading the input through the pad mode's index
/// map: constant (outside reads take the pad value), edge (clamp), reflect
/// (mirror without repeating the edge), wrap (modulo). `lo` holds the
/// leading pad of every dim as an index value (runtime or constant).
static Value padGeneric(OpBuilder &b, Location loc, Value data,
                        llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<Value> lo,
                        llvm::StringRef mode, Value padValue) {
  auto ty = llvm::cast<RankedTensorType>(data.getType());
  int64_t rank = ty.getRank();
  return buildIndexed(
      b, loc, shape, ty.getElementType(), {}, {},
      [&](OpBuilder &nb, Location nl, llvm::ArrayRef<Value> ivs, ValueRange) {
        SmallVector<Value> coords;
        Value inside;
        Value zero = indexConst(nb, nl, 0);
        for (int64_t d = 0; d < rank; ++d) {
          int64_t dim = ty.getDimSize(d);
          Value j = arith::SubIOp::create(nb, nl, ivs[d], lo[d]);
          Value last = indexConst(nb, nl, dim - 1);
          if (mode == "constant") {
            Value ge = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge,
                                             j, zero);
            Value le = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sle,
                                             j, last);
            Value in = arith::AndIOp::create(nb, nl, ge, le);
            inside = inside ? arith::AndIOp::create(nb, nl, inside, in) : in;
          } else if (mode == "wrap") {
            Value dv = indexConst(nb, nl, dim);
            j = arith::RemSIOp::create(nb, nl, j, dv);
            Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                              j, zero);
            j = arith::SelectOp::create(
                nb, nl, neg, arith::AddIOp::create(nb, nl, j, dv), j);
          } else if (mode == "reflect") {
            // -j below 0, 2 (dim - 1) - j above dim - 1.
            Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                              j, zero);
            j = arith::SelectOp::create(
                nb, nl, neg, arith::SubIOp::create(nb, nl, zero, j), j);
            Value over = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::sgt, j, last);
            Value twice = indexConst(nb, nl, 2 * (dim - 1));
            j = arith::SelectOp::create(
                nb, nl, over, arith::SubIOp::create(nb, nl, twice, j), j);
          }
          // Clamping is edge mode, and keeps every other mode's read in
          // bounds.
          j = arith::MaxSIOp::create(nb, nl, j, zero);
          j = arith::MinSIOp::create(nb, nl, j, last);
          coords.push_back(j);
        }
        Value v = tensor::ExtractOp::create(nb, nl, data, coords);
        if (inside)
          v = arith::SelectOp::create(nb, nl, inside, v, padValue);
        return v;
      });
}

static LogicalResult importPad(NodeContext &n) {
  auto ty = n.inputType(0);
  int64_t rank = ty.getRank();
  Type elt = ty.getElementType();
  OpBuilder &b = n.builder();
  std::string mode = n.attrString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      mode != "wrap")
    return n.fail("mode '" + mode + "' is not supported");
  std::optional<std::vector<int64_t>> pads;
  if (n.opset < 11)
    pads = n.attrInts(n.opset < 2 ? "paddings" : "pads");
  else
    pads = constInts(n, 1);
  std::vector<int64_t> axes;
  if (n.opset >= 18 && n.hasInput(3)) {
    auto a = constInts(n, 3);
    if (!a)
      return n.fail("the axes input must be a compile-time constant");
    for (int64_t v : *a) {
      auto ax = normalizeAxis(v, rank);
      if (!ax)
        return n.fail("axis " + std::to_string(v) + " is out of range");
      axes.push_back(*ax);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  int64_t na = axes.size();
  int64_t numPads = pads ? pads->size() : n.inputType(1).getNumElements();
  if (numPads != 2 * na)
    return n.fail("pads has " + std::to_string(numPads) +
                  " entries; expected " + std::to_string(2 * na));

  Value padValue;
  if (mode != "constant") {
    padValue = {};
  } else if (n.opset < 11) {
    double v = n.attrFloat("value", 0.0f);
    padValue =
        llvm::isa<FloatType>(elt)
            ? arith::ConstantOp::create(b, n.loc, elt, b.getFloatAttr(elt, v))
            : arith::ConstantOp::create(b, n.loc, elt,
                                        b.getIntegerAttr(elt, (int64_t)v));
  } else if (n.hasInput(2)) {
    padValue = scalarInput(n, 2);
  } else {
    padValue = arith::ConstantOp::create(b, n.loc, elt, b.getZeroAttr(elt));
  }

  if (!pads) {
    // Runtime pads: the declared output shape fixes the result; the leading
    // pads are read at run time.
    auto declared = n.shapeForRuntime("the pads input");
    if (failed(declared))
      return failure();
    if ((int64_t)declared->size() != rank)
      return n.fail("the declared output shape has the wrong rank");
    SmallVector<Value> lo(rank, indexConst(b, n.loc, 0));
    for (int64_t i = 0; i < na; ++i)
      lo[axes[i]] = toIndex(b, n.loc, scalarInput(n, 1, i));
    for (int64_t d = 0; d < rank; ++d)
      if (mode != "constant" && ty.getDimSize(d) == 0 && (*declared)[d])
        return n.fail("cannot pad an empty dim in " + mode + " mode");
    return n.setOutputs(
        padGeneric(b, n.loc, n.input(0), *declared, lo, mode, padValue),
        {n.inputOnnxType(0)});
  }

  std::vector<int64_t> lo(rank, 0), hi(rank, 0), shape(ty.getShape());
  for (int64_t i = 0; i < na; ++i) {
    lo[axes[i]] = (*pads)[i];
    hi[axes[i]] = (*pads)[i + na];
  }
  for (int64_t d = 0; d < rank; ++d) {
    // A side crops at most the whole dim, and the sum is checked: hostile
    // pads must not wrap.
    if (lo[d] < -shape[d] || hi[d] < -shape[d] ||
        llvm::AddOverflow(shape[d], lo[d], shape[d]) ||
        llvm::AddOverflow(shape[d], hi[d], shape[d]))
      return n.fail("pads of dim " + std::to_string(d) + " are out of range");
    if (shape[d] < 0)
      return n.fail("pads crop dim " + std::to_string(d) + " below zero");
  }
  if (mode == "constant") {
    // Negative pads crop first.
    Value v = n.input(0);
    std::vector<int64_t> offs(rank, 0), sizes(ty.getShape()), strides(rank, 1),
        plo(rank), phi(rank);
    for (int64_t d = 0; d < rank; ++d) {
      offs[d] = std::max<int64_t>(-lo[d], 0);
      sizes[d] -= offs[d] + std::max<int64_t>(-hi[d], 0);
      plo[d] = std::max<int64_t>(lo[d], 0);
      phi[d] = std::max<int64_t>(hi[d], 0);
    }
    v = extractSlice(b, n.loc, v, offs, sizes, strides);
    if (llvm::any_of(plo, [](int64_t p) { return p; }) ||
        llvm::any_of(phi, [](int64_t p) { return p; }))
      v = tensor::PadOp::create(b, n.loc, ty.clone(shape), v,
                                foldResults(b, plo), foldResults(b, phi),
                                padValue);
    return n.setOutputs(v, {n.inputOnnxType(0)});
  }
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = ty.getDimSize(d);
    if ((lo[d] > 0 || hi[d] > 0) && dim == 0)
      return n.fail("cannot pad an empty dim in " + mode + " mode");
    if (mode == "reflect" && (lo[d] > dim - 1 || hi[d] > dim - 1))
      return n.fail("reflect pads of dim " + std::to_string(d) +
                    " exceed its size minus one");
  }
  SmallVector<Value> loV;
  for (int64_t d = 0; d < rank; ++d)
    loV.push_back(indexConst(b, n.loc, lo[d]));
  return n.setOutputs(
      padGeneric(b, n.loc, n.input(0), shape, loV, mode, padValue),
      {n.inputOnnxType(0)});
}

//===----------------------------------------------------------------------===//
// Trilu, OneHot, ReverseSequence
//===----------------------------------------------------------------------===//

static LogicalResult importTrilu(NodeContext &n) {
  auto ty = n.inputType(0);
  int64_t rank = ty.getRank();
  if (rank < 2)
    return n.fail("expects an input of rank >= 2");
  bool upper = n.attrInt("upper", 1) != 0;
  OpBuilder &b = n.builder();
  Value k = n.hasInput(1) ? toIndex(b, n.loc, scalarInput(n, 1))
                          : indexConst(b, n.loc, 0);
  Type elt = ty.getElementType();
  Value res = buildIndexed(
      b, n.loc, ty.getShape(), elt, {n.input(0)},
      {b.getMultiDimIdentityMap(rank)},
      [&](OpBuilder &nb, Location nl, llvm::ArrayRef<Value> ivs,
          ValueRange args) {
        // Keep (i, j) when j - i >= k (upper) or j - i <= k (lower).
        Value diff =
            arith::SubIOp::create(nb, nl, ivs[rank - 1], ivs[rank - 2]);
        Value keep = arith::CmpIOp::create(nb, nl,
                                           upper ? arith::CmpIPredicate::sge
                                                 : arith::CmpIPredicate::sle,
                                           diff, k);
        Value zero =
            arith::ConstantOp::create(nb, nl, elt, nb.getZeroAttr(elt));
        return arith::SelectOp::create(nb, nl, keep, args[0], zero).getResult();
      });
  return n.setOutputs(res, {n.inputOnnxType(0)});
}

static LogicalResult importOneHot(NodeContext &n) {
  auto ity = n.inputType(0), vty = n.inputType(2);
  int64_t r = ity.getRank();
  if (vty.getNumElements() != 2)
    return n.fail("values must hold [off_value, on_value]");
  auto axis = normalizeAxis(n.attrInt("axis", -1), r + 1);
  if (!axis)
    return n.fail("axis out of range");
  int64_t depth;
  if (const HostTensor *depthT = n.constantInput(1)) {
    if (depthT->numElements() != 1)
      return n.fail("depth must be a scalar");
    depth = depthT->asInt(0);
  } else {
    auto declared = n.shapeForRuntime("the depth input");
    if (failed(declared))
      return failure();
    if ((int64_t)declared->size() != r + 1)
      return n.fail("the declared output shape has the wrong rank");
    depth = (*declared)[*axis];
  }
  if (depth <= 0)
    return n.fail("depth must be positive");
  std::vector<int64_t> shape(ity.getShape());
  shape.insert(shape.begin() + *axis, depth);
  SmallVector<int64_t> inDims = iota(0, *axis);
  inDims.append(iota(*axis + 1, r - *axis));
  OpBuilder &b = n.builder();
  Value off = scalarInput(n, 2, 0), on = scalarInput(n, 2, 1);
  Value res = buildIndexed(
      b, n.loc, shape, vty.getElementType(), {n.input(0)},
      {dimsMap(n.g.ctx, r + 1, inDims)},
      [&](OpBuilder &nb, Location nl, llvm::ArrayRef<Value> ivs,
          ValueRange args) {
        Value i = toIndex(nb, nl, args[0]);
        Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, i,
                                          indexConst(nb, nl, 0));
        i = arith::SelectOp::create(
            nb, nl, neg,
            arith::AddIOp::create(nb, nl, i, indexConst(nb, nl, depth)), i);
        Value hit = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, i,
                                          ivs[*axis]);
        return arith::SelectOp::create(nb, nl, hit, on, off).getResult();
      });
  return n.setOutputs(res, {n.inputOnnxType(2)});
}

static LogicalResult importReverseSequence(NodeContext &n) {
  auto ty = n.inputType(0);
  int64_t rank = ty.getRank();
  if (rank < 2)
    return n.fail("expects an input of rank >= 2");
  auto bAxis = normalizeAxis(n.attrInt("batch_axis", 1), rank);
  auto tAxis = normalizeAxis(n.attrInt("time_axis", 0), rank);
  if (!bAxis || !tAxis || *bAxis == *tAxis || *bAxis > 1 || *tAxis > 1)
    return n.fail("batch_axis and time_axis must be 0 and 1 in some order");
  Value data = n.input(0), lens = n.input(1);
  int64_t steps = ty.getDimSize(*tAxis);
  Value res = buildIndexed(
      n.builder(), n.loc, ty.getShape(), ty.getElementType(), {}, {},
      [&](OpBuilder &b, Location loc, llvm::ArrayRef<Value> ivs, ValueRange) {
        Value len = tensor::ExtractOp::create(b, loc, lens, ivs[*bAxis]);
        len = toIndex(b, loc, len);
        len = arith::MinSIOp::create(b, loc, len, indexConst(b, loc, steps));
        Value t = ivs[*tAxis];
        Value inside =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, t, len);
        Value rev = arith::SubIOp::create(
            b, loc, arith::SubIOp::create(b, loc, len, indexConst(b, loc, 1)),
            t);
        SmallVector<Value> coords(ivs);
        coords[*tAxis] = arith::SelectOp::create(b, loc, inside, rev, t);
        return tensor::ExtractOp::create(b, loc, data, coords).getResult();
      });
  return n.setOutputs(res, {n.inputOnnxType(0)});
}

void onnx_import::registerIndexingOps(OpRegistry &r) {
  r.onOp("Shape", 1, importShape);
  r.onOp("Size", 1, importSize);
  r.onOp("ConstantOfShape", 9, importConstantOfShape);
  r.onOp("Range", 11, importRange);
  r.onOp("EyeLike", 9, importEyeLike);
  r.onOp("Squeeze", 1, importSqueeze);
  r.onOp("Unsqueeze", 1, importUnsqueeze);
  r.onOp("Expand", 8, importExpand);
  r.onOp("Tile", 6, importTile);
  r.onOp("DepthToSpace", 1, importDepthToSpace);
  r.onOp("SpaceToDepth", 1, importSpaceToDepth);
  r.onOp("Slice", 1, importSlice);
  r.onOp("Split", 2, importSplit);
  r.onOp("Gather", 1, importGather);
  r.onOp("GatherElements", 11, importGatherElements);
  r.onOp("GatherND", 11, importGatherND);
  r.onOp("Scatter", 9, importScatterElements);
  r.onOp("ScatterElements", 11, importScatterElements);
  r.onOp("ScatterND", 11, importScatterND);
  r.onOp("Pad", 1, importPad);
  r.onOp("Trilu", 14, importTrilu);
  r.onOp("OneHot", 9, importOneHot);
  r.onOp("ReverseSequence", 10, importReverseSequence);
}
