//===- FoldAddIntoContraction.cpp - An addend as a product's initial value ===//
//
//   %z = linalg.fill 0                      %b = broadcast(%bias)
//   %p = contraction(%a, %w) outs(%z)   ->  %p = contraction(%a, %w) outs(%b)
//   %y = add(%p, broadcast(%bias))
//
// The runtime's GEMM accumulates into C (C += A.B), so a product that starts
// from the bias (or the residual) instead of zero computes the same sum, and
// the graph loses a pass over the product's result: the zero fill, which
// bufferization turned into a copy of a shared zero buffer, and the
// separate add. Upstream's `linalg` FoldAddIntoDest does this for
// `linalg.add` of two full operands; imported MatMul+Add (Gemm, Linear
// layers) lower to a broadcasting generic, often behind the importer's
// collapse to [M, N], which this pattern also looks through.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "RewriteUtils.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_FOLDADDINTOCONTRACTION
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

/// Whether `v` is available where `op` runs: a block argument of an
/// enclosing region, or defined before `op` in its block.
bool availableBefore(Value v, Operation *op) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner()->getParentOp()->isProperAncestor(op);
  Operation *def = v.getDefiningOp();
  return def->getBlock() == op->getBlock() && def->isBeforeInBlock(op);
}

/// Whether `v` is an op's result that nothing but its one user reads, also
/// through the reshapes it comes from: the product may then accumulate in
/// its buffer.
bool readOnlyOnce(Value v) {
  while (v.hasOneUse()) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def))
      return true;
    v = def->getOperand(0);
  }
  return false;
}

/// A float contraction that the GEMM kernel runs (a generic without a
/// library call, or a named op), with one result, used once, whose initial
/// value is a fill with zero; null otherwise.
linalg::LinalgOp zeroInitProduct(Value v) {
  auto op = v.getDefiningOp<linalg::LinalgOp>();
  if (!op || op->getNumResults() != 1 || !v.hasOneUse() ||
      op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics() ||
      !isa<FloatType>(getElementTypeOrSelf(v.getType())) ||
      !linalg::isaContractionOpInterface(op) ||
      !mlir::qopt::isMultiplyAccumulate(op))
    return nullptr;
  if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      generic && generic.getLibraryCall())
    return nullptr;
  auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  if (!fill || !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
    return nullptr;
  return op;
}

/// In an elementwise generic computing f(x_i + x_j, ...), where x_i is a
/// product's result read whole and used only by that add: the product
/// starts from x_j broadcast to its shape, and the body reads x_i alone.
struct FoldAddIntoContraction : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
        !op.hasPureTensorSemantics() ||
        op.getNumLoops() != op.getNumParallelLoops() ||
        !op.getIndexingMapsArray().back().isIdentity())
      return failure();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    if (!resultType.hasStaticShape())
      return failure();
    Block &body = op.getRegion().front();
    unsigned inputs = op.getNumDpsInputs();
    for (unsigned i = 0; i < inputs; ++i) {
      // The product's operand: read whole, possibly through a collapse,
      // and in the body only by one addf with another input.
      Value x = op.getDpsInputs()[i];
      BlockArgument xi = body.getArgument(i);
      if (x.getType() != resultType || !op.getIndexingMapsArray()[i].isIdentity() ||
          !x.hasOneUse() || !xi.hasOneUse())
        continue;
      auto addf = dyn_cast<arith::AddFOp>(*xi.getUsers().begin());
      if (!addf)
        continue;
      Value other = addf.getLhs() == xi ? addf.getRhs() : addf.getLhs();
      auto xj = dyn_cast<BlockArgument>(other);
      if (!xj || xj.getOwner() != &body || xj.getArgNumber() >= inputs ||
          xj == xi)
        continue;
      auto collapse = x.getDefiningOp<tensor::CollapseShapeOp>();
      linalg::LinalgOp product = zeroInitProduct(collapse ? collapse.getSrc() : x);
      if (!product)
        continue;
      // The addend, broadcast (or read whole) to the result's shape.
      Value addend = op.getDpsInputs()[xj.getArgNumber()];
      AffineMap addendMap = op.getIndexingMapsArray()[xj.getArgNumber()];
      if (!availableBefore(addend, product) || !addendMap.isProjectedPermutation())
        continue;

      Location loc = op.getLoc();
      rewriter.setInsertionPoint(product);
      // A whole addend read only here is the initial value itself (the
      // product then accumulates in its buffer). One that others read is
      // copied into a new buffer here: left to bufferization, the copy
      // would go to the other readers instead (and could return one
      // buffer for several of calibration's observed results, which
      // buffer-results-to-out-params does not handle).
      Value init = addend;
      bool whole = addendMap.isIdentity() && addend.getType() == resultType;
      if (whole && !readOnlyOnce(addend)) {
        init = bufferization::AllocTensorOp::create(
            rewriter, loc, resultType, ValueRange{}, /*copy=*/addend);
      } else if (!whole) {
        Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                              resultType.getElementType());
        SmallVector<utils::IteratorType> parallel(op.getNumLoops(),
                                                  utils::IteratorType::parallel);
        init = linalg::GenericOp::create(
                   rewriter, loc, TypeRange{resultType}, ValueRange{addend},
                   ValueRange{empty},
                   ArrayRef<AffineMap>{addendMap,
                                       op.getIndexingMapsArray().back()},
                   parallel,
                   [](OpBuilder &b, Location l, ValueRange args) {
                     linalg::YieldOp::create(b, l, args[0]);
                   })
                   .getResult(0);
      }
      if (collapse)
        init = tensor::ExpandShapeOp::create(
            rewriter, loc, collapse.getSrcType(), init,
            collapse.getReassociationIndices());
      rewriter.modifyOpInPlace(product, [&] {
        product.getDpsInitsMutable()[0].assign(init);
      });
      rewriter.replaceOp(addf, xi);
      // Nothing left but the product's value (the add alone): the generic
      // goes (upstream's identity folding wants every input used).
      auto yield = cast<linalg::YieldOp>(body.getTerminator());
      if (&body.front() == yield.getOperation() && yield.getValues()[0] == xi)
        rewriter.replaceOp(op, x);
      return success();
    }
    return failure();
  }
};

struct FoldAddIntoContractionPass
    : mlir::qopt::impl::FoldAddIntoContractionBase<FoldAddIntoContractionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldAddIntoContraction>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
