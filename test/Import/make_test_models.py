#!/usr/bin/env python3
"""Writes the small ONNX models that the importer's lit tests read.

    python test/Import/make_test_models.py [OUT_DIR]   (default: Inputs/ here)

Every model is a few nodes over tiny shapes with fixed-seed weights, so the
checked-in files stay a few KB and rerunning the script reproduces them byte
for byte. Valid models pass onnx.checker; the err_* models are malformed on
purpose (unsupported ops, symbolic dims, bad payloads) and are written as raw
bytes or unchecked protos.

Each valid model is also meant to run under onnxruntime, so its numerics can
be compared end to end with `qopt-compile` + `qopt-run`; inputs named
`den*` are divisors and should be drawn away from zero.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_test_models import (  # noqa: E402
    builder, fvi as _vi, main, registry, rng as _rng)

F = TensorProto.FLOAT
MODELS, model = registry()  # name -> ModelProto (or bytes) function
_model = builder(opset=17)


def _f32(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def _unary(name, op, shape, **attrs):
    return _model(name, [helper.make_node(op, ["x"], ["y"], name=op.lower(), **attrs)],
                  [_vi("x", shape)], [_vi("y", None)])


# ---------------------------------------------------------------- MatMul ---

@model
def matmul_2d():
    w = _rng("matmul_2d").standard_normal((4, 5))
    return _model("matmul_2d", [helper.make_node("MatMul", ["a", "w"], ["y"], name="mm")],
                  [_vi("a", [3, 4])], [_vi("y", [3, 5])], [_f32("w", w)])


@model
def matmul_batched_3d_2d():
    w = _rng("matmul_batched_3d_2d").standard_normal((4, 5))
    return _model("matmul_batched_3d_2d",
                  [helper.make_node("MatMul", ["a", "w"], ["y"], name="mm")],
                  [_vi("a", [2, 3, 4])], [_vi("y", [2, 3, 5])], [_f32("w", w)])


@model
def matmul_batched_3d_3d():
    return _model("matmul_batched_3d_3d",
                  [helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")],
                  [_vi("a", [2, 3, 4]), _vi("b", [2, 4, 5])], [_vi("y", [2, 3, 5])])


@model
def matmul_broadcast_batch():
    # [2, 1, 3, 4] x [3, 4, 5] -> [2, 3, 3, 5]: both operands are tiled.
    return _model("matmul_broadcast_batch",
                  [helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")],
                  [_vi("a", [2, 1, 3, 4]), _vi("b", [3, 4, 5])], [_vi("y", [2, 3, 3, 5])])


@model
def matmul_broadcast_lhs():
    # A 2-D A against a batched B: A is tiled over B's batch.
    return _model("matmul_broadcast_lhs",
                  [helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")],
                  [_vi("a", [3, 4]), _vi("b", [2, 4, 5])], [_vi("y", [2, 3, 5])])


@model
def matmul_vec_left():
    return _model("matmul_vec_left",
                  [helper.make_node("MatMul", ["v", "b"], ["y"], name="mm")],
                  [_vi("v", [4]), _vi("b", [4, 5])], [_vi("y", [5])])


@model
def matmul_vec_right():
    return _model("matmul_vec_right",
                  [helper.make_node("MatMul", ["a", "v"], ["y"], name="mm")],
                  [_vi("a", [2, 3, 4]), _vi("v", [4])], [_vi("y", [2, 3])])


@model
def matmul_vec_vec():
    return _model("matmul_vec_vec",
                  [helper.make_node("MatMul", ["u", "v"], ["y"], name="mm")],
                  [_vi("u", [4]), _vi("v", [4])], [_vi("y", [])])


# ------------------------------------------------------------------ Gemm ---

@model
def gemm_bias_row():
    r = _rng("gemm_bias_row")
    return _model("gemm_bias_row",
                  [helper.make_node("Gemm", ["a", "w", "c"], ["y"], name="fc")],
                  [_vi("a", [3, 4])], [_vi("y", [3, 5])],
                  [_f32("w", r.standard_normal((4, 5))), _f32("c", r.standard_normal(5))])


@model
def gemm_trans_alpha_beta():
    # A^T [4,3]^T, B^T [5,4]^T, alpha 0.5, beta 2, C [3, 1] broadcast along N.
    return _model("gemm_trans_alpha_beta",
                  [helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="fc",
                                    transA=1, transB=1, alpha=0.5, beta=2.0)],
                  [_vi("a", [4, 3]), _vi("b", [5, 4]), _vi("c", [3, 1])],
                  [_vi("y", [3, 5])])


@model
def gemm_no_c():
    return _model("gemm_no_c",
                  [helper.make_node("Gemm", ["a", "b"], ["y"], name="fc", transB=1)],
                  [_vi("a", [2, 4]), _vi("b", [3, 4])], [_vi("y", [2, 3])])


@model
def gemm_c_scalar():
    return _model("gemm_c_scalar",
                  [helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="fc", beta=-1.5)],
                  [_vi("a", [2, 4]), _vi("b", [4, 3])], [_vi("y", [2, 3])],
                  [_f32("c", np.float32(0.25))])


# ----------------------------------------------------------- Elementwise ---

@model
def add_broadcast():
    return _model("add_broadcast", [helper.make_node("Add", ["x", "y"], ["z"], name="add")],
                  [_vi("x", [2, 3, 4]), _vi("y", [4])], [_vi("z", [2, 3, 4])])


@model
def sub_broadcast():
    # Both operands broadcast: [2, 1, 4] - [3, 1] -> [2, 3, 4].
    return _model("sub_broadcast", [helper.make_node("Sub", ["x", "y"], ["z"], name="sub")],
                  [_vi("x", [2, 1, 4]), _vi("y", [3, 1])], [_vi("z", [2, 3, 4])])


@model
def mul_broadcast():
    k = _rng("mul_broadcast").standard_normal((3, 1))
    return _model("mul_broadcast", [helper.make_node("Mul", ["x", "k"], ["z"], name="mul")],
                  [_vi("x", [2, 3, 4])], [_vi("z", [2, 3, 4])], [_f32("k", k)])


@model
def div_broadcast():
    return _model("div_broadcast", [helper.make_node("Div", ["x", "den"], ["z"], name="div")],
                  [_vi("x", [2, 3, 4]), _vi("den", [1, 4])], [_vi("z", [2, 3, 4])])


@model
def div_int32():
    # Integer division truncates toward zero (C semantics).
    return _model("div_int32", [helper.make_node("Div", ["x", "den"], ["z"], name="div")],
                  [_vi("x", [2, 3], TensorProto.INT32), _vi("den", [3], TensorProto.INT32)],
                  [_vi("z", [2, 3], TensorProto.INT32)])


@model
def relu():
    return _unary("relu", "Relu", [2, 3, 4])


@model
def sigmoid():
    return _unary("sigmoid", "Sigmoid", [2, 3, 4])


@model
def tanh():
    return _unary("tanh", "Tanh", [2, 3, 4])


@model
def identity():
    return _unary("identity", "Identity", [2, 3])


# --------------------------------------------------------------- Softmax ---

@model
def softmax_opset11_axis1():
    # Before opset 13: coerced to 2-D [2, 12], softmax over all of dims 1..2.
    m = _unary("softmax_opset11_axis1", "Softmax", [2, 3, 4], axis=1)
    m.opset_import[0].version = 11
    onnx.checker.check_model(m, full_check=True)
    return m


@model
def softmax_opset11_default():
    m = _unary("softmax_opset11_default", "Softmax", [2, 3, 4])
    m.opset_import[0].version = 11
    onnx.checker.check_model(m, full_check=True)
    return m


@model
def softmax_opset13_axis1():
    # From opset 13: softmax along dim 1 only.
    m = _unary("softmax_opset13_axis1", "Softmax", [2, 3, 4], axis=1)
    m.opset_import[0].version = 13
    onnx.checker.check_model(m, full_check=True)
    return m


@model
def softmax_opset13_default():
    m = _unary("softmax_opset13_default", "Softmax", [2, 3, 4])
    m.opset_import[0].version = 13
    onnx.checker.check_model(m, full_check=True)
    return m


# ----------------------------------------------------------------- Shape ---

@model
def reshape_zero_neg1():
    shape = numpy_helper.from_array(np.array([0, -1, 2], dtype=np.int64), "shape")
    return _model("reshape_zero_neg1",
                  [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
                  [_vi("x", [2, 3, 4])], [_vi("y", [2, 6, 2])], [shape])


@model
def reshape_neg1_first():
    shape = numpy_helper.from_array(np.array([-1, 4], dtype=np.int64), "shape")
    return _model("reshape_neg1_first",
                  [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
                  [_vi("x", [2, 3, 4])], [_vi("y", [6, 4])], [shape])


@model
def transpose_default():
    return _unary("transpose_default", "Transpose", [2, 3, 4])


@model
def transpose_perm():
    return _unary("transpose_perm", "Transpose", [2, 3, 4], perm=[1, 2, 0])


@model
def flatten_default():
    return _unary("flatten_default", "Flatten", [2, 3, 4])


@model
def flatten_axis0():
    return _unary("flatten_axis0", "Flatten", [2, 3, 4], axis=0)


@model
def flatten_axis_neg1():
    return _unary("flatten_axis_neg1", "Flatten", [2, 3, 4], axis=-1)


@model
def concat():
    k = _rng("concat").standard_normal((2, 2))
    return _model("concat",
                  [helper.make_node("Concat", ["x", "y", "k"], ["z"], name="cat", axis=-1)],
                  [_vi("x", [2, 3]), _vi("y", [2, 1])], [_vi("z", [2, 6])], [_f32("k", k)])


@model
def constant():
    value = _f32("value", [[1.0, -2.0, 3.0], [0.5, 0.25, -0.125]])
    return _model("constant",
                  [helper.make_node("Constant", [], ["c"], name="const", value=value),
                   helper.make_node("Add", ["x", "c"], ["y"], name="add")],
                  [_vi("x", [2, 3])], [_vi("y", [2, 3])])


# ------------------------------------------------------------------ Conv ---

def _conv(name, x_shape, w_shape, bias=True, **attrs):
    r = _rng(name)
    inits = [_f32("w", r.standard_normal(w_shape) * 0.5)]
    ins = ["x", "w"]
    if bias:
        inits.append(_f32("b", r.standard_normal(w_shape[0]) * 0.1))
        ins.append("b")
    return _model(name, [helper.make_node("Conv", ins, ["y"], name="conv", **attrs)],
                  [_vi("x", x_shape)], [_vi("y", None)], inits)


@model
def conv_pads_strides():
    # Asymmetric pads [top, left, bottom, right] = [1, 0, 2, 1], stride 2.
    return _conv("conv_pads_strides", [1, 2, 7, 7], [3, 2, 3, 3],
                 pads=[1, 0, 2, 1], strides=[2, 2])


@model
def conv_dilation():
    return _conv("conv_dilation", [1, 2, 7, 7], [3, 2, 3, 3], bias=False,
                 dilations=[2, 2], pads=[1, 1, 1, 1])


@model
def conv_same_upper():
    # SAME_UPPER on an even input with stride 2: total pad 1, all at the end.
    return _conv("conv_same_upper", [1, 2, 6, 6], [4, 2, 3, 3], auto_pad="SAME_UPPER",
                 strides=[2, 2])


@model
def conv_same_lower():
    return _conv("conv_same_lower", [1, 2, 6, 6], [4, 2, 2, 2], auto_pad="SAME_LOWER")


@model
def conv_depthwise():
    # group = C = 4 with channel multiplier 2: W [8, 1, 3, 3].
    return _conv("conv_depthwise", [1, 4, 5, 5], [8, 1, 3, 3], group=4, pads=[1, 1, 1, 1])


@model
def conv_group():
    # group = 2 over C = 4, O = 6: W [6, 2, 3, 3].
    return _conv("conv_group", [1, 4, 5, 5], [6, 2, 3, 3], group=2, pads=[1, 1, 1, 1])


@model
def conv_1d():
    return _conv("conv_1d", [2, 2, 9], [3, 2, 3], pads=[1, 2], strides=[2])


@model
def conv_1d_dilation():
    return _conv("conv_1d_dilation", [1, 2, 9], [3, 2, 3], bias=False, dilations=[2])


@model
def conv_1d_same_upper():
    # Length 8, kernel 3, stride 2: output 4, total pad 1, at the end.
    return _conv("conv_1d_same_upper", [1, 2, 8], [3, 2, 3], auto_pad="SAME_UPPER",
                 strides=[2])


@model
def conv_dynamic_weight():
    # W is a graph input, not an initializer.
    return _model("conv_dynamic_weight",
                  [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])],
                  [_vi("x", [1, 2, 4, 4]), _vi("w", [3, 2, 3, 3])], [_vi("y", [1, 3, 4, 4])])


@model
def conv_stride_crop():
    # Stride 3 over 9 with kernel 2: the last input row and column are never
    # read, and TOSA's exact-stride rule needs them sliced off.
    return _conv("conv_stride_crop", [1, 1, 9, 9], [2, 1, 2, 2], strides=[3, 3])


# ------------------------------------------------------------------ Pool ---

@model
def maxpool_ceil():
    return _unary("maxpool_ceil", "MaxPool", [1, 2, 6, 6], kernel_shape=[3, 3],
                  strides=[2, 2], ceil_mode=1)


@model
def maxpool_pads():
    return _unary("maxpool_pads", "MaxPool", [1, 2, 5, 5], kernel_shape=[3, 3],
                  strides=[2, 2], pads=[1, 1, 1, 1])


@model
def maxpool_ceil_last_window():
    # 5 + 2 pads, kernel 2, stride 2 with ceil_mode: the 4th window would
    # start in the end padding and is dropped (as in onnxruntime and the ONNX
    # test maxpool_2d_ceil_output_size_reduce_by_one), giving 3, not 4.
    # onnx's shape inference still says 4, so the model is not checked.
    return _model("maxpool_ceil_last_window",
                  [helper.make_node("MaxPool", ["x"], ["y"], name="maxpool",
                                    kernel_shape=[2, 2], strides=[2, 2],
                                    pads=[1, 1, 1, 1], ceil_mode=1)],
                  [_vi("x", [1, 1, 5, 5])], [_vi("y", [1, 1, 3, 3])], check=False)


@model
def avgpool_exclude_pad():
    return _unary("avgpool_exclude_pad", "AveragePool", [1, 2, 5, 5], kernel_shape=[3, 3],
                  strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=0)


@model
def avgpool_include_pad():
    return _unary("avgpool_include_pad", "AveragePool", [1, 2, 5, 5], kernel_shape=[3, 3],
                  strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)


@model
def avgpool_ceil():
    # The last window in each dim hangs over the input's end.
    return _unary("avgpool_ceil", "AveragePool", [1, 1, 6, 6], kernel_shape=[3, 3],
                  strides=[2, 2], ceil_mode=1)


@model
def avgpool_ceil_include_pad():
    # Padded zeros count, the part of the last window past the pads does not.
    return _unary("avgpool_ceil_include_pad", "AveragePool", [1, 1, 6, 6],
                  kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1,
                  count_include_pad=1)


@model
def global_average_pool():
    return _unary("global_average_pool", "GlobalAveragePool", [1, 3, 4, 5])


@model
def batchnorm():
    r = _rng("batchnorm")
    inits = [_f32("scale", 1 + 0.1 * r.standard_normal(3)),
             _f32("bias", 0.1 * r.standard_normal(3)),
             _f32("mean", 0.1 * r.standard_normal(3)),
             _f32("var", 0.5 + r.random(3))]
    return _model("batchnorm",
                  [helper.make_node("BatchNormalization",
                                    ["x", "scale", "bias", "mean", "var"], ["y"],
                                    name="bn", epsilon=1e-3)],
                  [_vi("x", [1, 3, 2, 2])], [_vi("y", [1, 3, 2, 2])], inits)


@model
def batchnorm_dynamic():
    # Parameters as graph inputs: not foldable at import time.
    return _model("batchnorm_dynamic",
                  [helper.make_node("BatchNormalization",
                                    ["x", "scale", "bias", "mean", "var"], ["y"],
                                    name="bn")],
                  [_vi("x", [2, 3, 2]), _vi("scale", [3]), _vi("bias", [3]),
                   _vi("mean", [3]), _vi("var", [3])],
                  [_vi("y", [2, 3, 2])])


# ----------------------------------------------------------------- Quant ---

def _i8(name, v):
    return numpy_helper.from_array(np.asarray(v, dtype=np.int8), name)


def _u8(name, v):
    return numpy_helper.from_array(np.asarray(v, dtype=np.uint8), name)


def _qdq(name, zp, scale, shape, axis=None, opset=17):
    """x -> QuantizeLinear -> DequantizeLinear -> y sharing one scale/zero point."""
    attrs = {} if axis is None else {"axis": axis}
    ins = ["s", "zp"] if zp is not None else ["s"]
    inits = [_f32("s", scale)] + ([zp] if zp is not None else [])
    return _model(name,
                  [helper.make_node("QuantizeLinear", ["x"] + ins, ["q"], name="quant", **attrs),
                   helper.make_node("DequantizeLinear", ["q"] + ins, ["y"], name="dequant",
                                    **attrs)],
                  [_vi("x", shape)], [_vi("y", shape)], inits, opset=opset)


@model
def qdq_int8_per_tensor():
    # Scale 0.01: inputs beyond about +-1.3 saturate at -128 / 127.
    return _qdq("qdq_int8_per_tensor", _i8("zp", -3), np.float32(0.01), [2, 4])


@model
def qdq_uint8_per_tensor():
    return _qdq("qdq_uint8_per_tensor", _u8("zp", 128), np.float32(0.01), [2, 4])


@model
def qdq_uint8_no_zero_point():
    # No zero point: uint8 with zero point 0, so negatives clamp to 0.
    return _qdq("qdq_uint8_no_zero_point", None, np.float32(0.02), [2, 4])


@model
def qdq_int8_scale_1elem():
    # Opset 13 allows a 1-D scale; one element of it means per tensor.
    return _qdq("qdq_int8_scale_1elem", _i8("zp", [1]), [0.05], [2, 4], opset=13)


@model
def qdq_int8_per_axis():
    return _qdq("qdq_int8_per_axis", _i8("zp", [0, 5, -7]), [0.01, 0.02, 0.04],
                [1, 3, 2, 2], axis=1, opset=13)


@model
def quantize_int8():
    # The int8 tensor itself is the graph output.
    return _model("quantize_int8",
                  [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], name="quant")],
                  [_vi("x", [2, 4])], [_vi("q", [2, 4], TensorProto.INT8)],
                  [_f32("s", np.float32(0.05)), _i8("zp", 4)])


@model
def dequantize_uint8():
    return _model("dequantize_uint8",
                  [helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"], name="dequant")],
                  [_vi("q", [3, 4], TensorProto.UINT8)], [_vi("y", [3, 4])],
                  [_f32("s", np.float32(0.1)), _u8("zp", 200)])


@model
def dequantize_int32():
    # An int32 bias as QDQ models store it: scale only, zero point 0.
    return _model("dequantize_int32",
                  [helper.make_node("DequantizeLinear", ["q", "s"], ["y"], name="dequant")],
                  [_vi("q", [5], TensorProto.INT32)], [_vi("y", [5])],
                  [_f32("s", np.float32(0.001))])


@model
def dequantize_weight():
    # A weight stored as int8 with a per-output-channel scale, as produced by
    # static quantization tools.
    r = _rng("dequantize_weight")
    w = r.integers(-127, 128, size=(4, 5))
    return _model("dequantize_weight",
                  [helper.make_node("DequantizeLinear", ["wq", "ws", "wzp"], ["w"],
                                    name="dequant_w", axis=1),
                   helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                  [_vi("x", [3, 4])], [_vi("y", [3, 5])],
                  [_i8("wq", w), _f32("ws", [0.01, 0.02, 0.03, 0.04, 0.05]),
                   _i8("wzp", [0, 0, 0, 0, 0])])


def _i32(name, v):
    return numpy_helper.from_array(np.asarray(v, dtype=np.int32), name)


@model
def qlinear_matmul():
    # uint8 activations per tensor, an int8 weight per column, uint8 output:
    # all parameters constant, so the import is Q/DQ around a float MatMul.
    r = _rng("qlinear_matmul")
    return _model("qlinear_matmul",
                  [helper.make_node("QLinearMatMul",
                                    ["a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"],
                                    ["y"], name="qmm")],
                  [_vi("a", [3, 4], TensorProto.UINT8)],
                  [_vi("y", [3, 5], TensorProto.UINT8)],
                  [_f32("as", np.float32(0.02)), _u8("azp", 120),
                   _i8("b", r.integers(-127, 128, size=(4, 5))),
                   _f32("bs", [0.01, 0.02, 0.03, 0.04, 0.05]), _i8("bzp", [0] * 5),
                   _f32("ys", np.float32(0.05)), _u8("yzp", 128)], opset=13)


@model
def qlinear_conv():
    # uint8 x, int8 w per output channel, int32 bias, pads 1.
    r = _rng("qlinear_conv")
    return _model("qlinear_conv",
                  [helper.make_node("QLinearConv",
                                    ["x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp", "b"],
                                    ["y"], name="qconv", pads=[1, 1, 1, 1])],
                  [_vi("x", [1, 2, 4, 4], TensorProto.UINT8)],
                  [_vi("y", [1, 3, 4, 4], TensorProto.UINT8)],
                  [_f32("xs", np.float32(0.02)), _u8("xzp", 100),
                   _i8("w", r.integers(-127, 128, size=(3, 2, 3, 3))),
                   _f32("ws", [0.01, 0.02, 0.03]), _i8("wzp", [0, 0, 0]),
                   _f32("ys", np.float32(0.1)), _u8("yzp", 128),
                   _i32("b", [100, -200, 300])], opset=13)


@model
def qlinear_matmul_runtime_scales():
    # Scales and zero points as graph inputs (as in ONNX's own tests): per
    # tensor, applied by float arithmetic at run time.
    ins = [_vi("a", [2, 3], TensorProto.UINT8), _vi("as", [1]),
           _vi("azp", [1], TensorProto.UINT8), _vi("b", [3, 2], TensorProto.UINT8),
           _vi("bs", [1]), _vi("bzp", [1], TensorProto.UINT8), _vi("ys", [1]),
           _vi("yzp", [1], TensorProto.UINT8)]
    return _model("qlinear_matmul_runtime_scales",
                  [helper.make_node("QLinearMatMul",
                                    ["a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"],
                                    ["y"], name="qmm")],
                  ins, [_vi("y", [2, 2], TensorProto.UINT8)], opset=10)


@model
def err_qlinear_runtime_per_column():
    # A per-column scale must be a constant: it is a graph input here.
    r = _rng("err_qlinear_runtime_per_column")
    return _model("err_qlinear_runtime_per_column",
                  [helper.make_node("QLinearMatMul",
                                    ["a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"],
                                    ["y"], name="qmm_runtime")],
                  [_vi("a", [3, 4], TensorProto.UINT8), _vi("bs", [5])],
                  [_vi("y", [3, 5], TensorProto.UINT8)],
                  [_f32("as", np.float32(0.02)), _u8("azp", 120),
                   _i8("b", r.integers(-127, 128, size=(4, 5))), _i8("bzp", [0] * 5),
                   _f32("ys", np.float32(0.05)), _u8("yzp", 128)], opset=13)


@model
def matmul_integer():
    # uint8 A with a constant zero point, int8 B: one int8 tosa.matmul with
    # the zero points shifted by -128 for uint8.
    r = _rng("matmul_integer")
    return _model("matmul_integer",
                  [helper.make_node("MatMulInteger", ["a", "b", "azp", "bzp"], ["y"],
                                    name="mmi")],
                  [_vi("a", [3, 4], TensorProto.UINT8)],
                  [_vi("y", [3, 5], TensorProto.INT32)],
                  [_i8("b", r.integers(-128, 128, size=(4, 5))), _u8("azp", 130),
                   _i8("bzp", 3)])


@model
def matmul_integer_per_row():
    # A per-row zero point of A: the int8 product less zb * row sums etc.
    r = _rng("matmul_integer_per_row")
    return _model("matmul_integer_per_row",
                  [helper.make_node("MatMulInteger", ["a", "b", "azp"], ["y"],
                                    name="mmi_rows")],
                  [_vi("a", [3, 4], TensorProto.UINT8)],
                  [_vi("y", [3, 5], TensorProto.INT32)],
                  [_u8("b", r.integers(0, 256, size=(4, 5))), _u8("azp", [10, 128, 250])])


@model
def conv_integer():
    # uint8 x and w with constant zero points, pads 1: one int8 tosa.conv2d.
    r = _rng("conv_integer")
    return _model("conv_integer",
                  [helper.make_node("ConvInteger", ["x", "w", "xzp", "wzp"], ["y"],
                                    name="convi", pads=[1, 1, 1, 1])],
                  [_vi("x", [1, 2, 4, 4], TensorProto.UINT8)],
                  [_vi("y", [1, 3, 4, 4], TensorProto.INT32)],
                  [_u8("w", r.integers(0, 256, size=(3, 2, 3, 3))), _u8("xzp", 7),
                   _u8("wzp", 128)])


@model
def conv_integer_per_channel():
    # A per-output-channel zero point of w: the int8 convolution corrected
    # by convolutions with all-ones x and w.
    r = _rng("conv_integer_per_channel")
    return _model("conv_integer_per_channel",
                  [helper.make_node("ConvInteger", ["x", "w", "xzp", "wzp"], ["y"],
                                    name="convi_channels", pads=[1, 1, 1, 1])],
                  [_vi("x", [1, 2, 4, 4], TensorProto.INT8)],
                  [_vi("y", [1, 3, 4, 4], TensorProto.INT32)],
                  [_i8("w", r.integers(-128, 128, size=(3, 2, 3, 3))), _i8("xzp", -5),
                   _i8("wzp", [1, -2, 3])])


@model
def dynamic_quantize_linear():
    return _model("dynamic_quantize_linear",
                  [helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "ys", "yzp"],
                                    name="dql")],
                  [_vi("x", [2, 3])],
                  [_vi("y", [2, 3], TensorProto.UINT8), _vi("ys", []),
                   _vi("yzp", [], TensorProto.UINT8)])


# ---------------------------------------------------------------- Errors ---

@model
def err_unsupported_ops():
    # Two unsupported op types, each used twice: one message names both with
    # the first node of each.
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu"),
        helper.make_node("Foo", ["r"], ["f1"], name="foo_first", domain="com.example"),
        helper.make_node("Foo", ["f1"], ["f2"], name="foo_second", domain="com.example"),
        helper.make_node("NonMaxSuppression", ["boxes", "scores"], ["sel1"], name="nms_first"),
        helper.make_node("NonMaxSuppression", ["boxes", "scores"], ["sel2"], name="nms_second"),
    ]
    return _model("err_unsupported_ops", nodes,
                  [_vi("x", [1, 4]), _vi("boxes", [1, 3, 4]), _vi("scores", [1, 1, 3])],
                  [_vi("f2", [1, 4]), _vi("sel1", [None, 3], TensorProto.INT64),
                   _vi("sel2", [None, 3], TensorProto.INT64)],
                  check=False, extra_opsets=[helper.make_opsetid("com.example", 1)])


@model
def err_symbolic_dim():
    return _model("err_symbolic_dim", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
                  [_vi("x", ["batch", 3])], [_vi("y", ["batch", 3])])


@model
def err_truncated():
    data = matmul_2d().SerializeToString()
    return data[: len(data) // 2]


@model
def err_garbage():
    return b"this is not an ONNX model\n"


@model
def err_raw_data_size():
    w = onnx.TensorProto(name="w", data_type=F, dims=[4, 5])
    w.raw_data = np.zeros(19, dtype=np.float32).tobytes()  # 20 needed
    return _model("err_raw_data_size",
                  [helper.make_node("MatMul", ["a", "w"], ["y"], name="mm")],
                  [_vi("a", [3, 4])], [_vi("y", [3, 5])], [w], check=False)


@model
def err_undefined_value():
    return _model("err_undefined_value",
                  [helper.make_node("Add", ["x", "missing"], ["y"], name="add")],
                  [_vi("x", [2])], [_vi("y", [2])], check=False)


if __name__ == "__main__":
    main(MODELS)
