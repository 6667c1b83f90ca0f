//===- VectorizeElementwise.cpp - Elementwise loops as vector code --------===//
//
// Upstream tiling and vectorisation, applied to the elementwise linalg ops
// that the GEMM kernel does not take.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_VECTORIZEELEMENTWISE
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

/// Lanes of the widest element type, or 0 if an operand is not a number of
/// whole bytes (i1 vectors are bit-packed, i1 buffers byte-per-element).
int64_t lanes(linalg::GenericOp op, int64_t vectorBits) {
  unsigned widest = 0;
  for (Value v : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type || !type.getElementType().isIntOrFloat() ||
        type.getElementTypeBitWidth() % 8)
      return 0;
    widest = std::max(widest, type.getElementTypeBitWidth());
  }
  return widest ? vectorBits / widest : 0;
}

/// One reduction loop, the innermost, of at most kMaxReduction iterations:
/// vectorised whole (one vector per reduced row, then one horizontal
/// reduction), so that the accumulator lives in registers. As scalar loops
/// it lives in the output buffer, which LLVM cannot keep in a register
/// (the arena's views may alias), and the loop does not vectorise.
constexpr int64_t kMaxReduction = 512;

bool isInnermostReduction(linalg::GenericOp op) {
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  return op.getNumReductionLoops() == 1 && op.getNumDpsInits() == 1 &&
         iters.back() == utils::IteratorType::reduction &&
         !ShapedType::isDynamic(ranges.back()) && ranges.back() <= kMaxReduction;
}

/// Whether the generic's combining op may be reassociated (granted by
/// qopt-reassociate-reductions): the yielded value's fastmath flags.
bool reassociable(linalg::GenericOp op) {
  Value yielded = op.getBody()->getTerminator()->getOperand(0);
  auto fm = yielded.getDefiningOp<arith::ArithFastMathInterface>();
  return fm && bitEnumContainsAll(fm.getFastMathFlagsAttr().getValue(),
                                  arith::FastMathFlags::reassoc);
}

/// A tile's reduction of its innermost dimension (the others unit) as one
/// 1-D vector.reduction that keeps the reassoc flag: upstream's lowering
/// drops it (vector.multi_reduction has none), and an ordered
/// vector.reduction of R lanes becomes a chain of R dependent scalar adds,
/// 4 cycles each (13% of the fp32 encoder's time).
void reduceReassociated(RewriterBase &rewriter,
                        vector::MultiDimReductionOp op) {
  VectorType src = op.getSourceVectorType();
  int64_t rank = src.getRank();
  ArrayRef<int64_t> dims = op.getReductionDims();
  auto unit = [](int64_t d) { return d == 1; };
  if (src.isScalable() || dims.size() != 1 || dims[0] != rank - 1 ||
      !llvm::all_of(src.getShape().drop_back(), unit))
    return;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto row = VectorType::get({src.getShape().back()}, src.getElementType());
  Value flat = vector::ShapeCastOp::create(rewriter, loc, row, op.getSource());
  Value acc = op.getAcc();
  if (auto accType = dyn_cast<VectorType>(acc.getType()))
    acc = vector::ExtractOp::create(rewriter, loc, acc,
                                    SmallVector<int64_t>(accType.getRank(), 0));
  Value sum = vector::ReductionOp::create(rewriter, loc, op.getKind(), flat,
                                          acc, arith::FastMathFlags::reassoc);
  if (isa<VectorType>(op.getType()))
    sum = vector::BroadcastOp::create(rewriter, loc, op.getType(), sum);
  rewriter.replaceOp(op, sum);
}

