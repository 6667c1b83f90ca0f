//===- ONNXImporter.h - Import ONNX models into MLIR ------------*- C++ -*-===//
//
// Builds one `func.func @main` per ONNX graph out of TOSA ops (what TOSA
// expresses), upstream tensor/arith/linalg ops (the rest) and qopt ops (ONNX
// quantization). Shapes are static after specialisation.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_IMPORT_ONNXIMPORTER_H
#define QOPT_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::qopt {

struct ImportOptions {
  /// Static shapes for graph inputs, by ONNX input name; they replace the
  /// declared shape (symbolic dimensions included).
  llvm::StringMap<std::vector<int64_t>> inputShapes;
};

/// Parses `--input-shape` values of the form NAME=2x3x224 into `options`.
/// Returns an error message on malformed text.
std::string parseInputShape(llvm::StringRef text, ImportOptions &options);

/// Imports the ONNX model at `path`. Every problem is reported through the
/// context's diagnostic handler, located at the file (and node); on failure
/// the result is null.
OwningOpRef<ModuleOp> importONNXFile(MLIRContext *context, llvm::StringRef path,
                                     const ImportOptions &options);

/// Imports an ONNX model held in memory; `name` stands for it in locations
/// and messages. External data is read only from inside `externalDataDir`;
/// an empty one refuses external data (a model from memory has no
/// directory of its own, and the current directory is not to be trusted).
OwningOpRef<ModuleOp> importONNXBuffer(MLIRContext *context,
                                       llvm::StringRef bytes,
                                       llvm::StringRef name,
                                       llvm::StringRef externalDataDir,
                                       const ImportOptions &options);

/// A tensor read from an ONNX TensorProto file, as doubles.
struct TensorFileData {
  std::string name;
  int32_t onnxType = 0;
  std::vector<int64_t> shape;
  std::vector<double> values;
};

/// Reads a TensorProto `.pb` file; returns an error message on failure.
std::optional<std::string> readTensorFile(llvm::StringRef path,
                                          TensorFileData &out);

/// The ONNX ops the importer supports: "Domain::Op" (or "Op" for the
/// default domain) with the first opset version each importer handles.
std::vector<std::pair<std::string, int64_t>> getSupportedONNXOps();

/// Registers the dialects the importer produces.
void registerImportDialects(DialectRegistry &registry);

/// Registers `--import-onnx` with mlir-translate's registry.
void registerONNXImportTranslation();

} // namespace mlir::qopt

#endif // QOPT_IMPORT_ONNXIMPORTER_H
