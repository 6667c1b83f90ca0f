"""The compiled library's C API, driven from C: every argument is checked
before memory is touched, and errors carry a message."""
import os
import subprocess

import qopt_e2e

C_TEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "c_api_check.c")
MLP = os.path.join(qopt_e2e.ROOT, "models", "mlp.onnx")


def test_c_api_rejects_bad_arguments(tmp_path):
    so = tmp_path / "mlp.so"
    c = qopt_e2e.compile_model(MLP, str(so))
    assert c.returncode == 0, c.stderr
    exe = tmp_path / "c_api_check"
    sanitize = os.environ.get("QOPT_SANITIZE_FLAGS", "").split()
    cc = subprocess.run([os.environ.get("QOPT_TEST_CC", "cc"), "-O1", "-Wall", "-Werror", *sanitize, "-I", str(tmp_path),
                         "-include", str(tmp_path / "mlp.h"), C_TEST, str(so), "-o", str(exe),
                         f"-Wl,-rpath,{tmp_path}"], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    r = subprocess.run([str(exe)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all C API checks passed" in r.stdout


THREADS_TEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "threads_check.c")


def test_instances_run_concurrently(tmp_path):
    """Several instances of one model on several threads at once give the
    single-threaded results (instances share no mutable state)."""
    model = os.path.join(qopt_e2e.ROOT, "models", "encoder.onnx")
    so = tmp_path / "enc.so"
    c = qopt_e2e.compile_model(model, str(so))
    assert c.returncode == 0, c.stderr
    exe = tmp_path / "threads_check"
    sanitize = os.environ.get("QOPT_SANITIZE_FLAGS", "").split()
    cc = subprocess.run([os.environ.get("QOPT_TEST_CC", "cc"), "-O1", "-Wall", "-Werror",
                         *sanitize, "-pthread", "-include", str(tmp_path / "enc.h"),
                         THREADS_TEST, str(so), "-o", str(exe), f"-Wl,-rpath,{tmp_path}"],
                        capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    r = subprocess.run([str(exe)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 mismatches or failures" in r.stdout
