"""ONNX's quantized operators compile with qopt and agree with onnxruntime.

QLinearMatMul and QLinearConv with constant scales and zero points (as
quantization tools write them) import as DequantizeLinear -> float op ->
QuantizeLinear; their uint8/int8 outputs may differ from onnxruntime's
integer kernels by one quantization step (a value at a rounding tie after
float sums in another order, or onnxruntime's requantization in float of
an int32 accumulator), never more. Where uint8 activations meet int8
weights, the weights are drawn from [-64, 63], as onnxruntime's quantizer
draws them (reduce_range): its u8 x s8 kernels saturate int16 pair sums on
x86 without VNNI, and full-range weights put it tens of steps away from the
ONNX reference evaluator, which qopt matches. MatMulInteger and ConvInteger with
constant zero points (one int8 TOSA op taking them) and with per-row /
per-channel zero points (the int8 op plus zero-point corrections) must be
exact, as must DynamicQuantizeLinear. Every model is built here with
onnx.helper from seeded random data.
"""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import qopt_e2e

U8, I8, F32 = TensorProto.UINT8, TensorProto.INT8, TensorProto.FLOAT
_NP = {U8: np.uint8, I8: np.int8}


def _const(name, value, dtype):
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def _model(name, node, inputs, outputs, inits, opset=13):
    graph = helper.make_graph([node], name, inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m


def _random(rng, elem, shape, reduce_range=False):
    lo, hi = (0, 256) if elem == U8 else (-64, 64) if reduce_range else (-128, 128)
    return rng.integers(lo, hi, size=shape).astype(_NP[elem])


def qlinear_matmul(seed, a_type, b_type, y_type, batch):
    """a [batch.., M, K] per tensor x constant b [K, N] per column."""
    rng = np.random.default_rng(seed)
    m, k, n = 6, 16, 5
    a_shape = [*batch, m, k]
    b = _random(rng, b_type, (k, n), reduce_range=a_type == U8)
    bzp = _random(rng, b_type, (n,)) if b_type == U8 else np.zeros(n, np.int8)
    inits = [
        _const("a_scale", 0.02, np.float32),
        _const("a_zero_point", 128 if a_type == U8 else 3, _NP[a_type]),
        _const("b", b, _NP[b_type]),
        _const("b_scale", rng.uniform(0.002, 0.01, n), np.float32),
        _const("b_zero_point", bzp, _NP[b_type]),
        # About three standard deviations of the product span the output range.
        _const("y_scale", 0.04, np.float32),
        _const("y_zero_point", 128 if y_type == U8 else -2, _NP[y_type]),
    ]
    node = helper.make_node(
        "QLinearMatMul", ["a", "a_scale", "a_zero_point", "b", "b_scale",
                          "b_zero_point", "y_scale", "y_zero_point"], ["y"], name="qmm")
    model = _model("qlinear_matmul", node,
                   [helper.make_tensor_value_info("a", a_type, a_shape)],
                   [helper.make_tensor_value_info("y", y_type, [*batch, m, n])], inits)
    return model, {"a": _random(rng, a_type, a_shape)}


def qlinear_conv(seed, x_type, per_channel, pads, group):
    """x [1, C, 7, 7] per tensor, constant w [O, C/group, 3, 3], int32 bias."""
    rng = np.random.default_rng(seed)
    c, o = 4, 6
    w = _random(rng, I8, (o, c // group, 3, 3), reduce_range=x_type == U8)
    ws = rng.uniform(0.002, 0.01, o) if per_channel else [0.005]
    inits = [
        _const("x_scale", 0.02, np.float32),
        _const("x_zero_point", 128 if x_type == U8 else -1, _NP[x_type]),
        _const("w", w, np.int8),
        _const("w_scale", ws, np.float32),
        _const("w_zero_point", np.zeros(len(ws)), np.int8),
        _const("y_scale", 0.05, np.float32),
        _const("y_zero_point", 128 if x_type == U8 else 5, _NP[x_type]),
        _const("B", rng.integers(-2000, 2000, o), np.int32),
    ]
    node = helper.make_node(
        "QLinearConv", ["x", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point",
                        "y_scale", "y_zero_point", "B"], ["y"], name="qconv",
        pads=pads, group=group)
    out = [7 + pads[0] + pads[2] - 2, 7 + pads[1] + pads[3] - 2]
    model = _model("qlinear_conv", node,
                   [helper.make_tensor_value_info("x", x_type, [1, c, 7, 7])],
                   [helper.make_tensor_value_info("y", x_type, [1, o, *out])], inits)
    return model, {"x": _random(rng, x_type, (1, c, 7, 7))}


def matmul_integer(seed, a_type, b_type, per_row):
    """Returns the model, its feeds and the exact int32 result."""
    rng = np.random.default_rng(seed)
    m, k, n = 5, 33, 7
    azp = _random(rng, a_type, (m,) if per_row else ())
    bzp = _random(rng, b_type, ())
    b = _random(rng, b_type, (k, n), reduce_range=a_type == U8)
    inits = [_const("b", b, _NP[b_type]),
             _const("a_zero_point", azp, _NP[a_type]),
             _const("b_zero_point", bzp, _NP[b_type])]
    node = helper.make_node("MatMulInteger", ["a", "b", "a_zero_point", "b_zero_point"],
                            ["y"], name="mmi")
    model = _model("matmul_integer", node,
                   [helper.make_tensor_value_info("a", a_type, [2, m, k])],
                   [helper.make_tensor_value_info("y", TensorProto.INT32, [2, m, n])],
                   inits, opset=10)
    a = _random(rng, a_type, (2, m, k))
    za = azp.astype(np.int64).reshape(-1, 1)  # per row: one per row of a
    want = (a.astype(np.int64) - za) @ (b.astype(np.int64) - int(bzp))
    return model, {"a": a}, want.astype(np.int32)


def conv_integer(seed, x_type, w_type, per_channel):
    """Returns the model, its feeds and the exact int32 result (padding
    reads as the zero point, i.e. contributes nothing)."""
    rng = np.random.default_rng(seed)
    c, o = 3, 4
    pads, strides = [1, 0, 2, 1], [2, 1]
    wzp = _random(rng, w_type, (o,) if per_channel else ())
    xzp = _random(rng, x_type, ())
    w = _random(rng, w_type, (o, c, 3, 3), reduce_range=x_type == U8)
    inits = [_const("w", w, _NP[w_type]),
             _const("x_zero_point", xzp, _NP[x_type]),
             _const("w_zero_point", wzp, _NP[w_type])]
    node = helper.make_node("ConvInteger", ["x", "w", "x_zero_point", "w_zero_point"],
                            ["y"], name="convi", pads=pads, strides=strides)
    model = _model("conv_integer", node,
                   [helper.make_tensor_value_info("x", x_type, [2, c, 6, 5])],
                   [helper.make_tensor_value_info("y", TensorProto.INT32, [2, o, 4, 4])],
                   inits, opset=10)
    x = _random(rng, x_type, (2, c, 6, 5))
    xs = np.pad(x.astype(np.int64) - int(xzp),
                [(0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])])
    ws = w.astype(np.int64) - wzp.astype(np.int64).reshape(-1, 1, 1, 1)
    want = np.zeros((2, o, 4, 4), np.int64)
    for i in range(4):
        for j in range(4):
            patch = xs[:, :, i * strides[0]:i * strides[0] + 3, j * strides[1]:j * strides[1] + 3]
            want[:, :, i, j] = np.einsum("nchw,ochw->no", patch, ws)
    return model, {"x": x}, want.astype(np.int32)


def dynamic_quantize_linear(seed, offset):
    rng = np.random.default_rng(seed)
    node = helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "y_scale", "y_zp"],
                            name="dql")
    model = _model("dynamic_quantize_linear", node,
                   [helper.make_tensor_value_info("x", F32, [3, 40])],
                   [helper.make_tensor_value_info("y", U8, [3, 40]),
                    helper.make_tensor_value_info("y_scale", F32, []),
                    helper.make_tensor_value_info("y_zp", U8, [])], [], opset=11)
    return model, {"x": (rng.standard_normal((3, 40)) + offset).astype(np.float32)}


