#!/usr/bin/env bash
# Differential test of the OpenFlow management protocol: the real ovs-ofctl
# drives a real Open vSwitch bridge (dummy datapath) and the same bridge in
# `svs vswitchd` (its br0.mgmt socket; SVS_TARGET=serve uses `svs
# openflow-serve`, a standalone bridge, instead) with the same commands; outputs must agree once durations and ages are masked
# and flow lines sorted (both dump in classifier order, which is hash order).
#
#   SVS=path/to/svs tests/ofctl/run.sh            session.txt, raw.py, then the corpus
#   CORPUS_STRIDE=N  takes every N-th flow of the parse-flow-actions corpus (default 4; 0 skips)
#
# raw.py sends malformed messages (truncated, unknown types, vendors,
# fields, actions, instructions, missing prerequisites) to both: the error
# replies must be the same and the connection must stay up.
#
# Part 3: every corpus flow the real switch accepts is added (after a
# del-flows) to both and dumped with -O OpenFlow10, 13 and 15: the dumps
# must be identical. Exits 1 on any difference, showing the first 20.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/debug/svs}
[ -x "$SVS" ] || { echo "ofctl: no svs binary at $SVS (set SVS)" >&2; exit 2; }
. "$here/../lib/ovs.sh"
ovs_start svs-ofctl
# Two dummy ports on both switches (ports, queues and port-mods of session.txt)
# and a patch port to a second bridge.
ports=(-- add-port br0 p1 -- set interface p1 type=dummy ofport_request=1
       -- add-port br0 p2 -- set interface p2 type=dummy ofport_request=2
       -- add-br br1 -- set bridge br1 datapath_type=dummy fail_mode=secure
       -- add-port br0 pa -- set interface pa type=patch options:peer=pb ofport_request=7
       -- add-port br1 pb -- set interface pb type=patch options:peer=pa)
ovs-vsctl --db=unix:"$RUN/db.sock" --timeout=10 add-br br0 -- set bridge br0 datapath_type=dummy fail_mode=secure other-config:datapath-id=0000000000000001 \
    "${ports[@]}"

# The svs side: `svs vswitchd` with its embedded database and the same
# bridge (SVS_TARGET=vswitchd, the default), or a standalone OpenFlow
# endpoint (SVS_TARGET=serve: `svs openflow-serve`).
SRUN=$(mktemp -d /tmp/svs-ofctl-svs.XXXXXX)
svs_pid=
cleanup() { [ -n "$svs_pid" ] && kill "$svs_pid" 2>/dev/null; rm -rf "$SRUN"; ovs_stop; }
trap cleanup EXIT
if [ "${SVS_TARGET:-vswitchd}" = vswitchd ]; then
    OVS_RUNDIR=$SRUN OVS_DBDIR=$SRUN OVS_LOGDIR=$SRUN timeout 20 "$SVS" vswitchd --pidfile --detach --log-file \
        --enable-dummy >/dev/null 2>&1 || { echo "ofctl: svs vswitchd did not start" >&2; exit 2; }
    svs_pid=$(cat "$SRUN/ovs-vswitchd.pid")
    ovs-vsctl --db=unix:"$SRUN/db.sock" --timeout=10 add-br br0 -- set bridge br0 datapath_type=dummy fail_mode=secure \
        other-config:datapath-id=0000000000000001 "${ports[@]}"
    svs_sock=$SRUN/br0.mgmt
else
    "$SVS" openflow-serve --fail-secure --bridge br0 --socket "$SRUN/svs-br0.mgmt" &
    svs_pid=$!
    svs_sock=$SRUN/svs-br0.mgmt
fi
for _ in $(seq 1 100); do [ -S "$svs_sock" ] && break; sleep 0.1; done
[ -S "$svs_sock" ] || { echo "ofctl: no svs management socket $svs_sock" >&2; exit 2; }

OVS_T=unix:$RUN/br0.mgmt
SVS_T=unix:$svs_sock
OVS_CTL=$RUN/ovs-vswitchd.$(cat "$RUN/ovs-vswitchd.pid").ctl
SVS_CTL=$SRUN/ovs-vswitchd.$svs_pid.ctl

