#!/usr/bin/env python3
"""Writes the small ONNX models that test/Import/reduction.test reads.

    python test/Import/make_reduction_models.py [OUT_DIR]
        (default: Inputs/reduction/ here)

Reductions (Reduce*, ArgMax/ArgMin), LogSoftmax, Hardmax, CumSum and the
normalisations (LayerNormalization, InstanceNormalization,
MeanVarianceNormalization, LpNormalization) over tiny shapes with fixed-seed
weights. Valid models pass onnx.checker (those with a graph input for axes
are unchecked) and run under onnxruntime, so their numerics can be compared
end to end with qopt-compile + qopt-run (onnx.reference disagrees with
onnxruntime on opset-11 LogSoftmax/Hardmax and on LpNormalization p=1); the
err_* models are unsupported on purpose and are not checked.
"""
import os
import sys

import numpy as np
from onnx import TensorProto as TP, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_test_models import (  # noqa: E402
    builder, const, main, registry, rng as _rng, vi as _vi)

MODELS, model = registry()  # name -> function returning a ModelProto
_model = builder(opset=18)


def _one(name, op, elem, shape, opset, inits=(), extra_inputs=(), out=None,
         out_elem=None, check=True, **attrs):
    """One node `op` over input x (plus `extra_inputs` names)."""
    node = helper.make_node(op, ["x", *extra_inputs], ["y"], name=name, **attrs)
    outs = [_vi("y", out_elem or elem, out)]
    return _model(name, [node], [_vi("x", elem, shape)], outs, inits, opset,
                  check)


def _axes(values):
    return const("axes", values, np.int64)


# --- Reduce* ---------------------------------------------------------------

@model
def reduce_sum_i32():
    # TOSA takes i32 sums: one tosa.reduce_sum, then the dim is dropped.
    return _one("reduce_sum_i32", "ReduceSum", TP.INT32, [2, 3, 4], 13,
                inits=[_axes([1])], extra_inputs=["axes"], out=None,
                keepdims=0)


@model
def reduce_max_i64():
    # i64 is outside TOSA: one linalg.reduce over both axes.
    return _one("reduce_max_i64", "ReduceMax", TP.INT64, [2, 3, 4], 18,
                inits=[_axes([-1, 0])], extra_inputs=["axes"], out=None)


@model
def reduce_min_u8():
    # Unsigned: minui from the uint8 maximum; axes as an attribute.
    return _one("reduce_min_u8", "ReduceMin", TP.UINT8, [2, 3], 13, out=None,
                axes=[1])


@model
def reduce_mean_noop():
    # Empty axes with noop_with_empty_axes: the identity.
    return _one("reduce_mean_noop", "ReduceMean", TP.FLOAT, [2, 3], 18,
                out=None, noop_with_empty_axes=1)


@model
def reduce_mean_all():
    # No axes: every axis, divided by the element count.
    return _one("reduce_mean_all", "ReduceMean", TP.FLOAT, [2, 3], 13,
                out=None, keepdims=0)


@model
def reduce_logsumexp_f64():
    # f64 is outside TOSA: linalg.reduce and math ops, max-shifted.
    return _one("reduce_logsumexp_f64", "ReduceLogSumExp", TP.DOUBLE,
                [3, 2, 2], 13, out=None, axes=[1])


@model
def reduce_l2_f16():
    # f16 sums accumulate in f32.
    return _one("reduce_l2_f16", "ReduceL2", TP.FLOAT16, [3, 4], 13, out=None,
                axes=[1])


@model
def reduce_sum_runtime_axes():
    # axes is a graph input: with keepdims the declared output shape says
    # which axes are reduced.
    node = helper.make_node("ReduceSum", ["x", "axes"], ["y"],
                            name="reduce_sum_runtime_axes")
    return _model("reduce_sum_runtime_axes", [node],
                  [_vi("x", TP.FLOAT, [3, 2, 4]), _vi("axes", TP.INT64, [1])],
                  [_vi("y", TP.FLOAT, [3, 1, 4])], opset=13, check=False)


@model
def reduce_sum_runtime_axes_ambiguous():
    # Without keepdims, [3,2,2] -> [3,2] drops axis 1 or 2: both are
    # computed and the axes input selects at run time.
    node = helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0,
                            name="reduce_sum_runtime_axes_ambiguous")
    return _model("reduce_sum_runtime_axes_ambiguous", [node],
                  [_vi("x", TP.FLOAT, [3, 2, 2]), _vi("axes", TP.INT64, [1])],
                  [_vi("y", TP.FLOAT, [3, 2])], opset=13, check=False)


@model
def err_reduce_runtime_axes_no_shape():
    node = helper.make_node("ReduceSum", ["x", "axes"], ["y"],
                            name="err_reduce_runtime_axes_no_shape")
    return _model("err_reduce_runtime_axes_no_shape", [node],
                  [_vi("x", TP.FLOAT, [3, 2]), _vi("axes", TP.INT64, [1])],
                  [_vi("y", TP.FLOAT, None)], opset=13, check=False)


@model
def err_reduce_axis_range():
    return _one("err_reduce_axis_range", "ReduceMax", TP.FLOAT, [2, 3], 13,
                out=None, check=False, axes=[2])


