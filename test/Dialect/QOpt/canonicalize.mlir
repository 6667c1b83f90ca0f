// RUN: qopt-opt %s --canonicalize --split-input-file | FileCheck %s

// quantize(dequantize(q)) with the same type is q when every stored value
// survives the dequantized value's rounding to the expressed type.

// CHECK-LABEL: func @requantize_per_tensor
//  CHECK-SAME: (%[[Q:.*]]: tensor<4x!quant.uniform<i8:f32, 5.000000e-01:-3>>)
//   CHECK-NOT: qopt.
//       CHECK: return %[[Q]]
func.func @requantize_per_tensor(%q: tensor<4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<4x!quant.uniform<i8:f32, 0.5:-3>> {
  %x = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5:-3>> to tensor<4xf32>
  %r = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5:-3>>
  return %r : tensor<4x!quant.uniform<i8:f32, 0.5:-3>>
}

// -----

// CHECK-LABEL: func @requantize_per_axis
//  CHECK-SAME: (%[[Q:.*]]: tensor<2x3x!quant.uniform
//   CHECK-NOT: qopt.
//       CHECK: return %[[Q]]
func.func @requantize_per_axis(%q: tensor<2x3x!quant.uniform<u8:f32:1, {0.5:128, 0.1:0, 3.0:255}>>) -> tensor<2x3x!quant.uniform<u8:f32:1, {0.5:128, 0.1:0, 3.0:255}>> {
  %x = qopt.dequantize %q : tensor<2x3x!quant.uniform<u8:f32:1, {0.5:128, 0.1:0, 3.0:255}>> to tensor<2x3xf32>
  %r = qopt.quantize %x : tensor<2x3xf32> to tensor<2x3x!quant.uniform<u8:f32:1, {0.5:128, 0.1:0, 3.0:255}>>
  return %r : tensor<2x3x!quant.uniform<u8:f32:1, {0.5:128, 0.1:0, 3.0:255}>>
}

// -----

// 16-bit storage with f32, and 8-bit storage with f16 (11 significand bits)
// or bf16 (8 bits) and a zero point of 0, are exact.

// CHECK-LABEL: func @requantize_exact_widths
//  CHECK-SAME: (%[[A:[^:]*]]: tensor<4x!quant.uniform<i16:{{[^>]*}}>>, %[[B:[^:]*]]: tensor<4x!quant.uniform<u8:{{[^>]*}}>>, %[[C:[^:]*]]: tensor<4x!quant.uniform<i8:
//   CHECK-NOT: qopt.
//       CHECK: return %[[A]], %[[B]], %[[C]]
func.func @requantize_exact_widths(%a: tensor<4x!quant.uniform<i16:f32, 0.001:-7>>,
                                   %b: tensor<4x!quant.uniform<u8:f16, 0.02:100>>,
                                   %c: tensor<4x!quant.uniform<i8:bf16, 0.7025>>)
    -> (tensor<4x!quant.uniform<i16:f32, 0.001:-7>>, tensor<4x!quant.uniform<u8:f16, 0.02:100>>,
        tensor<4x!quant.uniform<i8:bf16, 0.7025>>) {
  %xa = qopt.dequantize %a : tensor<4x!quant.uniform<i16:f32, 0.001:-7>> to tensor<4xf32>
  %ra = qopt.quantize %xa : tensor<4xf32> to tensor<4x!quant.uniform<i16:f32, 0.001:-7>>
  %xb = qopt.dequantize %b : tensor<4x!quant.uniform<u8:f16, 0.02:100>> to tensor<4xf16>
  %rb = qopt.quantize %xb : tensor<4xf16> to tensor<4x!quant.uniform<u8:f16, 0.02:100>>
  %xc = qopt.dequantize %c : tensor<4x!quant.uniform<i8:bf16, 0.7025>> to tensor<4xbf16>
  %rc = qopt.quantize %xc : tensor<4xbf16> to tensor<4x!quant.uniform<i8:bf16, 0.7025>>
  return %ra, %rb, %rc : tensor<4x!quant.uniform<i16:f32, 0.001:-7>>, tensor<4x!quant.uniform<u8:f16, 0.02:100>>,
      tensor<4x!quant.uniform<i8:bf16, 0.7025>>
}

// -----

// With bf16 and zero point -73, q - zp reaches 200: q = 127 dequantizes to
// 200 * 0.7025 = 140.5, which is 140.0 in bf16 and quantizes to 126. The
// round trip is not the identity and stays.

// CHECK-LABEL: func @keep_requantize_bf16_wide_range
//       CHECK: qopt.dequantize
//       CHECK: qopt.quantize
func.func @keep_requantize_bf16_wide_range(%q: tensor<4x!quant.uniform<i8:bf16, 0.7025:-73>>) -> tensor<4x!quant.uniform<i8:bf16, 0.7025:-73>> {
  %x = qopt.dequantize %q : tensor<4x!quant.uniform<i8:bf16, 0.7025:-73>> to tensor<4xbf16>
  %r = qopt.quantize %x : tensor<4xbf16> to tensor<4x!quant.uniform<i8:bf16, 0.7025:-73>>
  return %r : tensor<4x!quant.uniform<i8:bf16, 0.7025:-73>>
}

// -----

// One channel out of the exact range keeps a per-axis round trip.

// CHECK-LABEL: func @keep_requantize_per_axis_one_channel
//       CHECK: qopt.dequantize
//       CHECK: qopt.quantize
func.func @keep_requantize_per_axis_one_channel(%q: tensor<2x!quant.uniform<i8:bf16:0, {0.5, 0.7025:-73}>>) -> tensor<2x!quant.uniform<i8:bf16:0, {0.5, 0.7025:-73}>> {
  %x = qopt.dequantize %q : tensor<2x!quant.uniform<i8:bf16:0, {0.5, 0.7025:-73}>> to tensor<2xbf16>
  %r = qopt.quantize %x : tensor<2xbf16> to tensor<2x!quant.uniform<i8:bf16:0, {0.5, 0.7025:-73}>>
  return %r : tensor<2x!quant.uniform<i8:bf16:0, {0.5, 0.7025:-73}>>
}

// -----

// f16 with 16-bit storage: 2^15 has more bits than f16 keeps.

// CHECK-LABEL: func @keep_requantize_f16_i16
//       CHECK: qopt.dequantize
//       CHECK: qopt.quantize
func.func @keep_requantize_f16_i16(%q: tensor<4x!quant.uniform<i16:f16, 0.5>>) -> tensor<4x!quant.uniform<i16:f16, 0.5>> {
  %x = qopt.dequantize %q : tensor<4x!quant.uniform<i16:f16, 0.5>> to tensor<4xf16>
  %r = qopt.quantize %x : tensor<4xf16> to tensor<4x!quant.uniform<i16:f16, 0.5>>
  return %r : tensor<4x!quant.uniform<i16:f16, 0.5>>
}

// -----

// f32 with 32-bit storage: 2^24 + 1 is not an f32 value.

// CHECK-LABEL: func @keep_requantize_f32_i32
//       CHECK: qopt.dequantize
//       CHECK: qopt.quantize
func.func @keep_requantize_f32_i32(%q: tensor<4x!quant.uniform<i32:f32, 1.0>>) -> tensor<4x!quant.uniform<i32:f32, 1.0>> {
  %x = qopt.dequantize %q : tensor<4x!quant.uniform<i32:f32, 1.0>> to tensor<4xf32>
  %r = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i32:f32, 1.0>>
  return %r : tensor<4x!quant.uniform<i32:f32, 1.0>>
}

// -----

// f16 with scale 1000: 127 * 1000 overflows f16 (largest 65504) to +inf.

// CHECK-LABEL: func @keep_requantize_f16_overflow
//       CHECK: qopt.dequantize
//       CHECK: qopt.quantize
func.func @keep_requantize_f16_overflow(%q: tensor<4x!quant.uniform<i8:f16, 1000.0>>) -> tensor<4x!quant.uniform<i8:f16, 1000.0>> {
  %x = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f16, 1000.0>> to tensor<4xf16>
  %r = qopt.quantize %x : tensor<4xf16> to tensor<4x!quant.uniform<i8:f16, 1000.0>>
  return %r : tensor<4x!quant.uniform<i8:f16, 1000.0>>
}

// -----

// f16 with scale 2^-20: the dequantized values are subnormal and lose bits.

// CHECK-LABEL: func @keep_requantize_f16_subnormal
//       CHECK: qopt.dequantize
//       CHECK: qopt.quantize
func.func @keep_requantize_f16_subnormal(%q: tensor<4x!quant.uniform<i8:f16, 9.5367431640625E-7>>) -> tensor<4x!quant.uniform<i8:f16, 9.5367431640625E-7>> {
  %x = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f16, 9.5367431640625E-7>> to tensor<4xf16>
  %r = qopt.quantize %x : tensor<4xf16> to tensor<4x!quant.uniform<i8:f16, 9.5367431640625E-7>>
  return %r : tensor<4x!quant.uniform<i8:f16, 9.5367431640625E-7>>
}

// -----

// Different parameters: requantization, not an identity.

// CHECK-LABEL: func @keep_requantize_other_type
//       CHECK: qopt.dequantize
//       CHECK: qopt.quantize
func.func @keep_requantize_other_type(%q: tensor<4x!quant.uniform<i8:f32, 0.5>>) -> tensor<4x!quant.uniform<i8:f32, 0.25>> {
  %x = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5>> to tensor<4xf32>
  %r = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.25>>
  return %r : tensor<4x!quant.uniform<i8:f32, 0.25>>
}

// -----

// dequantize(quantize(x)) rounds x and is never folded.

// CHECK-LABEL: func @keep_dequantize_quantize
//       CHECK: qopt.quantize
//       CHECK: qopt.dequantize
func.func @keep_dequantize_quantize(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5>>
  %y = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5>> to tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Unused quantization ops are pure and go away.

// CHECK-LABEL: func @dead_ops
//   CHECK-NOT: qopt.
//       CHECK: return
func.func @dead_ops(%x: tensor<4xf32>) {
  %q = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5>>
  %y = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5>> to tensor<4xf32>
  %c = qopt.cast %y : tensor<4xf32> to tensor<4xbf16>
  return
}
