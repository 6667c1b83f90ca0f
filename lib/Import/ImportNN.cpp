//===- ImportNN.cpp - ONNX convolution, pooling and normalisation ---------===//
//
// ONNX is channels-first (NCHW, OIHW); TOSA is channels-last (NHWC, OHWI).
// The importer transposes around each op; the transposes of weights fold at
// compile time and the rest cancel between consecutive ops.
//
//===----------------------------------------------------------------------===//
#include "ImporterCore.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

namespace {
/// Spatial geometry of a 2-D window op, in ONNX terms.
struct Window2D {
  int64_t kernel[2], stride[2], dilation[2];
  int64_t padBegin[2], padEnd[2];
  int64_t in[2], out[2];
};
} // namespace

/// Splits the padding of auto_pad SAME_UPPER / SAME_LOWER (output size
/// ceil(in / stride)) over one spatial dim; the odd unit goes at the end
/// for SAME_UPPER and at the beginning for SAME_LOWER.
static void samePads(llvm::StringRef autoPad, int64_t in, int64_t stride,
                     int64_t span, int64_t &begin, int64_t &end) {
  int64_t out = (in + stride - 1) / stride;
  int64_t total = std::max<int64_t>((out - 1) * stride + span - in, 0);
  int64_t small = total / 2;
  begin = autoPad == "SAME_UPPER" ? small : total - small;
  end = total - begin;
}

/// Reads kernel/stride/dilation/pads/auto_pad for a 2-D window over input
/// spatial dims `in`. `ceilMode` rounds the output size up (pooling).
static FailureOr<Window2D> readWindow(NodeContext &n,
                                      llvm::ArrayRef<int64_t> kernel,
                                      llvm::ArrayRef<int64_t> in,
                                      bool ceilMode) {
  Window2D w;
  auto strides = n.attrInts("strides", {1, 1});
  auto dil = n.attrInts("dilations", {1, 1});
  auto pads = n.attrInts("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4)
    return n.fail("strides/dilations/pads do not match a 2-D window");
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  for (int i = 0; i < 2; ++i) {
    w.kernel[i] = kernel[i];
    w.stride[i] = strides[i];
    w.dilation[i] = dil[i];
    w.in[i] = in[i];
    if (kernel[i] <= 0 || strides[i] <= 0 || dil[i] <= 0)
      return n.fail("kernel sizes, strides and dilations must be positive");
    if (pads[i] < 0 || pads[i + 2] < 0)
      return n.fail("pads must be non-negative");
    int64_t span = (kernel[i] - 1) * dil[i] + 1;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      samePads(autoPad, in[i], strides[i], span, w.padBegin[i], w.padEnd[i]);
    } else if (autoPad == "VALID") {
      w.padBegin[i] = w.padEnd[i] = 0;
    } else if (autoPad == "NOTSET") {
      w.padBegin[i] = pads[i];
      w.padEnd[i] = pads[i + 2];
    } else {
      return n.fail("unknown auto_pad '" + autoPad + "'");
    }
    int64_t extent = in[i] + w.padBegin[i] + w.padEnd[i] - span;
    if (extent < 0)
      return n.fail("the window is larger than the padded input");
    w.out[i] = (ceilMode ? (extent + strides[i] - 1) / strides[i]
                         : extent / strides[i]) + 1;
    // ONNX drops a last window that would start in the end padding.
    if (ceilMode && (w.out[i] - 1) * strides[i] >= in[i] + w.padBegin[i])
      --w.out[i];
  }
  return w;
}

/// TOSA requires each padded extent to be an exact multiple of the stride.
/// Adjusts the end padding (padding that no output reads changes nothing)
/// and returns how many trailing input rows/cols must be sliced off.
static void fitPadsToTosa(Window2D &w, int64_t crop[2]) {
  for (int i = 0; i < 2; ++i) {
    int64_t span = (w.kernel[i] - 1) * w.dilation[i] + 1;
    int64_t needEnd = (w.out[i] - 1) * w.stride[i] + span - w.in[i] - w.padBegin[i];
    crop[i] = 0;
    if (needEnd >= 0) {
      w.padEnd[i] = needEnd;
    } else {
      w.padEnd[i] = 0;
      crop[i] = -needEnd;
    }
  }
}

static Value nchwToNhwc(OpBuilder &b, Location loc, Value v) {
  return transposeBy(b, loc, v, {0, 2, 3, 1});
}
static Value nhwcToNchw(OpBuilder &b, Location loc, Value v) {
  return transposeBy(b, loc, v, {0, 3, 1, 2});
}

