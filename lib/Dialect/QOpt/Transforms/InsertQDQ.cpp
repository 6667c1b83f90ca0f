//===- InsertQDQ.cpp - Static int8: Q/DQ pairs from a calibration table ---===//
//
// The static int8 recipe states its decisions in the IR as ONNX QDQ models
// do: a weight is an int8 constant read through a dequantize, an
// activation goes through quantize -> dequantize with the grid calibration
// chose. Until qopt-fuse-qdq runs, the graph computes exactly what the
// quantized ONNX model would (float emulation); after it, integers.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "QuantCandidates.h"
#include "qopt/Analysis/CalibrationTable.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_INSERTQDQ
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

struct InsertQDQPass : mlir::qopt::impl::InsertQDQBase<InsertQDQPass> {
  using InsertQDQBase::InsertQDQBase;

  ::qopt::CalibrationTable table;
  ::qopt::ActivationScheme scheme = ::qopt::ActivationScheme::Asymmetric;
  ::qopt::WeightScaleGrid grid = ::qopt::WeightScaleGrid::E4M4;

  LogicalResult initialize(MLIRContext *ctx) override {
    auto fail = [&](const std::string &message) {
      emitError(UnknownLoc::get(ctx)) << "qopt-insert-qdq: " << message;
      return failure();
    };
    if (calibrationTable.empty())
      return fail("needs calibration-table=FILE (made by qopt-compile "
                  "--calibration DIR)");
    if (std::string error = ::qopt::readCalibrationTable(calibrationTable, table);
        !error.empty())
      return fail(error);
    if (!method.empty()) {
      auto m = ::qopt::parseCalibrationMethod(method);
      if (!m)
        return fail("unknown method '" + method +
                    "' (minmax, percentile, entropy, mse)");
      table.method = *m;
    }
    if (percentile != 0) {
      if (!(percentile > 0 && percentile <= 100))
        return fail("percentile must be in (0, 100]");
      table.percentile = percentile;
    }
    auto s = ::qopt::parseActivationScheme(activations);
    if (!s)
      return fail("unknown activations '" + activations +
                  "' (asymmetric, symmetric, unsigned)");
    scheme = *s;
    if (weightScales == "f32")
      grid = ::qopt::WeightScaleGrid::F32;
    else if (weightScales == "bf16")
      grid = ::qopt::WeightScaleGrid::BF16;
    else if (weightScales != "e4m4")
      return fail("unknown weight-scales '" + weightScales +
                  "' (e4m4, bf16, f32)");
    return success();
  }

  /// The weight as int8 per output channel, read through a dequantize.
  Value quantizeWeight(OpBuilder &b, const mlir::qopt::QuantCandidate &c,
                       unsigned index) {
    auto wType = cast<RankedTensorType>(c.weight.getType());
    auto q = mlir::qopt::quantizeProductWeight(c.op, c.weight, grid);
    if (!q)
      return {};
    int32_t axis = mlir::qopt::outputChannelDim(c.op);
    int64_t channels = wType.getDimSize(axis);

    MLIRContext *ctx = b.getContext();
    Type i8 = IntegerType::get(ctx, 8);
    Value stored = mlir::qopt::resourceConstant(
        b, c.op->getLoc(), RankedTensorType::get(wType.getShape(), i8),
        q->values, ("qopt_int8_weight_" + Twine(index)).str());
    SmallVector<double> scales(q->scales.begin(), q->scales.end());
    SmallVector<int64_t> zeros(channels, 0);
    auto qType = quant::UniformQuantizedPerAxisType::get(
        quant::QuantizationFlags::Signed, i8, b.getF32Type(), scales, zeros,
        axis, -127, 127);
    Value typed = quant::StorageCastOp::create(b, c.op->getLoc(),
                                               wType.clone(qType), stored);
    return mlir::qopt::DequantizeOp::create(b, c.op->getLoc(), wType, typed);
  }

  /// quantize -> dequantize of the activation on the calibrated grid.
  Value quantizeActivation(OpBuilder &b, const mlir::qopt::QuantCandidate &c,
                           ::qopt::Range range) {
    ::qopt::QuantParams p = ::qopt::activationParams(range, scheme);
    bool isSigned = scheme != ::qopt::ActivationScheme::Unsigned;
    auto qType = quant::UniformQuantizedType::get(
        isSigned ? quant::QuantizationFlags::Signed : 0,
        IntegerType::get(b.getContext(), 8), b.getF32Type(), p.scale,
        p.zeroPoint, p.qmin, p.qmax);
    auto xType = cast<RankedTensorType>(c.activation.getType());
    Value q = mlir::qopt::QuantizeOp::create(b, c.op->getLoc(), xType.clone(qType),
                                       c.activation);
    return mlir::qopt::DequantizeOp::create(b, c.op->getLoc(), xType, q);
  }

  void runOnOperation() override {
    func::FuncOp f = getOperation();
    unsigned index = 0;
    for (const mlir::qopt::QuantCandidate &c : mlir::qopt::findQuantCandidates(f)) {
      std::optional<::qopt::Range> range = table.rangeOf(c.key);
      if (!range) {
        c.op->emitRemark() << "qopt-insert-qdq: the calibration table has no "
                           << "entry '" << c.key << "'; the op stays in f32";
        continue;
      }
      OpBuilder b(c.op);
      Value w = quantizeWeight(b, c, index++);
      if (!w)
        continue;
      Value x = quantizeActivation(b, c, *range);
      c.op->setOperand(0, x);
      c.op->setOperand(1, w);
    }
  }
};

} // namespace
