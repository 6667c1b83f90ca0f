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

# Recipes (DESIGN.md) whose quantization comes from calibration data: int8
# needs activation ranges (samples, or a saved table), GPTQ and AWQ the
# layers' inputs themselves (samples only).
CALIBRATION_RECIPES = frozenset({"int8", "int4-gptq", "int4-awq"})
LAYER_INPUT_RECIPES = frozenset({"int4-gptq", "int4-awq"})

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
    onnx.ModelProto or serialized bytes (written to a temporary file, whose
    path errors then name as <ModelProto 'graph name'>)."""
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
    kind = "bytes" if isinstance(model, (bytes, bytearray, memoryview)) else "ModelProto"
    with tempfile.TemporaryDirectory(prefix="qopt-model-") as tmp:
        path = os.path.join(tmp, "model.onnx")
        with open(path, "wb") as f:
            f.write(data)
        try:
            yield path, stem or "model"
        except Error as e:
            shown = f"<{kind} '{name}'>" if kind == "ModelProto" else "<model bytes>"
            raise Error(str(e).replace(path, shown)) from None


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


def _samples(samples, what):
    """`samples` (calibration or validation data) as a list of
    {name: ndarray}, checked; None for None."""
    if samples is None:
        return None
    if isinstance(samples, collections.abc.Mapping):
        raise Error(f"{what}: expected an iterable of samples (dicts "
                    "{input name: array}), got a single dict; wrap it in a list")
    if isinstance(samples, (str, bytes)) or not isinstance(
            samples, collections.abc.Iterable):
        raise Error(f"{what}: expected an iterable of samples (dicts "
                    f"{{input name: array}}), got {type(samples).__name__}")
    out = []
    for i, sample in enumerate(samples):
        if not isinstance(sample, collections.abc.Mapping):
            raise Error(f"{what} sample {i}: expected a dict {{input name: "
                        f"array}}, got {type(sample).__name__}")
        arrays = {}
        for name, value in sample.items():
            if not isinstance(name, str):
                raise Error(f"{what} sample {i}: input names must be "
                            f"strings, got {name!r}")
            try:
                arrays[name] = np.asarray(value)
            except Exception as e:
                raise Error(f"{what} sample {i}, input '{name}': not an "
                            f"array ({e})") from None
            if arrays[name].dtype == object:
                raise Error(f"{what} sample {i}, input '{name}': not a "
                            "numeric array")
        out.append(arrays)
    if not out:
        raise Error(f"{what}: the iterable holds no samples")
    return out


def _check_samples_against(model, samples, what):
    specs = {s.name: s for s in model.inputs}
    for i, sample in enumerate(samples):
        for name, a in sample.items():
            spec = specs.get(name)
            if spec is None:
                raise Error(f"{what} sample {i}: the model has no input "
                            f"'{name}' (inputs: {sorted(specs)})")
            if tuple(a.shape) != spec.shape:
                raise Error(f"{what} sample {i}, input '{name}': shape "
                            f"{tuple(a.shape)}, the model takes {spec.shape}")
        missing = [n for n in specs if n not in sample]
        if missing:
            raise Error(f"{what} sample {i}: missing inputs {missing}")


def _write_samples(samples, directory):
    """One sub-directory per sample holding NAME.npy per input (the layout
    of qopt-compile's --validate-inputs, read by qopt-run)."""
    for i, sample in enumerate(samples):
        sub = os.path.join(directory, f"sample_{i:04d}")
        os.makedirs(sub)
        for name, a in sample.items():
            if not name or "/" in name or "\0" in name or name in (".", ".."):
                raise Error(f"input name {name!r} cannot name a file")
            np.save(os.path.join(sub, name + ".npy"), np.ascontiguousarray(a))


def _check_target(target):
    if target == "cpu":
        return
    if isinstance(target, str) and target.split(":")[0] == "cuda":
        raise Error(f"target '{target}': qopt.compile builds and loads CPU "
                    "models only; compile for the GPU with the command line, "
                    "qopt-compile MODEL.onnx --target cuda[:sm_XX] -o MODEL.so")
    raise Error(f"unknown target {target!r} (available: cpu)")


def _budget_bytes(budget):
    """memory_budget as bytes (0: none): an int, or '2GiB', '300MiB', '1.5GB'."""
    if budget is None:
        return 0
    if isinstance(budget, (int, np.integer)) and not isinstance(budget, bool):
        if budget <= 0:
            raise Error(f"memory_budget must be positive, got {budget}")
        return int(budget)
    if isinstance(budget, str):
        import re
        m = re.fullmatch(r"\s*([0-9.]+)\s*(B|kB|KB|MB|GB|KiB|MiB|GiB|K|M|G)?\s*", budget)
        factors = {None: 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9,
                   "KiB": 1024, "MiB": 2**20, "GiB": 2**30, "K": 1024, "M": 2**20, "G": 2**30}
        if m:
            try:
                return int(float(m.group(1)) * factors[m.group(2)])
            except ValueError:
                pass
    raise Error(f"memory_budget {budget!r}: expected bytes or a size such as "
                "'2GiB' or '300MiB'")


def compile(model, *, recipe="fp32", input_shapes=None, calibration=None,
            calibration_table=None, calibration_method=None,
            group=None, int4_format=None, memory_budget=None, min_cosine=0.99,
            target="cpu", output_dir=None, keep_f32=None, validate=None,
            progress=None):
    """Compiles an ONNX model into a library and loads it.

    model: path of an .onnx file, an onnx.ModelProto, or its serialized bytes.
    recipe: 'fp32' (default), 'bf16', 'f16' (see qopt.recipes()); a list or
        comma-joined string composes recipes.
    input_shapes: {input name: shape tuple} for inputs with symbolic dims.
    calibration: an iterable of samples {input name: numpy array}, for the
        recipes that calibrate (int8): the FP32 model runs on each and the
        range of every quantized activation is measured.
    calibration_table: path of a calibration table (JSON): written from
        `calibration` when both are given, reused without it.
    calibration_method: 'percentile' (default, 99.999), 'entropy', 'mse' or
        'minmax': how ranges are chosen from the statistics.
    group: int4 recipes: weights per scale along K (a power of two >= 16;
        default 128, 64 for nf4).
    int4_format: int4 recipes: 'symmetric' (default) or 'asymmetric'.
    memory_budget: choose the recipe instead of giving it: bytes (int) or a
        size string ('2GiB', '300MiB'); the most accurate recipe whose
        predicted peak memory fits and whose output cosine against FP32 on
        `calibration` reaches `min_cosine` wins (the report's 'budget' lists
        every candidate). Needs `calibration`.
    min_cosine: the accuracy floor with memory_budget (default 0.99).
    target: 'cpu' (GPU libraries: qopt-compile --target cuda[:sm_XX]).
    output_dir: where MODEL.so, MODEL.h and MODEL.json (the report) are
        written; a temporary directory, removed with the model, by default.
    keep_f32: with bf16/f16, ONNX op types or 'node:NAME' kept in f32.
    validate: samples {input name: array} on which the compiled model is
        compared with the FP32 compile of the same model; the report gets
        `validation_samples` and, per output, `max_abs_error`,
        `max_rel_error` and `cosine` (qopt-compile --validate-inputs).
    progress: show a progress bar (default: when stderr is a terminal).

    Returns a CompiledModel; raises qopt.Error with the compiler's
    diagnostics on failure.
    """
    _check_target(target)
    budget = _budget_bytes(memory_budget)
    if budget and calibration is None:
        raise Error("memory_budget needs calibration samples: each candidate's "
                    "accuracy is measured on them against FP32")
    recipe_text, recipe_names = _recipe_text(recipe)
    shapes = shape_list(input_shapes)
    samples = _samples(calibration, "calibration")
    checks = _samples(validate, "validate")
    if keep_f32 is None:
        keep = []
    elif isinstance(keep_f32, str):
        keep = [k.strip() for k in keep_f32.split(",") if k.strip()]
    else:
        keep = [str(k) for k in keep_f32]
    ext = _ext()
    available = set(available_recipes())
    needing = [r for r in recipe_names if r in CALIBRATION_RECIPES and r in available]
    if needing and samples is None and calibration_table is None:
        raise Error(f"recipe '{needing[0]}' needs calibration data: pass "
                    "calibration=[{input name: array}, ...] or a saved "
                    "calibration_table")
    layer_inputs = [r for r in needing if r in LAYER_INPUT_RECIPES]
    if layer_inputs and samples is None:
        raise Error(f"recipe '{layer_inputs[0]}' needs the layers' inputs: pass "
                    "calibration=[{input name: array}, ...] (a calibration "
                    "table holds only ranges)")
    prefix = runtime_prefix()
    if checks is not None and not os.access(os.path.join(prefix, "bin", "qopt-run"),
                                            os.X_OK):
        raise Error(f"validate: '{prefix}/bin/qopt-run' is missing (a package "
                    "built without qopt-run cannot validate)")

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
        with model_file(model) as (path, stem), \
                tempfile.TemporaryDirectory(prefix="qopt-validate-") as data, \
                tempfile.TemporaryDirectory(prefix="qopt-calibrate-") as cal:
            so_path = os.path.join(out_dir, stem + ".so")
            report_path = os.path.join(out_dir, stem + ".json")
            if checks is not None:
                _write_samples(checks, data)
            # Samples reach the compiler only for recipes that calibrate;
            # for the others they are just checked against the model.
            calibrating = samples is not None and (bool(needing) or bool(budget))
            if calibrating:
                _write_samples(samples, cal)
            steps = _STEPS if checks is None else _STEPS[:-1] + ("validate-inputs", "load")
            if calibrating:
                steps = ("calibrate",) + steps
            with Progress(f"compile {stem}", steps, enabled=progress) as bar:
                def on_step(name):
                    # "calibrate 3/8": progress within the calibrate step.
                    detail = name.startswith("calibrate ") or name.startswith("budget:")
                    (bar.detail if detail else bar.step)(name)
                found = ext.compile_model(
                    path, so_path, recipe_text, shapes, keep, prefix, report_path,
                    "", "", data if checks is not None else "",
                    cal if calibrating else "",
                    os.fspath(calibration_table) if calibration_table is not None else "",
                    calibration_method or "", int(group or 0), int4_format or "",
                    budget, float(min_cosine), on_step)
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
        _check_samples_against(compiled, samples, "calibration")
    compiled.recipe = recipe_text
    compiled._workdir = workdir  # removed when the model is
    return compiled
