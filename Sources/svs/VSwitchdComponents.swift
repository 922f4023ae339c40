import Unixctl

/// What the daemon hands to the parts that run inside it (the bridge
/// layer, OpenFlow connections...): where the database is, the datapaths,
/// and the control commands to register on.
struct VSwitchdContext {
    let options: VSwitchdOptions
    /// The database to connect to: the embedded server's `unix:RUNDIR/db.sock`,
    /// or the external `--db` / `DATABASE` argument.
    let databaseRemote: String
    let datapaths: VSwitchdDatapaths
    let commands: UnixctlCommands
}

/// A part of the daemon with a life of its own: started after the
/// datapaths and before the control socket opens, stopped in reverse
/// order at shutdown. `cleanup` is true after `exit --cleanup` (remove
/// what the part created in the datapath, as Open vSwitch does).
protocol VSwitchdComponent: AnyObject {
    /// The module name it logs under (shown by `vlog/list`).
    var name: String { get }
    func start(_ context: VSwitchdContext) throws
    func stop(cleanup: Bool)
}

extension VSwitchdDaemon {
    /// The components the daemon runs, in start order. The bridge layer
    /// adds itself here.
    static func makeComponents() -> [any VSwitchdComponent] {
        [VSwitchdBridges()]
    }
}
