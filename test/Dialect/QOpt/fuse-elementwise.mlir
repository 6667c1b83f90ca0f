// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-fuse-elementwise))' | FileCheck %s
// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(linalg-fuse-elementwise-ops))' \
// RUN:   | FileCheck %s --check-prefix=UPSTREAM

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#t = affine_map<(d0, d1, d2) -> (d0, d2, d1)>

// A computing producer (a scale) stays out of the matrix product, which
// stays a named multiply-accumulate.
// CHECK-LABEL: func.func @scale_then_matmul
// CHECK: %[[S:.*]] = linalg.generic
// CHECK: arith.mulf
// CHECK: linalg.batch_matmul ins(%[[S]], %arg1
func.func @scale_then_matmul(%a: tensor<1x4x8xf32>, %b: tensor<1x8x3xf32>) -> tensor<1x4x3xf32> {
  %c = arith.constant 0.5 : f32
  %e = tensor.empty() : tensor<1x4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a : tensor<1x4x8xf32>) outs(%e : tensor<1x4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.mulf %x, %c : f32
    linalg.yield %m : f32
  } -> tensor<1x4x8xf32>
  %z = arith.constant 0.0 : f32
  %i = tensor.empty() : tensor<1x4x3xf32>
  %f = linalg.fill ins(%z : f32) outs(%i : tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  %y = linalg.batch_matmul ins(%s, %b : tensor<1x4x8xf32>, tensor<1x8x3xf32>) outs(%f : tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  return %y : tensor<1x4x3xf32>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#t = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
#ma = affine_map<(b, m, n, k) -> (b, m, k)>
#mb = affine_map<(b, m, n, k) -> (b, k, n)>
#mc = affine_map<(b, m, n, k) -> (b, m, n)>

// A product in generic form (as reshape folding leaves named products):
// a producer that only moves data (a transpose) fuses into it, the kernel
// reading the strided layout; a computing one (a scale) does not, where
// upstream's pass fuses both.
// CHECK-LABEL: func.func @into_generic_matmul
// CHECK: %[[S:.*]] = linalg.generic {{.*}}ins(%arg2 :
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]{{.*}} ins(%arg0, %[[S]] : tensor<1x8x4xf32>, tensor<1x8x3xf32>)
// UPSTREAM-LABEL: func.func @into_generic_matmul
// UPSTREAM: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]{{.*}} ins(%arg0, %arg2 : tensor<1x8x4xf32>, tensor<1x8x3xf32>)
func.func @into_generic_matmul(%a: tensor<1x8x4xf32>, %b: tensor<1x8x3xf32>, %b2: tensor<1x8x3xf32>) -> tensor<1x4x3xf32> {
  %e = tensor.empty() : tensor<1x4x8xf32>
  %s = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a : tensor<1x8x4xf32>) outs(%e : tensor<1x4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<1x4x8xf32>
  %e2 = tensor.empty() : tensor<1x8x3xf32>
  %c = arith.constant 0.5 : f32
  %sb = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%b2 : tensor<1x8x3xf32>) outs(%e2 : tensor<1x8x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.mulf %x, %c : f32
    linalg.yield %m : f32
  } -> tensor<1x8x3xf32>
  %z = arith.constant 0.0 : f32
  %i = tensor.empty() : tensor<1x4x3xf32>
  %f = linalg.fill ins(%z : f32) outs(%i : tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  %y = linalg.generic {indexing_maps = [#ma, #mb, #mc], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%s, %sb : tensor<1x4x8xf32>, tensor<1x8x3xf32>) outs(%f : tensor<1x4x3xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %p = arith.mulf %x, %w : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3xf32>
  return %y : tensor<1x4x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Elementwise into elementwise fuses as upstream's pass does.
// CHECK-LABEL: func.func @elementwise_chain
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
func.func @elementwise_chain(%a: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %m = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.mulf %x, %x : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.addf %x, %x : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#ma = affine_map<(b, m, n, k) -> (b, m, k)>
#mb = affine_map<(b, m, n, k) -> (0, k, n)>
#mc = affine_map<(b, m, n, k) -> (b, m, n)>

// A mixed-type product (f32 by int8 widened in the body), which upstream's
// contraction check does not recognise, is kept whole too.
// CHECK-LABEL: func.func @into_mixed_matmul
// CHECK: %[[S:.*]] = linalg.generic
// CHECK: arith.select
// CHECK: linalg.generic {{.*}} ins(%[[S]], %arg1 : tensor<1x4x8xf32>, tensor<1x8x3xi8>)
func.func @into_mixed_matmul(%a: tensor<1x4x8xf32>, %w: tensor<1x8x3xi8>, %c: i1) -> tensor<1x4x3xf32> {
  %e = tensor.empty() : tensor<1x4x8xf32>
  %z = arith.constant 0.0 : f32
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a : tensor<1x4x8xf32>) outs(%e : tensor<1x4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.select %c, %x, %z : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8xf32>
  %i = tensor.empty() : tensor<1x4x3xf32>
  %f = linalg.fill ins(%z : f32) outs(%i : tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  %y = linalg.generic {indexing_maps = [#ma, #mb, #mc], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%s, %w : tensor<1x4x8xf32>, tensor<1x8x3xi8>) outs(%f : tensor<1x4x3xf32>) {
  ^bb0(%x: f32, %q: i8, %acc: f32):
    %wf = arith.sitofp %q : i8 to f32
    %p = arith.mulf %x, %wf : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3xf32>
  return %y : tensor<1x4x3xf32>
}
