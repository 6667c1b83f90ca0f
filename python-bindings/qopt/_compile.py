"""qopt.compile: ONNX model -> CompiledModel, through the C++ compiler."""
import collections.abc
import contextlib
import json
import numbers
import os
import tempfile
import warnings

import numpy as np

from ._progress import Progress
from ._runtime import CompiledModel, Error

# Recipes (DESIGN.md) whose quantization ranges come from calibration data.
# None of them is available yet: compile() rejects them as unknown recipes
# before asking for data, and accepts (and checks) `calibration` for all.
CALIBRATION_RECIPES = frozenset({"int8", "int4-gptq", "int4-awq"})

# The steps the compiler reports, in order, for the progress bar.
_STEPS = ("import", "recipe", "lower-to-linalg", "bufferize", "lower-to-llvm",
          "llvm-codegen", "link", "load")


class QOptWarning(UserWarning):
    """A warning of the compiler (the model still compiled)."""


def _ext():
    try:
        from . import _qopt
    except ImportError as e:  # a package installed without its extension
        raise Error(f"qopt's compiler extension (qopt._qopt) cannot be loaded: {e}; "
                    "reinstall with `pip install ./python-bindings`") from None
    return _qopt


def available_recipes():
    """The recipes compile() accepts, e.g. ['fp32', 'bf16', 'f16']."""
    return [r.strip() for r in _ext().available_recipes().split(",") if r.strip()]


def runtime_prefix():
    """The directory with the model runtime that compiled libraries link
    (include/qopt/Runtime, lib/libqopt_runtime.a, bin/qopt-run): the copy
    installed with the package, or $QOPT_RUNTIME_PREFIX."""
    prefix = os.environ.get("QOPT_RUNTIME_PREFIX") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "_prefix")
    if not os.path.isfile(os.path.join(prefix, "lib", "libqopt_runtime.a")):
        raise Error(f"qopt's model runtime is missing from '{prefix}' (expected "
                    "lib/libqopt_runtime.a and include/qopt/Runtime); reinstall "
                    "the package or set QOPT_RUNTIME_PREFIX")
    return prefix


@contextlib.contextmanager
def model_file(model):
    """Yields (path, stem) of an ONNX file for `model`: a path, an
    onnx.ModelProto or serialized bytes (written to a temporary file)."""
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.isfile(path):
            raise Error(f"no ONNX model at '{path}'"
                        + (" (it is a directory)" if os.path.isdir(path) else ""))
        yield path, os.path.splitext(os.path.basename(path))[0] or "model"
        return
    if isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
    elif hasattr(model, "SerializeToString"):
        try:
            data = model.SerializeToString()
        except Exception as e:  # protobuf refuses models over 2 GiB
            raise Error(f"cannot serialize the ModelProto ({e}); save it with "
                        "external data and pass the file's path") from None
    else:
        raise Error("model: expected a path, an onnx.ModelProto or serialized "
                    f"bytes, got {type(model).__name__}")
    name = getattr(getattr(model, "graph", None), "name", "") or "model"
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:64]
    with tempfile.TemporaryDirectory(prefix="qopt-model-") as tmp:
        path = os.path.join(tmp, "model.onnx")
        with open(path, "wb") as f:
            f.write(data)
        yield path, stem or "model"


def shape_list(input_shapes):
    """[(name, [dims])] from {name: tuple of ints}, checked."""
    if input_shapes is None:
        return []
    if not isinstance(input_shapes, collections.abc.Mapping):
        raise Error("input_shapes: expected a dict {input name: shape tuple}, got "
                    f"{type(input_shapes).__name__}")
    out = []
    for name, shape in input_shapes.items():
        if not isinstance(name, str):
            raise Error(f"input_shapes: input names must be strings, got {name!r}")
        if isinstance(shape, (str, bytes)) or not isinstance(shape, collections.abc.Iterable):
            raise Error(f"input_shapes['{name}']: expected a tuple of dimensions, "
                        f"got {shape!r}")
        dims = list(shape)
        for d in dims:
            if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
                raise Error(f"input_shapes['{name}']: dimensions must be "
                            f"non-negative integers, got {tuple(dims)!r}")
        out.append((name, [int(d) for d in dims]))
    return out


def _recipe_text(recipe):
    if isinstance(recipe, str):
        parts = recipe.split(",")
    elif isinstance(recipe, collections.abc.Iterable):
        parts = list(recipe)
    else:
        raise Error(f"recipe: expected a name such as 'bf16' or a list of names, "
                    f"got {recipe!r}")
    names = []
    for p in parts:
        if not isinstance(p, str):
            raise Error(f"recipe: expected recipe names (strings), got {p!r}")
        if p.strip():
            names.append(p.strip())
    if not names:
        raise Error(f"recipe: no recipe named (available: "
                    f"{', '.join(available_recipes())})")
    return ",".join(names), names


