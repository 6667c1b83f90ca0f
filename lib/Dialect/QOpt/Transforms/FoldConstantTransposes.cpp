//===- FoldConstantTransposes.cpp - Transpose weights at compile time -----===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"
#include "RewriteUtils.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>

namespace mlir::qopt {
#define GEN_PASS_DEF_FOLDCONSTANTTRANSPOSES
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

struct FoldTransposeOfConstant : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    auto cst = op.getInput().getDefiningOp<arith::ConstantOp>();
    if (!cst)
      return failure();
    auto srcTy = llvm::cast<RankedTensorType>(op.getInput().getType());
    auto dstTy = llvm::cast<RankedTensorType>(op.getResult()[0].getType());
    Type elt = srcTy.getElementType();
    if (!elt.isIntOrFloat() || elt.isInteger(1) || !srcTy.hasStaticShape())
      return failure();
    size_t eltBytes = elt.getIntOrFloatBitWidth() / 8;
    Attribute value = cst.getValue();
    if (auto dense = llvm::dyn_cast<DenseElementsAttr>(value)) {
      if (dense.isSplat()) {
        rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, dense.resizeSplat(dstTy));
        return success();
      }
      std::vector<char> out =
          qopt::permuteBytes(dense.getRawData(), srcTy.getShape(), op.getPermutation(), eltBytes);
      rewriter.replaceOpWithNewOp<arith::ConstantOp>(
          op, DenseElementsAttr::getFromRawBuffer(dstTy, out));
      return success();
    }
    auto res = llvm::dyn_cast<DenseResourceElementsAttr>(value);
    if (!res || !res.getRawHandle().getBlob())
      return failure();
    std::vector<char> out = qopt::permuteBytes(res.getRawHandle().getBlob()->getData(),
                                         srcTy.getShape(), op.getPermutation(), eltBytes);
    auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        out, std::max<size_t>(8, eltBytes));
    auto attr = DenseResourceElementsAttr::get(
        dstTy, (res.getRawHandle().getKey() + "_t").str(), std::move(blob));
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, dstTy, attr);
    return success();
  }
};

struct FoldConstantTransposesPass
    : qopt::impl::FoldConstantTransposesBase<FoldConstantTransposesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldTransposeOfConstant>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
