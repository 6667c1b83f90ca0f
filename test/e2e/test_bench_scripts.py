"""The benchmark scripts still run end to end (on tiny shapes, so that this
takes seconds): every engine's row is printed with a positive figure. No
timing is asserted; bench/ measures, tests do not."""
import os
import re
import subprocess
import sys

import qopt_e2e

BENCH = os.path.join(qopt_e2e.ROOT, "bench")


def _bench(script, *args):
    r = subprocess.run([sys.executable, os.path.join(BENCH, script), *map(str, args)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def _rate(out, engine, unit):
    m = re.search(rf"^{re.escape(engine)}\s.*?([0-9.]+) {unit}", out, re.M)
    assert m, f"no row for {engine!r} in:\n{out}"
    return float(m.group(1))


def test_bench_gemm_prints_every_engine_against_the_peak():
    out = _bench("bench_gemm.py", "--size", 64, "--runs", 2, "--threads", 1)
    peak = re.search(r"peak ~([0-9.]+) GFLOP/s \(.* GHz, (measured|--ghz|cpuinfo, nominal)\)", out)
    assert peak and float(peak.group(1)) > 0, out
    for engine in ("qopt fp32", "qopt bf16", "qopt int8-dynamic", "onnxruntime fp32"):
        assert _rate(out, engine, r"G\(?FL\)?OP/s") > 0


def test_bench_gemv_prints_every_engine_against_the_copy_bandwidth():
    out = _bench("bench_gemv.py", "--size", 256, "--layers", 2, "--threads", 1,
                 "--rounds", 1, "--runs", 2, "--recipes", "fp32", "int4")
    assert re.search(r"memory copy bandwidth .* best [0-9.]+ GB/s", out), out
    for engine in ("qopt fp32", "qopt int4", "onnxruntime fp32", "onnxruntime MatMulNBits"):
        m = re.search(rf"^{engine}\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9]+)%", out, re.M)
        assert m and float(m.group(3)) > 0, f"{engine}:\n{out}"
