// RUN: qopt-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-insert-qdq{calibration-table=%S/Inputs/calibration-table.json}))' \
// RUN:   | FileCheck %s
// RUN: qopt-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-insert-qdq{calibration-table=%S/Inputs/calibration-table.json activations=symmetric}))' \
// RUN:   | FileCheck %s --check-prefix=SYM
// RUN: qopt-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-insert-qdq{calibration-table=%S/Inputs/calibration-table.json activations=unsigned}))' \
// RUN:   | FileCheck %s --check-prefix=U8
// RUN: not qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-insert-qdq))' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOTABLE
// RUN: not qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-insert-qdq{calibration-table=%s}))' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOTJSON
// RUN: not qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-insert-qdq{calibration-table=%S/Inputs/calibration-table.json activations=int4}))' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BADGRID
// RUN: qopt-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-insert-qdq{calibration-table=%S/Inputs/calibration-table.json weight-scales=bf16}))' \
// RUN:   | FileCheck %s --check-prefix=BF16
// RUN: qopt-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-insert-qdq{calibration-table=%S/Inputs/calibration-table.json weight-scales=f32}))' \
// RUN:   | FileCheck %s --check-prefix=F32
// RUN: not qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-insert-qdq{calibration-table=%S/Inputs/calibration-table.json weight-scales=f16}))' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BADSCALES

// NOTABLE: qopt-insert-qdq: needs calibration-table=FILE
// NOTJSON: calibration table '{{.*}}insert-qdq.mlir': not JSON
// BADGRID: unknown activations 'int4' (asymmetric, symmetric, unsigned)
// BADSCALES: unknown weight-scales 'f16' (e4m4, bf16, f32)

