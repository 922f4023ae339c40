#if canImport(Glibc)
import Glibc
#endif

/// svs's version, as `version` and `--version` print it.
enum SVSVersion {
    static let number = "0.1.0"
    /// `ovs-vswitchd (svs) 0.1.0`: Open vSwitch's shape, svs's facts.
    static let daemon = "ovs-vswitchd (svs) \(number)"
}

/// The command line of `svs vswitchd`, read as `ovs-vswitchd` reads its own
/// (GNU long options with `=` or a separate value; `-v` specs).
struct VSwitchdOptions {
    /// `OVS_RUNDIR`, else `/var/run/openvswitch`.
    var runDirectory = VSwitchdOptions.environment("OVS_RUNDIR") ?? "/var/run/openvswitch"
    /// `OVS_DBDIR`, else `/etc/openvswitch`.
    var databaseDirectory = VSwitchdOptions.environment("OVS_DBDIR") ?? "/etc/openvswitch"
    /// `OVS_LOGDIR`, else `/var/log/openvswitch`.
    var logDirectory = VSwitchdOptions.environment("OVS_LOGDIR") ?? "/var/log/openvswitch"
    /// `--pidfile[=PATH]`: nil for none.
    var pidfile: String?
    var detach = false
    var noChdir = false
    /// `--log-file[=PATH]`: nil for none.
    var logFile: String?
    /// `--db=unix:PATH|tcp:IP:PORT` or the `DATABASE` argument: an external
    /// server instead of the embedded one.
    var externalDatabase: String?
    /// `--schema=PATH`: the schema a new database file is created from.
    var schema: String?
    /// `--database=PATH`: the embedded server's file (default `OVS_DBDIR/conf.db`).
    var databaseFile: String?
    /// `--remote=ENDPOINT`: more listeners for the embedded server.
    var remotes: [String] = []
    /// `--unixctl=PATH`: the control socket (default `RUNDIR/ovs-vswitchd.PID.ctl`).
    var unixctlPath: String?
    /// `--enable-dummy`: datapaths' local ports are in-memory `dummy-internal`
    /// ports rather than TAP devices (for tests; Open vSwitch's
    /// `--enable-dummy=override` does the same to its netdevs).
    var enableDummy = false
    /// `-v`/`--verbose` specifications, applied in order.
    var verbose: [String] = []
    var help = false
    var version = false

    static func environment(_ name: String) -> String? {
        guard let v = getenv(name), v.pointee != 0 else { return nil }
        return String(cString: v)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Options accepted for compatibility and ignored.
    static let ignored: Set<String> = ["disable-system", "monitor", "no-monitor", "mlockall", "no-self-confinement",
                                       "overwrite-pidfile"]

    init() {}

    init(parsing arguments: [String]) throws(Failure) {
        var i = 0
        var positional: [String] = []
        while i < arguments.count {
            let word = arguments[i]
            i += 1
            if word == "--" {
                positional += arguments[i...]
                break
            }
            if word.hasPrefix("-v") && !word.hasPrefix("--") {
                verbose.append(String(word.dropFirst(2)))
                continue
            }
            if word == "-h" { help = true; continue }
            if word == "-V" { version = true; continue }
            guard word.hasPrefix("--") else {
                if word.hasPrefix("-") && word.count > 1 { throw Failure(description: "unrecognized option '\(word)'") }
                positional.append(word)
                continue
            }
            var name = String(word.dropFirst(2))
            var value: String?
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            func required() throws(Failure) -> String {
                if let value { return value }
                guard i < arguments.count else { throw Failure(description: "option '--\(name)' requires an argument") }
                i += 1
                return arguments[i - 1]
            }
            switch name {
            case "pidfile": pidfile = value ?? "ovs-vswitchd.pid"
            case "detach": detach = true
            case "no-chdir": noChdir = true
            case "log-file": logFile = value ?? ""
            case "db": externalDatabase = try required()
            case "schema": schema = try required()
            case "database": databaseFile = try required()
            case "remote": remotes.append(try required())
            case "unixctl": unixctlPath = try required()
            case "enable-dummy": enableDummy = true
            case "verbose": verbose.append(value ?? "")
            case "help": help = true
            case "version": version = true
            default:
                if Self.ignored.contains(name) { continue }
                throw Failure(description: "unrecognized option '--\(name)'")
            }
        }
        runDirectory = Self.absolute(runDirectory, in: Self.currentDirectory)
        databaseDirectory = Self.absolute(databaseDirectory, in: Self.currentDirectory)
        logDirectory = Self.absolute(logDirectory, in: Self.currentDirectory)
        if let s = schema { schema = Self.absolute(s, in: Self.currentDirectory) }
        if positional.count > 1 { throw Failure(description: "at most one non-option argument accepted; use --help for usage") }
        if let db = positional.first { externalDatabase = db }
        if let db = externalDatabase, !(db.hasPrefix("unix:") || db.hasPrefix("tcp:") || db.hasPrefix("ssl:")) {
            throw Failure(description: "\(db): database must be unix:PATH or tcp:IP:PORT")
        }
    }

    /// The working directory at start (paths are made absolute against it,
    /// since a detached daemon moves to `/`).
    static var currentDirectory: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates `directory` and its parents if missing (mode 0755).
    static func makeDirectory(_ directory: String) {
        var path = ""
        for part in directory.split(separator: "/") {
            path += "/" + part
            mkdir(path, 0o755)
        }
    }

    /// `path` made absolute against `directory`.
    static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : directory + "/" + path
    }

    var pidfilePath: String? { pidfile.map { Self.absolute($0, in: runDirectory) } }
    var logFilePath: String? {
        logFile.map { $0.isEmpty ? logDirectory + "/ovs-vswitchd.log" : Self.absolute($0, in: logDirectory) }
    }
    var databasePath: String { databaseFile.map { Self.absolute($0, in: databaseDirectory) } ?? databaseDirectory + "/conf.db" }
    var databaseSocket: String { runDirectory + "/db.sock" }

    static let usage = """
        svs vswitchd: the svs switch daemon (as ovs-vswitchd)
        usage: svs vswitchd [OPTIONS] [DATABASE]
        where DATABASE (or --db=DATABASE) is an external OVSDB server, unix:PATH
        or tcp:IP:PORT; without it svs serves its own database on punix:RUNDIR/db.sock.

        Database options:
          --database=FILE         embedded database file (default: OVS_DBDIR/conf.db)
          --schema=FILE           schema for a new database file
                                  (default: svs's built-in Open_vSwitch schema)
          --remote=ENDPOINT       also serve the database on ENDPOINT (punix:PATH, ptcp:PORT[:IP])

        Daemon options:
          --detach                run in background as daemon
          --no-chdir              do not chdir to '/'
          --pidfile[=FILE]        create pidfile (default: RUNDIR/ovs-vswitchd.pid)
          --unixctl=SOCKET        override default control socket name

        Logging options:
          -vSPEC, --verbose=SPEC  set logging levels
          -v, --verbose           set maximum verbosity level
          --log-file[=FILE]       enable logging to specified FILE
                                  (default: OVS_LOGDIR/ovs-vswitchd.log)

        Other options:
          --enable-dummy          datapath local ports in memory (no TAP device)
          -h, --help              display this help message
          -V, --version           display version information

        Environment: OVS_RUNDIR (default /var/run/openvswitch), OVS_DBDIR
        (default /etc/openvswitch), OVS_LOGDIR (default /var/log/openvswitch).

        """
}
