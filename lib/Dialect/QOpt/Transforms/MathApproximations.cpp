//===- MathApproximations.cpp - Vectorisable math functions ---------------===//
//
// A thin pass over upstream's polynomial-approximation patterns, which MLIR
// ships without a pass of its own.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_MATHAPPROXIMATIONS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

// Accurate to a few ulp in f32 over the whole range (upstream's tests);
// the trigonometric ones are not, and stay with libm.
constexpr llvm::StringLiteral kDefaultOps[] = {"erf",   "exp",  "expm1", "log",
                                               "log1p", "log2", "tanh"};

struct MathApproximationsPass
    : mlir::qopt::impl::MathApproximationsBase<MathApproximationsPass> {
  using MathApproximationsBase::MathApproximationsBase;

  void runOnOperation() override {
    llvm::StringSet<> enabled;
    if (ops.empty())
      for (llvm::StringRef op : kDefaultOps)
        enabled.insert(op);
    for (const std::string &op : ops)
      enabled.insert(op);
    RewritePatternSet patterns(&getContext());
    // Upstream's predicate receives full op names ("math.erf").
    populateMathPolynomialApproximationPatterns(
        patterns, [&](llvm::StringRef name) {
          return name.consume_front("math.") && enabled.contains(name);
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