/// Slices `crop` trailing rows/cols off an NHWC value.
static Value cropNhwc(OpBuilder &b, Location loc, Value v, const int64_t crop[2]) {
  if (!crop[0] && !crop[1])
    return v;
  auto ty = llvm::cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> size(ty.getShape());
  size[1] -= crop[0];
  size[2] -= crop[1];
  ImplicitLocOpBuilder ib(loc, b);
  Value start = tosa::getTosaConstShape(ib, {0, 0, 0, 0});
  Value sz = tosa::getTosaConstShape(ib, size);
  return tosa::SliceOp::create(b, loc, ty.clone(size), v, start, sz);
}

/// Lifts a 1-D (N, C, L) op to 2-D (N, C, 1, L) by attributes and shapes.
static bool isConv1D(RankedTensorType x) { return x.getRank() == 3; }

FailureOr<Value> onnx_import::buildConv(NodeContext &n, Value x, Value w,
                                        Value bias,
                                        const IntegerZeroPoints *zp) {
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  auto wt = llvm::cast<RankedTensorType>(w.getType());
  if (xt.getRank() != 4 && xt.getRank() != 3)
    return n.fail("only 1-D and 2-D convolutions are supported (input rank " +
                  std::to_string(xt.getRank()) + ")");
  if (wt.getRank() != xt.getRank())
    return n.fail("W rank differs from X rank");
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  // Integer convolutions accumulate and return int32.
  Type elt = zp ? b.getI32Type() : xt.getElementType();
  std::vector<int64_t> xs(xt.getShape()), ws(wt.getShape());
  if (isConv1D(xt)) {
    xs.insert(xs.begin() + 2, 1);
    ws.insert(ws.begin() + 2, 1);
    x = reshapeTo(b, loc, x, xs);
    w = reshapeTo(b, loc, w, ws);
  }
  int64_t group = n.attrInt("group", 1);
  int64_t c = xs[1], o = ws[0];
  if (group <= 0 || c % group || o % group || ws[1] != c / group)
    return n.fail("channels (" + std::to_string(c) + " in, " +
                  std::to_string(o) + " out, W has " + std::to_string(ws[1]) +
                  " per group) do not match group " + std::to_string(group));
  std::vector<int64_t> kernel = n.attrInts("kernel_shape", {ws[2], ws[3]});
  if (isConv1D(xt) && kernel.size() == 1)
    kernel.insert(kernel.begin(), 1);
  if (kernel.size() != 2 || kernel[0] != ws[2] || kernel[1] != ws[3])
    return n.fail("kernel_shape does not match W");

  // Attributes of a 1-D conv get the unit H dimension too.
  Window2D win;
  {
    NodeContext *ctx = &n;
    if (isConv1D(xt)) {
      auto s = n.attrInts("strides", {1}), d = n.attrInts("dilations", {1});
      auto p = n.attrInts("pads", {0, 0});
      std::string ap = n.attrString("auto_pad", "NOTSET");
      if (s.size() != 1 || d.size() != 1 || p.size() != 2)
        return n.fail("strides/dilations/pads do not match a 1-D window");
      for (int i = 0; i < 2; ++i) {
        win.kernel[i] = kernel[i];
        win.stride[i] = i ? s[0] : 1;
        win.dilation[i] = i ? d[0] : 1;
        win.in[i] = xs[2 + i];
      }
      if (s[0] <= 0 || d[0] <= 0 || p[0] < 0 || p[1] < 0)
        return n.fail("strides/dilations must be positive, pads non-negative");
      int64_t span = (kernel[1] - 1) * d[0] + 1;
      win.padBegin[0] = win.padEnd[0] = 0;
      if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
        samePads(ap, xs[3], s[0], span, win.padBegin[1], win.padEnd[1]);
      } else if (ap == "VALID") {
        win.padBegin[1] = win.padEnd[1] = 0;
      } else if (ap == "NOTSET") {
        win.padBegin[1] = p[0];
        win.padEnd[1] = p[1];
      } else {
        return n.fail("unknown auto_pad '" + ap + "'");
      }
      win.out[0] = 1;
      int64_t extent = xs[3] + win.padBegin[1] + win.padEnd[1] - span;
      if (extent < 0)
        return n.fail("the kernel is larger than the padded input");
      win.out[1] = extent / s[0] + 1;
    } else {
      auto r = readWindow(*ctx, kernel, {xs[2], xs[3]}, /*ceilMode=*/false);
      if (failed(r))
        return failure();
      win = *r;
    }
  }
  int64_t crop[2];
  fitPadsToTosa(win, crop);

  if (!bias)
    bias = splatConstant(b, loc, elt, {o}, 0.0);
  Value xh = cropNhwc(b, loc, nchwToNhwc(b, loc, x), crop);
  auto pad = b.getDenseI64ArrayAttr(
      {win.padBegin[0], win.padEnd[0], win.padBegin[1], win.padEnd[1]});
  auto stride = b.getDenseI64ArrayAttr({win.stride[0], win.stride[1]});
  auto dilation = b.getDenseI64ArrayAttr({win.dilation[0], win.dilation[1]});
  auto acc = TypeAttr::get(elt.isF32() || zp ? elt : b.getF32Type());
  int64_t nb = xs[0];
  auto outTy = tensorOf({nb, win.out[0], win.out[1], o}, elt);

  Value y;
  if (group == 1) {
    Value wh = nchwToNhwc(b, loc, w); // OIHW -> OHWI
    y = zp ? tosa::Conv2DOp::create(b, loc, outTy, xh, wh, bias, zp->input,
                                    zp->weight, pad, stride, dilation, acc)
           : tosa::Conv2DOp::create(b, loc, outTy, xh, wh, bias, pad, stride,
                                    dilation, acc);
  } else if (group == c) {
    // Depthwise: W [C*M, 1, KH, KW] -> [KH, KW, C, M].
    int64_t mult = o / c;
    Value wr = reshapeTo(b, loc, w, {c, mult, ws[2], ws[3]});
    Value wh = transposeBy(b, loc, wr, {2, 3, 0, 1});
    y = zp ? tosa::DepthwiseConv2DOp::create(b, loc, outTy, xh, wh, bias,
                                             zp->input, zp->weight, pad, stride,
                                             dilation, acc)
           : tosa::DepthwiseConv2DOp::create(b, loc, outTy, xh, wh, bias, pad,
                                             stride, dilation, acc);
  } else {
    // General groups: one conv per group on channel slices, concatenated.
    int64_t cg = c / group, og = o / group;
    auto xhTy = llvm::cast<RankedTensorType>(xh.getType());
    Value wh = nchwToNhwc(b, loc, w);
    auto whTy = llvm::cast<RankedTensorType>(wh.getType());
    ImplicitLocOpBuilder ib(loc, b);
    SmallVector<Value> parts;
    for (int64_t g = 0; g < group; ++g) {
      SmallVector<int64_t> xsz(xhTy.getShape());
      xsz[3] = cg;
      Value xg = tosa::SliceOp::create(
          b, loc, xhTy.clone(xsz), xh, tosa::getTosaConstShape(ib, {0, 0, 0, g * cg}),
          tosa::getTosaConstShape(ib, xsz));
      SmallVector<int64_t> wsz(whTy.getShape());
      wsz[0] = og;
      Value wg = tosa::SliceOp::create(
          b, loc, whTy.clone(wsz), wh, tosa::getTosaConstShape(ib, {g * og, 0, 0, 0}),
          tosa::getTosaConstShape(ib, wsz));
      auto biasTy = llvm::cast<RankedTensorType>(bias.getType());
      Value bg = tosa::SliceOp::create(b, loc, biasTy.clone({og}), bias,
                                       tosa::getTosaConstShape(ib, {g * og}),
                                       tosa::getTosaConstShape(ib, {og}));
      auto partTy = tensorOf({nb, win.out[0], win.out[1], og}, elt);
      parts.push_back(zp ? tosa::Conv2DOp::create(b, loc, partTy, xg, wg, bg,
                                                  zp->input, zp->weight, pad,
                                                  stride, dilation, acc)
                         : tosa::Conv2DOp::create(b, loc, partTy, xg, wg, bg,
                                                  pad, stride, dilation, acc));
    }
    y = tosa::ConcatOp::create(b, loc, outTy, parts, b.getI32IntegerAttr(3));
  }
  y = nhwcToNchw(b, loc, y);
  if (isConv1D(xt))
    y = reshapeTo(b, loc, y, {nb, o, win.out[1]});
  return y;
}

