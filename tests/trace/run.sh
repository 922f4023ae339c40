#!/usr/bin/env bash
# Differential test of ofproto/trace: one topology (two bridges joined by a
# patch port, access/trunk/native VLAN ports) and several scenarios (flow
# tables + trace arguments) run through a real ovs-vswitchd with the dummy
# datapath (`ovs-appctl ofproto/trace`) and through `svs ofproto-trace` on a
# topology file written from the same description (datapath port numbers
# read back from the real OVS). Each trace's whole output must agree, but
# for the order of the outputs of a flood (OVS floods in hash order): the
# `Datapath actions:` lines are compared as the multiset of
# (port, header changes before it). Scenarios live in scenarios/NAME
# (br0.flows / br1.flows in add-flows syntax, a first line
# `# protocol: OpenFlow13` choosing the version, and `traces`, templates that
# gen-traces.sh expands; a trace line may also be `fdb/show BR` or
# `fdb/flush BR`); the random* ones come from make-random.py. Run as root.
#
#   SVS=path/to/svs tests/trace/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/debug/svs}
[ -x "$SVS" ] || { echo "trace: no svs binary at $SVS (set SVS)" >&2; exit 2; }
. "$here/../lib/ovs.sh"
ovs_start svs-trace
V="ovs-vsctl --timeout=10"

# The topology: BRIDGE PORT OFPORT TYPE [vsctl port options...]
topology=(
    "br0 p1 1 dummy"
    "br0 p2 2 dummy tag=10"
    "br0 p3 3 dummy trunks=10,20"
    "br0 p4 4 dummy tag=20 vlan_mode=native-untagged"
    "br0 p5 5 dummy tag=10 vlan_mode=native-tagged"
    "br0 patch0 6 patch peer=patch1"
    "br1 patch1 1 patch peer=patch0"
    "br1 q7 2 dummy"
    "br1 q8 3 dummy tag=10"
    "br0 p9 7 dummy"
)
for br in br0 br1; do $V add-br $br -- set bridge $br datapath_type=dummy; done
for line in "${topology[@]}"; do
    read -r br port ofport type opts <<<"$line"
    args=(add-port "$br" "$port")
    for o in $opts; do
        case $o in
            peer=*) ;;
            *) args+=("$o") ;;
        esac
    done
    args+=(-- set interface "$port" type="$type" ofport_request="$ofport")
    for o in $opts; do
        case $o in peer=*) args+=("options:peer=${o#peer=}") ;; esac
    done
    $V "${args[@]}"
done
sleep 0.5

# The svs topology file, with the datapath port numbers OVS chose.
topo=$RUN/topology
dpports=$(ovs-appctl dpctl/show)
dpnum() { awk -v n="$1" '$1 == "port" && $3 == n { sub(":", "", $2); print $2 }' <<<"$dpports"; }
{
    echo "bridge br0 ovs-dummy SECURE0"
    echo "bridge br1 ovs-dummy SECURE1"
    echo "port br0 br0 LOCAL $(dpnum br0) internal"
    echo "port br1 br1 LOCAL $(dpnum br1) internal"
    for line in "${topology[@]}"; do
        read -r br port ofport type opts <<<"$line"
        dp=$(dpnum "$port"); [ -n "$dp" ] || dp=-
        echo "port $br $port $ofport $dp $type $opts"
    done
} >"$topo.in"

# Scenarios: tests/trace/scenarios/NAME/{br0.flows,br1.flows,traces}.
# A bridge without a flows file keeps OVS's default NORMAL flow.
total=0 same=0 failed=0 raw=0
for dir in "$here"/scenarios/*/; do
    name=$(basename "$dir")
    ovs-appctl fdb/flush >/dev/null
    sed -e "s/SECURE0/$([ -f "$dir/br0.flows" ] && echo secure)/" \
        -e "s/SECURE1/$([ -f "$dir/br1.flows" ] && echo secure)/" "$topo.in" >"$topo"
    for br in br0 br1; do
        if [ -f "$dir/$br.flows" ]; then
            proto=$(head -1 "$dir/$br.flows" | sed -n 's/^# protocol: //p')
            ovs-ofctl del-flows $br
            ovs-ofctl ${proto:+-O $proto} add-flows $br "$dir/$br.flows"
            echo "flows $br $dir/$br.flows ${proto:-OpenFlow10}" >>"$topo"
        else
            ovs-ofctl del-flows $br
            ovs-ofctl add-flow $br "priority=0,actions=NORMAL"
        fi
    done
    traces=$RUN/traces.$name
    "$here/gen-traces.sh" "$dir/traces" >"$traces"
    : >"$RUN/ovs.$name"
    while read -r -a words; do
        [ ${#words[@]} -gt 0 ] || continue
        case ${words[0]} in
            */*) ovs-appctl --timeout=10 "${words[@]}" >>"$RUN/ovs.$name" 2>&1 || true ;;
            *) ovs-appctl --timeout=10 ofproto/trace "${words[@]}" >>"$RUN/ovs.$name" 2>&1 || true ;;
        esac
        echo "=== END ===" >>"$RUN/ovs.$name"
    done <"$traces"
    "$SVS" ofproto-trace "$topo" "$traces" >"$RUN/svs.$name" 2>&1 || { echo "trace: svs failed on $name" >&2; cat "$RUN/svs.$name" >&2; exit 1; }
    read -r t s f r < <(python3 "$here/compare.py" "$name" "$traces" "$RUN/ovs.$name" "$RUN/svs.$name")
    total=$((total + t)) same=$((same + s)) failed=$((failed + f)) raw=$((raw + r))
done
echo "trace: $same of $total traces identical ($raw byte for byte; the others differ only in the order of a flood's outputs)"
[ "$failed" -eq 0 ] && [ "$total" -ge 300 ]
