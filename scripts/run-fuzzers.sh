#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang in build-fuzz and runs
# each for a fixed time on its committed seed corpus, a few at a time.
#
#   scripts/run-fuzzers.sh [SECONDS=60] [JOBS=2] [TARGET...]
#
# New interesting inputs go to build-fuzz/fuzz-work/<target>/ (the committed
# corpus in tests/fuzz/corpus/<target>/ is only read). A crash, leak,
# sanitizer report or timeout leaves its input in build-fuzz/findings/<target>/,
# prints the log, and makes the script fail; turn each such input into a test
# in tests/regressions/ and fix it. Reproduce one with
#   build-fuzz/tests/fuzz/<target> build-fuzz/findings/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
jobs=${2:-2}
shift $(($# > 2 ? 2 : $#))
build=${OMNIQ_FUZZ_BUILD_DIR:-build-fuzz}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_decode fuzz_file_record fuzz_settings fuzz_duration fuzz_id fuzz_cron)
fi

# -O1 with line tables: quick to build, fast enough to fuzz, readable reports.
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
  -DOMNIQ_BUILD_FUZZERS=ON -DOMNIQ_BUILD_TESTS=OFF -DOMNIQ_BUILD_CLI=OFF \
  -DOMNIQ_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target "${targets[@]}" -j "$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

run_one() {
  local target=$1
  local work="$build/fuzz-work/$target" findings="$build/findings/$target"
  local log="$build/fuzz-logs/$target.log"
  mkdir -p "$work" "$findings" "$(dirname "$log")"
  if "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$work" "tests/fuzz/corpus/$target" \
    >"$log" 2>&1; then
    echo "fuzz: $target: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
      grep -o '[0-9]*$') runs in ${seconds}s)"
  else
    echo "fuzz: $target: FAILED; input in $findings/" >&2
    tail -n 60 "$log" >&2
    return 1
  fi
}

failed=0
running=0
for target in "${targets[@]}"; do
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
