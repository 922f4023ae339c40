#!/usr/bin/env bash
# Differential test of `svs vsctl` against the real ovs-vsctl: two real
# ovsdb-servers, each with a fresh Open_vSwitch database from Debian's
# vswitch.ovsschema; every line of session.txt runs with --no-wait through
# ovs-vsctl on the first and through `svs vsctl` on the second. For every
# command the exit status, the output and (on failure) the error message must
# agree; UUIDs are renamed by order of first appearance (or blanked in
# outputs whose order follows UUIDs). At the end both databases are dumped
# with ovsdb-client and compared (UUIDs blanked, lines sorted). Then the
# default (waiting) mode: with no ovs-vswitchd to bump cur_cfg, both tools
# wait until --timeout kills them, with the same status.
#
#   SVS=path/to/svs tests/vsctl/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/debug/svs}
[ -x "$SVS" ] || { echo "vsctl: no svs binary at $SVS (set SVS)" >&2; exit 2; }
for tool in ovsdb-tool ovsdb-server ovsdb-client ovs-vsctl; do
    command -v "$tool" >/dev/null || { echo "vsctl: $tool not installed" >&2; exit 2; }
done
schema=/usr/share/openvswitch/vswitch.ovsschema
. "$here/../lib/ovs.sh"      # stop_pid
RUN=$(mktemp -d /tmp/svs-vsctl.XXXXXX)

stop() {
    local side
    for side in ovs svs; do stop_pid "$(cat "$RUN/$side/pid" 2>/dev/null || true)"; done
    rm -rf "$RUN"
}
trap stop EXIT

for side in ovs svs; do
    mkdir -p "$RUN/$side"
    ovsdb-tool create "$RUN/$side/conf.db" "$schema"
    ovsdb-server "$RUN/$side/conf.db" --remote=punix:"$RUN/$side/db.sock" --pidfile="$RUN/$side/pid" \
        --unixctl="$RUN/$side/ctl" --detach --no-chdir --log-file="$RUN/$side/log" -vconsole:off
done
db_ovs=unix:$RUN/ovs/db.sock
db_svs=unix:$RUN/svs/db.sock

mapfile -t lines < <(grep -vE '^(#|$)' "$here/session.txt")

# Renames UUIDs in stdin: "<N>" by order of first appearance across the
# session (map file $1), or "<uuid>" when $2 is "blank".
uuid_re='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
rename() {
    local map=$1 mode=$2 text u n
    text=$(cat)
    if [ "$mode" = blank ]; then
        sed -E "s/$uuid_re/<uuid>/g" <<<"$text"
        return
    fi
    for u in $(grep -oE "$uuid_re" <<<"$text" || true); do
        if ! n=$(grep -m1 "^$u " "$map"); then
            n="$u <$(( $(wc -l <"$map") + 1 ))>"
            echo "$n" >>"$map"
        fi
        text=${text//$u/${n#* }}
    done
    printf '%s\n' "$text"
}

# Runs one session line through one tool; prints "status N", the output and,
# on failure, the first error line without the program name.
one() {
    local side=$1 map=$2 mode=$3 line=$4 out rc=0
    shift 4
    eval "words=($line)"
    if [ "$side" = ovs ]; then
        out=$(timeout 10 ovs-vsctl --db="$db_ovs" --no-wait "${words[@]}" 2>"$RUN/err") || rc=$?
    else
        out=$(timeout 10 "$SVS" vsctl --db="$db_svs" --no-wait "${words[@]}" 2>"$RUN/err") || rc=$?
    fi
    echo "status $rc"
    if [ "$mode" = blank ]; then out=$(sort <<<"$out"); fi
    rename "$map" "$mode" <<<"$out"
    if [ "$rc" != 0 ]; then
        { grep -v '|WARN|' "$RUN/err" || true; } | head -1 | sed -E 's/^(ovs-vsctl|svs vsctl): //' | rename "$map" blank
    fi
}

: >"$RUN/map.ovs"
: >"$RUN/map.svs"
fail=0
for line in "${lines[@]}"; do
    mode=number
    case $line in *'#sort') mode=blank; line=${line%'#sort'} ;; esac
    want=$(one ovs "$RUN/map.ovs" "$mode" "$line")
    got=$(one svs "$RUN/map.svs" "$mode" "$line")
    if [ "$want" != "$got" ]; then
        echo "vsctl: MISMATCH on: $line"
        diff <(echo "$want") <(echo "$got") | sed 's/^/    /' || true
        fail=$((fail + 1))
    fi
done

# The databases must end up equal.
dump() { ovsdb-client dump "$1" Open_vSwitch | sed -E "s/$uuid_re/<uuid>/g" | sort; }
if ! diff <(dump "$db_ovs") <(dump "$db_svs") >"$RUN/dbdiff"; then
    echo "vsctl: final databases differ (< ovs-vsctl, > svs vsctl):"
    sed 's/^/    /' "$RUN/dbdiff"
    fail=$((fail + 1))
fi

# Without --no-wait both wait for an ovs-vswitchd that never comes; --timeout
# ends them the same way.
rc_ovs=0; rc_svs=0
{ timeout 10 ovs-vsctl --db="$db_ovs" --timeout=1 add-br wbr; } 2>/dev/null || rc_ovs=$?
{ timeout 10 "$SVS" vsctl --db="$db_svs" --timeout=1 add-br wbr; } 2>/dev/null || rc_svs=$?
if [ "$rc_ovs" != "$rc_svs" ]; then
    echo "vsctl: waiting mode: ovs-vsctl exited $rc_ovs, svs vsctl $rc_svs"
    fail=$((fail + 1))
