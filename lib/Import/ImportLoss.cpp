//===- ImportLoss.cpp - ONNX losses, Dropout, TopK, Einsum and friends ----===//
//
// Ops without a TOSA counterpart for the types ONNX allows (f64, i64, runtime
// gathers), built as linalg.generic ops whose indexing maps say what the op
// does:
//
//  * NegativeLogLikelihoodLoss / SoftmaxCrossEntropyLoss: one generic over
//    the target's shape gathers input[n, target, d...] with tensor.extract
//    (the class index is a runtime value) and the class weight, and reduces
//    loss and weight together for sum/mean. The log-softmax of
//    SoftmaxCrossEntropyLoss is three generics (max, sum of exp, result).
//  * TopK: a bitonic sorting network along the axis, one generic per stage
//    (each element reads its partner with tensor.extract; ties go to the
//    lower index), then the first K as a tensor.extract_slice.
//  * Einsum: one generic whose maps come from the equation: one loop dim
//    per letter, reduction iterators for letters not in the output.
//  * Det: closed form for matrices up to 3x3, each matrix entry an operand
//    with a constant-index map.
//  * Dropout: the identity (inference); GlobalMaxPool / GlobalLpPool:
//    reductions over the spatial dims.
//
// 16-bit floats are computed in f32 and rounded once at the end.
//
//===----------------------------------------------------------------------===//
#include "ImporterCore.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static RankedTensorType typeOf(Value v) {
  return llvm::cast<RankedTensorType>(v.getType());
}

static bool isTosaFloat(Type t) { return t.isF32() || t.isF16() || t.isBF16(); }

/// The type sums are computed in: f32 for 16-bit floats.
static Type accumulationType(Type elt) {
  return elt.isF16() || elt.isBF16() ? Float32Type::get(elt.getContext()) : elt;
}

/// Converts a scalar float to `to` (extf / truncf / nothing).
static Value convertScalar(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
    return arith::ExtFOp::create(b, loc, to, v);
  return arith::TruncFOp::create(b, loc, to, v);
}

/// Converts a float tensor to element type `to`.
static Value castFloat(OpBuilder &b, Location loc, Value v, Type to) {
  auto ty = typeOf(v);
  if (ty.getElementType() == to)
    return v;
  if (isTosaFloat(ty.getElementType()) && isTosaFloat(to))
    return tosa::CastOp::create(b, loc, ty.clone(to), v);
  return buildElementwise(b, loc, {v}, to,
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            return convertScalar(nb, nl, a[0], to);
                          });
}

static Value scalarConst(OpBuilder &b, Location loc, Type t, double v) {
  if (llvm::isa<FloatType>(t))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, (int64_t)v));
}

/// An empty tensor of `shape` filled with `value`.
static Value filled(OpBuilder &b, Location loc, llvm::ArrayRef<int64_t> shape,
                    Type elt, Value value) {
  Value init = tensor::EmptyOp::create(b, loc, shape, elt);
  return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{init})
      .getResult(0);
}

static SmallVector<int64_t> dropDim(llvm::ArrayRef<int64_t> shape,
                                    int64_t axis) {
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < (int64_t)shape.size(); ++d)
    if (d != axis)
      out.push_back(shape[d]);
  return out;
}

/// Reshape that inserts size-1 dims (tensor.expand_shape, any element type).
static Value expandTo(OpBuilder &b, Location loc, Value v,
                      llvm::ArrayRef<int64_t> shape) {
  auto ty = typeOf(v);
  auto dst = ty.clone(shape);
  if (ty == dst)
    return v;
  auto re = getReassociationIndicesForReshape(ty, dst);
  assert(re && "expandTo: not an expansion");
  return tensor::ExpandShapeOp::create(b, loc, dst, v, *re);
}

//===----------------------------------------------------------------------===//
// NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss
//===----------------------------------------------------------------------===//

namespace {
enum class Reduction { None, Sum, Mean };
} // namespace

static FailureOr<Reduction> readReduction(NodeContext &n) {
  std::string r = n.attrString("reduction", "mean");
  if (r == "none")
    return Reduction::None;
  if (r == "sum")
    return Reduction::Sum;
  if (r == "mean")
    return Reduction::Mean;
  return n.fail("unknown reduction '" + r + "' (none, sum or mean)");
}

