//===- ExcessPrecision.cpp - bf16/f16 arithmetic chains computed in f32 ---===//
//
// No x86 processor adds or multiplies bf16 (AVX512-BF16 has only dot
// products and conversions), so upstream's emulation computes every bf16
// or f16 op in f32 and rounds its result back at once: a chain of n ops
// rounds n times, each rounding about ten integer instructions per vector.
// Here the chain stays in f32 and rounds once, where a value leaves it (a
// store, a yield, an explicit conversion): XLA's default "excess
// precision", which is also closer to the f32 model.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_EXCESSPRECISION
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

/// A bf16/f16 scalar or vector (not a tensor or memref, which the lowered
/// loops no longer compute on).
bool isHalf(Type type) {
  if (!isa<FloatType, VectorType>(type))
    return false;
  Type element = getElementTypeOrSelf(type);
  return element.isBF16() || element.isF16();
}

Type widen(Type type) {
  Type f32 = Float32Type::get(type.getContext());
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.clone(f32);
  return f32;
}

/// Ops computed in f32 instead: float arithmetic and math whose operands
/// and result share one bf16/f16 type, and comparisons of such values.
/// Conversions (extf, truncf, bitcast) are not: an explicit rounding stays.
/// Selects are widened when a chain feeds them (`isWidenedSelect`).
bool isWidenable(Operation *op) {
  if (auto cmp = dyn_cast<arith::CmpFOp>(op))
    return isHalf(cmp.getLhs().getType());
  if (!isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
           arith::RemFOp, arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp,
           arith::MaxNumFOp, arith::MinNumFOp>(op) &&
      !isa_and_nonnull<math::MathDialect>(op->getDialect()))
    return false;
  if (op->getNumResults() != 1 || op->getNumRegions() != 0)
    return false;
  Type type = op->getResult(0).getType();
  return isHalf(type) && llvm::all_of(op->getOperandTypes(),
                                      [&](Type t) { return t == type; });
}

struct ExcessPrecisionPass
    : mlir::qopt::impl::ExcessPrecisionBase<ExcessPrecisionPass> {
  using ExcessPrecisionBase::ExcessPrecisionBase;

  void runOnOperation() override {
    // In order: the lowered loops define values before using them, so a
    // chain's operands are widened before their users.
    DenseMap<Value, Value> wide; // bf16/f16 value -> its f32 value
    DenseSet<Value> computed;    // results of the widened ops
    // A select between results of a chain is part of it; one between
    // loaded values stays a plain bit select, as upstream's emulation
    // leaves it.
    auto isWidenedSelect = [&](Operation *op) {
      auto select = dyn_cast<arith::SelectOp>(op);
      return select && isHalf(select.getType()) &&
             (computed.contains(select.getTrueValue()) ||
              computed.contains(select.getFalseValue()));
    };
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isWidenable(op) || isa<arith::SelectOp>(op))
        ops.push_back(op);
    });
    OpBuilder builder(&getContext());
    auto widened = [&](Value v) -> Value {
      if (!isHalf(v.getType()))
        return v; // a select's condition
      if (Value w = wide.lookup(v))
        return w;
      builder.setInsertionPointAfterValue(v);
      Value w =
          arith::ExtFOp::create(builder, v.getLoc(), widen(v.getType()), v);
      wide[v] = w;
      return w;
    };
    SmallVector<Operation *> originals, clones;
    for (Operation *op : ops) {
      if (!isWidenable(op) && !isWidenedSelect(op))
        continue;
      originals.push_back(op);
      SmallVector<Value> operands =
          llvm::map_to_vector(op->getOperands(), widened);
      builder.setInsertionPoint(op);
      Operation *clone = builder.clone(*op);
      clone->setOperands(operands);
      Value result = op->getResult(0), wideResult = clone->getResult(0);
      if (isHalf(result.getType())) {
        wideResult.setType(widen(result.getType()));
        wide[result] = wideResult;
        computed.insert(result);
      } else {
        result.replaceAllUsesWith(wideResult); // a comparison's i1
      }
      clones.push_back(clone);
    }
    // Users first: what still reads an original value is not widened (a
    // store, a yield, an explicit conversion) and reads it rounded once.
    for (auto [op, clone] :
         llvm::reverse(llvm::zip_equal(originals, clones))) {
      Value result = op->getResult(0);
      if (!result.use_empty()) {
        builder.setInsertionPointAfter(clone);
        result.replaceAllUsesWith(arith::TruncFOp::create(
            builder, op->getLoc(), result.getType(), clone->getResult(0)));
      }
      op->erase();
    }
  }
};

} // namespace
