//===- CountPrecision.td - The plugin's pass in ODS ------*- tablegen -*-===//
#ifndef QOPT_COUNT_PRECISION_TD
#define QOPT_COUNT_PRECISION_TD

include "mlir/Pass/PassBase.td"

def CountPrecision : Pass<"qopt-count-precision", "::mlir::ModuleOp"> {
  let summary = "Count ops by the element type they compute in";
  let description = [{
    Prints a table: for each element type (f32, bf16, f16, i8, ...), the
    number of ops whose first result is a tensor, memref or vector of that
    element type, and how many of them are `qopt.cast`. With `by-onnx-op`,
    also per ONNX op type, read from the location the importer gives every
    op (qopt/Dialect/QOpt/IR/NodeLocation.h). Other ops (scalars, shapes,
    ops without results) are not counted. The IR is not changed.

    ```
    qopt-count-precision: 7 ops
      type          ops  qopt.cast
      f32             5          2
      bf16            2          0
    ```
  }];
  let options = [
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "Where the table goes: a file, or - for stderr">,
    Option<"byOnnxOp", "by-onnx-op", "bool", /*default=*/"false",
           "Also count per ONNX op type and element type">,
  ];
}

#endif // QOPT_COUNT_PRECISION_TD