/// Checks the shapes of (input [N,C,d...], target [N,d...], weight [C]).
static LogicalResult checkLossShapes(NodeContext &n, llvm::StringRef what) {
  auto xt = n.inputType(0), tt = n.inputType(1);
  if (!xt || !tt)
    return n.fail("expects " + what + " and a target");
  if (!llvm::isa<FloatType>(xt.getElementType()))
    return n.fail("expects a floating-point " + what);
  if (!llvm::isa<IntegerType>(tt.getElementType()))
    return n.fail("expects an integer target");
  if (xt.getRank() < 2)
    return n.fail("expects " + what + " of rank >= 2 ([N, C, d1...])");
  SmallVector<int64_t> want = dropDim(xt.getShape(), 1);
  if (tt.getShape() != llvm::ArrayRef<int64_t>(want))
    return n.fail("target shape must be the " + what +
                  " shape without dim 1 (C)");
  if (n.hasInput(2)) {
    auto wt = n.inputType(2);
    if (!wt || wt.getRank() != 1 || wt.getDimSize(0) != xt.getDimSize(1) ||
        wt.getElementType() != xt.getElementType())
      return n.fail("weight must have shape [C] and the " + what +
                    " element type");
  }
  return success();
}

/// NegativeLogLikelihoodLoss of `x` [N,C,d...] (the loss is computed in
/// `calc`, a float type at least as wide as x's) against `target` [N,d...]
/// with optional `weight` [C]. Returns the loss in `calc`: [N,d...] for
/// Reduction::None, rank 0 otherwise.
static Value nllLoss(OpBuilder &b, Location loc, Value x, Value target,
                     Value weight, std::optional<int64_t> ignoreIndex,
                     Reduction red, Type calc) {
  auto tt = typeOf(target);
  int64_t rank = tt.getRank();
  MLIRContext *ctx = b.getContext();
  Type tElt = tt.getElementType();
  bool reduce = red != Reduction::None;

  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  SmallVector<Value> inits;
  if (reduce) {
    Value zero = scalarConst(b, loc, calc, 0);
    inits.push_back(filled(b, loc, {}, calc, zero));
    if (red == Reduction::Mean)
      inits.push_back(filled(b, loc, {}, calc, zero));
    for (size_t k = 0; k < inits.size(); ++k)
      maps.push_back(AffineMap::get(rank, 0, {}, ctx));
  } else {
    inits.push_back(tensor::EmptyOp::create(b, loc, tt.getShape(), calc));
    maps.push_back(b.getMultiDimIdentityMap(rank));
  }
  SmallVector<utils::IteratorType> iters(
      rank,
      reduce ? utils::IteratorType::reduction : utils::IteratorType::parallel);
  SmallVector<Type> resultTypes;
  for (Value v : inits)
    resultTypes.push_back(v.getType());

  auto op = linalg::GenericOp::create(
      b, loc, resultTypes, ValueRange{target}, inits, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value tgt = a[0];
        Value cls = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), tgt);
        Value ignored;
        if (ignoreIndex) {
          Value ii = arith::ConstantOp::create(
              nb, nl, nb.getIntegerAttr(tElt, *ignoreIndex));
          ignored =
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, tgt, ii);
          // An ignored target may be out of range: read class 0 instead.
          Value c0 = arith::ConstantIndexOp::create(nb, nl, 0);
          cls = arith::SelectOp::create(nb, nl, ignored, c0, cls);
        }
        SmallVector<Value> idx = {linalg::IndexOp::create(nb, nl, 0), cls};
        for (int64_t d = 1; d < rank; ++d)
          idx.push_back(linalg::IndexOp::create(nb, nl, d));
        Value v = convertScalar(
            nb, nl, tensor::ExtractOp::create(nb, nl, x, idx), calc);
        Value w = weight ? convertScalar(nb, nl,
                                         tensor::ExtractOp::create(
                                             nb, nl, weight, ValueRange{cls}),
                                         calc)
                         : scalarConst(nb, nl, calc, 1);
        Value loss = arith::NegFOp::create(
            nb, nl, weight ? (Value)arith::MulFOp::create(nb, nl, v, w) : v);
        if (ignored) {
          Value zero = scalarConst(nb, nl, calc, 0);
          loss = arith::SelectOp::create(nb, nl, ignored, zero, loss);
          w = arith::SelectOp::create(nb, nl, ignored, zero, w);
        }
        SmallVector<Value> results;
        if (!reduce) {
          results.push_back(loss);
        } else {
          results.push_back(arith::AddFOp::create(nb, nl, a[1], loss));
          if (red == Reduction::Mean)
            results.push_back(arith::AddFOp::create(nb, nl, a[2], w));
        }
        linalg::YieldOp::create(nb, nl, results);
      });
  if (red != Reduction::Mean)
    return op.getResult(0);
  // Mean: divided by the total weight of the targets not ignored.
  return buildElementwise(b, loc, {op.getResult(0), op.getResult(1)}, calc,
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            return arith::DivFOp::create(nb, nl, a[0], a[1]);
                          });
}

