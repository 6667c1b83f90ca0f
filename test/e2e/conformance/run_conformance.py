#!/usr/bin/env python3
"""ONNX backend conformance runner for qopt (CPU).

For every ONNX backend node test (model.onnx + test_data_set_*/input_K.pb,
output_K.pb), or those whose name matches --filter:

  * skip tests whose graph inputs/outputs are not numeric tensors (strings,
    sequences, optionals, maps, sparse tensors) and training ops (domain
    ai.onnx.preview.training);
  * compile the model with qopt-compile (120 s limit) in a private temp dir;
  * run every test_data_set_* with qopt-run against the expected outputs
    (rtol 1e-3, atol 1e-7 unless tolerances.json overrides them per test).

Prints one line per test (PASS/FAIL/SKIP), a summary of failure reasons
grouped by kind (unsupported ops sorted by count), the pass rate of the
numeric tests, and, as the last line, "N passed, M failed, K skipped".

expected_passes.txt holds the sorted names of the tests that pass:
  --check   exit 1 when an expected pass fails (regression) or a test not in
            the list passes (the list is stale); failures that are not
            expected passes are fine;
  --update  rewrite the list from this run (with --filter, only the entries of
            the selected tests change).

Tools come from $QOPT_BIN (default <repo>/build/bin).
"""
import argparse
import collections
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
BIN = os.environ.get("QOPT_BIN", os.path.join(ROOT, "build", "bin"))
DEFAULT_DATA = "/usr/share/libonnx-testdata/data/node"
EXPECTED_FILE = os.path.join(HERE, "expected_passes.txt")
TOLERANCES_FILE = os.path.join(HERE, "tolerances.json")

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-7
COMPILE_TIMEOUT_S = 120
RUN_TIMEOUT_S = 120

TRAINING_DOMAIN = "ai.onnx.preview.training"

# TensorProto.DataType values that are not numbers.
_NON_NUMERIC_ELEM = {0: "undefined", 8: "string"}


# ---------------------------------------------------------------------------
# Classification


def _type_problem(type_proto):
    """Why a graph input/output type is not a numeric tensor, or None."""
    kind = type_proto.WhichOneof("value")
    if kind == "tensor_type":
        elem = type_proto.tensor_type.elem_type
        if elem in _NON_NUMERIC_ELEM:
            return _NON_NUMERIC_ELEM[elem] + " tensor"
        return None
    return {"sequence_type": "sequence", "optional_type": "optional",
            "map_type": "map", "sparse_tensor_type": "sparse tensor",
            None: "untyped value"}.get(kind, kind)


def _nodes(graph):
    """All nodes of a graph, subgraphs (If/Loop/Scan bodies) included."""
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _nodes(attr.g)
            for g in attr.graphs:
                yield from _nodes(g)


def classify(model_path):
    """A skip reason for a test that is out of scope, or None to run it."""
    import onnx
    try:
        model = onnx.load(model_path)
    except Exception as e:  # noqa: BLE001 - any unreadable model is a skip
        return "unreadable model (%s)" % str(e).splitlines()[0]
    graph = model.graph
    for what, values in (("input", graph.input), ("output", graph.output)):
        for vi in values:
            problem = _type_problem(vi.type)
            if problem:
                article = "an" if problem[0] in "aeiou" else "a"
                return "%s '%s' is %s %s" % (what, vi.name, article, problem)
    for node in _nodes(graph):
        if node.domain == TRAINING_DOMAIN:
            return "training op %s (%s)" % (node.op_type, TRAINING_DOMAIN)
    return None


# ---------------------------------------------------------------------------
# Running one test

_UNSUPPORTED_RE = re.compile(r"unsupported ONNX ops?: (.*)$")
_UNSUPPORTED_ITEM_RE = re.compile(r"([\w.:]+) \(opset (\d+)\) at node '")
_RUN_FAIL_RE = re.compile(
    r"^FAIL output (\d+) '[^']*' max_abs_error=(\S+) max_rel_error=(\S+)"
    r" \((\d+) elements\)(?:: (\d+) mismatched)?")
_RUN_FAIL_OTHER_RE = re.compile(r"^FAIL output (\d+) '[^']*': (.*)$")


def _signal_name(num):
    try:
        return signal.Signals(num).name
    except ValueError:
        return "?"


def _run(cmd, timeout):
    """(returncode or 'timeout', stdout, stderr); a timeout kills the whole
    process group (qopt-compile runs the system linker)."""
    try:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             errors="replace", start_new_session=True)
    except OSError as e:  # e.g. the tool is being relinked
        return 127, "", "error: cannot execute %s: %s" % (cmd[0], e)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        return "timeout", out, err


