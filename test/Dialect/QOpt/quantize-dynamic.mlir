// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-dynamic))' | FileCheck %s
// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-dynamic{per-row=false}))' \
// RUN:   | FileCheck %s --check-prefix=TENSOR
// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-dynamic{min-elements=25}))' \
// RUN:   | FileCheck %s --check-prefix=MIN

// A matmul by a constant [K, N] weight: the weight is int8 per column
// (column 0: max |w| = 2, scale 2/127, so 1.0 -> 63.5 -> 64 (even) = 0x40
// and 0.5 -> 31.75 -> 32 = 0x20; column 1: scale 4/127, -2.0 -> -64 = 0xC0,
// 4.0 -> 127 = 0x7F; the all-zero column 2 gets scale 1 and zeros). The
// activation is scaled per row at run time, the product is int8 x int8 ->
// int32, and one rescale brings it back to f32.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[WQ:.*]] = arith.constant dense_resource<[[W:qopt_int8_w_0]]> : tensor<1x8x3xi8>
// CHECK-DAG: %[[WS:.*]] = arith.constant dense_resource<[[S:qopt_int8_scale_0]]> : tensor<3xf32>
// CHECK: %[[AMAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} outs(%{{.*}} : tensor<1x4xf32>)
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[XQ:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[AMAX]] : tensor<1x4x8xf32>, tensor<1x4xf32>)
// CHECK: math.roundeven
// CHECK: arith.fptosi %{{.*}} : f32 to i8
// CHECK: %[[ACC:.*]] = tosa.matmul %[[XQ]], %[[WQ]], {{.*}} -> tensor<1x4x3xi32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[AMAX]], %[[WS]] : tensor<1x4x3xi32>, tensor<1x4xf32>, tensor<3xf32>)
// CHECK: arith.sitofp
// CHECK-NOT: tosa.matmul {{.*}}f32
// CHECK: [[W]]: "0x0800000040C000207F00
// CHECK: [[S]]: "0x080000000402813C0402013D0000803F"
// TENSOR-LABEL: func.func @matmul
// TENSOR: linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "reduction"]{{.*}} outs(%{{.*}} : tensor<f32>)
// MIN-LABEL: func.func @matmul
// MIN: tosa.matmul {{.*}} -> tensor<1x4x3xf32>
func.func @matmul(%x: tensor<1x4x8xf32>) -> tensor<1x4x3xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 0.0], [0.5, 4.0, 0.0], [-1.0, 1.0, 0.0], [0.25, -0.5, 0.0], [2.0, 2.0, 0.0], [-0.125, 0.0, 0.0], [1.5, 3.0, 0.0], [0.0, -4.0, 0.0]]> : tensor<8x3xf32>
  %s = tosa.const_shape {values = dense<[1, 8, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %w, %s : (tensor<8x3xf32>, !tosa.shape<3>) -> tensor<1x8x3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %x, %w3, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  return %y : tensor<1x4x3xf32>
}

// -----

// A convolution: weight per output channel (dim 0 of OHWI, after the
// importer's transpose), activation per tensor, zero points 0 (so padding
// stays 0), int32 accumulation, the f32 bias added by the rescale.
// CHECK-LABEL: func.func @conv
// CHECK: outs(%{{.*}} : tensor<f32>)
// CHECK: tosa.conv2d {{.*}}acc_type = i32{{.*}}pad = array<i64: 1, 1, 1, 1>{{.*}} : (tensor<1x6x6x2xi8>, tensor<4x3x3x2xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x6x6x4xi32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}}, %[[B:.*]] : tensor<1x6x6x4xi32>, tensor<f32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.addf
func.func @conv(%x: tensor<1x6x6x2xf32>, %b: tensor<4xf32>) -> tensor<1x6x6x4xf32> {
  %w = arith.constant dense<0.5> : tensor<4x2x3x3xf32>
  %t = tosa.transpose %w {perms = array<i32: 0, 2, 3, 1>} : (tensor<4x2x3x3xf32>) -> tensor<4x3x3x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %t, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x6x6x2xf32>, tensor<4x3x3x2xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x6x6x4xf32>
  return %y : tensor<1x6x6x4xf32>
}

// -----

// Left in float: products of two activations (attention), and weights that
// are not f32.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: xi8
// CHECK: tosa.matmul {{.*}} -> tensor<1x4x4xf32>
// CHECK: tosa.matmul {{.*}} -> tensor<1x4x3xf16>
func.func @kept(%q: tensor<1x4x8xf32>, %k: tensor<1x8x4xf32>, %h: tensor<1x4x8xf16>) -> (tensor<1x4x4xf32>, tensor<1x4x3xf16>) {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %s = tosa.matmul %q, %k, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4xf32>
  %w = arith.constant dense<1.0> : tensor<1x8x3xf16>
  %zh = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %y = tosa.matmul %h, %w, %zh, %zh : (tensor<1x4x8xf16>, tensor<1x8x3xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x4x3xf16>
  return %s, %y : tensor<1x4x4xf32>, tensor<1x4x3xf16>
}
