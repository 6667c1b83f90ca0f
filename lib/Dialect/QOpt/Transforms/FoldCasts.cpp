//===- FoldCasts.cpp - Cancel precision casts -----------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_FOLDCASTS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

namespace {
struct FoldCastsPass : qopt::impl::FoldCastsBase<FoldCastsPass> {
  void runOnOperation() override {
    // CastOp's folder knows which chains are exact; the greedy driver
    // applies it to every cast and materialises folded constants through
    // the dialect's constant materializer.
    RewritePatternSet patterns(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
