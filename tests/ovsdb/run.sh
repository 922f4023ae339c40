#!/usr/bin/env bash
# svs's OVSDB server against the real Open vSwitch tools. Both servers (svs's
# `svs ovsdb-server` and Open vSwitch's `ovsdb-server`) start from a fresh
# database made from the installed vswitch.ovsschema, each in a private
# directory; then:
#   1. the real ovs-vsctl runs vsctl-session.txt against both: outputs,
#      errors and exit statuses must agree (UUIDs and row order normalised);
#   2. the real ovsdb-client: list-dbs, get-schema, list-tables,
#      list-columns, transact, dump, and monitor / monitor-cond /
#      monitor-cond-since in the background while ovs-vsctl changes the
#      database: the updates must agree;
#   3. the Python `ovs` IDL connects to both, reads, commits, and agrees;
#   4. bad input on a raw socket: error replies, the connection lives, the
#      database is unchanged; the transaction errors agree with the real
#      server's;
#   5. durability: SIGKILL during a stream of transactions, restart: every
#      acknowledged transaction is there; a torn tail is dropped; the real
#      ovsdb-tool reads svs's file.
#
#   SVS=path/to/svs tests/ovsdb/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/debug/svs}
[ -x "$SVS" ] || { echo "ovsdb: no svs binary at $SVS (set SVS)" >&2; exit 2; }
SVS=$(cd "$(dirname "$SVS")" && pwd)/$(basename "$SVS")
for t in ovsdb-tool ovsdb-server ovsdb-client ovs-vsctl python3; do
    command -v $t >/dev/null || { echo "ovsdb: $t not installed" >&2; exit 2; }
done
schema=/usr/share/openvswitch/vswitch.ovsschema
RUN=$(mktemp -d /tmp/svs-ovsdb.XXXXXX)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$RUN"
}
trap cleanup EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }
norm() { python3 "$here/normalize.py"; }

# start_svs DIR: svs's server on DIR/db.sock (DIR/conf.db must exist).
start_svs() {
    "$SVS" ovsdb-server --remote=punix:"$1/db.sock" --pidfile="$1/pid" "$1/conf.db" 2>>"$1/log" &
    pids+=($!)
    svs_pid=$!
    for _ in $(seq 1 100); do [ -S "$1/db.sock" ] && [ -s "$1/pid" ] && return 0; sleep 0.1; done
    echo "ovsdb: svs ovsdb-server did not start" >&2; cat "$1/log" >&2; exit 2
}
start_ovs() {
    ovsdb-server "$1/conf.db" --remote=punix:"$1/db.sock" --pidfile="$1/pid" --unixctl="$1/ctl" \
        --no-chdir --log-file="$1/log" -vconsole:off &
    pids+=($!)
    for _ in $(seq 1 100); do [ -S "$1/db.sock" ] && return 0; sleep 0.1; done
    echo "ovsdb: ovsdb-server did not start" >&2; exit 2
}

mkdir -p "$RUN/svs" "$RUN/ovs"
"$SVS" ovsdb-tool create "$RUN/svs/conf.db" "$schema"
ovsdb-tool create "$RUN/ovs/conf.db" "$schema"
start_svs "$RUN/svs"
start_ovs "$RUN/ovs"
S=unix:$RUN/svs/db.sock
O=unix:$RUN/ovs/db.sock

# --- 1. ovs-vsctl -------------------------------------------------------
mapfile -t lines < <(grep -vE '^(#|$)' "$here/vsctl-session.txt")
n=0
for line in "${lines[@]}"; do
    eval "words=($line)"
    for side in svs ovs; do
        db=$S; [ $side = ovs ] && db=$O
        set +e
        timeout 20 ovs-vsctl --db="$db" --timeout=10 --no-wait "${words[@]}" >"$RUN/$side.out" 2>"$RUN/$side.err"
        printf '\n\nstatus %s\n' $? >>"$RUN/$side.out"
        set -e
        sed -E 's/^ovs-vsctl: //' "$RUN/$side.err" >>"$RUN/$side.out"
    done
    if ! diff <(norm <"$RUN/ovs.out") <(norm <"$RUN/svs.out") >"$RUN/diff"; then
        fail "ovs-vsctl $line"
        sed 's/^/    /' "$RUN/diff"
    fi
    n=$((n + 1))
done
echo "ovs-vsctl: $n commands compared"

