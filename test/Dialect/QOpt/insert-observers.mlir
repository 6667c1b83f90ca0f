// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-insert-observers))' | FileCheck %s

// The activations of the ops qopt-insert-qdq quantizes become extra
// results named after their nodes; one node making two ops gets "#1" for
// the second. A product of two activations is not observed.
// CHECK-LABEL: func.func @graph
// CHECK-SAME: -> (tensor<1x4x3xf32> {onnx.name = "y"}, tensor<1x4x2xf32> {onnx.elem_type = 1 : i32, onnx.name = "qopt.observe:lin"}, tensor<1x4x2xf32> {onnx.elem_type = 1 : i32, onnx.name = "qopt.observe:lin#1"})
// CHECK: %[[R:.*]] = math.tanh %arg0
// CHECK: return %{{.*}}, %arg0, %[[R]] :
func.func @graph(%x: tensor<1x4x2xf32>, %v: tensor<1x2x3xf32>) -> (tensor<1x4x3xf32> {onnx.name = "y"}) {
  %w = arith.constant dense<1.0> : tensor<1x2x3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = tosa.matmul %x, %w, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32> loc(fused<"onnx.Gemm">["lin"("m.onnx":0:0)])
  %r = math.tanh %x : tensor<1x4x2xf32>
  %b = tosa.matmul %r, %w, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32> loc(fused<"onnx.Gemm">["lin"("m.onnx":0:0)])
  %c = tosa.matmul %x, %v, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  %s = tosa.add %a, %b : (tensor<1x4x3xf32>, tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  %y = tosa.add %s, %c : (tensor<1x4x3xf32>, tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  return %y : tensor<1x4x3xf32>
}

// -----

// Nothing to observe: the function is unchanged.
// CHECK-LABEL: func.func @nothing
// CHECK-SAME: -> tensor<2xf32>
func.func @nothing(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