static LogicalResult importConv(NodeContext &n) {
  auto xt = n.inputType(0), wt = n.inputType(1);
  if (!xt || !wt || !llvm::isa<FloatType>(xt.getElementType()))
    return n.fail("expects floating-point X and W");
  auto y = buildConv(n, n.input(0), n.input(1),
                     n.hasInput(2) ? n.input(2) : Value());
  if (failed(y))
    return failure();
  return n.setOutputs(*y);
}

/// Pooling over any number of spatial dims (1-D, 3-D, dilated, integer
/// MaxPool, MaxPool with Indices): a linalg.generic that reduces the window
/// dims of a padded input, as linalg's pooling ops do, with the window
/// position o * stride + k * dilation as an affine map. AveragePool divides
/// by per-dim counts of the window elements that lie in the input (or in
/// the explicitly padded input with count_include_pad).
static LogicalResult importPoolGeneric(NodeContext &n, bool isMax) {
  auto xt = n.inputType(0);
  Type elt = xt.getElementType();
  bool isFloat = llvm::isa<FloatType>(elt);
  if (!isFloat && (!isMax || !llvm::isa<IntegerType>(elt)))
    return n.fail("expects a floating-point input (integer inputs: MaxPool only)");
  int64_t rank = xt.getRank(), k = rank - 2;
  if (k < 1)
    return n.fail("expects an input of rank >= 3");
  bool isUnsigned = isUnsignedOnnxType(n.inputOnnxType(0));
  bool wantIndices = isMax && n.node.output_size() > 1 && !n.node.output(1).empty();
  int64_t storageOrder = n.attrInt("storage_order", 0);
  if (wantIndices && storageOrder && k != 2)
    return n.fail("storage_order=1 is only supported for 2-D pooling");
  auto kernel = n.attrInts("kernel_shape");
  auto strides = n.attrInts("strides", std::vector<int64_t>(k, 1));
  auto dil = n.attrInts("dilations", std::vector<int64_t>(k, 1));
  auto pads = n.attrInts("pads", std::vector<int64_t>(2 * k, 0));
  if ((int64_t)kernel.size() != k || (int64_t)strides.size() != k ||
      (int64_t)dil.size() != k || (int64_t)pads.size() != 2 * k)
    return n.fail("kernel_shape/strides/dilations/pads do not match " +
                  std::to_string(k) + " spatial dims");
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  bool ceilMode = n.attrInt("ceil_mode", 0) != 0;
  std::vector<int64_t> in(k), out(k), pb(k), pe(k), span(k);
  for (int64_t i = 0; i < k; ++i) {
    in[i] = xt.getDimSize(2 + i);
    if (kernel[i] <= 0 || strides[i] <= 0 || dil[i] <= 0)
      return n.fail("kernel sizes, strides and dilations must be positive");
    span[i] = (kernel[i] - 1) * dil[i] + 1;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      samePads(autoPad, in[i], strides[i], span[i], pb[i], pe[i]);
    } else if (autoPad == "VALID") {
      pb[i] = pe[i] = 0;
    } else if (autoPad == "NOTSET") {
      pb[i] = pads[i];
      pe[i] = pads[i + k];
      if (pb[i] < 0 || pe[i] < 0)
        return n.fail("pads must be non-negative");
    } else {
      return n.fail("unknown auto_pad '" + autoPad + "'");
    }
    int64_t extent = in[i] + pb[i] + pe[i] - span[i];
    if (extent < 0)
      return n.fail("the window is larger than the padded input");
    out[i] = (ceilMode ? (extent + strides[i] - 1) / strides[i]
                       : extent / strides[i]) + 1;
    if (ceilMode && (out[i] - 1) * strides[i] >= in[i] + pb[i])
      --out[i];
  }

  OpBuilder &b = n.builder();
  Location loc = n.loc;
  MLIRContext *ctx = b.getContext();
  // The value padding reads as: the identity of the reduction.
  TypedAttr identity;
  if (!isMax)
    identity = b.getFloatAttr(elt, 0.0);
  else if (auto ft = llvm::dyn_cast<FloatType>(elt))
    identity = b.getFloatAttr(
        elt, llvm::APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true));
  else
    identity = b.getIntegerAttr(
        elt, isUnsigned ? llvm::APInt::getMinValue(elt.getIntOrFloatBitWidth())
                        : llvm::APInt::getSignedMinValue(
                              elt.getIntOrFloatBitWidth()));
  Value padValue = arith::ConstantOp::create(b, loc, identity);
  // Pad so that every window lies inside (ceil mode may read past pe).
  Value x = n.input(0);
  SmallVector<int64_t> paddedShape(xt.getShape());
  SmallVector<OpFoldResult> lo(rank, b.getIndexAttr(0)), hi(rank, b.getIndexAttr(0));
  bool anyPad = false;
  for (int64_t i = 0; i < k; ++i) {
    int64_t need = std::max<int64_t>(
        (out[i] - 1) * strides[i] + span[i] - in[i] - pb[i], 0);
    lo[2 + i] = b.getIndexAttr(pb[i]);
    hi[2 + i] = b.getIndexAttr(need);
    paddedShape[2 + i] += pb[i] + need;
    anyPad |= pb[i] || need;
  }
  if (anyPad)
    x = tensor::PadOp::create(b, loc, xt.clone(paddedShape), x, lo, hi,
                              padValue);

  // Dims: n, c, o_1..o_k (parallel), w_1..w_k (window, reduction).
  int64_t nd = 2 + 2 * k;
  SmallVector<AffineExpr> inExprs{getAffineDimExpr(0, ctx),
                                  getAffineDimExpr(1, ctx)};
  SmallVector<AffineExpr> winExprs, outExprs{getAffineDimExpr(0, ctx),
                                             getAffineDimExpr(1, ctx)};
  for (int64_t i = 0; i < k; ++i) {
    AffineExpr o = getAffineDimExpr(2 + i, ctx), w = getAffineDimExpr(2 + k + i, ctx);
    inExprs.push_back(o * strides[i] + w * dil[i]);
    winExprs.push_back(w);
    outExprs.push_back(o);
  }
  SmallVector<AffineMap> maps{AffineMap::get(nd, 0, inExprs, ctx),
                              AffineMap::get(nd, 0, winExprs, ctx),
                              AffineMap::get(nd, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iters(2 + k, utils::IteratorType::parallel);
  iters.append(k, utils::IteratorType::reduction);
  SmallVector<int64_t> outShape{xt.getDimSize(0), xt.getDimSize(1)};
  outShape.append(out.begin(), out.end());
  Value window = tensor::EmptyOp::create(b, loc, kernel, elt);
  auto filled = [&](Type t, TypedAttr v) {
    Value e = tensor::EmptyOp::create(b, loc, outShape, t);
    Value c = arith::ConstantOp::create(b, loc, v);
    return linalg::FillOp::create(b, loc, c, e).getResult(0);
  };
  SmallVector<Value> inits{filled(elt, identity)};
  Type i64 = b.getI64Type();
  if (wantIndices) {
    inits.push_back(filled(i64, b.getI64IntegerAttr(-1)));
    maps.push_back(maps.back());
  }
  auto pool = linalg::GenericOp::create(
      b, loc, ValueRange(inits).getTypes(), ValueRange{x, window}, inits, maps,
      iters, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value v = args[0], acc = args[2];
        if (!isMax) {
          linalg::YieldOp::create(nb, nl,
                                  ValueRange{arith::AddFOp::create(nb, nl, acc, v)});
          return;
        }
        Value better;
        if (isFloat)
          better = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, v, acc);
        else
          better = arith::CmpIOp::create(
              nb, nl, isUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt,
              v, acc);
        if (!wantIndices) {
          linalg::YieldOp::create(
              nb, nl, ValueRange{arith::SelectOp::create(nb, nl, better, v, acc)});
          return;
        }
        // Row-major spatial index of the tap; padding never wins (it reads
        // the identity), ties go to the first tap in row-major order.
        Value idx = arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(0));
        Value inside = arith::ConstantOp::create(nb, nl, nb.getBoolAttr(true));
        for (int64_t i = 0; i < k; ++i) {
          Value o = linalg::IndexOp::create(nb, nl, 2 + i);
          Value w = linalg::IndexOp::create(nb, nl, 2 + k + i);
          Value pos = arith::IndexCastOp::create(nb, nl, i64,
              arith::AddIOp::create(nb, nl,
                  arith::MulIOp::create(nb, nl, o,
                      arith::ConstantIndexOp::create(nb, nl, strides[i])),
                  arith::MulIOp::create(nb, nl, w,
                      arith::ConstantIndexOp::create(nb, nl, dil[i]))));
          pos = arith::SubIOp::create(nb, nl, pos,
              arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(pb[i])));
          Value ok = arith::AndIOp::create(nb, nl,
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, pos,
                  arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(0))),
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, pos,
                  arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(in[i]))));
          inside = arith::AndIOp::create(nb, nl, inside, ok);
          idx = arith::AddIOp::create(nb, nl,
              arith::MulIOp::create(nb, nl, idx,
                  arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(in[i]))),
              pos);
        }
        Value accIdx = args[3];
        Value tie = isFloat
            ? (Value)arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, v, acc)
            : (Value)arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, v, acc);
        // A tie only counts for a real tap with a smaller index than the
        // current one (or when none is set yet).
        Value none = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, accIdx,
            arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(0)));
        Value earlier = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, idx, accIdx);
        Value take = arith::AndIOp::create(nb, nl, inside,
            arith::OrIOp::create(nb, nl, better,
                arith::AndIOp::create(nb, nl, tie,
                    arith::OrIOp::create(nb, nl, none, earlier))));
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::SelectOp::create(nb, nl, take, v, acc),
                       arith::SelectOp::create(nb, nl, take, idx, accIdx)});
      });
  Value y = pool.getResult(0);
  SmallVector<AffineMap> ewMaps{b.getMultiDimIdentityMap(2 + k),
                                b.getMultiDimIdentityMap(2 + k)};
  SmallVector<utils::IteratorType> ewIters(2 + k, utils::IteratorType::parallel);
  if (!isMax) {
    // Divide by the product of the per-dim counts of counted taps.
    bool includePad = n.attrInt("count_include_pad", 0) != 0;
    SmallVector<Value> counts;
    for (int64_t i = 0; i < k; ++i) {
      HostTensor t;
      t.onnxType = defaultOnnxType(elt);
      t.shape = {out[i]};
      int64_t first = includePad ? -pb[i] : 0;
      int64_t last = includePad ? in[i] + pe[i] : in[i];
      for (int64_t o = 0; o < out[i]; ++o) {
        int64_t c = 0;
        for (int64_t j = 0; j < kernel[i]; ++j) {
          int64_t p = o * strides[i] - pb[i] + j * dil[i];
          c += p >= first && p < last;
        }
        t.f.push_back((double)std::max<int64_t>(c, 1));
      }
      counts.push_back(n.g.materialize(t));
      ewMaps.insert(ewMaps.end() - 1,
                    AffineMap::get(2 + k, 0, getAffineDimExpr(2 + i, ctx)));
    }
    SmallVector<Value> ins{y};
    ins.append(counts);
    Value init = tensor::EmptyOp::create(b, loc, outShape, elt);
    y = linalg::GenericOp::create(
            b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, ewMaps,
            ewIters, [&](OpBuilder &nb, Location nl, ValueRange args) {
              Value d = args[1];
              for (int64_t i = 1; i < k; ++i)
                d = arith::MulFOp::create(nb, nl, d, args[1 + i]);
              linalg::YieldOp::create(
                  nb, nl, ValueRange{arith::DivFOp::create(nb, nl, args[0], d)});
            })
            .getResult(0);
    return n.setOutputs(y);
  }
  if (!wantIndices)
    return n.setOutputs(y, {n.inputOnnxType(0)});
  // Indices into the flattened input: (n * C + c) * prod(in) + spatial, the
  // spatial index in row-major order, or column-major with storage_order=1.
  int64_t step = 1;
  for (int64_t d : in)
    step *= d;
  Value sidx = pool.getResult(1);
  Value init = tensor::EmptyOp::create(b, loc, outShape, i64);
  Value ind =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{sidx}, ValueRange{init},
          ewMaps, ewIters,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            auto c64 = [&](int64_t v) {
              return arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(v));
            };
            Value s = args[0];
            if (storageOrder) {
              Value h = arith::DivSIOp::create(nb, nl, s, c64(in[1]));
              Value w = arith::RemSIOp::create(nb, nl, s, c64(in[1]));
              s = arith::AddIOp::create(nb, nl, h,
                                        arith::MulIOp::create(nb, nl, w, c64(in[0])));
            }
            Value nIdx = arith::IndexCastOp::create(nb, nl, nb.getI64Type(),
                                                    linalg::IndexOp::create(nb, nl, 0));
            Value cIdx = arith::IndexCastOp::create(nb, nl, nb.getI64Type(),
                                                    linalg::IndexOp::create(nb, nl, 1));
            Value plane = arith::AddIOp::create(
                nb, nl, arith::MulIOp::create(nb, nl, nIdx, c64(xt.getDimSize(1))), cIdx);
            linalg::YieldOp::create(
                nb, nl, ValueRange{arith::AddIOp::create(
                            nb, nl, arith::MulIOp::create(nb, nl, plane, c64(step)), s)});
          })
          .getResult(0);
  return n.setOutputs({y, ind}, {n.inputOnnxType(0), onnx::TensorProto::INT64});
}

