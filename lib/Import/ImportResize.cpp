//===- ImportResize.cpp - ONNX Resize, Upsample and ConvTranspose ---------===//
//
// Resize is separable: the importer resizes one axis at a time, as the ONNX
// reference does, with one linalg.generic per resized axis. Each output
// element computes its source coordinate from its index (linalg.index), the
// taps around it and their weights (arith/math on f64, matching the
// reference's coordinate arithmetic), and reads the taps with tensor.extract.
// Scales, sizes and roi may be runtime values: the output shape then comes
// from the shape the model declares, and the coordinate transform reads the
// runtime scale (or roi) as ONNX does.
//
// ConvTranspose is a convolution over the input dilated by the strides and
// padded by (kernel span - 1 - pads), with the weights flipped and their
// in/out channels swapped (tosa.conv2d / tosa.conv3d on NHWC / NDHWC).
//
//===----------------------------------------------------------------------===//
#include "ImporterCore.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

namespace {
/// Resize attributes, normalised over the opset versions.
struct ResizeSpec {
  std::string mode = "nearest";        // nearest | linear | cubic
  std::string coord = "half_pixel";    // coordinate_transformation_mode
  std::string nearestMode = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false;
  double extrapolation = 0.0;
  bool antialias = false;
};

/// A per-axis scalar that is a compile-time constant or a runtime f64 value.
struct Scalar {
  std::optional<double> c;
  Value v;                 // f64, when not constant
  Value from;              // or element `at` of this 1-D runtime tensor,
  int64_t at = 0;          // read when an axis needs it
};

/// Everything the generic of one resized axis needs.
struct AxisResize {
  int64_t axis, in, out;
  Scalar scale;
  Scalar roiStart, roiEnd; // tf_crop_and_resize only
};

/// f64 scalar arithmetic in a region, folding constants as it goes.
struct F64 {
  OpBuilder &b;
  Location loc;
  Value c(double v) {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
  }
  Value of(const Scalar &s) { return s.c ? c(*s.c) : s.v; }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value floor(Value x) { return math::FloorOp::create(b, loc, x); }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
};
} // namespace

/// Converts a scalar of element type `from` (signless; `isUnsigned` for
/// unsigned integers) to `to`, rounding half to even and saturating when
/// `to` is an integer type.
static Value convertScalar(OpBuilder &b, Location loc, Value v, Type to,
                           bool isUnsigned) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (auto ft = llvm::dyn_cast<FloatType>(to)) {
    if (llvm::isa<FloatType>(from))
      return ft.getWidth() > llvm::cast<FloatType>(from).getWidth()
                 ? (Value)arith::ExtFOp::create(b, loc, to, v)
                 : (Value)arith::TruncFOp::create(b, loc, to, v);
    return isUnsigned ? (Value)arith::UIToFPOp::create(b, loc, to, v)
                      : (Value)arith::SIToFPOp::create(b, loc, to, v);
  }
  // Float to integer: round half to even, clamp to the range, convert.
  auto it = llvm::cast<IntegerType>(to);
  unsigned w = it.getWidth();
  double lo = isUnsigned ? 0.0 : -std::ldexp(1.0, w - 1);
  double hi = isUnsigned ? std::ldexp(1.0, w) - 1 : std::ldexp(1.0, w - 1) - 1;
  Value r = math::RoundEvenOp::create(b, loc, v);
  auto cst = [&](double d) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(from, d));
  };
  r = arith::MaximumFOp::create(b, loc, r, cst(lo));
  r = arith::MinimumFOp::create(b, loc, r, cst(hi));
  return isUnsigned ? (Value)arith::FPToUIOp::create(b, loc, to, r)
                    : (Value)arith::FPToSIOp::create(b, loc, to, r);
}

/// Source coordinate of output index `y` (f64) along one axis.
/// Sets `outside` for tf_crop_and_resize coordinates outside the input.
static Value sourceCoordinate(F64 &f, const ResizeSpec &spec,
                              const AxisResize &ax, Value y, Value &outside) {
  Value s = f.of(ax.scale);
  Value in = f.c((double)ax.in);
  // The reference's float output length.
  auto outW = [&] { return f.mul(s, in); };
  Value one = f.c(1.0), half = f.c(0.5);
  auto outIsOne = [&] { return f.cmp(arith::CmpFPredicate::OEQ, outW(), one); };
  const std::string &m = spec.coord;
  if (m == "half_pixel")
    return f.sub(f.div(f.add(y, half), s), half);
  if (m == "pytorch_half_pixel")
    return f.select(outIsOne(), f.c(-0.5),
                    f.sub(f.div(f.add(y, half), s), half));
  if (m == "align_corners")
    return f.select(outIsOne(), f.c(0.0),
                    f.div(f.mul(y, f.c(ax.in - 1.0)), f.sub(outW(), one)));
  if (m == "asymmetric")
    return f.div(y, s);
  if (m == "tf_half_pixel_for_nn")
    return f.div(f.add(y, half), s);
  if (m == "half_pixel_symmetric") {
    Value adjustment = f.div(f.c((double)ax.out), outW());
    Value offset = f.mul(f.c(ax.in / 2.0), f.sub(one, adjustment));
    return f.add(offset, f.sub(f.div(f.add(y, half), s), half));
  }
  assert(m == "tf_crop_and_resize" && "modes are checked by the caller");
  Value r0 = f.of(ax.roiStart), r1 = f.of(ax.roiEnd);
  Value inM1 = f.c(ax.in - 1.0);
  Value span = f.mul(f.sub(r1, r0), inM1);
  Value x = f.select(outIsOne(), f.div(span, f.c(2.0)),
                     f.div(f.mul(y, span), f.sub(outW(), one)));
  x = f.add(x, f.mul(r0, inM1));
  outside = arith::OrIOp::create(
      f.b, f.loc, f.cmp(arith::CmpFPredicate::OLT, x, f.c(0.0)),
      f.cmp(arith::CmpFPredicate::OGT, x, inM1));
  return x;
}

