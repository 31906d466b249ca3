#!/bin/sh
# Runs the plugin example end to end with the omniq command:
#   run_plugin_example.sh OMNIQ_BINARY PLUGIN_SO
# starts `omniq worker --plugin PLUGIN_SO` on a throw-away SQLite file,
# enqueues plugin.greet with `omniq enqueue`, and checks the result that
# `omniq result --wait --json` prints.
set -eu
omniq=$1
plugin=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/omniq-plugin-example.XXXXXX")
worker=
cleanup() {
  if [ -n "$worker" ]; then kill -TERM "$worker" 2>/dev/null || true; wait "$worker" || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

db="$dir/queue.db"
"$omniq" --db "$db" worker --plugin "$plugin" --concurrency 2 >"$dir/worker.log" 2>&1 &
worker=$!

id=$("$omniq" --db "$db" enqueue plugin.greet '["omniq"]' --kwargs '{"greeting": "Hello"}')
echo "enqueued plugin.greet as $id"
result=$("$omniq" --db "$db" --json result "$id" --wait --timeout 30s)
echo "$result"

kill -TERM "$worker"
wait "$worker"
worker=
case "$result" in
  *'"status": "SUCCESS"'*'"result": "Hello, omniq!"'* | *'"result": "Hello, omniq!"'*'"status": "SUCCESS"'*)
    echo "plugin example: ok" ;;
  *)
    echo "plugin example: unexpected result" >&2
    cat "$dir/worker.log" >&2
    exit 1 ;;
esac
