"""Loads a model library written by qopt-compile and runs it through its C
API (qopt_runtime.h) with ctypes: no compiler, MLIR or LLVM needed to run."""
import ctypes
import json
import os
import threading

import numpy as np

# qopt_dtype (ONNX TensorProto numbering) <-> numpy.
_DTYPES = {
    1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16,
    6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64,
    12: np.uint32, 13: np.uint64,
}
_BFLOAT16 = 16
_NP_TO_DTYPE = {np.dtype(v): k for k, v in _DTYPES.items()}


class Error(RuntimeError):
    """An error reported by qopt (compiler or compiled model); the message
    carries the compiler's diagnostics."""


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_size_t), ("dims", ctypes.POINTER(ctypes.c_int64))]


class _Tensor(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("rank", ctypes.c_size_t),
                ("dims", ctypes.POINTER(ctypes.c_int64)), ("data", ctypes.c_void_p),
                ("size_bytes", ctypes.c_size_t)]


class TensorSpec:
    """Name, numpy dtype and static shape of a model input or output."""

    def __init__(self, info):
        self.name = info.name.decode("utf-8", "replace")
        self.code = info.dtype
        self.dtype = np.dtype(_DTYPES[info.dtype]) if info.dtype in _DTYPES else None
        self.shape = tuple(info.dims[i] for i in range(info.rank))

    def __repr__(self):
        return f"TensorSpec({self.name!r}, {self.dtype_name}, {self.shape})"

    @property
    def dtype_name(self):
        """The element type's name (bfloat16 has no numpy dtype: its tensors
        travel as uint16 bit patterns)."""
        return "bfloat16" if self.code == _BFLOAT16 else str(self.dtype)


class CompiledModel:
    """A model library compiled by qopt. `model(**inputs)` and
    `model.run({name: array})` return a dict of numpy arrays.

    `inputs`/`outputs` are TensorSpecs (name, dtype, shape); `report` is the
    compile report (dict). Runs of one model are serialised (the model owns
    one arena); separate CompiledModels run in parallel."""

    _handle = None

    def __init__(self, path, report=None):
        self.path = os.path.abspath(path)
        if not os.path.isfile(self.path):
            raise Error(f"no model library at '{path}'")
        try:
            self._lib = ctypes.CDLL(self.path, mode=ctypes.RTLD_LOCAL)
        except OSError as e:
            raise Error(f"cannot load model library '{path}': {e}") from None
        lib = self._lib
        try:
            lib.qopt_model_create.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        except AttributeError:
            raise Error(f"'{path}' is not a qopt model library") from None
        lib.qopt_model_create.restype = ctypes.c_int
        lib.qopt_model_destroy.argtypes = [ctypes.c_void_p]
        lib.qopt_model_last_error.argtypes = [ctypes.c_void_p]
        lib.qopt_model_last_error.restype = ctypes.c_char_p
        for f in ("qopt_model_num_inputs", "qopt_model_num_outputs",
                  "qopt_model_arena_bytes", "qopt_model_arena_lower_bound_bytes"):
            getattr(lib, f).argtypes = [ctypes.c_void_p]
            getattr(lib, f).restype = ctypes.c_size_t
        for f in ("qopt_model_input_info", "qopt_model_output_info"):
            getattr(lib, f).argtypes = [ctypes.c_void_p, ctypes.c_size_t]
            getattr(lib, f).restype = ctypes.POINTER(_TensorInfo)
        lib.qopt_model_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Tensor), ctypes.c_size_t,
                                       ctypes.POINTER(_Tensor), ctypes.c_size_t]
        lib.qopt_model_run.restype = ctypes.c_int
        handle = ctypes.c_void_p()
        if lib.qopt_model_create(ctypes.byref(handle)) != 0:
            raise Error(lib.qopt_model_last_error(None).decode())
        self._handle = handle
        self.inputs = [TensorSpec(lib.qopt_model_input_info(handle, i).contents)
                       for i in range(lib.qopt_model_num_inputs(handle))]
        self.outputs = [TensorSpec(lib.qopt_model_output_info(handle, i).contents)
                        for i in range(lib.qopt_model_num_outputs(handle))]
        self.arena_bytes = lib.qopt_model_arena_bytes(handle)
        self.report = report or {}
        self._lock = threading.Lock()

    def __del__(self):
        if self._handle:
            self._lib.qopt_model_destroy(self._handle)
            self._handle = None

    def __repr__(self):
        return (f"CompiledModel({self.path!r}, inputs={self.inputs}, "
                f"outputs={self.outputs})")

    def __call__(self, **inputs):
        return self.run(inputs)

    def _tensor(self, spec, array, keep):
        dims = (ctypes.c_int64 * max(1, len(array.shape)))(*array.shape)
        keep.append(dims)
        code = spec.code if spec.code == _BFLOAT16 else _NP_TO_DTYPE.get(array.dtype, -1)
        return _Tensor(code, array.ndim, dims, array.ctypes.data, array.nbytes)

    def run(self, inputs):
        missing = [s.name for s in self.inputs if s.name not in inputs]
        unknown = [k for k in inputs if k not in {s.name for s in self.inputs}]
        if missing or unknown:
            raise Error(f"inputs: missing {missing}, unknown {unknown}; the model takes "
                        f"{[(s.name, s.dtype_name, s.shape) for s in self.inputs]}")
        keep = []
        arrays = []
        for spec in self.inputs:
            value = inputs[spec.name]
            if not isinstance(value, np.ndarray) and spec.dtype is not None:
                # Python numbers and nested lists take the input's dtype.
                try:
                    value = np.asarray(value, dtype=spec.dtype)
                except (TypeError, ValueError) as e:
                    raise Error(f"input '{spec.name}': cannot convert to "
                                f"{spec.dtype_name}: {e}") from None
            a = np.asarray(value)
            if spec.code == _BFLOAT16 and a.dtype == np.uint16:
                pass  # raw bfloat16 bits
            elif a.dtype != spec.dtype:
                raise Error(f"input '{spec.name}': expected dtype {spec.dtype_name}, "
                            f"got {a.dtype}")
            arrays.append(np.ascontiguousarray(a))
        ins = (_Tensor * max(1, len(arrays)))(
            *[self._tensor(s, a, keep) for s, a in zip(self.inputs, arrays)])
        outs_np = [np.empty(s.shape, np.uint16 if s.code == _BFLOAT16 else s.dtype)
                   for s in self.outputs]
        outs = (_Tensor * max(1, len(outs_np)))(
            *[self._tensor(s, a, keep) for s, a in zip(self.outputs, outs_np)])
        with self._lock:
            status = self._lib.qopt_model_run(self._handle, ins, len(arrays), outs,
                                              len(outs_np))
            if status != 0:
                raise Error(self._lib.qopt_model_last_error(self._handle).decode(
                    "utf-8", "replace"))
        return {s.name: a for s, a in zip(self.outputs, outs_np)}


def load(path):
    """Loads a model library compiled earlier (qopt-compile or qopt.compile);
    its report is read from the JSON file beside it (model.json), if any."""
    report = None
    stem = os.path.splitext(os.fspath(path))[0]
    if os.path.isfile(stem + ".json"):
        try:
            with open(stem + ".json") as f:
                report = json.load(f)
        except (OSError, ValueError):
            report = None
    return CompiledModel(path, report=report)
