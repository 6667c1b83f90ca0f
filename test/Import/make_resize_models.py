#!/usr/bin/env python3
"""Writes the small ONNX models that test/Import/resize.test reads.

    python test/Import/make_resize_models.py [OUT_DIR]
        (default: Inputs/resize/ here)

Resize, Upsample and ConvTranspose (ImportResize.cpp) and the pooling that
goes through the generic path of ImportNN.cpp (1-D, 3-D, dilated, integer,
Indices), and BatchNormalization with training_mode=1. Valid models pass
onnx.checker; the err_* models are unsupported
on purpose and are not checked.
"""
import os
import sys

import numpy as np
from onnx import TensorProto as TP, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_test_models import (  # noqa: E402
    builder, const as _const, main, registry, vi as _vi)

MODELS, model = registry()  # name -> function returning a ModelProto
# Checked models go straight to onnx.checker, without shape inference.
_model = builder(opset=13, infer_shapes=False)


def _w(name, shape, seed):
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(
        rng.standard_normal(shape).astype(np.float32), name)


# --- Resize / Upsample ----------------------------------------------------

@model
def resize_nearest_const():
    # Constant scales: one generic for both axes, no arithmetic on values.
    n = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest")
    return _model("resize_nearest_const", [n], [_vi("x", TP.FLOAT, [1, 2, 3, 4])],
                  [_vi("y", TP.FLOAT, [1, 2, 6, 2])],
                  [_const("scales", [1, 1, 2, 0.5], np.float32)])


@model
def resize_linear_runtime_scales():
    # Runtime scales: read with tensor.extract, output shape as declared.
    n = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear")
    return _model("resize_linear_runtime_scales", [n],
                  [_vi("x", TP.FLOAT, [1, 1, 2, 4]), _vi("scales", TP.FLOAT, [4])],
                  [_vi("y", TP.FLOAT, [1, 1, 1, 2])])


@model
def resize_cubic_sizes_u8():
    n = helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="cubic",
                         coordinate_transformation_mode="align_corners",
                         exclude_outside=1)
    return _model("resize_cubic_sizes_u8", [n], [_vi("x", TP.UINT8, [1, 1, 4, 4])],
                  [_vi("y", TP.UINT8, [1, 1, 4, 7])],
                  [_const("sizes", [1, 1, 4, 7], np.int64)])


@model
def resize_tf_crop():
    n = helper.make_node("Resize", ["x", "roi", "", "sizes"], ["y"], mode="linear",
                         coordinate_transformation_mode="tf_crop_and_resize",
                         extrapolation_value=10.0)
    return _model("resize_tf_crop", [n],
                  [_vi("x", TP.FLOAT, [1, 1, 4, 4]), _vi("roi", TP.FLOAT, [8])],
                  [_vi("y", TP.FLOAT, [1, 1, 3, 3])],
                  [_const("sizes", [1, 1, 3, 3], np.int64)])


@model
def resize_axes_antialias():
    n = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear",
                         antialias=1, axes=[3])
    return _model("resize_axes_antialias", [n], [_vi("x", TP.FLOAT, [1, 1, 2, 8])],
                  [_vi("y", TP.FLOAT, [1, 1, 2, 4])],
                  [_const("scales", [0.5], np.float32)], opset=18)


@model
def upsample_7():
    n = helper.make_node("Upsample", ["x"], ["y"], mode="nearest",
                         scales=[1.0, 1.0, 2.0, 3.0])
    return _model("upsample_7", [n], [_vi("x", TP.FLOAT, [1, 1, 2, 2])],
                  [_vi("y", TP.FLOAT, [1, 1, 4, 6])], opset=7)


@model
def err_resize_no_shape():
    # Runtime sizes and no declared output shape.
    n = helper.make_node("Resize", ["x", "", "", "sizes"], ["y"])
    return _model("err_resize_no_shape", [n],
                  [_vi("x", TP.FLOAT, [1, 1, 2, 2]), _vi("sizes", TP.INT64, [4])],
                  [_vi("y", TP.FLOAT, None)], check=False)


