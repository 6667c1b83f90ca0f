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
import re
import subprocess

import pytest

import qopt_e2e

MODELS = sorted(glob.glob(os.path.join(qopt_e2e.ROOT, "models", "*.onnx")))
GPU_LOOPS = "before-llvm:func.func(qopt-gpu-parallel-loops)"


def validate(model, tmp_path, recipe):
    data = tmp_path / "inputs"
    qopt_e2e.write_samples(str(data), [qopt_e2e.random_inputs(model, s) for s in (0, 1)])
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
    qopt_e2e.write_samples(str(samples), [qopt_e2e.random_inputs(model, s) for s in range(4)])
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


HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def fake_driver(tmp_path_factory):
    """fake_cuda_driver.c built as libcuda.so.1: checks the host half."""
    lib = tmp_path_factory.mktemp("fake-cuda")
    cc = subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(lib / "libcuda.so.1"),
                         os.path.join(HERE, "fake_cuda_driver.c")],
                        capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    return str(lib)


@pytest.mark.skipif(not os.access(os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"),
                                               "bin", "ptxas"), os.X_OK),
                    reason="needs the CUDA toolkit (ptxas) to build GPU libraries")
@pytest.mark.parametrize("model,recipe", [("mlp", "fp32"), ("cnn", "fp32"),
                                          ("encoder", "fp32"), ("decoder", "int4"),
                                          ("decoder", "bf16")])
def test_host_half_drives_the_driver(model, recipe, fake_driver, tmp_path):
    # The GPU library's create and run against a driver that runs no
    # kernel: one fatbin, every weight and tensor copied inside its device
    # buffer, one launch per kernel with a valid grid and block, and no
    # access to device memory from the host (that would be SIGSEGV).
    path = os.path.join(qopt_e2e.ROOT, "models", model + ".onnx")
    so, ptx = str(tmp_path / "m.so"), str(tmp_path / "m.ptx")
    for out, emit in ((so, "so"), (ptx, "ptx")):
        c = qopt_e2e.compile_model(path, out, ["--recipe", recipe, "--target", "cuda:sm_90",
                                               "--emit", emit])
        assert c.returncode == 0, c.stderr
    kernels = open(ptx).read().count(".entry ")
    inputs = tmp_path / "inputs"
    qopt_e2e.write_tensors(str(inputs), "input", qopt_e2e.random_inputs(path, 0))
    env = dict(os.environ, LD_LIBRARY_PATH=fake_driver)
    r = subprocess.run([qopt_e2e.tool("qopt-run"), so, "--inputs", str(inputs)],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"fake-cuda: modules (\d+) functions \d+ launches (\d+) copies (\d+) "
                  r"bytes \d+ errors (\d+)", r.stderr)
    assert m, r.stderr
    modules, launches, copies, errors = map(int, m.groups())
    assert errors == 0, r.stderr
    assert modules == 1
    assert launches == kernels > 0
    assert copies >= 2  # weights in, outputs out