static std::optional<int64_t> ignoreIndexOf(NodeContext &n) {
  if (!n.attr("ignore_index"))
    return std::nullopt;
  return n.attrInt("ignore_index", 0);
}

static LogicalResult importNLLLoss(NodeContext &n) {
  if (failed(checkLossShapes(n, "input")))
    return failure();
  auto red = readReduction(n);
  if (failed(red))
    return failure();
  OpBuilder &b = n.builder();
  Type elt = n.inputType(0).getElementType();
  Type calc = accumulationType(elt);
  Value loss = nllLoss(b, n.loc, n.input(0), n.input(1),
                       n.hasInput(2) ? n.input(2) : Value(), ignoreIndexOf(n),
                       *red, calc);
  return n.setOutputs(castFloat(b, n.loc, loss, elt));
}

static LogicalResult importSoftmaxCrossEntropyLoss(NodeContext &n) {
  if (failed(checkLossShapes(n, "scores")))
    return failure();
  auto red = readReduction(n);
  if (failed(red))
    return failure();
  OpBuilder &b = n.builder();
  Type elt = n.inputType(0).getElementType();
  Type calc = accumulationType(elt);
  Value logProb =
      buildLogSoftmax(b, n.loc, castFloat(b, n.loc, n.input(0), calc), 1);
  Value weight =
      n.hasInput(2) ? castFloat(b, n.loc, n.input(2), calc) : Value();
  Value loss = nllLoss(b, n.loc, logProb, n.input(1), weight, ignoreIndexOf(n),
                       *red, calc);
  return n.setOutputs(
      {castFloat(b, n.loc, loss, elt), castFloat(b, n.loc, logProb, elt)});
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

/// Dropout at inference is the identity; the mask (all kept) is bool from
/// opset 10, of the data type before.
static LogicalResult importDropout(NodeContext &n) {
  auto ty = n.inputType(0);
  if (!ty)
    return n.fail("expects an input");
  // Opsets 1-6 have is_test and 7-11 a ratio attribute; neither has a
  // training switch an inference compiler could honour, so they are the
  // identity. From opset 12, training_mode (input 2) selects training.
  if (n.opset >= 12 && n.hasInput(2)) {
    const HostTensor *mode = n.constantInput(2);
    // The ratio defaults to 0.5; only a constant 0 drops nothing.
    const HostTensor *ratio = n.hasInput(1) ? n.constantInput(1) : nullptr;
    bool ratioZero =
        ratio && ratio->numElements() == 1 && ratio->asDouble(0) == 0.0;
    if (!mode && !ratioZero)
      return n.fail("training_mode is not a compile-time constant; only "
                    "inference (training_mode = false) is supported");
    if (mode && mode->numElements() == 1 && mode->asInt(0) != 0 && !ratioZero)
      return n.fail("training mode not supported (training_mode = true with a "
                    "ratio that is not a constant 0)");
  }
  OpBuilder &b = n.builder();
  SmallVector<Value> outs = {n.input(0)};
  if (n.node.output_size() > 1 && !n.node.output(1).empty()) {
    if (n.opset >= 10) {
      auto mt = tensorOf(ty.getShape(), b.getI1Type());
      outs.push_back(arith::ConstantOp::create(
          b, n.loc, DenseElementsAttr::get(mt, true)));
    } else {
      outs.push_back(
          splatConstant(b, n.loc, ty.getElementType(), ty.getShape(), 1.0));
    }
  }
  SmallVector<int32_t> types = {n.inputOnnxType(0)};
  if (outs.size() > 1)
    types.push_back(n.opset >= 10 ? (int32_t)onnx::TensorProto::BOOL
                                  : n.inputOnnxType(0));
  return n.setOutputs(outs, types);
}

//===----------------------------------------------------------------------===//
// TopK
//===----------------------------------------------------------------------===//

/// Whether element `a` (at index ia) comes before `c` (at index ic) in TopK
/// order: larger (smaller) first, ties to the lower index.
static Value topKBefore(OpBuilder &b, Location loc, Value a, Value ia, Value c,
                        Value ic, bool largest, bool isUnsigned) {
  Value better, equal;
  if (llvm::isa<FloatType>(a.getType())) {
    better = arith::CmpFOp::create(
        b, loc, largest ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT,
        a, c);
    equal = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, a, c);
  } else {
    using P = arith::CmpIPredicate;
    P p = largest ? (isUnsigned ? P::ugt : P::sgt)
                  : (isUnsigned ? P::ult : P::slt);
    better = arith::CmpIOp::create(b, loc, p, a, c);
    equal = arith::CmpIOp::create(b, loc, P::eq, a, c);
  }
  Value lower =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, ia, ic);
  return arith::OrIOp::create(b, loc, better,
                              arith::AndIOp::create(b, loc, equal, lower));
}

