#!/usr/bin/env python3
"""Achieved GFLOP/s (GOP/s for int8) of qopt's GEMM kernel on one large
MatMul, for f32, bf16 and int8 (int8-dynamic: the activation quantization
is included), next to onnxruntime fp32 on the same model and threads.

    .venv/bin/python bench/bench_gemm.py [--size 1024] [--threads 2]

The machine's peak is printed for comparison as cores x FMA units x lanes x
2 flops x clock, from /proc/cpuinfo's flags and the clock given by --ghz
(default: measured, a chain of dependent integer adds, one per cycle, run
on every thread at once; cpuinfo's "cpu MHz" is the nominal clock, below
the boost clock that the kernels run at). Not a test: figures vary by
machine.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import qopt_e2e  # noqa: E402


def host():
    flags, mhz = set(), None
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
            if line.startswith("cpu MHz") and mhz is None:
                mhz = float(line.split(":", 1)[1])
    return flags, mhz


CLOCK_C = r"""
#include <stdio.h>
#include <time.h>
int main(void) {
  unsigned long x = 0, n = 50000000;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (unsigned long i = 0; i < n; ++i) /* 8 dependent adds: 8 cycles */
    __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                     "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                     : "+r"(x));
  clock_gettime(CLOCK_MONOTONIC, &b);
  double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
  printf("%f\n", 8.0 * (double)n / s / 1e9);
  return x == 0;
}
"""


def measured_ghz(threads, work):
    """The clock under load: the slowest of `threads` copies of a chain of
    dependent adds running at once (None where no C compiler or not x86)."""
    import platform
    import shutil
    cc = shutil.which("clang-22") or shutil.which("cc")
    if not cc or platform.machine() != "x86_64":
        return None
    src, exe = os.path.join(work, "clock.c"), os.path.join(work, "clock")
    with open(src, "w") as f:
        f.write(CLOCK_C)
    if subprocess.run([cc, "-O1", src, "-o", exe], capture_output=True).returncode:
        return None
    runs = [subprocess.Popen([exe], stdout=subprocess.PIPE, text=True) for _ in range(threads)]
    return min(float(p.communicate()[0]) for p in runs)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=1024, help="M = N = K")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--ghz", type=float, default=None)
    args = ap.parse_args()
    n = args.size
    work = tempfile.mkdtemp(prefix="qopt-gemm-")
    rng = np.random.default_rng(0)
    w = rng.standard_normal((n, n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, n])],
        [numpy_helper.from_array(w, "w")])
    model = os.path.join(work, "gemm.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model)
    x = rng.standard_normal((n, n)).astype(np.float32)
    data = os.path.join(work, "in")
    qopt_e2e.write_tensors(data, "input", {"x": x})

    flags, mhz = host()
    ghz, clock = args.ghz, "--ghz"
    if not ghz:
        ghz, clock = measured_ghz(args.threads, work), "measured"
    if not ghz:
        ghz, clock = (mhz / 1000 if mhz else 0), "cpuinfo, nominal"
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 1
    peak = args.threads * 2 * lanes * 2 * ghz  # 2 FMA pipes per core
    flops = 2.0 * n * n * n
    print(f"M=N=K={n}, threads {args.threads}; f32 FMA peak ~{peak:.0f} GFLOP/s "
          f"({args.threads} cores x 2 FMA x {lanes} lanes x 2 x {ghz:.2f} GHz, {clock})")
    env = dict(os.environ, QOPT_NUM_THREADS=str(args.threads))
    for recipe in ["fp32", "bf16", "int8-dynamic"]:
        so = os.path.join(work, f"{recipe}.so")
        c = qopt_e2e.compile_model(model, so, ["--recipe", recipe])
        if c.returncode:
            print(f"{recipe}: compile failed\n{c.stderr}")
            return 1
        r = subprocess.run([qopt_e2e.tool("qopt-run"), so, "--inputs", data, "--bench",
                            str(args.runs)], capture_output=True, text=True, env=env, check=True)
        ms = float(re.search(r"median ([0-9.]+) ms", r.stdout).group(1))
        g = flops / ms / 1e6
        print(f"qopt {recipe:13} {ms:9.3f} ms  {g:7.1f} G(FL)OP/s  {100 * g / peak:5.1f}% of f32 peak")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    sess.run(None, {"x": x})
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        sess.run(None, {"x": x})
        times.append((time.perf_counter() - t0) * 1e3)
    ms = statistics.median(times)
    g = flops / ms / 1e6
    print(f"onnxruntime fp32   {ms:9.3f} ms  {g:7.1f} GFLOP/s  {100 * g / peak:5.1f}% of f32 peak")
    return 0


if __name__ == "__main__":
    sys.exit(main())
