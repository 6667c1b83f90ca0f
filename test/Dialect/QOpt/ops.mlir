// RUN: qopt-opt %s | qopt-opt | FileCheck %s
// RUN: qopt-opt %s --mlir-print-op-generic | qopt-opt | FileCheck %s

// Every form of the qopt ops survives printing and parsing back, in the
// custom form and in the generic one.

// CHECK-LABEL: func @cast_f32_narrow
//  CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
//       CHECK: qopt.cast %[[X]] : tensor<4xf32> to tensor<4xbf16>
//       CHECK: qopt.cast %[[X]] : tensor<4xf32> to tensor<4xf16>
func.func @cast_f32_narrow(%x: tensor<4xf32>) -> (tensor<4xbf16>, tensor<4xf16>) {
  %0 = qopt.cast %x : tensor<4xf32> to tensor<4xbf16>
  %1 = qopt.cast %x : tensor<4xf32> to tensor<4xf16>
  return %0, %1 : tensor<4xbf16>, tensor<4xf16>
}

// CHECK-LABEL: func @cast_widen
//  CHECK-SAME: (%[[B:.*]]: tensor<2x3xbf16>, %[[H:.*]]: tensor<2x3xf16>)
//       CHECK: qopt.cast %[[B]] : tensor<2x3xbf16> to tensor<2x3xf32>
//       CHECK: qopt.cast %[[H]] : tensor<2x3xf16> to tensor<2x3xf32>
func.func @cast_widen(%b: tensor<2x3xbf16>, %h: tensor<2x3xf16>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = qopt.cast %b : tensor<2x3xbf16> to tensor<2x3xf32>
  %1 = qopt.cast %h : tensor<2x3xf16> to tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// CHECK-LABEL: func @cast_half_to_half
//       CHECK: qopt.cast %{{.*}} : tensor<8xf16> to tensor<8xbf16>
//       CHECK: qopt.cast %{{.*}} : tensor<8xbf16> to tensor<8xf16>
func.func @cast_half_to_half(%h: tensor<8xf16>) -> tensor<8xf16> {
  %0 = qopt.cast %h : tensor<8xf16> to tensor<8xbf16>
  %1 = qopt.cast %0 : tensor<8xbf16> to tensor<8xf16>
  return %1 : tensor<8xf16>
}

// Shapes need only be compatible; rank 0 is a tensor too.
// CHECK-LABEL: func @cast_shapes
//       CHECK: qopt.cast %{{.*}} : tensor<?x4xf32> to tensor<?x4xbf16>
//       CHECK: qopt.cast %{{.*}} : tensor<?x4xf32> to tensor<3x?xf16>
//       CHECK: qopt.cast %{{.*}} : tensor<f16> to tensor<f32>
func.func @cast_shapes(%x: tensor<?x4xf32>, %s: tensor<f16>) -> (tensor<?x4xbf16>, tensor<3x?xf16>, tensor<f32>) {
  %0 = qopt.cast %x : tensor<?x4xf32> to tensor<?x4xbf16>
  %1 = qopt.cast %x : tensor<?x4xf32> to tensor<3x?xf16>
  %2 = qopt.cast %s : tensor<f16> to tensor<f32>
  return %0, %1, %2 : tensor<?x4xbf16>, tensor<3x?xf16>, tensor<f32>
}

// CHECK-LABEL: func @per_tensor_i8
//  CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
//       CHECK: %[[Q:.*]] = qopt.quantize %[[X]] : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 5.000000e-01:-3>>
//       CHECK: qopt.dequantize %[[Q]] : tensor<4x!quant.uniform<i8:f32, 5.000000e-01:-3>> to tensor<4xf32>
func.func @per_tensor_i8(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5:-3>>
  %y = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5:-3>> to tensor<4xf32>
  return %y : tensor<4xf32>
}

// A zero point of 0 is not printed.
// CHECK-LABEL: func @per_tensor_u8
//       CHECK: qopt.quantize %{{.*}} : tensor<2x2xf32> to tensor<2x2x!quant.uniform<u8:f32, 2.500000e-01:128>>
//       CHECK: qopt.quantize %{{.*}} : tensor<2x2xf32> to tensor<2x2x!quant.uniform<u8:f32, 1.000000e-01>>
//       CHECK: qopt.dequantize %{{.*}} : tensor<2x2x!quant.uniform<u8:f32, 2.500000e-01:128>> to tensor<2x2xf32>
func.func @per_tensor_u8(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2x!quant.uniform<u8:f32, 0.1>>) {
  %q = qopt.quantize %x : tensor<2x2xf32> to tensor<2x2x!quant.uniform<u8:f32, 0.25:128>>
  %r = qopt.quantize %x : tensor<2x2xf32> to tensor<2x2x!quant.uniform<u8:f32, 0.1:0>>
  %y = qopt.dequantize %q : tensor<2x2x!quant.uniform<u8:f32, 0.25:128>> to tensor<2x2xf32>
  return %y, %r : tensor<2x2xf32>, tensor<2x2x!quant.uniform<u8:f32, 0.1>>
}

// Narrow storage ranges, 16- and 32-bit storage, and half-precision
// expressed types.
// CHECK-LABEL: func @per_tensor_other_storage
//       CHECK: qopt.quantize %{{.*}} : tensor<4xf32> to tensor<4x!quant.uniform<i8<-127:127>:f32, 5.000000e-01>>
//       CHECK: qopt.quantize %{{.*}} : tensor<4xf32> to tensor<4x!quant.uniform<i16:f32, 1.000000e-03:-7>>
//       CHECK: qopt.quantize %{{.*}} : tensor<4xf32> to tensor<4x!quant.uniform<i32:f32, 3.125000e-02>>
//       CHECK: qopt.quantize %{{.*}} : tensor<4xf16> to tensor<4x!quant.uniform<u8:f16, 5.000000e-01:3>>
//       CHECK: qopt.dequantize %{{.*}} : tensor<4x!quant.uniform<i8:bf16, 1.250000e-01>> to tensor<4xbf16>
func.func @per_tensor_other_storage(%x: tensor<4xf32>, %h: tensor<4xf16>, %b: tensor<4x!quant.uniform<i8:bf16, 0.125>>)
    -> (tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>, tensor<4x!quant.uniform<i16:f32, 0.001:-7>>,
        tensor<4x!quant.uniform<i32:f32, 3.125e-2>>, tensor<4x!quant.uniform<u8:f16, 0.5:3>>, tensor<4xbf16>) {
  %0 = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>
  %1 = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i16:f32, 0.001:-7>>
  %2 = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i32:f32, 3.125e-2>>
  %3 = qopt.quantize %h : tensor<4xf16> to tensor<4x!quant.uniform<u8:f16, 0.5:3>>
  %4 = qopt.dequantize %b : tensor<4x!quant.uniform<i8:bf16, 0.125>> to tensor<4xbf16>
  return %0, %1, %2, %3, %4 : tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>, tensor<4x!quant.uniform<i16:f32, 0.001:-7>>,
      tensor<4x!quant.uniform<i32:f32, 3.125e-2>>, tensor<4x!quant.uniform<u8:f16, 0.5:3>>, tensor<4xbf16>
}

// CHECK-LABEL: func @per_axis
//  CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
//       CHECK: %[[Q:.*]] = qopt.quantize %[[X]] : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32:1, {5.000000e-01:1,2.500000e-01,1.000000e+00:-2}>>
//       CHECK: qopt.dequantize %[[Q]] : tensor<2x3x!quant.uniform<i8:f32:1, {5.000000e-01:1,2.500000e-01,1.000000e+00:-2}>> to tensor<2x3xf32>
//       CHECK: qopt.quantize %[[X]] : tensor<2x3xf32> to tensor<2x3x!quant.uniform<u8:f32:0, {1.000000e-01:128,2.000000e-01:100}>>
func.func @per_axis(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3x!quant.uniform<u8:f32:0, {0.1:128, 0.2:100}>>) {
  %q = qopt.quantize %x : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32:1, {0.5:1, 0.25, 1.0:-2}>>
  %y = qopt.dequantize %q : tensor<2x3x!quant.uniform<i8:f32:1, {0.5:1, 0.25, 1.0:-2}>> to tensor<2x3xf32>
  %r = qopt.quantize %x : tensor<2x3xf32> to tensor<2x3x!quant.uniform<u8:f32:0, {0.1:128, 0.2:100}>>
  return %y, %r : tensor<2x3xf32>, tensor<2x3x!quant.uniform<u8:f32:0, {0.1:128, 0.2:100}>>
}

// A dynamic quantized dimension is checked against the scales at run time,
// not by the verifier.
// CHECK-LABEL: func @per_axis_dynamic
//       CHECK: qopt.quantize %{{.*}} : tensor<?x3xf16> to tensor<?x3x!quant.uniform<i8:f16:0, {5.000000e-01,2.500000e-01}>>
//       CHECK: qopt.dequantize %{{.*}} : tensor<?x3x!quant.uniform<i8:f16:0, {5.000000e-01,2.500000e-01}>> to tensor<?x3xf16>
func.func @per_axis_dynamic(%x: tensor<?x3xf16>) -> tensor<?x3xf16> {
  %q = qopt.quantize %x : tensor<?x3xf16> to tensor<?x3x!quant.uniform<i8:f16:0, {0.5, 0.25}>>
  %y = qopt.dequantize %q : tensor<?x3x!quant.uniform<i8:f16:0, {0.5, 0.25}>> to tensor<?x3xf16>
  return %y : tensor<?x3xf16>
}

// The generic form parses to the same ops.
// CHECK-LABEL: func @generic_form
//       CHECK: %[[C:.*]] = qopt.cast %{{.*}} : tensor<4xbf16> to tensor<4xf32>
//       CHECK: %[[Q:.*]] = qopt.quantize %[[C]] : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 5.000000e-01:-3>>
//       CHECK: qopt.dequantize %[[Q]] : tensor<4x!quant.uniform<i8:f32, 5.000000e-01:-3>> to tensor<4xf32>
func.func @generic_form(%x: tensor<4xbf16>) -> tensor<4xf32> {
  %0 = "qopt.cast"(%x) : (tensor<4xbf16>) -> tensor<4xf32>
  %1 = "qopt.quantize"(%0) : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.5:-3>>
  %2 = "qopt.dequantize"(%1) : (tensor<4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}
