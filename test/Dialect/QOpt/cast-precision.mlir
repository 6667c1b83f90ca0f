// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-cast-precision{to=bf16}))' | FileCheck %s
// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-cast-precision{to=f16}))' | FileCheck %s --check-prefix=F16
// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-cast-precision{to=bf16 keep-f32=Gemm}))' | FileCheck %s --check-prefix=KEEP-TYPE
// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qopt-cast-precision{to=bf16 keep-f32=node:fc1}))' | FileCheck %s --check-prefix=KEEP-NODE

#gemm = loc(fused<"onnx.Gemm">["fc1"("m.onnx":0:0)])
#softmax = loc(fused<"onnx.Softmax">["sm"("m.onnx":0:0)])

// A matrix product runs on bf16 operands with an f32 result (f32
// accumulation); a Softmax's ops stay f32.

// CHECK-LABEL: func @matmul_then_softmax
//       CHECK:   %[[A:.*]] = qopt.cast %{{.*}} : tensor<1x4x8xf32> to tensor<1x4x8xbf16>
//       CHECK:   %[[B:.*]] = qopt.cast %{{.*}} : tensor<1x8x2xf32> to tensor<1x8x2xbf16>
//       CHECK:   tosa.matmul %[[A]], %[[B]], {{.*}} -> tensor<1x4x2xf32>
//       CHECK:   tosa.reduce_max {{.*}} -> tensor<1x4x1xf32>
//       CHECK:   tosa.sub {{.*}} : (tensor<1x4x2xf32>, tensor<1x4x1xf32>) -> tensor<1x4x2xf32>
// F16-LABEL: func @matmul_then_softmax
//       F16:   qopt.cast %{{.*}} saturate : tensor<1x4x8xf32> to tensor<1x4x8xf16>
//       F16:   tosa.matmul {{.*}} -> tensor<1x4x2xf32>
// KEEP-TYPE-LABEL: func @matmul_then_softmax
//   KEEP-TYPE-NOT:   qopt.cast
//       KEEP-TYPE:   tosa.matmul {{.*}} : (tensor<1x4x8xf32>, tensor<1x8x2xf32>
// KEEP-NODE-LABEL: func @matmul_then_softmax
//   KEEP-NODE-NOT:   qopt.cast
//       KEEP-NODE:   tosa.matmul {{.*}} : (tensor<1x4x8xf32>, tensor<1x8x2xf32>
func.func @matmul_then_softmax(%a: tensor<1x4x8xf32>, %b: tensor<1x8x2xf32>) -> tensor<1x4x2xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x2xf32> loc(#gemm)
  %mx = tosa.reduce_max %m {axis = 2 : i32} : (tensor<1x4x2xf32>) -> tensor<1x4x1xf32> loc(#softmax)
  %s = tosa.sub %m, %mx : (tensor<1x4x2xf32>, tensor<1x4x1xf32>) -> tensor<1x4x2xf32> loc(#softmax)
  return %s : tensor<1x4x2xf32>
}

// -----

// Elementwise and layout ops run on bf16 and cast back for f32 users; the
// clamp's bounds follow the type. (The casts between them cancel in
// qopt-fold-casts.)

// CHECK-LABEL: func @relu_add
//       CHECK:   %[[S:.*]] = tosa.add {{.*}} -> tensor<2x3xbf16>
//       CHECK:   %[[R:.*]] = tosa.clamp %{{.*}} {max_val = 0x7F80 : bf16, min_val = 0.000000e+00 : bf16}
//       CHECK:   %[[T:.*]] = tosa.transpose %{{.*}} {perms = array<i32: 1, 0>} : (tensor<2x3xbf16>) -> tensor<3x2xbf16>
//       CHECK:   %[[F:.*]] = qopt.cast %[[T]] : tensor<3x2xbf16> to tensor<3x2xf32>
//       CHECK:   return %[[F]]
func.func @relu_add(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %s = tosa.add %x, %y : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %r = tosa.clamp %s {max_val = 0x7F800000 : f32, min_val = 0.0 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %t = tosa.transpose %r {perms = array<i32: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %t : tensor<3x2xf32>
}

// -----

// Negative: sensitive TOSA ops (exp, reductions) and integer ops are never
// converted, whatever their origin.

// CHECK-LABEL: func @untouched
//   CHECK-NOT:   qopt.cast
//       CHECK:   tosa.exp {{.*}} -> tensor<4xf32>
//       CHECK:   tosa.reduce_sum {{.*}} -> tensor<1xf32>
//       CHECK:   tosa.add {{.*}} -> tensor<4xi32>
func.func @untouched(%x: tensor<4xf32>, %i: tensor<4xi32>) -> (tensor<1xf32>, tensor<4xi32>) {
  %e = tosa.exp %x : (tensor<4xf32>) -> tensor<4xf32>
  %s = tosa.reduce_sum %e {axis = 0 : i32} : (tensor<4xf32>) -> tensor<1xf32>
  %a = tosa.add %i, %i : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %s, %a : tensor<1xf32>, tensor<4xi32>
}
