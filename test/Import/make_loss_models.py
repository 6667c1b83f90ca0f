#!/usr/bin/env python3
"""Writes the small ONNX models that test/Import/loss.test reads.

    python test/Import/make_loss_models.py [OUT_DIR]
        (default: Inputs/loss/ here)

NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss, Dropout, TopK, Einsum,
GlobalMaxPool, GlobalLpPool and Det (ImportLoss.cpp) over tiny shapes. Valid
models pass onnx.checker and run under onnxruntime, so their numerics can be
compared end to end with qopt-compile + qopt-run; the err_* models are
unsupported on purpose and are not checked.
"""
import os
import sys

import numpy as np
from onnx import TensorProto as TP, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_test_models import (  # noqa: E402
    builder, const as _const, main, registry, vi as _vi)

MODELS, model = registry()  # name -> function returning a ModelProto
_model = builder(opset=18)


# --- NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss -------------------

@model
def nllloss_f16_mean_ii():
    # f16 input: gathered and summed in f32; weights and ignore_index.
    node = helper.make_node("NegativeLogLikelihoodLoss", ["x", "t", "w"],
                            ["y"], name="nllloss_f16_mean_ii",
                            reduction="mean", ignore_index=2)
    return _model("nllloss_f16_mean_ii", [node],
                  [_vi("x", TP.FLOAT16, [2, 3, 4]), _vi("t", TP.INT64, [2, 4]),
                   _vi("w", TP.FLOAT16, [3])], [_vi("y", TP.FLOAT16, [])])


@model
def nllloss_f64_none():
    # f64, [N, C], no weight, no reduction.
    node = helper.make_node("NegativeLogLikelihoodLoss", ["x", "t"], ["y"],
                            name="nllloss_f64_none", reduction="none")
    return _model("nllloss_f64_none", [node],
                  [_vi("x", TP.DOUBLE, [3, 5]), _vi("t", TP.INT32, [3])],
                  [_vi("y", TP.DOUBLE, [3])])


@model
def sce_sum_log_prob():
    node = helper.make_node("SoftmaxCrossEntropyLoss", ["x", "t"],
                            ["y", "log_prob"], name="sce_sum_log_prob",
                            reduction="sum")
    return _model("sce_sum_log_prob", [node],
                  [_vi("x", TP.FLOAT, [2, 3, 2]), _vi("t", TP.INT64, [2, 2])],
                  [_vi("y", TP.FLOAT, []), _vi("log_prob", TP.FLOAT, [2, 3, 2])])


@model
def err_nllloss_target_shape():
    node = helper.make_node("NegativeLogLikelihoodLoss", ["x", "t"], ["y"],
                            name="err_nllloss_target_shape")
    return _model("err_nllloss_target_shape", [node],
                  [_vi("x", TP.FLOAT, [2, 3, 4]), _vi("t", TP.INT64, [2, 3])],
                  [_vi("y", TP.FLOAT, [])], check=False)


@model
def err_nllloss_reduction():
    node = helper.make_node("NegativeLogLikelihoodLoss", ["x", "t"], ["y"],
                            name="err_nllloss_reduction", reduction="max")
    return _model("err_nllloss_reduction", [node],
                  [_vi("x", TP.FLOAT, [2, 3]), _vi("t", TP.INT64, [2])],
                  [_vi("y", TP.FLOAT, [])], check=False)


# --- Dropout ----------------------------------------------------------------

@model
def dropout_opset7_mask():
    # Before opset 10 the mask has the data type: all ones.
    node = helper.make_node("Dropout", ["x"], ["y", "mask"],
                            name="dropout_opset7_mask", ratio=0.3)
    return _model("dropout_opset7_mask", [node], [_vi("x", TP.FLOAT, [2, 3])],
                  [_vi("y", TP.FLOAT, [2, 3]), _vi("mask", TP.FLOAT, [2, 3])],
                  opset=7)


@model
def dropout_inference_mask():
    # training_mode a constant false: the identity and an all-true mask.
    node = helper.make_node("Dropout", ["x", "r", "t"], ["y", "mask"],
                            name="dropout_inference_mask")
    return _model("dropout_inference_mask", [node],
                  [_vi("x", TP.FLOAT, [2, 3])],
                  [_vi("y", TP.FLOAT, [2, 3]), _vi("mask", TP.BOOL, [2, 3])],
                  inits=[_const("r", 0.5, np.float32),
                         _const("t", False, np.bool_)], opset=13)


@model
def dropout_training_zero_ratio():
    # Training with ratio 0 keeps everything.
    node = helper.make_node("Dropout", ["x", "r", "t"], ["y"],
                            name="dropout_training_zero_ratio")
    return _model("dropout_training_zero_ratio", [node],
                  [_vi("x", TP.FLOAT, [2, 3])], [_vi("y", TP.FLOAT, [2, 3])],
                  inits=[_const("r", 0.0, np.float32),
                         _const("t", True, np.bool_)], opset=13)


@model
def err_dropout_training():
    node = helper.make_node("Dropout", ["x", "r", "t"], ["y"],
                            name="err_dropout_training")
    return _model("err_dropout_training", [node],
                  [_vi("x", TP.FLOAT, [2, 3])], [_vi("y", TP.FLOAT, [2, 3])],
                  inits=[_const("r", 0.5, np.float32),
                         _const("t", True, np.bool_)], opset=13, check=False)


