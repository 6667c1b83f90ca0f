//===- FuseElementwise.cpp - Elementwise fusion that keeps GEMMs whole ----===//
//
// Upstream's linalg-fuse-elementwise-ops, with one rule more: an
// elementwise producer that computes something (a scale, a quantize, an
// activation) is not fused into a matrix product or convolution. Fused, it
// would make the contraction's body more than a multiply-accumulate, so
// the contraction would leave the runtime's GEMM kernel for scalar loops
// that recompute the producer M x N x K times instead of M x K. Producers
// that only move data (transposes, broadcasts) still fuse: the kernel reads
// any strided layout.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "RewriteUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

/// A contraction with reduction loops (matmul, batch matmul, convolution
/// or their generic forms, mixed-type products included: upstream's checks,
/// or the GEMM kernel's own).
bool isContraction(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumReductionLoops() > 0 &&
         (linalg::isaContractionOpInterface(linalgOp) ||
          linalg::isaConvolutionOpInterface(linalgOp) ||
          mlir::qopt::isMultiplyAccumulate(linalgOp));
}

/// A generic whose body yields one of its inputs unchanged.
bool movesDataOnly(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic)
    return isa<linalg::TransposeOp, linalg::BroadcastOp>(op);
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (body.getOperations().size() != 1 || yield.getNumOperands() != 1)
    return false;
  auto arg = dyn_cast<BlockArgument>(yield.getOperand(0));
  return arg && arg.getArgNumber() < generic.getNumDpsInputs();
}

struct FuseElementwisePass
    : mlir::qopt::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer || !producer->hasOneUse())
        return false;
      return !isContraction(fused->getOwner()) || movesDataOnly(producer);
    };
    // What upstream's pass adds, with `control` for fusion.
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    GreedyRewriteConfig config;
    config.setUseTopDownTraversal(true);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