/// Taps (source index as i64, weight as f64) around source coordinate `x`.
/// Follows the reference: the taps are the ones nearest to x preferring the
/// left, with ratio 1 when x is an integer.
static void resizeTaps(F64 &f, const ResizeSpec &spec, const AxisResize &ax,
                       Value x, SmallVectorImpl<std::pair<Value, Value>> &taps) {
  OpBuilder &b = f.b;
  Location loc = f.loc;
  Type i64 = b.getI64Type();
  auto toInt = [&](Value v) {
    return (Value)arith::FPToSIOp::create(b, loc, i64, v);
  };
  Value fl = f.floor(x);
  Value one = f.c(1.0);
  if (spec.mode == "nearest" && spec.nearestMode == "floor") {
    taps.push_back({toInt(fl), one});
    return;
  }
  if (spec.mode == "nearest") {
    Value frac = f.sub(x, fl);
    Value up; // whether to take floor + 1
    const std::string &nm = spec.nearestMode;
    if (nm == "round_prefer_floor")
      up = f.cmp(arith::CmpFPredicate::OGT, frac, f.c(0.5));
    else if (nm == "round_prefer_ceil")
      up = f.cmp(arith::CmpFPredicate::OGE, frac, f.c(0.5));
    else // ceil
      up = f.cmp(arith::CmpFPredicate::OGT, frac, f.c(0.0));
    taps.push_back({toInt(f.select(up, f.add(fl, one), fl)), one});
    return;
  }
  // ratio in (0, 1]; base is the tap left of x.
  Value isInt = f.cmp(arith::CmpFPredicate::OEQ, x, fl);
  Value ratio = f.select(isInt, one, f.sub(x, fl));
  Value base = f.select(isInt, f.sub(fl, one), fl);
  double sEff = 1.0;
  int64_t start; // offset of the first tap from base
  if (spec.antialias) {
    sEff = std::min(*ax.scale.c, 1.0);
    start = spec.mode == "linear" ? (int64_t)std::floor(-1.0 / sEff) + 1
                                  : (int64_t)std::floor(-2.0 / sEff) + 1;
  } else {
    start = spec.mode == "linear" ? 0 : -1;
  }
  int64_t count = 2 - 2 * start;
  SmallVector<Value> weights;
  double a = spec.cubicA;
  // The cubic kernel on |t| in [0, 1] and [1, 2], in Horner form.
  auto cubicNear = [&](Value t) { // ((A+2) t - (A+3)) t t + 1
    return f.add(
        f.mul(f.mul(f.sub(f.mul(f.c(a + 2), t), f.c(a + 3)), t), t), one);
  };
  auto cubicFar = [&](Value t) { // ((A t - 5A) t + 8A) t - 4A
    return f.sub(
        f.mul(f.add(f.mul(f.sub(f.mul(f.c(a), t), f.c(5 * a)), t), f.c(8 * a)), t),
        f.c(4 * a));
  };
  if (!spec.antialias) {
    if (spec.mode == "linear") {
      weights = {f.sub(one, ratio), ratio};
    } else {
      Value inv = f.sub(one, ratio);
      weights = {cubicFar(f.add(ratio, one)), cubicNear(ratio),
                 cubicNear(inv), cubicFar(f.add(inv, one))};
    }
  } else {
    // Kernel stretched by 1/scale, normalised to sum 1.
    Value sum;
    for (int64_t j = 0; j < count; ++j) {
      Value t = f.mul(f.sub(f.c((double)(start + j)), ratio), f.c(sEff));
      t = math::AbsFOp::create(b, loc, t);
      Value w;
      if (spec.mode == "linear") {
        w = arith::MaximumFOp::create(b, loc, f.sub(one, t), f.c(0.0));
      } else {
        w = f.select(f.cmp(arith::CmpFPredicate::OLE, t, one), cubicNear(t),
                     f.select(f.cmp(arith::CmpFPredicate::OLT, t, f.c(2.0)),
                              cubicFar(t), f.c(0.0)));
      }
      weights.push_back(w);
      sum = sum ? f.add(sum, w) : w;
    }
    for (Value &w : weights)
      w = f.div(w, sum);
  }
  Value baseI = toInt(base);
  for (int64_t j = 0; j < count; ++j) {
    Value idx = start + j == 0
                    ? baseI
                    : (Value)arith::AddIOp::create(
                          b, loc, baseI,
                          arith::ConstantOp::create(
                              b, loc, b.getI64IntegerAttr(start + j)));
    taps.push_back({idx, weights[j]});
  }
  if (spec.excludeOutside) {
    Value zero = f.c(0.0), sum;
    Value inI = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(ax.in));
    Value zeroI = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
    for (auto &[idx, w] : taps) {
      Value inside = arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, idx, zeroI),
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, idx, inI));
      w = f.select(inside, w, zero);
      sum = sum ? f.add(sum, w) : w;
    }
    sum = f.select(f.cmp(arith::CmpFPredicate::OEQ, sum, zero), one, sum);
    for (auto &tap : taps)
      tap.second = f.div(tap.second, sum);
  }
}