/// Sorts `x` along `axis` into TopK order (largest or smallest first, ties
/// to the lower index) with a bitonic sorting network: the axis is padded to
/// a power of two with elements that sort last, then each of the
/// log2(n) * (log2(n) + 1) / 2 stages is one linalg.generic in which every
/// element compares itself with its partner (index xor j, read with
/// tensor.extract) and keeps the one its position should hold. Returns the
/// sorted values and their i64 source indices, padding included.
static std::pair<Value, Value> sortAlong(OpBuilder &b, Location loc, Value x,
                                         int64_t axis, bool largest,
                                         bool isUnsigned) {
  auto ty = typeOf(x);
  Type elt = ty.getElementType();
  Type i64 = b.getI64Type();
  int64_t rank = ty.getRank(), len = ty.getDimSize(axis);
  int64_t padded = (int64_t)llvm::PowerOf2Ceil(std::max<int64_t>(len, 1));
  SmallVector<int64_t> shape(ty.getShape());
  shape[axis] = padded;
  Value vals = x;
  if (padded != len) {
    // Padding sorts after every element: the worst value, a larger index.
    TypedAttr worst;
    if (auto ft = llvm::dyn_cast<FloatType>(elt)) {
      worst = b.getFloatAttr(
          elt, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/largest));
    } else {
      unsigned w = elt.getIntOrFloatBitWidth();
      APInt v = largest ? (isUnsigned ? APInt::getMinValue(w)
                                      : APInt::getSignedMinValue(w))
                        : (isUnsigned ? APInt::getMaxValue(w)
                                      : APInt::getSignedMaxValue(w));
      worst = b.getIntegerAttr(elt, v);
    }
    Value fill =
        filled(b, loc, shape, elt, arith::ConstantOp::create(b, loc, worst));
    SmallVector<OpFoldResult> offs(rank, b.getIndexAttr(0)), sizes,
        steps(rank, b.getIndexAttr(1));
    for (int64_t d : ty.getShape())
      sizes.push_back(b.getIndexAttr(d));
    vals = tensor::InsertSliceOp::create(b, loc, x, fill, offs, sizes, steps);
  }
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto id = b.getMultiDimIdentityMap(rank);
  Value idxInit = tensor::EmptyOp::create(b, loc, shape, i64);
  Value idx =
      linalg::GenericOp::create(
          b, loc, TypeRange{idxInit.getType()}, ValueRange{},
          ValueRange{idxInit}, SmallVector<AffineMap>{id}, iters,
          [&](OpBuilder &nb, Location nl, ValueRange) {
            linalg::YieldOp::create(
                nb, nl,
                ValueRange{arith::IndexCastOp::create(
                    nb, nl, i64, linalg::IndexOp::create(nb, nl, axis))});
          })
          .getResult(0);
  for (int64_t k = 2; k <= padded; k *= 2) {
    for (int64_t j = k / 2; j >= 1; j /= 2) {
      Value vInit = tensor::EmptyOp::create(b, loc, shape, elt);
      Value iInit = tensor::EmptyOp::create(b, loc, shape, i64);
      Value curV = vals, curI = idx;
      auto stage = linalg::GenericOp::create(
          b, loc, TypeRange{vInit.getType(), iInit.getType()},
          ValueRange{curV, curI}, ValueRange{vInit, iInit},
          SmallVector<AffineMap>{id, id, id, id}, iters,
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value mineV = a[0], mineI = a[1];
            SmallVector<Value> at;
            for (int64_t d = 0; d < rank; ++d)
              at.push_back(linalg::IndexOp::create(nb, nl, d));
            Value i = at[axis];
            Value jc = arith::ConstantIndexOp::create(nb, nl, j);
            Value kc = arith::ConstantIndexOp::create(nb, nl, k);
            Value c0 = arith::ConstantIndexOp::create(nb, nl, 0);
            Value l = arith::XOrIOp::create(nb, nl, i, jc);
            at[axis] = l;
            Value otherV = tensor::ExtractOp::create(nb, nl, curV, at);
            Value otherI = tensor::ExtractOp::create(nb, nl, curI, at);
            using P = arith::CmpIPredicate;
            // Blocks of k alternate between ascending and descending runs.
            Value ascending = arith::CmpIOp::create(
                nb, nl, P::eq, arith::AndIOp::create(nb, nl, i, kc), c0);
            Value lowerPos = arith::CmpIOp::create(nb, nl, P::ult, i, l);
            Value holdsFirst =
                arith::CmpIOp::create(nb, nl, P::eq, lowerPos, ascending);
            Value mineFirst = topKBefore(nb, nl, mineV, mineI, otherV, otherI,
                                         largest, isUnsigned);
            Value keep =
                arith::CmpIOp::create(nb, nl, P::eq, holdsFirst, mineFirst);
            linalg::YieldOp::create(
                nb, nl,
                ValueRange{
                    arith::SelectOp::create(nb, nl, keep, mineV, otherV),
                    arith::SelectOp::create(nb, nl, keep, mineI, otherI)});
          });
      vals = stage.getResult(0);
      idx = stage.getResult(1);
    }
  }
  return {vals, idx};
}

