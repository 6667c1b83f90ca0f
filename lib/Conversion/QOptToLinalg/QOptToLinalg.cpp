//===- QOptToLinalg.cpp - Lower qopt ops to linalg/arith/math -------------===//
//
// qopt.cast becomes arith.extf/truncf on tensors (made into linalg later by
// the upstream elementwise conversion); quantize/dequantize become
// linalg.generic ops on the storage integer type with ONNX's rounding.
//
//===----------------------------------------------------------------------===//
#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Transforms/DialectConversion.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_CONVERTQOPTTOLINALG
#include "qopt/Conversion/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

void mlir::qopt::populateQuantStorageTypeConversion(TypeConverter &converter) {
  converter.addConversion([](Type t) { return t; });
  converter.addConversion([](quant::QuantizedType t) -> Type {
    return IntegerType::get(t.getContext(), t.getStorageTypeIntegralWidth());
  });
  converter.addConversion([](RankedTensorType t) -> Type {
    auto q = llvm::dyn_cast<quant::QuantizedType>(t.getElementType());
    if (!q)
      return t;
    return t.clone(
        IntegerType::get(t.getContext(), q.getStorageTypeIntegralWidth()));
  });
}

namespace {

/// Scale and zero point of a uniform type, either one pair or one per index
/// of the quantized dimension.
struct UniformParams {
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  int64_t axis = -1; // -1: per tensor
};

UniformParams getParams(quant::QuantizedType q) {
  UniformParams p;
  if (auto u = llvm::dyn_cast<quant::UniformQuantizedType>(q)) {
    p.scales = {u.getScale()};
    p.zeroPoints = {u.getZeroPoint()};
  } else {
    auto a = llvm::cast<quant::UniformQuantizedPerAxisType>(q);
    p.scales.assign(a.getScales().begin(), a.getScales().end());
    p.zeroPoints.assign(a.getZeroPoints().begin(), a.getZeroPoints().end());
    p.axis = a.getQuantizedDimension();
  }
  return p;
}

/// Whether `v` is exactly an f32 value.
bool isF32Exact(int64_t v) {
  return static_cast<int64_t>(static_cast<float>(v)) == v;
}

/// The float type that holds `q`'s zero points and storage bounds exactly:
/// f32 up to 24-bit storage, f64 beyond (f32 rounds 2^31 - 1 up to 2^31,
/// which fptosi cannot convert back).
FloatType getExactParamType(OpBuilder &b, quant::QuantizedType q,
                            const UniformParams &p) {
  bool exact = isF32Exact(q.getStorageTypeMin()) &&
               isF32Exact(q.getStorageTypeMax()) &&
               llvm::all_of(p.zeroPoints, isF32Exact);
  return exact ? FloatType(b.getF32Type()) : FloatType(b.getF64Type());
}

/// Builds a linalg.generic over `input` whose body sees the element, its
/// scale (f32) and its zero point (`zpType`), producing `resultTy`. The
/// generic has `input`'s shape (dynamic sizes read from it) and is cast to
/// `resultTy` where the two shapes differ only in what is static.
Value buildParamGeneric(
    OpBuilder &b, Location loc, Value input, RankedTensorType resultTy,
    const UniformParams &p, FloatType zpType,
    function_ref<Value(OpBuilder &, Location, Value, Value, Value)> body) {
  int64_t rank = resultTy.getRank();
  MLIRContext *ctx = b.getContext();
  auto f32 = b.getF32Type();
  SmallVector<Value> inputs = {input};
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  Value scalarScale, scalarZp;
  if (p.axis < 0) {
    scalarScale = arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(static_cast<float>(p.scales[0])));
    scalarZp = arith::ConstantOp::create(
        b, loc, b.getFloatAttr(zpType, static_cast<double>(p.zeroPoints[0])));
  } else {
    int64_t n = p.scales.size();
    SmallVector<float> s(p.scales.begin(), p.scales.end());
    SmallVector<Attribute> z;
    for (int64_t zp : p.zeroPoints)
      z.push_back(b.getFloatAttr(zpType, static_cast<double>(zp)));
    inputs.push_back(arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({n}, f32),
                               ArrayRef<float>(s))));
    inputs.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(RankedTensorType::get({n}, zpType), z)));
    AffineMap axisMap =
        AffineMap::get(rank, 0, getAffineDimExpr(p.axis, ctx), ctx);
    maps.push_back(axisMap);
    maps.push_back(axisMap);
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, input), resultTy.getElementType(),
      resultTy.getEncoding());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value scale = p.axis < 0 ? scalarScale : args[1];
        Value zp = p.axis < 0 ? scalarZp : args[2];
        linalg::YieldOp::create(nb, nl, body(nb, nl, args[0], scale, zp));
      });
  Value result = generic.getResult(0);
  if (result.getType() != resultTy)
    result = tensor::CastOp::create(b, loc, resultTy, result);
  return result;
}

