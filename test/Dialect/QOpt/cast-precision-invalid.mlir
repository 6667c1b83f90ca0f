// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-cast-precision{to=f64}))' -verify-diagnostics

// expected-error @below {{'to' must be bf16 or f16, got 'f64'}}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