// The table gives node mm0's activation the range [-1, 3] (min-max).
// Asymmetric int8: scale 4/255, zero point round(-128 + 1/scale) = -64.
// Symmetric: scale 3/127 on -127..127. Unsigned: scale 4/255, zero point 64.
// The weight is int8 per output column (axis 2 of [1, K, N]): column 0
// max|w| 1 -> scale 1/127: 1.0 -> 127 (0x7F), 0.5 -> 63.5 -> 64 (0x40,
// half to even); column 1 scale 4/127: -2.0 -> -63.5 -> -64 (0xC0), 4.0 ->
// 127; the all-zero column 2 gets zeros and the largest scale, 4/127 (on
// the E4M4 grid, 1/127 is 4/127 * 2^-2: both are exact).
// CHECK-LABEL: func.func @matmul
// CHECK: %[[WQ:.*]] = arith.constant dense_resource<[[W:qopt_int8_weight_0]]> : tensor<1x2x3xi8>
// CHECK: %[[WT:.*]] = quant.scast %[[WQ]] : tensor<1x2x3xi8> to tensor<1x2x3x!quant.uniform<i8<-127:127>:f32:2, {0.0078740157{{[0-9]*}},0.03149606{{[0-9]*}},0.03149606{{[0-9]*}}}>>
// CHECK: %[[W32:.*]] = qopt.dequantize %[[WT]]
// CHECK: %[[XQ:.*]] = qopt.quantize %arg0 : tensor<1x4x2xf32> to tensor<1x4x2x!quant.uniform<i8:f32, 0.01568627{{[0-9]*}}:-64>>
// CHECK: %[[X32:.*]] = qopt.dequantize %[[XQ]]
// CHECK: tosa.matmul %[[X32]], %[[W32]]
// CHECK: [[W]]: "0x080000007FC000407F00"
// SYM-LABEL: func.func @matmul
// SYM: qopt.quantize %arg0 : tensor<1x4x2xf32> to tensor<1x4x2x!quant.uniform<i8<-127:127>:f32, 0.02362204{{[0-9]*}}>>
// U8-LABEL: func.func @matmul
// U8: qopt.quantize %arg0 : tensor<1x4x2xf32> to tensor<1x4x2x!quant.uniform<u8:f32, 0.01568627{{[0-9]*}}:64>>
func.func @matmul(%x: tensor<1x4x2xf32>) -> tensor<1x4x3xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 0.0], [0.5, 4.0, 0.0]]> : tensor<2x3xf32>
  %s = tosa.const_shape {values = dense<[1, 2, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %w, %s : (tensor<2x3xf32>, !tosa.shape<3>) -> tensor<1x2x3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %x, %w3, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32> loc(fused<"onnx.MatMul">["mm0"("m.onnx":0:0)])
  return %y : tensor<1x4x3xf32>
}

// -----

// A convolution's weight is per output channel (dim 0 of OHWI, after the
// importer's transpose: the values come in the op's layout). conv0's range
// [0, 2.55] (a ReLU output): asymmetric scale 0.01, zero point -128.
// CHECK-LABEL: func.func @conv
// CHECK: quant.scast %{{.*}} : tensor<2x1x1x2xi8> to tensor<2x1x1x2x!quant.uniform<i8<-127:127>:f32:0, {0.0078740157{{[0-9]*}},0.031496062{{[0-9]*}}}>>
// CHECK: qopt.quantize %arg0 : tensor<1x3x3x2xf32> to tensor<1x3x3x2x!quant.uniform<i8:f32, 0.0099999{{[0-9]*}}:-128>>
// CHECK: tosa.conv2d
// CHECK: "0x080000007F40C07F"
func.func @conv(%x: tensor<1x3x3x2xf32>, %b: tensor<2xf32>) -> tensor<1x3x3x2xf32> {
  %w = arith.constant dense<[[[[1.0]], [[0.5]]], [[[-2.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %t = tosa.transpose %w {perms = array<i32: 0, 2, 3, 1>} : (tensor<2x2x1x1xf32>) -> tensor<2x1x1x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %t, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x3x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x2xf32> loc(fused<"onnx.Conv">["conv0"("m.onnx":0:0)])
  return %y : tensor<1x3x3x2xf32>
}

// -----

// No table entry: the op stays in f32 and a remark says so. A product of
// two activations (no constant weight) is not a candidate at all.
// CHECK-LABEL: func.func @uncalibrated
// CHECK-NOT: qopt.quantize
// CHECK: tosa.matmul
// CHECK-NOT: qopt.quantize
// CHECK: tosa.matmul
func.func @uncalibrated(%x: tensor<1x4x2xf32>, %v: tensor<1x2x3xf32>) -> (tensor<1x4x3xf32>, tensor<1x4x3xf32>) {
  %w = arith.constant dense<1.0> : tensor<1x2x3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // An op without a node location is keyed by its name.
  // expected-remark @+1 {{the calibration table has no entry 'matmul'; the op stays in f32}}
  %y = tosa.matmul %x, %w, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  %z = tosa.matmul %x, %v, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32> loc(fused<"onnx.MatMul">["mm0"("m.onnx":0:0)])
  return %y, %z : tensor<1x4x3xf32>, tensor<1x4x3xf32>
}

// -----

// The weight-scale grids. Column 0 (max 127) has scale 1, the largest.
// Column 1 (max 100) has 100/127 = 0.7874; rounded up, each grid keeps
// 100 within 127 steps:
//   e4m4 (default): 1 * (1 + 10/16) * 2^-1 = 0.8125: 100 -> 123.08 -> 123
//     (0x7B), -50 -> -61.5 -> -62 (0xC2);
//   bf16: 0.7874 (0x3F499326) -> 0x3F4A0000 = 0.7890625: 100 -> 126.7 ->
//     127, -50 -> -63.4 -> -63 (0xC1);
//   f32: 100 -> 127, -50 -> -63.5 -> -64 (0xC0, half to even).
// CHECK-LABEL: func.func @scale_grids
// CHECK: quant.uniform<i8<-127:127>:f32:2, {1.000000e+00,8.125000e-01}>
// CHECK: "0x080000007F7B01C2"
// BF16-LABEL: func.func @scale_grids
// BF16: quant.uniform<i8<-127:127>:f32:2, {1.000000e+00,0.7890625}>
// BF16: "0x080000007F7F01C1"
// F32-LABEL: func.func @scale_grids
// F32: quant.uniform<i8<-127:127>:f32:2, {1.000000e+00,0.78740155{{[0-9]*}}}>
// F32: "0x080000007F7F01C0"
func.func @scale_grids(%x: tensor<1x4x2xf32>) -> tensor<1x4x2xf32> {
  %w = arith.constant dense<[[[127.0, 100.0], [1.0, -50.0]]]> : tensor<1x2x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %x, %w, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x2xf32> loc(fused<"onnx.MatMul">["mm0"("m.onnx":0:0)])
  return %y : tensor<1x4x2xf32>
}

// -----

// Column 2 (max 0.001, scale 7.9e-6) lies below e4m4's range, 2^-15 of
// column 0's scale: the tensor takes the bf16 grid instead
// (0x37041AA4 -> 0x37050000).
// CHECK-LABEL: func.func @scale_grid_fallback
// CHECK: quant.uniform<i8<-127:127>:f32:2, {1.000000e+00,0.7890625,7.9274177{{[0-9]*}}E-6}>
func.func @scale_grid_fallback(%x: tensor<1x4x2xf32>) -> tensor<1x4x3xf32> {
  %w = arith.constant dense<[[[127.0, 100.0, 0.001], [1.0, -50.0, 0.0]]]> : tensor<1x2x3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %x, %w, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32> loc(fused<"onnx.MatMul">["mm0"("m.onnx":0:0)])
  return %y : tensor<1x4x3xf32>
}
