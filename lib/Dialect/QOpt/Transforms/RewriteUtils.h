//===- RewriteUtils.h - Helpers shared by qopt's rewrites -------*- C++ -*-===//
#ifndef QOPT_LIB_DIALECT_QOPT_TRANSFORMS_REWRITEUTILS_H
#define QOPT_LIB_DIALECT_QOPT_TRANSFORMS_REWRITEUTILS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

namespace mlir::qopt {

/// Verifies `op` alone without reporting: rewrites that try a candidate form
/// (an op on another element type) use it to fall back when TOSA rejects the
/// form.
inline LogicalResult verifyQuietly(Operation *op) {
  ScopedDiagnosticHandler silence(op->getContext(),
                                  [](Diagnostic &) { return success(); });
  return verify(op, /*verifyRecursively=*/false);
}

} // namespace mlir::qopt

#endif // QOPT_LIB_DIALECT_QOPT_TRANSFORMS_REWRITEUTILS_H
