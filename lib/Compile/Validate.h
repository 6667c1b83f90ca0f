//===- Validate.h - Accuracy of a compiled model against FP32 ---*- C++ -*-===//
#ifndef QOPT_LIB_COMPILE_VALIDATE_H
#define QOPT_LIB_COMPILE_VALIDATE_H

#include "qopt/Compile/Compiler.h"

#include "mlir/IR/Location.h"

namespace mlir::qopt {

/// Runs `candidate` and `reference` (model libraries) on every sample of
/// `inputsDir` (input_K.pb files directly in it, or one sub-directory per
/// sample) with qopt-run (from `prefix`/bin, see resolveQOptPrefix) and
/// compares their outputs.
LogicalResult compareModels(Location loc, llvm::StringRef candidate,
                            llvm::StringRef reference, llvm::StringRef inputsDir,
                            llvm::StringRef workDir, CompileReport &report,
                            llvm::StringRef prefix = "");

/// The samples of an inputs directory in qopt-run's layout: the directory
/// itself when it holds input_K.pb / .npy files, else its sub-directories
/// (sorted).
std::vector<std::string> listSamples(llvm::StringRef dir);

/// Runs the model library `so` on one sample with qopt-run, saving its
/// outputs as output_K.pb files in `outDir`; a failure is reported as
/// "`what` of SO on INPUTS failed".
LogicalResult runModel(Location loc, llvm::StringRef so, llvm::StringRef inputs,
                       llvm::StringRef outDir, llvm::StringRef prefix,
                       llvm::StringRef what = "validation run");

/// The directory holding qopt's bin/, include/ and lib/ (the parent of this
/// executable's directory, in the build tree as in an install tree).
std::string getQOptPrefix();

/// `prefix` (CompileOptions::runtimePrefix) when given, else getQOptPrefix().
std::string resolveQOptPrefix(llvm::StringRef prefix);

} // namespace mlir::qopt

#endif // QOPT_LIB_COMPILE_VALIDATE_H