def _tail(text, lines=8):
    return "\n".join(text.strip().splitlines()[-lines:])


def _compile_error_reason(stderr, model_path):
    """One line for a failed qopt-compile; fills the unsupported-op list."""
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    for line in lines:
        m = _UNSUPPORTED_RE.search(line)
        if m:
            ops = _UNSUPPORTED_ITEM_RE.findall(m.group(1))
            names = [op for op, _ in ops] or [m.group(1)]
            return ("unsupported op%s %s" % ("s" if len(names) > 1 else "",
                                             ", ".join(names)),
                    [op + " (opset " + v + ")" for op, v in ops])
    first = next((l for l in lines if "error" in l.lower()),
                 lines[0] if lines else "no message")
    # Drop the "qopt-compile: /path/model.onnx:" prefix.
    first = first.replace(model_path + ":", "").replace("qopt-compile:", "")
    first = re.sub(r"^\s*error:\s*", "", first)
    return "compile error: " + first.strip(), []


def _run_failure_reason(stdout, stderr):
    for line in stdout.splitlines():
        m = _RUN_FAIL_RE.match(line)
        if m:
            k, abs_err, rel_err, n, bad = m.groups()
            return ("output %s max error %s (max rel %s, %s/%s mismatched)"
                    % (k, abs_err, rel_err, bad or "?", n))
        m = _RUN_FAIL_OTHER_RE.match(line)
        if m:
            return "output %s: %s" % m.groups()
    lines = [l.strip() for l in (stderr + "\n" + stdout).splitlines()
             if l.strip()]
    first = next((l for l in lines if "error" in l.lower()),
                 lines[0] if lines else "no message")
    first = re.sub(r"^\s*error:\s*", "", first.replace("qopt-run:", ""))
    return "run error: " + first.strip()


def run_test(job):
    """Runs one test; returns a result dict (picklable)."""
    try:
        return _run_test(job)
    except Exception as e:  # noqa: BLE001 - one broken test must not stop all
        return {"name": job[0], "status": "FAIL", "ops": [], "crash": None,
                "stderr_tail": "", "seconds": 0.0,
                "reason": "runner error: %s: %s" % (type(e).__name__, e)}


def _run_test(job):
    name, test_dir, tol = job
    start = time.monotonic()
    res = {"name": name, "status": None, "reason": "", "ops": [],
           "stderr_tail": "", "crash": None}

    def done(status, reason="", **extra):
        res.update(status=status, reason=reason, **extra)
        res["seconds"] = time.monotonic() - start
        return res

    model = os.path.join(test_dir, "model.onnx")
    skip = classify(model)
    if skip:
        return done("SKIP", skip)
    data_sets = sorted(d for d in os.listdir(test_dir)
                       if d.startswith("test_data_set_")
                       and os.path.isdir(os.path.join(test_dir, d)))
    if not data_sets:
        return done("SKIP", "no test_data_set_* directory")

    with tempfile.TemporaryDirectory(prefix="qopt-conformance-") as tmp:
        so = os.path.join(tmp, "model.so")
        rc, out, err = _run([os.path.join(BIN, "qopt-compile"), model,
                             "-o", so], COMPILE_TIMEOUT_S)
        if rc == "timeout":
            return done("FAIL", "timeout (qopt-compile > %d s)"
                        % COMPILE_TIMEOUT_S)
        if rc < 0:
            return done("FAIL", "crash (signal %d, %s) in qopt-compile"
                        % (-rc, _signal_name(-rc)),
                        crash=("qopt-compile", -rc), stderr_tail=_tail(err))
        if rc != 0:
            reason, ops = _compile_error_reason(err, model)
            return done("FAIL", reason, ops=ops)

        for ds in data_sets:
            ds_dir = os.path.join(test_dir, ds)
            rc, out, err = _run([os.path.join(BIN, "qopt-run"), so,
                                 "--inputs", ds_dir, "--expected", ds_dir,
                                 "--rtol", repr(tol["rtol"]),
                                 "--atol", repr(tol["atol"])],
                                RUN_TIMEOUT_S)
            where = "" if len(data_sets) == 1 else " [%s]" % ds
            if rc == "timeout":
                return done("FAIL", "timeout (qopt-run > %d s)%s"
                            % (RUN_TIMEOUT_S, where))
            if rc < 0:
                return done("FAIL", "crash (signal %d, %s) in qopt-run%s"
                            % (-rc, _signal_name(-rc), where),
                            crash=("qopt-run", -rc),
                            stderr_tail=_tail(out + "\n" + err))
            if rc != 0:
                return done("FAIL", _run_failure_reason(out, err) + where)
    return done("PASS")


