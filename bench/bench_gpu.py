#!/usr/bin/env python3
"""The example models on an NVIDIA GPU: outputs against the CPU build, and
latency of both, in one run.

    .venv/bin/python bench/bench_gpu.py [--target cuda:sm_90] [--models encoder cnn]
                                        [--recipes fp32 bf16 int4] [--runs 50]

For each model and recipe it compiles the CPU library and the --target
library, runs both on the same seeded random inputs (qopt-run
--save-outputs), prints the largest absolute difference and the cosine of
each output, then times each library with qopt-run --bench (the GPU figure
includes the input and output copies and one stream synchronisation).

Exit status: 0 when every GPU output is within the tolerance of the CPU
build's (--atol, default 1e-3 on fp32, and cosine >= 0.999 on all recipes),
1 otherwise, 2 when no GPU can be used (qopt_model_create's message is
printed). Not a test: figures vary by machine. Needs the CUDA toolkit here
(ptxas, fatbinary) and a CUDA driver and GPU where it runs.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import qopt_e2e  # noqa: E402

MODELS = ["mlp", "cnn", "encoder", "decoder"]


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def outputs(so, inputs, save):
    r = run([qopt_e2e.tool("qopt-run"), so, "--inputs", inputs, "--save-outputs", save])
    if r.returncode != 0:
        return None, r.stderr.strip()
    return qopt_e2e.read_outputs(save), ""


def latency_ms(so, inputs, runs):
    r = run([qopt_e2e.tool("qopt-run"), so, "--inputs", inputs, "--bench", str(runs)])
    m = re.search(r"median ([0-9.]+) ms", r.stdout + r.stderr)
    return float(m.group(1)) if m else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="cuda:sm_90")
    ap.add_argument("--models", nargs="+", default=MODELS)
    ap.add_argument("--recipes", nargs="+", default=["fp32", "bf16", "int4"])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--atol", type=float, default=1e-3)
    args = ap.parse_args()

    ok = True
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            model = os.path.join(qopt_e2e.ROOT, "models", name + ".onnx")
            inputs = os.path.join(tmp, name, "inputs")
            qopt_e2e.write_tensors(inputs, "input", qopt_e2e.random_inputs(model, 0))
            for recipe in args.recipes:
                built = {}
                for target in ("cpu", args.target):
                    so = os.path.join(tmp, name, f"{recipe}-{target.replace(':', '_')}.so")
                    c = qopt_e2e.compile_model(model, so, ["--recipe", recipe, "--target", target])
                    if c.returncode != 0:
                        print(f"{name} {recipe} {target}: compile failed:\n{c.stderr}")
                        return 1
                    built[target] = so
                ref, _ = outputs(built["cpu"], inputs, os.path.join(tmp, name, recipe + "-cpu-out"))
                got, err = outputs(built[args.target], inputs,
                                   os.path.join(tmp, name, recipe + "-gpu-out"))
                if got is None:
                    print(f"cannot run on the GPU: {err}")
                    return 2
                for key, (x, y) in enumerate(zip(ref, got)):
                    a = x.astype(np.float64).ravel()
                    b = y.astype(np.float64).ravel()
                    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
                    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))
                    good = cos >= 0.999 and (recipe != "fp32" or diff <= args.atol)
                    ok &= good
                    rows.append((name, recipe, f"output {key}", diff, cos,
                                 latency_ms(built["cpu"], inputs, args.runs),
                                 latency_ms(built[args.target], inputs, args.runs),
                                 "ok" if good else "MISMATCH"))
    print(f"{'model':9} {'recipe':7} {'output':10} {'max|gpu-cpu|':>13} {'cosine':>9} "
          f"{'cpu ms':>8} {'gpu ms':>8}")
    for r in rows:
        print(f"{r[0]:9} {r[1]:7} {r[2]:10} {r[3]:13.3e} {r[4]:9.6f} {r[5]:8.3f} {r[6]:8.3f}  {r[7]}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
