"""qopt's IR for compiler researchers: import ONNX to MLIR text, run pass
pipelines on it, list the passes and pipelines.

    text = qopt.ir.import_onnx("models/mlp.onnx")
    text = qopt.ir.run_pipeline(text, "builtin.module(qopt-recipe-bf16)")
    [p.name for p in qopt.ir.passes() if p.name.startswith("qopt-")]

MLIR text carries debug info (locations) by default, so that the ONNX node
of every op survives a round trip through text.
"""
import collections
import re

from ._compile import _ext, model_file, shape_list
from ._runtime import Error

PassOption = collections.namedtuple("PassOption", "name type help values")
PassOption.__doc__ = ("An option of a pass or pipeline: `name`, `type` (the value "
                      "placeholder: 'string', 'uint', 'enum'..., or '' for a flag), "
                      "`help`, and `values` (allowed values of an enum option).")
PassInfo = collections.namedtuple("PassInfo", "name kind summary options")
PassInfo.__doc__ = ("A registered pass or pass pipeline: `name` (as written in "
                    "a pipeline), `kind` ('pass' or 'pipeline'), `summary`, "
                    "`options` (PassOptions).")


def import_onnx(model, input_shapes=None, *, debug_info=True, elide_weights=False):
    """The ONNX model (path, onnx.ModelProto or bytes) imported to TOSA +
    qopt, as MLIR text. `input_shapes` fixes symbolic dimensions
    ({name: tuple}); `elide_weights` prints large constants as placeholders
    (the text then no longer parses)."""
    shapes = shape_list(input_shapes)
    with model_file(model) as (path, _):
        return _ext().import_onnx(path, shapes, debug_info, elide_weights)


def run_pipeline(mlir, pipeline, *, debug_info=True, elide_weights=False):
    """Parses `mlir` (text), runs the pass pipeline (anchored text such as
    'builtin.module(canonicalize,func.func(qopt-fold-casts))'; a pipeline
    without the anchor runs on the module) and returns the result as text."""
    if not isinstance(mlir, str):
        raise Error(f"run_pipeline: expected MLIR text (str), got {type(mlir).__name__}")
    if not isinstance(pipeline, str) or not pipeline.strip():
        raise Error("run_pipeline: expected a pass pipeline such as "
                    "'builtin.module(canonicalize)'")
    pipeline = pipeline.strip()
    if not re.match(r"^(any|[\w$]+\.[\w.$]+)\s*\(", pipeline):
        pipeline = f"builtin.module({pipeline})"
    return _ext().run_pipeline(mlir, pipeline, debug_info, elide_weights)


_ENTRY = re.compile(r"^--([^\s=]+)(?:=<([^>]*)>)?\s*(?:-\s+(.*))?$")
_VALUE = re.compile(r"^=([^\s]+)\s*(?:-\s+(.*))?$")


def _parse(text):
    entries = []
    kind = None
    base = None  # indentation of the entries
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in ("Passes:", "Pass Pipelines:"):
            kind = "pass" if stripped == "Passes:" else "pipeline"
            base = None
            continue
        if kind is None or not stripped:
            continue
        indent = len(line) - len(line.lstrip(" "))
        m = _ENTRY.match(stripped)
        if m and (base is None or indent == base):
            base = indent
            entries.append(PassInfo(m.group(1), kind, (m.group(3) or "").strip(), []))
        elif m and entries and indent > base:
            entries[-1].options.append(
                PassOption(m.group(1), m.group(2) or "", (m.group(3) or "").strip(), []))
        elif stripped.startswith("=") and entries and entries[-1].options:
            v = _VALUE.match(stripped)
            if v:
                entries[-1].options[-1].values.append(v.group(1))
    return entries


def passes(kind=None):
    """Every registered pass and pass pipeline (upstream MLIR's and qopt's)
    with its options, sorted by name; `kind` 'pass' or 'pipeline' selects."""
    if kind not in (None, "pass", "pipeline"):
        raise Error(f"passes: kind must be 'pass', 'pipeline' or None, got {kind!r}")
    entries = _parse(_ext().registered_passes_text())
    if not entries:
        raise Error("the pass registry listing is empty")
    return [e for e in entries if kind is None or e.kind == kind]


def compile_pipeline(recipe="fp32", keep_f32=None):
    """The whole pipeline qopt.compile runs after import (qopt-compile
    --print-pipeline), runnable by run_pipeline on import_onnx's output."""
    keep = [] if keep_f32 is None else (
        [k for k in keep_f32.split(",") if k] if isinstance(keep_f32, str) else list(keep_f32))
    return _ext().compile_pipeline(recipe, keep)
