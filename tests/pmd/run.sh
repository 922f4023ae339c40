#!/usr/bin/env bash
# Poll threads of `svs vswitchd` (other_config:n-pmd-threads, pmd-cpu-mask,
# max-idle, n-handler-threads), with real traffic: four namespaces
# svsP-a..svsP-d joined by veths to one netdev bridge of svs (NORMAL),
# the daemon in its own namespace svsP-sw (so that its `ovs-netdev` and
# bridge devices meet no other daemon's).
#
# - n-pmd-threads=2: pmd-rxq-show lists two pmd threads with the six
#   receive queues (datapath and bridge devices, four veths) split 3/3; ping works between every pair;
#   pmd-stats-show counts received packets on both threads;
# - the formats of pmd-rxq-show and pmd-stats-show (numbers and port
#   names normalized) against the real ovs-vswitchd with two pmd threads
#   (pmd-cpu-mask=0x3, dummy-pmd ports, packets injected with
#   netdev-dummy/receive);
# - the thread count changed 2 -> 1 -> 3 -> 2 while a ping -i 0.01 runs:
#   at most a few packets lost;
# - pmd-cpu-mask=0x3: threads with core ids 0 and 1, pinned to CPUs 0 and 1;
# - max-idle=1000: a flow is gone from dpctl/dump-flows within 3 s; with the
#   default it is still there after 3 s; n-handler-threads=3 keeps working;
# - an idle daemon uses < 5% of a CPU (utime+stime over 2 s).
#
#   SVS=path/to/svs tests/pmd/run.sh        (as root)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/debug/svs}
[ -x "$SVS" ] || { echo "pmd: no svs binary at $SVS (set SVS)" >&2; exit 2; }
SVS=$(cd "$(dirname "$SVS")" && pwd)/$(basename "$SVS")
[ "$(id -u)" -eq 0 ] || { echo "pmd: needs root" >&2; exit 2; }
. "$here/../lib/ovs.sh"
ovs_require ping ip ovs-vsctl ovs-appctl

P=svsP
NS="a b c d"
TRUN=$(mktemp -d /tmp/svs-pmd.XXXXXX)
RUN=
svs_pid=
cleanup() {
    stop_pid "$svs_pid"
    [ -n "$RUN" ] && ovs_stop
    for x in $NS sw; do ip netns del "$P-$x" 2>/dev/null; done
    rm -rf "$TRUN"
}
trap cleanup EXIT
trap "exit 1" INT TERM

failed=0
passed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "pmd: FAILED: $*"; }
same() {
    if [ "$2" == "$3" ]; then pass; else fail "$1"; diff <(echo "$2") <(echo "$3") | sed 's/^/    /'; fi
}
check() {
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then pass; else fail "$name"; fi
}

tv() { OVS_RUNDIR=$TRUN timeout 20 ovs-vsctl --timeout=15 "$@"; }
sctl() { OVS_RUNDIR=$TRUN timeout 10 ovs-appctl "$@"; }
ip_of() { case $1 in a) echo 10.78.0.1 ;; b) echo 10.78.0.2 ;; c) echo 10.78.0.3 ;; d) echo 10.78.0.4 ;; esac; }

ip netns add "$P-sw" || { echo "pmd: cannot make namespace $P-sw" >&2; exit 1; }
ip netns exec "$P-sw" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n "$P-sw" link set lo up
for x in $NS; do
    ip netns add "$P-$x" || { echo "pmd: cannot make namespace $P-$x" >&2; exit 1; }
    ip -n "$P-sw" link add "${P}${x}0" type veth peer name "${P}${x}1" netns "$P-$x"
    ip netns exec "$P-$x" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$P-$x" link set lo up
    ip -n "$P-$x" link set "${P}${x}1" up
    ip -n "$P-$x" addr add "$(ip_of "$x")/24" dev "${P}${x}1"
    ip -n "$P-sw" link set "${P}${x}0" up
done

OVS_RUNDIR=$TRUN OVS_DBDIR=$TRUN OVS_LOGDIR=$TRUN timeout 20 ip netns exec "$P-sw" "$SVS" vswitchd --pidfile \
    --detach --log-file -vconsole:off || { echo "pmd: svs vswitchd did not start" >&2; exit 1; }
svs_pid=$(cat "$TRUN/ovs-vswitchd.pid")

tv set open_vswitch . other_config:n-pmd-threads=2
tv add-br "${P}br" -- set bridge "${P}br" datapath_type=netdev
for x in $NS; do tv add-port "${P}br" "${P}${x}0"; done
ip -n "$P-sw" link set "${P}br" up