# --- 2. ovsdb-client ----------------------------------------------------
client_same() {  # client_same ARGS... (use @DB@ for the remote)
    local side out
    for side in svs ovs; do
        db=$S; [ $side = ovs ] && db=$O
        set +e
        timeout 20 ovsdb-client "${@//@DB@/$db}" >"$RUN/$side.out" 2>&1
        printf '\n\nstatus %s\n' $? >>"$RUN/$side.out"
        set -e
    done
    if ! diff <(norm <"$RUN/ovs.out") <(norm <"$RUN/svs.out") >"$RUN/diff"; then
        fail "ovsdb-client $*"
        sed 's/^/    /' "$RUN/diff" | head -40
    fi
}
client_same list-dbs @DB@
client_same get-schema @DB@ Open_vSwitch
client_same get-schema-version @DB@ Open_vSwitch
client_same list-tables @DB@ Open_vSwitch
client_same list-columns @DB@ Open_vSwitch Interface
client_same dump @DB@ Open_vSwitch Bridge name external_ids other_config
client_same dump @DB@ Open_vSwitch Port name tag trunks
client_same transact @DB@ '["Open_vSwitch",{"op":"select","table":"Bridge","where":[["name","==","br0"]],"columns":["name","datapath_type"]}]'
client_same transact @DB@ '["Open_vSwitch",{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["external_ids","insert",["map",[["a","b"]]]]]},{"op":"select","table":"Open_vSwitch","where":[],"columns":["external_ids"]}]'
client_same transact @DB@ '["Open_vSwitch",{"op":"insert","table":"Bridge","row":{"name":7}}]'
client_same transact @DB@ '["Open_vSwitch",{"op":"insert","table":"Nope","row":{}}]'
client_same transact @DB@ '["Open_vSwitch",{"op":"update","table":"Bridge","where":[["name","==","br0"]],"row":{"stp_enable":"yes"}}]'
client_same transact @DB@ '["Open_vSwitch",{"op":"delete","table":"Bridge","where":[]}]'
client_same transact @DB@ '["Open_vSwitch",{"op":"wait","table":"Bridge","timeout":0,"where":[["name","==","br0"]],"columns":["name"],"until":"==","rows":[]}]'
client_same transact @DB@ '["Open_vSwitch",{"op":"frob"}]'
client_same transact @DB@ '["Open_vSwitch",{"op":"assert","lock":"nolock"}]'
client_same transact @DB@ '["Nope"]'
client_same dump @DB@ _Server Database name model leader connected

# Monitors in the background while ovs-vsctl changes the database.
for how in monitor monitor-all monitor-cond monitor-cond-since; do
    for side in svs ovs; do
        db=$S; [ $side = ovs ] && db=$O
        case $how in
        monitor) args=(monitor "$db" Open_vSwitch Bridge name,external_ids,fail_mode) ;;
        monitor-all) args=(monitor "$db" Open_vSwitch Open_vSwitch) ;;  # every column
        *) args=($how "$db" Open_vSwitch '[["name","!=","brX"]]' Bridge name,external_ids,fail_mode) ;;
        esac
        timeout 30 ovsdb-client "${args[@]}" >"$RUN/$side.mon" 2>&1 &
        mon=$!
        pids+=($mon)
        # The initial contents printed: the monitor is in place.
        for _ in $(seq 1 200); do grep -q initial "$RUN/$side.mon" 2>/dev/null && break; sleep 0.1; done
        grep -q initial "$RUN/$side.mon" || fail "ovsdb-client $how ($side): no initial contents"
        v="ovs-vsctl --db=$db --timeout=10 --no-wait"
        $v set Bridge br0 external_ids:mon=$how
        $v add-br brM -- set Bridge brM fail_mode=standalone
        $v add-br brX
        $v set Bridge brX external_ids:x=1
        $v del-br brM -- del-br brX
        $v remove Bridge br0 external_ids mon
        sleep 0.5
        kill $mon 2>/dev/null || true
        wait $mon 2>/dev/null || true
    done
    # Each update is a block of rows; compare the sequence of normalised blocks.
    if ! diff <(grep -v fatal_signal "$RUN/ovs.mon" | norm) <(grep -v fatal_signal "$RUN/svs.mon" | norm) >"$RUN/diff"; then
        fail "ovsdb-client $how"
        sed 's/^/    /' "$RUN/diff" | head -40
    fi
    [ $how = monitor-all ] || grep -q "brM" "$RUN/svs.mon" || fail "ovsdb-client $how: no update for brM"
done
echo "ovsdb-client: compared"

# --- 3. Python IDL ------------------------------------------------------
for side in svs ovs; do
    db=$S; [ $side = ovs ] && db=$O
    timeout 30 python3 -W ignore "$here/idl.py" "$db" "$schema" >"$RUN/$side.idl" 2>&1 || echo "status $?" >>"$RUN/$side.idl"
done
if ! diff "$RUN/ovs.idl" "$RUN/svs.idl" >"$RUN/diff"; then
    fail "python IDL"
    sed 's/^/    /' "$RUN/diff"
