//===- CPUKernelStrategy.cpp - linalg kernels shaped for the CPU ----------===//
//
// The strategy is a transform-dialect script applied with the upstream
// interpreter: the transformations are upstream's, the choice is qopt's.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
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
    transform.yield
  }
}
)mlir";

struct CPUKernelStrategyPass
    : qopt::impl::CPUKernelStrategyBase<CPUKernelStrategyPass> {
  void runOnOperation() override {
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
