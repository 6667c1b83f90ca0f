"""BF16/FP16 recipes end to end on every example model: weights are stored
at half width (converted at compile time) and outputs stay close to the FP32
compile of the same model, measured by qopt-compile --validate-inputs."""
import glob
import json
import os

import pytest

import qopt_e2e

MODELS = sorted(glob.glob(os.path.join(qopt_e2e.ROOT, "models", "*.onnx")))
# Bytes of f32 weights that the half-precision recipes leave at full width:
# the decoder's embedding table [256, 128] (ONNX Gather is imported as a
# linalg.generic with tensor.extract, which qopt-cast-precision does not
# convert).
F32_TABLE_BYTES = {"decoder.onnx": 256 * 128 * 4}


@pytest.mark.parametrize("recipe", ["bf16", "f16"])
@pytest.mark.parametrize("model", MODELS, ids=lambda p: os.path.basename(p))
def test_half_precision_recipe(model, recipe, tmp_path):
    data = tmp_path / "inputs"
    for seed in (0, 1):
        qopt_e2e.write_tensors(str(data / f"sample{seed}"), "input",
                               qopt_e2e.random_inputs(model, seed))
    c = qopt_e2e.compile_model(model, str(tmp_path / "m.so"),
                               ["--recipe", recipe, "--report", str(tmp_path / "r.json"),
                                "--validate-inputs", str(data)])
    assert c.returncode == 0, c.stderr
    report = json.load(open(tmp_path / "r.json"))
    assert report["recipe"] == recipe
    # Every weight at 2 bytes but embedding tables; the slack is for the few
    # integer constants (shapes) that stay as they are.
    table = F32_TABLE_BYTES.get(os.path.basename(model), 0)
    assert report["weight_bytes"] <= 0.51 * (report["weight_bytes_fp32"] - table) + table, report
    assert report["validation_samples"] == 2
    for out in report["outputs"]:
        # bf16 keeps 8 mantissa bits: a cosine of 0.999 against FP32 is the
        # issue's bar; f16 (11 bits) must do at least as well.
        assert out["cosine"] >= 0.999, out


def test_keep_f32_and_bad_recipe(tmp_path):
    model = os.path.join(qopt_e2e.ROOT, "models", "mlp.onnx")
    c = qopt_e2e.compile_model(model, str(tmp_path / "m.so"),
                               ["--recipe", "bf16", "--keep-f32", "Gemm,node:fc2",
                                "--report", str(tmp_path / "r.json")])
    assert c.returncode == 0, c.stderr
    report = json.load(open(tmp_path / "r.json"))
    # Both matrix products kept in f32: their weights stay at full width.
    assert report["weight_bytes"] > 0.9 * report["weight_bytes_fp32"], report
    bad = qopt_e2e.compile_model(model, str(tmp_path / "x.so"), ["--recipe", "int3"])
    assert bad.returncode != 0
    assert "unknown recipe 'int3'" in bad.stderr and "bf16" in bad.stderr
