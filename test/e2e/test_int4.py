"""Weight-only int4 recipes end to end on the decoder test model (a
LLaMA-like block, models/decoder.onnx): size, accuracy of RTN, GPTQ, AWQ
and NF4 against FP32, and the 4-bit matrix-vector product checked against
onnxruntime's own MatMulNBits quantization of the same weights."""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import qopt_e2e

DECODER = os.path.join(qopt_e2e.ROOT, "models", "decoder.onnx")


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """Calibration inputs (16 seeded token sequences) and 16 held-out ones."""
    d = tmp_path_factory.mktemp("int4-samples")
    cal, val = str(d / "cal"), str(d / "val")
    qopt_e2e.write_samples(cal, [qopt_e2e.random_inputs(DECODER, s) for s in range(10, 26)])
    qopt_e2e.write_samples(val, [qopt_e2e.random_inputs(DECODER, s) for s in range(100, 116)])
    return cal, val


@pytest.fixture(scope="module")
def reports(samples, tmp_path_factory):
    """Each recipe compiled once, validated against FP32 on the held-out
    inputs (the report's cosine is over all of them together)."""
    cal, val = samples
    d = tmp_path_factory.mktemp("int4-reports")
    out = {}
    for recipe in ("int4", "int4-gptq", "int4-awq", "nf4", "bf16,int4"):
        extra = ["--calibration", cal] if recipe in ("int4-gptq", "int4-awq") else []
        report = str(d / (recipe.replace(",", "_") + ".json"))
        c = qopt_e2e.compile_model(DECODER, str(d / (recipe.replace(",", "_") + ".so")),
                                   ["--recipe", recipe, "--report", report,
                                    "--validate-inputs", val, *extra])
        assert c.returncode == 0, (recipe, c.stderr)
        out[recipe] = json.load(open(report))
    return out


def cosine(report):
    (out,) = report["outputs"]
    return out["cosine"]


def ratio(report):
    return report["weight_bytes"] / report["weight_bytes_fp32"]


def test_int4_size_and_accuracy(reports):
    r = reports["int4"]
    # The bars: int4 g128 weight_bytes <= 0.14 x FP32 (measured
    # 0.1386: 4-bit codes, an f32 scale per 128 weights, the embedding in
    # groups of 32, RMSNorm weights in f32) and cosine >= 0.98 (measured
    # 0.981 over the 16 held-out inputs).
    assert ratio(r) <= 0.14, r
    assert cosine(r) >= 0.98, r
    assert r["validation_samples"] == 16


def test_gptq_and_awq_at_least_as_good_as_rtn(reports):
    # Same grid and size as RTN; GPTQ compensates rounding errors through
    # the layer inputs' Hessian, AWQ scales salient input channels and
    # clips ranges (measured: RTN 0.9811, GPTQ 0.9841, AWQ 0.9835).
    rtn = cosine(reports["int4"])
    for recipe in ("int4-gptq", "int4-awq"):
        assert cosine(reports[recipe]) >= rtn, (recipe, reports[recipe], rtn)
        assert ratio(reports[recipe]) <= 0.145, reports[recipe]  # + AWQ's 1/s vectors


def test_nf4_and_bf16_composition(reports):
    # NF4 uses blocks of 64 (QLoRA): an f32 absmax per 64 weights, 0.1453 of
    # FP32 measured.
    assert cosine(reports["nf4"]) >= 0.98, reports["nf4"]
    assert ratio(reports["nf4"]) <= 0.15, reports["nf4"]
    # bf16 everywhere else: the elementwise work in bf16, the products
    # still decode int4 weights against f32 activations.
    assert cosine(reports["bf16,int4"]) >= 0.98, reports["bf16,int4"]
    assert ratio(reports["bf16,int4"]) <= 0.14, reports["bf16,int4"]


def ort_nbits(src, dst, block, symmetric):
    from onnxruntime.quantization import matmul_nbits_quantizer as mnq
    q = mnq.MatMulNBitsQuantizer(onnx.load(src), block_size=block, is_symmetric=symmetric)
    q.process()
    q.model.save_model_to_file(dst, use_external_data_format=False)


