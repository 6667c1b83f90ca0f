// RUN: qopt-opt %s --convert-qopt-to-linalg --split-input-file | FileCheck %s

// qopt.cast: extf to widen, truncf to narrow, f16 <-> bf16 through f32.

// CHECK-LABEL: func @cast_widen
//  CHECK-SAME: (%[[B:.*]]: tensor<4xbf16>, %[[H:.*]]: tensor<4xf16>)
//       CHECK: arith.extf %[[B]] : tensor<4xbf16> to tensor<4xf32>
//       CHECK: arith.extf %[[H]] : tensor<4xf16> to tensor<4xf32>
//   CHECK-NOT: qopt.cast
func.func @cast_widen(%b: tensor<4xbf16>, %h: tensor<4xf16>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = qopt.cast %b : tensor<4xbf16> to tensor<4xf32>
  %1 = qopt.cast %h : tensor<4xf16> to tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func @cast_narrow
//  CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
//       CHECK: arith.truncf %[[X]] : tensor<2x3xf32> to tensor<2x3xbf16>
//       CHECK: arith.truncf %[[X]] : tensor<2x3xf32> to tensor<2x3xf16>
//   CHECK-NOT: qopt.cast
func.func @cast_narrow(%x: tensor<2x3xf32>) -> (tensor<2x3xbf16>, tensor<2x3xf16>) {
  %0 = qopt.cast %x : tensor<2x3xf32> to tensor<2x3xbf16>
  %1 = qopt.cast %x : tensor<2x3xf32> to tensor<2x3xf16>
  return %0, %1 : tensor<2x3xbf16>, tensor<2x3xf16>
}

// -----

// CHECK-LABEL: func @cast_f16_bf16
//  CHECK-SAME: (%[[H:.*]]: tensor<4xf16>, %[[B:.*]]: tensor<4xbf16>)
//       CHECK: %[[W:.*]] = arith.extf %[[H]] : tensor<4xf16> to tensor<4xf32>
//       CHECK: arith.truncf %[[W]] : tensor<4xf32> to tensor<4xbf16>
//       CHECK: %[[V:.*]] = arith.extf %[[B]] : tensor<4xbf16> to tensor<4xf32>
//       CHECK: arith.truncf %[[V]] : tensor<4xf32> to tensor<4xf16>
func.func @cast_f16_bf16(%h: tensor<4xf16>, %b: tensor<4xbf16>) -> (tensor<4xbf16>, tensor<4xf16>) {
  %0 = qopt.cast %h : tensor<4xf16> to tensor<4xbf16>
  %1 = qopt.cast %b : tensor<4xbf16> to tensor<4xf16>
  return %0, %1 : tensor<4xbf16>, tensor<4xf16>
}

// -----

// Shapes that differ only in what is static: convert in the operand's
// shape, then tensor.cast; an element type that does not change needs no
// arith op at all.

// CHECK-LABEL: func @cast_shape_refinement
//  CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[D:.*]]: tensor<?xbf16>)
//       CHECK: %[[T:.*]] = arith.truncf %[[X]] : tensor<4xf32> to tensor<4xbf16>
//       CHECK: tensor.cast %[[T]] : tensor<4xbf16> to tensor<?xbf16>
//       CHECK: %[[E:.*]] = arith.extf %[[D]] : tensor<?xbf16> to tensor<?xf32>
//       CHECK: tensor.cast %[[E]] : tensor<?xf32> to tensor<4xf32>
//   CHECK-NOT: arith.extf
//       CHECK: tensor.cast %[[X]] : tensor<4xf32> to tensor<?xf32>
func.func @cast_shape_refinement(%x: tensor<4xf32>, %d: tensor<?xbf16>) -> (tensor<?xbf16>, tensor<4xf32>, tensor<?xf32>) {
  %0 = qopt.cast %x : tensor<4xf32> to tensor<?xbf16>
  %1 = qopt.cast %d : tensor<?xbf16> to tensor<4xf32>
  %2 = qopt.cast %x : tensor<4xf32> to tensor<?xf32>
  return %0, %1, %2 : tensor<?xbf16>, tensor<4xf32>, tensor<?xf32>
}

// -----

// Per-tensor quantize to i8: divide, round half to even, add the zero
// point, clamp to [-128, 127], fptosi; the result has the storage type.

// CHECK-LABEL: func @quantize_i8
//  CHECK-SAME: (%[[X:.*]]: tensor<4xf32>) -> tensor<4xi8>
//   CHECK-DAG: %[[S:.*]] = arith.constant 5.000000e-01 : f32
//   CHECK-DAG: %[[Z:.*]] = arith.constant -3.000000e+00 : f32
//   CHECK-DAG: %[[INIT:.*]] = tensor.empty() : tensor<4xi8>
//       CHECK: %[[R:.*]] = linalg.generic
//  CHECK-SAME:     iterator_types = ["parallel"]
//  CHECK-SAME:     ins(%[[X]] : tensor<4xf32>) outs(%[[INIT]] : tensor<4xi8>)
//       CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: i8):
//       CHECK:   %[[D:.*]] = arith.divf %[[IN]], %[[S]] : f32
//       CHECK:   %[[RE:.*]] = math.roundeven %[[D]] : f32
//       CHECK:   %[[A:.*]] = arith.addf %[[RE]], %[[Z]] : f32
//   CHECK-DAG:   %[[LO:.*]] = arith.constant -1.280000e+02 : f32
//   CHECK-DAG:   %[[HI:.*]] = arith.constant 1.270000e+02 : f32
//       CHECK:   %[[MX:.*]] = arith.maxnumf %[[A]], %[[LO]] : f32
//       CHECK:   %[[MN:.*]] = arith.minnumf %[[MX]], %[[HI]] : f32
//       CHECK:   %[[I:.*]] = arith.fptosi %[[MN]] : f32 to i8
//       CHECK:   linalg.yield %[[I]] : i8
//       CHECK: } -> tensor<4xi8>
//       CHECK: return %[[R]] : tensor<4xi8>
func.func @quantize_i8(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.5:-3>> {
  %q = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5:-3>>
  return %q : tensor<4x!quant.uniform<i8:f32, 0.5:-3>>
}

// -----

// u8 clamps to [0, 255] and converts with fptoui; a half-precision input is
// widened to f32 first.

// CHECK-LABEL: func @quantize_u8_f16
//  CHECK-SAME: (%[[X:.*]]: tensor<2x2xf16>) -> tensor<2x2xi8>
//   CHECK-DAG: %[[S:.*]] = arith.constant 2.500000e-01 : f32
//   CHECK-DAG: %[[Z:.*]] = arith.constant 1.280000e+02 : f32
//       CHECK: linalg.generic
//  CHECK-SAME:     iterator_types = ["parallel", "parallel"]
//  CHECK-SAME:     ins(%[[X]] : tensor<2x2xf16>)
//       CHECK: ^bb0(%[[IN:.*]]: f16, %{{.*}}: i8):
//       CHECK:   %[[W:.*]] = arith.extf %[[IN]] : f16 to f32
//       CHECK:   %[[D:.*]] = arith.divf %[[W]], %[[S]] : f32
//       CHECK:   %[[RE:.*]] = math.roundeven %[[D]] : f32
//       CHECK:   %[[A:.*]] = arith.addf %[[RE]], %[[Z]] : f32
//   CHECK-DAG:   %[[LO:.*]] = arith.constant 0.000000e+00 : f32
//   CHECK-DAG:   %[[HI:.*]] = arith.constant 2.550000e+02 : f32
//       CHECK:   %[[MX:.*]] = arith.maxnumf %[[A]], %[[LO]] : f32
//       CHECK:   %[[MN:.*]] = arith.minnumf %[[MX]], %[[HI]] : f32
//       CHECK:   %[[I:.*]] = arith.fptoui %[[MN]] : f32 to i8
//       CHECK:   linalg.yield %[[I]] : i8
//       CHECK: } -> tensor<2x2xi8>
func.func @quantize_u8_f16(%x: tensor<2x2xf16>) -> tensor<2x2x!quant.uniform<u8:f16, 0.25:128>> {
  %q = qopt.quantize %x : tensor<2x2xf16> to tensor<2x2x!quant.uniform<u8:f16, 0.25:128>>
  return %q : tensor<2x2x!quant.uniform<u8:f16, 0.25:128>>
}

// -----

// A narrow storage range is the clamp range.

// CHECK-LABEL: func @quantize_narrow_range
//   CHECK-DAG: arith.constant -1.270000e+02 : f32
//   CHECK-DAG: arith.constant 1.270000e+02 : f32
//       CHECK: arith.fptosi %{{.*}} : f32 to i8
func.func @quantize_narrow_range(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>> {
  %q = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>
  return %q : tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>
}

// -----

// 32-bit storage: f32 cannot hold 2^31 - 1 (it rounds up to 2^31, which
// fptosi cannot convert), so the zero point is added and the result clamped
// in f64, whose bounds are exact: -2^31 (0xC1E0000000000000) and 2^31 - 1
// (0x41DFFFFFFFC00000).

// CHECK-LABEL: func @quantize_i32
//  CHECK-SAME: -> tensor<4xi32>
//   CHECK-DAG: %[[Z:.*]] = arith.constant 0.000000e+00 : f64
//       CHECK: linalg.generic
//       CHECK:   %[[RE:.*]] = math.roundeven %{{.*}} : f32
//       CHECK:   %[[W:.*]] = arith.extf %[[RE]] : f32 to f64
//       CHECK:   %[[A:.*]] = arith.addf %[[W]], %[[Z]] : f64
//   CHECK-DAG:   %[[LO:.*]] = arith.constant 0xC1E0000000000000 : f64
//   CHECK-DAG:   %[[HI:.*]] = arith.constant 0x41DFFFFFFFC00000 : f64
//       CHECK:   %[[MX:.*]] = arith.maxnumf %[[A]], %[[LO]] : f64
//       CHECK:   %[[MN:.*]] = arith.minnumf %[[MX]], %[[HI]] : f64
//       CHECK:   arith.fptosi %[[MN]] : f64 to i32
func.func @quantize_i32(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i32:f32, 1.0>> {
  %q = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i32:f32, 1.0>>
  return %q : tensor<4x!quant.uniform<i32:f32, 1.0>>
}

// -----

// Per axis: the scales and zero points are tensors indexed by the quantized
// dimension (d1 here) of the iteration space.

//   CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
//   CHECK-DAG: #[[AX:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @quantize_per_axis
//  CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>) -> tensor<2x3xi8>
//   CHECK-DAG: %[[S:.*]] = arith.constant dense<[5.000000e-01, 2.500000e-01, 1.000000e+00]> : tensor<3xf32>
//   CHECK-DAG: %[[Z:.*]] = arith.constant dense<[1.000000e+00, 0.000000e+00, -2.000000e+00]> : tensor<3xf32>
//       CHECK: linalg.generic
//  CHECK-SAME:     indexing_maps = [#[[ID]], #[[AX]], #[[AX]], #[[ID]]]
//  CHECK-SAME:     ins(%[[X]], %[[S]], %[[Z]] : tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>)
//       CHECK: ^bb0(%[[IN:[^:]*]]: f32, %[[SC:[^:]*]]: f32, %[[ZP:[^:]*]]: f32, %{{.*}}: i8):
//       CHECK:   %[[D:.*]] = arith.divf %[[IN]], %[[SC]] : f32
//       CHECK:   %[[RE:.*]] = math.roundeven %[[D]] : f32
//       CHECK:   arith.addf %[[RE]], %[[ZP]] : f32
//       CHECK:   arith.fptosi %{{.*}} : f32 to i8
func.func @quantize_per_axis(%x: tensor<2x3xf32>) -> tensor<2x3x!quant.uniform<i8:f32:1, {0.5:1, 0.25, 1.0:-2}>> {
  %q = qopt.quantize %x : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32:1, {0.5:1, 0.25, 1.0:-2}>>
  return %q : tensor<2x3x!quant.uniform<i8:f32:1, {0.5:1, 0.25, 1.0:-2}>>
}

// -----

// Axis 0 of a dynamic-sized tensor: the output's size is read from the
// input.

//   CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
//   CHECK-DAG: #[[AX:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func @quantize_per_axis_dynamic
//  CHECK-SAME: (%[[X:.*]]: tensor<2x?x4xf32>) -> tensor<2x?x4xi8>
//   CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
//   CHECK-DAG: %[[DIM:.*]] = tensor.dim %[[X]], %[[C1]] : tensor<2x?x4xf32>
//   CHECK-DAG: %[[INIT:.*]] = tensor.empty(%[[DIM]]) : tensor<2x?x4xi8>
//       CHECK: linalg.generic
//  CHECK-SAME:     indexing_maps = [#[[ID]], #[[AX]], #[[AX]], #[[ID]]]
//  CHECK-SAME:     outs(%[[INIT]] : tensor<2x?x4xi8>)
//       CHECK:   arith.fptoui %{{.*}} : f32 to i8
//       CHECK: } -> tensor<2x?x4xi8>
func.func @quantize_per_axis_dynamic(%x: tensor<2x?x4xf32>) -> tensor<2x?x4x!quant.uniform<u8:f32:0, {0.5:10, 0.25:20}>> {
  %q = qopt.quantize %x : tensor<2x?x4xf32> to tensor<2x?x4x!quant.uniform<u8:f32:0, {0.5:10, 0.25:20}>>
  return %q : tensor<2x?x4x!quant.uniform<u8:f32:0, {0.5:10, 0.25:20}>>
}

// -----

// Dequantize: widen the stored integer (sign-extended for i8), subtract the
// zero point in integers, convert with sitofp, multiply by the scale.

// CHECK-LABEL: func @dequantize_i8
//  CHECK-SAME: (%[[Q:.*]]: tensor<4xi8>) -> tensor<4xf32>
//   CHECK-DAG: %[[S:.*]] = arith.constant 5.000000e-01 : f32
//   CHECK-DAG: %[[Z:.*]] = arith.constant -3.000000e+00 : f32
//   CHECK-DAG: %[[INIT:.*]] = tensor.empty() : tensor<4xf32>
//       CHECK: linalg.generic
//  CHECK-SAME:     ins(%[[Q]] : tensor<4xi8>) outs(%[[INIT]] : tensor<4xf32>)
//       CHECK: ^bb0(%[[IN:.*]]: i8, %{{.*}}: f32):
//       CHECK:   %[[W:.*]] = arith.extsi %[[IN]] : i8 to i32
//       CHECK:   %[[ZI:.*]] = arith.fptosi %[[Z]] : f32 to i32
//       CHECK:   %[[D:.*]] = arith.subi %[[W]], %[[ZI]] : i32
//       CHECK:   %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
//       CHECK:   %[[M:.*]] = arith.mulf %[[F]], %[[S]] : f32
//       CHECK:   linalg.yield %[[M]] : f32
//       CHECK: } -> tensor<4xf32>
func.func @dequantize_i8(%q: tensor<4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<4xf32> {
  %x = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5:-3>> to tensor<4xf32>
  return %x : tensor<4xf32>
}

// -----

// u8 is zero-extended; an f16 result is truncated from the f32 product.

// CHECK-LABEL: func @dequantize_u8_f16
//  CHECK-SAME: (%[[Q:.*]]: tensor<4xi8>) -> tensor<4xf16>
//       CHECK: linalg.generic
//       CHECK: ^bb0(%[[IN:.*]]: i8, %{{.*}}: f16):
//       CHECK:   %[[W:.*]] = arith.extui %[[IN]] : i8 to i32
//       CHECK:   %[[D:.*]] = arith.subi %[[W]], %{{.*}} : i32
//       CHECK:   %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
//       CHECK:   %[[M:.*]] = arith.mulf %[[F]], %{{.*}} : f32
//       CHECK:   %[[T:.*]] = arith.truncf %[[M]] : f32 to f16
//       CHECK:   linalg.yield %[[T]] : f16
func.func @dequantize_u8_f16(%q: tensor<4x!quant.uniform<u8:f16, 0.5:128>>) -> tensor<4xf16> {
  %x = qopt.dequantize %q : tensor<4x!quant.uniform<u8:f16, 0.5:128>> to tensor<4xf16>
  return %x : tensor<4xf16>
}

// -----

// i32 storage: the difference needs 33 bits, so it is taken in i64.

// CHECK-LABEL: func @dequantize_i32
//  CHECK-SAME: (%[[Q:.*]]: tensor<4xi32>) -> tensor<4xf32>
//   CHECK-DAG: %[[Z:.*]] = arith.constant 7.000000e+00 : f64
//       CHECK: linalg.generic
//       CHECK: ^bb0(%[[IN:.*]]: i32, %{{.*}}: f32):
//       CHECK:   %[[W:.*]] = arith.extsi %[[IN]] : i32 to i64
//       CHECK:   %[[ZI:.*]] = arith.fptosi %[[Z]] : f64 to i64
//       CHECK:   %[[D:.*]] = arith.subi %[[W]], %[[ZI]] : i64
//       CHECK:   arith.sitofp %[[D]] : i64 to f32
func.func @dequantize_i32(%q: tensor<4x!quant.uniform<i32:f32, 0.5:7>>) -> tensor<4xf32> {
  %x = qopt.dequantize %q : tensor<4x!quant.uniform<i32:f32, 0.5:7>> to tensor<4xf32>
  return %x : tensor<4xf32>
}

// -----

//   CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
//   CHECK-DAG: #[[AX:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @dequantize_per_axis
//  CHECK-SAME: (%[[Q:.*]]: tensor<2x3xi8>) -> tensor<2x3xbf16>
//   CHECK-DAG: %[[S:.*]] = arith.constant dense<[1.250000e-01, 5.000000e-01]> : tensor<2xf32>
//   CHECK-DAG: %[[Z:.*]] = arith.constant dense<[0.000000e+00, 5.000000e+00]> : tensor<2xf32>
//       CHECK: linalg.generic
//  CHECK-SAME:     indexing_maps = [#[[ID]], #[[AX]], #[[AX]], #[[ID]]]
//  CHECK-SAME:     ins(%[[Q]], %[[S]], %[[Z]] : tensor<2x3xi8>, tensor<2xf32>, tensor<2xf32>)
//       CHECK: ^bb0(%[[IN:[^:]*]]: i8, %[[SC:[^:]*]]: f32, %[[ZP:[^:]*]]: f32, %{{.*}}: bf16):
//       CHECK:   %[[W:.*]] = arith.extsi %[[IN]] : i8 to i32
//       CHECK:   %[[ZI:.*]] = arith.fptosi %[[ZP]] : f32 to i32
//       CHECK:   %[[D:.*]] = arith.subi %[[W]], %[[ZI]] : i32
//       CHECK:   %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
//       CHECK:   %[[M:.*]] = arith.mulf %[[F]], %[[SC]] : f32
//       CHECK:   arith.truncf %[[M]] : f32 to bf16
func.func @dequantize_per_axis(%q: tensor<2x3x!quant.uniform<i8:bf16:0, {0.125, 0.5:5}>>) -> tensor<2x3xbf16> {
  %x = qopt.dequantize %q : tensor<2x3x!quant.uniform<i8:bf16:0, {0.125, 0.5:5}>> to tensor<2x3xbf16>
  return %x : tensor<2x3xbf16>
}

// -----

// quant.scast only reinterprets the storage and disappears.

// CHECK-LABEL: func @storage_cast
//  CHECK-SAME: (%[[I:.*]]: tensor<4xi8>) -> tensor<4xi8>
//   CHECK-NOT: quant.scast
//       CHECK: return %[[I]] : tensor<4xi8>
func.func @storage_cast(%i: tensor<4xi8>) -> tensor<4xi8> {
  %q = quant.scast %i : tensor<4xi8> to tensor<4x!quant.uniform<i8:f32:0, {0.5, 0.25, 1.0, 2.0}>>
  %j = quant.scast %q : tensor<4x!quant.uniform<i8:f32:0, {0.5, 0.25, 1.0, 2.0}>> to tensor<4xi8>
  return %j : tensor<4xi8>
}

// -----

// CHECK-LABEL: func @storage_cast_into_dequantize
//  CHECK-SAME: (%[[I:.*]]: tensor<4xi8>)
//   CHECK-NOT: quant.scast
//       CHECK: linalg.generic
//  CHECK-SAME:     ins(%[[I]] : tensor<4xi8>)
func.func @storage_cast_into_dequantize(%i: tensor<4xi8>) -> tensor<4xf32> {
  %q = quant.scast %i : tensor<4xi8> to tensor<4x!quant.uniform<i8:f32, 0.5>>
  %x = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5>> to tensor<4xf32>
  return %x : tensor<4xf32>
}

// -----

// Quantized types in signatures, returns and calls become storage types.

// CHECK-LABEL: func @callee
//  CHECK-SAME: (%[[A:.*]]: tensor<4xi8>, %[[B:.*]]: tensor<2x3xi16>) -> (tensor<4xi8>, tensor<2x3xi16>)
//       CHECK: return %[[A]], %[[B]] : tensor<4xi8>, tensor<2x3xi16>
func.func @callee(%a: tensor<4x!quant.uniform<u8:f32, 0.5:3>>, %b: tensor<2x3x!quant.uniform<i16:f32:1, {0.5, 0.25, 1.0}>>)
    -> (tensor<4x!quant.uniform<u8:f32, 0.5:3>>, tensor<2x3x!quant.uniform<i16:f32:1, {0.5, 0.25, 1.0}>>) {
  return %a, %b : tensor<4x!quant.uniform<u8:f32, 0.5:3>>, tensor<2x3x!quant.uniform<i16:f32:1, {0.5, 0.25, 1.0}>>
}

// CHECK-LABEL: func @caller
//  CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<2x3xi16>) -> tensor<4xf32>
//       CHECK: %[[Q:.*]] = linalg.generic
//       CHECK: %[[R:.*]]:2 = call @callee(%[[Q]], %[[B]]) : (tensor<4xi8>, tensor<2x3xi16>) -> (tensor<4xi8>, tensor<2x3xi16>)
//       CHECK: linalg.generic
//  CHECK-SAME:     ins(%[[R]]#0 : tensor<4xi8>)
//   CHECK-NOT: quant.uniform
func.func @caller(%x: tensor<4xf32>, %b: tensor<2x3x!quant.uniform<i16:f32:1, {0.5, 0.25, 1.0}>>) -> tensor<4xf32> {
  %q = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<u8:f32, 0.5:3>>
  %r:2 = call @callee(%q, %b) : (tensor<4x!quant.uniform<u8:f32, 0.5:3>>, tensor<2x3x!quant.uniform<i16:f32:1, {0.5, 0.25, 1.0}>>)
      -> (tensor<4x!quant.uniform<u8:f32, 0.5:3>>, tensor<2x3x!quant.uniform<i16:f32:1, {0.5, 0.25, 1.0}>>)
  %y = qopt.dequantize %r#0 : tensor<4x!quant.uniform<u8:f32, 0.5:3>> to tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Ops of other dialects on float tensors are left alone.

// CHECK-LABEL: func @untouched
//       CHECK: arith.addf %{{.*}}, %{{.*}} : tensor<4xf32>
func.func @untouched(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %x, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// u32 storage: clamp to [0, 2^32 - 1] (0x41EFFFFFFFE00000) in f64, fptoui;
// dequantize zero-extends to i64.

// CHECK-LABEL: func @u32_storage
//  CHECK-SAME: (%{{.*}}: tensor<4xf32>, %{{.*}}: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xf32>)
//       CHECK: linalg.generic
//   CHECK-DAG:   %[[LO:.*]] = arith.constant 0.000000e+00 : f64
//   CHECK-DAG:   %[[HI:.*]] = arith.constant 0x41EFFFFFFFE00000 : f64
//       CHECK:   %[[MX:.*]] = arith.maxnumf %{{.*}}, %[[LO]] : f64
//       CHECK:   %[[MN:.*]] = arith.minnumf %[[MX]], %[[HI]] : f64
//       CHECK:   arith.fptoui %[[MN]] : f64 to i32
//       CHECK: linalg.generic
//       CHECK:   arith.extui %{{.*}} : i32 to i64
//       CHECK:   arith.subi %{{.*}}, %{{.*}} : i64
func.func @u32_storage(%x: tensor<4xf32>, %q: tensor<4x!quant.uniform<u32:f32, 0.5>>) -> (tensor<4x!quant.uniform<u32:f32, 0.5>>, tensor<4xf32>) {
  %0 = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<u32:f32, 0.5>>
  %1 = qopt.dequantize %q : tensor<4x!quant.uniform<u32:f32, 0.5>> to tensor<4xf32>
  return %0, %1 : tensor<4x!quant.uniform<u32:f32, 0.5>>, tensor<4xf32>
}
