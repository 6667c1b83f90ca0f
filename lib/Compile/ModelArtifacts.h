//===- ModelArtifacts.h - Files that make up a model library ----*- C++ -*-===//
//
// The pieces qopt-compile writes next to the object of the graph: the model
// description the runtime reads, the weight blob and the assembly that
// places it in read-only data, the C header, and the link step.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_COMPILE_MODELARTIFACTS_H
#define QOPT_LIB_COMPILE_MODELARTIFACTS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::qopt {

struct TensorSignature {
  std::string name;
  int32_t onnxType = 0;
  std::vector<int64_t> shape;
};

struct ModelSignature {
  std::vector<TensorSignature> inputs, outputs;
  /// Bytes of the planned arena (the graph's trailing argument) and the
  /// lower bound of any plan, from qopt-plan-buffers.
  uint64_t arenaBytes = 0, arenaLowerBoundBytes = 0;
};

/// A buffer of the plan, for the memory plot.
struct PlotBuffer {
  int64_t start, end;
  uint64_t offset, size;
  std::string label;
};

/// Reads qopt-plan-buffers' attributes from the planned graph function.
void readArenaPlan(func::FuncOp graph, ModelSignature &sig,
                   std::vector<PlotBuffer> *plot);

/// Writes the plan as an SVG picture: buffers as labelled rectangles over
/// program points (x) and arena offsets (y), with the lower bound drawn.
LogicalResult writeMemoryPlot(const std::vector<PlotBuffer> &buffers,
                              uint64_t arenaBytes, uint64_t lowerBound,
                              llvm::StringRef title, llvm::StringRef path);

/// Reads names, ONNX element types and shapes of @main's arguments/results.
ModelSignature collectSignature(func::FuncOp graph);
/// Rejects signatures the runtime cannot describe (rank > 16, unknown types).
LogicalResult checkSignature(func::FuncOp graph, const ModelSignature &sig);

/// A temporary directory, removed on destruction unless QOPT_KEEP_TEMPS=1.
class ArtifactDir {
public:
  LogicalResult create(Location loc);
  ~ArtifactDir();
  std::string path(llvm::StringRef file) const;

private:
  std::string root;
};

struct WeightSymbol {
  std::string symbol;
  uint64_t offset = 0, size = 0;
};

struct WeightBlob {
  std::string path; // the blob file
  std::vector<WeightSymbol> symbols;
  uint64_t totalBytes = 0; // weights in the library, inline ones included
};

/// GPU targets: where each weight global goes in the device weight buffer
/// (qopt-gpu-device-weights' `qopt.device_weights`).
struct DeviceWeights {
  bool enabled = false;
  std::vector<WeightSymbol> slots; // offset is in the device buffer
  uint64_t bytes = 0;
};

/// Reads qopt-gpu-device-weights' layout from the graph function.
DeviceWeights readDeviceWeights(Operation *graph);

/// Moves the initial values of constant LLVM globals out of the module into
/// one aligned blob file; the globals become external declarations that the
/// linked assembly defines. Keeps compile-time memory near the weights' size.
/// With `all`, small globals move too (GPU targets copy every constant the
/// kernels read to the device).
LogicalResult externalizeWeights(ModuleOp module, llvm::StringRef blobPath,
                                 WeightBlob &blob, bool all = false);

/// Writes the model description, weights assembly and header, and links
/// `object` into the shared library `outputPath` (plus its `.h`), with the
/// runtime found under `runtimePrefix` (see resolveQOptPrefix).
LogicalResult linkModelLibrary(Location loc, const ArtifactDir &dir,
                               const ModelSignature &sig,
                               const WeightBlob &weights,
                               llvm::StringRef object,
                               llvm::StringRef outputPath,
                               llvm::StringRef graphSymbol,
                               llvm::StringRef runtimePrefix = "",
                               const DeviceWeights &device = {});

} // namespace mlir::qopt

#endif // QOPT_LIB_COMPILE_MODELARTIFACTS_H
