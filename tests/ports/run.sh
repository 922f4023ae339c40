#!/usr/bin/env bash
# Real ports and poll threads: network namespaces joined to an svs datapath
# (`svs-bench forward`: system ports on veths, an internal TAP port, two
# poll threads, datapath flows installed through DPIF that forward
# everything between port pairs) with the veths' offloads left at their
# defaults. Checks ping (also 3200-byte, i.e. fragments), ping6, iperf3 TCP
# and UDP, an 802.1Q tag made in user space arriving intact, the internal
# port reaching the root namespace's stack, idle CPU near 0, and a port
# removed under load leaving the others forwarding. Run as root.
#
#   SVS=path/to/svs tests/ports/run.sh      (svs-bench is looked up beside it;
#                                             SVS_BENCH overrides)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/debug/svs}
BENCH=${SVS_BENCH:-$(dirname "$SVS")/svs-bench}
[ -x "$BENCH" ] || { echo "ports: no svs-bench at $BENCH (set SVS_BENCH)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "ports: needs root" >&2; exit 2; }
for tool in ip ping iperf3 tcpdump python3 timeout; do
    command -v "$tool" >/dev/null || { echo "ports: $tool not installed" >&2; exit 2; }
done

id=$((RANDOM % 900 + 100))
p=svsP$id                       # namespaces $p-a.., root veth ends ${p}a.., inner ${p}an..
net=10.251.$((RANDOM % 200 + 20))
net6=fd00:5e5:$id
RUN_PORTS=$(mktemp -d /tmp/svs-ports.XXXXXX)
svs_pid=
failures=0

cleanup() {
    stop_svs
    for x in a b c d e; do ip netns del "$p-$x" 2>/dev/null || true; ip link del "$p$x" 2>/dev/null || true; done
    ip link del "${p}t" 2>/dev/null || true
    ip link del "${p}br" 2>/dev/null || true   # ovs-vswitchd leaves its bridge's TAP behind
    rm -rf "$RUN_PORTS"
}
trap cleanup EXIT
trap "exit 1" INT TERM

check() {   # check NAME CONDITION-STATUS DETAIL
    if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1: $3"; failures=$((failures + 1)); fi
}

# Namespace $p-X with veth ${p}Xn (inside, address $net.N) and ${p}X (root side, up).
set -e
for x in a b c d e; do
    case $x in a) n=1;; b) n=2;; c) n=5;; d) n=6;; e) n=4;; esac
    ip netns add "$p-$x"
    ip link add "$p$x" type veth peer name "$p${x}n"
    ip link set "$p${x}n" netns "$p-$x"
    ip -n "$p-$x" link set lo up
    ip -n "$p-$x" addr add "$net.$n/24" dev "$p${x}n"
    ip -n "$p-$x" addr add "$net6::$n/64" dev "$p${x}n" nodad
    ip -n "$p-$x" link set "$p${x}n" up
    sysctl -qw "net.ipv6.conf.$p$x.disable_ipv6=1" || true
    ip link set "$p$x" up
done
set +e
in_ns() { local x=$1; shift; ip netns exec "$p-$x" "$@"; }