struct VectorizeElementwisePass
    : mlir::qopt::impl::VectorizeElementwiseBase<VectorizeElementwisePass> {
  using VectorizeElementwiseBase::VectorizeElementwiseBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      // Bodies of arith and math only: upstream's vectoriser builds invalid
      // IR for some index computations (linalg.index in average pooling).
      // Math only where LLVM has vector instructions or qopt a polynomial:
      // the libm calls (acosh, sin, pow...) do not take n-D vectors.
      bool plainBody = llvm::all_of(op.getBody()->without_terminator(), [](Operation &o) {
        if (isa<math::MathDialect>(o.getDialect()))
          return isa<math::AbsFOp, math::SqrtOp, math::RsqrtOp, math::FloorOp,
                     math::CeilOp, math::RoundEvenOp, math::RoundOp,
                     math::TruncOp, math::FmaOp, math::ExpOp, math::ExpM1Op,
                     math::LogOp, math::Log1pOp, math::Log2Op, math::ErfOp,
                     math::TanhOp, math::CopySignOp>(o);
        return isa<arith::ArithDialect>(o.getDialect()) &&
               !isa<arith::IndexCastOp, arith::IndexCastUIOp>(o);
      });
      // A yield of a value defined outside the body (a fill) is a
      // transfer_write of a constant, which upstream's transfer lowering
      // leaves half converted.
      Value yielded = op.getBody()->getTerminator()->getOperand(0);
      bool computed = yielded.getParentBlock() == op.getBody();
      if (plainBody && computed && op.getNumDpsInputs() > 0 &&
          op.hasPureBufferSemantics() &&
          (op.getNumLoops() == op.getNumParallelLoops() ||
           isInnermostReduction(op)) &&
          op.getNumLoops() > 0 &&
          // Rank <= 3 (unit dims are folded away earlier): upstream lowers
          // higher-rank transfers through stack temporaries, slower than
          // the scalar loop (measured on cnn), and fails at rank 7.
          op.getNumLoops() <= 3 &&
          llvm::none_of(op.getStaticLoopRanges(), ShapedType::isDynamic))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : ops) {
      int64_t v = lanes(op, vectorBits);
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      // Whole tiles only: masked tails come out of upstream's vectoriser
      // in a form its own lowering rejects (vector.mask of rank > 1).
      v = std::min(v, ranges.back());
      if (v < 4 || !llvm::isPowerOf2_64(v) || ranges.back() % v)
        continue;
      SmallVector<int64_t> sizes(ranges.size(), 1);
      // A reduction is vectorised whole along its reduced dimension.
      sizes.back() = isInnermostReduction(op) ? ranges.back() : v;
      // The body and maps are the tile's: check them before tiling.
      if (failed(linalg::vectorizeOpPrecondition(op)))
        continue;
      scf::SCFTilingOptions options;
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), sizes));
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled) || tiled->tiledOps.size() != 1)
        continue;
      Operation *tile = tiled->tiledOps.front();
      rewriter.setInsertionPoint(tile);
      // Scalable flags given explicitly: upstream reads one per vector size.
      SmallVector<bool> scalable(sizes.size(), false);
      Operation *before = tile->getPrevNode();
      Block *block = tile->getBlock();
      bool reassoc = isInnermostReduction(op) && reassociable(op);
      if (succeeded(linalg::vectorize(rewriter, tile, sizes, scalable))) {
        // The vector code lies between `before` and the tile.
        SmallVector<vector::MultiDimReductionOp> reductions;
        auto first = before ? std::next(before->getIterator()) : block->begin();
        for (Operation &o : llvm::make_range(first, tile->getIterator()))
          if (auto r = dyn_cast<vector::MultiDimReductionOp>(o))
            reductions.push_back(r);
        if (reassoc)
          for (vector::MultiDimReductionOp r : reductions)
            reduceReassociated(rewriter, r);
        rewriter.eraseOp(tile);
      }
      rewriter.eraseOp(op);
    }
    // Reductions: vector.multi_reduction over 1 x ... x 1 x R becomes one
    // 1-D vector.reduction, which the LLVM lowering takes.
    RewritePatternSet patterns(&getContext());
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerReduction);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
