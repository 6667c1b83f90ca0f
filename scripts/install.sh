#!/usr/bin/env bash
# Set-up command 1 (fresh Debian 12, as root): installs every dependency
# (Debian packages and the .venv), builds qopt and its Python package (into
# .venv), compiles the bundled example model and runs it against onnxruntime.
set -euo pipefail
cd "$(dirname "$0")/.."

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  $(cat scripts/debian-packages.txt | grep -v '^#')

bash scripts/setup-venv.sh
bash scripts/build.sh
bash scripts/install-python.sh
.venv/bin/python scripts/run_example.py models/cnn.onnx --out build/examples
