#!/usr/bin/env bash
# svs vswitchd and its control socket, driven by the real Open vSwitch tools.
#
# Starts `svs vswitchd --detach` in a private run directory and a real
# ovs-vswitchd (dummy datapaths, tests/lib/ovs.sh) in another, then checks
# with the REAL ovs-appctl (and `svs appctl`): list-commands, version,
# vlog/list, vlog/set, vlog/list-pattern, coverage/show, memory/show, the
# log file, command errors, and a differential dpctl/* session
# (dpctl-session.txt) whose outputs must agree with the real daemon's; that
# the embedded database answers the real ovsdb-client and ovs-vsctl; that
# SIGTERM and `exit` remove the pid file and sockets; that a stale pid file
# is reported as ovs-appctl reports it and replaced on restart. Run as root.
#
#   SVS=path/to/svs tests/appctl/run.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/debug/svs}
[ -x "$SVS" ] || { echo "appctl: no svs binary at $SVS (set SVS)" >&2; exit 2; }
SVS=$(cd "$(dirname "$SVS")" && pwd)/$(basename "$SVS")
. "$here/../lib/ovs.sh"
ovs_start svs-appctl-ovs || exit 2
OVS_RUN=$RUN
SRUN=$(mktemp -d /tmp/svs-appctl.XXXXXX)

# Stops every svs daemon this suite started (by pid), then the real OVS.
svs_pids=()
svs_stop() {
    local pid
    for pid in "${svs_pids[@]}"; do stop_pid "$pid"; done
    rm -rf "$SRUN"
}
trap 'svs_stop; ovs_stop' EXIT

