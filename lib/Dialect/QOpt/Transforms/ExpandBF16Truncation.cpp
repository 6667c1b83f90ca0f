//===- ExpandBF16Truncation.cpp - f32 to bf16 rounding as integer ops -----===//
//
// Upstream's expansion (arith-expand{include-bf16}) ends in a select of the
// rounded bf16 bits or a canonical NaN. LLVM's instcombine moves the
// bitcast to bf16 above that select, and x86 without AVX512-BF16 has no
// vector bf16 type: every select then runs per element (a compare, a cmov
// and a 16-bit store per lane; a fifth of the bf16 encoder's time). Here
// the NaN case is settled on the f32 bits before rounding, so that
// nothing after the integer arithmetic is a select.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_EXPANDBF16TRUNCATION
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

/// truncf f32 -> bf16, rounding to nearest even:
///   bits = NaN ? (bits & 0xFFFF0000) | 0x00400000 : bits
///   bf16 = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
/// A NaN keeps its sign and upper payload and is made quiet (as the
/// hardware conversion vcvtneps2bf16 does); clearing its low half first
/// keeps the rounding bias from carrying into the sign. Infinities and
/// overflow to infinity come out of the bias as in upstream's expansion.
void expandTruncation(RewriterBase &rewriter, arith::TruncFOp op) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto like = [&](Type element) -> Type {
    if (auto vector = dyn_cast<VectorType>(op.getType()))
      return vector.clone(element);
    return element;
  };
  Type i32 = like(rewriter.getI32Type()), i16 = like(rewriter.getI16Type());
  auto constant = [&](uint32_t value) {
    return createScalarOrSplatConstant(rewriter, loc, i32, APInt(32, value));
  };
  Value bits = arith::BitcastOp::create(rewriter, loc, i32, op.getIn());
  Value isNaN = arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::UNO,
                                      op.getIn(), op.getIn());
  Value upper =
      arith::AndIOp::create(rewriter, loc, bits, constant(0xFFFF0000u));
  Value quiet =
      arith::OrIOp::create(rewriter, loc, upper, constant(0x00400000u));
  bits = arith::SelectOp::create(rewriter, loc, isNaN, quiet, bits);
  Value c16 = constant(16);
  Value bit16 = arith::ShRUIOp::create(rewriter, loc, bits, c16);
  Value odd = arith::AndIOp::create(rewriter, loc, bit16, constant(1));
  Value bias = arith::AddIOp::create(rewriter, loc, odd, constant(0x7FFF));
  Value biased = arith::AddIOp::create(rewriter, loc, bits, bias);
  Value shifted = arith::ShRUIOp::create(rewriter, loc, biased, c16);
  Value high = arith::TruncIOp::create(rewriter, loc, i16, shifted);
  rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, op.getType(), high);
}

/// Scalars and vectors (a truncation of a tensor is not rewritten).
bool isRoundingToBF16(arith::TruncFOp op) {
  std::optional<arith::RoundingMode> mode = op.getRoundingmode();
  return isa<FloatType, VectorType>(op.getType()) &&
         getElementTypeOrSelf(op.getIn().getType()).isF32() &&
         getElementTypeOrSelf(op.getType()).isBF16() &&
         (!mode || *mode == arith::RoundingMode::to_nearest_even);
}

struct ExpandBF16TruncationPass
    : mlir::qopt::impl::ExpandBF16TruncationBase<ExpandBF16TruncationPass> {
  using ExpandBF16TruncationBase::ExpandBF16TruncationBase;

  // A walk, not a greedy driver: folding a constant truncation first would
  // round it the other way (APFloat's canonical NaN).
  void runOnOperation() override {
    SmallVector<arith::TruncFOp> ops;
    getOperation().walk([&](arith::TruncFOp op) {
      if (isRoundingToBF16(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (arith::TruncFOp op : ops)
      expandTruncation(rewriter, op);
  }
};

} // namespace
