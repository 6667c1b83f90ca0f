#!/usr/bin/env bash
# Builds the qopt Python package (python-bindings/) and installs it into
# .venv. It links the libraries of build/ (scripts/build.sh runs first; or
# of $QOPT_BUILD_DIR), so only the extension is compiled, incrementally in
# BUILD/python-bindings.
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(realpath "${QOPT_BUILD_DIR:-build}")"
if ! .venv/bin/python -c "import scikit_build_core, nanobind" 2>/dev/null; then
  .venv/bin/pip install --quiet "scikit-build-core>=0.10" "nanobind>=2.4"
fi
sanitize="$(sed -n 's/^QOPT_SANITIZE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null)"
if [[ -n "$sanitize" ]]; then
  # The flags of CMakeLists.txt's QOPT_SANITIZE_FLAGS.
  flags="-fsanitize=$sanitize -fno-omit-frame-pointer -fno-sanitize-recover=all"
  # A sanitizer build's package never replaces .venv's: it goes into
  # BUILD/python-site, which its `python` test puts on PYTHONPATH. The
  # extension is instrumented like the libraries it links.
  QOPT_BUILD_DIR="$build" .venv/bin/pip install --quiet --no-build-isolation \
    --no-deps --upgrade --target "$build/python-site" \
    -C build-dir="$build/python-bindings" \
    -C cmake.define.CMAKE_CXX_FLAGS="$flags" \
    -C cmake.define.CMAKE_SHARED_LINKER_FLAGS="$flags" ./python-bindings
  exit 0
fi
QOPT_BUILD_DIR="$build" .venv/bin/pip install --quiet --no-build-isolation \
  -C build-dir="$build/python-bindings" ./python-bindings
