# Shared by the differential suites: a real Open vSwitch (ovsdb-server and
# ovs-vswitchd with dummy ports and no kernel datapath) in a private run
# directory, stopped by pid and removed when the suite exits.
#
#   . "$(dirname "$0")/../lib/ovs.sh"
#   ovs_start NAME [ovs-vsctl init arguments...]   # sets RUN and exports OVS_RUNDIR etc.
#
# ovs_start installs an EXIT trap that calls ovs_stop.
#   svs_start NAME                                 # svs vswitchd beside it: sets SRUN and SCTL
# svs_start replaces that trap with one that stops both (svs_stop, ovs_stop).

# ovs_require TOOL...: exits 2 with a message when a tool is missing.
ovs_require() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$suite_name: $tool not installed" >&2; exit 2; }
    done
}

# stop_pid PID: stops a process this suite started: TERM, then KILL if it
# is still there after 5 s. Nothing if PID is empty or already gone.
stop_pid() {
    local pid=${1:-}
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    return 0
}

# Stops both daemons by pid (stop_pid), then removes $RUN.
ovs_stop() {
    local f
    for f in ovs-vswitchd ovsdb-server; do stop_pid "$(cat "$RUN/$f.pid" 2>/dev/null || true)"; done
    rm -rf "$RUN"
}

ovs_start() {
    suite_name=$1
    shift
    ovs_require ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl ovs-appctl
    RUN=$(mktemp -d "/tmp/$suite_name.XXXXXX")
    export OVS_RUNDIR=$RUN OVS_DBDIR=$RUN OVS_LOGDIR=$RUN
    trap ovs_stop EXIT
    ovsdb-tool create "$RUN/conf.db" /usr/share/openvswitch/vswitch.ovsschema
    ovsdb-server "$RUN/conf.db" --remote=punix:"$RUN/db.sock" --pidfile="$RUN/ovsdb-server.pid" \
        --detach --no-chdir --log-file="$RUN/ovsdb-server.log" -vconsole:off
    ovs-vsctl --db=unix:"$RUN/db.sock" --timeout=10 --no-wait init "$@"
    ovs-vswitchd unix:"$RUN/db.sock" --enable-dummy --disable-system --pidfile="$RUN/ovs-vswitchd.pid" \
        --detach --no-chdir --log-file="$RUN/ovs-vswitchd.log" -vconsole:off
    local pid
    for _ in $(seq 1 100); do
        pid=$(cat "$RUN/ovs-vswitchd.pid" 2>/dev/null || true)
        [ -n "$pid" ] && [ -S "$RUN/ovs-vswitchd.$pid.ctl" ] && return 0
        sleep 0.1
    done
    echo "$suite_name: ovs-vswitchd did not start (see $RUN/ovs-vswitchd.log)" >&2
    exit 2
}

# svs_start NAME: svs vswitchd ($SVS, embedded database, --enable-dummy)
# detached in its own run directory $SRUN; $SCTL is its control socket.
# Replaces the EXIT trap with one that stops it (svs_stop) and then OVS.
svs_start() {
    SRUN=$(mktemp -d "/tmp/svs-$1-live.XXXXXX")
    trap 'svs_stop; ovs_stop' EXIT
    OVS_RUNDIR=$SRUN OVS_DBDIR=$SRUN OVS_LOGDIR=$SRUN timeout 20 "$SVS" vswitchd --enable-dummy --pidfile --detach \
        --log-file -vconsole:off || { echo "$1: svs vswitchd did not start" >&2; exit 1; }
    SCTL=$SRUN/ovs-vswitchd.$(cat "$SRUN/ovs-vswitchd.pid").ctl
    [ -S "$SCTL" ] || { echo "$1: no control socket $SCTL" >&2; exit 1; }
}

# svs_stop: stops the svs vswitchd of svs_start by pid and removes $SRUN.
svs_stop() {
    stop_pid "$(cat "$SRUN/ovs-vswitchd.pid" 2>/dev/null || true)"
    rm -rf "$SRUN"
}
