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

  LogicalResult rewrite(const mlir::qopt::QuantCandidate &c,
                        const ::qopt::Int4Recipe &recipe) {
    auto mm = cast<tosa::MatMulOp>(c.op);
    auto wType = cast<RankedTensorType>(mm.getB().getType());
    int64_t k = wType.getDimSize(1), n = wType.getDimSize(2);
    auto values = mlir::qopt::constantValues(mm.getB());
    if (!values)
      return success(); // not readable: stays f32
    std::vector<float> w = transposeKN(*values, k, n);

    ::qopt::LayerInputs in;
    if (recipe.method == ::qopt::Int4Method::GPTQ ||
        recipe.method == ::qopt::Int4Method::AWQ) {
      std::string error =
          calibrationData.empty()
              ? "method=" + method +
                    " needs calibration-data (qopt-compile --calibration DIR)"
              : ::qopt::readLayerInputsFor(calibrationData, c.key, k, in);
      if (!error.empty())
        return c.op->emitError() << error;
    }
    std::vector<float> inputScales;
    ::qopt::Int4Weights q = ::qopt::quantizeInt4(
        w.data(), n, k, recipe, in.rows.data(), in.count(), inputScales);

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
    std::optional<::qopt::Int4Method> parsed = ::qopt::parseInt4Method(method);
    if (!parsed) {
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
    ::qopt::Int4Recipe recipe;
    recipe.method = *parsed;
    recipe.group = group;
    recipe.format = *grid;
    recipe.actOrder = actOrder;
    llvm::StringSet<> kept(llvm::from_range, keep);
    SmallVector<Attribute> quantized;
    for (const mlir::qopt::QuantCandidate &c :
         mlir::qopt::findQuantCandidates(getOperation(), minElements)) {
      if (!isa<tosa::MatMulOp>(c.op) || kept.contains(c.key))
        continue; // weight-only int4 is for matrix products
      if (failed(rewrite(c, recipe)))
        return signalPassFailure();
      quantized.push_back(StringAttr::get(&getContext(), c.key));
    }
    getOperation()->setAttr("qopt.int4_layers",
                            ArrayAttr::get(&getContext(), quantized));
  }
};

} // namespace
