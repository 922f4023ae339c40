#!/usr/bin/env bash
# Differential test of ofproto/trace: one topology (two bridges joined by a
# patch port, access/trunk/native VLAN ports) and several scenarios (flow
# tables + trace arguments) run three ways:
#  - OVS: a real ovs-vswitchd with the dummy datapath (`ovs-appctl
#    ofproto/trace`), the reference;
#  - offline: `svs ofproto-trace` on a topology file written from the same
#    description (datapath port numbers read back from the real OVS): the
#    translation (xlate) alone;
#  - live: `svs vswitchd` with its embedded database in a second private run
#    directory, configured with the real ovs-vsctl (same commands as OVS),
#    flows loaded with the real ovs-ofctl (del-flows + add-flows through the
#    bridge's management socket, same -O flag) and traces run with the real
#    ovs-appctl: the daemon glue, the OpenFlow server and xlate together.
# Each trace's whole output must agree, but for the order of the outputs of a
# flood (OVS floods in hash order): the `Datapath actions:` lines are
# compared as the multiset of (port, header changes before it). Scenarios
# live in scenarios/NAME (br0.flows / br1.flows in add-flows syntax, a first
# line `# protocol: OpenFlow13` choosing the version, and `traces`, templates
# that gen-traces.sh expands; a trace line may also be `fdb/show BR` or
# `fdb/flush BR`); the random* ones come from make-random.py. Run as root.
#
#   SVS=path/to/svs [TRACE_KEEP=DIR] tests/trace/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/debug/svs}
[ -x "$SVS" ] || { echo "trace: no svs binary at $SVS (set SVS)" >&2; exit 2; }
SVS=$(cd "$(dirname "$SVS")" && pwd)/$(basename "$SVS")
. "$here/../lib/ovs.sh"
ovs_start svs-trace

# svs vswitchd (embedded database) in its own run directory, stopped by pid.
svs_start trace

# The real tools against one daemon: DIR is $RUN (OVS) or $SRUN (svs).
vsctl() { OVS_RUNDIR=$1 timeout 20 ovs-vsctl --timeout=15 "${@:2}"; }
ofctl() { OVS_RUNDIR=$1 timeout 20 ovs-ofctl "${@:2}"; }
appctl() {
    local dir=$1 target=ovs-vswitchd
    [ "$dir" == "$SRUN" ] && target=$SCTL
    OVS_RUNDIR=$dir timeout 20 ovs-appctl --timeout=10 -t "$target" "${@:2}"
}

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
for dir in "$RUN" "$SRUN"; do
    for br in br0 br1; do vsctl "$dir" add-br $br -- set bridge $br datapath_type=dummy; done
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
        vsctl "$dir" "${args[@]}"
    done
done
sleep 0.5

# The svs topology file, with the datapath port numbers OVS chose.
topo=$RUN/topology
dpports=$(appctl "$RUN" dpctl/show dummy@ovs-dummy)
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
# The live daemon must have numbered its ports as OVS did.
if [ "$(appctl "$SRUN" dpctl/show dummy@ovs-dummy | grep '^  port')" != "$(grep '^  port' <<<"$dpports")" ]; then
    echo "trace: svs vswitchd numbered its datapath ports differently from OVS:" >&2
    diff <(grep '^  port' <<<"$dpports") <(appctl "$SRUN" dpctl/show dummy@ovs-dummy | grep '^  port') >&2 || true
    exit 1
fi

