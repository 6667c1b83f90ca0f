// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-gpu-parallel-loops{block-size=100}))' -verify-diagnostics

// expected-error @+1 {{block-size 100 is not a positive multiple of 32 (the warp size)}}
func.func @bad_block(%x: memref<3xf32>, %y: memref<3xf32>) {
  memref.copy %x, %y : memref<3xf32> to memref<3xf32>
  return
}
