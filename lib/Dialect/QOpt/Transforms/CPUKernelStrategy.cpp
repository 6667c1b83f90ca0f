//===- CPUKernelStrategy.cpp - linalg kernels shaped for the CPU ----------===//
//
// The strategy is a transform-dialect script applied with the upstream
// interpreter: the transformations are upstream's, the choice is qopt's.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Parser/Parser.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_CPUKERNELSTRATEGY
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

// Matrix products: (batch, m, n, k) -> (batch, m, k, n). The innermost loop
// then walks a row of B and of C with unit stride, and the k-loop carries
// the accumulation in C (vectorisable without reassociating a reduction).
constexpr llvm::StringLiteral kStrategy = R"mlir(
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %bmm = transform.structured.match ops{["linalg.batch_matmul"]} in %root
      : (!transform.any_op) -> !transform.any_op
    transform.foreach %bmm : !transform.any_op {
    ^bb0(%op: !transform.any_op):
      %g = transform.structured.generalize %op : (!transform.any_op) -> !transform.any_op
      %i = transform.structured.interchange %g iterator_interchange = [0, 1, 3, 2]
        : (!transform.any_op) -> !transform.any_op
    }
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root
      : (!transform.any_op) -> !transform.any_op
    transform.foreach %mm : !transform.any_op {
    ^bb0(%op: !transform.any_op):
      %g = transform.structured.generalize %op : (!transform.any_op) -> !transform.any_op
      %i = transform.structured.interchange %g iterator_interchange = [0, 2, 1]
        : (!transform.any_op) -> !transform.any_op
    }
    // Convolutions (n, oh, ow, f, kh, kw, c) -> (n, oh, ow, kh, kw, c, f).
    %conv = transform.structured.match ops{["linalg.conv_2d_nhwc_hwcf"]} in %root
      : (!transform.any_op) -> !transform.any_op
    transform.foreach %conv : !transform.any_op {
    ^bb0(%op: !transform.any_op):
      %g = transform.structured.generalize %op : (!transform.any_op) -> !transform.any_op
      %i = transform.structured.interchange %g iterator_interchange = [0, 1, 2, 4, 5, 6, 3]
        : (!transform.any_op) -> !transform.any_op
    }
    transform.yield
  }
}
)mlir";

/// conv_2d_nhwc_fhwc(x, W) -> conv_2d_nhwc_hwcf(x, transpose(W)) when W is
/// a constant: the transpose folds at compile time, and HWCF puts the output
/// channel innermost in the filter as in the output.
void useHWCFFilters(ModuleOp module) {
  SmallVector<linalg::Conv2DNhwcFhwcOp> convs;
  module.walk([&](linalg::Conv2DNhwcFhwcOp op) {
    if (op.hasPureTensorSemantics() &&
        op.getInputs()[1].getDefiningOp<arith::ConstantOp>())
      convs.push_back(op);
  });
  for (linalg::Conv2DNhwcFhwcOp op : convs) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value filter = op.getInputs()[1];
    auto fty = llvm::cast<RankedTensorType>(filter.getType());
    SmallVector<int64_t> perm = {1, 2, 3, 0}; // FHWC -> HWCF
    SmallVector<int64_t> shape = {fty.getDimSize(1), fty.getDimSize(2),
                                  fty.getDimSize(3), fty.getDimSize(0)};
    Value init = tensor::EmptyOp::create(b, loc, shape, fty.getElementType());
    Value hwcf = linalg::TransposeOp::create(b, loc, filter, init, perm)->getResult(0);
    SmallVector<NamedAttribute> attrs;
    for (NamedAttribute a : op->getAttrs())
      if (a.getName() == op.getStridesAttrName() ||
          a.getName() == op.getDilationsAttrName())
        attrs.push_back(a);
    auto conv = linalg::Conv2DNhwcHwcfOp::create(
        b, loc, op->getResultTypes(), ValueRange{op.getInputs()[0], hwcf},
        op.getOutputs(), attrs);
    op->replaceAllUsesWith(conv->getResults());
    op->erase();
  }
}

struct CPUKernelStrategyPass
    : qopt::impl::CPUKernelStrategyBase<CPUKernelStrategyPass> {
  void runOnOperation() override {
    useHWCFFilters(getOperation());
    OwningOpRef<ModuleOp> script =
        parseSourceString<ModuleOp>(kStrategy, &getContext());
    if (!script) {
      getOperation().emitError("qopt: invalid built-in CPU strategy script");
      return signalPassFailure();
    }
    Operation *entry = transform::detail::findTransformEntryPoint(
        getOperation(), *script, "__transform_main");
    if (!entry ||
        failed(transform::applyTransformNamedSequence(
            getOperation(), entry, *script, transform::TransformOptions())))
      signalPassFailure();
  }
};

} // namespace
