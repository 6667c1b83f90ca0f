#!/usr/bin/env bash
# Builds qopt with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ (the tools, the model runtime and, through qopt-compile, every
# model library) and runs the whole test suite, every CTest test, under it:
#   unittests, lit, e2e, onnx-conformance  instrumented tools and models;
#   python             the package built from build-asan into
#                      build-asan/python-site, run by the uninstrumented
#                      python with the ASan runtime preloaded
#                      (test/python-sanitized.py; leak checks off there);
#   pass-plugin-example, adding-a-pass-guide
#                      the plugin built with the sanitizer flags, loaded
#                      into the instrumented qopt-opt and qopt-compile;
#   fuzz-smoke-*       the seed corpus through the fuzz targets.
# QOPT_SANITIZE_TESTS=REGEX runs only the matching tests; QOPT_SANITIZE_JOBS=N
# limits the build to N jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh
if [[ ! -f build-asan/build.ninja ]]; then
  cmake -G Ninja -S . -B build-asan -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DQOPT_SANITIZE=address,undefined
fi
cmake --build build-asan ${QOPT_SANITIZE_JOBS:+-j "$QOPT_SANITIZE_JOBS"}
QOPT_BUILD_DIR=build-asan bash scripts/install-python.sh
ctest --test-dir build-asan --output-on-failure -R "${QOPT_SANITIZE_TESTS:-.}"