/// Resizes `axes` of `src` in one linalg.generic whose body reads the taps
/// of each output element with tensor.extract: several axes only in nearest
/// mode (one tap per axis), one axis otherwise (separable, as the reference).
/// Taps are converted to `computeElt` and the result to `resultElt`.
static Value resizeAxes(OpBuilder &b, Location loc, Value src,
                        const ResizeSpec &spec,
                        llvm::ArrayRef<AxisResize> axes, Type computeElt,
                        Type resultElt, bool isUnsigned) {
  auto srcTy = llvm::cast<RankedTensorType>(src.getType());
  int64_t rank = srcTy.getRank();
  bool nearest = spec.mode == "nearest";
  assert((nearest || axes.size() == 1) && "interpolation is per axis");
  SmallVector<int64_t> shape(srcTy.getShape());
  for (const AxisResize &ax : axes)
    shape[ax.axis] = ax.out;
  Value init = tensor::EmptyOp::create(b, loc, shape, resultElt);
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init}, maps,
      iters, [&](OpBuilder &nb, Location nl, ValueRange) {
        F64 f{nb, nl};
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d)
          coords.push_back(linalg::IndexOp::create(nb, nl, d));
        auto i64c = [&](int64_t v) {
          return arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(v));
        };
        auto clampIndex = [&](Value idx, int64_t len) {
          Value i = arith::MinSIOp::create(
              nb, nl, arith::MaxSIOp::create(nb, nl, idx, i64c(0)),
              i64c(len - 1));
          return arith::IndexCastOp::create(nb, nl, nb.getIndexType(), i);
        };
        // Source coordinates and taps of every axis, from the output index.
        Value outside;
        SmallVector<SmallVector<std::pair<Value, Value>>> taps(axes.size());
        for (size_t k = 0; k < axes.size(); ++k) {
          const AxisResize &ax = axes[k];
          Value y = arith::UIToFPOp::create(
              nb, nl, nb.getF64Type(),
              arith::IndexCastUIOp::create(nb, nl, nb.getI64Type(),
                                           coords[ax.axis]));
          Value out;
          Value x = sourceCoordinate(f, spec, ax, y, out);
          if (out)
            outside = outside ? (Value)arith::OrIOp::create(nb, nl, outside, out)
                              : out;
          resizeTaps(f, spec, ax, x, taps[k]);
        }
        Value acc;
        if (nearest) {
          for (size_t k = 0; k < axes.size(); ++k)
            coords[axes[k].axis] = clampIndex(taps[k][0].first, axes[k].in);
          acc = tensor::ExtractOp::create(nb, nl, src, coords);
        } else {
          const AxisResize &ax = axes[0];
          for (auto &[idx, w] : taps[0]) {
            coords[ax.axis] = clampIndex(idx, ax.in);
            Value v = tensor::ExtractOp::create(nb, nl, src, coords);
            v = convertScalar(nb, nl, v, computeElt, isUnsigned);
            Value wc = convertScalar(nb, nl, w, computeElt, false);
            Value term = arith::MulFOp::create(nb, nl, v, wc);
            acc = acc ? (Value)arith::AddFOp::create(nb, nl, acc, term) : term;
          }
        }
        if (outside) {
          Value e = convertScalar(nb, nl, f.c(spec.extrapolation),
                                  acc.getType(), isUnsigned);
          acc = arith::SelectOp::create(nb, nl, outside, e, acc);
        }
        linalg::YieldOp::create(
            nb, nl, convertScalar(nb, nl, acc, resultElt, isUnsigned));
      });
  return op.getResult(0);
}

