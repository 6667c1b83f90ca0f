//===- Passes.td - qopt transformation passes --------------*- tablegen -*-===//
#ifndef QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD
#define QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldCasts : Pass<"qopt-fold-casts", "func::FuncOp"> {
  let summary = "Cancel precision casts that compose to identity";
  let description = [{
    Removes `qopt.cast` ops that change nothing: casts to the same type,
    round trips through a wider type (`bf16 -> f32 -> bf16` is exact and
    disappears), and chains whose first step is exact (`f16 -> f32 -> bf16`
    becomes `f16 -> bf16`). Casts of constants are evaluated at compile time.
    A lossy round trip (`f32 -> bf16 -> f32`) is never removed.

    ```mlir
    %0 = qopt.cast %x : tensor<4xbf16> to tensor<4xf32>
    %1 = qopt.cast %0 : tensor<4xf32> to tensor<4xbf16>
    // becomes %x
    ```
  }];
  let dependentDialects = ["::mlir::qopt::QOptDialect"];
}

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD
