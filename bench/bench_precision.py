#!/usr/bin/env python3
"""Latency of the same model compiled by qopt in fp32, bf16 and f16, and of
onnxruntime fp32, measured in one run with the same thread count.

    .venv/bin/python bench/bench_precision.py [--models encoder cnn] [--rounds 5]
    .venv/bin/python bench/bench_precision.py --recipes fp32 int8 int8-dynamic

With int8-dynamic among the recipes, onnxruntime's quantize_dynamic (QInt8
weights) model of the same graph is timed as well; with int8 (static,
calibrated on 8 seeded samples), onnxruntime's quantize_static QDQ model
calibrated on the same samples.

Rounds interleave the engines so that machine noise hits all of them alike;
each round takes the median of --runs runs; the table shows the median over
rounds and the ratio to onnxruntime. Not a test: figures vary by machine.
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
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import qopt_e2e  # noqa: E402


def host_bf16_note():
    """Which bf16 path qopt's kernels take on this host (runtime dispatch)."""
    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    if "avx512_bf16" in flags:
        return "host: AVX512-BF16 -> bf16 matmuls use vdpbf16ps (f32 accumulation)"
    return ("host: no AVX512-BF16 -> bf16/f16 matmuls widen to f32 in registers "
            f"({'AVX-512' if 'avx512f' in flags else 'AVX2' if 'avx2' in flags else 'portable C'} FMA)")


def qopt_latency_ms(so, data, runs, threads):
    env = dict(os.environ, QOPT_NUM_THREADS=str(threads))
    r = subprocess.run([qopt_e2e.tool("qopt-run"), so, "--inputs", data, "--bench", str(runs)],
                       capture_output=True, text=True, env=env, check=True)
    return float(re.search(r"median ([0-9.]+) ms", r.stdout).group(1))


def ort_latency_ms(sess, feeds, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def interleaved_latencies(sessions, feeds, libs, data, rounds, runs, threads,
                          after_round=None):
    """{engine: [median ms per round]}: onnxruntime sessions and qopt
    libraries ({recipe: .so}, as "qopt RECIPE") in turn each round, so that
    machine noise hits them alike; `after_round()`, if given, runs at the
    end of every round (another measurement to interleave)."""
    for sess in sessions.values():
        ort_latency_ms(sess, feeds, 3)  # warm-up
    samples = {k: [] for k in list(sessions) + [f"qopt {r}" for r in libs]}
    for _ in range(rounds):
        for engine, sess in sessions.items():
            samples[engine].append(ort_latency_ms(sess, feeds, runs))
        for recipe, so in libs.items():
            samples[f"qopt {recipe}"].append(qopt_latency_ms(so, data, runs, threads))
        if after_round:
            after_round()
    return samples


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["encoder", "cnn", "mlp"])
    ap.add_argument("--recipes", nargs="+", default=["fp32", "bf16", "f16"],
                    help="qopt recipes; with int8-dynamic, onnxruntime's "
                         "quantize_dynamic model runs too")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="qopt-bench-")
    print(f"threads {args.threads}, {args.rounds} rounds x {args.runs} runs, medians")
    print(host_bf16_note())
    print(f"{'model':10} {'engine':24} {'latency ms':>11} {'vs ort fp32':>12} {'vs qopt fp32':>13}")
    for name in args.models:
        model = os.path.join(qopt_e2e.ROOT, "models", name + ".onnx")
        feeds = qopt_e2e.random_inputs(model)
        data = os.path.join(work, name, "data")
        qopt_e2e.write_tensors(data, "input", feeds)
        libs = {}
        calibration = [qopt_e2e.random_inputs(model, seed) for seed in range(1, 9)]
        cal_dir = os.path.join(work, name, "calibration")
        qopt_e2e.write_samples(cal_dir, calibration)
        for recipe in args.recipes:
            so = os.path.join(work, name, f"{recipe}.so")
            extra = ["--calibration", cal_dir] if "int8" in recipe.split(",") else []
            c = qopt_e2e.compile_model(model, so, ["--recipe", recipe, *extra])
            if c.returncode != 0:
                print(f"{name}: qopt-compile --recipe {recipe} failed:\n{c.stderr}")
                return 1
            libs[recipe] = so
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = args.threads
        opts.inter_op_num_threads = 1
        sessions = {"onnxruntime fp32": ort.InferenceSession(
            model, opts, providers=["CPUExecutionProvider"])}
        if "int8-dynamic" in libs:
            # onnxruntime's own dynamic int8 model of the same graph.
            from onnxruntime.quantization import QuantType, quantize_dynamic
            q = os.path.join(work, name, "ort-int8-dynamic.onnx")
            quantize_dynamic(model, q, weight_type=QuantType.QInt8)
            sessions["onnxruntime int8-dyn"] = ort.InferenceSession(
                q, opts, providers=["CPUExecutionProvider"])
        if "int8" in libs:
            # onnxruntime's static QDQ model, calibrated on the same samples.
            q = os.path.join(work, name, "ort-int8-static.onnx")
            qopt_e2e.ort_quantize_static(model, q, calibration)
            sessions["onnxruntime int8-static"] = ort.InferenceSession(
                q, opts, providers=["CPUExecutionProvider"])
        samples = interleaved_latencies(sessions, feeds, libs, data, args.rounds,
                                        args.runs, args.threads)
        base = statistics.median(samples["onnxruntime fp32"])
        qbase = statistics.median(samples["qopt fp32"]) if "qopt fp32" in samples else None
        for engine, vals in samples.items():
            m = statistics.median(vals)
            rel = f"{m / qbase:13.2f}" if qbase and engine.startswith("qopt") else f"{'':13}"
            print(f"{name:10} {engine:24} {m:11.3f} {m / base:12.2f} {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
