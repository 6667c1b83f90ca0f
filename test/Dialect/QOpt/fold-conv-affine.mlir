// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-fold-conv-affine))' | FileCheck %s

// BatchNormalization as the importer writes it: NHWC convolution,
// transpose to NCHW, x * s + t per channel (axis 1 after the transpose).
// Filters [2, 1, 1, 1] = [1, 2], bias [0.5, -1], s = [2, 4], t = [1, 3]:
// W' = [2, 8] (0x40000000, 0x41000000), b' = [0.5 * 2 + 1, -1 * 4 + 3] =
// [2, -1] (0x40000000, 0xBF800000). The transpose stays, now feeding
// what the add fed.
// CHECK-LABEL: func.func @batchnorm
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<[[WB:qopt_folded_filter_0]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense_resource<[[BB:qopt_folded_bias_0]]> : tensor<2xf32>
// CHECK: %[[C:.*]] = tosa.conv2d %arg0, %[[W]], %[[B]]
// CHECK: %[[T:.*]] = tosa.transpose %[[C]]
// CHECK-NOT: tosa.mul
// CHECK-NOT: tosa.add
// CHECK: return %[[T]]
// CHECK: [[WB]]: "0x080000000000004000000041"
// CHECK: [[BB]]: "0x0800000000000040000080BF"
func.func @batchnorm(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %t = tosa.transpose %c {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %s = arith.constant dense<[[[[2.0]], [[4.0]]]]> : tensor<1x2x1x1xf32>
  %shift = arith.constant dense<0> : tensor<1xi8>
  %m = tosa.mul %t, %s, %shift : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>, tensor<1xi8>) -> tensor<1x2x2x2xf32>
  %sh = arith.constant dense<[[[[1.0]], [[3.0]]]]> : tensor<1x2x1x1xf32>
  %y = tosa.add %m, %sh : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Channels last, no transpose: a scalar multiply (any channel) and a
// subtraction of a per-channel constant. b' = [0 * 3 - 1, 0 * 3 - 2].
// CHECK-LABEL: func.func @nhwc_scalar_and_sub
// CHECK: %[[C:.*]] = tosa.conv2d
// CHECK-NOT: tosa.mul
// CHECK-NOT: tosa.sub
// CHECK: return %[[C]]
// CHECK: "0x08000000000040400000C040"
// CHECK: "0x08000000000080BF000000C0"
func.func @nhwc_scalar_and_sub(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<0.0> : tensor<1xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %s = arith.constant dense<3.0> : tensor<1x1x1x1xf32>
  %shift = arith.constant dense<0> : tensor<1xi8>
  %m = tosa.mul %s, %c, %shift : (tensor<1x1x1x1xf32>, tensor<1x2x2x2xf32>, tensor<1xi8>) -> tensor<1x2x2x2xf32>
  %t = arith.constant dense<[[[[1.0, 2.0]]]]> : tensor<1x1x1x2xf32>
  %y = tosa.sub %m, %t : (tensor<1x2x2x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// What does not fold: a multiply by a tensor that varies along another
// axis (spatial), t - x (negates x), a second use of the product, and a
// filter that is not a constant.
// CHECK-LABEL: func.func @not_folded
// CHECK: tosa.mul
// CHECK: tosa.sub
// CHECK: tosa.add
// CHECK: tosa.mul
// CHECK-NOT: qopt_folded
func.func @not_folded(%x: tensor<1x2x2x1xf32>, %wv: tensor<2x1x1x1xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = arith.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = arith.constant dense<0> : tensor<1xi8>
  %c1 = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %spatial = arith.constant dense<[[[[1.0], [2.0]]]]> : tensor<1x1x2x1xf32>
  %m1 = tosa.mul %c1, %spatial, %shift : (tensor<1x2x2x2xf32>, tensor<1x1x2x1xf32>, tensor<1xi8>) -> tensor<1x2x2x2xf32>
  %c2 = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %t = arith.constant dense<[[[[1.0, 2.0]]]]> : tensor<1x1x1x2xf32>
  %s2 = tosa.sub %t, %c2 : (tensor<1x1x1x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %c3 = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %a3 = tosa.add %c3, %t : (tensor<1x2x2x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x2x2x2xf32>
  %c4 = tosa.conv2d %x, %wv, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %s = arith.constant dense<3.0> : tensor<1x1x1x1xf32>
  %m4 = tosa.mul %c4, %s, %shift : (tensor<1x2x2x2xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x2x2xf32>
  %sum = tosa.add %a3, %c3 : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %m1, %s2, %sum, %m4 : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
