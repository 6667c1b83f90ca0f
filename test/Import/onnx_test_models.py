"""Helpers shared by the make_*_models.py scripts in this folder.

Each script keeps its own registry of model functions and its own defaults
(opset, whether the checker's shape inference runs); this module holds the
pieces they have in common:

    MODELS, model = registry()        # @model registers fn under its name
    _model = builder(opset=18)        # the family's ModelProto builder
    vi(name, elem, shape)             # a ValueInfoProto
    fvi(name, shape, elem=FLOAT)      # the same, shape first, float default
    const(name, values, dtype)        # an initializer from a numpy array
    rng(name)                         # a per-model, order-independent RNG
    main(MODELS, "family")            # writes Inputs/<family>/<name>.onnx

The scripts import it with their own folder on sys.path, so they run from
any working directory.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
PRODUCER = "qopt-import-tests"
IR_VERSION = 8


def registry():
    """A fresh (MODELS, model) pair: MODELS maps name -> function returning a
    ModelProto (or raw bytes); the `model` decorator registers a function
    under its own name, in definition order."""
    models = {}

    def model(fn):
        models[fn.__name__] = fn
        return fn

    return models, model


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def fvi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, values, dtype):
    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def rng(name):
    # A per-model seed that does not depend on the order of definitions.
    return np.random.default_rng(sum(map(ord, name)) * 7919)


def build_model(name, nodes, inputs, outputs, inits=(), opset=17, check=True,
                extra_opsets=(), infer_shapes=True):
    """One-graph ModelProto at IR version 8. With `check`, output shapes left
    as None are filled in by strict shape inference (when `infer_shapes`),
    then the whole model goes through onnx.checker; err_* models pass
    check=False."""
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(
        graph, producer_name=PRODUCER,
        opset_imports=[helper.make_opsetid("", opset)] + list(extra_opsets))
    m.ir_version = IR_VERSION
    if check:
        if infer_shapes:
            m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        onnx.checker.check_model(m, full_check=True)
    return m


def builder(opset, infer_shapes=True):
    """build_model with a family's defaults: `opset` when the call names
    none, and whether checked models go through shape inference first."""

    def _model(name, nodes, inputs, outputs, inits=(), opset=opset,
               check=True, extra_opsets=()):
        return build_model(name, nodes, inputs, outputs, inits, opset, check,
                           extra_opsets, infer_shapes)

    return _model


def main(models, family=None, argv=None):
    """Writes every registered model to OUT_DIR/<name>.onnx, where OUT_DIR is
    argv[1] when given, else Inputs/<family>/ (Inputs/ for no family) next
    to this file."""
    argv = sys.argv if argv is None else argv
    if len(argv) > 1:
        out = argv[1]
    else:
        out = os.path.join(HERE, "Inputs", *([family] if family else []))
    os.makedirs(out, exist_ok=True)
    for name, fn in models.items():
        m = fn()
        data = m if isinstance(m, bytes) else m.SerializeToString()
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(data)
    print(f"wrote {len(models)} models to {out}")
