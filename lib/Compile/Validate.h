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

/// The directory holding qopt's bin/, include/ and lib/ (the parent of this
/// executable's directory, in the build tree as in an install tree).
std::string getQOptPrefix();

/// `prefix` (CompileOptions::runtimePrefix) when given, else getQOptPrefix().
std::string resolveQOptPrefix(llvm::StringRef prefix);

} // namespace mlir::qopt

#endif // QOPT_LIB_COMPILE_VALIDATE_H