/// MaxPool and AveragePool: TOSA for 2-D floating-point pooling without
/// dilation or Indices, the generic pooling otherwise.
static LogicalResult importPool(NodeContext &n, bool isMax) {
  auto xt = n.inputType(0);
  if (!xt)
    return n.fail("expects a ranked input");
  bool wantIndices = isMax && n.node.output_size() > 1 && !n.node.output(1).empty();
  auto dil = n.attrInts("dilations", {});
  bool dilated = llvm::any_of(dil, [](int64_t d) { return d != 1; });
  if (xt.getRank() != 4 || !llvm::isa<FloatType>(xt.getElementType()) ||
      wantIndices || dilated)
    return importPoolGeneric(n, isMax);
  auto kernel = n.attrInts("kernel_shape");
  if (kernel.size() != 2)
    return n.fail("kernel_shape must have 2 entries");
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  auto win = readWindow(n, kernel, {xt.getDimSize(2), xt.getDimSize(3)},
                        n.attrInt("ceil_mode", 0) != 0);
  if (failed(win))
    return failure();
  Window2D w = *win;
  Type elt = xt.getElementType();
  Value xh = nchwToNhwc(b, loc, n.input(0));
  bool includePad = !isMax && n.attrInt("count_include_pad", 0);
  if (includePad && (w.padBegin[0] || w.padBegin[1] || w.padEnd[0] || w.padEnd[1])) {
    // Padded zeros count in the average: pad explicitly, pool unpadded.
    auto ty = llvm::cast<RankedTensorType>(xh.getType());
    SmallVector<int64_t> shape(ty.getShape());
    shape[1] += w.padBegin[0] + w.padEnd[0];
    shape[2] += w.padBegin[1] + w.padEnd[1];
    ImplicitLocOpBuilder ib(loc, b);
    Value padding = tosa::getTosaConstShape(
        ib, {0, 0, w.padBegin[0], w.padEnd[0], w.padBegin[1], w.padEnd[1], 0, 0});
    Value padConst = splatConstant(b, loc, elt, {1}, 0.0);
    xh = tosa::PadOp::create(b, loc, ty.clone(shape), xh, padding, padConst);
    for (int i = 0; i < 2; ++i) {
      w.in[i] += w.padBegin[i] + w.padEnd[i];
      w.padBegin[i] = w.padEnd[i] = 0;
    }
  }
  int64_t crop[2];
  fitPadsToTosa(w, crop);
  xh = cropNhwc(b, loc, xh, crop);
  auto outTy = tensorOf({xt.getDimSize(0), w.out[0], w.out[1], xt.getDimSize(1)}, elt);
  auto k = b.getDenseI64ArrayAttr({w.kernel[0], w.kernel[1]});
  auto s = b.getDenseI64ArrayAttr({w.stride[0], w.stride[1]});
  auto p = b.getDenseI64ArrayAttr({w.padBegin[0], w.padEnd[0], w.padBegin[1], w.padEnd[1]});
  Value y;
  if (isMax)
    y = tosa::MaxPool2dOp::create(b, loc, outTy, xh, k, s, p);
  else
    y = tosa::AvgPool2dOp::create(b, loc, outTy, xh, k, s, p,
                                  TypeAttr::get(b.getF32Type()));
  return n.setOutputs(nhwcToNchw(b, loc, y));
}

