// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-math-approximations))' | FileCheck %s
// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-math-approximations{ops=exp}))' \
// RUN:   | FileCheck %s --check-prefix=ONLY-EXP

// The default set becomes plain arithmetic, scalar and vector alike.
// CHECK-LABEL: func.func @defaults
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.log
// CHECK: arith.mulf
// CHECK: return
// ONLY-EXP-LABEL: func.func @defaults
// ONLY-EXP: math.erf
// ONLY-EXP-NOT: math.exp
// ONLY-EXP: math.tanh
// ONLY-EXP: math.log
func.func @defaults(%x: f32, %v: vector<8xf32>) -> (f32, vector<8xf32>, f32, f32) {
  %e = math.erf %x : f32
  %p = math.exp %v : vector<8xf32>
  %t = math.tanh %x : f32
  %l = math.log %x : f32
  return %e, %p, %t, %l : f32, vector<8xf32>, f32, f32
}

// -----

// Left to libm: trigonometry (the approximations are not accurate over the
// whole range) and f64.
// CHECK-LABEL: func.func @kept
// CHECK: math.sin
// CHECK: math.exp %{{.*}} : f64
func.func @kept(%x: f32, %d: f64) -> (f32, f64) {
  %s = math.sin %x : f32
  %e = math.exp %d : f64
  return %s, %e : f32, f64
}