static LogicalResult importTopK(NodeContext &n) {
  auto ty = n.inputType(0);
  if (!ty || ty.getRank() == 0)
    return n.fail("expects an input of rank >= 1");
  Type elt = ty.getElementType();
  if (!llvm::isa<FloatType, IntegerType>(elt))
    return n.fail("unsupported element type");
  int64_t rank = ty.getRank();
  auto axis = normalizeAxis(n.attrInt("axis", -1), rank);
  if (!axis)
    return n.fail("axis out of range");
  int64_t len = ty.getDimSize(*axis);
  int64_t k;
  if (n.opset < 10) {
    k = n.attrInt("k", -1);
  } else if (const HostTensor *t = n.constantInput(1)) {
    if (t->numElements() != 1)
      return n.fail("input 'K' must hold one element");
    k = t->asInt(0);
  } else {
    auto shape = n.shapeForRuntime("input 'K'", 0);
    if (failed(shape))
      return failure();
    if ((int64_t)shape->size() != rank)
      return n.fail("declared output rank differs from the input rank");
    k = (*shape)[*axis];
  }
  if (k < 0 || k > len)
    return n.fail("K = " + std::to_string(k) + " is out of range [0, " +
                  std::to_string(len) + "]");
  bool largest = n.attrInt("largest", 1) != 0;
  bool isUnsigned = isUnsignedOnnxType(n.inputOnnxType(0));
  // sorted = 0 leaves the order unspecified: sorted order is one.
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Value x = n.input(0);
  auto [vals, idx] = sortAlong(b, loc, x, *axis, largest, isUnsigned);
  // The first K of the sorted (and padded) values and indices.
  SmallVector<int64_t> outShape(ty.getShape());
  outShape[*axis] = k;
  SmallVector<OpFoldResult> offs(rank, b.getIndexAttr(0)), sizes,
      steps(rank, b.getIndexAttr(1));
  for (int64_t d : outShape)
    sizes.push_back(b.getIndexAttr(d));
  auto slice = [&](Value v) -> Value {
    if (typeOf(v).getShape() == llvm::ArrayRef<int64_t>(outShape))
      return v;
    return tensor::ExtractSliceOp::create(b, loc, typeOf(v).clone(outShape), v,
                                          offs, sizes, steps);
  };
  return n.setOutputs({slice(vals), slice(idx)},
                      {n.inputOnnxType(0), onnx::TensorProto::INT64});
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

namespace {
/// One term of an einsum equation: letters, with -1 standing for the
/// ellipsis (at most one).
struct EinsumTerm {
  SmallVector<int> letters;
  bool hasEllipsis() const { return llvm::is_contained(letters, -1); }
};
} // namespace

static std::optional<EinsumTerm> parseEinsumTerm(llvm::StringRef s) {
  EinsumTerm t;
  for (size_t i = 0; i < s.size();) {
    if (s.substr(i).starts_with("...")) {
      if (t.hasEllipsis())
        return std::nullopt;
      t.letters.push_back(-1);
      i += 3;
    } else if (llvm::isAlpha(s[i])) {
      t.letters.push_back((unsigned char)s[i]);
      ++i;
    } else {
      return std::nullopt;
    }
  }
  return t;
}

static LogicalResult importEinsum(NodeContext &n) {
  std::string eq;
  for (char c : n.attrString("equation", ""))
    if (!std::isspace((unsigned char)c))
      eq.push_back(c);
  if (eq.empty())
    return n.fail("missing equation");
  llvm::StringRef eqRef(eq);
  auto [lhs, rhs] = eqRef.split("->");
  bool explicitOut = eqRef.contains("->");
  SmallVector<llvm::StringRef> inStrs;
  lhs.split(inStrs, ',');
  if (inStrs.size() != n.numInputs())
    return n.fail("equation '" + eq + "' names " +
                  std::to_string(inStrs.size()) + " operands, the node has " +
                  std::to_string(n.numInputs()));
  SmallVector<EinsumTerm> ins;
  SmallVector<RankedTensorType> types;
  Type elt;
  int64_t ellRank = 0;
  for (size_t k = 0; k < inStrs.size(); ++k) {
    auto t = parseEinsumTerm(inStrs[k]);
    auto ty = n.inputType(k);
    if (!t || !ty)
      return n.fail("cannot parse equation '" + eq + "'");
    if (k == 0)
      elt = ty.getElementType();
    else if (ty.getElementType() != elt)
      return n.fail("operands must have one element type");
    int64_t named = t->letters.size() - (t->hasEllipsis() ? 1 : 0);
    if (t->hasEllipsis() ? named > ty.getRank() : named != ty.getRank())
      return n.fail("term '" + inStrs[k].str() + "' does not match the rank " +
                    std::to_string(ty.getRank()) + " of operand " +
                    std::to_string(k));
    if (t->hasEllipsis())
      ellRank = std::max(ellRank, ty.getRank() - named);
    ins.push_back(*t);
    types.push_back(ty);
  }
  if (!llvm::isa<FloatType, IntegerType>(elt))
    return n.fail("unsupported element type");

  // Loop dims: the ellipsis dims, then each letter in order of appearance.
  llvm::DenseMap<int, int64_t> dimOf;
  SmallVector<int64_t> bounds(ellRank, 1);
  SmallVector<int> order;
  for (size_t k = 0; k < ins.size(); ++k) {
    int64_t ell = types[k].getRank() -
                  (ins[k].letters.size() - (ins[k].hasEllipsis() ? 1 : 0));
    int64_t pos = 0;
    for (int l : ins[k].letters) {
      if (l == -1) {
        for (int64_t e = 0; e < ell; ++e) {
          int64_t sz = types[k].getDimSize(pos++);
          int64_t &bd = bounds[ellRank - ell + e];
          if (sz != 1 && bd != 1 && sz != bd)
            return n.fail("ellipsis dims do not broadcast");
          if (sz != 1)
            bd = sz;
        }
        continue;
      }
      int64_t sz = types[k].getDimSize(pos++);
      auto it = dimOf.find(l);
      if (it == dimOf.end()) {
        dimOf[l] = bounds.size();
        bounds.push_back(sz);
        order.push_back(l);
      } else if (bounds[it->second] != sz) {
        return n.fail(std::string("letter '") + (char)l +
                      "' has different sizes in the operands");
      }
    }
  }
  EinsumTerm out;
  if (explicitOut) {
    auto t = parseEinsumTerm(rhs);
    if (!t)
      return n.fail("cannot parse equation '" + eq + "'");
    for (int l : t->letters)
      if (l != -1 && !dimOf.count(l))
        return n.fail(std::string("output letter '") + (char)l +
                      "' is not in any operand");
    if (ellRank > 0 && !t->hasEllipsis())
      return n.fail("the output drops the ellipsis dims (not supported)");
    out = *t;
  } else {
    // Implicit output: the ellipsis, then letters seen once, alphabetically.
    if (ellRank > 0)
      out.letters.push_back(-1);
    llvm::DenseMap<int, int> count;
    for (const auto &t : ins)
      for (int l : t.letters)
        if (l != -1)
          ++count[l];
    SmallVector<int> once;
    for (int l : order)
      if (count[l] == 1)
        once.push_back(l);
    llvm::sort(once);
    out.letters.append(once);
  }

  MLIRContext *ctx = n.builder().getContext();
  int64_t numLoops = bounds.size();
  SmallVector<AffineMap> maps;
  for (size_t k = 0; k < ins.size(); ++k) {
    int64_t ell = types[k].getRank() -
                  (ins[k].letters.size() - (ins[k].hasEllipsis() ? 1 : 0));
    SmallVector<AffineExpr> exprs;
    for (int l : ins[k].letters) {
      if (l != -1) {
        exprs.push_back(getAffineDimExpr(dimOf[l], ctx));
        continue;
      }
      for (int64_t e = 0; e < ell; ++e) {
        int64_t loop = ellRank - ell + e;
        bool bcast =
            types[k].getDimSize(exprs.size()) == 1 && bounds[loop] != 1;
        exprs.push_back(bcast ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(loop, ctx));
      }
    }
    maps.push_back(AffineMap::get(numLoops, 0, exprs, ctx));
  }
  SmallVector<AffineExpr> outExprs;
  SmallVector<int64_t> outShape;
  SmallVector<bool> inOutput(numLoops, false);
  for (int l : out.letters) {
    if (l == -1) {
      for (int64_t e = 0; e < ellRank; ++e) {
        outExprs.push_back(getAffineDimExpr(e, ctx));
        outShape.push_back(bounds[e]);
        inOutput[e] = true;
      }
      continue;
    }
    int64_t d = dimOf[l];
    if (inOutput[d])
      return n.fail(std::string("output letter '") + (char)l +
                    "' appears twice");
    inOutput[d] = true;
    outExprs.push_back(getAffineDimExpr(d, ctx));
    outShape.push_back(bounds[d]);
  }
  maps.push_back(AffineMap::get(numLoops, 0, outExprs, ctx));
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < numLoops; ++d)
    iters.push_back(inOutput[d] ? utils::IteratorType::parallel
                                : utils::IteratorType::reduction);

  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Type calc = accumulationType(elt);
  bool isFloat = llvm::isa<FloatType>(elt);
  Value init = filled(b, loc, outShape, calc, scalarConst(b, loc, calc, 0));
  SmallVector<Value> operands;
  for (size_t k = 0; k < ins.size(); ++k)
    operands.push_back(n.input(k));
  Value r =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, operands, ValueRange{init}, maps,
          iters,
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value prod;
            for (Value v : a.drop_back()) {
              if (isFloat)
                v = convertScalar(nb, nl, v, calc);
              prod = !prod     ? v
                     : isFloat ? (Value)arith::MulFOp::create(nb, nl, prod, v)
                               : (Value)arith::MulIOp::create(nb, nl, prod, v);
            }
            Value s =
                isFloat ? (Value)arith::AddFOp::create(nb, nl, a.back(), prod)
                        : (Value)arith::AddIOp::create(nb, nl, a.back(), prod);
            linalg::YieldOp::create(nb, nl, ValueRange{s});
          })
          .getResult(0);
  if (isFloat)
    r = castFloat(b, loc, r, elt);
  return n.setOutputs(r, {n.inputOnnxType(0)});
}

