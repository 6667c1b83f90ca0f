// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-gpu-parallel-loops))' -split-input-file -verify-diagnostics | FileCheck %s

// A matmul whose reduction sits between its parallel dimensions (as the
// importer's batched matmuls do): one flat loop over the 64x48 outputs,
// 256 threads per block, each thread summing over k in order.
#x = affine_map<(m, k, n) -> (m, k)>
#w = affine_map<(m, k, n) -> (k, n)>
#y = affine_map<(m, k, n) -> (m, n)>
// CHECK-LABEL: func.func @matmul
// CHECK-DAG:     %[[C3072:.*]] = arith.muli %{{.*}}, %c48{{.*}} : index
// CHECK-DAG:     %[[C256:.*]] = arith.muli %{{.*}}, %c256 : index
// CHECK:         scf.parallel (%[[B:.*]]) = (%{{.*}}) to (%[[C3072]]) step (%[[C256]])
// CHECK:           scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%[[C256]])
// CHECK:             scf.if
// CHECK:               scf.for %{{.*}} = %{{.*}} to %c32
// CHECK:                 memref.load %{{.*}} : memref<64x32xf32>
// CHECK:                 memref.load %{{.*}} : memref<32x48xf32>
// CHECK:                 memref.store %{{.*}} : memref<64x48xf32>
// CHECK:           } {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK:         } {mapping = [#gpu.loop_dim_map<processor = block_x
func.func @matmul(%x: memref<64x32xf32>, %w: memref<32x48xf32>, %y: memref<64x48xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<64x32xf32>, memref<32x48xf32>) outs(%y : memref<64x48xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// No parallel dimension: the sum runs on one thread of a 32-thread block,
// never on the host.
// CHECK-LABEL: func.func @scalar_sum
// CHECK:         scf.parallel
// CHECK:           scf.parallel
// CHECK:             scf.for
// CHECK:               memref.load %{{.*}}[] : memref<f32>
// CHECK-NOT:     memref.load
// CHECK:         return
func.func @scalar_sum(%x: memref<10xf32>, %y: memref<f32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<f32>)
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>], iterator_types = ["reduction"]}
      ins(%x : memref<10xf32>) outs(%y : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// memref.copy becomes a kernel too.
// CHECK-LABEL: func.func @copy
// CHECK-NOT:     memref.copy
// CHECK:         scf.parallel
// CHECK:           memref.load %{{.*}} : memref<3x5xf32>
// CHECK:           memref.store %{{.*}} : memref<3x5xf32>
func.func @copy(%x: memref<3x5xf32>, %y: memref<3x5xf32>) {
  memref.copy %x, %y : memref<3x5xf32> to memref<3x5xf32>
  return
}

// -----

// A value read from device memory cannot feed host code.
func.func @host_use(%x: memref<4xindex>) -> index {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{a value computed from device memory is used on the host}}
  %n = memref.load %x[%c0] : memref<4xindex>
  %m = arith.addi %n, %n : index
  return %m : index
}
