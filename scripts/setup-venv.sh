#!/usr/bin/env bash
# Creates the project's virtualenv at .venv from PyPI (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import onnx, onnx_ir, onnxruntime, numpy, pytest, lit" 2>/dev/null; then
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -r requirements.txt
fi
