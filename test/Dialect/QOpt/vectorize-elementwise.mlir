// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-vectorize-elementwise))' | FileCheck %s

// A bias add over [1, 32, 64] f32: loops over the outer dims and 8-lane
// steps of the innermost, whose body reads, adds and writes vectors (the
// bias row read once per step, broadcast).
// CHECK-LABEL: func.func @bias_add
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C8:.*]] {
// CHECK: vector.transfer_read {{.*}} vector<8xf32>
// CHECK: vector.transfer_read {{.*}} vector<8xf32>
// CHECK: arith.addf {{.*}} : vector<8xf32>
// CHECK: vector.transfer_write {{.*}} : vector<8xf32>
// CHECK-NOT: linalg.generic
func.func @bias_add(%a: memref<1x32x64xf32>, %b: memref<1x1x64xf32>, %c: memref<1x32x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (0, 0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
    ins(%a, %b : memref<1x32x64xf32>, memref<1x1x64xf32>) outs(%c : memref<1x32x64xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// int8 quantization of 16 values a row: the f32 operand sets 8 lanes.
// CHECK-LABEL: func.func @quantize
// CHECK: arith.fptosi {{.*}} : vector<8xf32> to vector<8xi8>
func.func @quantize(%a: memref<4x16xf32>, %q: memref<4x16xi8>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%a : memref<4x16xf32>) outs(%q : memref<4x16xi8>) {
  ^bb0(%x: f32, %o: i8):
    %r = math.roundeven %x : f32
    %i = arith.fptosi %r : f32 to i8
    linalg.yield %i : i8
  }
  return
}

// -----

// A reduction along the innermost dimension (the max of a softmax row) is
// vectorised whole: one 16-lane read per row, one horizontal reduction
// combined with the row's output once, which then lives in a register, not
// in memory.
// CHECK-LABEL: func.func @row_max
// CHECK: scf.for
// CHECK: %[[V:.*]] = vector.transfer_read {{.*}} vector<16xf32>
// CHECK: %[[R:.*]] = vector.transfer_read {{.*}} vector<1xf32>
// CHECK: %[[O:.*]] = vector.extract %[[R]][0]
// CHECK: vector.reduction <maximumf>, %[[V]], %[[O]] : vector<16xf32> into f32
// CHECK-NOT: linalg.generic
func.func @row_max(%a: memref<4x16xf32>, %r: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
    ins(%a : memref<4x16xf32>) outs(%r : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.maximumf %x, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A sum whose add may be reassociated (qopt-reassociate-reductions grants
// it) keeps the grant on its horizontal reduction, which LLVM then computes
// as a tree of vector adds; an ordered sum stays ordered (a chain of
// scalar adds).
// CHECK-LABEL: func.func @row_sums
// CHECK: vector.reduction <add>, %{{[^ ]+}}, %{{[^ ]+}} fastmath<reassoc> : vector<64xf32> into f32
// CHECK-NOT: fastmath
// CHECK: vector.reduction <add>, %{{[^ ]+}}, %{{[^ ]+}} : vector<64xf32> into f32
// CHECK-NOT: fastmath
// CHECK: return
func.func @row_sums(%a: memref<4x64xf32>, %r: memref<4xf32>, %r2: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
    ins(%a : memref<4x64xf32>) outs(%r : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o fastmath<reassoc> : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
    ins(%a : memref<4x64xf32>) outs(%r2 : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left as they are: a reduction longer than 512 (vectorised whole it would
// not fit the registers), an innermost size that 8 lanes do not divide, a
// fill (constant yield), index arithmetic, and tensors.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: vector.
// CHECK-COUNT-4: linalg.generic
// CHECK: return
func.func @kept(%a: memref<4x16xf32>, %r: memref<4xf32>, %b: memref<4x10xf32>, %c: memref<4x10xf32>, %t: tensor<4x16xf32>, %long: memref<2x1024xf32>, %r2: memref<2xf32>) -> tensor<4x16xf32> {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
    ins(%long : memref<2x1024xf32>) outs(%r2 : memref<2xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%b : memref<4x10xf32>) outs(%c : memref<4x10xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.mulf %x, %x : f32
    linalg.yield %s : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%a : memref<4x16xf32>) outs(%a : memref<4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %zero : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%a : memref<4x16xf32>) outs(%a : memref<4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %i = linalg.index 1 : index
    %j = arith.index_cast %i : index to i32
    %f = arith.sitofp %j : i32 to f32
    linalg.yield %f : f32
  }
  %e = tensor.empty() : tensor<4x16xf32>
  %u = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%t : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.mulf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %u : tensor<4x16xf32>
}
