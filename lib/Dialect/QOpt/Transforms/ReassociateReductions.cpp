//===- ReassociateReductions.cpp - Vectorisable float reductions ----------===//
//
// LLVM keeps a floating-point reduction scalar unless its adds may be
// reassociated; this pass grants that for linalg's sum reductions.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_REASSOCIATEREDUCTIONS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

struct ReassociateReductionsPass
    : mlir::qopt::impl::ReassociateReductionsBase<ReassociateReductionsPass> {
  using ReassociateReductionsBase::ReassociateReductionsBase;

  void runOnOperation() override {
    getOperation().walk([](linalg::GenericOp op) {
      if (op.getNumReductionLoops() == 0 || op.getNumDpsInits() != 1)
        return;
      // The combining add takes the output's block argument directly.
      Block *body = op.getBody();
      Value acc = body->getArgument(body->getNumArguments() - 1);
      Value yielded = body->getTerminator()->getOperand(0);
      auto add = yielded.getDefiningOp<arith::AddFOp>();
      if (!add || (add.getLhs() != acc && add.getRhs() != acc))
        return;
      // A multiply-accumulate is a contraction: the GEMM kernel's job.
      Value other = add.getLhs() == acc ? add.getRhs() : add.getLhs();
      if (other.getDefiningOp<arith::MulFOp>() && op.getNumDpsInputs() == 2)
        return;
      add.setFastmath(add.getFastmath() | arith::FastMathFlags::reassoc);
    });
  }
};

} // namespace
