"""qopt: compile ONNX models into small, fast, self-contained libraries.

    import qopt
    model = qopt.compile("model.onnx", recipe="bf16")
    outputs = model(x=array)            # dict of numpy arrays
    model.report["weight_bytes"]

`qopt.load("model.so")` loads a library compiled earlier (needs no
compiler); `qopt.ir` exposes the importer and the pass pipelines. Every
failure raises qopt.Error with the compiler's diagnostics.
"""
from ._runtime import CompiledModel, Error, TensorSpec, load
from ._compile import QOptWarning, available_recipes as recipes, compile, runtime_prefix
from . import ir

__version__ = "0.1.0"
__all__ = ["compile", "load", "recipes", "CompiledModel", "TensorSpec", "Error",
           "QOptWarning", "ir", "runtime_prefix"]
