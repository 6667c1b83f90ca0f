// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-lower-matmul-nbits))' | FileCheck %s

// Several rows: x [1, 4, 64] collapses to [4, 64]; the generic runs over
// (m, n, k) and reads byte [n, k / 32, (k % 32) / 2] and scale [n, k / 32].
// The body selects nibble k % 2, subtracts 8 and scales.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 32, (d2 mod 32) floordiv 2)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 32)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @rows
// CHECK: %[[X2:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<1x4x64xf32> into tensor<4x64xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[S]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_uk_matmul_nbits"} ins(%[[X2]], %{{.*}}, %{{.*}} : tensor<4x64xf32>, tensor<16x2x16xi8>, tensor<16x2xf32>) outs(%{{.*}} : tensor<4x16xf32>) attrs = {qopt.nbits_format = "symmetric"}
// CHECK: linalg.index 2
// CHECK: arith.shrui
// CHECK: arith.andi %{{.*}}, %c15_i8
// CHECK: arith.subi %{{.*}}, %c8_i8
// CHECK: arith.sitofp
// CHECK: tensor.expand_shape %[[R]] {{\[}}[0, 1], [2]] output_shape [1, 4, 16] : tensor<4x16xf32> into tensor<1x4x16xf32>
func.func @rows(%x: tensor<1x4x64xf32>, %w: tensor<16x2x16xi8>, %s: tensor<16x2xf32>) -> tensor<1x4x16xf32> {
  %y = qopt.matmul_nbits %x, %w, %s {format = "symmetric", group = 32 : i64, k = 64 : i64}
      : (tensor<1x4x64xf32>, tensor<16x2x16xi8>, tensor<16x2xf32>) -> tensor<1x4x16xf32>
  return %y : tensor<1x4x16xf32>
}

// -----

// One row (decode): no unit dimension is left for upstream rewrites to
// fold, so the marker survives. Asymmetric zero points are read at
// [n, k / 64] (two blocks a byte), nibble block % 2.
// CHECK-DAG: #[[Z:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 64)>
// CHECK-LABEL: func.func @vector
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : tensor<1x1x64xf32> into tensor<64xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"], library_call = "qopt_uk_matmul_nbits"} ins({{.*}} : tensor<64xf32>, tensor<16x2x16xi8>, tensor<16x2xf32>, tensor<16x1xi8>) outs(%{{.*}} : tensor<16xf32>) attrs = {qopt.nbits_format = "asymmetric"}
// CHECK: arith.subi
// CHECK-NOT: %c8_i8
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 1, 16]
func.func @vector(%x: tensor<1x1x64xf32>, %w: tensor<16x2x16xi8>, %s: tensor<16x2xf32>, %z: tensor<16x1xi8>) -> tensor<1x1x16xf32> {
  %y = qopt.matmul_nbits %x, %w, %s, %z {format = "asymmetric", group = 32 : i64, k = 64 : i64}
      : (tensor<1x1x64xf32>, tensor<16x2x16xi8>, tensor<16x2xf32>, tensor<16x1xi8>) -> tensor<1x1x16xf32>
  return %y : tensor<1x1x16xf32>
}

// -----

// NF4 decodes through the codebook (a 16-entry constant).
// CHECK-LABEL: func.func @nf4
// CHECK: %[[CB:.*]] = arith.constant dense<[-1.000000e+00, -0.6961928{{[0-9]*}}, {{.*}}, 1.000000e+00]> : tensor<16xf32>
// CHECK: linalg.generic {{.*}}attrs = {qopt.nbits_format = "nf4"}
// CHECK: tensor.extract %[[CB]]
func.func @nf4(%x: tensor<2x64xf32>, %w: tensor<8x1x32xi8>, %s: tensor<8x1xf32>) -> tensor<2x8xf32> {
  %y = qopt.matmul_nbits %x, %w, %s {format = "nf4", group = 64 : i64, k = 64 : i64}
      : (tensor<2x64xf32>, tensor<8x1x32xi8>, tensor<8x1xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