static LogicalResult importGlobalAveragePool(NodeContext &n) {
  auto xt = n.inputType(0);
  if (!xt || !llvm::isa<FloatType>(xt.getElementType()) || xt.getRank() < 3)
    return n.fail("expects a floating-point input of rank >= 3");
  OpBuilder &b = n.builder();
  Value v = n.input(0);
  SmallVector<int64_t> shape(xt.getShape());
  int64_t count = 1;
  for (int64_t d = 2; d < xt.getRank(); ++d) {
    count *= shape[d];
    shape[d] = 1;
    v = tosa::ReduceSumOp::create(b, n.loc, xt.clone(shape), v,
                                  b.getI32IntegerAttr(d));
  }
  SmallVector<int64_t> ones(xt.getRank(), 1);
  Value r = mulBroadcast(b, n.loc, v,
                         splatConstant(b, n.loc, xt.getElementType(), ones,
                                       1.0 / (double)count));
  return n.setOutputs(r);
}

/// BatchNormalization with training_mode=1 (opset 14+): normalises with the
/// batch statistics (mean and population variance over every axis but 1)
/// and outputs the updated running mean and variance,
/// running * momentum + batch * (1 - momentum).
static LogicalResult importBatchNormTraining(NodeContext &n) {
  auto xt = n.inputType(0);
  int64_t c = xt.getDimSize(1), rank = xt.getRank();
  for (int i = 1; i <= 4; ++i)
    if (!n.inputType(i) || n.inputType(i).getNumElements() != c)
      return n.fail("scale, B, mean and var must each have C=" +
                    std::to_string(c) + " elements");
  OpBuilder &b = n.builder();
  Location loc = n.loc;
  Type elt = xt.getElementType();
  double eps = n.attrFloat("epsilon", 1e-5f);
  double momentum = n.attrFloat("momentum", 0.9f);
  SmallVector<int64_t> bshape(rank, 1);
  bshape[1] = c;
  int64_t count = xt.getNumElements() / c;
  auto meanOver = [&](Value v) {
    auto ty = llvm::cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(ty.getShape());
    for (int64_t d = 0; d < rank; ++d) {
      if (d == 1)
        continue;
      shape[d] = 1;
      v = tosa::ReduceSumOp::create(b, loc, ty.clone(shape), v,
                                    b.getI32IntegerAttr(d));
    }
    return mulBroadcast(b, loc, v,
                        splatConstant(b, loc, elt, bshape, 1.0 / (double)count));
  };
  Value x = n.input(0);
  Value mean = meanOver(x);
  Value centered = subBroadcast(b, loc, x, mean);
  Value var = meanOver(mulBroadcast(b, loc, centered, centered));
  auto vty = tensorOf(bshape, elt);
  Value inv = tosa::RsqrtOp::create(
      b, loc, vty, addBroadcast(b, loc, var, splatConstant(b, loc, elt, bshape, eps)));
  auto vec = [&](int i) { return reshapeTo(b, loc, n.input(i), bshape); };
  Value y = addBroadcast(
      b, loc, mulBroadcast(b, loc, centered, mulBroadcast(b, loc, vec(1), inv)),
      vec(2));
  auto running = [&](int i, Value batch) {
    Value r = addBroadcast(
        b, loc, mulBroadcast(b, loc, vec(i), splatConstant(b, loc, elt, bshape, momentum)),
        mulBroadcast(b, loc, batch,
                     splatConstant(b, loc, elt, bshape, 1.0 - momentum)));
    return reshapeTo(b, loc, r, {c});
  };
  SmallVector<Value> outs{y};
  if (n.node.output_size() > 1)
    outs.push_back(running(3, mean));
  if (n.node.output_size() > 2)
    outs.push_back(running(4, var));
  return n.setOutputs(outs);
}

