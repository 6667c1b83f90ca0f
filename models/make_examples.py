#!/usr/bin/env python3
"""Writes qopt's bundled example models with fixed-seed weights.

    python models/make_examples.py [OUT_DIR]   (default: models/)

mlp.onnx  - Gemm -> Relu -> MatMul + Add -> Softmax (opset 17), input x [1, 64]
cnn.onnx  - Conv -> BatchNorm -> Relu -> MaxPool -> Conv -> Relu ->
            AveragePool -> Conv (stride 2) -> GlobalAveragePool -> Flatten ->
            Gemm -> Sigmoid (opset 17), input image [1, 3, 32, 32]
encoder.onnx - 2-layer transformer encoder: attention, LayerNormalization,
            GELU via Erf (opset 17), input tokens [1, 32, 64]

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


def make_encoder(rng, seq=32, d=64, heads=4, ff=128, layers=2):
    """A transformer encoder: multi-head self-attention, LayerNormalization
    (opset 17) and a GELU MLP (0.5 x (1 + erf(x / sqrt 2)))."""
    hd = d // heads
    nodes, inits = [], []

    def w(name, shape, scale):
        inits.append(_init(name, rng.standard_normal(shape) * scale))
        return name

    def c(name, value, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(op, ins, outs, name, **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=name, **attrs))
        return outs[0]

    c("heads_shape", [1, seq, heads, hd], np.int64)
    c("model_shape", [1, seq, d], np.int64)
    c("inv_sqrt_hd", 1.0 / np.sqrt(hd))
    c("inv_sqrt2", 1.0 / np.sqrt(2.0))
    c("one", 1.0)
    c("half", 0.5)
    x = "tokens"
    for l in range(layers):
        p = f"/layers.{l}"
        qkv = {}
        for name in ("q", "k", "v"):
            t = node("MatMul", [x, w(f"{p}.{name}_w", (d, d), d ** -0.5)], [f"{p}/{name}"],
                     f"{p}/attn/{name}_proj")
            t = node("Add", [t, w(f"{p}.{name}_b", (d,), 0.02)], [f"{p}/{name}_b"],
                     f"{p}/attn/{name}_bias")
            t = node("Reshape", [t, "heads_shape"], [f"{p}/{name}_heads"], f"{p}/attn/{name}_split")
            perm = [0, 2, 3, 1] if name == "k" else [0, 2, 1, 3]
            qkv[name] = node("Transpose", [t], [f"{p}/{name}_t"], f"{p}/attn/{name}_t", perm=perm)
        s = node("MatMul", [qkv["q"], qkv["k"]], [f"{p}/scores"], f"{p}/attn/MatMul")
        s = node("Mul", [s, "inv_sqrt_hd"], [f"{p}/scaled"], f"{p}/attn/scale")
        s = node("Softmax", [s], [f"{p}/probs"], f"{p}/attn/Softmax", axis=-1)
        o = node("MatMul", [s, qkv["v"]], [f"{p}/ctx"], f"{p}/attn/MatMul_1")
        o = node("Transpose", [o], [f"{p}/ctx_t"], f"{p}/attn/merge_t", perm=[0, 2, 1, 3])
        o = node("Reshape", [o, "model_shape"], [f"{p}/ctx_m"], f"{p}/attn/merge")
        o = node("MatMul", [o, w(f"{p}.o_w", (d, d), d ** -0.5)], [f"{p}/o"], f"{p}/attn/out_proj")
        o = node("Add", [o, x], [f"{p}/res1"], f"{p}/attn/residual")
        x1 = node("LayerNormalization",
                  [o, w(f"{p}.ln1_g", (d,), 0.1), w(f"{p}.ln1_b", (d,), 0.1)],
                  [f"{p}/ln1"], f"{p}/ln1", axis=-1, epsilon=1e-5)
        h = node("MatMul", [x1, w(f"{p}.fc1_w", (d, ff), d ** -0.5)], [f"{p}/fc1"], f"{p}/mlp/fc1")
        h = node("Add", [h, w(f"{p}.fc1_b", (ff,), 0.02)], [f"{p}/fc1_b"], f"{p}/mlp/fc1_bias")
        e = node("Mul", [h, "inv_sqrt2"], [f"{p}/g0"], f"{p}/mlp/gelu/div")
        e = node("Erf", [e], [f"{p}/g1"], f"{p}/mlp/gelu/Erf")
        e = node("Add", [e, "one"], [f"{p}/g2"], f"{p}/mlp/gelu/add")
        e = node("Mul", [h, e], [f"{p}/g3"], f"{p}/mlp/gelu/mul")
        h = node("Mul", [e, "half"], [f"{p}/gelu"], f"{p}/mlp/gelu/half")
        h = node("MatMul", [h, w(f"{p}.fc2_w", (ff, d), ff ** -0.5)], [f"{p}/fc2"], f"{p}/mlp/fc2")
        h = node("Add", [h, x1], [f"{p}/res2"], f"{p}/mlp/residual")
        x = node("LayerNormalization",
                 [h, w(f"{p}.ln2_g", (d,), 0.1), w(f"{p}.ln2_b", (d,), 0.1)],
                 [f"{p}/ln2"], f"{p}/ln2", axis=-1, epsilon=1e-5)
    nodes.append(helper.make_node("Identity", [x], ["hidden"], name="output"))
    for t in inits:
        if t.name.endswith("_g"):
            arr = numpy_helper.to_array(t) + 1.0
            t.CopyFrom(numpy_helper.from_array(arr.astype(np.float32), t.name))
    graph = helper.make_graph(
        nodes, "encoder",
        [helper.make_tensor_value_info("tokens", TensorProto.FLOAT, [1, seq, d])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [1, seq, d])],
        inits)
    return graph


def make_decoder(rng, seq=16, vocab=256, d=128, heads=4, ff=256, eps=1e-5, layers=1):
    """A LLaMA-like decoder block (no rotary embedding, no KV cache): embedding
    Gather, RMSNorm as x * 1/sqrt(mean(x^2) + eps) * weight in primitive ops,
    causal self-attention (additive -1e9 mask: exp underflows to exactly 0 in
    every runtime), SwiGLU MLP (SiLU as x * Sigmoid(x)), final RMSNorm and an
    untied LM head; matrices without bias, std 1/sqrt(fan_in). The weights
    do not depend on `seq`, so seq=1 is the decode step of the same model.
    `layers` stacks blocks (bench/bench_scale.py builds a ~1B-parameter
    model so)."""
    hd = d // heads
    nodes, inits = [], []

    def w(name, shape, scale, offset=0.0):
        inits.append(_init(name, offset + rng.standard_normal(shape) * scale))
        return name

    def c(name, value, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    def rms_norm(x, p, square, invert):
        # Three spellings of the same normalisation, so that the importer
        # sees Pow and Mul for the square, Div and Reciprocal for 1/sqrt.
        g = w(f"{p}.weight", (d,), 0.1, offset=1.0)
        sq = (node("Pow", [x, "two"], f"{p}/Pow") if square == "pow"
              else node("Mul", [x, x], f"{p}/Mul_sq"))
        ms = node("ReduceMean", [sq], f"{p}/ReduceMean", axes=[-1], keepdims=1)
        ms = node("Add", [ms, "eps"], f"{p}/Add")
        rs = node("Sqrt", [ms], f"{p}/Sqrt")
        if invert == "div":
            y = node("Div", [x, rs], f"{p}/Div")
        else:
            y = node("Mul", [x, node("Reciprocal", [rs], f"{p}/Reciprocal")],
                     f"{p}/Mul")
        return node("Mul", [y, g], f"{p}/Mul_weight")

    c("two", 2.0)
    c("eps", eps)
    c("heads_shape", [1, seq, heads, hd], np.int64)
    c("model_shape", [1, seq, d], np.int64)
    c("inv_sqrt_hd", 1.0 / np.sqrt(hd))
    c("causal_mask", np.triu(np.full((seq, seq), -1e9), k=1))
    x = node("Gather", [w("embed_tokens.weight", (vocab, d), 1.0), "input_ids"],
             "/embed_tokens/Gather", axis=0)

    for layer in range(layers):
        p = f"/layers.{layer}"
        h = rms_norm(x, f"{p}/input_layernorm", "pow", "div")
        qkv = {}
        for name in ("q", "k", "v"):
            t = node("MatMul", [h, w(f"{p}.self_attn.{name}_proj.weight", (d, d), d ** -0.5)],
                     f"{p}/self_attn/{name}_proj/MatMul")
            t = node("Reshape", [t, "heads_shape"], f"{p}/self_attn/{name}_Reshape")
            perm = [0, 2, 3, 1] if name == "k" else [0, 2, 1, 3]
            qkv[name] = node("Transpose", [t], f"{p}/self_attn/{name}_Transpose", perm=perm)
        s = node("MatMul", [qkv["q"], qkv["k"]], f"{p}/self_attn/MatMul")
        s = node("Mul", [s, "inv_sqrt_hd"], f"{p}/self_attn/Mul_scale")
        s = node("Add", [s, "causal_mask"], f"{p}/self_attn/Add_mask")
        s = node("Softmax", [s], f"{p}/self_attn/Softmax", axis=-1)
        o = node("MatMul", [s, qkv["v"]], f"{p}/self_attn/MatMul_1")
        o = node("Transpose", [o], f"{p}/self_attn/Transpose_merge", perm=[0, 2, 1, 3])
        o = node("Reshape", [o, "model_shape"], f"{p}/self_attn/Reshape_merge")
        o = node("MatMul", [o, w(f"{p}.self_attn.o_proj.weight", (d, d), d ** -0.5)],
                 f"{p}/self_attn/o_proj/MatMul")
        x = node("Add", [x, o], f"{p}/Add_attn_residual")

        h = rms_norm(x, f"{p}/post_attention_layernorm", "mul", "reciprocal")
        g = node("MatMul", [h, w(f"{p}.mlp.gate_proj.weight", (d, ff), d ** -0.5)],
                 f"{p}/mlp/gate_proj/MatMul")
        u = node("MatMul", [h, w(f"{p}.mlp.up_proj.weight", (d, ff), d ** -0.5)],
                 f"{p}/mlp/up_proj/MatMul")
        g = node("Mul", [g, node("Sigmoid", [g], f"{p}/mlp/act_fn/Sigmoid")],
                 f"{p}/mlp/act_fn/Mul")
        m = node("Mul", [g, u], f"{p}/mlp/Mul")
        m = node("MatMul", [m, w(f"{p}.mlp.down_proj.weight", (ff, d), ff ** -0.5)],
                 f"{p}/mlp/down_proj/MatMul")
        x = node("Add", [x, m], f"{p}/Add_mlp_residual")

    h = rms_norm(x, "/norm", "pow", "reciprocal")
    nodes.append(helper.make_node(
        "MatMul", [h, w("lm_head.weight", (d, vocab), d ** -0.5)], ["logits"],
        name="/lm_head/MatMul"))
    graph = helper.make_graph(
        nodes, "decoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, seq])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, seq, vocab])],
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
    save(make_encoder(np.random.default_rng(91011)), os.path.join(out, "encoder.onnx"))
    save(make_decoder(np.random.default_rng(121314)), os.path.join(out, "decoder.onnx"))


if __name__ == "__main__":
    main()
