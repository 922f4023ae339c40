# Sourced by run.sh: starts ovsdb-server + ovs-vswitchd (netdev datapath,
# dummy ports) in a private run directory and stops them BY PID on exit.
ovs_start() {
    RUN=$(mktemp -d /tmp/dpctl-syntax.XXXXXX)
    export OVS_RUNDIR=$RUN OVS_DBDIR=$RUN OVS_LOGDIR=$RUN
    trap ovs_stop EXIT
    ovsdb-tool create "$RUN/conf.db" /usr/share/openvswitch/vswitch.ovsschema
    ovsdb-server "$RUN/conf.db" --remote=punix:"$RUN/db.sock" --pidfile="$RUN/ovsdb-server.pid" \
        --detach --log-file="$RUN/ovsdb-server.log" --no-chdir
    ovs-vsctl --db=unix:"$RUN/db.sock" --no-wait init
    ovs-vswitchd unix:"$RUN/db.sock" --enable-dummy --disable-system --pidfile="$RUN/ovs-vswitchd.pid" \
        --detach --log-file="$RUN/ovs-vswitchd.log" --no-chdir
    local i
    for i in $(seq 1 100); do
        [ -S "$RUN/ovs-vswitchd.$(cat "$RUN/ovs-vswitchd.pid" 2>/dev/null).ctl" ] && break
        sleep 0.1
    done
    ovs-vsctl --db=unix:"$RUN/db.sock" --timeout=10 add-br br0 -- set bridge br0 datapath_type=netdev \
        -- add-port br0 p1 -- set interface p1 type=dummy ofport_request=1 \
        -- add-port br0 p2 -- set interface p2 type=dummy ofport_request=2 \
        -- add-port br0 p3 -- set interface p3 type=dummy ofport_request=3
}

ovs_stop() {
    local f pid
    for f in ovs-vswitchd ovsdb-server; do
        pid=$(cat "$RUN/$f.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$RUN"
}
