#!/usr/bin/env bash
# Differential test of OpenFlow groups and meters: a real ovs-vswitchd
# (dummy datapath) and `svs vswitchd --enable-dummy`, each in a private run
# directory with the same bridge and ports, get the same ovs-ofctl commands
# (add-group, mod-group, insert/remove-buckets, del-groups, dump-groups,
# dump-group-stats, dump-group-features, add/mod/del-meter, dump-meters,
# meter-stats, meter-features, flows naming groups and meters, error cases)
# and malformed messages (raw.py)
# in OpenFlow 1.0 (Nicira extensions), 1.3, 1.4 and 1.5, and the same
# `ovs-appctl ofproto/trace` of packets through all, select, indirect,
# fast-failover and chained groups and meters. Outputs must be identical
# once durations are masked and the entries of a dump sorted (OVS lists
# groups and meters in hash order). Run as root.
#
#   SVS=path/to/svs tests/groups/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/debug/svs}
[ -x "$SVS" ] || { echo "groups: no svs binary at $SVS (set SVS)" >&2; exit 2; }
SVS=$(cd "$(dirname "$SVS")" && pwd)/$(basename "$SVS")
. "$here/../lib/ovs.sh"
ovs_start svs-groups

svs_start groups

vsctl() { OVS_RUNDIR=$1 timeout 20 ovs-vsctl --timeout=15 "${@:2}"; }
appctl() {
    local dir=$1 target=ovs-vswitchd
    [ "$dir" == "$SRUN" ] && target=$SCTL
    OVS_RUNDIR=$dir timeout 20 ovs-appctl --timeout=10 -t "$target" "${@:2}"
}
for dir in "$RUN" "$SRUN"; do
    vsctl "$dir" add-br br0 -- set bridge br0 datapath_type=dummy fail_mode=secure
    for i in 1 2 3 4; do
        vsctl "$dir" add-port br0 p$i -- set interface p$i type=dummy ofport_request=$i
    done
done
for _ in $(seq 1 100); do [ -S "$SRUN/br0.mgmt" ] && break; sleep 0.1; done

# Masks durations and sorts the entries of group and meter dumps.
normalize() {
    sed -E 's/duration[=:][0-9.]+s/duration=D/' | python3 -c '
import sys
lines = sys.stdin.read().split("\n")
out, i = [], 0
while i < len(lines):
    l = lines[i]
    if l.startswith(("OFPST_METER reply", "OFPST_METER_CONFIG reply")):
        # Blocks separated by empty lines, one per meter.
        out.append(l); i += 1
        blocks, cur = [], []
        while i < len(lines) and not lines[i].startswith(("OFPST", "NXST", "OFPT")) and not lines[i].startswith("rc="):
            if lines[i] == "":
                if cur: blocks.append("\n".join(cur)); cur = []
            else:
                cur.append(lines[i])
            i += 1
        if cur: blocks.append("\n".join(cur))
        out.append("\n\n".join(sorted(blocks)))
        continue
    if l.startswith(" group_id="):
        j = i
        while j < len(lines) and lines[j].startswith(" group_id="): j += 1
        out.extend(sorted(lines[i:j])); i = j
        continue
    out.append(l); i += 1
print("\n".join(out))
'
}

# run DIR WORDS...: ovs-ofctl (or ovs-appctl for ofproto/trace) with its status.
run() {
    local dir=$1; shift
    local rc=0 out
    if [ "$1" == ofproto/trace ]; then
        out=$(appctl "$dir" "$@" 2>&1 | sed "s|$SCTL|ovs-vswitchd|") || rc=$?
    else
        out=$(OVS_RUNDIR=$dir timeout 20 ovs-ofctl "$@" 2>&1) || rc=$?
    fi
    printf '%s\nrc=%s\n' "$out" "$rc" | sed "s|$dir|RUNDIR|g" | normalize
}

