"""The int8-dynamic recipe end to end: on every example model the weights
shrink to int8 and the outputs stay close to the FP32 compile; on a single
MatMul, qopt reproduces an independent numpy model of the scheme (weights
int8 per column, activations int8 per row at run time, int32 products)."""
import glob
import json
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import qopt_e2e

MODELS = sorted(glob.glob(os.path.join(qopt_e2e.ROOT, "models", "*.onnx")))


@pytest.mark.parametrize("model", MODELS, ids=lambda p: os.path.basename(p))
def test_int8_dynamic_recipe(model, tmp_path):
    data = tmp_path / "inputs"
    for seed in (0, 1):
        qopt_e2e.write_tensors(str(data / f"sample{seed}"), "input",
                               qopt_e2e.random_inputs(model, seed))
    c = qopt_e2e.compile_model(model, str(tmp_path / "m.so"),
                               ["--recipe", "int8-dynamic", "--report", str(tmp_path / "r.json"),
                                "--validate-inputs", str(data)])
    assert c.returncode == 0, c.stderr
    report = json.load(open(tmp_path / "r.json"))
    assert report["recipe"] == "int8-dynamic"
    # Matrix weights at 1 byte plus an f32 scale per output channel; biases
    # and normalisation parameters stay f32 (4-11% of these models' bytes).
    assert report["weight_bytes"] <= 0.30 * report["weight_bytes_fp32"], report
    for out in report["outputs"]:
        # The bar for int8 (static and dynamic) against FP32.
        assert out["cosine"] >= 0.99, out


def numpy_int8_dynamic_matmul(x, w):
    """The scheme, written independently, in f32 with the same operation
    order as the compiled code."""
    f32 = np.float32
    ws = np.abs(w).max(axis=0).astype(f32) / f32(127)
    ws[ws == 0] = 1
    wq = np.clip(np.rint(w / ws), -127, 127).astype(np.int32)
    amax = np.abs(x).max(axis=-1, keepdims=True).astype(f32)
    with np.errstate(divide="ignore"):
        inv = np.where(amax > 0, f32(127) / amax, f32(0)).astype(f32)
    xq = np.clip(np.rint(x * inv), -127, 127).astype(np.int32)
    acc = xq @ wq  # exact in int32 here (|acc| <= 64 * 127 * 127)
    scale = (amax / f32(127)) * ws[None, :]
    return acc.astype(f32) * scale.astype(f32)


def test_int8_dynamic_matches_numpy_model(tmp_path):
    rng = np.random.default_rng(3)
    m, k, n = 5, 64, 48
    w = rng.standard_normal((k, n)).astype(np.float32)
    w[:, 7] = 0  # an all-zero output channel
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(w, "w")])
    path = str(tmp_path / "mm.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    x = rng.standard_normal((m, k)).astype(np.float32) * 3
    x[2] = 0  # an all-zero row
    qopt_e2e.write_tensors(str(tmp_path / "in"), "input", {"x": x})
    c = qopt_e2e.compile_model(path, str(tmp_path / "mm.so"), ["--recipe", "int8-dynamic"])
    assert c.returncode == 0, c.stderr
    r = qopt_e2e.run_model(str(tmp_path / "mm.so"), str(tmp_path / "in"),
                           save_dir=str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    got = qopt_e2e.read_outputs(str(tmp_path / "out"))[0]
    want = numpy_int8_dynamic_matmul(x, w)
    # Integer products are exact and the rescale is two f32 multiplies in
    # the same order: at most 1 ulp apart (a product may be contracted).
    np.testing.assert_allclose(got, want, rtol=2.5e-7, atol=0)
    assert np.all(got[2] == 0) and np.all(got[:, 7] == 0)
    # And the scheme itself stays close to the f32 product.
    exact = x @ w
    cos = (got * exact).sum() / np.linalg.norm(got) / np.linalg.norm(exact)
    assert cos >= 0.999
