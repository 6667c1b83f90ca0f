//===- GPUMergeKernelModules.cpp - One gpu.module for all kernels ---------===//
//
// Outlining gives each kernel its own module; a graph of a hundred ops would
// embed a hundred binaries and load each at create.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_GPUMERGEKERNELMODULES
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

struct GPUMergeKernelModulesPass
    : mlir::qopt::impl::GPUMergeKernelModulesBase<GPUMergeKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // What was not turned into a kernel would run on the host against
    // device addresses.
    for (auto func : module.getOps<func::FuncOp>()) {
      WalkResult r = func.walk<WalkOrder::PreOrder>([](Operation *op) {
        if (!isa<memref::LoadOp, memref::StoreOp, scf::ParallelOp, scf::ForOp>(op))
          return WalkResult::advance();
        op->emitError() << "qopt-gpu-merge-kernel-modules: this op would run "
                           "on the host against device memory (a loop that "
                           "was not mapped to GPU blocks and threads)";
        return WalkResult::interrupt();
      });
      if (r.wasInterrupted())
        return signalPassFailure();
    }
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    if (gpuModules.size() < 2)
      return;
    gpu::GPUModuleOp target = gpuModules.front();
    // Kernel (module, function) -> its new name in `target`.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp from : llvm::drop_begin(gpuModules)) {
      for (Operation &op : llvm::make_early_inc_range(from.getOps())) {
        auto func = dyn_cast<gpu::GPUFuncOp>(op);
        if (!func) {
          from.emitError() << "qopt-gpu-merge-kernel-modules: only kernel "
                              "functions can move between modules";
          return signalPassFailure();
        }
        StringAttr old = func.getNameAttr();
        StringAttr name = from.getSymNameAttr();
        if (target.lookupSymbol(name)) {
          func.emitError() << "qopt-gpu-merge-kernel-modules: '" << name
                           << "' already names a function of '"
                           << target.getSymName() << "'";
          return signalPassFailure();
        }
        SymbolTable::setSymbolName(func, name);
        func->remove();
        target.getBody()->push_back(func);
        renamed[{from.getSymNameAttr(), old}] = name;
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr kernel = launch.getKernel();
      auto it = renamed.find({kernel.getRootReference(),
                              kernel.getLeafReference()});
      if (it == renamed.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          target.getSymNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
    for (gpu::GPUModuleOp from : llvm::drop_begin(gpuModules))
      from.erase();
  }
};

} // namespace
