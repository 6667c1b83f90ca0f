"""Buffer planning end to end: every example model runs with no heap
allocation after create, its arena is within 10% of the lower bound, and
the report, C API and memory plot agree."""
import glob
import json
import os
import subprocess

import pytest

import qopt_e2e

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = sorted(glob.glob(os.path.join(qopt_e2e.ROOT, "models", "*.onnx")))


def _compile(model, tmp_path):
    so = tmp_path / "m.so"
    c = qopt_e2e.compile_model(model, str(so), ["--report", str(tmp_path / "r.json"),
                                                "--memory-plot", str(tmp_path / "plan.svg")])
    assert c.returncode == 0, c.stderr
    return so, json.load(open(tmp_path / "r.json"))


@pytest.mark.parametrize("model", MODELS, ids=lambda p: os.path.basename(p))
def test_arena_close_to_lower_bound(model, tmp_path):
    _, report = _compile(model, tmp_path)
    assert report["arena_lower_bound_bytes"] > 0
    assert report["arena_bytes"] >= report["arena_lower_bound_bytes"]
    assert report["arena_bytes"] <= 1.10 * report["arena_lower_bound_bytes"], report
    svg = open(tmp_path / "plan.svg").read()
    assert svg.startswith("<svg") and "lower bound" in svg and "<rect" in svg


@pytest.mark.skipif(bool(os.environ.get("QOPT_SANITIZE")),
                    reason="interposing malloc conflicts with the sanitizer runtime")
@pytest.mark.parametrize("model", MODELS, ids=lambda p: os.path.basename(p))
def test_no_heap_allocation_during_run(model, tmp_path):
    so, report = _compile(model, tmp_path)
    exe = tmp_path / "heap_check"
    cc = subprocess.run([os.environ.get("QOPT_TEST_CC", "cc"), "-O1", "-Wall", "-include", str(tmp_path / "m.h"),
                         os.path.join(HERE, "heap_check.c"), str(so), "-o", str(exe),
                         f"-Wl,-rpath,{tmp_path}"], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    r = subprocess.run([str(exe)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "heap allocations during 3 runs: 0" in r.stdout
    assert f"arena {report['arena_bytes']} bytes" in r.stdout
