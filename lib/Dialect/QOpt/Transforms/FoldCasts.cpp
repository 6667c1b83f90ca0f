//===- FoldCasts.cpp - Cancel precision casts -----------------------------===//
//
// The cast folder cancels exact chains and converts constants; the patterns
// here move casts through layout ops so that casts meet: narrowing casts
// move up towards producers (and constants, where they fold), widening
// casts move down towards consumers.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "RewriteUtils.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_FOLDCASTS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

namespace {

/// Ops that only move, copy or select elements: casting before or after
/// them gives the same values.
bool isLayoutOp(Operation *op) {
  return llvm::isa<tosa::ReshapeOp, tosa::TransposeOp, tosa::SliceOp,
                   tosa::TileOp, tosa::ConcatOp, tosa::ReverseOp,
                   tosa::IdentityOp>(op) &&
         op->getNumResults() == 1;
}

unsigned floatWidth(Type t) {
  return llvm::cast<RankedTensorType>(t).getElementTypeBitWidth();
}

/// Rebuilds layout op `op` with its `from`-typed float operands cast to
/// `to` and its result of element type `to`; null when TOSA rejects it.
Operation *rebuildLayoutOp(PatternRewriter &rewriter, Operation *op, Type from,
                           Type to, bool saturate) {
  IRMapping map;
  for (Value v : op->getOperands()) {
    auto ty = llvm::dyn_cast<RankedTensorType>(v.getType());
    if (!ty || ty.getElementType() != from)
      continue;
    auto cast = CastOp::create(rewriter, op->getLoc(), ty.clone(to), v);
    if (saturate)
      cast.setSaturate(true);
    map.map(v, cast.getResult());
  }
  Operation *clone = rewriter.clone(*op, map);
  Value r = clone->getResult(0);
  r.setType(llvm::cast<RankedTensorType>(r.getType()).clone(to));
  if (failed(verifyQuietly(clone))) {
    rewriter.eraseOp(clone);
    return nullptr;
  }
  return clone;
}

/// cast_narrow(layout(x)) -> layout(cast_narrow(x)).
struct NarrowingCastThroughLayout : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp cast,
                                PatternRewriter &rewriter) const override {
    Type from = getElementTypeOrSelf(cast.getInput().getType());
    Type to = getElementTypeOrSelf(cast.getOutput().getType());
    if (floatWidth(cast.getOutput().getType()) >= floatWidth(cast.getInput().getType()))
      return failure();
    Operation *producer = cast.getInput().getDefiningOp();
    if (!producer || !isLayoutOp(producer) || !producer->hasOneUse())
      return failure();
    rewriter.setInsertionPoint(producer);
    Operation *moved = rebuildLayoutOp(rewriter, producer, from, to, cast.getSaturate());
    if (!moved)
      return failure();
    if (moved->getResult(0).getType() != cast.getOutput().getType()) {
      rewriter.eraseOp(moved);
      return failure();
    }
    rewriter.replaceOp(cast, moved->getResults());
    rewriter.eraseOp(producer);
    return success();
  }
};

/// layout(cast_widen(y)) -> cast_widen(layout(y)), for single-input layout
/// ops.
struct WideningCastThroughLayout : RewritePattern {
  WideningCastThroughLayout(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isLayoutOp(op) || llvm::isa<tosa::ConcatOp>(op))
      return failure();
    auto cast = op->getOperand(0).getDefiningOp<CastOp>();
    if (!cast || floatWidth(cast.getOutput().getType()) <= floatWidth(cast.getInput().getType()))
      return failure();
    Type narrow = getElementTypeOrSelf(cast.getInput().getType());
    // Rebuild the layout op on the narrow value directly.
    IRMapping map;
    map.map(cast.getOutput(), cast.getInput());
    rewriter.setInsertionPoint(op);
    Operation *clone = rewriter.clone(*op, map);
    Value r = clone->getResult(0);
    auto wideTy = llvm::cast<RankedTensorType>(r.getType());
    r.setType(wideTy.clone(narrow));
    if (failed(verifyQuietly(clone))) {
      rewriter.eraseOp(clone);
      return failure();
    }
    rewriter.replaceOpWithNewOp<CastOp>(op, wideTy, r);
    return success();
  }
};

struct FoldCastsPass : qopt::impl::FoldCastsBase<FoldCastsPass> {
  void runOnOperation() override {
    // CastOp's folder cancels exact chains and converts constants (the
    // greedy driver materialises folded constants through the dialect).
    RewritePatternSet patterns(&getContext());
    populateFoldCastsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::qopt::populateFoldCastsPatterns(RewritePatternSet &patterns) {
  patterns.add<NarrowingCastThroughLayout>(patterns.getContext());
  patterns.add<WideningCastThroughLayout>(patterns.getContext());
}
