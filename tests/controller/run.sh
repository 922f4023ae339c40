#!/usr/bin/env bash
# OpenFlow controllers, packet-in and packet-out in `svs vswitchd`.
#
# svs runs in its own network namespace (svsCsw) with a private run
# directory; namespaces svsCa/svsCb/svsCc hang on veths off a netdev bridge.
#  1. os-ken's stock simple_switch_13 (scripts/osken-manager) as the
#     bridge's controller over tcp (protocols=OpenFlow13): the Controller
#     row turns is_connected/role/status, pings between the namespaces
#     work, the controller logs packet-ins and dump-flows shows the flows
#     it installed. No default NORMAL flow while a controller is set, the
#     flows flushed when the controller goes (differential with the real
#     Open vSwitch, tests/lib/ovs.sh).
#  2. `ovs-ofctl monitor br0 65534 [-P nxt_packet_in|standard]` prints the
#     packet-in of a `controller` action; the same flows and packet-out on
#     the real Open vSwitch print the same (differential), and so do
#     table misses to a table-miss rule.
#  3. `ovs-ofctl packet-out` puts a frame into a namespace (raw socket).
#  4. Passive ptcp: ovs-ofctl connects to the switch over tcp.
#  5. Inactivity probe: a controller that never answers echo requests is
#     disconnected and reconnected (back-off).
#  6. fail_mode=secure without controllers: no default flow (differential).
#
#   SVS=path/to/svs tests/controller/run.sh        (as root)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SVS=${SVS:-.build/debug/svs}
[ -x "$SVS" ] || { echo "controller: no svs binary at $SVS (set SVS)" >&2; exit 2; }
SVS=$(cd "$(dirname "$SVS")" && pwd)/$(basename "$SVS")
. "$here/../lib/ovs.sh"
ovs_start svs-controller-ovs || exit 2
ORUN=$RUN
SRUN=$(mktemp -d /tmp/svs-controller.XXXXXX)
SW=svsCsw

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    for ns in svsCa svsCb svsCc $SW; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$SRUN"
    ovs_stop
}
trap cleanup EXIT

failed=0
passed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "controller: FAILED: $*"; }
same() {
    if [ "$2" == "$3" ]; then
        pass
    else
        fail "$1"
        diff <(echo "$2") <(echo "$3") | head -20 | sed 's/^/    /'
    fi
}
check() { local what=$1; shift; if "$@"; then pass; else fail "$what"; fi; }

# Tools against svs (in its namespace) and against the real OVS.
svsctl() { OVS_RUNDIR=$SRUN ovs-vsctl --timeout=10 "$@"; }
svsof() { OVS_RUNDIR=$SRUN ovs-ofctl "$@"; }
insw() { ip netns exec $SW "$@"; }
ovsctl() { OVS_RUNDIR=$ORUN ovs-vsctl --timeout=10 "$@"; }
ovsof() { OVS_RUNDIR=$ORUN ovs-ofctl "$@"; }
flows() { "$@" 2>&1 | sed -E 's/ duration=[^,]*,//; s/ n_packets=[^,]*,//; s/ n_bytes=[^,]*,//; s/ idle_age=[^,]*,//' | grep -v "^OFPST\|^NXST" | sort; }

