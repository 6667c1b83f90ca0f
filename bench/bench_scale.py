#!/usr/bin/env python3
"""Scale: compile a ~1B-parameter decoder (fp32 weights as ONNX external
data, about 4 GB) with the int4 recipe and print the compile time and the
compiler's peak RSS against the fp32 model's size.

    .venv/bin/python bench/bench_scale.py [--layers 18] [--d 2048] [--ff 5632]
                                          [--vocab 32000] [--recipe int4]

The model is models/make_examples.make_decoder with --layers blocks (the
defaults are TinyLlama-like: 2048 wide, 5632 MLP, 32000 tokens: 1.06B
parameters) at sequence 1 (a decode step), written to a temporary
directory and removed afterwards (--keep DIR keeps it). The compiled
library runs once on one token as a check. Not a test: it needs ~5 GB of
disk and several minutes.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import make_examples  # noqa: E402
import qopt_e2e  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=18)
    ap.add_argument("--d", type=int, default=2048)
    ap.add_argument("--ff", type=int, default=5632)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--recipe", default="int4")
    ap.add_argument("--keep", help="write the model and library here and keep them")
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="qopt-scale-")
    os.makedirs(work, exist_ok=True)
    model_path = os.path.join(work, "decoder_1b.onnx")
    try:
        t0 = time.time()
        graph = make_examples.make_decoder(np.random.default_rng(0), seq=1, vocab=args.vocab,
                                           d=args.d, heads=args.heads, ff=args.ff,
                                           layers=args.layers)
        params = sum(int(np.prod(t.dims)) for t in graph.initializer if len(t.dims) >= 1)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.save(model, model_path, save_as_external_data=True, all_tensors_to_one_file=True,
                  location="decoder_1b.onnx.data", size_threshold=1024)
        del model, graph
        size = os.path.getsize(model_path) + os.path.getsize(model_path + ".data")
        print(f"model: {args.layers} layers, d {args.d}, ff {args.ff}, vocab {args.vocab}: "
              f"{params / 1e9:.3f}B parameters, {size / 2**30:.2f} GiB fp32 "
              f"(written in {time.time() - t0:.0f} s)")
        so = os.path.join(work, f"decoder_1b_{args.recipe}.so")
        report = so + ".json"
        cmd = ["/usr/bin/time", "-v", qopt_e2e.tool("qopt-compile"), model_path, "-o", so,
               "--recipe", args.recipe, "--report", report]
        t0 = time.time()
        r = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.time() - t0
        if r.returncode != 0:
            print(f"qopt-compile failed:\n{r.stderr[-3000:]}")
            return 1
        peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) * 1024
        import json
        rep = json.load(open(report))
        print(f"qopt-compile --recipe {args.recipe}: {seconds:.0f} s, peak RSS "
              f"{peak / 2**30:.2f} GiB = {peak / size:.2f} x the fp32 model "
              f"(bar: 1.5 x); weight_bytes {rep['weight_bytes'] / 2**30:.2f} GiB "
              f"({rep['weight_bytes'] / rep['weight_bytes_fp32']:.3f} of fp32)")
        data = os.path.join(work, "data")
        qopt_e2e.write_tensors(data, "input", {"input_ids": np.array([[1]], np.int64)})
        t0 = time.time()
        run = qopt_e2e.run_model(so, data, extra=("--bench", "5"))
        print(f"one token: qopt-run {'ok' if run.returncode == 0 else 'FAILED'}; "
              f"{(re.search(r'bench: median ([0-9.]+) ms', run.stdout) or [None, '?'])[1]} ms "
              f"median of 5 (1 thread per core, QOPT_NUM_THREADS unset)")
        return 0 if run.returncode == 0 else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
