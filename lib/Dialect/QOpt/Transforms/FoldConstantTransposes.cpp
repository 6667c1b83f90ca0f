//===- FoldConstantTransposes.cpp - Transpose weights at compile time -----===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

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

/// Permutes a dense row-major buffer of `shape` (elements of `eltBytes`
/// bytes): result dim i is source dim perm[i].
std::vector<char> permuteBytes(ArrayRef<char> src, ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> perm, size_t eltBytes) {
  size_t rank = shape.size();
  SmallVector<int64_t> srcStrides(rank, 1), outShape(rank);
  for (size_t d = rank; d-- > 1;)
    srcStrides[d - 1] = srcStrides[d] * shape[d];
  for (size_t i = 0; i < rank; ++i)
    outShape[i] = shape[perm[i]];
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<char> out(n * eltBytes);
  SmallVector<int64_t> idx(rank, 0); // index into the result
  for (int64_t k = 0; k < n; ++k) {
    int64_t s = 0;
    for (size_t i = 0; i < rank; ++i)
      s += idx[i] * srcStrides[perm[i]];
    std::memcpy(out.data() + k * eltBytes, src.data() + s * eltBytes, eltBytes);
    for (size_t i = rank; i-- > 0;) {
      if (++idx[i] < outShape[i])
        break;
      idx[i] = 0;
    }
  }
  return out;
}

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
          permuteBytes(dense.getRawData(), srcTy.getShape(), op.getPermutation(), eltBytes);
      rewriter.replaceOpWithNewOp<arith::ConstantOp>(
          op, DenseElementsAttr::getFromRawBuffer(dstTy, out));
      return success();
    }
    auto res = llvm::dyn_cast<DenseResourceElementsAttr>(value);
    if (!res || !res.getRawHandle().getBlob())
      return failure();
    std::vector<char> out = permuteBytes(res.getRawHandle().getBlob()->getData(),
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
