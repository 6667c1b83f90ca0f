#!/usr/bin/env bash
# Usage: fuzz/collect-corpus.sh OUTDIR [QOPT_TRANSLATE]
# Copies the seed inputs of the fuzz targets out of the source tree into
#   OUTDIR/onnx-seeds  models/*.onnx, every test/**/*.onnx, test/Robustness/Inputs/*
#   OUTDIR/ir-seeds    every test/**/*.mlir (and, given qopt-translate, the
#                      importer's output for test/Import/Inputs/*.onnx)
# afresh on every run, so that the seeds follow the tree (no copies are
# committed). File names keep their source path, '/' turned into '_'.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: $0 OUTDIR [QOPT_TRANSLATE]}"
translate="${2:-}"

copy_flat() { # DEST FILE...: copies each FILE as DEST/<its path with _>
  local dest="$1" f
  shift
  for f in "$@"; do
    cp "$root/$f" "$dest/${f//\//_}"
  done
}

rm -rf "$out/onnx-seeds" "$out/ir-seeds"
mkdir -p "$out/onnx-seeds" "$out/ir-seeds"
cd "$root"
mapfile -t onnx < <( { ls models/*.onnx; find test -name '*.onnx';
                       find test/Robustness/Inputs -type f; } | sort -u)
copy_flat "$out/onnx-seeds" "${onnx[@]}"
mapfile -t mlir < <(find test -name '*.mlir' | sort)
copy_flat "$out/ir-seeds" "${mlir[@]}"

# Imported models are the IR the recipe passes see in practice (tosa + qopt);
# small ones only, as libFuzzer's mutations slow down on long inputs.
if [[ -n "$translate" ]]; then
  for f in test/Import/Inputs/*.onnx; do
    seed="$out/ir-seeds/import_$(basename "$f" .onnx).mlir"
    if ! "$translate" --import-onnx "$f" -o "$seed" 2>/dev/null ||
        [[ $(stat -c %s "$seed") -gt 16384 ]]; then
      rm -f "$seed"
    fi
  done
fi
echo "seeds: $(ls "$out/onnx-seeds" | wc -l) ONNX in $out/onnx-seeds," \
     "$(ls "$out/ir-seeds" | wc -l) IR in $out/ir-seeds"
