//===- Calibrate.h - Activation statistics from sample runs -----*- C++ -*-===//
#ifndef QOPT_LIB_COMPILE_CALIBRATE_H
#define QOPT_LIB_COMPILE_CALIBRATE_H

#include "qopt/Compile/Compiler.h"

namespace mlir::qopt {

/// Compiles the FP32 model with its quantizable activations as extra
/// outputs (qopt-insert-observers), runs it on every sample of
/// `opts.calibrationDir` and writes the calibration table (method
/// `opts.calibrationMethod`, percentile by default) to `tablePath`, and/or
/// the rows of each matmul's input (qopt/Analysis/LayerInputs.h: for GPTQ
/// and AWQ) into `layerInputsDir`; an empty path skips either.
LogicalResult calibrateModel(MLIRContext &ctx, const CompileOptions &opts,
                             llvm::StringRef tablePath,
                             llvm::StringRef layerInputsDir = "");

} // namespace mlir::qopt

#endif // QOPT_LIB_COMPILE_CALIBRATE_H
