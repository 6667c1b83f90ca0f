// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-fold-add-into-contraction))' | FileCheck %s

// MatMul + bias as imported: a batched product, the collapse to [M, N],
// then the bias broadcast along M. The product starts from the bias
// (broadcast, then expanded back to the product's shape); the add is gone.
// CHECK-LABEL: func.func @bias_through_collapse
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x3xf32>, %[[W:.*]]: tensor<1x3x2xf32>, %[[B:.*]]: tensor<2xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x2xf32>
// CHECK: %[[BC:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<2xf32>) outs(%[[E]] : tensor<4x2xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]]
// CHECK: %[[INIT:.*]] = tensor.expand_shape %[[BC]] {{\[\[}}0, 1], [2]] output_shape [1, 4, 2]
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[INIT]] : tensor<1x4x2xf32>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[P]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[C]]
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#map1 = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#map2 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @bias_through_collapse(%x: tensor<1x4x3xf32>, %w: tensor<1x3x2xf32>, %b: tensor<2xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x2xf32>) -> tensor<1x4x2xf32>
  %p = linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%x, %w : tensor<1x4x3xf32>, tensor<1x3x2xf32>) outs(%z : tensor<1x4x2xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x4x2xf32>
  %c = tensor.collapse_shape %p [[0, 1], [2]] : tensor<1x4x2xf32> into tensor<4x2xf32>
  %e2 = tensor.empty() : tensor<4x2xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%c, %b : tensor<4x2xf32>, tensor<2xf32>) outs(%e2 : tensor<4x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A residual read whole, added on the left, to a named matmul, and read
// by nothing else: it becomes the product's initial value as it is (no
// copy).
// CHECK-LABEL: func.func @residual_whole
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %[[W:.*]]: tensor<3x2xf32>, %[[R:.*]]: tensor<4x2xf32>)
// CHECK: %[[N:.*]] = linalg.generic {{.*}} ins(%[[R]] : tensor<4x2xf32>)
// CHECK: %[[P:.*]] = linalg.matmul ins(%[[X]], %[[W]] : {{.*}}) outs(%[[N]] : tensor<4x2xf32>)
// CHECK-NEXT: return %[[P]]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @residual_whole(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>, %r: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%r : tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.negf %a : f32
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %p = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%n, %p : tensor<4x2xf32>, tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A residual that another op also reads (or a function argument, which
// the caller owns): the product accumulates in a copy of it (alloc_tensor
// copy), not in the residual itself.
// CHECK-LABEL: func.func @residual_shared
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %[[W:.*]]: tensor<3x2xf32>, %[[R:.*]]: tensor<4x2xf32>)
// CHECK: %[[N:.*]] = linalg.generic {{.*}} ins(%[[R]] : tensor<4x2xf32>)
// CHECK: %[[C:.*]] = bufferization.alloc_tensor() copy(%[[N]]) : tensor<4x2xf32>
// CHECK-NEXT: %[[P:.*]] = linalg.matmul ins(%[[X]], %[[W]] : {{.*}}) outs(%[[C]] : tensor<4x2xf32>)
// CHECK-NEXT: return %[[P]], %[[N]]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @residual_shared(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>, %r: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%r : tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.negf %a : f32
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %p = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%p, %n : tensor<4x2xf32>, tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %y, %n : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// Bias and activation fused in one generic (tanh(p + b)): the product
// starts from the bias, and the generic keeps only the activation (the
// bias input stays, unused, for canonicalization to drop).
// CHECK-LABEL: func.func @bias_then_activation
// CHECK: %[[BC:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<2xf32>)
// CHECK: %[[P:.*]] = linalg.matmul ins(%arg0, %arg1 : {{.*}}) outs(%[[BC]] : tensor<4x2xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[P]], %arg2 : tensor<4x2xf32>, tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[T:.*]] = math.tanh %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[T]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @bias_then_activation(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>, %b: tensor<2xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %p = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%p, %b : tensor<4x2xf32>, tensor<2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  } -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Not folded: the product starts from 1, not 0; the product has a second
// use; the addend is defined after the product; the body subtracts; the
// product's value is used twice in the body.
// CHECK-LABEL: func.func @not_folded
// CHECK: %[[Z:.*]] = linalg.fill
// CHECK: %[[O:.*]] = linalg.fill
// CHECK: linalg.matmul {{.*}} outs(%[[O]] : tensor<4x2xf32>)
// CHECK: arith.addf
// CHECK: linalg.matmul {{.*}} outs(%[[Z]] : tensor<4x2xf32>)
// CHECK: arith.addf
// CHECK: linalg.matmul {{.*}} outs(%[[Z]] : tensor<4x2xf32>)
// CHECK: arith.negf
// CHECK: arith.addf
// CHECK: linalg.matmul {{.*}} outs(%[[Z]] : tensor<4x2xf32>)
// CHECK: arith.subf
// CHECK: linalg.matmul {{.*}} outs(%[[Z]] : tensor<4x2xf32>)
// CHECK: arith.addf
// CHECK: arith.addf
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @not_folded(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>, %b: tensor<2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %o = linalg.fill ins(%one : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %p1 = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%o : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y1 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%p1, %b : tensor<4x2xf32>, tensor<2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %out: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  %p2 = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y2 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%p2, %b : tensor<4x2xf32>, tensor<2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %out: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  %p3 = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  %late = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%y1 : tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %out: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<4x2xf32>
  %y3 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%p3, %late : tensor<4x2xf32>, tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %out: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  %p4 = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y4 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%p4, %b : tensor<4x2xf32>, tensor<2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %out: f32):
    %s = arith.subf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  %p5 = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y5 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%p5, %b : tensor<4x2xf32>, tensor<2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %bb: f32, %out: f32):
    %s = arith.addf %a, %bb : f32
    %t = arith.addf %s, %a : f32
    linalg.yield %t : f32
  } -> tensor<4x2xf32>
  return %y1, %y2, %p2, %y3, %y4, %y5 : tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>
}
