//===- Passes.h - qopt transformation passes --------------------*- C++ -*-===//
#ifndef QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_H
#define QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Pass/Pass.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"

namespace mlir::qopt {

#define GEN_PASS_DECL
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"

/// Patterns that move qopt.cast through layout ops so that casts meet and
/// cancel (narrowing casts up, widening casts down).
void populateFoldCastsPatterns(RewritePatternSet &patterns);

/// Symbol prefix of the loop-nest descriptors qopt-cpu-ukernels emits: code
/// metadata, not weights (the compile report does not count them).
inline constexpr llvm::StringLiteral kKernelDescriptorPrefix = "__qopt_uk_desc";

#define GEN_PASS_REGISTRATION
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"

} // namespace mlir::qopt

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_H