total=0 same=0
while IFS= read -r line; do
    case $line in ''|'#'*) continue ;; esac
    line=${line//HERE/$here}    # files beside this script (bundles)
    read -r -a words <<<"$line"
    o=$(run "$RUN" "${words[@]}")
    s=$(run "$SRUN" "${words[@]}")
    total=$((total + 1))
    if [ "$o" == "$s" ]; then
        same=$((same + 1))
    else
        echo "=== groups: $line" >&2
        diff <(echo "$o") <(echo "$s") | head -30 >&2 || true
    fi
done <"$here/commands"
echo "groups: $same of $total commands give the same output as Open vSwitch"

# Traffic: the same frames into port p5 of both (OVS: netdev-dummy/receive;
# svs: the port's input_pcap), through a meter and all/select groups; the
# group, bucket, meter and band counters must agree.
python3 - "$RUN/traffic.pcap" "$RUN/traffic.hex" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, TCP, Raw, wrpcap
pkts = [Ether(src="00:00:00:00:00:05", dst="00:00:00:00:00:09") / IP(src="10.0.0.5", dst="10.0.0.9") /
        UDP(sport=1000, dport=2000) / Raw(b"x" * 50) for _ in range(30)]
pkts += [Ether(src="00:00:00:00:00:05", dst="00:00:00:00:00:09") / IP(src="10.0.0.5", dst="10.0.0.9") /
         TCP(sport=3000 + i, dport=80) / Raw(b"y" * 20) for i in range(8)]
wrpcap(sys.argv[1], pkts)
open(sys.argv[2], "w").write("\n".join(bytes(p).hex() for p in pkts) + "\n")
PY
traffic_setup=(
    "-O OpenFlow13 del-flows br0"
    "-O OpenFlow13 add-meter br0 meter=1,pktps,burst,stats,bands=type=drop,rate=1,burst_size=10"
    "-O OpenFlow13 add-group br0 group_id=1,type=all,bucket=output:1,bucket=output:2"
    "-O OpenFlow13 add-group br0 group_id=2,type=select,bucket=weight:1,output:3,bucket=weight:300,output:4"
    "-O OpenFlow13 add-flow br0 in_port=5,udp,actions=meter:1,group:1"
    "-O OpenFlow13 add-flow br0 in_port=5,tcp,actions=group:2"
)
for dir in "$RUN" "$SRUN"; do
    for c in "${traffic_setup[@]}"; do read -r -a words <<<"$c"; OVS_RUNDIR=$dir timeout 20 ovs-ofctl "${words[@]}"; done
done
vsctl "$RUN" add-port br0 p5 -- set interface p5 type=dummy ofport_request=5
# One call, so that the meter's bucket sees every frame within milliseconds.
mapfile -t frames <"$RUN/traffic.hex"
appctl "$RUN" netdev-dummy/receive p5 "${frames[@]}" >/dev/null
# Until a switch has counted every frame in its flows (at most 10 s).
counted() { OVS_RUNDIR=$1 ovs-ofctl -O OpenFlow13 dump-flows br0 | sed -nE 's/.*n_packets=([0-9]+).*/\1/p' | awk '{s += $1} END {print s + 0}'; }
wait_counted() {
    for _ in $(seq 1 50); do
        [ "$(counted "$1")" -ge ${#frames[@]} ] && return 0
        sleep 0.2
    done
    return 1
}
wait_counted "$RUN" || true
# svs receives the capture as soon as the port exists; frames that reach
# the slow path before the bridge knows the port are dropped (a start-up
# race of the test's injection), so the port is made again until they count.
for try in 1 2 3; do
    vsctl "$SRUN" add-port br0 p5 -- set interface p5 type=dummy ofport_request=5 options:input_pcap="$RUN/traffic.pcap"
    if wait_counted "$SRUN"; then break; fi
    [ "$(counted "$SRUN")" -eq 0 ] || break
    echo "groups: traffic: svs lost the frames to the port-add race (try $try)" >&2
    vsctl "$SRUN" del-port br0 p5
done
sleep 0.6
ttotal=0 tsame=0
for c in "-O OpenFlow13 dump-group-stats br0" "-O OpenFlow15 dump-group-stats br0" "-O OpenFlow13 meter-stats br0" \
         "-O OpenFlow13 --sort dump-flows br0"; do
    read -r -a words <<<"$c"
    o=$(run "$RUN" "${words[@]}" | sed -E 's/idle_age=[0-9]+/idle_age=A/')
    s=$(run "$SRUN" "${words[@]}" | sed -E 's/idle_age=[0-9]+/idle_age=A/')
    ttotal=$((ttotal + 1))
    if [ "$o" == "$s" ]; then
        tsame=$((tsame + 1))
    else
        echo "=== groups (traffic): $c" >&2
        diff <(echo "$o") <(echo "$s") | head -30 >&2 || true
    fi
done
[ -n "${GROUPS_VERBOSE:-}" ] && { run "$SRUN" -O OpenFlow13 dump-group-stats br0; run "$SRUN" -O OpenFlow13 meter-stats br0; }
echo "groups: traffic: $tsame of $ttotal counter dumps agree with Open vSwitch"

# Malformed and edge-case messages, as bytes: the same replies (errors) from both.
rawok=0
python3 "$here/raw.py" "$RUN/br0.mgmt" "$SRUN/br0.mgmt" || rawok=$?
[ "$same" -eq "$total" ] && [ "$tsame" -eq "$ttotal" ] && [ "$rawok" -eq 0 ]
