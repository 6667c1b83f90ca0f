// RUN: qopt-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-weights{group=16}))' | FileCheck %s
// RUN: qopt-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-weights{group=16 format=asymmetric}))' \
// RUN:   | FileCheck %s --check-prefix=ASYM
// RUN: qopt-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-weights{group=16 method=nf4 activations=int8}))' \
// RUN:   | FileCheck %s --check-prefix=NF4
// RUN: qopt-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-weights{group=16 keep=matmul}))' \
// RUN:   | FileCheck %s --check-prefix=KEEP

// W [K=32, N=2] in groups of 16 along K, symmetric (onnxruntime's grid:
// the largest magnitude maps to code 0, scale = -max / 8):
//   column 0, block 0: 2.0 at k=0, -1.0 at k=1, 0.5 at k=2: scale -0.25,
//     codes 0, 12, 6, then 8 (zero) -> bytes C0 86 88 88 88 88 88 88;
//   column 0, block 1: 4.0 at k=16: scale -0.5, code 0 -> 80 88 ... 88;
//   column 1: all 1.0: scale -0.125, every code 0 -> 16 bytes 00.
// Scales (f32, little endian): -0.25, -0.5, -0.125, -0.125.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: attributes {qopt.int4_layers = ["matmul"]}
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<[[WK:qopt_int4_0]]> : tensor<2x2x8xi8>
// CHECK-DAG: %[[S:.*]] = arith.constant dense_resource<[[SK:qopt_int4_scale_0]]> : tensor<2x2xf32>
// CHECK: %[[Y:.*]] = qopt.matmul_nbits %arg0, %[[W]], %[[S]] {format = "symmetric", group = 16 : i64, k = 32 : i64} : (tensor<1x3x32xf32>, tensor<2x2x8xi8>, tensor<2x2xf32>) -> tensor<1x3x2xf32>
// CHECK-NOT: tosa.matmul
// CHECK: return %[[Y]]
// CHECK: [[WK]]: "0x08000000C086888888888888808888888888888800000000000000000000000000000000"
// CHECK: [[SK]]: "0x08000000000080BE000000BF000000BE000000BE"
// ASYM-LABEL: func.func @matmul
// ASYM: qopt.matmul_nbits %arg0, %{{.*}}, %{{.*}}, %{{.*}} {format = "asymmetric", group = 16 : i64, k = 32 : i64} : (tensor<1x3x32xf32>, tensor<2x2x8xi8>, tensor<2x2xf32>, tensor<2x1xi8>) -> tensor<1x3x2xf32>
// The layers quantized are listed on the function; `keep` leaves a layer
// (by its calibration key: the op name without an ONNX node) in f32.
// KEEP-LABEL: func.func @matmul
// KEEP-SAME: attributes {qopt.int4_layers = []}
// KEEP: tosa.matmul
// KEEP-NOT: qopt.matmul_nbits
// NF4-LABEL: func.func @matmul
// NF4: qopt.matmul_nbits %arg0, %{{.*}}, %{{.*}} {activations = "int8", format = "nf4", group = 16 : i64, k = 32 : i64}
func.func @matmul(%x: tensor<1x3x32xf32>) -> tensor<1x3x2xf32> {
  %w = arith.constant dense<[[2.0, 1.0], [-1.0, 1.0], [0.5, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0],
                             [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0],
                             [4.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0],
                             [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]> : tensor<32x2xf32>
  %s = tosa.const_shape {values = dense<[1, 32, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %w, %s : (tensor<32x2xf32>, !tosa.shape<3>) -> tensor<1x32x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %x, %w3, %zp, %zp : (tensor<1x3x32xf32>, tensor<1x32x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x2xf32>
  return %y : tensor<1x3x2xf32>
}

// -----

// A product of two activations (attention) has no weight to quantize.
// CHECK-LABEL: func.func @activations
// CHECK: tosa.matmul
// CHECK-NOT: qopt.matmul_nbits
func.func @activations(%a: tensor<1x4x32xf32>, %b: tensor<1x32x4xf32>) -> tensor<1x4x4xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x32xf32>, tensor<1x32x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}
