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

def QOpt_PackedInt4 : RankedTensorOf<[I8]>;

def QOpt_MatMulNBitsOp : QOpt_Op<"matmul_nbits", [Pure]> {
  let summary = "Matrix product with 4-bit weights decoded as they are read";
  let description = [{
    `y[..., n] = sum_k x[..., k] * w(n, k)` over `k < K` (the `k`
    attribute), where the weights are stored in onnxruntime's MatMulNBits
    layout and never expanded: `weights` is `N x blocks x group/2` bytes,
    one block of `group` (a power of two, at least 16) consecutive inputs
    per row, element 2i of a block in the low nibble of byte i and 2i + 1 in
    the high nibble; K is padded to whole blocks. `scales` is `N x blocks`.

    The `format` attribute says how a code q in 0..15 decodes:
    - `symmetric`:  `(q - 8) * scale` (no `zeros` operand);
    - `asymmetric`: `(q - z) * scale`, with `zeros` `N x ceil(blocks/2)`
      bytes holding block 2j's z in the low nibble and 2j + 1's in the high;
    - `nf4`:        `nf4[q] * scale`, the 16-value normal-float codebook of
      QLoRA (no `zeros`).

    `activations = "int8"` lets a matrix-vector product (at most 4 rows of
    x) read x quantized to int8 per group of inputs (scale max|x| / 127), so that
    its dot products run on integer multiply-adds, as llama.cpp's Q4 x Q8
    and onnxruntime's `accuracy_level` 4 do; the default `"f32"` reads x
    as it is.

    The CPU pipeline runs it on the runtime's kernel, which decodes in
    registers; elsewhere it lowers to a `linalg.generic` that decodes inside
    the reduction (f32 activations).

    ```mlir
    %y = qopt.matmul_nbits %x, %w, %s {format = "symmetric", group = 32 : i64, k = 64 : i64}
        : (tensor<1x4x64xf32>, tensor<16x2x16xi8>, tensor<16x2xf32>) -> tensor<1x4x16xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, QOpt_PackedInt4:$weights,
                       RankedTensorOf<[F32]>:$scales,
                       Optional<QOpt_PackedInt4>:$zeros, I64Attr:$k,
                       I64Attr:$group, StrAttr:$format,
                       DefaultValuedStrAttr<StrAttr, "f32">:$activations);
  let results = (outs RankedTensorOf<[F32]>:$output);
  let assemblyFormat = [{
    $input `,` $weights `,` $scales (`,` $zeros^)? attr-dict `:`
    `(` type($input) `,` type($weights) `,` type($scales) (`,` type($zeros)^)? `)`
    `->` type($output)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getN() { return getScales().getType().getDimSize(0); }
    int64_t getBlocks() { return getScales().getType().getDimSize(1); }
  }];
}

#endif // QOPT_DIALECT_QOPT_IR_QOPTOPS_TD
