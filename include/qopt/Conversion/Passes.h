//===- Passes.h - qopt conversion passes ------------------------*- C++ -*-===//
#ifndef QOPT_CONVERSION_PASSES_H
#define QOPT_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::qopt {

#define GEN_PASS_DECL
#include "qopt/Conversion/Passes.h.inc"

/// Maps tensors of `!quant.uniform` elements to tensors of their storage
/// type and leaves every other type alone.
void populateQuantStorageTypeConversion(TypeConverter &converter);

/// Patterns lowering qopt.cast, qopt.quantize, qopt.dequantize and
/// quant.scast under `converter`.
void populateQOptToLinalgPatterns(const TypeConverter &converter,
                                  RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "qopt/Conversion/Passes.h.inc"

} // namespace mlir::qopt

#endif // QOPT_CONVERSION_PASSES_H
