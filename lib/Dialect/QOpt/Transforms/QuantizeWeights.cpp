//===- QuantizeWeights.cpp - Weight-only 4-bit matmuls --------------------===//
//
// The int4 recipes. Each tosa.matmul by a constant weight [1, K, N] becomes
// a qopt.matmul_nbits over the weight quantized now, in onnxruntime's
// MatMulNBits layout; the numerics (RTN, NF4, GPTQ, AWQ) are in
// qopt/Analysis/WeightQuantization.h. GPTQ and AWQ read the layer inputs
// that calibration saved (LayerInputs.h).
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "QuantCandidates.h"
#include "qopt/Analysis/LayerInputs.h"
#include "qopt/Analysis/WeightQuantization.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "llvm/ADT/StringSet.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

struct QuantizeWeightsPass
    : mlir::qopt::impl::QuantizeWeightsBase<QuantizeWeightsPass> {
  using QuantizeWeightsBase::QuantizeWeightsBase;

  unsigned counter = 0;

  /// W [K, N] (the op's layout) as rows of output channels: N x K.
  static std::vector<float> transposeKN(const std::vector<float> &w, int64_t k,
                                        int64_t n) {
    std::vector<float> t(w.size());
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        t[j * k + i] = w[i * n + j];
    return t;
  }

  std::optional<::qopt::Int4Format> parseFormat() {
    if (format == "symmetric")
      return ::qopt::Int4Format::Symmetric;
    if (format == "asymmetric")
      return ::qopt::Int4Format::Asymmetric;
    return std::nullopt;
  }

  /// The layer's calibration inputs, or an error naming what is missing.
  FailureOr<::qopt::LayerInputs> layerInputs(Operation *op, StringRef key,
                                             int64_t k) {
    if (calibrationData.empty()) {
      op->emitError() << "method=" << method
                      << " needs calibration-data (qopt-compile --calibration "
                         "DIR)";
      return failure();
    }
    ::qopt::LayerInputs in;
    std::string error =
        ::qopt::readLayerInputs(calibrationData, key.str(), in);
    if (error.empty() && in.cols != k)
      error = "layer inputs of '" + key.str() + "' have " +
              std::to_string(in.cols) + " features, the weight has " +
              std::to_string(k) + " rows";
    if (!error.empty()) {
      op->emitError() << error;
      return failure();
    }
    return in;
  }

  LogicalResult rewrite(const mlir::qopt::QuantCandidate &c,
                        ::qopt::Int4Format grid) {
    auto mm = cast<tosa::MatMulOp>(c.op);
    auto wType = cast<RankedTensorType>(mm.getB().getType());
    int64_t k = wType.getDimSize(1), n = wType.getDimSize(2);
    auto values = mlir::qopt::constantValues(mm.getB());
    if (!values)
      return success(); // not readable: stays f32
    std::vector<float> w = transposeKN(*values, k, n);

    ::qopt::Int4Weights q;
    std::vector<float> inputScales;
    if (method == "rtn") {
      q = ::qopt::quantizeRTN(w.data(), n, k, group, grid);
    } else if (method == "nf4") {
      q = ::qopt::quantizeNF4(w.data(), n, k, group);
    } else if (method == "gptq") {
      auto in = layerInputs(c.op, c.key, k);
      if (failed(in))
        return failure();
      ::qopt::HessianAccumulator h(k);
      h.add(in->rows.data(), in->count());
      ::qopt::GPTQOptions o;
      o.group = group;
      o.format = grid;
      o.actOrder = actOrder;
      q = ::qopt::quantizeGPTQ(w.data(), n, k, h.hessian(), o);
    } else {
      auto in = layerInputs(c.op, c.key, k);
      if (failed(in))
        return failure();
      ::qopt::AWQResult r = ::qopt::quantizeAWQ(
          w.data(), n, k, in->rows.data(), in->count(), group, grid);
      q = std::move(r.weights);
      inputScales = std::move(r.inputScales);
    }

    OpBuilder b(mm);
    Location loc = mm.getLoc();
    std::string id = std::to_string(counter++);
    int64_t blocks = q.blocks();
    auto i8 = b.getI8Type();
    Value codes = mlir::qopt::resourceConstant(
        b, loc, RankedTensorType::get({n, blocks, group / 2}, i8), q.packed,
        "qopt_int4_" + id);
    Value scales = mlir::qopt::resourceConstant(
        b, loc, RankedTensorType::get({n, blocks}, b.getF32Type()), q.scales,
        "qopt_int4_scale_" + id);
    Value zeros;
    if (q.format == ::qopt::Int4Format::Asymmetric)
      zeros = mlir::qopt::resourceConstant(
          b, loc, RankedTensorType::get({n, (blocks + 1) / 2}, i8), q.zeros,
          "qopt_int4_zero_" + id);
    Value x = mm.getA();
    if (!inputScales.empty()) {
      // AWQ: the product reads x / s against W diag(s). The division is a
      // broadcast multiply by 1/s here; elementwise fusion folds it into
      // the op that produces x.
      std::vector<float> inv(inputScales.size());
      for (size_t i = 0; i < inv.size(); ++i)
        inv[i] = 1.0f / inputScales[i];
      auto sType = RankedTensorType::get({1, 1, k}, b.getF32Type());
      Value s = mlir::qopt::resourceConstant(b, loc, sType, inv,
                                             "qopt_awq_scale_" + id);
      x = tosa::MulOp::create(b, loc, x.getType(), x, s,
                              mlir::qopt::int8ZeroPoint(b, loc))
              .getResult();
    }
    StringRef formatName = q.format == ::qopt::Int4Format::NF4 ? "nf4"
                           : q.format == ::qopt::Int4Format::Asymmetric
                               ? "asymmetric"
                               : "symmetric";
    Value y = mlir::qopt::MatMulNBitsOp::create(
        b, loc, mm.getType(), x, codes, scales, zeros, b.getI64IntegerAttr(k),
        b.getI64IntegerAttr(group), b.getStringAttr(formatName),
        b.getStringAttr(activations));
    mm.getResult().replaceAllUsesWith(y);
    mm.erase();
    return success();
  }

  void runOnOperation() override {
    if (method != "rtn" && method != "nf4" && method != "gptq" &&
        method != "awq") {
      getOperation().emitError()
          << "qopt-quantize-weights: unknown method '" << method
          << "' (rtn, nf4, gptq, awq)";
      return signalPassFailure();
    }
    auto grid = parseFormat();
    if (!grid) {
      getOperation().emitError()
          << "qopt-quantize-weights: format must be symmetric or asymmetric, "
             "got '"
          << format << "'";
      return signalPassFailure();
    }
    if (activations != "f32" && activations != "int8") {
      getOperation().emitError()
          << "qopt-quantize-weights: activations must be f32 or int8, got '"
          << activations << "'";
      return signalPassFailure();
    }
    if (group < 16 || (group & (group - 1))) {
      getOperation().emitError() << "qopt-quantize-weights: group " << int64_t(group)
                                 << " is not a power of two of at least 16";
      return signalPassFailure();
    }
    llvm::StringSet<> kept(llvm::from_range, keep);
    SmallVector<Attribute> quantized;
    for (const mlir::qopt::QuantCandidate &c :
         mlir::qopt::findQuantCandidates(getOperation(), minElements)) {
      if (!isa<tosa::MatMulOp>(c.op) || kept.contains(c.key))
        continue; // weight-only int4 is for matrix products
      if (failed(rewrite(c, *grid)))
        return signalPassFailure();
      quantized.push_back(StringAttr::get(&getContext(), c.key));
    }
    getOperation()->setAttr("qopt.int4_layers",
                            ArrayAttr::get(&getContext(), quantized));
  }
};

} // namespace
