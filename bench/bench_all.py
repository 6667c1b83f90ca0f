#!/usr/bin/env python3
"""One table for the benchmark models: every qopt recipe and onnxruntime's
fp32, quantize_dynamic and quantize_static models, measured in one run.

    .venv/bin/python bench/bench_all.py [--threads 1] [--rounds 7]

Models: the CNN example, the transformer encoder at sequence 128 and the
decoder block at batch-1 decode (built here by models/make_examples.py with
the examples' seeds), the MLP; onnxruntime's int4 is its MatMulNBits
quantizer's model (MatMul weights only: cnn's convolutions stay f32, as in
qopt's int4). For each
engine: latency (median over rounds of the median of the round's runs:
--runs at least, more for a fast model so that each engine runs about
--round-ms per round, the same number for every engine; rounds interleave
the engines so that machine noise hits all of them alike), the
ratio to onnxruntime fp32, the peak RSS the engine adds to a fresh process
(bench_memory.py's measure), the weight bytes (qopt's report; the
initializer bytes of onnxruntime's model file), and the output's cosine
similarity and largest absolute difference against onnxruntime fp32 on the
same input. The int8 engines calibrate on the same 8 seeded samples.
Not a test: figures vary by machine.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
sys.path.insert(0, HERE)
import bench_memory  # noqa: E402
import bench_precision  # noqa: E402
import make_examples  # noqa: E402
import qopt_e2e  # noqa: E402

QOPT_RECIPES = ["fp32", "bf16", "int8", "int8-dynamic", "llm-int8", "int4", "bf16,int4"]


def build_models(work):
    """name -> path: the examples, with the encoder at sequence 128 and the
    decoder block at batch-1 decode (one token: its weights are the
    example's, make_decoder(seq=1))."""
    enc = os.path.join(work, "encoder-s128.onnx")
    make_examples.save(make_examples.make_encoder(np.random.default_rng(91011), seq=128), enc)
    dec = os.path.join(work, "decoder-decode.onnx")
    make_examples.save(make_examples.make_decoder(np.random.default_rng(121314), seq=1), dec)
    return {"cnn": os.path.join(qopt_e2e.ROOT, "models", "cnn.onnx"),
            "encoder-s128": enc,
            "decoder-decode": dec,
            "mlp": os.path.join(qopt_e2e.ROOT, "models", "mlp.onnx")}


def ort_models(model, calibration, work):
    """onnxruntime's own quantized models of `model`."""
    from onnxruntime import quantization as oq

    dyn = os.path.join(work, "ort-int8-dynamic.onnx")
    oq.quantize_dynamic(model, dyn, weight_type=oq.QuantType.QInt8)
    static = os.path.join(work, "ort-int8-static.onnx")
    qopt_e2e.ort_quantize_static(model, static, calibration)
    # onnxruntime's int4: MatMulNBits (round to nearest, blocks of 128, as
    # qopt's int4) for every MatMul by a constant.
    from onnxruntime.quantization import matmul_nbits_quantizer as mnq
    q = mnq.MatMulNBitsQuantizer(onnx.load(model), block_size=128, is_symmetric=True)
    q.process()
    nbits = os.path.join(work, "ort-int4.onnx")
    q.model.save_model_to_file(nbits)
    return {"onnxruntime fp32": model, "onnxruntime int8-dyn": dyn,
            "onnxruntime int8-static": static, "onnxruntime int4": nbits}


def initializer_bytes(path):
    return sum(numpy_helper.to_array(i).nbytes for i in onnx.load(path).graph.initializer)


def agreement(got, want):
    a, b = np.ravel(got).astype(np.float64), np.ravel(want).astype(np.float64)
    cos = float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-300))
    return cos, float(np.abs(a - b).max())


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--runs", type=int, default=20,
                    help="runs per engine per round, at least (see --round-ms)")
    ap.add_argument("--round-ms", type=float, default=50,
                    help="more runs for a fast model, so that each engine runs "
                         "about this long per round (a 0.06 ms model's median of "
                         "20 runs, 1.2 ms, moved by 1.5x with this VM's noise)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="qopt-bench-all-")
    print(f"threads {args.threads}, {args.rounds} rounds x (at least {args.runs} runs, about "
          f"{args.round_ms:g} ms) per engine, medians; "
          + bench_precision.host_bf16_note())
    print(f"{'model':13} {'engine':24} {'ms':>8} {'vs ort':>7} {'RSS+ MiB':>9} "
          f"{'weights B':>10} {'cosine':>9} {'max |d|':>9}")
    for name, model in build_models(work).items():
        mwork = os.path.join(work, name)
        os.makedirs(mwork)
        feeds = qopt_e2e.random_inputs(model, 100)
        data = os.path.join(mwork, "input")
        qopt_e2e.write_tensors(data, "input", feeds)
        calibration = [qopt_e2e.random_inputs(model, s) for s in range(1, 9)]
        cal_dir = os.path.join(mwork, "calibration")
        qopt_e2e.write_samples(cal_dir, calibration)

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = args.threads
        opts.inter_op_num_threads = 1
        onnx_files = ort_models(model, calibration, mwork)
        sessions = {e: ort.InferenceSession(p, opts, providers=["CPUExecutionProvider"])
                    for e, p in onnx_files.items()}
        libs, weights = {}, {e: initializer_bytes(p) for e, p in onnx_files.items()}
        for recipe in QOPT_RECIPES:
            so = os.path.join(mwork, f"{recipe}.so")
            rep = os.path.join(mwork, f"{recipe}.json")
            extra = ["--calibration", cal_dir] if recipe == "int8" else []
            c = qopt_e2e.compile_model(model, so, ["--recipe", recipe, "--report", rep, *extra])
            if c.returncode != 0:
                print(f"{name}: qopt-compile --recipe {recipe} failed:\n{c.stderr}")
                return 1
            libs[f"qopt {recipe}"] = so
            weights[f"qopt {recipe}"] = json.load(open(rep))["weight_bytes"]

        reference = sessions["onnxruntime fp32"].run(None, feeds)[0]
        outputs = {e: s.run(None, feeds)[0] for e, s in sessions.items()}
        for engine, so in libs.items():
            r = qopt_e2e.run_model(so, data, save_dir=os.path.join(mwork, engine.replace(" ", "_")))
            assert r.returncode == 0, r.stderr
            outputs[engine] = qopt_e2e.read_outputs(os.path.join(mwork, engine.replace(" ", "_")))[0]

        for sess in sessions.values():
            bench_precision.ort_latency_ms(sess, feeds, 3)  # warm-up
        # The same number of runs for every engine, from onnxruntime fp32's
        # latency.
        ort_ms = bench_precision.ort_latency_ms(sessions["onnxruntime fp32"], feeds, 10)
        runs = max(args.runs, int(args.round_ms / max(ort_ms, 1e-3)))
        print(f"# {name}: {runs} runs per engine per round")
        samples = {e: [] for e in list(sessions) + list(libs)}
        for _ in range(args.rounds):
            for engine, sess in sessions.items():
                samples[engine].append(bench_precision.ort_latency_ms(sess, feeds, runs))
            for engine, so in libs.items():
                samples[engine].append(
                    bench_precision.qopt_latency_ms(so, data, runs, args.threads))

        base_rss = bench_memory.peak_kib("none", model, "", 0)
        base_ms = statistics.median(samples["onnxruntime fp32"])
        for engine in samples:
            ms = statistics.median(samples[engine])
            if engine in libs:
                rss = bench_memory.peak_kib("qopt", model, libs[engine], args.runs)
            else:
                rss = bench_memory.peak_kib("onnxruntime", onnx_files[engine], "", args.runs)
            cos, dmax = agreement(outputs[engine], reference)
            print(f"{name:13} {engine:24} {ms:8.3f} {ms / base_ms:7.2f} "
                  f"{(rss - base_rss) / 1024:9.1f} {weights[engine]:10d} {cos:9.6f} {dmax:9.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
