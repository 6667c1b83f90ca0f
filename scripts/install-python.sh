#!/usr/bin/env bash
# Builds the qopt Python package (python-bindings/) and installs it into
# .venv. It links the libraries of build/ (scripts/build.sh runs first; or
# of $QOPT_BUILD_DIR), so only the extension is compiled, incrementally in
# BUILD/python-bindings.
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(realpath "${QOPT_BUILD_DIR:-build}")"
if grep -q '^QOPT_SANITIZE:STRING=.' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "qopt: $build is a sanitizer build; the Python package is not installed from it"
  exit 0
fi
if ! .venv/bin/python -c "import scikit_build_core, nanobind" 2>/dev/null; then
  .venv/bin/pip install --quiet "scikit-build-core>=0.10" "nanobind>=2.4"
fi
QOPT_BUILD_DIR="$build" .venv/bin/pip install --quiet --no-build-isolation \
  -C build-dir="$build/python-bindings" ./python-bindings