//===----------------------------------------------------------------------===//
// GlobalMaxPool, GlobalLpPool
//===----------------------------------------------------------------------===//

/// Reduces the spatial dims (2...) of `x`, keeping them as size-1 dims, with
/// a linalg.reduce whose body is `combine(element, acc)`.
static Value reduceSpatial(
    OpBuilder &b, Location loc, Value x, Value identity,
    llvm::function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto ty = typeOf(x);
  SmallVector<int64_t> dims;
  for (int64_t d = 2; d < ty.getRank(); ++d)
    dims.push_back(d);
  Value init = filled(b, loc, ty.getShape().take_front(2), ty.getElementType(),
                      identity);
  auto red = linalg::ReduceOp::create(
      b, loc, ValueRange{x}, ValueRange{init}, dims,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        linalg::YieldOp::create(nb, nl,
                                ValueRange{combine(nb, nl, a[0], a[1])});
      });
  SmallVector<int64_t> keep(ty.getRank(), 1);
  keep[0] = ty.getDimSize(0);
  keep[1] = ty.getDimSize(1);
  return expandTo(b, loc, red.getResult(0), keep);
}

static LogicalResult importGlobalMaxPool(NodeContext &n) {
  auto ty = n.inputType(0);
  if (!ty || !llvm::isa<FloatType>(ty.getElementType()) || ty.getRank() < 3)
    return n.fail("expects a floating-point input of rank >= 3");
  OpBuilder &b = n.builder();
  Type elt = ty.getElementType();
  Value v = n.input(0);
  if (isTosaFloat(elt)) {
    SmallVector<int64_t> shape(ty.getShape());
    for (int64_t d = 2; d < ty.getRank(); ++d) {
      shape[d] = 1;
      v = tosa::ReduceMaxOp::create(b, n.loc, ty.clone(shape), v,
                                    b.getI32IntegerAttr(d));
    }
    return n.setOutputs(v);
  }
  auto ft = llvm::cast<FloatType>(elt);
  Value negInf = arith::ConstantOp::create(
      b, n.loc,
      b.getFloatAttr(elt, APFloat::getInf(ft.getFloatSemantics(), true)));
  return n.setOutputs(reduceSpatial(
      b, n.loc, v, negInf, [](OpBuilder &nb, Location nl, Value x, Value acc) {
        return arith::MaximumFOp::create(nb, nl, x, acc);
      }));
}