def _compile_and_run(model, feeds, tmp_path, with_onnxruntime=True):
    """qopt's outputs and onnxruntime's (None without `with_onnxruntime`,
    for cases onnxruntime does not implement)."""
    path = str(tmp_path / "model.onnx")
    onnx.save(model, path)
    c = qopt_e2e.compile_model(path, str(tmp_path / "m.so"))
    assert c.returncode == 0, c.stderr
    qopt_e2e.write_tensors(str(tmp_path / "in"), "input", feeds)
    r = qopt_e2e.run_model(str(tmp_path / "m.so"), str(tmp_path / "in"),
                           save_dir=str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    got = qopt_e2e.read_outputs(str(tmp_path / "out"))
    if not with_onnxruntime:
        return got, None
    want = list(qopt_e2e.run_onnxruntime(path, feeds).values())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
    return got, want


def _within_one_step(got, want):
    diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
    assert diff.max() <= 1, (int(diff.max()), int(np.sum(diff > 1)), diff.size)
    # The model must not be degenerate: outputs spread over the range.
    assert len(np.unique(want)) > 10


@pytest.mark.parametrize("a_type,b_type,y_type,batch", [
    (U8, I8, U8, []),
    (U8, U8, U8, [2]),
    (I8, I8, I8, [2, 3]),
])
def test_qlinear_matmul(a_type, b_type, y_type, batch, tmp_path):
    model, feeds = qlinear_matmul(7, a_type, b_type, y_type, batch)
    got, want = _compile_and_run(model, feeds, tmp_path)
    _within_one_step(got[0], want[0])


@pytest.mark.parametrize("x_type,per_channel,pads,group", [
    (U8, True, [1, 1, 1, 1], 1),
    (I8, False, [0, 2, 1, 0], 1),
    (U8, True, [1, 1, 1, 1], 2),
])
def test_qlinear_conv(x_type, per_channel, pads, group, tmp_path):
    model, feeds = qlinear_conv(11, x_type, per_channel, pads, group)
    got, want = _compile_and_run(model, feeds, tmp_path)
    _within_one_step(got[0], want[0])


# onnxruntime refuses per-row (MatMulInteger) and per-channel (ConvInteger)
# zero points; every case is checked against numpy's exact result, the
# per-tensor ones against onnxruntime as well.
@pytest.mark.parametrize("a_type,b_type,per_row", [
    (U8, I8, False), (U8, U8, False), (I8, I8, False), (U8, U8, True), (I8, U8, True),
])
def test_matmul_integer_exact(a_type, b_type, per_row, tmp_path):
    model, feeds, exact = matmul_integer(3, a_type, b_type, per_row)
    got, want = _compile_and_run(model, feeds, tmp_path, with_onnxruntime=not per_row)
    np.testing.assert_array_equal(got[0], exact)
    if want is not None:
        np.testing.assert_array_equal(got[0], want[0])


@pytest.mark.parametrize("x_type,w_type,per_channel", [
    (U8, I8, False), (U8, U8, False), (I8, I8, True), (U8, U8, True),
])
def test_conv_integer_exact(x_type, w_type, per_channel, tmp_path):
    model, feeds, exact = conv_integer(5, x_type, w_type, per_channel)
    got, want = _compile_and_run(model, feeds, tmp_path, with_onnxruntime=not per_channel)
    np.testing.assert_array_equal(got[0], exact)
    if want is not None:
        np.testing.assert_array_equal(got[0], want[0])


@pytest.mark.parametrize("offset", [0.0, 3.0, -3.0])
def test_dynamic_quantize_linear_exact(offset, tmp_path):
    model, feeds = dynamic_quantize_linear(13, offset)
    got, want = _compile_and_run(model, feeds, tmp_path)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
