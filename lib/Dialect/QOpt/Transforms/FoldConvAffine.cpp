//===- FoldConvAffine.cpp - Per-channel scale and shift into a convolution ===//
//
// The importer writes BatchNormalization (inference) as x * s + t with
// per-channel constants s = gamma / sqrt(var + eps), t = beta - mean * s,
// in NCHW between the NHWC convolution's transposes. After a convolution
// with constant filters and bias it is the same convolution with
//   W'[f] = W[f] * s[f],  b'[f] = b[f] * s[f] + t[f]
// (onnxruntime's Conv+BatchNormalization fusion does the same). Folded,
// the graph loses a pass over the activation, and the transposes around it
// then cancel through what remains (tosa-reduce-transposes).
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "QuantCandidates.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_FOLDCONVAFFINE
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

/// The values of a constant of `like`'s rank that varies at most along
/// `axis`, as `channels` values; nullopt otherwise.
std::optional<std::vector<float>> perChannel(Value c, Value like, unsigned axis,
                                             int64_t channels) {
  auto type = dyn_cast<RankedTensorType>(c.getType());
  if (!type || type.getRank() != cast<RankedTensorType>(like.getType()).getRank())
    return std::nullopt;
  return mlir::qopt::channelConstant(c, axis, channels);
}

struct FoldConvAffinePass
    : mlir::qopt::impl::FoldConvAffineBase<FoldConvAffinePass> {
  unsigned counter = 0;

  void fold(tosa::Conv2DOp conv) {
    auto wType = cast<RankedTensorType>(conv.getWeight().getType());
    auto outType = cast<RankedTensorType>(conv.getType());
    if (!wType.getElementType().isF32() || !outType.getElementType().isF32() ||
        !wType.hasStaticShape())
      return;
    int64_t channels = wType.getDimSize(0); // OHWI
    auto weight = mlir::qopt::constantValues(conv.getWeight());
    auto bias = mlir::qopt::channelConstant(conv.getBias(), 0, channels);
    if (!weight || !bias)
      return;

    // Follow the output channel through single-use transposes, then fold
    // each multiply and add by a per-channel constant.
    Value v = conv.getResult();
    unsigned axis = 3;
    while (v.hasOneUse())
      if (auto t = dyn_cast<tosa::TransposeOp>(*v.getUsers().begin())) {
        axis = llvm::find(t.getPerms(), int32_t(axis)) - t.getPerms().begin();
        v = t.getResult();
      } else {
        break;
      }
    Value chainStart = v;
    std::vector<float> scale(channels, 1.f), shift(channels, 0.f);
    SmallVector<Operation *> folded;
    while (v.hasOneUse()) {
      Operation *user = *v.getUsers().begin();
      if (user->getNumResults() != 1 || user->getResult(0).getType() != v.getType())
        break;
      auto other = [&](Value a, Value b) { return a == v ? b : a; };
      if (auto mul = dyn_cast<tosa::MulOp>(user)) {
        auto s = perChannel(other(mul.getInput1(), mul.getInput2()), v, axis,
                            channels);
        if (!s || !matchPattern(mul.getShift(), m_Zero()))
          break;
        for (int64_t f = 0; f < channels; ++f) {
          scale[f] *= (*s)[f];
          shift[f] *= (*s)[f];
        }
      } else if (isa<tosa::AddOp, tosa::SubOp>(user)) {
        bool sub = isa<tosa::SubOp>(user);
        if (sub && user->getOperand(0) != v)
          break; // t - x negates x
        auto t = perChannel(other(user->getOperand(0), user->getOperand(1)), v,
                            axis, channels);
        if (!t)
          break;
        for (int64_t f = 0; f < channels; ++f)
          shift[f] += sub ? -(*t)[f] : (*t)[f];
      } else {
        break;
      }
      folded.push_back(user);
      v = user->getResult(0);
    }
    if (folded.empty())
      return;

    int64_t perFilter = weight->size() / channels;
    for (size_t i = 0; i < weight->size(); ++i)
      (*weight)[i] *= scale[i / perFilter];
    for (int64_t f = 0; f < channels; ++f)
      (*bias)[f] = (*bias)[f] * scale[f] + shift[f];
    OpBuilder b(conv);
    std::string id = std::to_string(counter++);
    conv.getWeightMutable().assign(mlir::qopt::resourceConstant(
        b, conv.getLoc(), wType, *weight, "qopt_folded_filter_" + id));
    conv.getBiasMutable().assign(mlir::qopt::resourceConstant(
        b, conv.getLoc(), RankedTensorType::get({channels}, b.getF32Type()),
        *bias, "qopt_folded_bias_" + id));
    v.replaceAllUsesWith(chainStart);
    for (Operation *op : llvm::reverse(folded))
      op->erase();
  }

  void runOnOperation() override {
    SmallVector<tosa::Conv2DOp> convs;
    getOperation().walk([&](tosa::Conv2DOp op) { convs.push_back(op); });
    for (tosa::Conv2DOp op : convs)
      fold(op);
  }
};

} // namespace
