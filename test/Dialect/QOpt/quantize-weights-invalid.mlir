// RUN: qopt-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-weights{method=gptq}))'
// RUN: not qopt-opt %s \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-weights{method=awq calibration-data=%t.missing}))' \
// RUN:   2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-quantize-weights{method=hqq}))' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=METHOD
// RUN: not qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-quantize-weights{group=24}))' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=GROUP

// GPTQ and AWQ need the layer's calibration inputs.
// METHOD: error: qopt-quantize-weights: unknown method 'hqq' (rtn, nf4, gptq, awq)
// GROUP: error: qopt-quantize-weights: group 24 is not a power of two of at least 16
// MISSING: error: no calibration inputs for 'matmul'
func.func @f(%x: tensor<1x2x32xf32>) -> tensor<1x2x2xf32> {
  %w = arith.constant dense<1.0> : tensor<1x32x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error @+1 {{method=gptq needs calibration-data (qopt-compile --calibration DIR)}}
  %y = tosa.matmul %x, %w, %zp, %zp : (tensor<1x2x32xf32>, tensor<1x32x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2xf32>
  return %y : tensor<1x2x2xf32>
}