# rxq-show: two pmd threads, the six queues split 3/3.
rxq=$(sctl dpif-netdev/pmd-rxq-show)
same "pmd-rxq-show: two pmd threads" "pmd thread numa_id 0 core_id 0:
pmd thread numa_id 0 core_id 1:" "$(grep '^pmd thread' <<<"$rxq")"
counts=$(awk '/^pmd thread/ {t++} /port:/ {n[t]++} END {print n[1] + 0, n[2] + 0}' <<<"$rxq")
check "pmd-rxq-show: queues split between the threads ($counts)" \
    test "$counts" == "3 3"
same "pmd-rxq-show: every port once" "ovs-netdev ${P}a0 ${P}b0 ${P}br ${P}c0 ${P}d0" \
    "$(grep -o 'port: [^ ]*' <<<"$rxq" | cut -d' ' -f2 | sort | tr '\n' ' ' | sed 's/ $//')"

ping_ok() {   # ping_ok FROM TO [COUNT]
    timeout 10 ip netns exec "$P-$1" ping -q -c "${3:-2}" -i 0.1 -W 1 "$(ip_of "$2")" >/dev/null 2>&1
}
for _ in $(seq 1 30); do ping_ok a b 1 && break; sleep 0.2; done
for x in $NS; do
    for y in $NS; do
        [[ "$x" < "$y" ]] || continue
        check "ping $x -> $y with two poll threads" ping_ok "$x" "$y"
    done
done
stats=$(sctl dpif-netdev/pmd-stats-show)
received=$(awk '/ thread/ {t++} /packets received:/ {r[t] = $3} END {print r[1] + 0, r[2] + 0}' <<<"$stats")
check "pmd-stats-show: both threads received packets ($received)" \
    awk -v s="$received" 'BEGIN {split(s, a, " "); exit !(a[1] > 0 && a[2] > 0)}'
same "pmd-stats-show: two pmd threads, then the main thread" "pmd thread numa_id 0 core_id 0:
pmd thread numa_id 0 core_id 1:
main thread:" "$(grep -E '^(pmd|main) thread' <<<"$stats")"
same "pmd-stats-show -pmd 1" "pmd thread numa_id 0 core_id 1:" \
    "$(sctl dpif-netdev/pmd-stats-show -pmd 1 | grep -E '^(pmd|main) thread')"
# (OVS's usage shares read NOT AVAIL in its first 5 s; svs has them at once.)
normalize() { sed -E 's/port: [^ ]+ +/port: P  /; s/NOT AVAIL/0 %/; s/: +[0-9]+ %/: N %/; s/[0-9]+(\.[0-9]+)?/N/g' | sort -u; }
svs_rxq=$(sctl dpif-netdev/pmd-rxq-show | normalize)
svs_stats=$(sctl dpif-netdev/pmd-stats-show | normalize)
sctl dpif-netdev/pmd-stats-clear >/dev/null
check "pmd-stats-clear: counts from zero" grep -q '^  packets received: 0$' <<<"$(sctl dpif-netdev/pmd-stats-show -pmd 0)"
flows=$(sctl dpctl/dump-flows)
same "dpctl/dump-flows: one table per pmd thread" "flow-dump from pmd on cpu core: 0
flow-dump from pmd on cpu core: 1" "$(grep '^flow-dump' <<<"$flows")"
n0=$(sctl dpctl/dump-flows pmd=0 | grep -c 'actions:')
n1=$(sctl dpctl/dump-flows pmd=1 | grep -c 'actions:')
check "dpctl/dump-flows pmd=N: each thread has the flows ($n0, $n1)" test "$n0" -gt 0 -a "$n0" -eq "$n1"
same "dpctl/dump-flows: every flow under both threads" "$((n0 + n1))" "$(grep -c 'actions:' <<<"$flows")"
same "dpctl/dump-flows pmd=-1: the main thread has none" "" "$(sctl dpctl/dump-flows pmd=-1)"
svs_titles=$(grep '^flow-dump' <<<"$flows" | sed -E 's/[0-9]+/N/g' | sort -u)