# wait_for SECONDS COMMAND...: retries COMMAND every 0.2 s.
wait_for() {
    local limit=$1 i
    shift
    for i in $(seq 1 $((limit * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}

# --- svs in its namespace, three namespaces on veths.
ip netns add $SW
ip -n $SW link set lo up
OVS_RUNDIR=$SRUN OVS_DBDIR=$SRUN OVS_LOGDIR=$SRUN timeout 20 ip netns exec $SW "$SVS" vswitchd --pidfile --detach \
    --log-file -vconsole:off || { echo "controller: svs vswitchd did not start" >&2; exit 1; }
pids+=("$(cat "$SRUN/ovs-vswitchd.pid")")
i=0
for n in a b c; do
    i=$((i + 1))
    ip netns add svsC$n
    ip link add svsC${n}0 netns $SW type veth peer name svsC${n}1 netns svsC$n
    ip -n $SW link set svsC${n}0 up
    ip -n svsC$n link set svsC${n}1 address 02:00:00:00:00:0$i up
    ip -n svsC$n addr add 10.77.0.$i/24 dev svsC${n}1
done
svsctl add-br br0 -- set bridge br0 datapath_type=netdev protocols=OpenFlow10,OpenFlow13 \
    -- add-port br0 svsCa0 -- set interface svsCa0 ofport_request=1 \
    -- add-port br0 svsCb0 -- set interface svsCb0 ofport_request=2 \
    -- add-port br0 svsCc0 -- set interface svsCc0 ofport_request=3 || { echo "controller: add-br failed" >&2; exit 1; }
ovsctl add-br br0 -- set bridge br0 datapath_type=dummy protocols=OpenFlow10,OpenFlow13 \
    -- add-port br0 p1 -- set interface p1 type=dummy ofport_request=1 \
    -- add-port br0 p2 -- set interface p2 type=dummy ofport_request=2 \
    -- add-port br0 p3 -- set interface p3 type=dummy ofport_request=3

# --- 0. The Bridge's protocols apply to the management socket too.
svsctl set bridge br0 protocols=OpenFlow13
ovsctl set bridge br0 protocols=OpenFlow13
refusal() { "$@" dump-flows br0 2>&1 | sed -n 's/.*br0.mgmt: //p'; }
same "OpenFlow 1.0 refused by a protocols=OpenFlow13 bridge (as OVS)" "$(refusal ovsof)" "$(refusal svsof)"

# --- 1. os-ken simple_switch_13 (protocols=OpenFlow13).
same "default flow before any controller" "$(flows ovsof -O OpenFlow13 dump-flows br0)" \
    "$(flows svsof -O OpenFlow13 dump-flows br0)"
port=$((20000 + RANDOM % 20000))
insw timeout 90 python3 "$root/scripts/osken-manager" --ofp-tcp-listen-port $port --verbose \
    os_ken.app.simple_switch_13 >"$SRUN/osken.log" 2>&1 &
pids+=($!)
wait_for 15 insw bash -c "ss -ltn | grep -q ':$port '" || fail "os-ken did not listen"
svsctl set-controller br0 tcp:127.0.0.1:$port
ovsctl set-controller br0 tcp:127.0.0.1:1      # nobody there: only the flow table matters
connected() { [ "$(svsctl get controller br0 is_connected)" == "true" ]; }
check "controller connects" wait_for 10 connected
check "controller role" test "$(svsctl get controller br0 role)" == "other"
check "controller status" bash -c "OVS_RUNDIR=$SRUN ovs-vsctl get controller br0 status | grep -q 'state=ACTIVE'"
# simple_switch_13 installs its table-miss flow when the switch connects.
tablemiss() { svsof -O OpenFlow13 dump-flows br0 | grep -q "priority=0 actions=CONTROLLER:65535"; }
check "table-miss flow from os-ken" wait_for 10 tablemiss
same "no NORMAL flow with a controller (as OVS)" "$(flows ovsof -O OpenFlow13 dump-flows br0 | grep -c NORMAL)" \
    "$(flows svsof -O OpenFlow13 dump-flows br0 | grep -c NORMAL)"
check "ping a->b through os-ken" ip netns exec svsCa ping -c 3 -i 0.2 -W 2 10.77.0.2 >/dev/null
check "ping c->a through os-ken" ip netns exec svsCc ping -c 3 -i 0.2 -W 2 10.77.0.1 >/dev/null
check "os-ken logged packet-ins" grep -q "packet in" "$SRUN/osken.log"
learned=$(svsof -O OpenFlow13 dump-flows br0 | grep -c "priority=1,in_port=.*,dl_src=02:00:00:00:00:0.,dl_dst=02:00:00:00:00:0. actions=output:")
check "os-ken installed learned flows ($learned)" test "$learned" -ge 2
svsctl del-controller br0
ovsctl del-controller br0
notconnected() { ! svsof -O OpenFlow13 dump-flows br0 | grep -q CONTROLLER; }
wait_for 5 notconnected
same "flows after del-controller (as OVS)" "$(flows ovsof -O OpenFlow13 dump-flows br0)" \
    "$(flows svsof -O OpenFlow13 dump-flows br0)"
check "ping with NORMAL again" ip netns exec svsCa ping -c 1 -W 2 10.77.0.3 >/dev/null
stop_pid "${pids[-1]}"
svsctl set bridge br0 protocols=OpenFlow10,OpenFlow13,OpenFlow15
ovsctl set bridge br0 protocols=OpenFlow10,OpenFlow13,OpenFlow15

# --- 2. Packet-ins to ovs-ofctl monitor, differential.
pkt=ffffffffffff02000000009908060001080006040001020000000099c0a80001000000000000c0a80002
for side in svs ovs; do
    of=${side}of
    $of del-flows br0
    # Only the test's frames (dl_src ...:99): the namespaces send their own.
    $of add-flow br0 "priority=0,actions=drop"
    $of add-flow br0 "cookie=0x12,in_port=1,dl_src=02:00:00:00:00:99,actions=load:5->NXM_NX_REG3[],controller"
    $of add-flow br0 "table=0,in_port=2,dl_src=02:00:00:00:00:99,actions=resubmit(,3)"
    $of -O OpenFlow13 add-flow br0 "table=3,priority=0,actions=controller:128"
    $of add-flow br0 "in_port=3,dl_src=02:00:00:00:00:99,actions=set_field:7->metadata,controller(reason=no_match,userdata=01.02.03)"
done
for side in svs ovs; do
    of=${side}of
    for fmt in "" "-P nxt_packet_in" "-O OpenFlow13 -P standard" "-O OpenFlow10 -P standard"; do
        name=$(echo "$fmt" | tr -d ' -')
        (timeout 5 env OVS_RUNDIR=$([ $side = svs ] && echo $SRUN || echo $ORUN) ovs-ofctl monitor br0 65534 $fmt \
            >"$SRUN/mon-$side-$name.txt" 2>&1 &)
    done
    sleep 1.5
    for p in 1 2 3; do $of packet-out br0 $p table $pkt; done
    $of packet-out br0 LOCAL controller $pkt
done
sleep 2.5
for fmt in "" "-P nxt_packet_in" "-O OpenFlow13 -P standard" "-O OpenFlow10 -P standard"; do
    name=$(echo "$fmt" | tr -d ' -')
    got=$(grep -v "fatal_signal\|^$" "$SRUN/mon-svs-$name.txt")
    check "monitor $fmt printed packet-ins" test "$(echo "$got" | grep -c PACKET_IN)" -eq 4
    same "monitor $fmt (svs vs OVS)" "$(grep -v "fatal_signal\|^$" "$SRUN/mon-ovs-$name.txt")" "$got"
done
# A packet from a namespace reaches the monitor too.
svsof del-flows br0
svsof add-flow br0 "in_port=1,arp,actions=controller"
(timeout 6 env OVS_RUNDIR=$SRUN ovs-ofctl monitor br0 65534 >"$SRUN/mon-ns.txt" 2>&1 &)
sleep 1.5
cat >"$SRUN/send.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
s.send(bytes.fromhex(sys.argv[2]))
EOF
# An ARP request from svsCa's address (02:00:00:00:00:01; arping is not everywhere).
ns_arp=ffffffffffff020000000001080600010800060400010200000000010a4d00010000000000000a4d0009
ip netns exec svsCa timeout 4 python3 "$SRUN/send.py" svsCa1 $ns_arp
sleep 1.5
check "monitor shows a namespace's ARP" grep -q "in_port=1 (via action).*" "$SRUN/mon-ns.txt"
check "the ARP sent in svsCa" grep -q "arp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.77.0.1,arp_tpa=10.77.0.9" "$SRUN/mon-ns.txt"

# --- 3. Packet-out into a namespace.
cat >"$SRUN/recv.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind((sys.argv[1], 0))
open(sys.argv[2], "w").write("ready")
s.settimeout(6)
try:
    while True:
        f = s.recv(2048)
        if f[12:14] == b'\x88\xb5':
            print(f[:24].hex())
            break
except socket.timeout:
    print("timeout")
EOF
out_pkt=0200000000020200000000ff88b5737673432d7061636b65742d6f7574
ip netns exec svsCb timeout 8 python3 "$SRUN/recv.py" svsCb1 "$SRUN/ready2" >"$SRUN/recv.txt" 2>&1 &
rpid=$!
wait_for 6 test -s "$SRUN/ready2"
svsof packet-out br0 LOCAL output:2 $out_pkt
wait $rpid
same "packet-out reached svsCb" "${out_pkt:0:48}" "$(cat "$SRUN/recv.txt")"
ip netns exec svsCc timeout 8 python3 "$SRUN/recv.py" svsCc1 "$SRUN/ready3" >"$SRUN/recv3.txt" 2>&1 &
rpid=$!
wait_for 6 test -s "$SRUN/ready3"
svsof -O OpenFlow13 packet-out br0 1 "set_field:02:00:00:00:00:03->eth_dst,output:3" $out_pkt
wait $rpid
same "OF1.3 packet-out with set_field reached svsCc" "020000000003${out_pkt:12:36}" "$(cat "$SRUN/recv3.txt")"
ip netns exec svsCb timeout 8 python3 "$SRUN/recv.py" svsCb1 "$SRUN/ready4" >"$SRUN/recv4.txt" 2>&1 &
rpid=$!
wait_for 6 test -s "$SRUN/ready4"
svsof -O OpenFlow15 packet-out br0 "in_port=3 packet=$out_pkt actions=output:2"
wait $rpid
same "OF1.5 packet-out (match form) reached svsCb" "${out_pkt:0:48}" "$(cat "$SRUN/recv4.txt")"
check "packet-out from a bad in_port is refused" bash -c "! OVS_RUNDIR=$SRUN ovs-ofctl packet-out br0 77 output:2 $out_pkt 2>/dev/null"
same "the connection stays up after a refused packet-out" "OK" "$(svsof show br0 >/dev/null && echo OK)"

# --- 4. Passive controller target.
pport=$((20000 + RANDOM % 20000))
svsctl set-controller br0 ptcp:$pport:127.0.0.1
listening() { insw ss -ltn | grep -q "127.0.0.1:$pport "; }
check "ptcp listens" wait_for 5 listening
same "dump-flows over ptcp" "$(flows svsof -O OpenFlow13 dump-flows br0)" \
    "$(flows insw ovs-ofctl -O OpenFlow13 dump-flows tcp:127.0.0.1:$pport)"
svsctl del-controller br0

# --- 5. Inactivity probe and reconnection.
cat >"$SRUN/mute.py" <<'EOF'
# Accepts switch connections, says HELLO (OpenFlow 1.3) and then nothing.
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5); s.settimeout(1)
n, end, conns = 0, time.time() + float(sys.argv[2]), []
while time.time() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    n += 1
    c.sendall(bytes.fromhex("0400000800000001"))
    conns.append(c)
    print("connection", n, flush=True)
EOF
mport=$((20000 + RANDOM % 20000))
insw timeout 16 python3 "$SRUN/mute.py" $mport 14 >"$SRUN/mute.txt" 2>&1 &
mpid=$!
sleep 0.5
# The probe interval is at least 5 s (rconn): an echo request after 5 s, the
# connection dropped after 10 s, the next one a second later.
svsctl -- set-controller br0 tcp:127.0.0.1:$mport -- set controller br0 inactivity_probe=1000 max_backoff=1000
wait $mpid
n=$(grep -c connection "$SRUN/mute.txt")
check "a silent controller is probed, dropped and reconnected ($n connections)" test "$n" -ge 2
svsctl del-controller br0

# --- 5a. Fail-open: with fail_mode=standalone and no controller reachable
# for three probe intervals (3 x 5 s), the bridge forwards with NORMAL and
# shows no flows (OVS's hidden fail-open rule).
svsctl -- set-controller br0 tcp:127.0.0.1:1 -- set controller br0 inactivity_probe=5000
check "no forwarding while the controller is only down" bash -c "! ip netns exec svsCa ping -c 1 -W 1 10.77.0.2 >/dev/null"
start=$SECONDS
opened=no
while [ $((SECONDS - start)) -lt 25 ]; do
    if ip netns exec svsCa ping -c 1 -W 1 10.77.0.2 >/dev/null 2>&1; then opened=yes; break; fi
    sleep 0.5
done
check "fail-open after 3 probe intervals ($((SECONDS - start)) s)" test $opened == yes
check "fail-open did not come before 3 probe intervals" test $((SECONDS - start)) -ge 12
same "no flows shown in fail-open" "" "$(flows svsof dump-flows br0)"
svsctl del-controller br0

# --- 5b. Flow removed and port status to a monitor.
for side in svs ovs; do
    of=${side}of
    $of del-flows br0
    $of add-flow br0 "priority=5,udp,tp_dst=9,send_flow_rem,actions=drop"
    $of add-flow br0 "cookie=0x7,priority=6,udp,tp_dst=10,idle_timeout=1,send_flow_rem,actions=drop"
    (timeout 4 env OVS_RUNDIR=$([ $side = svs ] && echo $SRUN || echo $ORUN) ovs-ofctl monitor br0 65534 \
        >"$SRUN/rem-$side.txt" 2>&1 &)
done
sleep 0.7
svsof del-flows br0 "udp,tp_dst=9"
ovsof del-flows br0 "udp,tp_dst=9"
svsctl add-port br0 svsCi -- set interface svsCi type=internal
sleep 3.5
removed() { grep "FLOW_REMOVED" "$1" | sed -E 's/duration[0-9.]+s/durationN/'; }
same "flow removed by delete and idle timeout (svs vs OVS)" "$(removed "$SRUN/rem-ovs.txt")" "$(removed "$SRUN/rem-svs.txt")"
check "flow removed messages" test "$(grep -c FLOW_REMOVED "$SRUN/rem-svs.txt")" -eq 2
check "port status on add-port" grep -q "OFPT_PORT_STATUS (xid=0x0): ADD: .*(svsCi)" "$SRUN/rem-svs.txt"
svsctl del-port br0 svsCi

# --- 5c. A controller nobody answers: the status columns as OVS writes them.
svsctl set-controller br0 tcp:127.0.0.1:1
ovsctl set-controller br0 tcp:127.0.0.1:1
refused() { "$1" get controller br0 status | grep -q 'last_error="Connection refused"'; }
wait_for 12 refused svsctl
wait_for 12 refused ovsctl
for col in is_connected role status; do
    same "Controller $col of a refused connection (as OVS)" "$(ovsctl get controller br0 $col)" "$(svsctl get controller br0 $col)"
done
svsctl del-controller br0
ovsctl del-controller br0

# --- 6. fail_mode: changing it without controllers flushes the flows.
svsctl set-fail-mode br0 secure
ovsctl set-fail-mode br0 secure
same "fail_mode=secure flows (as OVS)" "$(flows ovsof dump-flows br0)" "$(flows svsof dump-flows br0)"
svsctl set-fail-mode br0 standalone
ovsctl set-fail-mode br0 standalone
same "fail_mode=standalone flows (as OVS)" "$(flows ovsof dump-flows br0)" "$(flows svsof dump-flows br0)"

echo "controller: $passed passed, $failed failed"
[ $failed -eq 0 ]
