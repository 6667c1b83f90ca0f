#!/usr/bin/env bash
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
# Builds the libFuzzer targets with ASan + UBSan into build-fuzz/ and runs
# each (default: onnx ir) for SECONDS (default 600), one after the other on
# one core. The corpus grows in build-fuzz/corpus/<target>/ from the seeds
# that fuzz/collect-corpus.sh gathers from the tree; crashes are written to
# build-fuzz/crashes/<target>-crash-*, a log to build-fuzz/fuzz-<target>.log.
# Reproduce one with build-fuzz/bin/qopt-fuzz-<target>-replay FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
if [[ $# -gt 0 ]]; then shift; fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(onnx ir)
build=build-fuzz

if [[ ! -f $build/build.ninja ]]; then
  cmake -G Ninja -S . -B $build -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DQOPT_SANITIZE=address,undefined -DQOPT_FUZZ=ON
fi
# qopt-translate turns the test models into IR seeds for the ir target.
cmake --build $build -j "${QOPT_FUZZ_JOBS:-1}" --target qopt-translate \
  "${targets[@]/#/qopt-fuzz-}"
bash fuzz/collect-corpus.sh $build/corpus $build/bin/qopt-translate
mkdir -p $build/crashes
# UBSan reports name the function that erred (ASan's always do).
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

status=0
for t in "${targets[@]}"; do
  mkdir -p $build/corpus/$t
  dict=()
  [[ -f fuzz/$t.dict ]] && dict=(-dict=fuzz/$t.dict)
  echo "== qopt-fuzz-$t for ${seconds}s"
  # -rss_limit_mb: a hostile input that makes qopt allocate beyond 2 GiB is
  # a bug (a memory cap missing), reported like a crash. Shown live: the
  # seeds loaded (INITED), libFuzzer's pulses (executions, cov:, ft:,
  # corpus, exec/s), the end (DONE) and the final stats; the rest is in
  # the log.
  if ! $build/bin/qopt-fuzz-$t $build/corpus/$t $build/corpus/$t-seeds \
      "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 \
      -rss_limit_mb=2048 -timeout=60 -artifact_prefix=$build/crashes/$t- \
      2>&1 | tee $build/fuzz-$t.log |
      grep -a --line-buffered -E '^#[0-9]+[[:space:]]+(INITED|pulse|DONE)|^stat::|ERROR|SUMMARY'; then
    status=1
    echo "qopt-fuzz-$t FAILED; see $build/fuzz-$t.log and $build/crashes/"
  fi
  echo "corpus: $(ls $build/corpus/$t | wc -l) inputs in $build/corpus/$t"
done
exit $status
