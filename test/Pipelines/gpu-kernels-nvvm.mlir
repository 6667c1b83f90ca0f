// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-gpu-parallel-loops,convert-parallel-loops-to-gpu),gpu-kernel-outlining,qopt-gpu-merge-kernel-modules,convert-scf-to-cf,nvvm-attach-target{chip=sm_90 features=+ptx80},gpu.module(convert-gpu-to-nvvm))' | FileCheck %s

// The GPU stage on a planned graph: a matmul and a bias add become two
// kernels of one NVVM module; the host function only launches them.
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#y = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#col = affine_map<(m, n) -> (n)>
// CHECK-LABEL: func.func @graph
// CHECK-NOT:     memref.load
// CHECK:         gpu.launch_func @graph_kernel::@graph_kernel blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in
// CHECK-NOT:     memref.load
// CHECK:         gpu.launch_func @graph_kernel::@graph_kernel_0 blocks in
// CHECK-NOT:     memref.load
// CHECK:         return
// CHECK:       gpu.module @graph_kernel [#nvvm.target<chip = "sm_90", features = "+ptx80">]
// CHECK:         llvm.func @graph_kernel(
// CHECK-SAME:      gpu.kernel
// CHECK-SAME:      nvvm.kernel
// CHECK-DAG:       nvvm.read.ptx.sreg.ctaid.x
// CHECK-DAG:       nvvm.read.ptx.sreg.tid.x
// CHECK:           llvm.fmul
// CHECK:           llvm.fadd
// CHECK:         llvm.func @graph_kernel_0(
// CHECK-SAME:      nvvm.kernel
func.func @graph(%x: memref<8x16xf32>, %w: memref<16x32xf32>, %b: memref<32xf32>,
                 %y: memref<8x32xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<8x16xf32>, memref<16x32xf32>) outs(%y : memref<8x32xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %p = arith.mulf %a, %c : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<32xf32>) outs(%y : memref<8x32xf32>) {
  ^bb0(%c: f32, %acc: f32):
    %s = arith.addf %acc, %c : f32
    linalg.yield %s : f32
  }
  return
}
