//===- Passes.td - qopt conversion passes ------------------*- tablegen -*-===//
#ifndef QOPT_CONVERSION_PASSES_TD
#define QOPT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQOptToLinalg : Pass<"convert-qopt-to-linalg", "ModuleOp"> {
  let summary = "Lower qopt ops to linalg/arith/math on tensors of storage types";
  let description = [{
    Lowers `qopt.cast` to `arith.extf`/`arith.truncf`, and `qopt.quantize` /
    `qopt.dequantize` to `linalg.generic` ops computing ONNX's formulas
    (round half to even, saturation) on the storage integer type. Every
    `!quant.uniform` tensor type, including those of function signatures and
    of `quant.scast`, becomes its storage type.

    ```mlir
    %q = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5:-3>>
    // becomes
    %q = linalg.generic ... {
      %d = arith.divf %in, %scale : f32
      %r = math.roundeven %d : f32
      ... clamp to [-128, 127] ...
      %i = arith.fptosi %c : f32 to i8
    } -> tensor<4xi8>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // QOPT_CONVERSION_PASSES_TD