@model
def err_resize_mode():
    n = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="area")
    return _model("err_resize_mode", [n], [_vi("x", TP.FLOAT, [1, 1, 2, 2])],
                  [_vi("y", TP.FLOAT, [1, 1, 4, 4])],
                  [_const("scales", [1, 1, 2, 2], np.float32)], check=False)


@model
def err_resize_antialias_runtime():
    n = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear",
                         antialias=1)
    return _model("err_resize_antialias_runtime", [n],
                  [_vi("x", TP.FLOAT, [1, 1, 4, 4]), _vi("scales", TP.FLOAT, [4])],
                  [_vi("y", TP.FLOAT, [1, 1, 2, 2])], opset=18)


# --- ConvTranspose --------------------------------------------------------

@model
def convtranspose_strided():
    n = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[3, 2],
                         pads=[1, 0, 0, 1], output_padding=[1, 0])
    return _model("convtranspose_strided", [n], [_vi("x", TP.FLOAT, [1, 2, 3, 3])],
                  [_vi("y", TP.FLOAT, [1, 3, 9, 6])],
                  [_w("w", [2, 3, 3, 3], 1), _w("b", [3], 2)])


@model
def convtranspose_group_1d():
    n = helper.make_node("ConvTranspose", ["x", "w"], ["y"], group=2)
    return _model("convtranspose_group_1d", [n], [_vi("x", TP.FLOAT, [1, 4, 5])],
                  [_vi("y", TP.FLOAT, [1, 2, 7])], [_w("w", [4, 1, 3], 3)])


@model
def convtranspose_3d():
    n = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[1, 2, 1])
    return _model("convtranspose_3d", [n], [_vi("x", TP.FLOAT, [1, 1, 2, 3, 2])],
                  [_vi("y", TP.FLOAT, [1, 2, 3, 7, 3])], [_w("w", [1, 2, 2, 3, 2], 4)])


@model
def err_convtranspose_int():
    n = helper.make_node("ConvTranspose", ["x", "w"], ["y"])
    return _model("err_convtranspose_int", [n],
                  [_vi("x", TP.INT32, [1, 1, 3, 3]), _vi("w", TP.INT32, [1, 1, 2, 2])],
                  [_vi("y", TP.INT32, [1, 1, 4, 4])], check=False)


# --- Pooling through the generic path -------------------------------------

@model
def maxpool_1d():
    n = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3], strides=[2],
                         pads=[1, 1])
    return _model("maxpool_1d", [n], [_vi("x", TP.FLOAT, [1, 2, 9])],
                  [_vi("y", TP.FLOAT, [1, 2, 5])], opset=12)


@model
def maxpool_u8_indices():
    n = helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2],
                         dilations=[2, 1], storage_order=1)
    return _model("maxpool_u8_indices", [n], [_vi("x", TP.UINT8, [1, 1, 5, 5])],
                  [_vi("y", TP.UINT8, [1, 1, 3, 4]), _vi("i", TP.INT64, [1, 1, 3, 4])],
                  opset=12)


@model
def avgpool_3d():
    n = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2, 2],
                         pads=[1, 0, 0, 0, 0, 1])
    return _model("avgpool_3d", [n], [_vi("x", TP.FLOAT, [1, 1, 3, 3, 3])],
                  [_vi("y", TP.FLOAT, [1, 1, 3, 2, 3])], opset=11)


@model
def err_avgpool_int():
    n = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2])
    return _model("err_avgpool_int", [n], [_vi("x", TP.INT32, [1, 1, 4])],
                  [_vi("y", TP.INT32, [1, 1, 3])], check=False)


# --- BatchNormalization training_mode (ImportNN.cpp) -----------------------

@model
def batchnorm_training():
    n = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                         ["y", "rm", "rv"], training_mode=1, momentum=0.8)
    return _model("batchnorm_training", [n], [_vi("x", TP.FLOAT, [2, 3, 4])],
                  [_vi("y", TP.FLOAT, [2, 3, 4]), _vi("rm", TP.FLOAT, [3]),
                   _vi("rv", TP.FLOAT, [3])],
                  [_w("s", [3], 5), _w("b", [3], 6), _w("m", [3], 7),
                   _const("v", [1.0, 2.0, 0.5], np.float32)], opset=15)


if __name__ == "__main__":
    main(MODELS, "resize")
