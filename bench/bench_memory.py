#!/usr/bin/env python3
"""Peak resident memory while running a model: qopt's compiled library vs
onnxruntime, side by side, measured in one run.

    .venv/bin/python bench/bench_memory.py [--models encoder cnn] [--runs 20]

Each engine runs in a fresh Python process that loads the model, creates a
session/instance, and runs it; the figure is that process's peak RSS minus
the peak RSS of the same process doing everything but loading an engine
(interpreter and numpy), so both columns count what the engine adds.
Not a test: figures vary by machine and library versions.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import qopt_e2e  # noqa: E402

CHILD = r"""
import json, sys
import numpy as np
engine, model, so, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, sys.argv[5])
rng = np.random.default_rng(0)
if engine == "qopt":
    from qopt._runtime import CompiledModel
    m = CompiledModel(so)
    feeds = {s.name: np.ones(s.shape, s.dtype) if s.dtype == np.int64
             else rng.standard_normal(s.shape).astype(s.dtype) for s in m.inputs}
    for _ in range(runs):
        m.run(feeds)
elif engine == "onnxruntime":
    import onnxruntime as ort
    o = ort.SessionOptions(); o.intra_op_num_threads = 1
    s = ort.InferenceSession(model, o, providers=["CPUExecutionProvider"])
    types = {"tensor(float)": np.float32, "tensor(int64)": np.int64}
    feeds = {i.name: np.ones(i.shape, types[i.type]) if types[i.type] == np.int64
             else rng.standard_normal(i.shape).astype(np.float32) for i in s.get_inputs()}
    for _ in range(runs):
        s.run(None, feeds)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a
# child of a large parent would report the parent's peak.
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(json.dumps({"peak_rss_kib": int(hwm.split()[1])}))
"""


def peak_kib(engine, model, so, runs):
    out = subprocess.run([sys.executable, "-c", CHILD, engine, model, so, str(runs),
                          os.path.join(qopt_e2e.ROOT, "python-bindings")],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_rss_kib"]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["encoder", "cnn", "mlp"])
    ap.add_argument("--recipes", nargs="+", default=["fp32", "bf16"])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="qopt-mem-")
    print(f"{'model':10} {'engine':16} {'peak RSS MiB':>13} {'added MiB':>10} {'arena KiB':>10}")
    for name in args.models:
        model = os.path.join(qopt_e2e.ROOT, "models", name + ".onnx")
        base = peak_kib("none", model, "", 0)
        rows = [("onnxruntime fp32", peak_kib("onnxruntime", model, "", args.runs), "")]
        for recipe in args.recipes:
            so = os.path.join(work, f"{name}-{recipe}.so")
            rep = os.path.join(work, f"{name}-{recipe}.json")
            c = qopt_e2e.compile_model(model, so, ["--recipe", recipe, "--report", rep])
            if c.returncode != 0:
                print(c.stderr)
                return 1
            arena = json.load(open(rep))["arena_bytes"] / 1024
            rows.append((f"qopt {recipe}", peak_kib("qopt", model, so, args.runs), f"{arena:.1f}"))
        for engine, kib, arena in rows:
            print(f"{name:10} {engine:16} {kib / 1024:13.1f} {(kib - base) / 1024:10.1f} {arena:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
