// RUN: qopt-opt %s --qopt-fold-casts --split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-fold-casts --split-input-file --mlir-print-elementsattrs-with-hex-if-larger=1 | FileCheck %s --check-prefix=HEX
// RUN: qopt-opt %s --canonicalize --split-input-file | FileCheck %s

// Round trips through f32 from a narrower type are exact and disappear.

// CHECK-LABEL: func @bf16_round_trip
//  CHECK-SAME: (%[[X:.*]]: tensor<4xbf16>)
//   CHECK-NOT: qopt.cast
//       CHECK: return %[[X]]
func.func @bf16_round_trip(%x: tensor<4xbf16>) -> tensor<4xbf16> {
  %0 = qopt.cast %x : tensor<4xbf16> to tensor<4xf32>
  %1 = qopt.cast %0 : tensor<4xf32> to tensor<4xbf16>
  return %1 : tensor<4xbf16>
}

// -----

// CHECK-LABEL: func @f16_round_trip
//  CHECK-SAME: (%[[X:.*]]: tensor<2x3xf16>)
//   CHECK-NOT: qopt.cast
//       CHECK: return %[[X]]
func.func @f16_round_trip(%x: tensor<2x3xf16>) -> tensor<2x3xf16> {
  %0 = qopt.cast %x : tensor<2x3xf16> to tensor<2x3xf32>
  %1 = qopt.cast %0 : tensor<2x3xf32> to tensor<2x3xf16>
  return %1 : tensor<2x3xf16>
}

// -----

// The exact first step of a chain is skipped: one cast remains.

// CHECK-LABEL: func @f16_to_bf16_through_f32
//  CHECK-SAME: (%[[X:.*]]: tensor<4xf16>)
//       CHECK: %[[C:.*]] = qopt.cast %[[X]] : tensor<4xf16> to tensor<4xbf16>
//   CHECK-NOT: qopt.cast
//       CHECK: return %[[C]]
func.func @f16_to_bf16_through_f32(%x: tensor<4xf16>) -> tensor<4xbf16> {
  %0 = qopt.cast %x : tensor<4xf16> to tensor<4xf32>
  %1 = qopt.cast %0 : tensor<4xf32> to tensor<4xbf16>
  return %1 : tensor<4xbf16>
}

// -----

// CHECK-LABEL: func @bf16_to_f16_through_f32
//  CHECK-SAME: (%[[X:.*]]: tensor<4xbf16>)
//       CHECK: %[[C:.*]] = qopt.cast %[[X]] : tensor<4xbf16> to tensor<4xf16>
//   CHECK-NOT: qopt.cast
//       CHECK: return %[[C]]
func.func @bf16_to_f16_through_f32(%x: tensor<4xbf16>) -> tensor<4xf16> {
  %0 = qopt.cast %x : tensor<4xbf16> to tensor<4xf32>
  %1 = qopt.cast %0 : tensor<4xf32> to tensor<4xf16>
  return %1 : tensor<4xf16>
}

// -----

// The widened value keeps its other uses.

// CHECK-LABEL: func @exact_step_with_other_use
//  CHECK-SAME: (%[[X:.*]]: tensor<4xbf16>)
//       CHECK: %[[W:.*]] = qopt.cast %[[X]] : tensor<4xbf16> to tensor<4xf32>
//   CHECK-NOT: qopt.cast
//       CHECK: return %[[W]], %[[X]]
func.func @exact_step_with_other_use(%x: tensor<4xbf16>) -> (tensor<4xf32>, tensor<4xbf16>) {
  %0 = qopt.cast %x : tensor<4xbf16> to tensor<4xf32>
  %1 = qopt.cast %0 : tensor<4xf32> to tensor<4xbf16>
  return %0, %1 : tensor<4xf32>, tensor<4xbf16>
}

// -----

// Lossy round trips are kept: they round the values.

