//===- QOptOps.td - qopt operations ------------------------*- tablegen -*-===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTOPS_TD
#define QOPT_DIALECT_QOPT_IR_QOPTOPS_TD

include "qopt/Dialect/QOpt/IR/QOptDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Dialect/Quant/IR/QuantBase.td"

def QOpt_FloatTensor : RankedTensorOf<[F16, BF16, F32]>;
def QOpt_QuantizedTensor : RankedTensorOf<[quant_QuantizedType]>;

def QOpt_CastOp : QOpt_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "Floating-point precision cast among f32, f16 and bf16";
  let description = [{
    Converts each element to the result's floating-point type, rounding to
    nearest even when the result is narrower. Values beyond the range of a
    narrower type become infinities, as in IEEE 754; the precision passes
    decide where that is acceptable.

    Folding: a cast to the same type is its operand; a cast of a cast folds
    to the original value when the inner cast widened (f16->f32->f16 and
    bf16->f32->bf16 are exact) and to a single cast otherwise only when the
    intermediate type is at least as wide as both ends; a cast of a constant
    is a constant of the result type, converted at compile time.

    With `saturate`, values beyond the result type's range (infinities
    included) become its largest finite value of the same sign instead of
    infinities (f16 has a range of only +-65504); NaN stays NaN.

    ```mlir
    %0 = qopt.cast %x : tensor<4xf32> to tensor<4xbf16>
    %1 = qopt.cast %x saturate : tensor<4xf32> to tensor<4xf16>
    ```
  }];
  let arguments = (ins QOpt_FloatTensor:$input, UnitAttr:$saturate);
  let results = (outs QOpt_FloatTensor:$output);
  let assemblyFormat =
      "$input (`saturate` $saturate^)? attr-dict `:` type($input) `to` type($output)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def QOpt_QuantizeOp : QOpt_Op<"quantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "Quantize floats to a uniform quantized type (ONNX rounding)";
  let description = [{
    `q = clamp(round_half_to_even(x / scale) + zero_point, qmin, qmax)` with
    the scale, zero point and storage range of the result's
    `!quant.uniform` element type, per tensor or per axis. The result's
    expressed type must be the operand's element type.

    ```mlir
    %q = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5:-3>>
    ```
  }];
  let arguments = (ins QOpt_FloatTensor:$input);
  let results = (outs QOpt_QuantizedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($output)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def QOpt_DequantizeOp : QOpt_Op<"dequantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "Dequantize a uniform quantized tensor to floats";
  let description = [{
    `x = (q - zero_point) * scale`, per tensor or per axis, with the
    parameters of the operand's `!quant.uniform` element type. The result's
    element type must be the operand's expressed type.

    ```mlir
    %x = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5:-3>> to tensor<4xf32>
    ```
  }];
  let arguments = (ins QOpt_QuantizedTensor:$input);
  let results = (outs QOpt_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($output)";
  let hasVerifier = 1;
}

#endif // QOPT_DIALECT_QOPT_IR_QOPTOPS_TD
