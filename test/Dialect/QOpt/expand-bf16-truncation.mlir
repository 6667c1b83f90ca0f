// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-expand-bf16-truncation))' | FileCheck %s
// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-expand-bf16-truncation,canonicalize))' \
// RUN:   | FileCheck %s --check-prefix=FOLD

// A vector truncation: the NaN case is a select of i32 bits before the
// rounding, and the result is the high half of the biased bits, bitcast to
// bf16 (no select after the truncation).
// CHECK-LABEL: func.func @vector
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : vector<8xf32> to vector<8xi32>
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[IN:.*]], %[[IN]] : vector<8xf32>
// CHECK: %[[SEL:.*]] = arith.select %[[NAN]], %{{.*}}, %[[BITS]] : vector<8xi1>, vector<8xi32>
// CHECK: arith.shrui %[[SEL]]
// CHECK: %[[HIGH:.*]] = arith.trunci %{{.*}} : vector<8xi32> to vector<8xi16>
// CHECK-NEXT: arith.bitcast %[[HIGH]] : vector<8xi16> to vector<8xbf16>
// CHECK-NOT: arith.truncf
func.func @vector(%x: vector<8xf32>) -> vector<8xbf16> {
  %t = arith.truncf %x : vector<8xf32> to vector<8xbf16>
  return %t : vector<8xbf16>
}

// -----

// The bits it produces, folded from scalar constants (f32 bits in, bf16
// bits out; upstream folds no vector cmpf): 1.0; a tie to the even
// 0x3F80; a tie to the even 0x3F82; just above a tie; +inf; the largest
// float, which rounds to +inf; a NaN with every payload bit (not carried
// into the sign); a signalling NaN made quiet; a negative quiet NaN; -0.0;
// minus the largest float; the smallest denormal, which rounds to +0; a
// signalling NaN with a high payload.
// FOLD-LABEL: func.func @values
// FOLD-NOT: arith.truncf
// FOLD: return %c16256_i16, %c16256_i16, %c16258_i16, %c16257_i16, %c32640_i16, %c32640_i16, %c32767_i16, %c32704_i16, %c-64_i16, %c-32768_i16, %c-128_i16, %c0_i16, %c32767_i16 :
func.func @values() -> (i16, i16, i16, i16, i16, i16, i16, i16, i16, i16, i16, i16, i16) {
  %b0 = arith.constant 0x3F800000 : i32
  %f0 = arith.bitcast %b0 : i32 to f32
  %t0 = arith.truncf %f0 : f32 to bf16
  %r0 = arith.bitcast %t0 : bf16 to i16
  %b1 = arith.constant 0x3F808000 : i32
  %f1 = arith.bitcast %b1 : i32 to f32
  %t1 = arith.truncf %f1 : f32 to bf16
  %r1 = arith.bitcast %t1 : bf16 to i16
  %b2 = arith.constant 0x3F818000 : i32
  %f2 = arith.bitcast %b2 : i32 to f32
  %t2 = arith.truncf %f2 : f32 to bf16
  %r2 = arith.bitcast %t2 : bf16 to i16
  %b3 = arith.constant 0x3F808001 : i32
  %f3 = arith.bitcast %b3 : i32 to f32
  %t3 = arith.truncf %f3 : f32 to bf16
  %r3 = arith.bitcast %t3 : bf16 to i16
  %b4 = arith.constant 0x7F800000 : i32
  %f4 = arith.bitcast %b4 : i32 to f32
  %t4 = arith.truncf %f4 : f32 to bf16
  %r4 = arith.bitcast %t4 : bf16 to i16
  %b5 = arith.constant 0x7F7FFFFF : i32
  %f5 = arith.bitcast %b5 : i32 to f32
  %t5 = arith.truncf %f5 : f32 to bf16
  %r5 = arith.bitcast %t5 : bf16 to i16
  %b6 = arith.constant 0x7FFFFFFF : i32
  %f6 = arith.bitcast %b6 : i32 to f32
  %t6 = arith.truncf %f6 : f32 to bf16
  %r6 = arith.bitcast %t6 : bf16 to i16
  %b7 = arith.constant 0x7F800001 : i32
  %f7 = arith.bitcast %b7 : i32 to f32
  %t7 = arith.truncf %f7 : f32 to bf16
  %r7 = arith.bitcast %t7 : bf16 to i16
  %b8 = arith.constant 0xFFC00001 : i32
  %f8 = arith.bitcast %b8 : i32 to f32
  %t8 = arith.truncf %f8 : f32 to bf16
  %r8 = arith.bitcast %t8 : bf16 to i16
  %b9 = arith.constant 0x80000000 : i32
  %f9 = arith.bitcast %b9 : i32 to f32
  %t9 = arith.truncf %f9 : f32 to bf16
  %r9 = arith.bitcast %t9 : bf16 to i16
  %b10 = arith.constant 0xFF7FFFFF : i32
  %f10 = arith.bitcast %b10 : i32 to f32
  %t10 = arith.truncf %f10 : f32 to bf16
  %r10 = arith.bitcast %t10 : bf16 to i16
  %b11 = arith.constant 0x00000001 : i32
  %f11 = arith.bitcast %b11 : i32 to f32
  %t11 = arith.truncf %f11 : f32 to bf16
  %r11 = arith.bitcast %t11 : bf16 to i16
  %b12 = arith.constant 0x7FBFFFFF : i32
  %f12 = arith.bitcast %b12 : i32 to f32
  %t12 = arith.truncf %f12 : f32 to bf16
  %r12 = arith.bitcast %t12 : bf16 to i16
  return %r0, %r1, %r2, %r3, %r4, %r5, %r6, %r7, %r8, %r9, %r10, %r11, %r12 : i16, i16, i16, i16, i16, i16, i16, i16, i16, i16, i16, i16, i16
}

// -----

// Scalars too; left alone: other rounding modes, other types, tensors.
// CHECK-LABEL: func.func @scalar_and_kept
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.bitcast %{{.*}} : i16 to bf16
// CHECK: arith.truncf %{{.*}} to_nearest_away : f32 to bf16
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: arith.truncf %{{.*}} : f64 to bf16
// CHECK: arith.truncf %{{.*}} : tensor<4xf32> to tensor<4xbf16>
func.func @scalar_and_kept(%x: f32, %d: f64, %t: tensor<4xf32>) -> (bf16, bf16, f16, bf16, tensor<4xbf16>) {
  %a = arith.truncf %x : f32 to bf16
  %b = arith.truncf %x to_nearest_away : f32 to bf16
  %c = arith.truncf %x : f32 to f16
  %e = arith.truncf %d : f64 to bf16
  %f = arith.truncf %t : tensor<4xf32> to tensor<4xbf16>
  return %a, %b, %c, %e, %f : bf16, bf16, f16, bf16, tensor<4xbf16>
}
