// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-excess-precision))' | FileCheck %s

// GELU's tail on bf16 vectors: the chain reads its operands widened once,
// computes in f32 and rounds once, for the store.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[A:.*]]: vector<8xbf16>, %[[B:.*]]: vector<8xbf16>, %[[M:.*]]: memref<8xbf16>)
// CHECK-DAG: %[[WA:.*]] = arith.extf %[[A]] : vector<8xbf16> to vector<8xf32>
// CHECK-DAG: %[[WB:.*]] = arith.extf %[[B]] : vector<8xbf16> to vector<8xf32>
// CHECK-DAG: %[[WC:.*]] = arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK: %[[P:.*]] = arith.mulf %[[WA]], %[[WB]] fastmath<contract> : vector<8xf32>
// CHECK: %[[E:.*]] = math.erf %[[P]] : vector<8xf32>
// CHECK: %[[S:.*]] = arith.addf %[[E]], %[[WC]] : vector<8xf32>
// CHECK: %[[Q:.*]] = arith.mulf %[[P]], %[[S]] : vector<8xf32>
// CHECK-NEXT: %[[R:.*]] = arith.truncf %[[Q]] : vector<8xf32> to vector<8xbf16>
// CHECK-NEXT: vector.transfer_write %[[R]], %[[M]]
// CHECK-NOT: arith.truncf
func.func @chain(%a: vector<8xbf16>, %b: vector<8xbf16>, %m: memref<8xbf16>) {
  %one = arith.constant dense<1.0> : vector<8xbf16>
  %c0 = arith.constant 0 : index
  %p = arith.mulf %a, %b fastmath<contract> : vector<8xbf16>
  %e = math.erf %p : vector<8xbf16>
  %s = arith.addf %e, %one : vector<8xbf16>
  %q = arith.mulf %p, %s : vector<8xbf16>
  vector.transfer_write %q, %m[%c0] {in_bounds = [true]} : vector<8xbf16>, memref<8xbf16>
  return
}

// -----

// A value read both by the chain and by something else: the chain takes
// the f32 value, the return its rounding. A max through compare and
// select, on f16 scalars.
// CHECK-LABEL: func.func @shared_and_select
// CHECK: %[[S:.*]] = arith.addf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: %[[RS:.*]] = arith.truncf %[[S]] : f32 to f16
// CHECK-NEXT: %[[C:.*]] = arith.cmpf ogt, %[[S]], %{{.*}} : f32
// CHECK-NEXT: %[[M:.*]] = arith.select %[[C]], %[[S]], %{{.*}} : f32
// CHECK-NEXT: %[[RM:.*]] = arith.truncf %[[M]] : f32 to f16
// CHECK-NEXT: return %[[RS]], %[[RM]] : f16, f16
func.func @shared_and_select(%a: f16, %b: f16) -> (f16, f16) {
  %s = arith.addf %a, %b : f16
  %c = arith.cmpf ogt, %s, %b : f16
  %m = arith.select %c, %s, %b : f16
  return %s, %m : f16, f16
}

// -----

// Kept: an explicit round trip through bf16 still rounds (the truncf and
// extf around the widened add stay); f32 arithmetic; math.fpowi (an
// integer operand).
// CHECK-LABEL: func.func @kept
// CHECK: %[[T:.*]] = arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[WT:.*]] = arith.extf %[[T]] : bf16 to f32
// CHECK: %[[D:.*]] = arith.addf %[[WT]], %[[WT]] : f32
// CHECK: %[[RD:.*]] = arith.truncf %[[D]] : f32 to bf16
// CHECK: arith.extf %[[RD]] : bf16 to f32
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: math.fpowi %{{.*}}, %{{.*}} : bf16, i32
func.func @kept(%x: f32, %h: bf16, %n: i32) -> (f32, f32, bf16) {
  %t = arith.truncf %x : f32 to bf16
  %d = arith.addf %t, %t : bf16
  %e = arith.extf %d : bf16 to f32
  %m = arith.mulf %x, %x : f32
  %p = math.fpowi %h, %n : bf16, i32
  return %e, %m, %p : f32, f32, bf16
}
