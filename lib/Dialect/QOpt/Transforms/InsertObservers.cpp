//===- InsertObservers.cpp - Expose quantized activations for calibration -===//
//
// Calibration runs the FP32 model and watches the tensors that static int8
// quantization will put on a grid. The model library can only hand values
// out through its outputs, so the observed activations become extra
// results of the graph; the compile driver reads them back by name.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "QuantCandidates.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_INSERTOBSERVERS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

struct InsertObserversPass
    : mlir::qopt::impl::InsertObserversBase<InsertObserversPass> {
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    if (f.isExternal())
      return;
    std::vector<mlir::qopt::QuantCandidate> candidates = mlir::qopt::findQuantCandidates(f);
    if (candidates.empty())
      return;
    auto ret = cast<func::ReturnOp>(f.getBody().back().getTerminator());
    SmallVector<Value> results(ret.getOperands());
    SmallVector<Type> types(f.getResultTypes());
    SmallVector<DictionaryAttr> attrs;
    f.getAllResultAttrs(attrs);
    attrs.resize(types.size(), DictionaryAttr::get(&getContext()));
    Builder b(&getContext());
    for (const mlir::qopt::QuantCandidate &c : candidates) {
      results.push_back(c.activation);
      types.push_back(c.activation.getType());
      // onnx.elem_type 1: float, as the library's signature records it.
      attrs.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("onnx.name",
                          b.getStringAttr("qopt.observe:" + c.key)),
           b.getNamedAttr("onnx.elem_type", b.getI32IntegerAttr(1))}));
    }
    OpBuilder ob(ret);
    func::ReturnOp::create(ob, ret.getLoc(), results);
    ret.erase();
    f.setFunctionType(
        FunctionType::get(&getContext(), f.getArgumentTypes(), types));
    f.setAllResultAttrs(attrs);
  }
};

} // namespace
