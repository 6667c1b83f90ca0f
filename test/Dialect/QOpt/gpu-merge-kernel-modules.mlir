// RUN: qopt-opt %s --qopt-gpu-merge-kernel-modules -split-input-file -verify-diagnostics | FileCheck %s

// Outlined kernels of the same name end up in one module, each named
// after the module it came from; launches follow them.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK:         gpu.launch_func @k::@k blocks
// CHECK:         gpu.launch_func @k::@k_0 blocks
// CHECK:       gpu.module @k {
// CHECK:         gpu.func @k(
// CHECK:         gpu.func @k_0(
// CHECK-NOT:   gpu.module
module attributes {gpu.container_module} {
  func.func @graph(%x: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @k_0::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }
  gpu.module @k {
    gpu.func @k(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @k_0 {
    gpu.func @k(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// A loop left on the host would read device memory there.
module attributes {gpu.container_module} {
  func.func @unmapped(%x: memref<4xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    // expected-error @+1 {{this op would run on the host against device memory}}
    scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
      %v = memref.load %x[%i] : memref<4xf32>
      memref.store %v, %x[%i] : memref<4xf32>
      scf.reduce
    }
    return
  }
}
