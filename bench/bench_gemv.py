#!/usr/bin/env python3
"""Batch-1 decode: a matrix-vector product's speed in effective weight bytes
per second, for qopt's fp32, bf16, int8 and int4 weights and onnxruntime's
fp32 and MatMulNBits (int4) on the same shape, against this machine's
measured memory-copy bandwidth.

    .venv/bin/python bench/bench_gemv.py [--size 4096] [--layers 6] [--threads 2]

The model is a chain of --layers [size x size] MatMuls on x [1, size] (so
that the int4 weights, 4.25 bits each with f32 group scales, exceed the
32 MiB last-level cache and come from DRAM). "GB/s" is the bytes of the
weights as each engine stores them (codes, scales and zero points included)
divided by the median latency. The copy bandwidth is numpy copying 512 MiB
with the same number of threads, counted as STREAM counts Copy (bytes read
plus bytes written), sampled once per round between the engines (this VM's
memory bandwidth drifts by 1.5x over minutes) and reported as the best
sample, STREAM's convention: the ratio compares a median latency with the
best copy. Rounds interleave the engines; not a test.
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import qopt_e2e  # noqa: E402
from bench_precision import interleaved_latencies  # noqa: E402


def chain_model(path, size, layers, seed=0):
    rng = np.random.default_rng(seed)
    nodes, inits, x = [], [], "x"
    for i in range(layers):
        w = (rng.standard_normal((size, size)) / np.sqrt(size)).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        y = "y" if i == layers - 1 else f"h{i}"
        nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [y], name=f"mm{i}"))
        x = y
    graph = helper.make_graph(
        nodes, "gemv_chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, size])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path, save_as_external_data=True, location=os.path.basename(path) + ".data")


def copy_bandwidth_gbs(threads, mib=512, rounds=5):
    """STREAM-style Copy: (read + write) bytes per second, numpy in threads."""
    n = mib * 2**20 // 4
    src = np.ones(n, np.float32)
    dst = np.empty_like(src)
    parts = [(n * t // threads, n * (t + 1) // threads) for t in range(threads)]

    def work(lo, hi):
        np.copyto(dst[lo:hi], src[lo:hi])

    best = 0.0
    for _ in range(rounds):
        ts = [threading.Thread(target=work, args=p) for p in parts]
        t0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        dt = time.perf_counter() - t0
        best = max(best, 2 * src.nbytes / dt / 1e9)
    return best


def ort_nbits_model(src, dst, block):
    from onnxruntime.quantization import matmul_nbits_quantizer as mnq
    model = onnx.load(src)
    q = mnq.MatMulNBitsQuantizer(model, block_size=block, is_symmetric=True)
    q.process()
    q.model.save_model_to_file(dst, use_external_data_format=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--recipes", nargs="+", default=["fp32", "bf16", "int8-dynamic", "int4"])
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="qopt-gemv-")
    model = os.path.join(work, "chain.onnx")
    chain_model(model, args.size, args.layers)
    feeds = {"x": np.random.default_rng(1).standard_normal((1, args.size)).astype(np.float32)}
    data = os.path.join(work, "data")
    qopt_e2e.write_tensors(data, "input", feeds)

    libs, weight_bytes = {}, {}
    for recipe in args.recipes:
        so = os.path.join(work, recipe + ".so")
        report = so + ".json"
        c = qopt_e2e.compile_model(model, so, ["--recipe", recipe, "--report", report])
        if c.returncode != 0:
            print(f"qopt-compile --recipe {recipe} failed:\n{c.stderr}")
            return 1
        import json
        with open(report) as f:
            weight_bytes[f"qopt {recipe}"] = json.load(f)["weight_bytes"]
        libs[recipe] = so

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    sessions = {"onnxruntime fp32": ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])}
    weight_bytes["onnxruntime fp32"] = 4 * args.size * args.size * args.layers
    nbits = os.path.join(work, "ort-nbits.onnx")
    ort_nbits_model(model, nbits, 128)
    sessions["onnxruntime MatMulNBits"] = ort.InferenceSession(nbits, opts, providers=["CPUExecutionProvider"])
    m = onnx.load(nbits)
    weight_bytes["onnxruntime MatMulNBits"] = sum(
        numpy_helper.to_array(t).nbytes for t in m.graph.initializer)

    copies = []
    samples = interleaved_latencies(
        sessions, feeds, libs, data, args.rounds, args.runs, args.threads,
        after_round=lambda: copies.append(copy_bandwidth_gbs(args.threads)))
    copy = max(copies)
    print(f"{args.layers} x [{args.size} x {args.size}] matrix-vector, threads {args.threads}, "
          f"{args.rounds} rounds x {args.runs} runs, medians")
    print(f"memory copy bandwidth (numpy, {args.threads} threads, read+write): best {copy:.1f} GB/s "
          f"(per round: {' '.join(f'{c:.1f}' for c in copies)})")
    print(f"{'engine':26} {'weight MB':>10} {'ms':>9} {'GB/s':>8} {'of copy':>8}")
    for engine, vals in samples.items():
        ms = statistics.median(vals)
        gbs = weight_bytes[engine] / (ms / 1e3) / 1e9
        print(f"{engine:26} {weight_bytes[engine] / 1e6:10.1f} {ms:9.3f} {gbs:8.1f} {gbs / copy:8.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
