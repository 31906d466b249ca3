#!/usr/bin/env bash
# The multi-host test's outer part: makes the "hosts" and the server, runs the
# test program (multihost_test.cpp) against them, and removes everything it
# made when it ends, failed or not.
#
#   run_multihost.sh TEST_PROGRAM WORK_DIR
#
# Each of the 4 hosts is a network namespace omniq-mh-<pid>-<i> joined to this
# one by a veth pair omq<pid>r<i> (here) / omq<pid>n<i> (there), on a /30 of
# its own in a 10.x.y.0/24 that nothing on this machine uses. The throwaway
# PostgreSQL server (scripts/pg-test-server.sh) listens on 127.0.0.1 and on
# the near end of every veth, so a host reaches it over its own link only.
# Without root or iproute2 the hosts are plain processes on 127.0.0.1, the
# network cut-off is left out, and both this script and the test say so
# (OMNIQ_MULTIHOST_NO_NETNS=1 asks for that fallback).
set -euo pipefail

test_program=$1
work=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pg_script=$root/scripts/pg-test-server.sh
hosts=4
tag=$$
netns_prefix=omniq-mh-
made=()    # namespaces made, for cleanup
test_pid=  # the test program, leader of its own process group (its workers are in it)

cleanup() {
  local rc=$?
  set +e
  if [ -n "$test_pid" ]; then kill -KILL -- "-$test_pid" 2>/dev/null; fi
  for ns in "${made[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  done
  "$pg_script" pause "$work/pg" >/dev/null 2>&1
  cp "$(cat "$work/pg/home" 2>/dev/null)/server.log" "$work/run/server.log" 2>/dev/null
  "$pg_script" stop "$work/pg" >/dev/null 2>&1
  for ns in "${made[@]}"; do
    ip link del "omq${tag}r${ns##*-}" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Namespaces of earlier runs whose script is gone (killed before its trap
# ran), and any carrying this run's pid: theirs to remove.
sweep() {
  local ns pid p
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$netns_prefix" || true); do
    pid=${ns#"$netns_prefix"}
    pid=${pid%%-*}
    if [ "$pid" = "$tag" ] || ! kill -0 "$pid" 2>/dev/null; then
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
      ip link del "omq${pid}r${ns##*-}" 2>/dev/null || true
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
}

why_no_netns() {
  if [ -n "${OMNIQ_MULTIHOST_NO_NETNS:-}" ]; then echo "OMNIQ_MULTIHOST_NO_NETNS is set"; return; fi
  if [ "$(id -u)" -ne 0 ]; then echo "not root"; return; fi
  if ! command -v ip >/dev/null 2>&1; then echo "no 'ip' command (apt-get install iproute2)"; return; fi
  if ! ip netns add "${netns_prefix}${tag}-probe" 2>/dev/null; then echo "'ip netns add' failed"; return; fi
  ip netns del "${netns_prefix}${tag}-probe"
}

# A 10.x.y prefix with no address or route on this machine.
free_subnet() {
  local a b
  for _ in $(seq 50); do
    a=$((RANDOM % 200 + 20))
    b=$((RANDOM % 256))
    if ! ip -4 -o addr show | grep -q " 10\.$a\.$b\." && ! ip -4 route show | grep -q "^10\.$a\.$b\."; then
      echo "10.$a.$b"
      return
    fi
  done
  echo "run_multihost: found no free 10.x.y.0/24" >&2
  return 1
}

"$pg_script" stop "$work/pg" >/dev/null 2>&1 || true  # left by a run that was killed
rm -rf "$work"
mkdir -p "$work/run"
why=$(why_no_netns)
listen=""
spec=""
if [ -z "$why" ]; then
  sweep
  net=$(free_subnet)
  for i in $(seq 0 $((hosts - 1))); do
    ns="${netns_prefix}${tag}-$i" near="omq${tag}r$i" far="omq${tag}n$i"
    ip netns add "$ns"
    made+=("$ns")
    ip link add "$near" type veth peer name "$far" netns "$ns"
    ip addr add "$net.$((4 * i + 1))/30" dev "$near"
    ip link set "$near" up
    ip -n "$ns" addr add "$net.$((4 * i + 2))/30" dev "$far"
    ip -n "$ns" link set "$far" up
    ip -n "$ns" link set lo up
    listen+="${listen:+,}$net.$((4 * i + 1))/30"
    spec+="${spec:+;}$ns,$far,$net.$((4 * i + 1))"
  done
  echo "run_multihost: $hosts hosts in network namespaces ${netns_prefix}${tag}-0..$((hosts - 1)) on $net.0/24"
else
  cat <<EOF

******************************************************************************
*** run_multihost: NO NETWORK NAMESPACES: $why.
*** Falling back to $hosts worker processes on 127.0.0.1: the SIGKILL and the
*** database restart are tested, the network cut-off is NOT.
******************************************************************************

EOF
fi

if [ -n "$listen" ]; then
  "$pg_script" start "$work/pg" --listen "$listen" >/dev/null
else
  "$pg_script" start "$work/pg" >/dev/null
fi
# In the background, so that a signal to this script runs its cleanup at once.
OMNIQ_MULTIHOST_HOSTS=$spec OMNIQ_MULTIHOST_WHY=$why OMNIQ_MULTIHOST_RUN_DIR=$work/run \
  OMNIQ_MULTIHOST_PORT=$(cat "$work/pg/port") \
  setsid "$pg_script" run "$work/pg" -- "$test_program" --gtest_output="xml:$work/run/test.xml" &
test_pid=$!
wait "$test_pid"
