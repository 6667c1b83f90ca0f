//===- PrepareEntry.cpp - The graph function as the library sees it -------===//
//
// qopt-compile's model library calls the graph through the C interface of
// one function; `main` would clash with C's, so the function is renamed.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_PREPAREENTRY
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

namespace {

struct PrepareEntryPass : qopt::impl::PrepareEntryBase<PrepareEntryPass> {
  using PrepareEntryBase::PrepareEntryBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto graph = module.lookupSymbol<func::FuncOp>(entry);
    if (!graph) {
      module.emitError() << "qopt-prepare-entry: no function @" << entry;
      return signalPassFailure();
    }
    if (entry != name) {
      if (Operation *other = module.lookupSymbol(name)) {
        other->emitError() << "qopt-prepare-entry: symbol @" << name
                           << " already exists";
        return signalPassFailure();
      }
      StringAttr newName = StringAttr::get(&getContext(), name);
      if (failed(SymbolTable::replaceAllSymbolUses(graph, newName, module)))
        return signalPassFailure();
      SymbolTable::setSymbolName(graph, newName);
    }
    graph->setAttr("llvm.emit_c_interface", UnitAttr::get(&getContext()));
  }
};

} // namespace
