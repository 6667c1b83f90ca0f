//===- ExportCommon.h - Editing an ONNX graph for the exporters -*- C++ -*-===//
//
// What the recipe exporters (ExportQDQ.cpp, ExportNBits.cpp) share: loading
// and saving the source model, fresh names, new initializers, the
// compiler's candidate keys, and dropping float weights nothing reads.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_IMPORT_EXPORTCOMMON_H
#define QOPT_LIB_IMPORT_EXPORTCOMMON_H

#include "ImporterCore.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::qopt::onnx_export {

onnx::TensorProto makeTensor(const std::string &name, int32_t type,
                             std::vector<int64_t> dims, const void *data,
                             size_t bytes);

/// Reads the model at `path` for export: no external data (the exporters
/// rewrite initializers in place), the default domain's opset at least
/// `minOpset` (`why` says what needs it). Returns an error message or "";
/// `opset` receives the default domain's version.
std::string loadModel(llvm::StringRef path, onnx::ModelProto &model,
                      int64_t minOpset, llvm::StringRef why, int64_t &opset);
/// Writes `model` (producer "qopt") to `path`; an error message or "".
std::string saveModel(onnx::ModelProto &model, llvm::StringRef path);

/// The graph being rewritten, with the bookkeeping every exporter needs.
class GraphEditor {
public:
  GraphEditor(onnx::ModelProto &model, std::string modelDir);

protected:
  /// `base`, or `base_K` for the first K that no value is named yet.
  std::string fresh(const std::string &base);
  /// The f32 values (or raw bytes) of an initializer; an error or nullopt.
  std::optional<std::string> readBytes(const onnx::TensorProto &t,
                                       std::vector<char> &bytes);
  /// The key the compiler's quantization passes give this node's op
  /// (QuantCandidates.h) when its weight (input 1) is an f32 initializer
  /// and `axis` says the node is one they quantize (>= 0).
  std::optional<std::string> candidateKey(const onnx::NodeProto &node,
                                          int64_t axis,
                                          llvm::StringMap<unsigned> &seen);
  /// The rank-2 f32 initializers read only as the data of Gather nodes.
  std::vector<const onnx::TensorProto *> embeddingTables();
  /// Removes the initializers in `replaced` that nothing reads any more.
  void dropReplacedWeights();

  onnx::GraphProto &graph;
  std::string modelDir;
  std::map<std::string, onnx::TensorProto *> initializers;
  llvm::StringSet<> names;
  llvm::StringSet<> replaced; // float weights the rewrite no longer reads
};

} // namespace mlir::qopt::onnx_export

#endif // QOPT_LIB_IMPORT_EXPORTCOMMON_H