failed=0
passed=0
# check NAME COMMAND...: runs a check, counts it, prints a line on failure.
check() {
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "appctl: FAILED: $name"
    fi
}
# same NAME A B: A and B must be equal (shows a diff otherwise).
same() {
    if [ "$2" == "$3" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "appctl: FAILED: $1"
        diff <(echo "$2") <(echo "$3") | head -20 | sed 's/^/    /'
    fi
}

# Both daemons, through the real ovs-appctl.
ovs() { OVS_RUNDIR=$OVS_RUN timeout 10 ovs-appctl "$@"; }
svs() { OVS_RUNDIR=$SRUN timeout 10 ovs-appctl "$@"; }
# Output, stderr and exit status of one command, as one text.
run_ovs() { local out err rc; out=$(ovs "$@" 2>"$OVS_RUN/err"); rc=$?; printf '%s\n--stderr--\n%s\n--rc %s' "$out" "$(cat "$OVS_RUN/err")" "$rc"; }
run_svs() { local out err rc; out=$(svs "$@" 2>"$SRUN/err"); rc=$?; printf '%s\n--stderr--\n%s\n--rc %s' "$out" "$(cat "$SRUN/err")" "$rc"; }

start_svs() {
    OVS_RUNDIR=$SRUN OVS_DBDIR=$SRUN OVS_LOGDIR=$SRUN timeout 20 "$SVS" vswitchd --pidfile --detach --log-file \
        --enable-dummy -vconsole:off "$@"
}
svs_pid() { cat "$SRUN/ovs-vswitchd.pid" 2>/dev/null; }

# --- Start: --detach returns once the daemon is ready.
start_svs
rc=$?
pid=$(svs_pid)
[ -n "$pid" ] && svs_pids+=("$pid")
check "--detach exits 0" test "$rc" = 0
check "pid file names a live process" kill -0 "${pid:-0}"
check "control socket ovs-vswitchd.PID.ctl" test -S "$SRUN/ovs-vswitchd.$pid.ctl"
check "database socket db.sock" test -S "$SRUN/db.sock"
check "database file conf.db created" test -s "$SRUN/conf.db"
check "detached daemon is not a child of this shell" test "$(ps -o ppid= -p "${pid:-0}" | tr -d ' ')" != "$$"
if [ "$rc" != 0 ] || [ -z "$pid" ]; then
    echo "appctl: svs vswitchd did not start; log:"
    cat "$SRUN/ovs-vswitchd.log" 2>/dev/null
    exit 1
fi

# --- version: Open vSwitch's shape, svs's own truth.
shape='^ovs-vswitchd \([^)]+\) [0-9]+\.[0-9]+\.[0-9]+$'
check "real version has the shape" grep -Eq "$shape" <<<"$(ovs version)"
check "svs version has the shape" grep -Eq "$shape" <<<"$(svs version)"
same "version is svs vswitchd --version" "$(svs version)" "$("$SVS" vswitchd --version)"

# --- list-commands: every svs command is one of Open vSwitch's, with the same usage line.
svs_list=$(svs list-commands)
ovs_list=$(ovs list-commands)
same "list-commands header" "$(head -1 <<<"$svs_list")" "$(head -1 <<<"$ovs_list")"
missing=$(comm -23 <(tail -n +2 <<<"$svs_list" | sort) <(tail -n +2 <<<"$ovs_list" | sort))
same "list-commands lines are Open vSwitch's (name and usage)" "$missing" ""
same "list-commands sorted" "$(tail -n +2 <<<"$svs_list")" "$(tail -n +2 <<<"$svs_list" | LC_ALL=C sort)"
for c in version list-commands exit vlog/list vlog/set vlog/list-pattern coverage/show memory/show \
    dpctl/show dpctl/dump-dps dpctl/dump-flows dpctl/add-flow dpctl/mod-flow dpctl/del-flow dpctl/del-flows \
    dpctl/get-flow dpctl/add-if dpctl/del-if dpctl/add-dp dpctl/del-dp \
    dpif-netdev/pmd-stats-show dpif-netdev/pmd-stats-clear dpif-netdev/pmd-rxq-show; do
    check "list-commands has $c" grep -Eq "^  $c( |$)" <<<"$svs_list"
done

# --- Command errors, as the real daemon gives them.
same "unknown command" "$(run_svs no/such-command)" "$(run_ovs no/such-command)"
same "too many arguments" "$(run_svs version extra)" "$(run_ovs version extra)"
same "exit takes at most 1" "$(run_svs exit a b)" "$(run_ovs exit a b)"
same "vlog/set bad spec" "$(run_svs vlog/set no-such-module)" "$(run_ovs vlog/set no-such-module)"
same "vlog/set two levels" "$(run_svs vlog/set info:dbg)" "$(run_ovs vlog/set info:dbg)"
same "vlog/set two destinations" "$(run_svs vlog/set file:console)" "$(run_ovs vlog/set file:console)"
same "vlog/set FACILITY:local3" "$(run_svs vlog/set FACILITY:local3)" "$(run_ovs vlog/set FACILITY:local3)"
same "vlog/set FACILITY:bad" "$(run_svs vlog/set FACILITY:nosuch)" "$(run_ovs vlog/set FACILITY:nosuch)"
same "vlog/set bad pattern destination" "$(run_svs vlog/set PATTERN:nowhere:%m)" "$(run_ovs vlog/set PATTERN:nowhere:%m)"

# --- vlog/list and vlog/set.
svs_vlog=$(svs vlog/list)
ovs_vlog=$(ovs vlog/list)
same "vlog/list header" "$(head -2 <<<"$svs_vlog")" "$(head -2 <<<"$ovs_vlog")"
row='^[a-z_0-9]+ +(OFF|EMER|ERR|WARN|INFO|DBG) +(OFF|EMER|ERR|WARN|INFO|DBG) +(OFF|EMER|ERR|WARN|INFO|DBG)$'
check "real vlog/list rows have the shape" test -z "$(tail -n +3 <<<"$ovs_vlog" | grep -Ev "$row")"
check "svs vlog/list rows have the shape" test -z "$(tail -n +3 <<<"$svs_vlog" | grep -Ev "$row")"
same "vlog/list sorted" "$(tail -n +3 <<<"$svs_vlog")" "$(tail -n +3 <<<"$svs_vlog" | LC_ALL=C sort)"
for m in vswitchd unixctl dpif_netdev; do
    same "vlog/list row $m" "$(grep "^$m " <<<"$svs_vlog")" "$(grep "^$m " <<<"$ovs_vlog")"
done
for spec in "vswitchd:file:dbg" "dpif_netdev:syslog:warn" "unixctl:err" "console:emer" "ANY:file:info" "vswitchd:dbg"; do
    same "vlog/set $spec" "$(run_svs vlog/set "$spec")" "$(run_ovs vlog/set "$spec")"
    for m in vswitchd unixctl dpif_netdev; do
        same "vlog/list row $m after vlog/set $spec" "$(svs vlog/list | grep "^$m ")" "$(ovs vlog/list | grep "^$m ")"
    done
done
same "vlog/list-pattern" "$(svs vlog/list-pattern)" "$(ovs vlog/list-pattern)"
same "vlog/set PATTERN" "$(run_svs vlog/set 'PATTERN:console:%c|%p|%m')" "$(run_ovs vlog/set 'PATTERN:console:%c|%p|%m')"
same "vlog/list-pattern after PATTERN" "$(svs vlog/list-pattern)" "$(ovs vlog/list-pattern)"

# --- The log file: Open vSwitch's line format; debug lines appear once enabled.
svs vlog/set unixctl:file:dbg >/dev/null
ovs vlog/set unixctl:file:dbg >/dev/null
svs version >/dev/null
ovs version >/dev/null
sleep 0.5   # ovs-vswitchd writes its log asynchronously
line='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\|[0-9]{5}\|[a-z_0-9]+(\([^)]*\))?\|(EMER|ERR|WARN|INFO|DBG)\|'
# (A message may span lines: Open vSwitch logs replies ending in a newline.)
bad=$(grep -E '^[0-9]{4}-' "$OVS_RUN/ovs-vswitchd.log" | grep -Ev "$line")
check "real log lines have the shape: $bad" test -z "$bad"
bad=$(grep -E '^[0-9]{4}-' "$SRUN/ovs-vswitchd.log" | grep -Ev "$line")
check "svs log lines have the shape: $bad" test -z "$bad"
check "svs log has no stray lines" test -z "$(grep -Ev '^[0-9]{4}-' "$SRUN/ovs-vswitchd.log")"
check "svs log opens with 'opened log file'" grep -q "|00001|vlog|INFO|opened log file $SRUN/ovs-vswitchd.log\$" "$SRUN/ovs-vswitchd.log"
message() { grep '|unixctl' "$1" | grep 'received request version' | tail -1 | cut -d'|' -f4-; }
same "unixctl debug line" "$(message "$SRUN/ovs-vswitchd.log")" "$(message "$OVS_RUN/ovs-vswitchd.log")"
check "unixctl debug line present" test -n "$(message "$SRUN/ovs-vswitchd.log")"
svs vlog/set unixctl:file:info >/dev/null
ovs vlog/set unixctl:file:info >/dev/null
n=$(grep -c 'received request' "$SRUN/ovs-vswitchd.log")
svs version >/dev/null
same "no debug line at info" "$(grep -c 'received request' "$SRUN/ovs-vswitchd.log")" "$n"

# Rotation: vlog/reopen of the same file does nothing; after a rename the
# old file ends with "closing log file" and the new one begins with "opened
# log file"; vlog/close stops the file, vlog/reopen starts it again.
messages() { cut -d'|' -f3- "$1" | sed -e "s|$2|DIR|g" -e 's/^\([a-z_]*\)([^)]*)/\1/'; }
for who in ovs svs; do
    dir=$OVS_RUN; [ $who = svs ] && dir=$SRUN
    log=$dir/ovs-vswitchd.log
    n=$(wc -l <"$log")
    $who vlog/reopen >/dev/null
    check "$who: vlog/reopen of the same file writes nothing" test "$(wc -l <"$log")" = "$n"
    mv "$log" "$log.1"
    $who vlog/reopen >/dev/null
    $who vlog/close >/dev/null
    $who version >/dev/null
    $who vlog/reopen >/dev/null
    sleep 0.5   # ovs-vswitchd writes its log asynchronously
    tail -1 "$log.1" >"$dir/rotation.old"
    grep -v '|unixctl' "$log" >"$dir/rotation.new"
done
# (ovs-vswitchd's own "closing log file" goes through its asynchronous
# writer of the old file and is sometimes lost: svs's is checked alone.)
same "rotated log: last line of the old file" "$(messages "$SRUN/rotation.old" "$SRUN")" "vlog|INFO|closing log file"
same "rotated log: the new file after close and reopen" "$(messages "$SRUN/rotation.new" "$SRUN")" \
    "$(messages "$OVS_RUN/rotation.new" "$OVS_RUN")"
check "rotated log: svs's new file is not empty" test -s "$SRUN/rotation.new"

# --- coverage/show and memory/show: Open vSwitch's shapes.
head_re='^Event coverage, avg rate over last: 5 seconds, last minute, last hour,  hash=[0-9a-f]{8}:$'
counter_re='^[a-z_0-9]+ +[0-9]+\.[0-9]/sec +[0-9]+\.[0-9]{3}/sec +[0-9]+\.[0-9]{4}/sec   total: [0-9]+$'
tail_re='^[0-9]+ events never hit$'
for who in ovs svs; do
    out=$($who coverage/show)
    check "$who coverage/show header" grep -Eq "$head_re" <<<"$(head -1 <<<"$out")"
    check "$who coverage/show counters" test -z "$(sed '1d;$d' <<<"$out" | grep -Ev "$counter_re")"
    check "$who coverage/show never hit" grep -Eq "$tail_re" <<<"$(tail -1 <<<"$out")"
done
# Counters of the same widths as Open vSwitch's: the name column is 24 wide.
check "svs coverage counts unixctl requests" grep -Eq '^unixctl_received +.*total: [1-9][0-9]*$' <<<"$(svs coverage/show)"
same "coverage/read-counter of a missing counter" "$(run_svs coverage/read-counter no_such)" "$(run_ovs coverage/read-counter no_such)"
mem_re='^([A-Za-z0-9_-]+:[0-9]+)( [A-Za-z0-9_-]+:[0-9]+)*$'
check "real memory/show shape" grep -Eq "$mem_re" <<<"$(ovs memory/show)"
check "svs memory/show shape" grep -Eq "$mem_re" <<<"$(svs memory/show)"
check "svs memory/show sorted" test "$(svs memory/show | tr ' ' '\n')" == "$(svs memory/show | tr ' ' '\n' | LC_ALL=C sort)"

# --- svs appctl says what ovs-appctl says.
svsctl() { OVS_RUNDIR=$SRUN timeout 10 "$SVS" appctl "$@"; }
same "svs appctl version" "$(svsctl version)" "$(svs version)"
same "svs appctl list-commands" "$(svsctl list-commands)" "$svs_list"
same "svs appctl vlog/list" "$(svsctl vlog/list)" "$(svs vlog/list)"
same "svs appctl -t PATH" "$(svsctl -t "$SRUN/ovs-vswitchd.$pid.ctl" version)" "$(svs version)"
same "svs appctl --target=NAME" "$(svsctl --target=ovs-vswitchd version)" "$(svs version)"
same "svs appctl against the real daemon" "$(OVS_RUNDIR=$OVS_RUN timeout 10 "$SVS" appctl dpctl/dump-dps)" "$(ovs dpctl/dump-dps)"
out=$(svsctl no/such-command 2>"$SRUN/err"); rc=$?
same "svs appctl error status" "$rc" 2
same "svs appctl error text" "$(head -1 "$SRUN/err")" "$(svs no/such-command 2>&1 | head -1)"
same "svs appctl error trailer" "$(tail -1 "$SRUN/err")" "svs appctl: ovs-vswitchd: server returned an error"
OVS_RUNDIR=$SRUN "$SVS" appctl -t nosuch version 2>"$SRUN/err"; rc=$?
same "svs appctl missing pidfile status" "$rc" 1
same "svs appctl missing pidfile text" "$(sed 's/^svs appctl: //' "$SRUN/err")" \
    "$(OVS_RUNDIR=$SRUN ovs-appctl -t nosuch version 2>&1 | grep -v '|' | sed 's/^ovs-appctl: //')"

# --- dpctl/*: a differential session on a datapath of the same name.
# svs starts with netdev@ovs-netdev (the real daemon has it only once a
# netdev bridge exists): delete it, so both have only the session's.
same "dpctl/del-dp ovs-netdev" "$(run_svs dpctl/del-dp netdev@ovs-netdev)" "$(printf '\n--stderr--\n\n--rc 0')"
dp=netdev@svs-appctl
same "dpctl/add-dp" "$(run_svs dpctl/add-dp "$dp")" "$(run_ovs dpctl/add-dp "$dp")"
# Normalises one output: flow lines sorted, ages and UFIDs (random in both)
# dropped; the local port's
# type is the datapath's own internal port on both sides (tap in Open
# vSwitch, dummy-internal in svs --enable-dummy). `dump-flows -m`'s
# `dp-extra-info:miniflow_bits(U0,U1)` counts words of OVS's own struct flow
# layout, which svs's flow key does not share: it is dropped.
normal() {
    sed -E -e 's/used:[0-9.]+s/used:AGE/' -e 's/, dp-extra-info:miniflow_bits\([0-9]+,[0-9]+\)$//' -e 's/ufid:[0-9a-f-]{36}/ufid:UFID/' -e 's/^(  port 0: [^ ]+) \((tap|internal|dummy-internal)\)$/\1 (LOCAL)/' |
        { grep -v '^flow-dump from' || true; } | sort
}
mapfile -t lines < <(grep -vE '^(#|$)' "$here/dpctl-session.txt")
dp_failed=0
known=0
agreeing_known=0
for l in "${lines[@]}"; do
    expect_difference=false
    if [ "${l:0:2}" = "! " ]; then expect_difference=true; l=${l:2}; fi
    l=${l//DP_NAME/${dp#*@}}
    eval "words=(${l//DP/$dp})"
    o=$(run_ovs "dpctl/${words[0]}" "${words[@]:1}" | normal)
    s=$(run_svs "dpctl/${words[0]}" "${words[@]:1}" | normal)
    if [ "$o" == "$s" ]; then
        if $expect_difference; then
            agreeing_known=$((agreeing_known + 1))
            echo "appctl: known difference now agrees (remove its '!'): dpctl/$l"
        fi
        continue
    fi
    if $expect_difference; then
        known=$((known + 1))
        echo "appctl: known difference: dpctl/$l"
    else
        dp_failed=$((dp_failed + 1))
        echo "appctl: dpctl MISMATCH on: dpctl/$l"
    fi
    diff <(echo "$o") <(echo "$s") | sed 's/^/    /'
done
same "dpctl session: commands that differ" "$dp_failed" 0
echo "appctl: dpctl session: ${#lines[@]} commands, $dp_failed differ, $known known differences, $agreeing_known known now agreeing"

# dpif-netdev/pmd-stats-show: the same counters, in the same layout (no
# traffic on either side: all zero).
for args in "" "$dp" "${dp#*@}" "-pmd 0 ${dp#*@}" "netdev@no-such"; do
    same "dpif-netdev/pmd-stats-show $args" "$(run_svs dpif-netdev/pmd-stats-show $args)" \
        "$(run_ovs dpif-netdev/pmd-stats-show $args)"
done
same "dpif-netdev/pmd-stats-clear" "$(run_svs dpif-netdev/pmd-stats-clear)" "$(run_ovs dpif-netdev/pmd-stats-clear)"
# dpif-netdev/pmd-rxq-show: no pmd thread on either side (ports are polled
# by the main thread), so the header and the argument handling.
for args in "" "$dp" "${dp#*@}" "-pmd 0" "-secs 7" "-secs 0" "-secs 100" "-secs x ${dp#*@}" "netdev@no-such"; do
    same "dpif-netdev/pmd-rxq-show $args" "$(run_svs dpif-netdev/pmd-rxq-show $args)" \
        "$(run_ovs dpif-netdev/pmd-rxq-show $args)"
done
same "dpif-netdev/pmd-stats-show, no datapath" "$(run_svs dpctl/del-dp "$dp"; run_svs dpif-netdev/pmd-stats-show)" \
    "$(run_ovs dpctl/del-dp "$dp"; run_ovs dpif-netdev/pmd-stats-show)"
same "dpif-netdev/pmd-rxq-show, no datapath" "$(run_svs dpif-netdev/pmd-rxq-show)" "$(run_ovs dpif-netdev/pmd-rxq-show)"
same "dpctl/add-dp again" "$(run_svs dpctl/add-dp "$dp")" "$(run_ovs dpctl/add-dp "$dp")"

# --- The embedded database answers the real OVSDB tools.
db=unix:$SRUN/db.sock
same "ovsdb-client list-dbs" "$(timeout 10 ovsdb-client list-dbs "$db")" \
    "$(timeout 10 ovsdb-client list-dbs "unix:$OVS_RUN/db.sock")"
rows=$(timeout 10 ovsdb-client transact "$db" '["Open_vSwitch",{"op":"select","table":"Open_vSwitch","where":[],"columns":["_uuid"]}]')
check "the new database has its Open_vSwitch row" grep -Eq '^\[\{"rows":\[\{"_uuid":\["uuid","[0-9a-f-]{36}"\]\}\]\}\]$' <<<"$rows"
out=$(timeout 10 ovs-vsctl --db="$db" --timeout=5 show 2>&1)
check "ovs-vsctl show lists the Open_vSwitch row ($out)" grep -Eq '^[0-9a-f-]{36}$' <<<"$(head -1 <<<"$out")"

# --- Many clients at once, and bad input: the daemon keeps answering.
for i in $(seq 1 20); do svs dpctl/dump-dps >"$SRUN/par.$i" 2>&1 & done
wait
check "20 clients at once all answered" test "$(cat "$SRUN"/par.* | sort -u)" = "$dp"
python3 - "$SRUN/ovs-vswitchd.$pid.ctl" <<'PY' >"$SRUN/bad.out" 2>&1
import socket, sys
path = sys.argv[1]
for data in [b"garbage", b"[1,2]", b'{"method":1,"params":[],"id":1}', b'{"id":1,"result":"x","error":null}',
             b'{"method":"version","params":[],"id":null}', b"\xff\xfe{", b"{" * 100000, b"[" * 100000 + b"]" * 100000, b'{"method":"vers']:
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(1)
    try:
        s.sendall(data); s.recv(4096)
    except Exception:
        pass
    s.close()
# A half-open connection left idle must not block the others.
idle = socket.socket(socket.AF_UNIX); idle.connect(path)
print("done")
PY
check "bad input sent" grep -q done "$SRUN/bad.out"
same "daemon answers after bad input" "$(svs version)" "$("$SVS" vswitchd --version)"

# --- SIGTERM: the daemon exits and removes its pid file and sockets.
kill -TERM "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM ends the daemon" test ! -e "/proc/$pid"
check "SIGTERM removes the pid file" test ! -e "$SRUN/ovs-vswitchd.pid"
check "SIGTERM removes the control socket" test ! -e "$SRUN/ovs-vswitchd.$pid.ctl"
check "SIGTERM removes db.sock" test ! -e "$SRUN/db.sock"
check "SIGTERM is logged as Open vSwitch logs it" \
    grep -q '|fatal_signal|WARN|terminating with signal 15 (Terminated)$' "$SRUN/ovs-vswitchd.log"

# --- Restart in the foreground on the existing database; `exit` ends it.
OVS_RUNDIR=$SRUN OVS_DBDIR=$SRUN OVS_LOGDIR=$SRUN "$SVS" vswitchd --pidfile --log-file --enable-dummy -vconsole:off &
fg=$!
svs_pids+=("$fg")
for _ in $(seq 1 100); do [ -S "$SRUN/ovs-vswitchd.$fg.ctl" ] && break; sleep 0.1; done
same "foreground daemon's pid file" "$(svs_pid)" "$fg"
check "restart keeps the database (not created again)" test "$(cat "$SRUN"/ovs-vswitchd.log* | grep -c 'created from schema')" = 1
same "restart: data still there" "$(timeout 10 ovsdb-client transact "$db" '["Open_vSwitch",{"op":"select","table":"Open_vSwitch","where":[],"columns":["_uuid"]}]')" "$rows"
same "exit replies" "$(run_svs exit)" "$(printf '\n--stderr--\n\n--rc 0')"
wait "$fg"
same "exit status after exit" "$?" 0
check "exit removes the pid file" test ! -e "$SRUN/ovs-vswitchd.pid"
check "exit removes the control socket" test ! -e "$SRUN/ovs-vswitchd.$fg.ctl"

# --- With an external database (the real ovsdb-server): no embedded server.
XRUN=$SRUN/external
mkdir -p "$XRUN"
OVS_RUNDIR=$XRUN OVS_DBDIR=$XRUN OVS_LOGDIR=$XRUN timeout 20 "$SVS" vswitchd "unix:$OVS_RUN/db.sock" --pidfile \
    --detach --log-file --enable-dummy -vconsole:off
check "external database: starts" test $? = 0
xpid=$(cat "$XRUN/ovs-vswitchd.pid" 2>/dev/null)
[ -n "$xpid" ] && svs_pids+=("$xpid")
check "external database: no db.sock of its own" test ! -e "$XRUN/db.sock"
check "external database: no conf.db of its own" test ! -e "$XRUN/conf.db"
check "external database: logged" grep -q "|vswitchd|INFO|using external database unix:$OVS_RUN/db.sock\$" "$XRUN/ovs-vswitchd.log"
same "external database: answers" "$(OVS_RUNDIR=$XRUN timeout 10 ovs-appctl version)" "$("$SVS" vswitchd --version)"
OVS_RUNDIR=$XRUN timeout 10 ovs-appctl exit
OVS_RUNDIR=$XRUN OVS_DBDIR=$XRUN timeout 20 "$SVS" vswitchd --db=ftp:x 2>"$SRUN/err"
check "a bad --db is refused" test $? = 1
check "a bad --db is explained" grep -q 'ftp:x: database must be unix:PATH or tcp:IP:PORT' "$SRUN/err"

# --- The database file of a running ovsdb-server is not opened a second time.
LRUN=$SRUN/locked
mkdir -p "$LRUN"
OVS_RUNDIR=$LRUN OVS_DBDIR=$OVS_RUN OVS_LOGDIR=$LRUN timeout 20 "$SVS" vswitchd --pidfile --enable-dummy \
    -vconsole:off 2>"$SRUN/err"
check "a database ovsdb-server holds is refused" test $? = 1
check "the refusal says why: $(cat "$SRUN/err")" grep -q "conf.db: failed to lock lockfile" "$SRUN/err"
check "the refusal leaves no pid file" test ! -e "$LRUN/ovs-vswitchd.pid"

# --- A killed daemon's pid file is stale: reported as ovs-appctl reports it, replaced on start.
start_svs
pid=$(svs_pid)
svs_pids+=("$pid")
kill -9 "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "SIGKILL leaves the pid file" test -e "$SRUN/ovs-vswitchd.pid"
same "stale pid file, ovs-appctl" "$(svs version 2>&1 | grep -v '|')" \
    "ovs-appctl: cannot read pidfile \"$SRUN/ovs-vswitchd.pid\" (No such process)"
same "stale pid file, svs appctl" "$(svsctl version 2>&1)" \
    "svs appctl: cannot read pidfile \"$SRUN/ovs-vswitchd.pid\" (No such process)"
start_svs
pid=$(svs_pid)
svs_pids+=("$pid")
same "restart after SIGKILL" "$(svs version)" "$("$SVS" vswitchd --version)"
# A second daemon on the same pid file refuses to start.
OVS_RUNDIR=$SRUN OVS_DBDIR=$SRUN OVS_LOGDIR=$SRUN timeout 20 "$SVS" vswitchd --pidfile --enable-dummy -vconsole:off \
    --unixctl="$SRUN/second.ctl" 2>"$SRUN/err"
check "second daemon on a held pid file fails" test $? != 0
check "second daemon says who runs" grep -q "already running as pid $pid" "$SRUN/err"
OVS_RUNDIR=$SRUN OVS_DBDIR=$SRUN OVS_LOGDIR=$SRUN timeout 20 "$SVS" vswitchd --pidfile --detach --enable-dummy \
    -vconsole:off --unixctl="$SRUN/second.ctl" 2>"$SRUN/err"
check "--detach: the parent fails when the daemon cannot start" test $? != 0
check "--detach: the daemon's error reaches the terminal" grep -q "already running as pid $pid" "$SRUN/err"
same "first daemon still answers" "$(svs version)" "$("$SVS" vswitchd --version)"

# --- The datapath runs while the daemon does: packets sent into a system
# port (a veth in a namespace of this suite's own) hit a flow added with
# dpctl/add-flow, and its counters move.
ns=svsD-$$
NRUN=$SRUN/ns
mkdir -p "$NRUN"
cleanup_ns() { ip netns del "$ns" 2>/dev/null || true; }
trap 'svs_stop; cleanup_ns; ovs_stop' EXIT
if ip netns add "$ns" 2>/dev/null; then
    ip -n "$ns" link add svsD-a type veth peer name svsD-b
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" link set svsD-a up
    ip -n "$ns" link set svsD-b up
    ip -n "$ns" addr add 10.9.9.1/24 dev svsD-b
    ip -n "$ns" neigh add 10.9.9.2 lladdr 02:00:00:00:00:02 dev svsD-b
    OVS_RUNDIR=$NRUN OVS_DBDIR=$NRUN OVS_LOGDIR=$NRUN timeout 20 ip netns exec "$ns" "$SVS" vswitchd --pidfile \
        --detach --log-file --enable-dummy -vconsole:off
    npid=$(cat "$NRUN/ovs-vswitchd.pid" 2>/dev/null)
    [ -n "$npid" ] && svs_pids+=("$npid")
    nsctl() { OVS_RUNDIR=$NRUN timeout 10 ovs-appctl "$@"; }
    same "add-if a system port" "$(nsctl dpctl/add-if netdev@ovs-netdev svsD-a 2>&1)" ""
    flow="in_port(1),eth(src=$(ip netns exec "$ns" cat /sys/class/net/svsD-b/address),dst=02:00:00:00:00:02),eth_type(0x0800),ipv4(src=10.9.9.1,dst=10.9.9.2,proto=1,frag=no),icmp(type=8,code=0)"
    same "add-flow on the daemon's datapath" "$(nsctl dpctl/add-flow "$flow" drop 2>&1)" ""
    timeout 10 ip netns exec "$ns" ping -q -c 5 -i 0.2 -W 1 10.9.9.2 >/dev/null 2>&1
    sleep 0.3
    dump=$(nsctl dpctl/dump-flows)
    check "the poll thread counted the pings: $dump" grep -Eq 'packets:5, bytes:490, used:[0-9.]+s, actions:drop' <<<"$dump"
    check "pmd-stats-show counts them" grep -q '^  packets received: 5$' <<<"$(nsctl dpif-netdev/pmd-stats-show)"
    same "pmd-stats-clear" "$(nsctl dpif-netdev/pmd-stats-clear)" ""
    check "pmd-stats-show counts from the clear" grep -q '^  packets received: 0$' <<<"$(nsctl dpif-netdev/pmd-stats-show)"
    check "dpctl/show -s counts them on the port" grep -Eq 'RX packets:[5-9]' <<<"$(nsctl dpctl/show -s)"
    same "exit --cleanup" "$(nsctl exit --cleanup)" ""
    for _ in $(seq 1 50); do kill -0 "${npid:-0}" 2>/dev/null || break; sleep 0.1; done
    check "daemon in the namespace exits" test ! -e "/proc/${npid:-0}"
else
    echo "appctl: SKIPPED: datapath traffic (cannot create network namespace $ns)"
fi

echo "appctl: $passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