# ---------------------------------------------------------------------------
# Reporting


def reason_group(res):
    """Coarse groups for the summary (one result may count in several)."""
    reason = res["reason"]
    if reason.startswith("unsupported op"):
        names = reason.split(" ", 2)[2].split(", ")
        return ["unsupported op " + n for n in names]
    if reason.startswith("crash"):
        return [re.sub(r"\s*\[test_data_set_\d+\]$", "", reason)]
    if reason.startswith("timeout"):
        return [re.sub(r"\s*\[test_data_set_\d+\]$", "", reason)]
    if re.match(r"output \d+ max error", reason):
        return ["output mismatch (numeric)"]
    m = re.match(r"output \d+: (dtype|shape) mismatch", reason)
    if m:
        return ["output %s mismatch" % m.group(1)]
    # Compile/run errors: blur names and numbers so alike errors group.
    text = re.sub(r"\s*\[test_data_set_\d+\]$", "", reason)
    text = re.sub(r"'[^']*'", "'_'", text)
    text = re.sub(r"\b\d+(x\d+)*\b", "N", text)
    return [text[:160]]


def load_expected(path):
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        return {l.strip() for l in f if l.strip() and not l.startswith("#")}


def load_tolerances(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                      "README.md")
README_COUNT = re.compile(r"passes (\d+) of the (\d+) ONNX backend node tests")


