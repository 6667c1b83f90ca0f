//===- RewriteUtils.h - Helpers shared by qopt's rewrites -------*- C++ -*-===//
#ifndef QOPT_LIB_DIALECT_QOPT_TRANSFORMS_REWRITEUTILS_H
#define QOPT_LIB_DIALECT_QOPT_TRANSFORMS_REWRITEUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include <cstring>
#include <vector>

namespace mlir::qopt {

/// True when the body of `op` computes out + in0 * in1, operands possibly
/// extended (extf for floats, extsi for signed integers, sitofp for int8
/// weights of an f32 product): what the runtime's GEMM kernel computes, so
/// what qopt-cpu-ukernels hands it and qopt-fuse-elementwise keeps whole.
bool isMultiplyAccumulate(linalg::LinalgOp op);

/// The runtime kernel of 4-bit weight products: qopt-lower-matmul-nbits
/// marks its generics with it (library_call), qopt-cpu-ukernels calls it.
inline constexpr llvm::StringLiteral kNBitsKernelName = "qopt_uk_matmul_nbits";
/// The discardable attribute on those generics naming the weight format
/// (symmetric, asymmetric, nf4).
inline constexpr llvm::StringLiteral kNBitsFormatAttr = "qopt.nbits_format";
/// ... and how a matrix-vector product may read its activations (f32,
/// int8).
inline constexpr llvm::StringLiteral kNBitsActivationsAttr =
    "qopt.nbits_activations";

/// Verifies `op` alone without reporting: rewrites that try a candidate form
/// (an op on another element type) use it to fall back when TOSA rejects the
/// form.
inline LogicalResult verifyQuietly(Operation *op) {
  ScopedDiagnosticHandler silence(op->getContext(),
                                  [](Diagnostic &) { return success(); });
  return verify(op, /*verifyRecursively=*/false);
}

/// Permutes a dense row-major buffer of `shape` (elements of `eltBytes`
/// bytes): result dim i is source dim perm[i].
inline std::vector<char> permuteBytes(ArrayRef<char> src, ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> perm, size_t eltBytes) {
  size_t rank = shape.size();
  SmallVector<int64_t> srcStrides(rank, 1), outShape(rank);
  for (size_t d = rank; d-- > 1;)
    srcStrides[d - 1] = srcStrides[d] * shape[d];
  for (size_t i = 0; i < rank; ++i)
    outShape[i] = shape[perm[i]];
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<char> out(n * eltBytes);
  SmallVector<int64_t> idx(rank, 0); // index into the result
  for (int64_t k = 0; k < n; ++k) {
    int64_t s = 0;
    for (size_t i = 0; i < rank; ++i)
      s += idx[i] * srcStrides[perm[i]];
    std::memcpy(out.data() + k * eltBytes, src.data() + s * eltBytes, eltBytes);
    for (size_t i = rank; i-- > 0;) {
      if (++idx[i] < outShape[i])
        break;
      idx[i] = 0;
    }
  }
  return out;
}

} // namespace mlir::qopt

#endif // QOPT_LIB_DIALECT_QOPT_TRANSFORMS_REWRITEUTILS_H
