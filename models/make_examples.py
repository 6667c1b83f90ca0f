#!/usr/bin/env python3
"""Writes qopt's bundled example models with fixed-seed weights.

    python models/make_examples.py [OUT_DIR]   (default: models/)

mlp.onnx  - Gemm -> Relu -> MatMul + Add -> Softmax (opset 17), input x [1, 64]
cnn.onnx  - Conv -> BatchNorm -> Relu -> MaxPool -> Conv -> Relu ->
            AveragePool -> Conv (stride 2) -> GlobalAveragePool -> Flatten ->
            Gemm -> Sigmoid (opset 17), input image [1, 3, 32, 32]

The files are checked in (each well under 1 MB) so that the demo downloads
nothing; rerunning this script reproduces them byte for byte.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def _init(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def make_mlp(rng):
    w1 = rng.standard_normal((64, 128)) * 0.12
    b1 = rng.standard_normal(128) * 0.1
    w2 = rng.standard_normal((128, 10)) * 0.09
    b2 = rng.standard_normal(10) * 0.1
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1"),
        helper.make_node("Relu", ["h"], ["h_relu"], name="relu1"),
        helper.make_node("MatMul", ["h_relu", "w2"], ["logits0"], name="fc2"),
        helper.make_node("Add", ["logits0", "b2"], ["logits"], name="fc2_bias"),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 10])],
        [_init("w1", w1), _init("b1", b1), _init("w2", w2), _init("b2", b2)])
    return graph


def make_cnn(rng):
    def conv_w(o, i, k):
        return rng.standard_normal((o, i, k, k)) * np.sqrt(2.0 / (i * k * k))

    inits = [
        _init("c1_w", conv_w(16, 3, 3)), _init("c1_b", rng.standard_normal(16) * 0.05),
        _init("bn_scale", 1.0 + 0.1 * rng.standard_normal(16)),
        _init("bn_bias", 0.1 * rng.standard_normal(16)),
        _init("bn_mean", 0.1 * rng.standard_normal(16)),
        _init("bn_var", 0.5 + rng.random(16)),
        _init("c2_w", conv_w(32, 16, 3)), _init("c2_b", rng.standard_normal(32) * 0.05),
        _init("c3_w", conv_w(32, 32, 3)),
        _init("fc_w", rng.standard_normal((10, 32)) * 0.2),
        _init("fc_b", rng.standard_normal(10) * 0.05),
    ]
    nodes = [
        helper.make_node("Conv", ["image", "c1_w", "c1_b"], ["c1"], name="conv1",
                         pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization",
                         ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["bn"],
                         name="bn1", epsilon=1e-5),
        helper.make_node("Relu", ["bn"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "c2_w", "c2_b"], ["c2"], name="conv2",
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("AveragePool", ["r2"], ["p2"], name="pool2",
                         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["p2", "c3_w"], ["c3"], name="conv3",
                         strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("GlobalAveragePool", ["c3"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["fc"], name="fc",
                         transB=1),
        helper.make_node("Sigmoid", ["fc"], ["scores"], name="sigmoid"),
    ]
    graph = helper.make_graph(
        nodes, "cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 10])],
        inits)
    return graph


def save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="qopt-examples")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    save(make_mlp(np.random.default_rng(1234)), os.path.join(out, "mlp.onnx"))
    save(make_cnn(np.random.default_rng(5678)), os.path.join(out, "cnn.onnx"))


if __name__ == "__main__":
    main()