@model
def err_reduce_l2_int():
    return _one("err_reduce_l2_int", "ReduceL2", TP.INT32, [2, 3], 13,
                out=None, check=False, axes=[1])


# --- ArgMax, ArgMin, Hardmax, LogSoftmax -----------------------------------

@model
def argmax_last():
    return _one("argmax_last", "ArgMax", TP.FLOAT, [2, 3, 4], 13, out=None,
                out_elem=TP.INT64, axis=1, select_last_index=1)


@model
def argmin_i32():
    return _one("argmin_i32", "ArgMin", TP.INT32, [2, 3], 13, out=None,
                out_elem=TP.INT64, axis=-1, keepdims=0)


@model
def hardmax():
    return _one("hardmax", "Hardmax", TP.FLOAT, [2, 3, 4], 13, out=None,
                axis=1)


@model
def hardmax_opset11():
    return _one("hardmax_opset11", "Hardmax", TP.FLOAT, [2, 3, 4], 11,
                out=None)


@model
def logsoftmax_opset11():
    # Before opset 13 the input is coerced to 2-D at axis (default 1).
    return _one("logsoftmax_opset11", "LogSoftmax", TP.FLOAT, [2, 3, 4], 11,
                out=None)


@model
def logsoftmax_f16():
    return _one("logsoftmax_f16", "LogSoftmax", TP.FLOAT16, [2, 5], 13,
                out=None)


# --- CumSum ----------------------------------------------------------------

@model
def cumsum_reverse_exclusive():
    axis = numpy_helper.from_array(np.asarray(1, dtype=np.int32), "axis")
    return _one("cumsum_reverse_exclusive", "CumSum", TP.FLOAT, [2, 5], 14,
                inits=[axis], extra_inputs=["axis"], out=None, reverse=1,
                exclusive=1)


@model
def cumsum_runtime_axis():
    # axis is a graph input: the sums along each axis, selected at run time.
    node = helper.make_node("CumSum", ["x", "axis"], ["y"],
                            name="cumsum_runtime_axis")
    return _model("cumsum_runtime_axis", [node],
                  [_vi("x", TP.INT64, [2, 3]), _vi("axis", TP.INT32, [])],
                  [_vi("y", TP.INT64, None)], opset=14)


# --- Normalisations --------------------------------------------------------

@model
def layernorm_f16():
    # stash_type float: computed in f32, Y cast back; Mean and InvStdDev f32.
    rng = _rng("layernorm_f16")
    w = numpy_helper.from_array(rng.standard_normal([4]).astype(np.float16),
                                "w")
    node = helper.make_node("LayerNormalization", ["x", "w"],
                            ["y", "mean", "inv"], name="layernorm_f16",
                            axis=-1, epsilon=1e-3)
    return _model("layernorm_f16", [node], [_vi("x", TP.FLOAT16, [2, 3, 4])],
                  [_vi("y", TP.FLOAT16, None), _vi("mean", TP.FLOAT, None),
                   _vi("inv", TP.FLOAT, None)], [w], opset=17)


@model
def layernorm_axis1():
    rng = _rng("layernorm_axis1")
    w = numpy_helper.from_array(
        rng.standard_normal([3, 4]).astype(np.float32), "w")
    b = numpy_helper.from_array(
        rng.standard_normal([3, 4]).astype(np.float32), "b")
    node = helper.make_node("LayerNormalization", ["x", "w", "b"], ["y"],
                            name="layernorm_axis1", axis=1)
    return _model("layernorm_axis1", [node], [_vi("x", TP.FLOAT, [2, 3, 4])],
                  [_vi("y", TP.FLOAT, None)], [w, b], opset=17)


@model
def err_layernorm_stash():
    w = numpy_helper.from_array(np.ones([4], np.float32), "w")
    node = helper.make_node("LayerNormalization", ["x", "w"], ["y"],
                            name="err_layernorm_stash", stash_type=11)
    return _model("err_layernorm_stash", [node], [_vi("x", TP.FLOAT, [2, 4])],
                  [_vi("y", TP.FLOAT, None)], [w], opset=17, check=False)


@model
def instancenorm():
    rng = _rng("instancenorm")
    s = numpy_helper.from_array(rng.standard_normal([3]).astype(np.float32),
                                "s")
    b = numpy_helper.from_array(rng.standard_normal([3]).astype(np.float32),
                                "b")
    node = helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"],
                            name="instancenorm", epsilon=1e-4)
    return _model("instancenorm", [node], [_vi("x", TP.FLOAT, [2, 3, 4, 5])],
                  [_vi("y", TP.FLOAT, None)], [s, b], opset=6)


@model
def mvn():
    # (onnx's shape inference trips over the op's function body: unchecked.)
    return _one("mvn", "MeanVarianceNormalization", TP.FLOAT, [2, 3, 2, 2],
                13, out=[2, 3, 2, 2], check=False)


@model
def lpnorm_p1():
    return _one("lpnorm_p1", "LpNormalization", TP.FLOAT, [2, 3], 13,
                out=None, axis=0, p=1)


@model
def err_lpnorm_p3():
    return _one("err_lpnorm_p3", "LpNormalization", TP.FLOAT, [2, 3], 13,
                out=None, check=False, p=3)


if __name__ == "__main__":
    main(MODELS, "reduction")
