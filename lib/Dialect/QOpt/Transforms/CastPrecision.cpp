//===- CastPrecision.cpp - Mixed precision on TOSA ops --------------------===//
#include "qopt/Dialect/QOpt/IR/NodeLocation.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "RewriteUtils.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_CASTPRECISION
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

namespace {

/// ONNX op types kept in f32 by default: PyTorch autocast's fp32 list and
/// onnxconverter-common's fp16 block list (QUANT_REFERENCE.md).
constexpr const char *kDefaultKeepF32[] = {
    "Softmax", "LogSoftmax", "LayerNormalization", "BatchNormalization",
    "InstanceNormalization", "GroupNormalization", "LpNormalization",
    "MeanVarianceNormalization", "ReduceSum", "ReduceMean", "ReduceMax",
    "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
    "ReduceLogSumExp", "ReduceSumSquare", "CumSum", "Exp", "Log", "Pow",
    "Erf", "Sqrt", "Reciprocal", "NonMaxSuppression", "TopK", "RoiAlign",
    "Resize", "Range", "Upsample", "Min", "Max", "GlobalAveragePool",
    "AveragePool"};

/// TOSA ops that may run on the reduced type; everything else (reductions,
/// transcendental functions, integer ops) stays as it is.
bool isConvertibleKind(Operation *op) {
  return llvm::isa<tosa::MatMulOp, tosa::Conv2DOp, tosa::DepthwiseConv2DOp,
                   tosa::TransposeConv2DOp, tosa::Conv3DOp, tosa::MaxPool2dOp,
                   tosa::AddOp, tosa::SubOp, tosa::MulOp, tosa::MaximumOp,
                   tosa::MinimumOp, tosa::ClampOp, tosa::NegateOp, tosa::AbsOp,
                   tosa::ReshapeOp, tosa::TransposeOp, tosa::ConcatOp,
                   tosa::SliceOp, tosa::TileOp, tosa::PadOp, tosa::ReverseOp,
                   tosa::SigmoidOp, tosa::TanhOp, tosa::GatherOp,
                   tosa::SelectOp, tosa::IdentityOp>(op);
}

bool isF32Tensor(Type t) {
  auto tt = llvm::dyn_cast<RankedTensorType>(t);
  return tt && tt.getElementType().isF32();
}

struct CastPrecisionPass : qopt::impl::CastPrecisionBase<CastPrecisionPass> {
  using CastPrecisionBase::CastPrecisionBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    Type reduced;
    if (to == "bf16")
      reduced = BFloat16Type::get(ctx);
    else if (to == "f16")
      reduced = Float16Type::get(ctx);
    else {
      getOperation().emitError("qopt-cast-precision: 'to' must be bf16 or f16, got '")
          << to << "'";
      return signalPassFailure();
    }
    llvm::StringSet<> keepTypes, keepNodes;
    if (!noDefaultKeep)
      for (const char *t : kDefaultKeepF32)
        keepTypes.insert(t);
    for (const std::string &k : keepF32) {
      llvm::StringRef s(k);
      if (s.consume_front("node:"))
        keepNodes.insert(s);
      else
        keepTypes.insert(s);
    }

    SmallVector<Operation *> work;
    getOperation().walk([&](Operation *op) {
      if (!isConvertibleKind(op))
        return;
      if (llvm::none_of(op->getOperandTypes(), isF32Tensor))
        return;
      if (auto origin = getNodeOrigin(op->getLoc()))
        if (keepTypes.contains(origin->opType) ||
            keepNodes.contains(origin->nodeName))
          return;
      work.push_back(op);
    });
    for (Operation *op : work)
      convert(op, reduced);
  }

  /// Rebuilds `op` on `reduced`; leaves it alone when TOSA rejects the
  /// reduced form (a type the op does not support).
  void convert(Operation *op, Type reduced) {
    bool saturate = reduced.isF16();
    OpBuilder b(op);
    Location loc = op->getLoc();
    IRMapping map;
    SmallVector<Operation *> created;
    for (Value v : op->getOperands()) {
      if (!isF32Tensor(v.getType()) || map.contains(v))
        continue;
      auto ty = llvm::cast<RankedTensorType>(v.getType());
      auto cast = CastOp::create(b, loc, ty.clone(reduced), v);
      if (saturate)
        cast.setSaturate(true);
      map.map(v, cast.getResult());
      created.push_back(cast);
    }
    // Matrix products keep an f32 result (f32 accumulation) when TOSA
    // allows it; convolutions keep theirs through acc_type; everything else
    // produces the reduced type.
    bool f32First = llvm::isa<tosa::MatMulOp>(op);
    for (bool reducedResults : {!f32First, f32First}) {
      Operation *clone = b.clone(*op, map);
      for (Value r : clone->getResults())
        if (reducedResults && isF32Tensor(r.getType()))
          r.setType(llvm::cast<RankedTensorType>(r.getType()).clone(reduced));
      for (NamedAttribute a : clone->getAttrs())
        if (auto f = llvm::dyn_cast<FloatAttr>(a.getValue()); f && f.getType().isF32())
          clone->setAttr(a.getName(), b.getFloatAttr(reduced, f.getValueAsDouble()));
      if (succeeded(verifyQuietly(clone))) {
        b.setInsertionPointAfter(clone);
        SmallVector<Value> results;
        for (auto [oldR, newR] : llvm::zip(op->getResults(), clone->getResults())) {
          Value v = newR;
          if (newR.getType() != oldR.getType())
            v = CastOp::create(b, loc, oldR.getType(), newR);
          results.push_back(v);
        }
        op->replaceAllUsesWith(results);
        op->erase();
        return;
      }
      clone->erase();
    }
    for (Operation *c : llvm::reverse(created))
      c->erase();
  }
};

} // namespace
