//===- QOptDialect.td - The qopt dialect -------------------*- tablegen -*-===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTDIALECT_TD
#define QOPT_DIALECT_QOPT_IR_QOPTDIALECT_TD

include "mlir/IR/OpBase.td"

def QOpt_Dialect : Dialect {
  let name = "qopt";
  let cppNamespace = "::mlir::qopt";
  let summary = "Precision and quantization ops that no upstream dialect has";
  let description = [{
    The home of qopt's precision reduction and quantization. Uniform
    quantization parameters are carried by the upstream `quant` types
    (`!quant.uniform<...>`, per tensor and per axis); qopt adds the ops that
    convert into and out of them with ONNX semantics (round half to even,
    saturation to the storage range), and a precision cast whose folding
    knows which casts are exact.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect",
                           "::mlir::arith::ArithDialect"];
  let hasConstantMaterializer = 1;
}

class QOpt_Op<string mnemonic, list<Trait> traits = []>
    : Op<QOpt_Dialect, mnemonic, traits>;

#endif // QOPT_DIALECT_QOPT_IR_QOPTDIALECT_TD