static LogicalResult importGlobalLpPool(NodeContext &n) {
  auto ty = n.inputType(0);
  if (!ty || !llvm::isa<FloatType>(ty.getElementType()) || ty.getRank() < 3)
    return n.fail("expects a floating-point input of rank >= 3");
  // p is a float before opset 2, an int after.
  const onnx::AttributeProto *pa = n.attr("p");
  double pf = !pa                                         ? 2.0
              : pa->type() == onnx::AttributeProto::FLOAT ? (double)pa->f()
                                                          : (double)pa->i();
  if (pf <= 0 || pf != std::floor(pf))
    return n.fail("p must be a positive integer (got " + std::to_string(pf) +
                  ")");
  int64_t p = (int64_t)pf;
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Type elt = ty.getElementType(), calc = accumulationType(elt);
  Value x = castFloat(b, loc, n.input(0), calc);
  Value s = reduceSpatial(b, loc, x, scalarConst(b, loc, calc, 0),
                          [&](OpBuilder &nb, Location nl, Value v, Value acc) {
                            Value a = math::AbsFOp::create(nb, nl, v);
                            Value t = a;
                            for (int64_t k = 1; k < p && p <= 4; ++k)
                              t = arith::MulFOp::create(nb, nl, t, a);
                            if (p > 4)
                              t = math::PowFOp::create(
                                  nb, nl, a, scalarConst(nb, nl, calc, p));
                            return arith::AddFOp::create(nb, nl, acc, t);
                          });
  if (p > 1)
    s = buildElementwise(
        b, loc, {s}, calc, [&](OpBuilder &nb, Location nl, ValueRange a) {
          if (p == 2)
            return (Value)math::SqrtOp::create(nb, nl, a[0]);
          return (Value)math::PowFOp::create(
              nb, nl, a[0], scalarConst(nb, nl, calc, 1.0 / (double)p));
        });
  return n.setOutputs(castFloat(b, loc, s, elt));
}

