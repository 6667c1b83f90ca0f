"""Command-line contracts of the tools: errors name what is wrong and never
crash."""
import os
import subprocess

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import qopt_e2e

MLP = os.path.join(qopt_e2e.ROOT, "models", "mlp.onnx")


def _run(*cmd):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True)


def test_qopt_opt_lists_qopt_passes():
    out = _run(qopt_e2e.tool("qopt-opt"), "--help").stdout
    for flag in ("--qopt-fold-casts", "--convert-qopt-to-linalg",
                 "--qopt-cpu-pipeline", "--qopt-lower-to-linalg"):
        assert flag in out, flag


def test_two_unsupported_ops_are_named_in_one_error(tmp_path):
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="ok"),
        helper.make_node("Frobnicate", ["a"], ["b"], name="det_node", domain="com.example"),
        helper.make_node("GridSample", ["a", "a"], ["c"], name="hardmax_node"),
        helper.make_node("GridSample", ["c", "c"], ["d"], name="hardmax_again"),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("b", TensorProto.FLOAT, []),
         helper.make_tensor_value_info("d", TensorProto.FLOAT, [2, 2])])
    path = tmp_path / "bad.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                       helper.make_opsetid("com.example", 1)]),
              path)
    r = _run(qopt_e2e.tool("qopt-compile"), path, "-o", tmp_path / "bad.so")
    assert r.returncode != 0
    errors = [l for l in r.stderr.splitlines() if "error" in l]
    assert len(errors) == 1, r.stderr
    assert "com.example::Frobnicate" in errors[0] and "det_node" in errors[0]
    assert "GridSample" in errors[0] and "hardmax_node" in errors[0]
    assert "hardmax_again" not in errors[0]  # the first node of each type
    assert str(path) in errors[0]
    assert not (tmp_path / "bad.so").exists()


def test_symbolic_dimension_needs_input_shape(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="r")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])])
    path = tmp_path / "sym.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    r = _run(qopt_e2e.tool("qopt-compile"), path, "-o", tmp_path / "s.so")
    assert r.returncode != 0
    assert "'x'" in r.stderr and "batch" in r.stderr and "--input-shape" in r.stderr
    r = _run(qopt_e2e.tool("qopt-compile"), path, "-o", tmp_path / "s.so",
             "--input-shape", "x=3x4")
    assert r.returncode == 0, r.stderr


def test_wrong_input_shape_is_reported_not_crashed(tmp_path):
    so = tmp_path / "mlp.so"
    assert qopt_e2e.compile_model(MLP, str(so)).returncode == 0
    data = tmp_path / "data"
    data.mkdir()
    onnx.save_tensor(numpy_helper.from_array(np.zeros((2, 64), np.float32), "x"),
                     str(data / "input_0.pb"))
    r = _run(qopt_e2e.tool("qopt-run"), so, "--inputs", data)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "'x'" in r.stderr and "1x64" in r.stderr and "2x64" in r.stderr
    # A wrong dtype, too.
    onnx.save_tensor(numpy_helper.from_array(np.zeros((1, 64), np.float64), "x"),
                     str(data / "input_0.pb"))
    r = _run(qopt_e2e.tool("qopt-run"), so, "--inputs", data)
    assert r.returncode == 1 and "float32" in r.stderr and "float64" in r.stderr


def test_qopt_run_saves_outputs_and_benchmarks(tmp_path):
    so = tmp_path / "mlp.so"
    assert qopt_e2e.compile_model(MLP, str(so)).returncode == 0
    feeds = qopt_e2e.random_inputs(MLP)
    qopt_e2e.write_tensors(str(tmp_path / "in"), "input", feeds)
    r = _run(qopt_e2e.tool("qopt-run"), so, "--inputs", tmp_path / "in",
             "--save-outputs", tmp_path / "out", "--bench", 5)
    assert r.returncode == 0, r.stderr
    assert "bench: median" in r.stdout
    got = qopt_e2e.read_outputs(str(tmp_path / "out"))
    want = list(qopt_e2e.run_onnxruntime(MLP, feeds).values())
    np.testing.assert_allclose(got[0], want[0], rtol=1e-3, atol=1e-7)


def test_readme_op_table_is_current():
    """The README's table of supported ONNX ops is the importer's own list."""
    readme = open(os.path.join(qopt_e2e.ROOT, "README.md")).read()
    begin, end = "<!-- onnx-ops-begin -->\n", "<!-- onnx-ops-end -->"
    assert begin in readme and end in readme
    table = readme.split(begin, 1)[1].split(end, 1)[0].strip()
    listed = _run(qopt_e2e.tool("qopt-translate"), "--list-onnx-ops").stdout.strip()
    assert table == listed, "regenerate the README table with qopt-translate --list-onnx-ops"
