#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]: builds the `fuzz` preset (clang-14, libFuzzer, ASan+UBSan) and runs
# every target of fuzz/ for SECONDS (default 30) on a scratch copy of its seed corpus
# fuzz/corpus/<target>/ (the repository is never written). A crash, leak, timeout or
# out-of-memory fails the target; its input is kept in build/fuzz/findings/<target>/.
# Prints "N passed, N failed" and exits 1 when any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
jobs=${JOBS:-$(nproc)}
# Must agree with freightliner::fuzz::kMaxInputBytes (fuzz/fuzz_input.hpp).
max_len=65536

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
findings=build/fuzz/findings
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

passed=0
failed=0
for corpus in fuzz/corpus/*/; do
  name=$(basename "$corpus")
  binary=build/fuzz/fuzz/fuzz_$name
  work=$scratch/$name
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -R "$corpus." "$work/corpus/"
  # -timeout: one input may take 10 s (sanitizers are slow, the CI machine is shared);
  # -rss_limit_mb: an input that makes a parser hold 2 GiB is a finding too.
  if "$binary" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" \
      >"$work/log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
    echo "fuzz_$name: passed (${runs:-?} runs in ${seconds}s)"
    passed=$((passed + 1))
  else
    echo "fuzz_$name: FAILED; the end of its log:"
    tail -n 60 "$work/log"
    mkdir -p "$findings/$name"
    cp -R "$work/artifacts/." "$findings/$name/"
    echo "fuzz_$name: inputs kept in $findings/$name/"
    failed=$((failed + 1))
  fi
done
# Every target needs a corpus: a target without one would silently never run.
for binary in build/fuzz/fuzz/fuzz_*; do
  name=${binary##*/fuzz_}
  if [ ! -d "fuzz/corpus/$name" ]; then
    echo "fuzz_$name: FAILED: no seed corpus in fuzz/corpus/$name/"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
