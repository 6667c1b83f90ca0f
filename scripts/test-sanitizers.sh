#!/usr/bin/env bash
# Builds qopt with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ (the tools, the model runtime and, through qopt-compile, every
# model library) and runs the hermetic and end-to-end tests under it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh
if [[ ! -f build-asan/build.ninja ]]; then
  cmake -G Ninja -S . -B build-asan -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DQOPT_SANITIZE=address,undefined
fi
cmake --build build-asan
ctest --test-dir build-asan --output-on-failure -R "${QOPT_SANITIZE_TESTS:-unittests|lit|e2e}"
