// RUN: qopt-opt %s --qopt-fold-casts --split-input-file | FileCheck %s

// A widening cast moves down through a reshape and meets the narrowing cast
// after it: the bf16 value flows through unchanged.

// CHECK-LABEL: func @meet_through_reshape
//  CHECK-SAME: (%[[X:.*]]: tensor<2x3xbf16>)
//   CHECK-NOT: qopt.cast
//       CHECK: %[[R:.*]] = tosa.reshape %[[X]], %{{.*}} : (tensor<2x3xbf16>, !tosa.shape<1>) -> tensor<6xbf16>
//       CHECK: return %[[R]]
func.func @meet_through_reshape(%x: tensor<2x3xbf16>) -> tensor<6xbf16> {
  %s = tosa.const_shape {values = dense<[6]> : tensor<1xindex>} : () -> !tosa.shape<1>
  %w = qopt.cast %x : tensor<2x3xbf16> to tensor<2x3xf32>
  %r = tosa.reshape %w, %s : (tensor<2x3xf32>, !tosa.shape<1>) -> tensor<6xf32>
  %n = qopt.cast %r : tensor<6xf32> to tensor<6xbf16>
  return %n : tensor<6xbf16>
}

// -----

// A narrowing cast moves up through a transpose to a constant and folds:
// the weight is converted to bf16 at compile time.

// CHECK-LABEL: func @weight_through_transpose
//   CHECK-NOT: qopt.cast
//       CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xbf16>
//       CHECK: %[[T:.*]] = tosa.transpose %[[C]] {perms = array<i32: 1, 0>} : (tensor<2x2xbf16>) -> tensor<2x2xbf16>
//   CHECK-NOT: qopt.cast
//       CHECK: return %[[T]]
func.func @weight_through_transpose() -> tensor<2x2xbf16> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %t = tosa.transpose %w {perms = array<i32: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %n = qopt.cast %t : tensor<2x2xf32> to tensor<2x2xbf16>
  %k = tosa.transpose %n {perms = array<i32: 0, 1>} : (tensor<2x2xbf16>) -> tensor<2x2xbf16>
  return %k : tensor<2x2xbf16>
}

// -----

// Negative: a lossy round trip through a layout op stays (f32 -> bf16
// rounds), and a layout op with other users does not move.

// CHECK-LABEL: func @lossy_stays
//       CHECK: qopt.cast %{{.*}} : tensor<4xf32> to tensor<4xbf16>
//       CHECK: qopt.cast %{{.*}} : tensor<4xbf16> to tensor<4xf32>
func.func @lossy_stays(%x: tensor<4xf32>) -> tensor<4xf32> {
  %n = qopt.cast %x : tensor<4xf32> to tensor<4xbf16>
  %r = tosa.reverse %n {axis = 0 : i32} : (tensor<4xbf16>) -> tensor<4xbf16>
  %w = qopt.cast %r : tensor<4xbf16> to tensor<4xf32>
  return %w : tensor<4xf32>
}

// CHECK-LABEL: func @shared_layout_op
//       CHECK: %[[T:.*]] = tosa.transpose %{{.*}} -> tensor<2x2xf32>
//       CHECK: qopt.cast %[[T]] : tensor<2x2xf32> to tensor<2x2xbf16>
//       CHECK: return
func.func @shared_layout_op(%x: tensor<2x2xf32>) -> (tensor<2x2xbf16>, tensor<2x2xf32>) {
  %t = tosa.transpose %x {perms = array<i32: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %n = qopt.cast %t : tensor<2x2xf32> to tensor<2x2xbf16>
  return %n, %t : tensor<2x2xbf16>, tensor<2x2xf32>
}

// -----

// Weights stored as dense_resource blobs are converted at compile time too.

// CHECK-LABEL: func @resource_weight
//   CHECK-NOT: qopt.cast
//       CHECK: arith.constant dense_resource<w_bf16> : tensor<2xbf16>
// CHECK: w_bf16: "0x08000000803F0040"
func.func @resource_weight() -> tensor<2xbf16> {
  %w = arith.constant dense_resource<w> : tensor<2xf32>
  %n = qopt.cast %w : tensor<2xf32> to tensor<2xbf16>
  return %n : tensor<2xbf16>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F00000040"
    }
  }
#-}