// CHECK-LABEL: func @keep_f32_bf16_f32
//  CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
//       CHECK: %[[N:.*]] = qopt.cast %[[X]] : tensor<4xf32> to tensor<4xbf16>
//       CHECK: %[[W:.*]] = qopt.cast %[[N]] : tensor<4xbf16> to tensor<4xf32>
//       CHECK: return %[[W]]
func.func @keep_f32_bf16_f32(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qopt.cast %x : tensor<4xf32> to tensor<4xbf16>
  %1 = qopt.cast %0 : tensor<4xbf16> to tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @keep_f32_f16_f32
//  CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
//       CHECK: %[[N:.*]] = qopt.cast %[[X]] : tensor<4xf32> to tensor<4xf16>
//       CHECK: %[[W:.*]] = qopt.cast %[[N]] : tensor<4xf16> to tensor<4xf32>
//       CHECK: return %[[W]]
func.func @keep_f32_f16_f32(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qopt.cast %x : tensor<4xf32> to tensor<4xf16>
  %1 = qopt.cast %0 : tensor<4xf16> to tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// f16 -> bf16 rounds (bf16 has fewer significand bits), so going back is
// not the identity.

// CHECK-LABEL: func @keep_f16_bf16_f16
//       CHECK: qopt.cast %{{.*}} : tensor<4xf16> to tensor<4xbf16>
//       CHECK: qopt.cast %{{.*}} : tensor<4xbf16> to tensor<4xf16>
func.func @keep_f16_bf16_f16(%x: tensor<4xf16>) -> tensor<4xf16> {
  %0 = qopt.cast %x : tensor<4xf16> to tensor<4xbf16>
  %1 = qopt.cast %0 : tensor<4xbf16> to tensor<4xf16>
  return %1 : tensor<4xf16>
}

// -----

// f32 -> bf16 -> f16 rounds twice; it is not the single cast f32 -> f16.

// CHECK-LABEL: func @keep_lossy_chain
//  CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
//       CHECK: %[[N:.*]] = qopt.cast %[[X]] : tensor<4xf32> to tensor<4xbf16>
//       CHECK: qopt.cast %[[N]] : tensor<4xbf16> to tensor<4xf16>
func.func @keep_lossy_chain(%x: tensor<4xf32>) -> tensor<4xf16> {
  %0 = qopt.cast %x : tensor<4xf32> to tensor<4xbf16>
  %1 = qopt.cast %0 : tensor<4xbf16> to tensor<4xf16>
  return %1 : tensor<4xf16>
}

// -----

// CHECK-LABEL: func @same_type
//  CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[H:.*]]: tensor<?xf16>)
//   CHECK-NOT: qopt.cast
//       CHECK: return %[[X]], %[[H]]
func.func @same_type(%x: tensor<4xf32>, %h: tensor<?xf16>) -> (tensor<4xf32>, tensor<?xf16>) {
  %0 = qopt.cast %x : tensor<4xf32> to tensor<4xf32>
  %1 = qopt.cast %h : tensor<?xf16> to tensor<?xf16>
  return %0, %1 : tensor<4xf32>, tensor<?xf16>
}

// -----

// Casts of constants are evaluated, rounding to nearest even:
//   1.00390625 = 1 + 2^-8 lies halfway between the bf16 values 1.0 and
//   1.0078125 and goes to the even 1.0 (0x3F80); 1.01171875 = 1 + 3 * 2^-8
//   lies halfway between 1.0078125 and 1.015625 and goes to the even
//   1.015625 (0x3F82); 0.1 (0x3DCCCCCD) rounds up to 0x3DCD.
// The hex check pins the exact bits (little-endian bf16 words).

// CHECK-LABEL: func @constant_to_bf16
//   CHECK-NOT: qopt.cast
//       CHECK: %[[C:.*]] = arith.constant dense<[1.000000e+00, 1.015630e+00, 1.000980e-01, -2.000000e+00]> : tensor<4xbf16>
//       CHECK: return %[[C]]
// HEX-LABEL: func @constant_to_bf16
//       HEX: arith.constant dense<"0x803F823FCD3D00C0"> : tensor<4xbf16>
func.func @constant_to_bf16() -> tensor<4xbf16> {
  %c = arith.constant dense<[1.00390625, 1.01171875, 0.1, -2.0]> : tensor<4xf32>
  %0 = qopt.cast %c : tensor<4xf32> to tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

// f16: 1 + 2^-11 is halfway between 1.0 and 1 + 2^-10 and goes to 1.0;
// 1 + 3 * 2^-11 goes to the even 1 + 2^-9; 70000 is past the largest f16
// (65504) and becomes +inf (0x7C00); 2.0e-8 is under half the smallest
// subnormal and becomes 0.

// CHECK-LABEL: func @constant_to_f16
//   CHECK-NOT: qopt.cast
//       CHECK: arith.constant dense<[1.000000e+00, 1.001950e+00, 0x7C00, 0.000000e+00]> : tensor<4xf16>
// HEX-LABEL: func @constant_to_f16
//       HEX: arith.constant dense<"0x003C023C007C0000"> : tensor<4xf16>
func.func @constant_to_f16() -> tensor<4xf16> {
  %c = arith.constant dense<[1.00048828125, 1.00146484375, 70000.0, 2.0e-8]> : tensor<4xf32>
  %0 = qopt.cast %c : tensor<4xf32> to tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

// Widening a splat constant is exact.

// CHECK-LABEL: func @constant_splat_widen
//   CHECK-NOT: qopt.cast
//       CHECK: arith.constant dense<1.015625> : tensor<2x2xf32>
func.func @constant_splat_widen() -> tensor<2x2xf32> {
  %c = arith.constant dense<1.015625> : tensor<2x2xbf16>
  %0 = qopt.cast %c : tensor<2x2xbf16> to tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// f16 -> bf16 of a constant: 1 + 2^-10 is not a bf16 value and rounds to
// 1.0; the largest f16, 65504 = (2 - 2^-10) * 2^15, needs 11 significand
// bits and rounds up to 2^16 = 65536.

// CHECK-LABEL: func @constant_f16_to_bf16
//   CHECK-NOT: qopt.cast
//       CHECK: arith.constant dense<[1.000000e+00, 6.553600e+04]> : tensor<2xbf16>
func.func @constant_f16_to_bf16() -> tensor<2xbf16> {
  %c = arith.constant dense<[1.0009765625, 65504.0]> : tensor<2xf16>
  %0 = qopt.cast %c : tensor<2xf16> to tensor<2xbf16>
  return %0 : tensor<2xbf16>
}
