#!/usr/bin/env python3
"""Compiles an example ONNX model with qopt, runs it on a seeded input and
checks it against onnxruntime.

    .venv/bin/python scripts/run_example.py models/cnn.onnx [--out DIR]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qopt_e2e  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--out", default="build/examples")
    args = ap.parse_args()
    name = os.path.splitext(os.path.basename(args.model))[0]
    work = os.path.join(args.out, name)
    print(f"qopt: compiling {args.model} -> {work}/{name}.so")
    rtol, atol = qopt_e2e.example_tolerance(args.model)
    ok, log = qopt_e2e.check_against_onnxruntime(
        args.model, work, run_args=["--rtol", rtol, "--atol", atol])
    print(log.rstrip())
    outs = qopt_e2e.read_outputs(os.path.join(work, "qopt"))
    np.set_printoptions(precision=5, suppress=True)
    for k, v in enumerate(outs):
        print(f"output {k} {list(v.shape)}: {v.reshape(-1)}")
    if not ok:
        print("qopt: outputs DIFFER from onnxruntime")
        return 1
    print(f"qopt: {name}.so matches onnxruntime (rtol {rtol}, atol {atol})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
