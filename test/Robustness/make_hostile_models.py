#!/usr/bin/env python3
"""Writes hostile ONNX models into test/Robustness/Inputs/: each must make
qopt-compile exit non-zero with a clear error, never crash or read outside
the model's directory.

    .venv/bin/python test/Robustness/make_hostile_models.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Inputs")


def graph_with_weight(weight, name="g"):
    nodes = [helper.make_node("Add", ["x", "w"], ["y"], name="add")]
    return helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [weight])


def model(graph):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def external(location, offset=None, length=None):
    t = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4])
    t.data_location = TensorProto.EXTERNAL
    entries = [("location", location)]
    if offset is not None:
        entries.append(("offset", str(offset)))
    if length is not None:
        entries.append(("length", str(length)))
    for k, v in entries:
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def save(name, m):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(m.SerializeToString() if not isinstance(m, bytes) else m)


def main():
    os.makedirs(OUT, exist_ok=True)
    # A small, legitimate external-data file beside the models.
    with open(os.path.join(OUT, "weights.bin"), "wb") as f:
        f.write(np.arange(4, dtype=np.float32).tobytes())
    save("traversal_dotdot.onnx", model(graph_with_weight(external("../../etc/passwd"))))
    save("traversal_absolute.onnx", model(graph_with_weight(external("/etc/passwd"))))
    save("external_negative_offset.onnx",
         model(graph_with_weight(external("weights.bin", offset="-16"))))
    save("external_past_end.onnx",
         model(graph_with_weight(external("weights.bin", offset=8))))
    save("external_wrong_length.onnx",
         model(graph_with_weight(external("weights.bin", length=64))))
    save("external_missing_file.onnx", model(graph_with_weight(external("nope.bin"))))
    # Raw data of the wrong size for its shape.
    t = numpy_helper.from_array(np.zeros(3, np.float32), "w")
    t.dims[:] = [4]
    save("raw_data_wrong_size.onnx", model(graph_with_weight(t)))
    # Dimensions whose product overflows 64 bits.
    huge = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT,
                            dims=[1 << 40, 1 << 40])
    save("huge_dims.onnx", model(graph_with_weight(huge)))
    # A graph input whose declared shape is absurd.
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="r")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1 << 40, 1 << 40])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1 << 40, 1 << 40])])
    save("huge_input.onnx", model(g))
    # A Reshape target whose element count overflows 64 bits (found by
    # qopt-fuzz-onnx: the count wrapped, undefined behaviour).
    shape = numpy_helper.from_array(np.array([1 << 62, 4], np.int64), "shape")
    g = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [shape])
    save("reshape_overflow.onnx", model(g))
    # Nodes without the operands their op requires (found by
    # qopt-fuzz-onnx: importers read a missing output's name, a missing
    # input's type).
    for name, node in [
            ("topk_no_outputs.onnx", helper.make_node("TopK", ["x", "k"], [], name="topk")),
            ("relu_no_input.onnx", helper.make_node("Relu", [], ["y"], name="relu")),
            ("add_unnamed_input.onnx", helper.make_node("Add", ["x", ""], ["y"], name="add"))]:
        g = helper.make_graph(
            [node], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4]),
             helper.make_tensor_value_info("k", TensorProto.INT64, [1])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
        save(name, model(g))
    # A Range of constants that would fold into 2^62 elements (found by
    # qopt-fuzz-onnx: the importer allocated without bound).
    bounds = [numpy_helper.from_array(np.array(v, np.int64), name)
              for name, v in [("a", 0), ("b", 1 << 62), ("c", 1)]]
    g = helper.make_graph(
        [helper.make_node("Range", ["a", "b", "c"], ["y"], name="range")], "g",
        [], [helper.make_tensor_value_info("y", TensorProto.INT64, None)], bounds)
    save("range_huge.onnx", model(g))
    # Pads whose sum overflows 64 bits (found by qopt-fuzz-onnx: the
    # output shape wrapped, undefined behaviour).
    pads = numpy_helper.from_array(np.array([-(1 << 63), -(1 << 63)], np.int64), "pads")
    g = helper.make_graph(
        [helper.make_node("Pad", ["x", "pads"], ["y"], name="pad")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [pads])
    save("pad_overflow.onnx", model(g))
    # An intermediate value of 2^42 bytes (Expand, then a reduction): the
    # arena it needs is refused at compile time, not at create.
    big = numpy_helper.from_array(np.array([1 << 20, 1 << 20], np.int64), "shape")
    g = helper.make_graph(
        [helper.make_node("Expand", ["x", "shape"], ["e"], name="expand"),
         helper.make_node("ReduceMax", ["e"], ["y"], name="max", keepdims=0)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])], [big])
    save("huge_intermediate.onnx", model(g))
    # A cycle: a uses b, b uses a.
    g = helper.make_graph(
        [helper.make_node("Relu", ["b"], ["a"], name="first"),
         helper.make_node("Relu", ["a"], ["b"], name="second")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("b", TensorProto.FLOAT, [2])])
    save("cycle.onnx", model(g))
    # The same value produced twice.
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="one"),
         helper.make_node("Relu", ["x"], ["y"], name="two")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    save("duplicate_output.onnx", model(g))
    # An unknown element type.
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="r")], "g",
        [helper.make_tensor_value_info("x", 999, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    save("unknown_type.onnx", model(g))
    # Absurd attributes: zero stride, negative kernel.
    w = numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")
    for name, attrs in [("conv_zero_stride.onnx", {"strides": [0, 1]}),
                        ("conv_negative_pads.onnx", {"pads": [-5, 0, 0, 0]})]:
        g = helper.make_graph(
            [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
        save(name, model(g))
    g = helper.make_graph(
        [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[-3, 2])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    save("pool_negative_kernel.onnx", model(g))
    # Truncated and garbage files.
    good = model(graph_with_weight(numpy_helper.from_array(np.ones(4, np.float32), "w")))
    data = good.SerializeToString()
    save("truncated.onnx", data[: len(data) // 2])
    save("garbage.onnx", bytes(range(256)) * 4)
    save("empty.onnx", b"")
    print("wrote hostile models to", OUT)


if __name__ == "__main__":
    main()