def _calibration_samples(calibration):
    """The samples as a list of {name: ndarray}, checked; None for None."""
    if calibration is None:
        return None
    if isinstance(calibration, collections.abc.Mapping):
        raise Error("calibration: expected an iterable of samples (dicts "
                    "{input name: array}), got a single dict; wrap it in a list")
    if isinstance(calibration, (str, bytes)) or not isinstance(
            calibration, collections.abc.Iterable):
        raise Error("calibration: expected an iterable of samples (dicts "
                    f"{{input name: array}}), got {type(calibration).__name__}")
    samples = []
    for i, sample in enumerate(calibration):
        if not isinstance(sample, collections.abc.Mapping):
            raise Error(f"calibration sample {i}: expected a dict {{input name: "
                        f"array}}, got {type(sample).__name__}")
        arrays = {}
        for name, value in sample.items():
            if not isinstance(name, str):
                raise Error(f"calibration sample {i}: input names must be "
                            f"strings, got {name!r}")
            try:
                arrays[name] = np.asarray(value)
            except Exception as e:
                raise Error(f"calibration sample {i}, input '{name}': not an "
                            f"array ({e})") from None
            if arrays[name].dtype == object:
                raise Error(f"calibration sample {i}, input '{name}': not a "
                            "numeric array")
        samples.append(arrays)
    if not samples:
        raise Error("calibration: the iterable holds no samples")
    return samples


def _check_calibration_against(model, samples):
    specs = {s.name: s for s in model.inputs}
    for i, sample in enumerate(samples):
        for name, a in sample.items():
            spec = specs.get(name)
            if spec is None:
                raise Error(f"calibration sample {i}: the model has no input "
                            f"'{name}' (inputs: {sorted(specs)})")
            if tuple(a.shape) != spec.shape:
                raise Error(f"calibration sample {i}, input '{name}': shape "
                            f"{tuple(a.shape)}, the model takes {spec.shape}")
        missing = [n for n in specs if n not in sample]
        if missing:
            raise Error(f"calibration sample {i}: missing inputs {missing}")


def _check_target(target):
    if target == "cpu":
        return
    if isinstance(target, str) and target.split(":")[0] == "cuda":
        raise Error(f"target '{target}': the CUDA target is not implemented yet "
                    "(available: cpu)")
    raise Error(f"unknown target {target!r} (available: cpu)")


def compile(model, *, recipe="fp32", input_shapes=None, calibration=None,
            target="cpu", output_dir=None, keep_f32=None, progress=None):
    """Compiles an ONNX model into a library and loads it.

    model: path of an .onnx file, an onnx.ModelProto, or its serialized bytes.
    recipe: 'fp32' (default), 'bf16', 'f16' (see qopt.recipes()); a list or
        comma-joined string composes recipes.
    input_shapes: {input name: shape tuple} for inputs with symbolic dims.
    calibration: an iterable of samples {input name: numpy array}, for the
        recipes that calibrate (none available yet; checked against the
        model's inputs).
    target: 'cpu' (the only one so far).
    output_dir: where MODEL.so, MODEL.h and MODEL.json (the report) are
        written; a temporary directory, removed with the model, by default.
    keep_f32: with bf16/f16, ONNX op types or 'node:NAME' kept in f32.
    progress: show a progress bar (default: when stderr is a terminal).

    Returns a CompiledModel; raises qopt.Error with the compiler's
    diagnostics on failure.
    """
    _check_target(target)
    recipe_text, recipe_names = _recipe_text(recipe)
    shapes = shape_list(input_shapes)
    samples = _calibration_samples(calibration)
    if keep_f32 is None:
        keep = []
    elif isinstance(keep_f32, str):
        keep = [k.strip() for k in keep_f32.split(",") if k.strip()]
    else:
        keep = [str(k) for k in keep_f32]
    ext = _ext()
    available = set(available_recipes())
    needing = [r for r in recipe_names if r in CALIBRATION_RECIPES and r in available]
    if needing and samples is None:
        raise Error(f"recipe '{needing[0]}' needs calibration data: pass "
                    "calibration=[{input name: array}, ...]")
    prefix = runtime_prefix()

    workdir = None
    if output_dir is None:
        workdir = tempfile.TemporaryDirectory(prefix="qopt-")
        out_dir = workdir.name
    else:
        out_dir = os.fspath(output_dir)
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as e:
            raise Error(f"cannot create output_dir '{out_dir}': {e}") from None
    try:
        with model_file(model) as (path, stem):
            so_path = os.path.join(out_dir, stem + ".so")
            report_path = os.path.join(out_dir, stem + ".json")
            with Progress(f"compile {stem}",
                          _STEPS, enabled=progress) as bar:
                found = ext.compile_model(path, so_path, recipe_text, shapes, keep,
                                          prefix, report_path, "", "", "", bar.step)
                bar.step("load")
                with open(report_path) as f:
                    report = json.load(f)
                compiled = CompiledModel(so_path, report=report)
    except BaseException:
        if workdir is not None:
            workdir.cleanup()
        raise
    for message in found:
        warnings.warn(message, QOptWarning, stacklevel=2)
    known = {s.name for s in compiled.inputs}
    unknown = [name for name, _ in shapes if name not in known]
    if unknown:
        raise Error(f"input_shapes names {unknown}, but the model's inputs are "
                    f"{sorted(known)}")
    if samples is not None:
        _check_calibration_against(compiled, samples)
    compiled.recipe = recipe_text
    compiled._workdir = workdir  # removed when the model is
    return compiled