static LogicalResult importBatchNorm(NodeContext &n) {
  auto xt = n.inputType(0);
  if (!xt || !llvm::isa<FloatType>(xt.getElementType()) || xt.getRank() < 2)
    return n.fail("expects a floating-point input of rank >= 2");
  if (n.attrInt("training_mode", 0)) {
    if (n.opset < 14)
      return n.fail("training_mode needs opset >= 14");
    return importBatchNormTraining(n);
  }
  for (int i = 1; i < n.node.output_size(); ++i)
    if (!n.node.output(i).empty())
      return n.fail("running mean/variance outputs are training-only");
  int64_t c = xt.getDimSize(1);
  for (int i = 1; i <= 4; ++i)
    if (!n.inputType(i) || n.inputType(i).getNumElements() != c)
      return n.fail("scale, B, mean and var must each have C=" +
                    std::to_string(c) + " elements");
  double eps = n.attrFloat("epsilon", 1e-5f);
  OpBuilder &b = n.builder();
  Type elt = xt.getElementType();
  SmallVector<int64_t> bshape(xt.getRank(), 1);
  bshape[1] = c;
  const HostTensor *scale = n.constantInput(1), *bias = n.constantInput(2),
                   *mean = n.constantInput(3), *var = n.constantInput(4);
  Value a, sh;
  if (scale && bias && mean && var) {
    // y = x * a + s with a = scale / sqrt(var + eps), s = B - mean * a,
    // folded at compile time in double precision.
    HostTensor ta, ts;
    ta.onnxType = ts.onnxType = defaultOnnxType(elt);
    ta.shape = ts.shape = std::vector<int64_t>(bshape.begin(), bshape.end());
    for (int64_t k = 0; k < c; ++k) {
      BatchNormAffine bn = batchNormAffine(scale->asDouble(k), bias->asDouble(k),
                                           mean->asDouble(k), var->asDouble(k), eps);
      ta.f.push_back(bn.a);
      ts.f.push_back(bn.s);
    }
    a = n.g.materialize(ta);
    sh = n.g.materialize(ts);
  } else {
    auto vec = [&](int i) { return reshapeTo(b, n.loc, n.input(i), bshape); };
    auto vty = tensorOf(bshape, elt);
    Value ve = addBroadcast(b, n.loc, vec(4), splatConstant(b, n.loc, elt, bshape, eps));
    Value inv = tosa::RsqrtOp::create(b, n.loc, vty, ve);
    a = mulBroadcast(b, n.loc, vec(1), inv);
    sh = subBroadcast(b, n.loc, vec(2), mulBroadcast(b, n.loc, vec(3), a));
  }
  Value y = addBroadcast(b, n.loc, mulBroadcast(b, n.loc, n.input(0), a), sh);
  return n.setOutputs(y);
}

void onnx_import::registerNNOps(OpRegistry &r) {
  r.onOp("Conv", 1, importConv);
  r.onOp("MaxPool", 1, [](NodeContext &n) { return importPool(n, true); });
  r.onOp("AveragePool", 1, [](NodeContext &n) { return importPool(n, false); });
  r.onOp("GlobalAveragePool", 1, importGlobalAveragePool);
  r.onOp("BatchNormalization", 6, importBatchNorm);
}
