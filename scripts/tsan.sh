#!/usr/bin/env bash
# scripts/tsan.sh [CTEST_REGEX]: builds the `tsan` preset and runs, under ThreadSanitizer, the unit
# tests and the concurrency-heavy integration tests (fleet copies and the server), or the tests
# CTEST_REGEX selects. Any report fails the run, including one from a freightliner process that
# a test started (TSan writes every report to build/tsan/reports/, which must stay empty).
set -euo pipefail
cd "$(dirname "$0")/.."
regex=${1:-'^unit\.|^integration\.(FleetTest|ServeTest|JobStoreTest|PostgresJobStoreTest|CheckpointStoreContractTest|ManifestGuardTest|ClusterTest)\.'}
jobs=${JOBS:-$(nproc)}

cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs" --target freightliner unit_tests integration_tests

reports=build/tsan/reports
rm -rf "$reports"
mkdir -p "$reports"
# The test preset sets suppressions and halt_on_error and appends these options: log_path puts
# every report in a file of its own per process (children of the tests included).
export FREIGHTLINER_TSAN_OPTIONS="log_path=$PWD/$reports/tsan"

# gcc 12's TSan maps its shadow memory at fixed addresses; on kernels with more mmap
# randomisation (vm.mmap_rnd_bits > 28) it may die with "FATAL: ThreadSanitizer: unexpected
# memory mapping". Then run without address randomisation (inherited by every child).
run=()
probe_output=$(build/tsan/unit_tests --gtest_list_tests 2>&1 || true)
if grep -q "unexpected memory mapping" <<<"$probe_output"; then
  echo "tsan: this kernel's mmap randomisation breaks TSan; running under setarch -R"
  run=(setarch "$(uname -m)" -R)
fi

status=0
"${run[@]}" ctest --preset tsan -j "$jobs" -R "$regex" || status=$?
if compgen -G "$reports/tsan*" >/dev/null; then
  echo "tsan: ThreadSanitizer reports:"
  cat "$reports"/tsan*
  status=1
fi
exit "$status"