# Masks what legitimately differs: durations, ages, and the order of flow lines.
normal() {
    sed -E 's/duration=[0-9.]+s/duration=D/; s/idle_age=[0-9]+/idle_age=A/; s/hard_age=[0-9]+/hard_age=A/; s/\(xid=0x[0-9a-f]+\)/(xid=X)/; s/addr:[0-9a-f:]{17}/addr:MAC/' |
        awk 'NR==1 || !/^ /{print; next} {print | "sort"}'
}
# Runs ovs-ofctl WORDS... with BR replaced by $1; prints status and normalised output.
run() {
    local target=$1; shift
    local args=() w
    for w in "$@"; do
        w=${w//BR/$target}; w=${w//FLOWS/$here/flows.txt}
        args+=("$w")
    done
    local out rc=0
    out=$(timeout 10 ovs-ofctl "${args[@]}" 2>&1) || rc=$?
    # Error texts name the target; keep only the OpenFlow error name.
    if (( rc != 0 )); then
        echo "rc=$rc $(grep -oE 'OFP[A-Z]+_[A-Z_]+|NX[A-Z]+_[A-Z_]+' <<<"$out" | head -1)"
    else
        echo "rc=0"; normal <<<"$out"
    fi
}

# `@appctl WORDS`: ovs-appctl WORDS on the daemon of $1 (a control socket).
appctl() {
    local ctl=$1; shift
    local out rc=0
    out=$(timeout 10 ovs-appctl -t "$ctl" "$@" 2>&1) || rc=$?
    echo "rc=$rc"
    # Masks the control socket's name, and the order of a flood's outputs
    # (OVS floods in hash order).
    local l
    while IFS= read -r l; do
        if [[ $l =~ ^Datapath\ actions:\ ([0-9,]+)$ ]]; then
            l="Datapath actions: $(tr , '\n' <<<"${BASH_REMATCH[1]}" | sort -n | paste -sd,)"
        fi
        printf '%s\n' "${l/#ovs-appctl: *: server returned/ovs-appctl: CTL: server returned}"
    done <<<"$out"
}
# `@monitor WORDS`: what `ovs-ofctl monitor BR 128` (a service connection
# asking for asynchronous messages) prints while ovs-ofctl WORDS runs on the
# target; `@monitor13`/`@monitor15`: the monitor speaks OpenFlow 1.3/1.5.
monitor() {
    local version=$1 target=$2; shift 2
    local log; log=$(mktemp "$RUN/monitor.XXXXXX")
    timeout 5 ovs-ofctl -O "$version" monitor "$target" 128 > "$log" 2>&1 &
    local mpid=$!
    sleep 1     # ovs-ofctl monitor connects and sends its settings
    run "$target" "$@" > /dev/null
    sleep 0.8
    kill "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null || true
    { grep -v fatal_signal "$log" || true; } | normal
}

bad=0 n=0 monitors=0 heard=0
while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    # `~LINE`: the output's lines are compared in any order and indentation
    # (a trace's flood crosses a patch port in hash order in Open vSwitch).
    sortall=0
    if [[ $line == '~'* ]]; then sortall=1; line=${line#\~}; fi
    if [[ $line == '@sleep '* ]]; then sleep "${line#@sleep }"; continue; fi
    if [[ $line == @* ]]; then
        read -r -a words <<<"${line#@}"
        n=$((n + 1))
        case ${words[0]} in
        appctl)
            a=$(appctl "$OVS_CTL" "${words[@]:1}")
            b=$(appctl "$SVS_CTL" "${words[@]:1}");;
        monitor|monitor13|monitor15)
            v=OpenFlow10; [[ ${words[0]} == monitor1[35] ]] && v=OpenFlow${words[0]#monitor}
            monitor "$v" "$OVS_T" "${words[@]:1}" > "$RUN/mon.ovs" &
            monitor "$v" "$SVS_T" "${words[@]:1}" > "$RUN/mon.svs"
            wait
            a=$(cat "$RUN/mon.ovs"); b=$(cat "$RUN/mon.svs")
            monitors=$((monitors + 1)); [[ -n $a ]] && heard=$((heard + 1));;
        *) echo "ofctl: unknown directive $line" >&2; exit 2;;
        esac
        if (( sortall )); then a=$(sed 's/^ *//' <<<"$a" | sort); b=$(sed 's/^ *//' <<<"$b" | sort); fi
        if [[ $a != "$b" ]]; then
            bad=$((bad + 1))
            if (( bad <= 20 )); then printf 'DIFFERS: %s\n--- ovs\n%s\n--- svs\n%s\n' "$line" "$a" "$b"; fi
        fi
        continue
    fi
    expect_fail=0
    if [[ $line == !* ]]; then expect_fail=1; line=${line#!}; fi
    read -r -a words <<<"$line"
    n=$((n + 1))
    a=$(run "$OVS_T" "${words[@]}")
    b=$(run "$SVS_T" "${words[@]}")
    # Port counters move while injected packets are still being forwarded
    # (a loaded host): ask both again for up to 3 s before calling it a difference.
    if (( sortall )); then a=$(sed 's/^ *//' <<<"$a" | sort); b=$(sed 's/^ *//' <<<"$b" | sort); fi
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [[ $a != "$b" && " ${words[*]} " == *" dump-ports "* ]] || break
        sleep 0.3
        a=$(run "$OVS_T" "${words[@]}")
        b=$(run "$SVS_T" "${words[@]}")
    done
    if [[ $a != "$b" ]]; then
        bad=$((bad + 1))
        if (( bad <= 20 )); then printf 'DIFFERS: ovs-ofctl %s\n--- ovs\n%s\n--- svs\n%s\n' "$line" "$a" "$b"; fi
    elif (( expect_fail )) && [[ $a == rc=0* ]]; then
        bad=$((bad + 1)); echo "EXPECTED FAILURE SUCCEEDED: $line"
    fi
done < "$here/session.txt"
echo "ofctl session: $((n - bad)) of $n commands agree ($heard of $monitors monitors saw port status)"

# Malformed and unusual messages: the same error replies, the connection lives.
python3 "$here/raw.py" "$RUN/br0.mgmt" > "$RUN/raw.ovs"
python3 "$here/raw.py" "$svs_sock" > "$RUN/raw.svs"
if diff "$RUN/raw.ovs" "$RUN/raw.svs" > "$RUN/raw.diff"; then
    echo "ofctl raw messages: $(wc -l < "$RUN/raw.ovs") replies agree"
else
    bad=$((bad + 1)); echo "ofctl raw messages differ (< ovs, > svs):"; cat "$RUN/raw.diff"
fi

stride=${CORPUS_STRIDE:-4}
same=0 cbad=0 refused=0
if (( stride > 0 )); then
    python3 "$here/../parse-flow-actions/gen_corpus.py" > "$RUN/corpus"
    for version in OpenFlow10 OpenFlow13 OpenFlow15; do
        i=0
        while IFS= read -r flow; do
            i=$((i + 1))
            (( i % stride == 0 )) || continue
            ovs-ofctl -O "$version" del-flows "$OVS_T" >/dev/null 2>&1 || true
            ovs-ofctl -O "$version" del-flows "$SVS_T" >/dev/null 2>&1 || true
            if ! ovs-ofctl -O "$version" add-flow "$OVS_T" "$flow" >/dev/null 2>&1; then
                refused=$((refused + 1)); continue
            fi
            if ! err=$(timeout 10 ovs-ofctl -O "$version" add-flow "$SVS_T" "$flow" 2>&1); then
                cbad=$((cbad + 1))
                (( cbad <= 20 )) && printf 'SVS REFUSED (-O %s): %s\n  %s\n' "$version" "$flow" "$err"
                continue
            fi
            a=$(ovs-ofctl -O "$version" dump-flows "$OVS_T" 2>&1 | normal)
            b=$(timeout 10 ovs-ofctl -O "$version" dump-flows "$SVS_T" 2>&1 | normal)
            if [[ $a == "$b" ]]; then
                same=$((same + 1))
            else
                cbad=$((cbad + 1))
                (( cbad <= 20 )) && printf 'DUMP DIFFERS (-O %s): %s\n  ovs: %s\n  svs: %s\n' "$version" "$flow" "$(tail -n +2 <<<"$a")" "$(tail -n +2 <<<"$b")"
            fi
        done < "$RUN/corpus"
    done
    echo "ofctl corpus: $same identical, $cbad differ ($refused refused by Open vSwitch)"
fi
(( bad == 0 && cbad == 0 ))
