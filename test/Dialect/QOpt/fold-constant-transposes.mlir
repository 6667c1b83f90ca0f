// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-fold-constant-transposes))' --split-input-file | FileCheck %s

// CHECK-LABEL: func @dense
//   CHECK-NOT: linalg.transpose
//       CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
//       CHECK: return %[[C]]
func.func @dense() -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%w : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  return %t : tensor<3x2xf32>
}

// -----

// A dense_resource weight (as the importer stores them) is permuted in its
// blob: [[0, 1, 2], [3, 4, 5]] (i16) becomes [[0, 3], [1, 4], [2, 5]].

// CHECK-LABEL: func @resource
//   CHECK-NOT: linalg.transpose
//       CHECK: arith.constant dense_resource<w_t> : tensor<3x2xi16>
//       CHECK: w_t: "0x08000000000003000100040002000500"
func.func @resource() -> tensor<3x2xi16> {
  %w = arith.constant dense_resource<w> : tensor<2x3xi16>
  %e = tensor.empty() : tensor<3x2xi16>
  %t = linalg.transpose ins(%w : tensor<2x3xi16>) outs(%e : tensor<3x2xi16>) permutation = [1, 0]
  return %t : tensor<3x2xi16>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x02000000000001000200030004000500"
    }
  }
#-}

// -----

// Negative: a transpose of a run-time value stays.

// CHECK-LABEL: func @activation
//       CHECK: linalg.transpose
func.func @activation(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%x : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  return %t : tensor<3x2xf32>
}