# start_svs ARGS...: runs svs-bench forward in the background, waits for "ready".
start_svs() {
    "$BENCH" forward --name "${p}dp" "$@" >"$RUN_PORTS/svs.log" 2>&1 &
    svs_pid=$!
    for _ in $(seq 1 100); do
        grep -q '^ready' "$RUN_PORTS/svs.log" 2>/dev/null && return 0
        kill -0 "$svs_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "ports: svs-bench forward did not start:" >&2
    cat "$RUN_PORTS/svs.log" >&2
    exit 1
}
stop_svs() {
    if [ -n "$svs_pid" ] && kill -0 "$svs_pid" 2>/dev/null; then
        kill "$svs_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$svs_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$svs_pid" 2>/dev/null || true
    fi
    [ -n "$svs_pid" ] && wait "$svs_pid" 2>/dev/null || true
    svs_pid=
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# --- Part 1: ports 1=a 2=b, 3=c 4=d, 5=e 6=internal TAP; two poll threads;
# system ports receiving with recvmmsg and cutting TCP super-frames, then
# through a TPACKET_V2 ring with super-frames kept whole (kernel GSO on output).
for mode in "--rx mmsg" "--rx v2 --tso"; do
echo "# system ports: $mode"
for x in a b c d e; do ip -n "$p-$x" neigh flush all; done   # the TAP's MAC is new each round
start_svs --port "${p}a" --port "${p}b" --port "${p}c" --port "${p}d" --port "${p}e" \
    --internal "${p}t" --pair 1:2 --pair 3:4 --pair 5:6 --threads 2 $mode
ip addr add "$net.3/24" dev "${p}t"

out=$(in_ns a timeout 10 ping -c 3 -i 0.2 -W 2 "$net.2" 2>&1); check "ping a->b" $? "$out"
out=$(in_ns a timeout 10 ping -c 3 -i 0.2 -W 2 -s 3200 "$net.2" 2>&1); check "ping -s 3200 a->b (fragments)" $? "$out"
out=$(in_ns a timeout 10 ping -6 -c 3 -i 0.2 -W 2 "$net6::2" 2>&1); check "ping6 a->b" $? "$out"
out=$(in_ns c timeout 10 ping -c 3 -i 0.2 -W 2 "$net.6" 2>&1); check "ping c->d (other thread)" $? "$out"
out=$(in_ns e timeout 10 ping -c 3 -i 0.2 -W 2 "$net.3" 2>&1); check "ping e->internal port (root namespace stack)" $? "$out"
# TCP into the root namespace through the TAP (super-frames are cut for it).
tap_port=$((5300 + id % 100))
timeout 30 iperf3 -s -1 -B "$net.3" -p "$tap_port" >"$RUN_PORTS/iperf-tap.log" 2>&1 &
server=$!
sleep 0.5
out=$(in_ns e timeout 20 iperf3 -c "$net.3" -p "$tap_port" -t 2 -J 2>&1)
rate=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(int(d["end"]["sum_received"]["bits_per_second"]))' <<<"$out" 2>/dev/null || echo 0)
[ "$rate" -gt 10000000 ]; check "iperf3 TCP e->internal port ($((rate / 1000000)) Mbit/s)" $? "$(tail -5 <<<"$out")"
wait "$server" 2>/dev/null || true

# iperf3 TCP and UDP, offloads at their defaults (TSO/GSO super-frames, partial checksums).
in_ns b timeout 30 iperf3 -s -1 -B "$net.2" >"$RUN_PORTS/iperf-s.log" 2>&1 &
server=$!
sleep 0.5
out=$(in_ns a timeout 20 iperf3 -c "$net.2" -t 3 -J 2>&1)
rate=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(int(d["end"]["sum_received"]["bits_per_second"]))' <<<"$out" 2>/dev/null || echo 0)
[ "$rate" -gt 10000000 ]; check "iperf3 TCP a->b ($((rate / 1000000)) Mbit/s)" $? "$(tail -5 <<<"$out")"
wait "$server" 2>/dev/null || true
in_ns b timeout 30 iperf3 -s -1 -B "$net.2" >"$RUN_PORTS/iperf-s.log" 2>&1 &
server=$!
sleep 0.5
out=$(in_ns a timeout 20 iperf3 -c "$net.2" -u -b 100M -l 1400 -t 3 -J 2>&1)
read -r lost total < <(python3 -c 'import json,sys; d=json.load(sys.stdin)["end"]["sum"]; print(d["lost_packets"], d["packets"])' <<<"$out" 2>/dev/null || echo "0 0")
[ "$total" -gt 1000 ] && [ "$lost" -lt $((total / 10)) ]
check "iperf3 UDP a->b ($lost of $total lost)" $? "$(tail -5 <<<"$out")"
wait "$server" 2>/dev/null || true

# 802.1Q: a tagged frame made with a raw socket in a arrives in b with its tag.
mac_b=$(in_ns b cat "/sys/class/net/${p}bn/address")
in_ns b timeout 10 tcpdump -i "${p}bn" -e -nn -c 3 -l 'vlan 42 and udp port 4242' >"$RUN_PORTS/vlan.log" 2>/dev/null &
dump=$!
sleep 1
in_ns a python3 - "${p}an" "$mac_b" <<'EOF'
import socket, struct, sys, time
ifname, dst = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
src = open(f"/sys/class/net/{ifname}/address").read().strip()
src = bytes.fromhex(src.replace(":", ""))
payload = b"svs-vlan" * 4
udp = struct.pack("!HHHH", 4242, 4242, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                 socket.inet_aton("192.0.2.1"), socket.inet_aton("192.0.2.2"))
words = struct.unpack("!10H", ip); c = sum(words); c = (c & 0xffff) + (c >> 16); c = (c & 0xffff) + (c >> 16)
ip = ip[:10] + struct.pack("!H", ~c & 0xffff) + ip[12:]
frame = dst + src + struct.pack("!HH", 0x8100, (3 << 13) | 42) + struct.pack("!H", 0x0800) + ip + udp
for _ in range(5):
    s.send(frame); time.sleep(0.1)
EOF
wait "$dump" 2>/dev/null || true
grep -q 'vlan 42, p 3' "$RUN_PORTS/vlan.log"; check "802.1Q tag (vlan 42, pcp 3) arrives intact" $? "$(cat "$RUN_PORTS/vlan.log")"

# Idle: the poll threads sleep; the process uses next to no CPU.
sleep 1
hz=$(getconf CLK_TCK)
t0=$(cpu_ticks "$svs_pid"); sleep 2; t1=$(cpu_ticks "$svs_pid")
pct=$(( (t1 - t0) * 100 / (2 * hz) ))
[ "$pct" -lt 20 ]; check "idle CPU ${pct}% of a core (< 20%)" $? "$((t1 - t0)) ticks in 2 s"
stop_svs
ip link del "${p}t" 2>/dev/null || true
done

# --- Part 2: port 3 (c) removed at 2.5 s while c->d carries a TCP load and
# a->b a fast ping; a->b must not notice, c->d must stop.
start_svs --port "${p}a" --port "${p}b" --port "${p}c" --port "${p}d" --pair 1:2 --pair 3:4 \
    --threads 2 --remove "${p}c@2.5" --stats
in_ns d timeout 30 iperf3 -s -1 -B "$net.6" >"$RUN_PORTS/iperf-s.log" 2>&1 &
server=$!
sleep 0.5
in_ns c timeout 20 iperf3 -c "$net.6" -t 4 >"$RUN_PORTS/iperf-c.log" 2>&1 &
load=$!
out=$(in_ns a timeout 20 ping -i 0.01 -c 300 -W 1 "$net.2" 2>&1); status=$?
received=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$out")
[ $status -eq 0 ] && [ "${received:-0}" -ge 297 ]
check "a->b keeps forwarding while port 3 is removed under load (${received:-0}/300 pings)" $? "$(tail -3 <<<"$out")"
grep -q "^removed ${p}c" "$RUN_PORTS/svs.log"; check "port 3 was removed" $? "$(cat "$RUN_PORTS/svs.log")"
wait "$load" 2>/dev/null || true
kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
grep -qE '[0-9.]+ [MG]bits/sec' "$RUN_PORTS/iperf-c.log"; check "c->d carried TCP before the removal" $? "$(tail -3 "$RUN_PORTS/iperf-c.log")"
out=$(in_ns c timeout 10 ping -c 2 -i 0.2 -W 1 "$net.6" 2>&1)
[ $? -ne 0 ]; check "c->d stops after the removal" $? "$out"
in_ns b timeout 30 iperf3 -s -1 -B "$net.2" >"$RUN_PORTS/iperf-s.log" 2>&1 &
server=$!
sleep 0.5
out=$(in_ns a timeout 20 iperf3 -c "$net.2" -t 2 -J 2>&1)
rate=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(int(d["end"]["sum_received"]["bits_per_second"]))' <<<"$out" 2>/dev/null || echo 0)
[ "$rate" -gt 10000000 ]; check "iperf3 TCP a->b after the removal ($((rate / 1000000)) Mbit/s)" $? "$(tail -5 <<<"$out")"
wait "$server" 2>/dev/null || true
stop_svs

# The poll threads' counters in `dpif-netdev/pmd-stats-show` text: line for
# line the labels of the real ovs-vswitchd's (its main thread's block).
if command -v ovs-vswitchd >/dev/null; then
    . "$here/../lib/ovs.sh"
    ovs_start svs-ports >/dev/null
    trap 'ovs_stop; ip link del "${p}br" 2>/dev/null; cleanup' EXIT
    ovs-vsctl --db=unix:"$RUN/db.sock" --timeout=10 add-br "${p}br" -- set bridge "${p}br" datapath_type=netdev
    labels() { sed -E 's/-?[0-9]+(\.[0-9]+)?/N/g'; }
    theirs=$(ovs-appctl --timeout=10 dpif-netdev/pmd-stats-show | sed -n '2,14p' | labels)
    ours=$(sed -n '/^pmd thread numa_id 0 core_id 0:$/,$p' "$RUN_PORTS/svs.log" | sed -n '2,14p' | labels)
    [ -n "$theirs" ] && [ "$theirs" = "$ours" ]
    check "pmd-stats-show lines match ovs-vswitchd's" $? "$(diff <(echo "$theirs") <(echo "$ours"))"
    grep -q '^Displaying last 60 seconds pmd usage %$' "$RUN_PORTS/svs.log" && \
        grep -qE '^  port: [^ ]+ +queue-id:  0 \(enabled\)   pmd usage: +[0-9]+ %$' "$RUN_PORTS/svs.log"
    check "pmd-rxq-show text" $? "$(grep -A8 '^Displaying' "$RUN_PORTS/svs.log")"
fi

if [ "$failures" -gt 0 ]; then echo "ports: $failures failed"; exit 1; fi
echo "ports: all passed"
