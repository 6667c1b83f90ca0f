"""Runs the commands of a Markdown guide in an empty folder, as a reader
would, and checks that the files it writes are an example's files.

    run-guide.py GUIDE.md --work DIR [--example DIR] [--env NAME=VALUE ...]

In document order, every ```sh block is run and every block whose info
string names a file (```cpp file=src/Pass.cpp) writes that file, relative
to the current folder of the commands; all in one bash script (so `cd` and
`export` carry on), with `set -euo pipefail`, in DIR/run. With --example,
each written file must equal the file of the same path in the example
folder, and every file of the example must be written by the guide.
"""
import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys

OPEN = re.compile(r"^ {0,3}(`{3,})([^`]*)$")
CLOSE = re.compile(r"^ {0,3}(`{3,})\s*$")
EOF_MARK = "QOPT_GUIDE_EOF"


def fenced_blocks(text):
    """(info string, body) of every fenced code block (CommonMark fences)."""
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        m = OPEN.match(lines[i].rstrip("\n"))
        i += 1
        if not m:
            continue
        fence, info, body = m.group(1), m.group(2).strip(), []
        while i < len(lines):
            c = CLOSE.match(lines[i].rstrip("\n"))
            if c and len(c.group(1)) >= len(fence):
                break
            body.append(lines[i])
            i += 1
        i += 1
        yield info, "".join(body)


def guide_script(text):
    """The guide as one bash script, and the files it writes."""
    script = ["set -euo pipefail", "set -x"]
    files = []
    for info, body in fenced_blocks(text):
        words = info.split()
        target = [w[5:] for w in words[1:] if w.startswith("file=")]
        if target:
            path = target[0]
            if EOF_MARK in body:
                sys.exit(f"{path}: contains {EOF_MARK}")
            files.append(path)
            script += [f"mkdir -p \"$(dirname '{path}')\"",
                       f"cat > '{path}' <<'{EOF_MARK}'",
                       body.rstrip("\n"), EOF_MARK,
                       f"printf '%s\\t%s\\n' '{path}' \"$PWD/{path}\""
                       " >> \"$QOPT_GUIDE_FILES\""]
        elif words and words[0] == "sh":
            script.append(body.rstrip("\n"))
    return "\n".join(script) + "\n", files


def example_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames
                       if not d.startswith("build") and d not in
                       ("__pycache__", "Output")]
        for f in filenames:
            yield os.path.relpath(os.path.join(dirpath, f), root)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("guide")
    ap.add_argument("--work", required=True)
    ap.add_argument("--example")
    ap.add_argument("--env", action="append", default=[])
    args = ap.parse_args()

    with open(args.guide) as f:
        script, files = guide_script(f.read())
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    run = os.path.join(work, "run")
    os.makedirs(run)
    with open(os.path.join(work, "guide.sh"), "w") as f:
        f.write(script)
    written = os.path.join(work, "written.txt")
    open(written, "w").close()

    env = dict(os.environ, QOPT_GUIDE_FILES=written)
    for kv in args.env:
        name, _, value = kv.partition("=")
        env[name] = value
    r = subprocess.run(["bash", os.path.join(work, "guide.sh")], cwd=run,
                       env=env)
    if r.returncode != 0:
        sys.exit(f"{args.guide}: a command failed (exit {r.returncode}); "
                 f"the script is {work}/guide.sh")

    if not args.example:
        return
    problems = []
    with open(written) as f:
        done = dict(line.rstrip("\n").split("\t") for line in f)
    for rel in sorted(set(example_files(args.example)) - set(done)):
        problems.append(f"{rel}: in {args.example} but not written by the guide")
    for rel, path in sorted(done.items()):
        ref = os.path.join(args.example, rel)
        if not os.path.exists(ref):
            problems.append(f"{rel}: written by the guide, not in {args.example}")
            continue
        with open(ref) as a, open(path) as b:
            want, got = a.readlines(), b.readlines()
        if want != got:
            problems.append(f"{rel}: the guide's copy differs from the example:\n"
                            + "".join(difflib.unified_diff(
                                want, got, ref, "guide: " + rel)))
    if problems:
        sys.exit("\n".join(problems))
    print(f"{args.guide}: {len(files)} files, every command ran; "
          f"the files match {args.example}")


if __name__ == "__main__":
    main()
