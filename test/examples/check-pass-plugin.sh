#!/usr/bin/env bash
# The pass plugin example against an installed qopt, as a user builds it:
# installs the qopt build into a fresh prefix, configures and builds
# examples/pass-plugin there with find_package(QOpt), runs the plugin's lit
# tests, then loads the plugin into the installed qopt-opt and qopt-compile
# on models/mlp.onnx.
#
#   check-pass-plugin.sh BUILD_DIR SOURCE_DIR WORK_DIR
#
# Environment: CMAKE, CTEST, GENERATOR, CXX, CXX_LAUNCHER, CXX_FLAGS (the
# configuration of the qopt build, passed on by CTest).
set -euo pipefail
build=$1 src=$2 work=$3
cmake=${CMAKE:-cmake} ctest=${CTEST:-ctest}

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" > "$work/install.log"

"$cmake" -G "${GENERATOR:-Ninja}" -S "$src/examples/pass-plugin" -B "$work/plugin" \
  -DQOpt_DIR="$prefix/lib/cmake/qopt" \
  ${CXX:+-DCMAKE_CXX_COMPILER="$CXX"} \
  ${CXX_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER="$CXX_LAUNCHER"} \
  ${CXX_FLAGS:+-DCMAKE_CXX_FLAGS="$CXX_FLAGS"} > "$work/configure.log"
"$cmake" --build "$work/plugin"
"$ctest" --test-dir "$work/plugin" --output-on-failure

plugin=$work/plugin/QOptCountPrecision.so
bin=$prefix/bin
model=$prefix/share/qopt/models/mlp.onnx

# qopt-opt: the imported model, bf16 recipe, then the plugin's pass.
"$bin/qopt-translate" --import-onnx "$model" --mlir-print-debuginfo -o "$work/mlp.mlir"
"$bin/qopt-opt" "$work/mlp.mlir" --load-pass-plugin="$plugin" \
  --pass-pipeline='builtin.module(qopt-recipe-bf16,qopt-count-precision)' \
  -o "$work/mlp-bf16.mlir" 2> "$work/opt.txt"
grep -Eq '^qopt-count-precision: [0-9]+ ops$' "$work/opt.txt"
grep -Eq '^  bf16 +[1-9][0-9]* +[1-9]' "$work/opt.txt"

# qopt-compile: the pass at a named point, and a library that loads.
"$bin/qopt-compile" "$model" -o "$work/mlp.so" --recipe bf16 \
  --load-pass-plugin="$plugin" \
  --insert-pass='before-lowering:qopt-count-precision{by-onnx-op}' \
  2> "$work/compile.txt"
grep -Eq '^  Gemm +bf16 +[1-9]' "$work/compile.txt"
test -s "$work/mlp.so" && test -s "$work/mlp.h"
"$bin/qopt-compile" "$model" --load-pass-plugin="$plugin" --print-pipeline \
  --insert-pass=after-import:qopt-count-precision \
  | grep -q '^builtin.module(qopt-count-precision,qopt-prepare-entry'
echo "pass-plugin example: built against $prefix, ran in qopt-opt and qopt-compile"