# run_traces DIR OUT: each trace line through the real ovs-appctl, each
# output followed by `=== END ===`.
run_traces() {
    local dir=$1 out=$2 words
    : >"$out"
    while read -r -a words; do
        [ ${#words[@]} -gt 0 ] || continue
        case ${words[0]} in
            */*) appctl "$dir" "${words[@]}" >>"$out" 2>&1 || true ;;
            *) appctl "$dir" ofproto/trace "${words[@]}" >>"$out" 2>&1 || true ;;
        esac
        echo "=== END ===" >>"$out"
    done <"$traces"
}

# Scenarios: tests/trace/scenarios/NAME/{br0.flows,br1.flows,traces}.
# A bridge without a flows file keeps OVS's default NORMAL flow.
total=0 same=0 failed=0 raw=0
ltotal=0 lsame=0 lfailed=0 lraw=0 dtotal=0 dsame=0
for sdir in "$here"/scenarios/*/; do
    name=$(basename "$sdir")
    # TRACE_ONLY=REGEX runs only the scenarios whose name matches.
    [[ -z "${TRACE_ONLY:-}" || "$name" =~ ${TRACE_ONLY} ]] || continue
    sed -e "s/SECURE0/$([ -f "$sdir/br0.flows" ] && echo secure)/" \
        -e "s/SECURE1/$([ -f "$sdir/br1.flows" ] && echo secure)/" "$topo.in" >"$topo"
    for dir in "$RUN" "$SRUN"; do
        appctl "$dir" fdb/flush >/dev/null
        for br in br0 br1; do
            if [ -f "$sdir/$br.flows" ]; then
                proto=$(head -1 "$sdir/$br.flows" | sed -n 's/^# protocol: //p')
                ofctl "$dir" del-flows $br
                ofctl "$dir" ${proto:+-O $proto} add-flows $br "$sdir/$br.flows"
                [ "$dir" == "$RUN" ] && echo "flows $br $sdir/$br.flows ${proto:-OpenFlow10}" >>"$topo"
            else
                ofctl "$dir" del-flows $br
                ofctl "$dir" add-flow $br "priority=0,actions=NORMAL"
            fi
        done
    done
    # The rules as the OpenFlow server gives them back: dump-flows (sorted).
    for br in br0 br1; do
        proto=$([ -f "$sdir/$br.flows" ] && head -1 "$sdir/$br.flows" | sed -n 's/^# protocol: //p' || true)
        o=$(ofctl "$RUN" ${proto:+-O $proto} --no-stats --sort dump-flows $br 2>&1)
        l=$(ofctl "$SRUN" ${proto:+-O $proto} --no-stats --sort dump-flows $br 2>&1)
        dtotal=$((dtotal + 1))
        if [ "$o" == "$l" ]; then
            dsame=$((dsame + 1))
        else
            echo "=== $name (live): ovs-ofctl ${proto:+-O $proto} dump-flows $br" >&2
            diff <(echo "$o") <(echo "$l") | head -20 >&2 || true
        fi
    done
    traces=$RUN/traces.$name
    "$here/gen-traces.sh" "$sdir/traces" >"$traces"
    run_traces "$RUN" "$RUN/ovs.$name"
    run_traces "$SRUN" "$RUN/live.$name"
    # The tables after the traces (rules a `learn` action added), as the
    # OpenFlow server gives them back.
    for br in br0 br1; do
        proto=$([ -f "$sdir/$br.flows" ] && head -1 "$sdir/$br.flows" | sed -n 's/^# protocol: //p' || true)
        o=$(ofctl "$RUN" ${proto:+-O $proto} --no-stats --sort dump-flows $br 2>&1 || true)
        l=$(ofctl "$SRUN" ${proto:+-O $proto} --no-stats --sort dump-flows $br 2>&1 || true)
        dtotal=$((dtotal + 1))
        if [ "$o" == "$l" ]; then
            dsame=$((dsame + 1))
        else
            echo "=== $name (live, after the traces): ovs-ofctl dump-flows $br" >&2
            diff <(echo "$o") <(echo "$l") | head -20 >&2 || true
        fi
    done
    "$SVS" ofproto-trace "$topo" "$traces" >"$RUN/svs.$name" 2>&1 || { echo "trace: svs failed on $name" >&2; cat "$RUN/svs.$name" >&2; exit 1; }
    read -r t s f r < <(python3 "$here/compare.py" "$name" "$traces" "$RUN/ovs.$name" "$RUN/svs.$name")
    total=$((total + t)) same=$((same + s)) failed=$((failed + f)) raw=$((raw + r))
    read -r t s f r < <(python3 "$here/compare.py" "$name (live)" "$traces" "$RUN/ovs.$name" "$RUN/live.$name")
    ltotal=$((ltotal + t)) lsame=$((lsame + s)) lfailed=$((lfailed + f)) lraw=$((lraw + r))
done
# learn's delete_learned, live: flows learned by traces go with the last
# rule that learns them with delete_learned (and stay while one is left).
if [[ -z "${TRACE_ONLY:-}" || "learn-delete" =~ ${TRACE_ONLY} ]]; then
    learner='learn(table=1,cookie=0x99,delete_learned,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])'
    for dir in "$RUN" "$SRUN"; do
        ofctl "$dir" del-flows br0
        ofctl "$dir" add-flow br0 "in_port=1,actions=$learner"
        ofctl "$dir" add-flow br0 "in_port=7,actions=$learner"
        ofctl "$dir" add-flow br0 "table=1,cookie=0x98,dl_dst=00:00:00:00:00:09,actions=drop"
        appctl "$dir" ofproto/trace br0 in_port=1,dl_src=00:00:00:00:00:01 -generate >/dev/null
        appctl "$dir" ofproto/trace br0 in_port=7,dl_src=00:00:00:00:00:07 -generate >/dev/null
    done
    # STEP:LEARNED flows with the learner's cookie expected after it.
    for step in "in_port=1:2" "in_port=7:0"; do
        for dir in "$RUN" "$SRUN"; do ofctl "$dir" del-flows br0 "${step%:*}"; done
        o=$(ofctl "$RUN" --no-stats --sort dump-flows br0 2>&1 || true)
        l=$(ofctl "$SRUN" --no-stats --sort dump-flows br0 2>&1 || true)
        dtotal=$((dtotal + 1))
        if [ "$(grep -c "^ cookie=0x99," <<<"$o")" != "${step#*:}" ]; then
            echo "=== learn-delete: Open vSwitch does not have ${step#*:} learned flows after del-flows ${step%:*}:" >&2
            echo "$o" >&2
        elif [ "$o" == "$l" ]; then
            dsame=$((dsame + 1))
        else
            echo "=== learn-delete: dump-flows br0 after del-flows ${step%:*}" >&2
            diff <(echo "$o") <(echo "$l") | head -20 >&2 || true
        fi
    done
fi
# TRACE_KEEP=DIR keeps the traces and the three outputs of each scenario.
[ -n "${TRACE_KEEP:-}" ] && mkdir -p "$TRACE_KEEP" && cp "$RUN"/traces.* "$RUN"/ovs.* "$RUN"/svs.* "$RUN"/live.* "$TRACE_KEEP"/
echo "trace: offline: $same of $total traces identical ($raw byte for byte; the others differ only in the order of a flood's outputs)"
echo "trace: live (svs vswitchd, ovs-vsctl/ovs-ofctl/ovs-appctl): $lsame of $ltotal traces identical ($lraw byte for byte); dump-flows identical for $dsame of $dtotal bridge tables"
[ "$failed" -eq 0 ] && [ "$lfailed" -eq 0 ] && [ "$dsame" -eq "$dtotal" ] && { [ -n "${TRACE_ONLY:-}" ] || [ "$total" -ge 300 ]; } && [ "$ltotal" -eq "$total" ]
