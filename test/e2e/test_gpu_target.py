"""The GPU target without a GPU.

The kernels' loop form (qopt-gpu-parallel-loops: every op one flat loop
over its outputs, tiled into blocks of threads, reductions in order inside
each thread) is what the CUDA build runs. Here the same form is compiled for
the CPU, by inserting the pass before the LLVM lowering, and its outputs
are compared with the FP32 CPU build on random inputs (--validate-inputs).
That checks the loop rewriting (interchange, collapse, tiling guards,
single-thread wrapping of scalar ops) numerically on every example model;
NVVM code generation itself is checked by ptxas in
test/Pipelines/target-cuda.test, and on a GPU by bench/bench_gpu.py.
"""
import glob
import json
import os

import pytest

import qopt_e2e

MODELS = sorted(glob.glob(os.path.join(qopt_e2e.ROOT, "models", "*.onnx")))
GPU_LOOPS = "before-llvm:func.func(qopt-gpu-parallel-loops)"


def validate(model, tmp_path, recipe):
    data = tmp_path / "inputs"
    for seed in (0, 1):
        qopt_e2e.write_tensors(str(data / f"sample{seed}"), "input",
                               qopt_e2e.random_inputs(model, seed))
    c = qopt_e2e.compile_model(model, str(tmp_path / "m.so"),
                               ["--recipe", recipe, "--insert-pass", GPU_LOOPS,
                                "--report", str(tmp_path / "r.json"),
                                "--validate-inputs", str(data)])
    assert c.returncode == 0, c.stderr
    return json.load(open(tmp_path / "r.json"))["outputs"]


@pytest.mark.parametrize("model", MODELS, ids=lambda p: os.path.basename(p))
def test_fp32_loop_form_matches_cpu(model, tmp_path):
    for out in validate(model, tmp_path, "fp32"):
        # Only the summation order differs from the CPU's blocked GEMM:
        # |error| <= 2*K*u*sum|x*w| with K <= 256 and u = 2^-24 is below
        # 3.1e-5 * sum|x*w|, and these models' sums of |x*w| stay below 2
        # (measured errors: 1.5e-6 at most).
        assert out["max_abs_error"] <= 6e-5, out


@pytest.mark.parametrize("recipe,floor", [("bf16", 0.999), ("int8-dynamic", 0.99)])
def test_reduced_precision_loop_form(recipe, floor, tmp_path):
    # The recipes' bars against FP32 (test_precision.py, test_int8.py) hold
    # for the GPU loop form too.
    model = os.path.join(qopt_e2e.ROOT, "models", "encoder.onnx")
    for out in validate(model, tmp_path, recipe):
        assert out["cosine"] >= floor, out


def test_int4_loop_form(tmp_path):
    # The int4 product decodes inside its reduction (no f32 weight copy) and
    # keeps the int4 recipe's bar against FP32.
    model = os.path.join(qopt_e2e.ROOT, "models", "decoder.onnx")
    for out in validate(model, tmp_path, "int4"):
        assert out["cosine"] >= 0.98, out


def test_static_int8_loop_form(tmp_path):
    # Static int8: calibrated on the CPU, integer kernels in the GPU form.
    model = os.path.join(qopt_e2e.ROOT, "models", "cnn.onnx")
    samples = tmp_path / "calibration"
    for seed in range(4):
        qopt_e2e.write_tensors(str(samples / f"s{seed}"), "input",
                               qopt_e2e.random_inputs(model, seed))
    data = tmp_path / "inputs"
    qopt_e2e.write_tensors(str(data / "s"), "input", qopt_e2e.random_inputs(model, 9))
    c = qopt_e2e.compile_model(model, str(tmp_path / "m.so"),
                               ["--recipe", "int8", "--calibration", str(samples),
                                "--insert-pass", GPU_LOOPS,
                                "--report", str(tmp_path / "r.json"),
                                "--validate-inputs", str(data)])
    assert c.returncode == 0, c.stderr
    for out in json.load(open(tmp_path / "r.json"))["outputs"]:
        assert out["cosine"] >= 0.99, out  # the int8 recipe's bar
