//===- CountPrecision.cpp - How many ops compute in each precision --------===//
//
// An out-of-tree qopt pass, loaded by qopt-opt and qopt-compile with
// --load-pass-plugin. It uses qopt's C++ API (the qopt dialect's ops, the
// ONNX node locations) from the tool that loads it.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/NodeLocation.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/ToolOutputFile.h"

#include <map>

namespace qopt_example {
#define GEN_PASS_DECL
#define GEN_PASS_DEF_COUNTPRECISION
#define GEN_PASS_REGISTRATION
#include "CountPrecision.h.inc"
} // namespace qopt_example

using namespace mlir;

namespace {

/// The element type of an op's first result when it is a tensor, memref
/// or vector: "f32", "bf16", "i8", "!quant.uniform<i8:f32, 5.000000e-01>"...
std::optional<std::string> elementTypeName(Operation *op) {
  if (op->getNumResults() == 0)
    return std::nullopt;
  auto shaped = llvm::dyn_cast<ShapedType>(op->getResult(0).getType());
  if (!shaped)
    return std::nullopt;
  std::string name;
  llvm::raw_string_ostream os(name);
  shaped.getElementType().print(os);
  return name;
}

struct Count {
  unsigned ops = 0, casts = 0;
};

/// The rows of a table, largest count first, then by key.
template <typename Key>
std::vector<std::pair<Key, Count>> sorted(const std::map<Key, Count> &map) {
  std::vector<std::pair<Key, Count>> rows(map.begin(), map.end());
  llvm::sort(rows, [](const auto &a, const auto &b) {
    return a.second.ops != b.second.ops ? a.second.ops > b.second.ops
                                        : a.first < b.first;
  });
  return rows;
}

struct CountPrecisionPass
    : qopt_example::impl::CountPrecisionBase<CountPrecisionPass> {
  using CountPrecisionBase::CountPrecisionBase;

  void runOnOperation() override {
    std::map<std::string, Count> byType;
    std::map<std::pair<std::string, std::string>, Count> byOrigin;
    unsigned total = 0;
    getOperation().walk([&](Operation *op) {
      std::optional<std::string> type = elementTypeName(op);
      if (!type)
        return;
      ++total;
      Count &c = byType[*type];
      ++c.ops;
      // qopt's ops, as the tool that loaded the plugin registered them.
      c.casts += llvm::isa<qopt::CastOp>(op);
      // The ONNX node the importer built the op for.
      if (auto origin = qopt::getNodeOrigin(op->getLoc()))
        ++byOrigin[{origin->opType.str(), *type}].ops;
    });

    std::unique_ptr<llvm::ToolOutputFile> file;
    if (output != "-") {
      std::string error;
      file = openOutputFile(output, &error);
      if (!file) {
        getOperation().emitError() << "qopt-count-precision: " << error;
        return signalPassFailure();
      }
      file->keep();
    }
    llvm::raw_ostream &os = file ? file->os() : llvm::errs();
    os << "qopt-count-precision: " << total << " ops\n";
    os << llvm::format("  %-12s %5s %10s\n", "type", "ops", "qopt.cast");
    for (const auto &[type, c] : sorted(byType))
      os << llvm::format("  %-12s %5u %10u\n", type.c_str(), c.ops, c.casts);
    if (byOnnxOp) {
      os << llvm::format("  %-20s %-12s %5s\n", "onnx op", "type", "ops");
      for (const auto &[key, c] : sorted(byOrigin))
        os << llvm::format("  %-20s %-12s %5u\n", key.first.c_str(),
                           key.second.c_str(), c.ops);
    }
    // Counting changes nothing.
    markAllAnalysesPreserved();
  }
};

} // namespace

/// What qopt-opt and qopt-compile call on --load-pass-plugin.
extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QOptCountPrecision", "0.1",
          [] { qopt_example::registerCountPrecision(); }};
}