fi
# A read-only command does not wait.
rc_ovs=0; rc_svs=0
timeout 10 ovs-vsctl --db="$db_ovs" --timeout=5 list-br >/dev/null || rc_ovs=$?
timeout 10 "$SVS" vsctl --db="$db_svs" --timeout=5 list-br >/dev/null || rc_svs=$?
if [ "$rc_ovs" != 0 ] || [ "$rc_svs" != 0 ]; then
    echo "vsctl: read-only command in waiting mode: ovs-vsctl exited $rc_ovs, svs vsctl $rc_svs"
    fail=$((fail + 1))
fi

# Concurrent clients: 16 add-port at once on one bridge each read the
# bridge's ports and write them back; none may be lost.
"$SVS" vsctl --db="$db_svs" --no-wait add-br cc
pids=()
for i in $(seq 1 16); do
    timeout 20 "$SVS" vsctl --db="$db_svs" --no-wait add-port cc cc$i &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { echo "vsctl: a concurrent add-port failed"; fail=$((fail + 1)); }; done
got=$("$SVS" vsctl --db="$db_svs" list-ports cc | wc -l)
if [ "$got" != 16 ]; then
    echo "vsctl: concurrent add-port: $got ports of 16 on the bridge"
    fail=$((fail + 1))
fi
"$SVS" vsctl --db="$db_svs" --no-wait del-br cc

# Over TCP: the svs side's server also listens on a loopback port.
port=$((20000 + RANDOM % 20000))
ovs-appctl -t "$RUN/svs/ctl" ovsdb-server/add-remote "ptcp:$port:127.0.0.1"
for _ in $(seq 1 50); do ovs-vsctl --db="tcp:127.0.0.1:$port" list-br >/dev/null 2>&1 && break; sleep 0.1; done
want=$(ovs-vsctl --db="tcp:127.0.0.1:$port" --no-wait add-br tcpbr -- list-br 2>&1 || true)
got=$("$SVS" vsctl --db="tcp:127.0.0.1:$port" --no-wait del-br tcpbr -- list-br 2>&1 || true)
if [ "$want" != "$(printf '%s\ntcpbr' "$got" | LC_ALL=C sort | sed '/^$/d')" ]; then
    echo "vsctl: over tcp: ovs-vsctl listed \"$want\", svs vsctl (after del-br) \"$got\""
    fail=$((fail + 1))
fi

# No server: the same failure.
rc_ovs=0; rc_svs=0
ovs-vsctl --db="unix:$RUN/none.sock" list-br 2>"$RUN/none.ovs" || rc_ovs=$?
"$SVS" vsctl --db="unix:$RUN/none.sock" list-br 2>"$RUN/none.svs" || rc_svs=$?
msg_ovs="$rc_ovs $(sed -E 's/^ovs-vsctl: //' "$RUN/none.ovs")"
msg_svs="$rc_svs $(sed -E 's/^svs vsctl: //' "$RUN/none.svs")"
if [ "$msg_ovs" != "$msg_svs" ]; then
    echo "vsctl: without a server: ovs-vsctl \"$msg_ovs\", svs vsctl \"$msg_svs\""
    fail=$((fail + 1))
fi

# wait-until returns once another client makes the condition true, and a
# waiting change returns once "ovs-vswitchd" (here: ovs-vsctl setting
# cur_cfg) catches up with next_cfg. Both tools, each on its own database.
waits() {
    local name=$1 db=$2 db_side=$3 pid rc
    shift 3
    "$@" --db="$db" --timeout=10 wait-until Bridge wbr2 fail_mode=secure &
    pid=$!
    sleep 0.3
    ovs-vsctl --db="$db" --no-wait add-br wbr2
    sleep 0.3
    kill -0 "$pid" 2>/dev/null || { echo "vsctl: $name wait-until returned before its condition held"; return 1; }
    ovs-vsctl --db="$db" --no-wait set Bridge wbr2 fail_mode=secure
    rc=0; wait "$pid" || rc=$?
    [ "$rc" = 0 ] || { echo "vsctl: $name wait-until exited $rc"; return 1; }

    ovs-vsctl --db="$db" --no-wait set Open_vSwitch . cur_cfg=0
    "$@" --db="$db" --timeout=10 add-br wbr3 2>"$RUN/waits.$db_side.err" &
    pid=$!
    for _ in $(seq 1 50); do
        [ "$(ovs-vsctl --db="$db" --no-wait br-exists wbr3 && echo yes)" = yes ] && break
        sleep 0.1
    done
    sleep 0.3
    kill -0 "$pid" 2>/dev/null || { echo "vsctl: $name add-br did not wait for cur_cfg"; return 1; }
    ovs-vsctl --db="$db" --no-wait set Open_vSwitch . cur_cfg="$(ovs-vsctl --db="$db" get Open_vSwitch . next_cfg)"
    rc=0; wait "$pid" || rc=$?
    [ "$rc" = 0 ] || { echo "vsctl: $name add-br exited $rc after cur_cfg caught up"; return 1; }
}
waits ovs-vsctl "$db_ovs" ovs ovs-vsctl || fail=$((fail + 1))
waits "svs vsctl" "$db_svs" svs "$SVS" vsctl || fail=$((fail + 1))
# ... and both report the new interface that no ovs-vswitchd set up.
strip() { grep -v '|WARN|' "$1" | sed -E 's/^(ovs-vsctl|svs vsctl): //'; }
if ! diff <(strip "$RUN/waits.ovs.err") <(strip "$RUN/waits.svs.err") >/dev/null; then
    echo "vsctl: after the wait, messages differ:"
    diff <(strip "$RUN/waits.ovs.err") <(strip "$RUN/waits.svs.err") | sed 's/^/    /' || true
    fail=$((fail + 1))
fi

echo "vsctl: ${#lines[@]} commands, $fail mismatches"
[ "$fail" = 0 ]
