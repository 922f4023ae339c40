#!/usr/bin/env bash
# Benchmark, side by side with Open vSwitch: `ovs-ofctl add-flows` of N
# distinct flows (default 100000) into a real ovs-vswitchd bridge (dummy
# datapath) and into svs (`svs openflow-serve`, a standalone bridge), then
# `dump-flows` of them, then `del-flows`; the switch's resident memory after
# each step. Prints `NAME VALUE UNIT` lines.
#
#   SVS=path/to/svs [N=100000] bench/ofctl/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/release/svs}
N=${N:-100000}
[ -x "$SVS" ] || { echo "bench/ofctl: no svs binary at $SVS (set SVS)" >&2; exit 2; }
. "$here/../../tests/lib/ovs.sh"
ovs_start svs-bench-ofctl
ovs-vsctl --db=unix:"$RUN/db.sock" --timeout=10 add-br br0 -- set bridge br0 datapath_type=dummy fail_mode=secure
"$SVS" openflow-serve --fail-secure --bridge br0 --socket "$RUN/svs-br0.mgmt" &
svs_pid=$!
trap 'kill $svs_pid 2>/dev/null || true; ovs_stop' EXIT
for _ in $(seq 1 100); do [ -S "$RUN/svs-br0.mgmt" ] && break; sleep 0.1; done

# N distinct flows: different destination addresses and ports over a few tables.
python3 - "$N" > "$RUN/flows" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print("table=%d,priority=%d,tcp,nw_dst=10.%d.%d.%d,tp_dst=%d,actions=output:%d"
          % (i % 4, 100 + i % 50, (i >> 16) & 255, (i >> 8) & 255, i & 255, 1 + i % 1000, 1 + i % 8))
PY

rss() { awk '/VmRSS/ {print $2 / 1024}' "/proc/$1/status"; }
now() { date +%s.%N; }
measure() {
    local name=$1 target=$2 pid=$3 t0 t1
    printf '%s_rss_start %.1f MB\n' "$name" "$(rss "$pid")"
    t0=$(now); ovs-ofctl add-flows "$target" "$RUN/flows"; t1=$(now)
    printf '%s_add_flows %.2f s\n' "$name" "$(echo "$t1 - $t0" | bc)"
    printf '%s_rss_loaded %.1f MB\n' "$name" "$(rss "$pid")"
    t0=$(now); count=$(ovs-ofctl dump-flows "$target" | grep -c 'actions='); t1=$(now)
    printf '%s_dump_flows %.2f s\n' "$name" "$(echo "$t1 - $t0" | bc)"
    [ "$count" = "$N" ] || echo "$name: dumped $count flows, expected $N" >&2
    t0=$(now); ovs-ofctl del-flows "$target"; t1=$(now)
    printf '%s_del_flows %.2f s\n' "$name" "$(echo "$t1 - $t0" | bc)"
    sleep 1
    printf '%s_rss_after_del %.1f MB\n' "$name" "$(rss "$pid")"
}
measure ovs "unix:$RUN/br0.mgmt" "$(cat "$RUN/ovs-vswitchd.pid")"
measure svs "unix:$RUN/svs-br0.mgmt" "$svs_pid"
