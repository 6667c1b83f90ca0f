//===- Compiler.h - ONNX to a self-contained model library -------*- C++ -*-===//
#ifndef QOPT_COMPILE_COMPILER_H
#define QOPT_COMPILE_COMPILER_H

#include "qopt/Import/ONNXImporter.h"
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlir::qopt {

struct CompileOptions {
  std::string inputPath;
  std::string outputPath; // model.so (or .o/.mlir/.ll per `emit`)
  ImportOptions import;
  std::string recipe = "fp32";
  std::vector<std::string> keepF32; // op types / node:NAME kept in f32
  std::string emit = "so"; // so | obj | mlir | llvm | ptx (cuda) | onnx
  /// cpu, cuda or cuda:sm_XX (see parseTarget in Pipelines.h).
  std::string target = "cpu";
  /// The CUDA toolkit for the cuda target (ptxas, fatbinary, libdevice);
  /// empty: $CUDA_HOME, else /usr/local/cuda.
  std::string cudaToolkit;
  std::string reportPath;  // JSON report, empty for none
  std::string dumpIRDir;   // the module after each stage, empty for none
  std::string memoryPlotPath; // SVG picture of the buffer plan
  std::string validateInputsDir; // compare outputs with the FP32 compile
  /// Static int8: sample inputs (qopt-run's layout, one sub-directory per
  /// sample) to calibrate on, and/or the calibration table to write (with
  /// calibrationDir) or to reuse (without).
  std::string calibrationDir;
  std::string calibrationTablePath;
  std::string calibrationMethod; // "" : percentile for a new table, else the table's
  double percentile = 0;         // 0: 99.999 / the table's
  std::string int8Activations = "asymmetric"; // symmetric, unsigned
  double llmInt8Threshold = 6.0; // llm-int8: outlier |x|
  /// int4 recipes: inputs per scale (0: the recipe's default, 128 or 64 for
  /// nf4) and the grid (symmetric, asymmetric). int4-gptq and int4-awq
  /// calibrate on calibrationDir (the layer inputs, not a table).
  int64_t group = 0;
  std::string int4Format = "symmetric";
  std::string int4Activations = "int8"; // or f32 (see qopt.matmul_nbits)
  std::vector<std::string> keepFloatLayers; // int4: layers left in f32
  /// Fit a memory budget (FitBudget.h): with memoryBudget > 0 the recipe is
  /// chosen, not given: the least lossy candidate whose predicted peak
  /// memory fits and whose output cosine on the calibration samples is at
  /// least minCosine.
  uint64_t memoryBudget = 0;
  double minCosine = 0.99;
  /// Internal: compile the FP32 model with the activations the int8
  /// recipe quantizes as extra outputs (qopt-insert-observers).
  bool instrumentForCalibration = false;
  bool printPipeline = false;
  /// Passes inserted at named points of the pipeline (--insert-pass).
  std::vector<PassInsertion> insertions;
  /// The directory holding the model runtime (include/qopt/Runtime/*.h,
  /// lib/libqopt_runtime.a) and bin/qopt-run (for validateInputsDir); empty:
  /// the parent of the executable's directory (qopt-compile's prefix). Set
  /// by embedders such as the Python package, whose executable is python.
  std::string runtimePrefix;
  /// Called as each step starts (import, the pipeline stages, llvm-codegen,
  /// link, calibrate, validate-inputs), e.g. for a progress bar; may be
  /// empty. Long steps call it again as they advance ("calibrate 3/8").
  std::function<void(llvm::StringRef step)> onStep;
};

/// Agreement of one output with the FP32 compile of the same model.
struct OutputAccuracy {
  std::string name;
  double maxAbsError = 0, maxRelError = 0, cosine = 1;
};

/// Figures of one compilation, written to the JSON report.
struct CompileReport {
  std::string recipe;
  uint64_t weightBytes = 0;      // bytes of weights in the compiled model
  uint64_t weightBytesFp32 = 0;  // the same weights stored as the ONNX file had them
  uint64_t arenaBytes = 0;
  uint64_t arenaLowerBoundBytes = 0;
  double compileSeconds = 0;
  /// With --validate-inputs: per output, over every sample.
  size_t validationSamples = 0;
  std::vector<OutputAccuracy> accuracy;
  /// int4 recipes: the calibration keys of the layers quantized.
  std::vector<std::string> quantizedLayers;
  /// With a memory budget: every candidate tried and the choice, as JSON
  /// (written into the report as "budget").
  std::string budgetJSON;
};

/// Compiles the model; every failure is reported through the context's
/// diagnostic handler. MLIR's pass-manager and timing command-line options
/// (--mlir-print-ir-after-all, --mlir-timing, ...), where the tool has
/// registered them, apply to every stage.
LogicalResult compileModel(MLIRContext &context, const CompileOptions &options,
                           CompileReport &report);

/// "2GiB", "512MiB", "1.5GB", "800kB", "123456" as bytes (--memory-budget).
std::optional<uint64_t> parseByteSize(llvm::StringRef text);

/// Writes `report` as JSON to `path`.
LogicalResult writeReport(const CompileReport &report, llvm::StringRef path);

} // namespace mlir::qopt

#endif // QOPT_COMPILE_COMPILER_H
