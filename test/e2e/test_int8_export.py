"""qopt-compile --emit onnx: the static int8 recipe written as a standard
ONNX QDQ model. onnxruntime loads and runs it, and its run agrees with
qopt's compiled int8 model.

The yardstick is onnxruntime's reference execution of the graph (graph
optimizations off), as in test_qdq_import.py: both sides then compute on
the same int8 values with the same scales, and differ only by float
summation order (qopt sums int8 products exactly in int32, onnxruntime
sums dequantized products in f32) and any value that this moves across a
later rounding tie. The tolerance is that of test_qdq_import.py: one
quantization step for an output produced by DequantizeLinear, the example's
fp32 tolerance for an f32 output computed after the last one."""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

import qopt_e2e


def compile_and_export(model, samples, tmp_path):
    """Calibrates on `samples`, compiles the int8 library and exports the
    QDQ model from the saved table; returns (library, exported, table)."""
    cal, table = str(tmp_path / "cal"), str(tmp_path / "table.json")
    qopt_e2e.write_samples(cal, samples)
    so = str(tmp_path / "m.so")
    c = qopt_e2e.compile_model(model, so, ["--recipe", "int8", "--calibration", cal,
                                           "--calibration-table", table])
    assert c.returncode == 0, c.stderr
    exported = str(tmp_path / "qdq.onnx")
    c = qopt_e2e.compile_model(model, exported, ["--recipe", "int8", "--emit", "onnx",
                                                 "--calibration-table", table])
    assert c.returncode == 0, c.stderr
    assert "warning" not in c.stderr, c.stderr
    return so, exported, table


@pytest.mark.parametrize("name", ["cnn", "encoder", "mlp"])
def test_exported_qdq_model_matches_qopt(name, tmp_path):
    fp32 = os.path.join(qopt_e2e.ROOT, "models", name + ".onnx")
    so, exported, table = compile_and_export(
        fp32, [qopt_e2e.random_inputs(fp32, seed) for seed in range(8)], tmp_path)

    model = onnx.load(exported)
    onnx.checker.check_model(model, full_check=True)
    inits = {i.name: i for i in model.graph.initializer}
    producer = {o: p for p in model.graph.node for o in p.output}
    quantized = [n for n in model.graph.node if n.op_type in ("MatMul", "Gemm", "Conv")
                 and n.input[1] in producer
                 and producer[n.input[1]].op_type == "DequantizeLinear"]
    # Every node the table calibrated, and only those (products of two
    # activations stay float, as in the compiled model).
    assert sorted(n.name for n in quantized) == sorted(json.load(open(table))["tensors"])
    for n in quantized:
        # Weights: int8 per output channel, zero points 0; activations:
        # QuantizeLinear -> DequantizeLinear.
        dqw = producer[n.input[1]]
        assert inits[dqw.input[0]].data_type == onnx.TensorProto.INT8
        assert not numpy_helper.to_array(inits[dqw.input[2]]).any()
        dqx = producer[n.input[0]]
        assert dqx.op_type == "DequantizeLinear"
        assert producer[dqx.input[0]].op_type == "QuantizeLinear"
    # BatchNormalization is folded into its Conv, as the compiler folds it
    # before quantizing (the int8 filters are the folded ones).
    assert not any(n.op_type == "BatchNormalization" for n in model.graph.node)
    # The float weights that were replaced are not in the file.
    assert not any(i.data_type == onnx.TensorProto.FLOAT and len(i.dims) >= 2
                   for i in model.graph.initializer), "a float weight remains"

    feeds = qopt_e2e.random_inputs(fp32, 100)
    qopt_e2e.write_tensors(str(tmp_path / "in"), "input", feeds)
    r = qopt_e2e.run_model(so, str(tmp_path / "in"), save_dir=str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    got = qopt_e2e.read_outputs(str(tmp_path / "out"))
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    want = ort.InferenceSession(exported, opts,
                                providers=["CPUExecutionProvider"]).run(None, feeds)
    atol = float(qopt_e2e.example_tolerance(fp32)[1])
    for k, out in enumerate(model.graph.output):
        diff = np.abs(got[k].astype(np.float64) - want[k])
        assert diff.max() <= atol, (out.name, float(diff.max()), atol)


def test_export_needs_the_static_int8_recipe(tmp_path):
    fp32 = os.path.join(qopt_e2e.ROOT, "models", "mlp.onnx")
    c = qopt_e2e.compile_model(fp32, str(tmp_path / "x.onnx"),
                               ["--recipe", "int8-dynamic", "--emit", "onnx"])
    assert c.returncode != 0
    assert "--emit onnx writes the static int8 recipe as a QDQ model" in c.stderr


def test_exported_embedding_table_matches_qopt(tmp_path):
    """An embedding table, int8 per row in qopt's int8 recipes, is exported
    the same way (DequantizeLinear, axis 0), so that the exported model
    still agrees with the compiled one: gathered rows exactly, then one
    calibrated MatMul within f32 summation order (1e-5 on outputs of
    magnitude ~10)."""
    from onnx import TensorProto, helper
    rng = np.random.default_rng(3)
    table = rng.standard_normal((50, 16)).astype(np.float32)
    w = rng.standard_normal((16, 8)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["emb", "ids"], ["x"], name="embed", axis=0),
         helper.make_node("MatMul", ["x", "w"], ["y"], name="proj")], "g",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8])],
        [numpy_helper.from_array(table, "emb"), numpy_helper.from_array(w, "w")])
    path = str(tmp_path / "emb.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    so, exported, _ = compile_and_export(
        path, [{"ids": rng.integers(0, 50, (1, 4)).astype(np.int64)} for _ in range(4)],
        tmp_path)
    model = onnx.load(exported)
    onnx.checker.check_model(model, full_check=True)
    assert "emb" not in {i.name for i in model.graph.initializer}
    gather = next(n for n in model.graph.node if n.op_type == "Gather")
    producer = {o: p for p in model.graph.node for o in p.output}
    assert producer[gather.input[0]].op_type == "DequantizeLinear"

    feeds = {"ids": np.array([[0, 49, 7, 7]], np.int64)}
    qopt_e2e.write_tensors(str(tmp_path / "in"), "input", feeds)
    r = qopt_e2e.run_model(so, str(tmp_path / "in"), save_dir=str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    got = qopt_e2e.read_outputs(str(tmp_path / "out"))[0]
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    want = ort.InferenceSession(exported, opts,
                                providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
