#!/usr/bin/env bash
# Benchmark, side by side with Open vSwitch: `ovs-ofctl add-flows` of N
# distinct flows (default 100000) into a real ovs-vswitchd bridge (dummy
# datapath), into the full `svs vswitchd` daemon (its embedded database, a
# bridge of datapath_type netdev) and into a standalone svs bridge (`svs
# openflow-serve`: the OpenFlow tables alone); then `dump-flows` of them,
# then `del-flows`; the switch's resident memory after each step.
# Prints `NAME VALUE UNIT` lines, then a table with the ratio svs/OVS.
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

# The standalone bridge.
"$SVS" openflow-serve --fail-secure --bridge br0 --socket "$RUN/svs-br0.mgmt" &
serve_pid=$!
# The daemon, in its own run directory.
DRUN=$(mktemp -d /tmp/svs-bench-ofctl-d.XXXXXX)
OVS_RUNDIR=$DRUN OVS_DBDIR=$DRUN OVS_LOGDIR=$DRUN timeout 20 "$SVS" vswitchd --pidfile --detach --log-file \
    -vconsole:off --enable-dummy
daemon_pid=$(cat "$DRUN/ovs-vswitchd.pid")
trap 'kill $serve_pid 2>/dev/null || true; stop_pid "$daemon_pid"; rm -rf "$DRUN"; ovs_stop' EXIT
ovs-vsctl --db=unix:"$DRUN/db.sock" --timeout=10 add-br br0 -- set bridge br0 datapath_type=netdev fail_mode=secure
for _ in $(seq 1 100); do [ -S "$RUN/svs-br0.mgmt" ] && [ -S "$DRUN/br0.mgmt" ] && break; sleep 0.1; done

# N distinct flows: different destination addresses and ports over a few tables.
python3 - "$N" > "$RUN/flows" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print("table=%d,priority=%d,tcp,nw_dst=10.%d.%d.%d,tp_dst=%d,actions=output:%d"
          % (i % 4, 100 + i % 50, (i >> 16) & 255, (i >> 8) & 255, i & 255, 1 + i % 1000, 1 + i % 8))
PY

rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
now() { date +%s.%N; }
declare -A fig
# measure NAME TARGET PID: add-flows, dump-flows, del-flows; figures in fig[NAME,step].
measure() {
    local name=$1 target=$2 pid=$3 t0 t1 count
    fig[$name,rss_start]=$(rss "$pid")
    t0=$(now); ovs-ofctl add-flows "$target" "$RUN/flows"; t1=$(now)
    fig[$name,add_flows]=$(printf '%.2f' "$(echo "$t1 - $t0" | bc)")
    fig[$name,rss_loaded]=$(rss "$pid")
    t0=$(now); count=$(ovs-ofctl dump-flows "$target" | grep -c 'actions='); t1=$(now)
    fig[$name,dump_flows]=$(printf '%.2f' "$(echo "$t1 - $t0" | bc)")
    fig[$name,rss_dumped]=$(rss "$pid")
    [ "$count" = "$N" ] || echo "$name: dumped $count flows, expected $N" >&2
    t0=$(now); ovs-ofctl del-flows "$target"; t1=$(now)
    fig[$name,del_flows]=$(printf '%.2f' "$(echo "$t1 - $t0" | bc)")
    sleep 1
    fig[$name,rss_after_del]=$(rss "$pid")
    for step in rss_start add_flows rss_loaded dump_flows rss_dumped del_flows rss_after_del; do
        case $step in rss*) unit=MB ;; *) unit=s ;; esac
        echo "${name}_$step ${fig[$name,$step]} $unit"
    done
}
measure ovs "unix:$RUN/br0.mgmt" "$(cat "$RUN/ovs-vswitchd.pid")"
measure svs "unix:$DRUN/br0.mgmt" "$daemon_pid"
measure svs_bridge "unix:$RUN/svs-br0.mgmt" "$serve_pid"

echo
printf '%-28s %10s %12s %12s %10s\n' "$N flows" ovs-vswitchd "svs vswitchd" "svs bridge" svs/ovs
for step in add_flows dump_flows del_flows rss_start rss_loaded rss_dumped rss_after_del; do
    case $step in rss*) label="$step (MB)" ;; *) label="$step (s)" ;; esac
    ratio=$(echo "scale=2; ${fig[svs,$step]} / ${fig[ovs,$step]}" | bc 2>/dev/null || echo -)
    printf '%-28s %10s %12s %12s %10s\n' "$label" "${fig[ovs,$step]}" "${fig[svs,$step]}" "${fig[svs_bridge,$step]}" "$ratio"
done