# --- Formats against the real ovs-vswitchd with two pmd threads.
ovs_start svsP-ovs -- set open_vswitch . other_config:pmd-cpu-mask=0x3
trap cleanup EXIT   # ovs_start set its own
ovs-vsctl --timeout=10 add-br br0 -- set bridge br0 datapath_type=dummy
for i in 1 2 3 4; do ovs-vsctl --timeout=10 add-port br0 p$i -- set interface p$i type=dummy-pmd; done
ovs-ofctl add-flow br0 actions=normal
for i in 1 2 3 4; do
    for _ in 1 2 3; do
        ovs-appctl netdev-dummy/receive p$i "in_port($i),eth(src=50:54:00:00:00:0$i,dst=50:54:00:00:00:09),eth_type(0x0800),ipv4(src=10.0.0.$i,dst=10.0.0.9,proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=2)" >/dev/null
    done
done
sleep 0.5
ovs_titles=$(ovs-appctl dpctl/dump-flows | grep '^flow-dump' | sed -E 's/[0-9]+/N/g' | sort -u)
ovs_rxq=$(ovs-appctl dpif-netdev/pmd-rxq-show | normalize)
ovs_stats=$(ovs-appctl dpif-netdev/pmd-stats-show | normalize)
ovs_stop
RUN=
same "pmd-rxq-show format, as ovs-vswitchd's" "$ovs_rxq" "$svs_rxq"
same "dpctl/dump-flows titles, as ovs-vswitchd's" "$ovs_titles" "$svs_titles"
same "pmd-stats-show format, as ovs-vswitchd's" "$ovs_stats" "$svs_stats"

# --- Thread count changes under traffic.
ip netns exec "$P-a" timeout 20 ping -c 400 -i 0.01 -W 1 "$(ip_of b)" >"$TRUN/ping.txt" 2>&1 &
ping_pid=$!
for n in 1 3 2; do
    sleep 1
    tv set open_vswitch . other_config:n-pmd-threads=$n
done
wait "$ping_pid"
read -r sent got < <(grep -o '[0-9]* packets transmitted, [0-9]* received' "$TRUN/ping.txt" | awk '{print $1, $4}')
check "ping -i 0.01 while the thread count changes 2 -> 1 -> 3 -> 2: $got of $sent" \
    test "${sent:-0}" -ge 300 -a $((${sent:-0} - ${got:-0})) -le 5
same "pmd-rxq-show: two threads again" 2 "$(sctl dpif-netdev/pmd-rxq-show | grep -c '^pmd thread')"

# --- pmd-cpu-mask: core ids and pinning.
tv set open_vswitch . other_config:pmd-cpu-mask=0x3
same "pmd-cpu-mask=0x3: threads on cores 0 and 1" "pmd thread numa_id 0 core_id 0:
pmd thread numa_id 0 core_id 1:" "$(sctl dpif-netdev/pmd-rxq-show | grep '^pmd thread')"
if [ "$(nproc)" -ge 2 ]; then
    cpus=$(grep -h Cpus_allowed_list /proc/"$svs_pid"/task/*/status | awk '{print $2}' | sort -u | tr '\n' ' ')
    check "pmd-cpu-mask=0x3: threads pinned to CPU 0 and CPU 1 ($cpus)" \
        grep -Eq '(^| )0 .*(^| )1 ' <<<"$cpus"
fi
check "ping with pmd-cpu-mask=0x3" ping_ok c d
tv remove open_vswitch . other_config pmd-cpu-mask

# --- max-idle and handler threads reach the slow path.
flow_count() { sctl dpctl/dump-flows | grep -c 'actions:'; }
sctl revalidator/purge >/dev/null 2>&1
tv set open_vswitch . other_config:max-idle=1000 other_config:n-handler-threads=3
check "ping with max-idle=1000 and three handler threads" ping_ok a c 1
check "a flow is installed" test "$(flow_count)" -gt 0
gone=no
for _ in $(seq 1 30); do
    [ "$(flow_count)" -eq 0 ] && { gone=yes; break; }
    sleep 0.1
done
same "max-idle=1000: the flows are gone within 3 s" yes "$gone"
tv remove open_vswitch . other_config max-idle
check "ping with the default max-idle" ping_ok a c 1
sleep 3
check "default max-idle: the flows stay after 3 s" test "$(flow_count)" -gt 0

# --- Idle CPU.
sleep 0.5
hz=$(getconf CLK_TCK)
t0=$(awk '{print $14 + $15}' "/proc/$svs_pid/stat")
sleep 2
t1=$(awk '{print $14 + $15}' "/proc/$svs_pid/stat")
cpu=$(( (t1 - t0) * 100 / (hz * 2) ))
check "idle daemon with two poll threads: ${cpu}% of a CPU (< 5%)" test "$cpu" -lt 5

echo "pmd: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