def check_readme_count(passes, numeric):
    """The README states the pass count; it must match the expectations."""
    try:
        text = open(README).read()
    except OSError:
        return None
    m = README_COUNT.search(text)
    if not m:
        return "README.md does not state the conformance count ('passes N of the M ONNX backend node tests')"
    if (int(m.group(1)), int(m.group(2))) != (passes, numeric):
        return ("README.md says %s of %s; the expectations say %d of %d: update the README"
                % (m.group(1), m.group(2), passes, numeric))
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA,
                    help="ONNX backend node-test directory (default %(default)s)")
    ap.add_argument("--filter", default=None,
                    help="regex; run only tests whose name it matches (re.search)")
    ap.add_argument("--jobs", "-j", type=int, default=2,
                    help="parallel tests (default %(default)s)")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 on a regression or an unlisted pass")
    ap.add_argument("--update", action="store_true",
                    help="rewrite expected_passes.txt from this run")
    ap.add_argument("--expected", default=EXPECTED_FILE,
                    help="expected-pass list (default %(default)s)")
    ap.add_argument("--tolerances", default=TOLERANCES_FILE,
                    help="per-test tolerances JSON (default %(default)s)")
    ap.add_argument("--top", type=int, default=40,
                    help="unsupported ops listed in the summary (default %(default)s)")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="print the stderr tail of crashes")
    args = ap.parse_args(argv)

    for t in ("qopt-compile", "qopt-run"):
        if not os.access(os.path.join(BIN, t), os.X_OK):
            print("error: %s not found in %s (set QOPT_BIN)" % (t, BIN),
                  file=sys.stderr)
            return 2
    if not os.path.isdir(args.data):
        print("error: data dir %s not found" % args.data, file=sys.stderr)
        return 2

    tolerances = load_tolerances(args.tolerances)
    pattern = re.compile(args.filter) if args.filter else None
    names = sorted(
        n for n in os.listdir(args.data)
        if os.path.isfile(os.path.join(args.data, n, "model.onnx"))
        and (pattern is None or pattern.search(n)))
    unknown_tol = sorted(set(tolerances) - set(os.listdir(args.data)))
    for n in unknown_tol:
        print("warning: tolerances.json names unknown test %s" % n,
              file=sys.stderr)

    jobs = []
    for n in names:
        t = tolerances.get(n, {})
        jobs.append((n, os.path.join(args.data, n),
                     {"rtol": float(t.get("rtol", DEFAULT_RTOL)),
                      "atol": float(t.get("atol", DEFAULT_ATOL))}))

    start = time.monotonic()
    results = []
    with multiprocessing.Pool(max(1, args.jobs)) as pool:
        for res in pool.imap(run_test, jobs):
            results.append(res)
            line = res["status"] + " " + res["name"]
            if res["reason"]:
                line += ": " + res["reason"]
            print(line, flush=True)
            if args.verbose and res["crash"] and res["stderr_tail"]:
                print("  | " + res["stderr_tail"].replace("\n", "\n  | "),
                      flush=True)
    wall = time.monotonic() - start

    passed = [r["name"] for r in results if r["status"] == "PASS"]
    failed = [r for r in results if r["status"] == "FAIL"]
    skipped = [r for r in results if r["status"] == "SKIP"]

    # Summary of failure reasons.
    groups = collections.Counter()
    for r in failed:
        groups.update(reason_group(r))
    unsupported = [(g, c) for g, c in groups.items()
                   if g.startswith("unsupported op ")]
    others = [(g, c) for g, c in groups.items()
              if not g.startswith("unsupported op ")]
    unsupported.sort(key=lambda gc: (-gc[1], gc[0]))
    others.sort(key=lambda gc: (-gc[1], gc[0]))
    # Tests whose only missing op is X: implementing X alone may pass them.
    only = collections.Counter()
    for r in failed:
        g = reason_group(r)
        if len(g) == 1 and g[0].startswith("unsupported op "):
            only[g[0]] += 1
    print()
    print("=== failure reasons (%d failed tests) ===" % len(failed))
    if unsupported:
        print("unsupported ops (tests needing the op; sole missing op in ()):")
        for g, c in unsupported[:args.top]:
            print("  %4d (%4d)  %s" % (c, only[g], g[len("unsupported op "):]))
        if len(unsupported) > args.top:
            rest = unsupported[args.top:]
            print("  ... %d more ops in %d tests" %
                  (len(rest), sum(c for _, c in rest)))
    if others:
        print("other reasons:")
        for g, c in others:
            print("  %4d  %s" % (c, g))
    mismatches = [r for r in failed
                  if reason_group(r) == ["output mismatch (numeric)"]]
    if mismatches:
        print("numeric mismatches (possible bugs in supported ops):")
        for r in mismatches:
            print("  %s: %s" % (r["name"], r["reason"]))
    crashes = [r for r in failed if r["crash"]]
    if crashes:
        print("crashes (bugs): " + ", ".join(r["name"] for r in crashes))
    skip_groups = collections.Counter(
        re.sub(r"'[^']*'", "'_'", r["reason"]) for r in skipped)
    if skip_groups:
        print("skipped:")
        for g, c in sorted(skip_groups.items(), key=lambda gc: (-gc[1], gc[0])):
            print("  %4d  %s" % (c, g))

    status = 0
    expected = load_expected(args.expected)
    selected = set(names)
    if args.check:
        ran = {r["name"]: r for r in results}
        regressions = sorted(n for n in expected & selected
                             if ran[n]["status"] != "PASS")
        new_passes = sorted(set(passed) - expected)
        missing = sorted(n for n in expected - selected
                         if pattern is None or pattern.search(n))
        print()
        if regressions:
            status = 1
            print("REGRESSIONS: %d expected pass(es) no longer pass:"
                  % len(regressions))
            for n in regressions:
                print("  %s: %s %s" % (n, ran[n]["status"], ran[n]["reason"]))
        if new_passes:
            status = 1
            print("NEW PASSES: %d test(s) pass but are not in %s "
                  "(run with --update):" % (len(new_passes), args.expected))
            for n in new_passes:
                print("  " + n)
        if missing:
            status = 1
            print("MISSING: %d expected pass(es) not found in %s:"
                  % (len(missing), args.data))
            for n in missing:
                print("  " + n)
        readme_problem = check_readme_count(len(expected), len(results) - len(skipped))
        if readme_problem and pattern is None:
            status = 1
            print(readme_problem)
        if status == 0:
            print("check: OK (%d expected passes all pass, no unlisted "
                  "passes)" % len(expected & selected))
    if args.update:
        new = (expected - selected) | set(passed)
        with open(args.expected, "w") as f:
            for n in sorted(new):
                f.write(n + "\n")
        print("updated %s (%d tests)" % (args.expected, len(new)))

    numeric = len(passed) + len(failed)
    print("wall time %.1f s, %d jobs" % (wall, args.jobs))
    print("%.1f%% of numeric tests passed (%d/%d)"
          % (100.0 * len(passed) / numeric if numeric else 0.0,
             len(passed), numeric))
    print("%d passed, %d failed, %d skipped"
          % (len(passed), len(failed), len(skipped)))
    return status


if __name__ == "__main__":
    sys.exit(main())
