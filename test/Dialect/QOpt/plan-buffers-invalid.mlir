// RUN: qopt-opt %s --qopt-plan-buffers=alignment=48 -verify-diagnostics

// expected-error @below {{alignment must be a power of two}}
module {
  func.func @f(%out: memref<4xf32>) {
    return
  }
}
