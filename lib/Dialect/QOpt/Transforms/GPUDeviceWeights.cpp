//===- GPUDeviceWeights.cpp - Constant weights from a device buffer -------===//
//
// A kernel cannot read the library's read-only data: the weights are copied
// once into one device buffer, and the graph function receives it as an
// argument, as it receives the arena.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_GPUDEVICEWEIGHTS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

/// Bytes of a static memref as laid out in memory (i1 as one byte).
int64_t byteSize(MemRefType type) {
  return type.getNumElements() *
         llvm::divideCeil(type.getElementTypeBitWidth(), 8);
}

struct GPUDeviceWeightsPass
    : mlir::qopt::impl::GPUDeviceWeightsBase<GPUDeviceWeightsPass> {
  using GPUDeviceWeightsBase::GPUDeviceWeightsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (alignment <= 0 || (alignment & (alignment - 1))) {
      func.emitError() << "qopt-gpu-device-weights: alignment " << static_cast<int64_t>(alignment)
                       << " is not a power of two";
      return signalPassFailure();
    }
    bool failed = false;
    func.walk([&](memref::AllocOp alloc) {
      alloc.emitError() << "a buffer the planner could not place in the arena "
                           "(dynamic shape?) cannot live in device memory";
      failed = true;
    });
    if (failed)
      return signalPassFailure();

    auto module = func->getParentOfType<ModuleOp>();
    SymbolTable symbols(module);
    // One slot (offset, size) per global, in first-use order.
    llvm::MapVector<StringAttr, std::pair<int64_t, int64_t>> slots;
    SmallVector<memref::GetGlobalOp> reads;
    int64_t bytes = 0;
    WalkResult walk = func.walk([&](memref::GetGlobalOp get) {
      auto global = symbols.lookup<memref::GlobalOp>(get.getNameAttr().getAttr());
      auto type = cast<MemRefType>(get.getType());
      if (!global || !global.getConstant() || !type.hasStaticShape() ||
          !type.getLayout().isIdentity()) {
        get.emitError() << "only constant globals of static shape and "
                           "identity layout can be placed in device memory";
        return WalkResult::interrupt();
      }
      reads.push_back(get);
      if (slots.count(get.getNameAttr().getAttr()))
        return WalkResult::advance();
      bytes = llvm::alignTo(bytes, alignment);
      slots[get.getNameAttr().getAttr()] = {bytes, byteSize(type)};
      bytes += byteSize(type);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    OpBuilder b(&getContext());
    auto argType = MemRefType::get({std::max<int64_t>(bytes, 1)}, b.getI8Type());
    unsigned index = func.getNumArguments();
    if (::mlir::failed(func.insertArgument(index, argType,
                                           b.getDictionaryAttr(b.getNamedAttr(
                                               "qopt.device_weights",
                                               b.getUnitAttr())),
                                           func.getLoc())))
      return signalPassFailure();
    Value buffer = func.getArgument(index);
    for (memref::GetGlobalOp get : reads) {
      b.setInsertionPoint(get);
      Value offset = arith::ConstantIndexOp::create(
          b, get.getLoc(), slots[get.getNameAttr().getAttr()].first);
      Value view = memref::ViewOp::create(b, get.getLoc(), get.getType(),
                                          buffer, offset, ValueRange{});
      get.replaceAllUsesWith(view);
      get.erase();
    }
    SmallVector<Attribute> layout;
    for (auto &[name, slot] : slots) {
      auto [offset, size] = slot;
      layout.push_back(b.getArrayAttr({FlatSymbolRefAttr::get(name),
                                       b.getI64IntegerAttr(offset),
                                       b.getI64IntegerAttr(size)}));
    }
    func->setAttr("qopt.device_weights", b.getArrayAttr(layout));
    func->setAttr("qopt.device_weights_bytes", b.getI64IntegerAttr(bytes));
  }
};

} // namespace