@pytest.mark.parametrize("rows", [1, 3, 9])
@pytest.mark.parametrize("symmetric", [True, False])
def test_matrix_vector_against_onnxruntime(tmp_path, rows, symmetric):
    """qopt's int4 recipe of an fp32 MatMul and onnxruntime's MatMulNBits
    quantization of the same weights hold the same codes and scales (the
    quantizers agree bit for bit), so with f32 activations the products
    differ only by summation order: |d| <= 2 K u sum|x w|, u = 2^-24.
    rows 1 and 3 take the matrix-vector kernel, 9 the packed GEMM."""
    pytest.importorskip("onnx_ir")
    k, n = 256, 96
    rng = np.random.default_rng(7)
    w = (rng.standard_normal((k, n)) / 16).astype(np.float32)
    src = str(tmp_path / "mm.onnx")
    qopt_e2e.save_matmul_model(src, w, rows)
    fmt = "symmetric" if symmetric else "asymmetric"
    so = str(tmp_path / "mm.so")
    c = qopt_e2e.compile_model(src, so, ["--recipe", "int4", "--int4-format", fmt,
                                         "--int4-activations", "f32"])
    assert c.returncode == 0, c.stderr
    nbits = str(tmp_path / "mm_nbits.onnx")
    ort_nbits(src, nbits, 128, symmetric)
    feeds = {"x": rng.standard_normal((rows, k)).astype(np.float32)}
    want = qopt_e2e.run_onnxruntime(nbits, feeds)["y"]
    data = str(tmp_path / "in")
    qopt_e2e.write_tensors(data, "input", feeds)
    r = qopt_e2e.run_model(so, data, save_dir=str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    got = qopt_e2e.read_outputs(str(tmp_path / "out"))[0]
    # The bound needs sum|x w| over the decoded weights: |w| within one
    # quantization step of the fp32 weight is enough for a bound.
    step = np.abs(w).max() / 7
    mag = np.abs(feeds["x"]) @ (np.abs(w) + step)
    bound = 2 * k * 2.0**-24 * mag
    assert np.all(np.abs(got - want) <= bound), float(np.max(np.abs(got - want) - bound))
    # ... and the kernel's int8 activations (per weight block of 128
    # inputs, the default) stay within the activation rounding:
    # |x - xq| <= max|x_block| / 254 per input.
    c = qopt_e2e.compile_model(src, so, ["--recipe", "int4", "--int4-format", fmt])
    assert c.returncode == 0, c.stderr
    r = qopt_e2e.run_model(so, data, save_dir=str(tmp_path / "out8"))
    got8 = qopt_e2e.read_outputs(str(tmp_path / "out8"))[0]
    if rows <= 4:
        xa = np.abs(feeds["x"]).reshape(rows, k // 128, 128).max(-1).repeat(128, -1) / 254
        act_bound = xa @ (np.abs(w) + step) + bound
        assert np.all(np.abs(got8 - want) <= act_bound)
        assert not np.array_equal(got8, got)  # the int8 path did run
    else:
        assert np.abs(got8 - want).max() <= bound.max()


@pytest.mark.parametrize("recipe,fmt", [("int4", "symmetric"), ("int4", "asymmetric"),
                                        ("int4-gptq", "symmetric"), ("int4-awq", "asymmetric")])
def test_exported_matmulnbits_runs_in_onnxruntime(samples, tmp_path, recipe, fmt):
    """--emit onnx writes each MatMul as com.microsoft.MatMulNBits with the
    codes, scales and zero points qopt computes (AWQ's 1/s as a Mul before
    it; the int4 embedding table as the f32 values of its codes).
    onnxruntime's run of that file and qopt's compiled model (f32
    activations: the exported accuracy_level 0 means f32) then compute the
    same products up to summation order: the examples' fp32 tolerance."""
    cal, val = samples
    extra = ["--calibration", cal] if "-" in recipe else []
    args = ["--recipe", recipe, "--int4-format", fmt, *extra]
    exported = str(tmp_path / "exported.onnx")
    c = qopt_e2e.compile_model(DECODER, exported, [*args, "--emit", "onnx"])
    assert c.returncode == 0, c.stderr
    model = onnx.load(exported)
    onnx.checker.check_model(model)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("MatMulNBits") == 8, ops
    assert ("Mul" in ops) >= (recipe == "int4-awq")
    # Smaller than the fp32 file: 4-bit weights (the table stays f32).
    assert os.path.getsize(exported) < 0.4 * os.path.getsize(DECODER)
    so = str(tmp_path / "m.so")
    c = qopt_e2e.compile_model(DECODER, so, [*args, "--int4-activations", "f32"])
    assert c.returncode == 0, c.stderr
    for k in range(3):
        feeds = qopt_e2e.random_inputs(DECODER, 200 + k)
        want = qopt_e2e.run_onnxruntime(exported, feeds)["logits"]
        data = str(tmp_path / f"in{k}")
        qopt_e2e.write_tensors(data, "input", feeds)
        r = qopt_e2e.run_model(so, data, save_dir=str(tmp_path / f"out{k}"))
        assert r.returncode == 0, r.stderr
        got = qopt_e2e.read_outputs(str(tmp_path / f"out{k}"))[0]
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-5)


def test_nf4_export_is_refused(tmp_path):
    c = qopt_e2e.compile_model(DECODER, str(tmp_path / "x.onnx"),
                               ["--recipe", "nf4", "--emit", "onnx"])
    assert c.returncode != 0
    assert "no NF4 codebook" in c.stderr