fi
grep -q "committed: success" "$RUN/svs.idl" || { fail "python IDL did not commit"; cat "$RUN/svs.idl"; }
echo "python IDL: compared"

# --- 4. bad input ---------------------------------------------------------
before=$(ovsdb-client dump "$S" Open_vSwitch | norm)
python3 "$here/badinput.py" "$RUN/svs/db.sock" >"$RUN/bad.out" 2>&1 || { fail "bad input"; cat "$RUN/bad.out"; }
after=$(ovsdb-client dump "$S" Open_vSwitch | norm)
[ "$before" = "$after" ] || fail "bad input changed the database"
echo "bad input: checked"

# --- 5. durability --------------------------------------------------------
D=$RUN/dur
mkdir -p "$D"
"$SVS" ovsdb-tool create "$D/conf.db" "$schema"
start_svs "$D"
ovs-vsctl --db=unix:"$D/db.sock" --no-wait init
: >"$D/acked"
timeout 60 python3 "$here/stream.py" "$D/db.sock" "$D/acked" 100000 2>"$D/stream.err" &
streamer=$!
pids+=($streamer)
for _ in $(seq 1 100); do [ "$(wc -l <"$D/acked" 2>/dev/null || echo 0)" -ge 300 ] && break; sleep 0.05; done
kill -9 "$svs_pid"
wait "$svs_pid" 2>/dev/null || true
wait "$streamer" 2>/dev/null || true
acked=$(wc -l <"$D/acked")
rm -f "$D/db.sock"
start_svs "$D"
ovsdb-client transact unix:"$D/db.sock" '["Open_vSwitch",{"op":"select","table":"Open_vSwitch","where":[],"columns":["external_ids"]}]' >"$D/after.json"
python3 - "$D/acked" "$D/after.json" <<'PY' || fail "durability: acknowledged transactions lost"
import json, sys
acked = [l.strip() for l in open(sys.argv[1]) if l.strip()]
res = json.load(open(sys.argv[2]))
keys = {k for k, v in res[0]["rows"][0]["external_ids"][1]}
missing = [a for a in acked if a not in keys]
print(f"durability: {len(acked)} acknowledged, {len(keys)} present, {len(missing)} missing")
sys.exit(1 if missing or not acked else 0)
PY
[ "$acked" -ge 300 ] || fail "durability: only $acked transactions before the kill"
kill "$svs_pid"; wait "$svs_pid" 2>/dev/null || true
# The real ovsdb-tool reads svs's file.
ovsdb-tool show-log "$D/conf.db" >"$D/show-log" || fail "ovsdb-tool show-log on svs's file"
grep -q '^record 0:' "$D/show-log" || fail "ovsdb-tool show-log: no records"
ovsdb-tool query "$D/conf.db" '["Open_vSwitch",{"op":"select","table":"Open_vSwitch","where":[],"columns":["external_ids"]}]' >"$D/query.json" \
    || fail "ovsdb-tool query on svs's file"
cmp <(python3 -c 'import json,sys; print(sorted(k for k,v in json.load(open(sys.argv[1]))[0]["rows"][0]["external_ids"][1]))' "$D/query.json") \
    <(python3 -c 'import json,sys; print(sorted(k for k,v in json.load(open(sys.argv[1]))[0]["rows"][0]["external_ids"][1]))' "$D/after.json") \
    || fail "ovsdb-tool query disagrees with svs"
# A torn tail (half a record) is dropped on restart; the rest stays.
size=$(stat -c %s "$D/conf.db")
printf 'OVSDB JSON 200 0123456789012345678901234567890123456789\n{"Open_vSwitch":{' >>"$D/conf.db"
rm -f "$D/db.sock"
start_svs "$D"
grep -q "torn" "$D/log" || fail "torn tail not reported"
ovsdb-client transact unix:"$D/db.sock" '["Open_vSwitch",{"op":"select","table":"Open_vSwitch","where":[],"columns":["external_ids"]}]' >"$D/after2.json"
cmp "$D/after.json" "$D/after2.json" || fail "torn tail: contents changed"
ovs-vsctl --db=unix:"$D/db.sock" --no-wait add-br brT || fail "write after torn tail"
kill "$svs_pid"; wait "$svs_pid" 2>/dev/null || true
ovsdb-tool show-log "$D/conf.db" >/dev/null || fail "ovsdb-tool show-log after torn-tail recovery"
[ "$(stat -c %s "$D/conf.db")" -gt "$size" ] || fail "torn tail: nothing appended"
echo "durability: checked ($acked acknowledged before SIGKILL)"

if [ $failed -ne 0 ]; then echo "ovsdb: FAILED"; exit 1; fi
echo "ovsdb: all passed"
