"""End to end: every bundled example model compiles to a self-contained
library whose outputs match onnxruntime within the ONNX backend-test
tolerances (rtol 1e-3, atol 1e-7; fp32 kernels reorder sums, which moves
results by a few ulps, far inside these)."""
import glob
import os
import subprocess

import pytest

import qopt_e2e

MODELS = sorted(glob.glob(os.path.join(qopt_e2e.ROOT, "models", "*.onnx")))

@pytest.mark.parametrize("model", MODELS, ids=lambda p: os.path.basename(p))
def test_matches_onnxruntime(model, tmp_path):
    rtol, atol = qopt_e2e.example_tolerance(model)
    for seed in (0, 1):
        ok, log = qopt_e2e.check_against_onnxruntime(
            model, str(tmp_path / str(seed)), seed=seed,
            run_args=["--rtol", rtol, "--atol", atol])
        assert ok, log
        assert "PASS output 0" in log


@pytest.mark.parametrize("model", MODELS, ids=lambda p: os.path.basename(p))
def test_library_needs_no_mlir_or_llvm(model, tmp_path):
    so = str(tmp_path / "m.so")
    c = qopt_e2e.compile_model(model, so)
    assert c.returncode == 0, c.stderr
    needed = subprocess.run(["readelf", "-d", so], capture_output=True, text=True).stdout
    libs = [l for l in needed.splitlines() if "(NEEDED)" in l]
    assert libs, needed
    for line in libs:
        assert "MLIR" not in line and "LLVM" not in line, line
    # The header describes the signature.
    header = open(str(tmp_path / "m.h")).read()
    assert "qopt_model_run" in header and "input  0:" in header