@model
def err_dropout_runtime_mode():
    node = helper.make_node("Dropout", ["x", "r", "t"], ["y"],
                            name="err_dropout_runtime_mode")
    return _model("err_dropout_runtime_mode", [node],
                  [_vi("x", TP.FLOAT, [2, 3]), _vi("t", TP.BOOL, [])],
                  [_vi("y", TP.FLOAT, [2, 3])],
                  inits=[_const("r", 0.5, np.float32)], opset=13, check=False)


# --- TopK -------------------------------------------------------------------

@model
def topk_i64_axis0():
    # Integer values along axis 0, smallest first.
    node = helper.make_node("TopK", ["x", "k"], ["v", "i"],
                            name="topk_i64_axis0", axis=0, largest=0)
    return _model("topk_i64_axis0", [node], [_vi("x", TP.INT64, [5, 2])],
                  [_vi("v", TP.INT64, [2, 2]), _vi("i", TP.INT64, [2, 2])],
                  inits=[_const("k", [2], np.int64)])


@model
def topk_runtime_k():
    # K is a graph input: the declared output shape gives it.
    node = helper.make_node("TopK", ["x", "k"], ["v", "i"],
                            name="topk_runtime_k")
    return _model("topk_runtime_k", [node],
                  [_vi("x", TP.FLOAT, [2, 6]), _vi("k", TP.INT64, [1])],
                  [_vi("v", TP.FLOAT, [2, 3]), _vi("i", TP.INT64, [2, 3])],
                  check=False)


@model
def topk_opset1():
    node = helper.make_node("TopK", ["x"], ["v", "i"], name="topk_opset1", k=2)
    return _model("topk_opset1", [node], [_vi("x", TP.FLOAT, [3, 4])],
                  [_vi("v", TP.FLOAT, [3, 2]), _vi("i", TP.INT64, [3, 2])],
                  opset=9)


@model
def err_topk_k_too_large():
    node = helper.make_node("TopK", ["x", "k"], ["v", "i"],
                            name="err_topk_k_too_large")
    return _model("err_topk_k_too_large", [node], [_vi("x", TP.FLOAT, [3, 4])],
                  [_vi("v", TP.FLOAT, [3, 5]), _vi("i", TP.INT64, [3, 5])],
                  inits=[_const("k", [5], np.int64)], check=False)


# --- Einsum -----------------------------------------------------------------

def _einsum(name, eq, shapes, out, elem=TP.FLOAT, check=True):
    names = ["a", "b", "c"][:len(shapes)]
    node = helper.make_node("Einsum", names, ["y"], name=name, equation=eq)
    return _model(name, [node], [_vi(n, elem, s) for n, s in zip(names, shapes)],
                  [_vi("y", elem, out)], opset=12, check=check)


@model
def einsum_batch_matmul():
    return _einsum("einsum_batch_matmul", "bij,bjk->bik",
                   [[2, 3, 4], [2, 4, 5]], [2, 3, 5])


@model
def einsum_implicit():
    # No '->': letters seen once, alphabetically (ki = transpose of ik).
    return _einsum("einsum_implicit", "kj,ji", [[3, 4], [4, 2]], [2, 3])


@model
def einsum_ellipsis_f16():
    # Broadcast ellipsis dims and f16 summed in f32.
    return _einsum("einsum_ellipsis_f16", "...ij,...jk->...ik",
                   [[2, 1, 3, 4], [1, 3, 4, 2]], [2, 3, 3, 2], elem=TP.FLOAT16)


@model
def einsum_diagonal_i32():
    # A repeated letter reads the diagonal; integer sums.
    return _einsum("einsum_diagonal_i32", "ii->", [[3, 3]], [], elem=TP.INT32)


@model
def err_einsum_output_letter():
    return _einsum("err_einsum_output_letter", "ij->k", [[2, 3]], [2],
                   check=False)


# --- GlobalMaxPool, GlobalLpPool, Det ---------------------------------------

@model
def globalmaxpool_f64():
    node = helper.make_node("GlobalMaxPool", ["x"], ["y"],
                            name="globalmaxpool_f64")
    return _model("globalmaxpool_f64", [node],
                  [_vi("x", TP.DOUBLE, [1, 2, 3, 3])],
                  [_vi("y", TP.DOUBLE, [1, 2, 1, 1])])


@model
def globalmaxpool_f32():
    node = helper.make_node("GlobalMaxPool", ["x"], ["y"],
                            name="globalmaxpool_f32")
    return _model("globalmaxpool_f32", [node],
                  [_vi("x", TP.FLOAT, [1, 2, 3, 3])],
                  [_vi("y", TP.FLOAT, [1, 2, 1, 1])])


@model
def globallppool_p3():
    node = helper.make_node("GlobalLpPool", ["x"], ["y"],
                            name="globallppool_p3", p=3)
    return _model("globallppool_p3", [node], [_vi("x", TP.FLOAT, [1, 2, 4])],
                  [_vi("y", TP.FLOAT, [1, 2, 1])])


@model
def det_3x3_batch():
    node = helper.make_node("Det", ["x"], ["y"], name="det_3x3_batch")
    return _model("det_3x3_batch", [node], [_vi("x", TP.FLOAT, [2, 3, 3])],
                  [_vi("y", TP.FLOAT, [2])])


@model
def err_det_4x4():
    node = helper.make_node("Det", ["x"], ["y"], name="err_det_4x4")
    return _model("err_det_4x4", [node], [_vi("x", TP.FLOAT, [4, 4])],
                  [_vi("y", TP.FLOAT, [])], check=False)


if __name__ == "__main__":
    main(MODELS, "loss")
