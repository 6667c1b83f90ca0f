#!/usr/bin/env python3
"""Writes the small ONNX models that test/Import/indexing.test reads.

    python test/Import/make_indexing_models.py [OUT_DIR]
        (default: Inputs/indexing/ here)

Shape, slicing, gathering, scattering, padding and layout ops over tiny
shapes. Valid models pass onnx.checker after shape inference; the err_*
models are invalid for the importer on purpose (runtime shapes without a
declared output shape, bad attributes) and skip the checker where it would
reject them. Rerunning the script reproduces the files byte for byte.
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_test_models import (  # noqa: E402
    builder, const, fvi as _vi, main, registry)

F = TensorProto.FLOAT
I64 = TensorProto.INT64
I32 = TensorProto.INT32
MODELS, model = registry()  # name -> function returning a ModelProto
_model = builder(opset=18)


def _i64(name, values):
    return const(name, values, np.int64)


def _node(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, name=op.lower(), **attrs)


# ------------------------------------------------- compile-time shape ops ---

@model
def shape_start_end():
    return _model("shape_start_end", [_node("Shape", ["x"], ["y"], start=1, end=-1)],
                  [_vi("x", [2, 3, 4])], [_vi("y", None, I64)])


@model
def size():
    return _model("size", [_node("Size", ["x"], ["y"])],
                  [_vi("x", [2, 3, 4])], [_vi("y", None, I64)])


@model
def shape_gather_reshape():
    # Shape -> Gather -> Reshape folds to a constant target shape [4, 3].
    return _model("shape_gather_reshape",
                  [_node("Shape", ["x"], ["s"]),
                   _node("Gather", ["s", "idx"], ["t"]),
                   _node("Reshape", ["y", "t"], ["z"])],
                  [_vi("x", [2, 3, 4]), _vi("y", [12])], [_vi("z", None)],
                  [_i64("idx", [2, 1])])


@model
def shape_slice_unsqueeze():
    # Shape -> Slice -> Squeeze -> Unsqueeze stays a constant; Expand and
    # ConstantOfShape take it as their shape.
    return _model("shape_slice_unsqueeze",
                  [_node("Shape", ["x"], ["s"]),
                   _node("Slice", ["s", "st", "en"], ["t"]),
                   _node("Squeeze", ["t", "ax"], ["u"]),
                   _node("Unsqueeze", ["u", "ax"], ["v"]),
                   _node("ConstantOfShape", ["v"], ["c"],
                         value=numpy_helper.from_array(np.array([2.5], np.float32))),
                   _node("Expand", ["x", "v"], ["y"])],
                  [_vi("x", [1, 3, 1])], [_vi("c", None), _vi("y", None)],
                  [_i64("st", [1]), _i64("en", [2]), _i64("ax", [0])])


@model
def range_const():
    return _model("range_const",
                  [_node("Range", ["a", "b", "c"], ["y"])], [], [_vi("y", None, I64)],
                  [_i64("a", 10), _i64("b", 1), _i64("c", -3)])


@model
def eyelike():
    return _model("eyelike", [_node("EyeLike", ["x"], ["y"], k=1, dtype=I32)],
                  [_vi("x", [2, 3])], [_vi("y", None, I32)])


# ---------------------------------------------------------------- slicing ---

@model
def slice_neg_step():
    # Axis 0 walks backwards from 3 by 2 (rows 3, 1); axis 1 starts out of
    # bounds below and is clamped to 0, stepping by 2.
    return _model("slice_neg_step", [_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
                  [_vi("x", [4, 5])], [_vi("y", None)],
                  [_i64("st", [3, -100]), _i64("en", [-5, 100]), _i64("ax", [0, 1]),
                   _i64("sp", [-2, 2])])


@model
def slice_runtime():
    # Runtime starts: the declared output shape gives the sizes.
    return _model("slice_runtime", [_node("Slice", ["x", "st", "en"], ["y"])],
                  [_vi("x", [4, 5]), _vi("st", [2], I64), _vi("en", [2], I64)],
                  [_vi("y", [2, 3])], check=False)


@model
def split_opset18():
    # num_outputs 3 over 7: chunks of 3, 3, 1.
    return _model("split_opset18",
                  [_node("Split", ["x"], ["a", "b", "c"], axis=1, num_outputs=3)],
                  [_vi("x", [2, 7])], [_vi("a", None), _vi("b", None), _vi("c", None)])


@model
def squeeze_runtime_axes():
    return _model("squeeze_runtime_axes", [_node("Squeeze", ["x", "ax"], ["y"])],
                  [_vi("x", [3, 1, 4]), _vi("ax", [1], I64)], [_vi("y", [3, 4])],
                  check=False)


@model
def tile():
    return _model("tile", [_node("Tile", ["x", "r"], ["y"])],
                  [_vi("x", [2, 3])], [_vi("y", None)], [_i64("r", [2, 1])])


@model
def depth_to_space_crd():
    return _model("depth_to_space_crd",
                  [_node("DepthToSpace", ["x"], ["y"], blocksize=2, mode="CRD")],
                  [_vi("x", [1, 8, 2, 3])], [_vi("y", None)])


# -------------------------------------------------------------- gathering ---

@model
def gather_axis1():
    return _model("gather_axis1", [_node("Gather", ["x", "i"], ["y"], axis=1)],
                  [_vi("x", [3, 4]), _vi("i", [2, 2], I64)], [_vi("y", None)])


@model
def gather_elements():
    return _model("gather_elements", [_node("GatherElements", ["x", "i"], ["y"], axis=1)],
                  [_vi("x", [3, 4]), _vi("i", [3, 2], I32)], [_vi("y", None)])


@model
def gathernd_batch():
    return _model("gathernd_batch", [_node("GatherND", ["x", "i"], ["y"], batch_dims=1)],
                  [_vi("x", [2, 3, 4]), _vi("i", [2, 1], I64)], [_vi("y", None)])


@model
def scatter_elements_add():
    return _model("scatter_elements_add",
                  [_node("ScatterElements", ["x", "i", "u"], ["y"], axis=1, reduction="add")],
                  [_vi("x", [3, 4]), _vi("i", [3, 2], I64), _vi("u", [3, 2])],
                  [_vi("y", None)])


@model
def scatternd_mul():
    return _model("scatternd_mul",
                  [_node("ScatterND", ["x", "i", "u"], ["y"], reduction="mul")],
                  [_vi("x", [4, 3]), _vi("i", [2, 1], I64), _vi("u", [2, 3])],
                  [_vi("y", None)])


@model
def onehot_axis0():
    return _model("onehot_axis0", [_node("OneHot", ["i", "d", "v"], ["y"], axis=0)],
                  [_vi("i", [3], I64)], [_vi("y", None)],
                  [_i64("d", 5), numpy_helper.from_array(np.array([0, 1], np.float32), "v")])


# ---------------------------------------------------------------- padding ---

@model
def pad_constant_axes():
    # Opset 18 axes: pad dim 1 only, by (1, -1) (a crop at the end).
    return _model("pad_constant_axes", [_node("Pad", ["x", "p", "v", "ax"], ["y"])],
                  [_vi("x", [2, 3])], [_vi("y", None)],
                  [_i64("p", [1, -1]),
                   numpy_helper.from_array(np.array(7, np.float32), "v"),
                   _i64("ax", [1])])


@model
def pad_reflect():
    return _model("pad_reflect", [_node("Pad", ["x", "p"], ["y"], mode="reflect")],
                  [_vi("x", [2, 3])], [_vi("y", None)], [_i64("p", [0, 2, 0, 1])])


@model
def trilu_lower():
    return _model("trilu_lower", [_node("Trilu", ["x", "k"], ["y"], upper=0)],
                  [_vi("x", [3, 4])], [_vi("y", None)], [_i64("k", -1)])


@model
def reverse_sequence():
    return _model("reverse_sequence",
                  [_node("ReverseSequence", ["x", "l"], ["y"], batch_axis=0, time_axis=1)],
                  [_vi("x", [2, 4]), _vi("l", [2], I64)], [_vi("y", None)])


# ----------------------------------------------------------------- errors ---

@model
def err_range_runtime():
    # Runtime Range bounds and no declared output shape: the shape is
    # unknown at compile time.
    return _model("err_range_runtime", [_node("Range", ["a", "b", "c"], ["y"])],
                  [_vi("a", [], I64), _vi("b", [], I64), _vi("c", [], I64)],
                  [_vi("y", None, I64)], check=False)


@model
def err_squeeze_not_one():
    return _model("err_squeeze_not_one", [_node("Squeeze", ["x", "ax"], ["y"])],
                  [_vi("x", [2, 3])], [_vi("y", None)], [_i64("ax", [0])], check=False)


@model
def err_slice_zero_step():
    return _model("err_slice_zero_step", [_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
                  [_vi("x", [4])], [_vi("y", None)],
                  [_i64("st", [0]), _i64("en", [4]), _i64("ax", [0]), _i64("sp", [0])],
                  check=False)


@model
def err_pad_reflect_too_wide():
    return _model("err_pad_reflect_too_wide", [_node("Pad", ["x", "p"], ["y"], mode="reflect")],
                  [_vi("x", [2, 3])], [_vi("y", None)], [_i64("p", [0, 3, 0, 0])],
                  check=False)


if __name__ == "__main__":
    main(MODELS, "indexing")
