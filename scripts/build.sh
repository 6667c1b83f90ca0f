#!/usr/bin/env bash
# Configures (once) and builds qopt into build/ with clang-22, ccache and Ninja.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for f in /usr/lib/llvm-22/lib/cmake/mlir/MLIRConfig.cmake /usr/include/onnx/onnx_pb.h; do
  [[ -e $f ]] || missing+=("$f")
done
if ((${#missing[@]})); then
  echo "qopt: missing ${missing[*]}; run 'bash scripts/install.sh' first (as root)" >&2
  exit 1
fi
if [[ ! -f build/build.ninja ]]; then
  cmake -G Ninja -S . -B build \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    ${QOPT_CMAKE_ARGS:-}
fi
cmake --build build -j "$(nproc)"
