"""Runs a command with `--pass-pipeline=<the text of FILE>` appended (lit's
internal shell has no command substitution).

    with-pipeline.py FILE CMD [ARG...]
"""
import subprocess
import sys

with open(sys.argv[1]) as f:
    pipeline = f.read().strip()
sys.exit(subprocess.call(sys.argv[2:] + ["--pass-pipeline=" + pipeline]))
