#!/usr/bin/env bash
# The rows of docs/benchmarks.md's summary table, measured in one go with the
# omniq command (each row with its reference in the same run), on this
# machine. Prints one line per row; the raw JSON of each run goes to OUT_DIR.
#
#   scripts/bench-table.sh [OMNIQ_BINARY] [OUT_DIR]
#
# Rows: the memory store with a no-op sync handler (concurrency 4) and an
# async one (concurrency 16); SQLite with durability full at the defaults
# (concurrency 4, claims for free slots), claiming ahead (--prefetch 100) and
# at concurrency 100 with an async handler, each against --baseline
# raw-sqlite; enqueue -> start latency in and across processes; and the CPU an
# idle `omniq worker` uses over 60 s.
set -euo pipefail
omniq=${1:-build/tools/cli/omniq}
out=${2:-$(mktemp -d /tmp/omniq-bench-table.XXXXXX)}
mkdir -p "$out"
echo "machine: $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "raw JSON in $out"

# run NAME ARGS...: one omniq bench run, its JSON kept in $out/NAME.json.
run() {
  local name=$1
  shift
  "$omniq" bench --json --no-progress "$@" >"$out/$name.json"
}
# field NAME KEY: a number from a run's JSON (nested keys with dots).
field() {
  python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v.get(k) if isinstance(v,dict) else None
print("n/a" if v is None else (round(v,3) if isinstance(v,float) else v))' "$out/$1.json" "$2"
}
row() {
  local name=$1 what=$2
  printf '%-44s drain %8s/s  cpu %6s us/task' "$what" "$(field "$name" drain_per_s)" \
    "$(field "$name" drain_cpu_us_per_task)"
  if [ "$(field "$name" baseline.drain_per_s)" != n/a ]; then
    printf ' | raw %8s/s  cpu %6s us/task  ratio %s' "$(field "$name" baseline.drain_per_s)" \
      "$(field "$name" baseline.drain_cpu_us_per_task)" "$(field "$name" ratios.drain_vs_baseline_drain)"
  fi
  echo
}

run mem_sync --backend memory --tasks 200000 --single-tasks 1000
row mem_sync "memory, sync no-op, concurrency 4"
run mem_async --backend memory --tasks 200000 --single-tasks 1000 --handler async --concurrency 16
row mem_async "memory, async no-op, concurrency 16"
run sqlite_default --backend sqlite --durability full --tasks 20000 --single-tasks 2000 --baseline raw-sqlite
row sqlite_default "sqlite full, concurrency 4 (free slots)"
echo "  enqueue_many vs raw insert: $(field sqlite_default ratios.enqueue_many_vs_baseline_enqueue)  single enqueue vs one insert per txn: $(field sqlite_default ratios.enqueue_vs_single_insert)"
run sqlite_prefetch --backend sqlite --durability full --tasks 20000 --single-tasks 100 --prefetch 100 --baseline raw-sqlite
row sqlite_prefetch "sqlite full, concurrency 4, --prefetch 100"
run sqlite_c100 --backend sqlite --durability full --tasks 20000 --single-tasks 100 --concurrency 100 --handler async --baseline raw-sqlite
row sqlite_c100 "sqlite full, concurrency 100, async"
run latency --mode latency --backend sqlite --durability full --samples 1000
echo "latency sqlite full: in-process p50 $(field latency in_process_p50_ms) ms p99 $(field latency in_process_p99_ms) ms; cross-process p50 $(field latency cross_process_p50_ms) ms p99 $(field latency cross_process_p99_ms) ms"

# An idle worker: CPU time of the process over 60 s, nothing queued.
idle=$(mktemp -d /tmp/omniq-idle.XXXXXX)
OMNIQ_DB_URL="$idle/q.db" "$omniq" worker >"$idle/worker.log" 2>&1 &
worker=$!
sleep 3
ticks() { awk '{print $14 + $15}' "/proc/$worker/stat"; }
before=$(ticks)
sleep 60
after=$(ticks)
kill -TERM "$worker"
wait "$worker" || true
hz=$(getconf CLK_TCK)
echo "idle worker (sqlite): $((after - before)) ticks of ${hz}/s in 60 s = $(python3 -c "print(round(100*($after-$before)/$hz/60, 3))") % of a core"
rm -rf "$idle"