//===----------------------------------------------------------------------===//
// Det
//===----------------------------------------------------------------------===//

/// Determinant of [..., M, M] for M <= 3 in closed form: one generic over
/// the batch dims whose operands are the M*M entries (constant-index maps).
static LogicalResult importDet(NodeContext &n) {
  auto ty = n.inputType(0);
  if (!ty || !llvm::isa<FloatType>(ty.getElementType()) || ty.getRank() < 2)
    return n.fail("expects a floating-point input of rank >= 2");
  int64_t rank = ty.getRank(), m = ty.getDimSize(rank - 1);
  if (ty.getDimSize(rank - 2) != m)
    return n.fail("expects square matrices");
  if (m < 1 || m > 3)
    return n.fail("only matrices up to 3x3 are supported (got " +
                  std::to_string(m) + "x" + std::to_string(m) + ")");
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  MLIRContext *ctx = b.getContext();
  Type elt = ty.getElementType(), calc = accumulationType(elt);
  int64_t batch = rank - 2;
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < m; ++j) {
      SmallVector<AffineExpr> exprs;
      for (int64_t d = 0; d < batch; ++d)
        exprs.push_back(getAffineDimExpr(d, ctx));
      exprs.push_back(getAffineConstantExpr(i, ctx));
      exprs.push_back(getAffineConstantExpr(j, ctx));
      maps.push_back(AffineMap::get(batch, 0, exprs, ctx));
      operands.push_back(n.input(0));
    }
  maps.push_back(b.getMultiDimIdentityMap(batch));
  Value init =
      tensor::EmptyOp::create(b, loc, ty.getShape().take_front(batch), calc);
  SmallVector<utils::IteratorType> iters(batch, utils::IteratorType::parallel);
  Value r =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, operands, ValueRange{init}, maps,
          iters,
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            auto e = [&](int64_t i, int64_t j) {
              return convertScalar(nb, nl, a[i * m + j], calc);
            };
            auto mul = [&](Value x, Value y) {
              return (Value)arith::MulFOp::create(nb, nl, x, y);
            };
            auto sub = [&](Value x, Value y) {
              return (Value)arith::SubFOp::create(nb, nl, x, y);
            };
            auto minor = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
              return sub(mul(e(r0, c0), e(r1, c1)), mul(e(r0, c1), e(r1, c0)));
            };
            Value d;
            if (m == 1) {
              d = e(0, 0);
            } else if (m == 2) {
              d = minor(0, 1, 0, 1);
            } else {
              d = sub(mul(e(0, 0), minor(1, 2, 1, 2)),
                      mul(e(0, 1), minor(1, 2, 0, 2)));
              d = arith::AddFOp::create(nb, nl, d,
                                        mul(e(0, 2), minor(1, 2, 0, 1)));
            }
            linalg::YieldOp::create(nb, nl, ValueRange{d});
          })
          .getResult(0);
  return n.setOutputs(castFloat(b, loc, r, elt));
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerLossAndMiscOps(OpRegistry &r) {
  r.onOp("NegativeLogLikelihoodLoss", 12, importNLLLoss);
  r.onOp("SoftmaxCrossEntropyLoss", 12, importSoftmaxCrossEntropyLoss);
  r.onOp("Dropout", 1, importDropout);
  r.onOp("TopK", 1, importTopK);
  r.onOp("Einsum", 12, importEinsum);
  r.onOp("GlobalMaxPool", 1, importGlobalMaxPool);
  r.onOp("GlobalLpPool", 1, importGlobalLpPool);
  r.onOp("Det", 11, importDet);
}