struct CastOpLowering : OpConversionPattern<CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto outTy = op.getOutput().getType();
    Location loc = op.getLoc();
    Type inElt = inTy.getElementType(), outElt = outTy.getElementType();
    // Convert elements in the operand's shape; a shape that differs only in
    // what is static (tensor<4xf32> to tensor<?xbf16>) is a tensor.cast.
    auto sameShapeTy = inTy.clone(outElt);
    unsigned inW = inTy.getElementTypeBitWidth();
    unsigned outW = outTy.getElementTypeBitWidth();
    Value v = adaptor.getInput();
    if (inElt == outElt) {
      // Nothing to convert.
    } else if (inW == outW) {
      // f16 <-> bf16: neither contains the other; go through f32 exactly.
      v = arith::ExtFOp::create(rewriter, loc,
                                inTy.clone(rewriter.getF32Type()), v);
      v = arith::TruncFOp::create(rewriter, loc, sameShapeTy, v);
    } else if (inW < outW) {
      v = arith::ExtFOp::create(rewriter, loc, sameShapeTy, v);
    } else {
      if (op.getSaturate() && inTy.hasStaticShape()) {
        // Clamp to the narrow type's finite range first (NaN stays NaN).
        double maxFinite = APFloat::getLargest(
                               llvm::cast<FloatType>(outElt).getFloatSemantics())
                               .convertToDouble();
        auto splat = [&](double x) -> Value {
          return arith::ConstantOp::create(
              rewriter, loc,
              DenseElementsAttr::get(inTy, rewriter.getFloatAttr(inElt, x)));
        };
        v = arith::MaximumFOp::create(rewriter, loc, v, splat(-maxFinite));
        v = arith::MinimumFOp::create(rewriter, loc, v, splat(maxFinite));
      }
      v = arith::TruncFOp::create(rewriter, loc, sameShapeTy, v);
    }
    if (v.getType() != outTy)
      v = tensor::CastOp::create(rewriter, loc, outTy, v);
    rewriter.replaceOp(op, v);
    return success();
  }
};

struct QuantizeOpLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto q = llvm::cast<quant::QuantizedType>(
        op.getOutput().getType().getElementType());
    auto resultTy = llvm::cast<RankedTensorType>(
        getTypeConverter()->convertType(op.getOutput().getType()));
    UniformParams p = getParams(q);
    bool isSigned = q.isSigned();
    double qmin = q.getStorageTypeMin(), qmax = q.getStorageTypeMax();
    Type storage = resultTy.getElementType();
    // The rounded quotient is added to the zero point and clamped in a type
    // that holds the storage bounds exactly.
    FloatType zpType = getExactParamType(rewriter, q, p);
    Value result = buildParamGeneric(
        rewriter, op.getLoc(), adaptor.getInput(), resultTy, p, zpType,
        [&](OpBuilder &b, Location loc, Value x, Value scale, Value zp) {
          auto f32 = b.getF32Type();
          if (x.getType() != f32)
            x = arith::ExtFOp::create(b, loc, f32, x);
          Value v = arith::DivFOp::create(b, loc, x, scale);
          v = math::RoundEvenOp::create(b, loc, v);
          if (zpType != f32)
            v = arith::ExtFOp::create(b, loc, zpType, v);
          v = arith::AddFOp::create(b, loc, v, zp);
          Value lo =
              arith::ConstantOp::create(b, loc, b.getFloatAttr(zpType, qmin));
          Value hi =
              arith::ConstantOp::create(b, loc, b.getFloatAttr(zpType, qmax));
          v = arith::MaxNumFOp::create(b, loc, v, lo);
          v = arith::MinNumFOp::create(b, loc, v, hi);
          if (isSigned)
            return arith::FPToSIOp::create(b, loc, storage, v).getResult();
          return arith::FPToUIOp::create(b, loc, storage, v).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct DequantizeOpLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto q = llvm::cast<quant::QuantizedType>(
        op.getInput().getType().getElementType());
    auto resultTy = op.getOutput().getType();
    UniformParams p = getParams(q);
    bool isSigned = q.isSigned();
    unsigned width = q.getStorageTypeIntegralWidth();
    FloatType zpType = getExactParamType(rewriter, q, p);
    Value result = buildParamGeneric(
        rewriter, op.getLoc(), adaptor.getInput(), resultTy, p, zpType,
        [&](OpBuilder &b, Location loc, Value x, Value scale, Value zp) {
          // ONNX subtracts the zero point in integers, then scales; the
          // difference of two 32-bit values needs 33 bits.
          unsigned wideWidth = width < 32 ? 32 : 64;
          Type wide = b.getIntegerType(wideWidth);
          if (width < wideWidth)
            x = isSigned ? arith::ExtSIOp::create(b, loc, wide, x).getResult()
                         : arith::ExtUIOp::create(b, loc, wide, x).getResult();
          Value zpInt = arith::FPToSIOp::create(b, loc, wide, zp);
          Value d = arith::SubIOp::create(b, loc, x, zpInt);
          Value f = arith::SIToFPOp::create(b, loc, b.getF32Type(), d);
          f = arith::MulFOp::create(b, loc, f, scale);
          Type outElt = resultTy.getElementType();
          if (outElt != f.getType())
            f = arith::TruncFOp::create(b, loc, outElt, f);
          return f;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// quant.scast only reinterprets storage: after type conversion both sides
/// are the same integer tensor.
struct StorageCastLowering : OpConversionPattern<quant::StorageCastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(quant::StorageCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type want = getTypeConverter()->convertType(op.getType());
    if (adaptor.getInput().getType() != want)
      return rewriter.notifyMatchFailure(op, "storage types differ");
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

struct ConvertQOptToLinalgPass
    : qopt::impl::ConvertQOptToLinalgBase<ConvertQOptToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    TypeConverter converter;
    populateQuantStorageTypeConversion(converter);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<QOptDialect>();
    // Lowered late, by qopt-lower-matmul-nbits (see there).
    target.addLegalOp<MatMulNBitsOp>();
    target.addIllegalOp<quant::StorageCastOp>();
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return converter.isSignatureLegal(f.getFunctionType()) &&
             converter.isLegal(&f.getBody());
    });

    RewritePatternSet patterns(ctx);
    populateQOptToLinalgPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::qopt::populateQOptToLinalgPatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns) {
  patterns.add<CastOpLowering, QuantizeOpLowering, DequantizeOpLowering,
               StorageCastLowering>(converter, patterns.getContext());
}
