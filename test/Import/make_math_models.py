#!/usr/bin/env python3
"""Writes the small ONNX models that test/Import/math.test reads.

    python test/Import/make_math_models.py [OUT_DIR]   (default: Inputs/math/)

Elementwise math, comparison, logic and cast ops: one node each over tiny
shapes, fixed-seed constants, so rerunning reproduces the files byte for
byte. The err_* models are valid ONNX the importer rejects on purpose.
"""
import os
import sys

import numpy as np
from onnx import TensorProto as T, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_test_models import builder, main, registry, vi as _vi  # noqa: E402

MODELS, model = registry()
_model = builder(opset=17)


def _node(op, ins, outs=("y",), **attrs):
    return helper.make_node(op, list(ins), list(outs), name=op.lower(), **attrs)


@model
def erf_f16():
    return _model("erf_f16", [_node("Erf", ["x"])], [_vi("x", T.FLOAT16, [2, 3])],
                  [_vi("y", T.FLOAT16, None)])


@model
def elu():
    return _model("elu", [_node("Elu", ["x"], alpha=0.5)],
                  [_vi("x", T.FLOAT, [2, 3])], [_vi("y", T.FLOAT, None)])


@model
def neg_int64():
    return _model("neg_int64", [_node("Neg", ["x"])], [_vi("x", T.INT64, [4])],
                  [_vi("y", T.INT64, None)])


@model
def cast_f32_u8():
    return _model("cast_f32_u8", [_node("Cast", ["x"], to=T.UINT8)],
                  [_vi("x", T.FLOAT, [2, 3])], [_vi("y", T.UINT8, None)])


@model
def cast_u16_i64():
    return _model("cast_u16_i64", [_node("Cast", ["x"], to=T.INT64)],
                  [_vi("x", T.UINT16, [3])], [_vi("y", T.INT64, None)])


@model
def cast_f32_bool():
    return _model("cast_f32_bool", [_node("Cast", ["x"], to=T.BOOL)],
                  [_vi("x", T.FLOAT, [3])], [_vi("y", T.BOOL, None)])


@model
def cast_f32_bf16():
    return _model("cast_f32_bf16", [_node("Cast", ["x"], to=T.BFLOAT16)],
                  [_vi("x", T.FLOAT, [3])], [_vi("y", T.BFLOAT16, None)])


@model
def castlike():
    return _model("castlike", [_node("CastLike", ["x", "like"])],
                  [_vi("x", T.INT32, [3]), _vi("like", T.DOUBLE, [1])],
                  [_vi("y", T.DOUBLE, None)])


@model
def cast_const_fold():
    # Cast of a shape-like constant folds to a constant.
    k = numpy_helper.from_array(np.array([1, -2, 300], np.int64), "k")
    return _model("cast_const_fold", [_node("Cast", ["k"], ["c"], to=T.INT8),
                                      _node("Equal", ["c", "x"])],
                  [_vi("x", T.INT8, [3])], [_vi("y", T.BOOL, None)], [k])


@model
def less_u32():
    return _model("less_u32", [_node("Less", ["a", "b"])],
                  [_vi("a", T.UINT32, [2, 3]), _vi("b", T.UINT32, [3])],
                  [_vi("y", T.BOOL, None)])


@model
def where_bcast():
    return _model("where_bcast", [_node("Where", ["c", "a", "b"])],
                  [_vi("c", T.BOOL, [2, 1]), _vi("a", T.INT64, [3]),
                   _vi("b", T.INT64, [2, 3])], [_vi("y", T.INT64, None)])


@model
def max_f32():
    return _model("max_f32", [_node("Max", ["a", "b", "c"])],
                  [_vi("a", T.FLOAT, [2, 3]), _vi("b", T.FLOAT, [3]),
                   _vi("c", T.FLOAT, [2, 1])], [_vi("y", T.FLOAT, None)])


@model
def min_u8():
    return _model("min_u8", [_node("Min", ["a", "b"])],
                  [_vi("a", T.UINT8, [3]), _vi("b", T.UINT8, [3])],
                  [_vi("y", T.UINT8, None)])


@model
def clip_inputs():
    lo = numpy_helper.from_array(np.array(-1, np.int32), "lo")
    return _model("clip_inputs", [_node("Clip", ["x", "lo", "hi"])],
                  [_vi("x", T.INT32, [2, 3]), _vi("hi", T.INT32, [])],
                  [_vi("y", T.INT32, None)], [lo])


@model
def clip_attrs():
    return _model("clip_attrs", [_node("Clip", ["x"], min=-1.0, max=1.0)],
                  [_vi("x", T.FLOAT, [3])], [_vi("y", T.FLOAT, None)], opset=6)


@model
def pow_f32_i64():
    return _model("pow_f32_i64", [_node("Pow", ["x", "e"])],
                  [_vi("x", T.FLOAT, [2, 3]), _vi("e", T.INT64, [3])],
                  [_vi("y", T.FLOAT, None)])


@model
def mod_int():
    return _model("mod_int", [_node("Mod", ["a", "b"])],
                  [_vi("a", T.INT32, [3]), _vi("b", T.INT32, [3])],
                  [_vi("y", T.INT32, None)])


@model
def bitshift_right():
    return _model("bitshift_right", [_node("BitShift", ["a", "b"], direction="RIGHT")],
                  [_vi("a", T.UINT32, [3]), _vi("b", T.UINT32, [3])],
                  [_vi("y", T.UINT32, None)])


@model
def and_bool():
    return _model("and_bool", [_node("And", ["a", "b"])],
                  [_vi("a", T.BOOL, [2, 3]), _vi("b", T.BOOL, [3])],
                  [_vi("y", T.BOOL, None)])


@model
def isinf_pos():
    return _model("isinf_pos", [_node("IsInf", ["x"], detect_negative=0)],
                  [_vi("x", T.FLOAT, [3])], [_vi("y", T.BOOL, None)])


@model
def err_cast_string():
    return _model("err_cast_string", [_node("Cast", ["x"], to=T.STRING)],
                  [_vi("x", T.FLOAT, [3])], [_vi("y", T.STRING, None)])


@model
def err_sqrt_int():
    # Sqrt is float-only: onnx.checker rejects the model, so do not check it.
    return _model("err_sqrt_int", [_node("Sqrt", ["x"])], [_vi("x", T.INT32, [3])],
                  [_vi("y", T.INT32, [3])], check=False)


@model
def err_bitshift_signed():
    return _model("err_bitshift_signed",
                  [_node("BitShift", ["a", "b"], direction="LEFT")],
                  [_vi("a", T.INT32, [3]), _vi("b", T.INT32, [3])],
                  [_vi("y", T.INT32, [3])], check=False)


@model
def err_clip_vector_bound():
    lo = numpy_helper.from_array(np.array([0, 1, 2], np.float32), "lo")
    return _model("err_clip_vector_bound", [_node("Clip", ["x", "lo"])],
                  [_vi("x", T.FLOAT, [3])], [_vi("y", T.FLOAT, [3])], [lo],
                  check=False)


if __name__ == "__main__":
    main(MODELS, "math")