/// Element `k` of a 1-D runtime tensor as an f64 scalar.
static Value extractF64(OpBuilder &b, Location loc, Value t, int64_t k,
                        bool isUnsigned) {
  Value idx = arith::ConstantIndexOp::create(b, loc, k);
  Value v = tensor::ExtractOp::create(b, loc, t, ValueRange{idx});
  return convertScalar(b, loc, v, b.getF64Type(), isUnsigned);
}

/// Resize (opset 10, 11, 13, 18, 19) and Upsample (7, 9). `scalesIdx` /
/// `sizesIdx` / `roiIdx` are the operand positions (-1 when the version has
/// none); `attrScales` are Upsample-7's scales attribute.
static LogicalResult importResizeImpl(NodeContext &n, ResizeSpec spec,
                                      int roiIdx, int scalesIdx, int sizesIdx,
                                      std::optional<std::vector<double>>
                                          attrScales = std::nullopt) {
  auto xt = n.inputType(0);
  if (!xt)
    return n.fail("expects a ranked input X");
  Type elt = xt.getElementType();
  bool isFloat = llvm::isa<FloatType>(elt);
  if (!isFloat && !llvm::isa<IntegerType>(elt))
    return n.fail("unsupported element type for X");
  bool isUnsigned = isUnsignedOnnxType(n.inputOnnxType(0));
  if (spec.mode == "bilinear")
    spec.mode = "linear";
  if (spec.mode != "nearest" && spec.mode != "linear" && spec.mode != "cubic")
    return n.fail("unknown mode '" + spec.mode + "'");
  static const char *coordModes[] = {
      "half_pixel",         "pytorch_half_pixel", "align_corners",
      "asymmetric",         "tf_half_pixel_for_nn", "tf_crop_and_resize",
      "half_pixel_symmetric"};
  if (!llvm::is_contained(coordModes, spec.coord))
    return n.fail("unknown coordinate_transformation_mode '" + spec.coord +
                  "'");
  static const char *nearestModes[] = {"round_prefer_floor",
                                       "round_prefer_ceil", "floor", "ceil"};
  if (!llvm::is_contained(nearestModes, spec.nearestMode))
    return n.fail("unknown nearest_mode '" + spec.nearestMode + "'");
  if (spec.antialias && spec.mode == "nearest")
    spec.antialias = false; // the reference rejects it; nothing to smooth

  OpBuilder &b = n.builder();
  Location loc = n.loc;
  int64_t rank = xt.getRank();
  std::vector<int64_t> axes;
  if (n.attr("axes")) {
    for (int64_t a : n.attrInts("axes")) {
      auto na = normalizeAxis(a, rank);
      if (!na || llvm::is_contained(axes, *na))
        return n.fail("axes must be distinct and within the rank of X");
      axes.push_back(*na);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  int64_t naxes = axes.size();

  // An operand is given when present and not an empty tensor.
  auto given = [&](int idx) {
    if (idx < 0 || !n.hasInput(idx))
      return false;
    auto t = n.inputType(idx);
    return t && t.getNumElements() != 0;
  };
  bool hasScales = attrScales || given(scalesIdx);
  bool hasSizes = given(sizesIdx);
  if (hasScales == hasSizes)
    return n.fail("exactly one of scales and sizes must be given");
  int idxOp = hasScales ? scalesIdx : sizesIdx;
  if (!attrScales) {
    auto t = n.inputType(idxOp);
    if (t.getRank() != 1 || t.getDimSize(0) != naxes)
      return n.fail(std::string(hasScales ? "scales" : "sizes") + " must have " +
                    std::to_string(naxes) + " elements");
  } else if ((int64_t)attrScales->size() != naxes) {
    return n.fail("scales must have " + std::to_string(naxes) + " elements");
  }

  // Per-axis scale and output length (only `axes` are resized).
  std::vector<Scalar> scales(naxes);
  std::vector<int64_t> outShape(xt.getShape());
  const HostTensor *cst = attrScales ? nullptr : n.constantInput(idxOp);
  bool outKnown = true;
  std::string policy = n.attrString("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
    return n.fail("unknown keep_aspect_ratio_policy '" + policy + "'");
  if (hasScales) {
    for (int64_t i = 0; i < naxes; ++i) {
      int64_t in = xt.getDimSize(axes[i]);
      if (attrScales || cst) {
        // Scales are float32 in the model: use that value, as the reference.
        double s = (float)(attrScales ? (*attrScales)[i] : cst->asDouble(i));
        if (!(s > 0))
          return n.fail("scales must be positive");
        scales[i].c = s;
        outShape[axes[i]] = (int64_t)std::floor(s * (double)in);
      } else {
        scales[i].from = n.input(idxOp);
        scales[i].at = i;
        outKnown = false;
      }
    }
  } else {
    std::vector<double> ratios(naxes);
    std::vector<Value> ratioVals(naxes);
    for (int64_t i = 0; i < naxes; ++i) {
      int64_t in = xt.getDimSize(axes[i]);
      if (cst) {
        ratios[i] = (double)cst->asInt(i) / (double)in;
        outShape[axes[i]] = cst->asInt(i);
      } else if (policy == "stretch") {
        outKnown = false; // exact ratio from the declared shape below
      } else {
        F64 f{b, loc};
        ratioVals[i] = f.div(extractF64(b, loc, n.input(idxOp), i, false),
                             f.c((double)in));
      }
    }
    if (policy == "stretch") {
      for (int64_t i = 0; i < naxes; ++i)
        if (cst)
          scales[i].c = ratios[i];
    } else {
      // One scale for every axis; output length rounds half up.
      Scalar s;
      if (cst) {
        double v = ratios[0];
        for (double r : ratios)
          v = policy == "not_larger" ? std::min(v, r) : std::max(v, r);
        s.c = v;
      } else {
        Value v = ratioVals[0];
        for (Value r : llvm::drop_begin(ratioVals))
          v = policy == "not_larger"
                  ? (Value)arith::MinimumFOp::create(b, loc, v, r)
                  : (Value)arith::MaximumFOp::create(b, loc, v, r);
        s.v = v;
        outKnown = false;
      }
      for (int64_t i = 0; i < naxes; ++i) {
        scales[i] = s;
        if (s.c)
          outShape[axes[i]] =
              (int64_t)(*s.c * (double)xt.getDimSize(axes[i]) + 0.5);
      }
    }
  }
  if (auto declared = n.declaredOutputShape(0)) {
    if (outKnown && *declared != outShape)
      return n.fail("the output shape computed from scales/sizes differs from "
                    "the declared output shape");
    outShape = *declared;
  } else if (!outKnown) {
    auto s = n.shapeForRuntime(hasScales ? "scales" : "sizes");
    if (failed(s))
      return failure();
  }
  if ((int64_t)outShape.size() != rank)
    return n.fail("the declared output rank differs from the rank of X");
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(axes, d) && outShape[d] != xt.getDimSize(d))
      return n.fail("the output differs from X along an axis not resized");
  // Sizes with stretch and no constant: the ratio is declared / input.
  if (hasSizes && !cst && policy == "stretch")
    for (int64_t i = 0; i < naxes; ++i)
      scales[i].c = (double)outShape[axes[i]] / (double)xt.getDimSize(axes[i]);

  // roi, for tf_crop_and_resize only (ignored otherwise, as ONNX says).
  std::vector<Scalar> roi(2 * naxes);
  if (spec.coord == "tf_crop_and_resize") {
    if (!given(roiIdx))
      return n.fail("tf_crop_and_resize needs the roi input");
    auto rt = n.inputType(roiIdx);
    int64_t m = rt.getNumElements();
    if (rt.getRank() != 1 || (m != 2 * naxes && m != 2 * rank))
      return n.fail("roi must have 2 * (number of axes) elements");
    bool perAxis = m == 2 * naxes;
    const HostTensor *rc = n.constantInput(roiIdx);
    for (int64_t i = 0; i < naxes; ++i)
      for (int e = 0; e < 2; ++e) {
        int64_t k = perAxis ? i + e * naxes : axes[i] + e * rank;
        Scalar &s = roi[i + e * naxes];
        if (rc)
          s.c = rc->asDouble(k);
        else
          s.from = n.input(roiIdx), s.at = k;
      }
  }
  if (spec.antialias)
    for (const Scalar &s : scales)
      if (!s.c)
        return n.fail("antialias needs compile-time scales or sizes");

  // Resize the axes one at a time, skipping identities.
  std::vector<AxisResize> work;
  for (int64_t i = 0; i < naxes; ++i) {
    AxisResize ax{axes[i], xt.getDimSize(axes[i]), outShape[axes[i]],
                  scales[i], roi[i], roi[i + naxes]};
    if (ax.in == 0 || ax.out == 0)
      return n.fail("resizing from or to an empty axis is not supported");
    bool sameLen = ax.in == ax.out;
    bool unitScale = ax.scale.c && std::abs(*ax.scale.c - 1.0) < 1e-9;
    bool roiIdentity = spec.coord != "tf_crop_and_resize" ||
                       (ax.roiStart.c && ax.roiEnd.c &&
                        std::abs(*ax.roiStart.c) < 1e-9 &&
                        std::abs(*ax.roiEnd.c - 1.0) < 1e-9);
    // A length-1 axis maps onto itself whatever the scale (clamped taps;
    // tf_crop_and_resize coordinates are 0 * roi there).
    if (sameLen && ((unitScale && roiIdentity) || ax.in == 1))
      continue;
    work.push_back(ax);
  }
  // Read the runtime scalars the resized axes use, once, outside the loops.
  for (AxisResize &ax : work)
    for (Scalar *s : {&ax.scale, &ax.roiStart, &ax.roiEnd})
      if (s->from && !s->v)
        s->v = extractF64(b, loc, s->from, s->at, false);
  Value y = n.input(0);
  Type computeElt = elt;
  if (spec.mode != "nearest") {
    // Integers interpolate in f64 so that rounding to the nearest integer
    // sees the reference's values.
    computeElt = isFloat && elt.getIntOrFloatBitWidth() <= 32
                     ? (Type)b.getF32Type()
                     : (Type)b.getF64Type();
  }
  if (spec.mode == "nearest" && !work.empty()) {
    y = resizeAxes(b, loc, y, spec, work, elt, elt, isUnsigned);
  } else {
    for (size_t k = 0; k < work.size(); ++k) {
      bool last = k + 1 == work.size();
      y = resizeAxes(b, loc, y, spec, work[k], computeElt,
                     last ? elt : computeElt, isUnsigned);
    }
  }
  return n.setOutputs(y, {n.inputOnnxType(0)});
}

static ResizeSpec readResizeSpec(NodeContext &n) {
  ResizeSpec s;
  s.mode = n.attrString("mode", "nearest");
  s.coord = n.attrString("coordinate_transformation_mode", "half_pixel");
  s.nearestMode = n.attrString("nearest_mode", "round_prefer_floor");
  s.cubicA = n.attrFloat("cubic_coeff_a", -0.75f);
  s.excludeOutside = n.attrInt("exclude_outside", 0) != 0;
  s.extrapolation = n.attrFloat("extrapolation_value", 0.0f);
  s.antialias = n.attrInt("antialias", 0) != 0;
  return s;
}

/// Resize-10 and Upsample: asymmetric coordinates, nearest rounds down.
static ResizeSpec legacyResizeSpec(NodeContext &n) {
  ResizeSpec s;
  s.mode = n.attrString("mode", "nearest");
  s.coord = "asymmetric";
  s.nearestMode = "floor";
  return s;
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

/// ConvTranspose over 1-D (lifted to 2-D), 2-D and 3-D inputs: the input is
/// dilated by the strides (tensor.insert_slice with strides into zeros),
/// then convolved at stride 1 with the spatially flipped weights, padded by
/// (kernel span - 1 - pads) at each side; negative paddings crop the result.
static LogicalResult importConvTranspose(NodeContext &n) {
  auto xt = n.inputType(0), wt = n.inputType(1);
  if (!xt || !wt || !llvm::isa<FloatType>(xt.getElementType()) ||
      wt.getElementType() != xt.getElementType())
    return n.fail("expects floating-point X and W of one element type");
  int64_t rank = xt.getRank();
  if (rank < 3 || rank > 5)
    return n.fail("only 1-D, 2-D and 3-D transposed convolutions are "
                  "supported (input rank " + std::to_string(rank) + ")");
  if (wt.getRank() != rank)
    return n.fail("W rank differs from X rank");
  int64_t k = rank - 2;
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Type elt = xt.getElementType();
  std::vector<int64_t> xs(xt.getShape()), ws(wt.getShape());
  int64_t group = n.attrInt("group", 1);
  int64_t nb = xs[0], c = xs[1];
  if (group <= 0 || c % group || ws[0] != c)
    return n.fail("W has " + std::to_string(ws[0]) + " input channels, X " +
                  std::to_string(c) + ", group " + std::to_string(group));
  int64_t mg = ws[1], m = mg * group, cg = c / group;

  auto ints = [&](llvm::StringRef name, int64_t count, int64_t dflt)
      -> FailureOr<std::vector<int64_t>> {
    auto v = n.attrInts(name, std::vector<int64_t>(count, dflt));
    if ((int64_t)v.size() != count)
      return n.fail(name + " must have " + std::to_string(count) + " entries");
    return v;
  };
  auto strides = ints("strides", k, 1), dil = ints("dilations", k, 1),
       outPad = ints("output_padding", k, 0);
  if (failed(strides) || failed(dil) || failed(outPad))
    return failure();
  std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  if (n.attr("kernel_shape") && n.attrInts("kernel_shape") != kernel)
    return n.fail("kernel_shape does not match W");
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return n.fail("unknown auto_pad '" + autoPad + "'");
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  bool hasPads = n.attr("pads") != nullptr && autoPad != "VALID";
  std::vector<int64_t> pads(2 * k, 0);
  if (hasPads) {
    auto p = ints("pads", 2 * k, 0);
    if (failed(p))
      return failure();
    pads = *p;
  }
  std::optional<std::vector<int64_t>> outShape;
  if (n.attr("output_shape")) {
    auto os = n.attrInts("output_shape");
    if ((int64_t)os.size() == rank) // some exporters give N and C too
      os.erase(os.begin(), os.begin() + 2);
    if ((int64_t)os.size() != k)
      return n.fail("output_shape must have " + std::to_string(k) + " entries");
    outShape = os;
  }

  // Output length and leading crop (pads begin) per spatial dim, as the
  // ONNX reference computes them.
  std::vector<int64_t> outLen(k), padBegin(k), span(k);
  for (int64_t i = 0; i < k; ++i) {
    int64_t s = (*strides)[i], d = (*dil)[i], in = xs[2 + i];
    if (s <= 0 || d <= 0 || kernel[i] <= 0)
      return n.fail("strides, dilations and kernel sizes must be positive");
    if ((*outPad)[i] < 0 || (*outPad)[i] >= std::max(s, d))
      return n.fail("output_padding must be in [0, max(stride, dilation))");
    span[i] = (kernel[i] - 1) * d + 1;
    int64_t full = s * (in - 1) + (*outPad)[i] + span[i];
    if (same && !hasPads) {
      outLen[i] = outShape ? (*outShape)[i] : in * s;
      int64_t total = full - outLen[i];
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2); // floor
      padBegin[i] = autoPad == "SAME_UPPER" ? half : total - half;
    } else {
      padBegin[i] = pads[i];
      outLen[i] = outShape ? (*outShape)[i] : full - pads[i] - pads[i + k];
    }
    if (outLen[i] <= 0)
      return n.fail("the output would be empty");
  }

  // Work in 2-D for 1-D inputs: a unit H dimension.
  Value x = n.input(0), w = n.input(1);
  auto lift = [](std::vector<int64_t> &v, int64_t at, int64_t val) {
    v.insert(v.begin() + at, val);
  };
  if (k == 1) {
    lift(xs, 2, 1);
    lift(ws, 2, 1);
    x = reshapeTo(b, loc, x, xs);
    w = reshapeTo(b, loc, w, ws);
    for (auto *v : {&*strides, &*dil, &kernel, &outLen, &padBegin, &span})
      lift(*v, 0, 1);
    (*strides)[0] = (*dil)[0] = kernel[0] = span[0] = 1;
    outLen[0] = 1;
    padBegin[0] = 0;
    k = 2;
  }
  int64_t sr = k + 2;
  // Channels last: NC... -> N...C.
  SmallVector<int32_t> toLast{0}, toFirst{0, (int32_t)sr - 1};
  for (int64_t i = 0; i < k; ++i)
    toLast.push_back(2 + i);
  toLast.push_back(1);
  for (int64_t i = 0; i < k; ++i)
    toFirst.push_back(1 + i);
  Value xh = transposeBy(b, loc, x, toLast);

  // Dilate by the strides: X goes into zeros at every stride-th position.
  SmallVector<int64_t> dshape{nb};
  bool strided = false;
  for (int64_t i = 0; i < k; ++i) {
    dshape.push_back((*strides)[i] * (xs[2 + i] - 1) + 1);
    strided |= (*strides)[i] != 1;
  }
  dshape.push_back(c);
  if (strided) {
    Value empty = tensor::EmptyOp::create(b, loc, dshape, elt);
    Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(elt, 0.0));
    Value zeros = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
    SmallVector<OpFoldResult> offs(sr, b.getIndexAttr(0)), sizes, steps;
    auto xhTy = llvm::cast<RankedTensorType>(xh.getType());
    for (int64_t d = 0; d < sr; ++d) {
      sizes.push_back(b.getIndexAttr(xhTy.getDimSize(d)));
      steps.push_back(b.getIndexAttr(
          d == 0 || d == sr - 1 ? 1 : (*strides)[d - 1]));
    }
    xh = tensor::InsertSliceOp::create(b, loc, xh, zeros, offs, sizes, steps);
  }

  // Convolution paddings on the dilated input; negative ones crop the
  // result instead.
  SmallVector<int64_t> convPad, cropBegin(k), convOut;
  for (int64_t i = 0; i < k; ++i) {
    int64_t before = span[i] - 1 - padBegin[i];
    int64_t after = outLen[i] - dshape[1 + i] - before + span[i] - 1;
    int64_t pb = std::max<int64_t>(before, 0), pe = std::max<int64_t>(after, 0);
    convPad.push_back(pb);
    convPad.push_back(pe);
    cropBegin[i] = pb - before;
    convOut.push_back(dshape[1 + i] + pb + pe - span[i] + 1);
  }

  // Weights [C, M/g, K...] -> per group [M/g, K..., C/g], flipped.
  SmallVector<int32_t> wPerm{1};
  for (int64_t i = 0; i < k; ++i)
    wPerm.push_back(2 + i);
  wPerm.push_back(0);
  auto flip = [&](Value v, int64_t firstSpatial) {
    for (int64_t i = 0; i < k; ++i) {
      if (kernel[i] == 1)
        continue;
      v = tosa::ReverseOp::create(b, loc, v.getType(), v,
                                  b.getI32IntegerAttr(firstSpatial + i));
    }
    return v;
  };
  Value bias =
      n.hasInput(2) ? n.input(2) : splatConstant(b, loc, elt, {m}, 0.0);
  auto acc = TypeAttr::get(elt.isF32() ? elt : b.getF32Type());
  auto stride1 = b.getDenseI64ArrayAttr(SmallVector<int64_t>(k, 1));
  auto dilation = b.getDenseI64ArrayAttr(*dil);
  auto padAttr = b.getDenseI64ArrayAttr(convPad);
  auto conv = [&](Value in, Value wgt, Value bs, int64_t outC) -> Value {
    SmallVector<int64_t> shape{nb};
    shape.append(convOut.begin(), convOut.end());
    shape.push_back(outC);
    auto ty = tensorOf(shape, elt);
    if (k == 2)
      return tosa::Conv2DOp::create(b, loc, ty, in, wgt, bs, padAttr, stride1,
                                    dilation, acc);
    return tosa::Conv3DOp::create(b, loc, ty, in, wgt, bs, padAttr, stride1,
                                  dilation, acc);
  };
  Value y;
  ImplicitLocOpBuilder ib(loc, b);
  if (group == 1) {
    y = conv(xh, flip(transposeBy(b, loc, w, wPerm), 1), bias, m);
  } else if (k == 2 && cg == 1) {
    // Depthwise: W [C, M/C, KH, KW] -> [KH, KW, C, M/C].
    Value wh = flip(transposeBy(b, loc, w, {2, 3, 0, 1}), 0);
    SmallVector<int64_t> shape{nb, convOut[0], convOut[1], m};
    y = tosa::DepthwiseConv2DOp::create(b, loc, tensorOf(shape, elt), xh, wh,
                                        bias, padAttr, stride1, dilation, acc);
  } else {
    // General groups: one convolution per group of channels, concatenated.
    auto xhTy = llvm::cast<RankedTensorType>(xh.getType());
    SmallVector<Value> parts;
    for (int64_t g = 0; g < group; ++g) {
      SmallVector<int64_t> xsz(xhTy.getShape()), xoff(sr, 0);
      xsz[sr - 1] = cg;
      xoff[sr - 1] = g * cg;
      Value xg = tosa::SliceOp::create(b, loc, xhTy.clone(xsz), xh,
                                       tosa::getTosaConstShape(ib, xoff),
                                       tosa::getTosaConstShape(ib, xsz));
      SmallVector<int64_t> wsz(ws.begin(), ws.end()), woff(sr, 0);
      wsz[0] = cg;
      woff[0] = g * cg;
      Value wg = tosa::SliceOp::create(b, loc, wt.clone(wsz), w,
                                       tosa::getTosaConstShape(ib, woff),
                                       tosa::getTosaConstShape(ib, wsz));
      Value bg = tosa::SliceOp::create(
          b, loc, tensorOf({mg}, elt), bias,
          tosa::getTosaConstShape(ib, {g * mg}), tosa::getTosaConstShape(ib, {mg}));
      parts.push_back(conv(xg, flip(transposeBy(b, loc, wg, wPerm), 1), bg, mg));
    }
    SmallVector<int64_t> shape{nb};
    shape.append(convOut.begin(), convOut.end());
    shape.push_back(m);
    y = tosa::ConcatOp::create(b, loc, tensorOf(shape, elt), parts,
                               b.getI32IntegerAttr(sr - 1));
  }
  // Crop to the output and go back to channels first.
  bool crop = false;
  for (int64_t i = 0; i < k; ++i)
    crop |= cropBegin[i] != 0 || convOut[i] != outLen[i];
  if (crop) {
    SmallVector<int64_t> off{0}, sz{nb};
    for (int64_t i = 0; i < k; ++i) {
      off.push_back(cropBegin[i]);
      sz.push_back(outLen[i]);
    }
    off.push_back(0);
    sz.push_back(m);
    y = tosa::SliceOp::create(b, loc, tensorOf(sz, elt), y,
                              tosa::getTosaConstShape(ib, off),
                              tosa::getTosaConstShape(ib, sz));
  }
  y = transposeBy(b, loc, y, toFirst);
  if (rank == 3)
    y = reshapeTo(b, loc, y, {nb, m, outLen[1]});
  return n.setOutputs(y);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerResizeAndConvTransposeOps(OpRegistry &r) {
  r.onOp("Resize", 10, [](NodeContext &n) {
    return importResizeImpl(n, legacyResizeSpec(n), -1, 1, -1);
  });
  r.onOp("Resize", 11, [](NodeContext &n) {
    return importResizeImpl(n, readResizeSpec(n), 1, 2, 3);
  });
  r.onOp("Upsample", 7, [](NodeContext &n) {
    auto *a = n.attr("scales");
    if (!a)
      return n.fail("expects the scales attribute");
    std::vector<double> s(a->floats().begin(), a->floats().end());
    return importResizeImpl(n, legacyResizeSpec(n), -1, -1, -1, s);
  });
  r.onOp("Upsample", 9, [](NodeContext &n) {
    return importResizeImpl(n, legacyResizeSpec(n), -1, 1, -1);
  });
  r.onOp("ConvTranspose", 1, importConvTranspose);
}
