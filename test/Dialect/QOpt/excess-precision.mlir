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

// A chain across blocks (the pass runs on lowered loops): the loop-carried
// sum is a block argument, read widened once per iteration and rounded
// once, for the branch back.
// CHECK-LABEL: func.func @across_blocks
// CHECK: ^bb1(%[[ACC:.*]]: bf16):
// CHECK: %[[W:.*]] = arith.extf %[[ACC]] : bf16 to f32
// CHECK: %[[S:.*]] = arith.addf %[[W]], %{{.*}} : f32
// CHECK: %[[P:.*]] = arith.mulf %[[S]], %[[S]] : f32
// CHECK: %[[R:.*]] = arith.truncf %[[P]] : f32 to bf16
// CHECK: cf.cond_br %{{.*}}, ^bb1(%[[R]] : bf16), ^bb2
func.func @across_blocks(%x: bf16, %n: i1) -> bf16 {
  cf.br ^bb1(%x : bf16)
^bb1(%acc: bf16):
  %s = arith.addf %acc, %x : bf16
  %p = arith.mulf %s, %s : bf16
  cf.cond_br %n, ^bb1(%p : bf16), ^bb2
^bb2:
  return %p : bf16
}

// -----

// A user listed before its definition's block (which dominates it): the
// IR stays valid; the user reads the value rounded once.
// CHECK-LABEL: func.func @user_listed_first
// CHECK: ^bb1:
// CHECK: arith.mulf %[[W:.*]], %[[W]] : f32
// CHECK: ^bb2:
// CHECK: %[[S:.*]] = arith.addf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: %[[R:.*]] = arith.truncf %[[S]] : f32 to bf16
// CHECK-NEXT: %[[W]] = arith.extf %[[R]] : bf16 to f32
func.func @user_listed_first(%x: bf16) -> bf16 {
  cf.br ^bb2
^bb1:
  %q = arith.mulf %p, %p : bf16
  return %q : bf16
^bb2:
  %p = arith.addf %x, %x : bf16
  cf.br ^bb1
}

// -----

// Kept: a select between loaded values (no arithmetic) stays a bit select
// on bf16; tensors (the pass runs on lowered loops).
// CHECK-LABEL: func.func @kept_select_and_tensors
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<8xi1>, vector<8xbf16>
// CHECK: arith.addf %{{.*}}, %{{.*}} : tensor<4xbf16>
// CHECK-NOT: arith.extf
func.func @kept_select_and_tensors(%c: vector<8xi1>, %a: vector<8xbf16>, %b: vector<8xbf16>, %t: tensor<4xbf16>) -> (vector<8xbf16>, tensor<4xbf16>) {
  %s = arith.select %c, %a, %b : vector<8xi1>, vector<8xbf16>
  %u = arith.addf %t, %t : tensor<4xbf16>
  return %s, %u : vector<8xbf16>, tensor<4xbf16>
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
