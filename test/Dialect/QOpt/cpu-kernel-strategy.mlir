// RUN: qopt-opt %s --qopt-cpu-kernel-strategy --split-input-file | FileCheck %s

// The batched product becomes a generic whose innermost loop is the output
// column (n): (b, m, k, n).

// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func @batch_matmul
//   CHECK-NOT: linalg.batch_matmul
//       CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
//       CHECK:   arith.mulf
//       CHECK:   arith.addf
func.func @batch_matmul(%a: tensor<2x4x8xf32>, %b: tensor<2x8x16xf32>, %c: tensor<2x4x16xf32>) -> tensor<2x4x16xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<2x4x8xf32>, tensor<2x8x16xf32>) outs(%c : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  return %r : tensor<2x4x16xf32>
}

// -----

// CHECK-LABEL: func @matmul
//       CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// Negative: other linalg ops are left as they are.

// CHECK-LABEL: func @other_ops
//       CHECK: linalg.transpose
func.func @other_ops(%a: tensor<4x8xf32>, %c: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %r = linalg.transpose ins(%a : tensor<4x8xf32>) outs(%c : tensor<8x4xf32>) permutation = [1, 0]
  return %r : tensor<8x4xf32>
}

// -----

// A convolution with a constant filter takes the HWCF filter layout (the
// transpose folds later) and runs with the output channel innermost:
// (n, oh, ow, kh, kw, c, f).

// CHECK-LABEL: func @conv_constant_filter
//       CHECK: %[[W:.*]] = linalg.transpose ins(%{{.*}} : tensor<8x3x3x4xf32>) {{.*}} permutation = [1, 2, 3, 0]
//       CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
//  CHECK-SAME: ins(%{{.*}}, %[[W]] : tensor<1x10x10x4xf32>, tensor<3x3x4x8xf32>)
func.func @conv_constant_filter(%x: tensor<1x10x10x4xf32>, %o: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w = arith.constant dense<1.0> : tensor<8x3x3x4xf32>
  %r = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x10x10x4xf32>, tensor<8x3x3x4xf32>) outs(%o : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %r : tensor<1x8x8x8xf32>
}

// -----

// Negative: a run-time filter keeps its layout.

// CHECK-LABEL: func @conv_runtime_filter
//       CHECK: linalg.conv_2d_nhwc_fhwc
func.func @conv_runtime_filter(%x: tensor<1x10x10x4xf32>, %w: tensor<8x3x3x4xf32>, %o: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %r = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x10x10x4xf32>, tensor<8x3x3x4xf32>) outs(%o : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %r : tensor<1x8x8x8xf32>
}
