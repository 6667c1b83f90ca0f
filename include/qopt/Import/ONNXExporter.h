//===- ONNXExporter.h - Quantized models back to ONNX -----------*- C++ -*-===//
//
// The static int8 recipe's decisions written into the source ONNX model as
// a standard QDQ model: onnxruntime (or any ONNX runtime) runs it and gets
// what qopt's compiled int8 model computes, up to float summation order.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_IMPORT_ONNXEXPORTER_H
#define QOPT_IMPORT_ONNXEXPORTER_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::qopt {

struct QDQExportOptions {
  /// The calibration table the int8 recipe used, and the overrides it was
  /// given (as qopt-insert-qdq takes them).
  std::string calibrationTable;
  std::string method;
  double percentile = 0;
  std::string activations = "asymmetric";
};

/// Reads the ONNX model at `inputPath` and writes to `outputPath` the QDQ
/// model of the int8 recipe: each MatMul, Gemm and (ungrouped) Conv whose
/// weight is an initializer and whose activation has an entry in the table
/// gets DequantizeLinear(int8 weight, per output channel, zero point 0)
/// in place of its weight and QuantizeLinear -> DequantizeLinear (per
/// tensor, the table's range) on its activation, with exactly the scales,
/// zero points and int8 values the compiler chooses; an embedding table (a
/// rank-2 f32 initializer read only by Gather) becomes DequantizeLinear of
/// int8 with a scale per row, as qopt-quantize-embeddings stores it. `notes`
/// receives what
/// was left in float and why. Returns an error message, or "".
std::string exportQDQModel(llvm::StringRef inputPath, llvm::StringRef outputPath,
                           const QDQExportOptions &options,
                           std::vector<std::string> &notes);

struct NBitsExportOptions {
  /// As qopt-quantize-weights takes them: rtn, gptq or awq; the group; the
  /// grid (symmetric, asymmetric); the layer inputs GPTQ and AWQ read.
  std::string method = "rtn";
  int64_t group = 128;
  int64_t embeddingGroup = 32; ///< of Gather tables (int4EmbeddingGroup)
  std::string format = "symmetric";
  std::string layerInputsDir;
};

/// Writes to `outputPath` the source model with each MatMul (and plain
/// Gemm) by an f32 initializer replaced by onnxruntime's
/// com.microsoft.MatMulNBits over exactly the codes, scales and zero points
/// the int4 recipe computes (AWQ's input scales as a Mul before it); int4
/// embedding tables are written as the f32 values of their codes. `notes`
/// receives what stayed float and why. Returns an error message, or "".
std::string exportNBitsModel(llvm::StringRef inputPath,
                             llvm::StringRef outputPath,
                             const NBitsExportOptions &options,
                             std::vector<std::string> &notes);

} // namespace mlir::qopt

#endif // QOPT_IMPORT_ONNXEXPORTER_H
