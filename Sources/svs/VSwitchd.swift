import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Datapath
import Logging
import OVSDB
import OVSDBServer
import Synchronization
import Unixctl

/// `svs vswitchd`: the switch daemon, in place of `ovs-vswitchd` (and, by
/// default, of `ovsdb-server`: it serves its own database).
struct VSwitchd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vswitchd", abstract: "Run the switch daemon with its embedded database.")
    @Argument(parsing: .captureForPassthrough, help: "Options as ovs-vswitchd's (--help lists them).")
    var arguments: [String] = []

    func run() throws {
        let options: VSwitchdOptions
        do {
            options = try VSwitchdOptions(parsing: arguments)
        } catch {
            VSwitchdProcess.fatal("\(error) (use --help for help)")
        }
        if options.help {
            print(VSwitchdOptions.usage, terminator: "")
            return
        }
        if options.version {
            print(SVSVersion.daemon)
            return
        }
        VSwitchdDaemon(options: options).run()
    }
}

/// One run of the daemon: start-up in Open vSwitch's order, the main loop
/// (signals, `exit`, coverage samples), and a clean shutdown that removes
/// the control socket, the database socket and the pid file.
final class VSwitchdDaemon: @unchecked Sendable {
    let options: VSwitchdOptions
    let vlog = VLog.shared
    private let exitRequested = Atomic<Bool>(false)
    /// Set by `exit --cleanup`.
    private let cleanupRequested = Atomic<Bool>(false)
    private var logger = Logger(label: "vswitchd")

    init(options: VSwitchdOptions) {
        self.options = options
    }

    /// The modules `vlog/list` shows from the start (the daemon's own and
    /// the layers that log through it).
    static let modules = ["vswitchd", "unixctl", "daemon_unix", "dpif_netdev", "ovsdb_server", "memory",
                          "coverage", "bridge", "netdev", "ofproto", "vlog", "fatal_signal"]

    /// Counters that `coverage/show` counts among those never hit until they are.
    static let coverageCounters = ["unixctl_received", "unixctl_replied"]

    func run() -> Never {
        vlog.programName = "ovs-vswitchd"
        for m in Self.modules { vlog.register(module: m) }
        for spec in options.verbose {
            if let error = vlog.apply(spec) { VSwitchdProcess.fatal("processing \"\(spec)\": \(error)") }
        }
        LoggingSystem.bootstrap { label in VLogHandler(label: label) }
        logger = Logger(label: "vswitchd")
        Coverage.shared.define(Self.coverageCounters)

        // Before any thread: fork, and block the signals the main loop waits for.
        if options.detach { VSwitchdProcess.detach() }
        VSwitchdProcess.blockSignals()

        VSwitchdOptions.makeDirectory(options.runDirectory)
        if let path = options.logFilePath {
            VSwitchdOptions.makeDirectory(String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]))
            do throws(SystemError) {
                try vlog.openLogFile(path)
            } catch {
                VSwitchdProcess.fatal(error.description)
            }
        }

        var pidfile: Pidfile?
        if let path = options.pidfilePath {
            do throws(SystemError) {
                pidfile = try Pidfile.create(path: path)
            } catch {
                logger.critical("\(error)")
                VSwitchdProcess.fatal(error.description)
            }
        }

        // The database: embedded (default) or external.
        var database: OVSDBServer?
        if let external = options.externalDatabase {
            logger.info("using external database \(external)")
        } else {
            VSwitchdOptions.makeDirectory(options.databaseDirectory)
            do {
                database = try VSwitchdDatabase.start(options: options, logger: Logger(label: "ovsdb_server"))
            } catch {
                logger.critical("\(error)")
                pidfile?.remove()
                VSwitchdProcess.fatal("\(error)")
            }
        }

        // The datapath and its poll thread.
        let datapaths = VSwitchdDatapaths(localType: options.enableDummy ? .dummyInternal : .internal)
        datapaths.createDefault()
        datapaths.start()

        // The components (the bridge layer...), then the control socket.
        let commands = UnixctlCommands(version: SVSVersion.daemon)
        registerCommands(commands, datapaths: datapaths)
        let context = VSwitchdContext(
            options: options, databaseRemote: options.externalDatabase ?? "unix:" + options.databaseSocket,
            datapaths: datapaths, commands: commands)
        var components: [any VSwitchdComponent] = []
        for component in Self.makeComponents() {
            vlog.register(module: component.name)
            do {
                try component.start(context)
                components.append(component)
            } catch {
                logger.critical("\(component.name): \(error)")
                for c in components.reversed() { c.stop(cleanup: false) }
                datapaths.stop()
                VSwitchdDatabase.stop(database, options: options)
                pidfile?.remove()
                VSwitchdProcess.fatal("\(component.name): \(error)")
            }
        }
        let controlPath = options.unixctlPath.map { VSwitchdOptions.absolute($0, in: options.runDirectory) }
            ?? "\(options.runDirectory)/ovs-vswitchd.\(getpid()).ctl"
        let server: UnixctlServer
        do throws(SystemError) {
            server = try UnixctlServer(path: controlPath, commands: commands, logger: Logger(label: "unixctl"))
        } catch {
            logger.critical("\(controlPath): could not initialize control socket (\(error.reason))")
            for c in components.reversed() { c.stop(cleanup: false) }
            datapaths.stop()
            VSwitchdDatabase.stop(database, options: options)
            pidfile?.remove()
            VSwitchdProcess.fatal("\(controlPath): could not initialize control socket (\(error.reason))")
        }
        server.start()
        logger.info("\(SVSVersion.daemon) started")

        VSwitchdProcess.detachComplete(keepDirectory: options.noChdir)

        // Main loop: until a signal or `exit`.
        var signal: Int32?
        while !exitRequested.load(ordering: .acquiring) {
            signal = VSwitchdProcess.waitForSignal(milliseconds: 100)
            if signal != nil { break }
            Coverage.shared.run()
        }

        if let signal {
            // Open vSwitch's words, from its fatal_signal module.
            let name = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
            Logger(label: "fatal_signal").warning("terminating with signal \(signal) (\(name))")
        } else {
            logger.info("exiting on the exit command")
        }
        server.stop()
        let cleanup = cleanupRequested.load(ordering: .acquiring)
        for c in components.reversed() { c.stop(cleanup: cleanup) }
        datapaths.stop()
        VSwitchdDatabase.stop(database, options: options)
        pidfile?.remove()
        exit(0)
    }

    private func registerCommands(_ commands: UnixctlCommands, datapaths: VSwitchdDatapaths) {
        vlog.registerCommands(on: commands)
        commands.register("exit", usage: "[--cleanup]", arguments: 0...1) { [self] arguments in
            if arguments.first == "--cleanup" { cleanupRequested.store(true, ordering: .releasing) }
            exitRequested.store(true, ordering: .releasing)
            return ""
        }
        commands.register("coverage/show", usage: "", arguments: 0...0) { _ in Coverage.shared.showText() }
        commands.register("coverage/read-counter", usage: "COUNTER", arguments: 1...1) { arguments throws(UnixctlError) in
            let name = arguments[0]
            guard Coverage.shared.isDefined(name) else { throw UnixctlError("No such counter") }
            return "\(Coverage.shared.counter(name).total)\n"
        }
        MemoryReport.shared.register { datapaths.memoryReport() }
        commands.register("memory/show", usage: "", arguments: 0...0) { _ in MemoryReport.shared.showText() }
        VSwitchdDpctlCommands.register(on: commands, datapaths: datapaths)
        VSwitchdDummyCommands.register(on: commands, datapaths: datapaths)
    }
}

/// The embedded database: the file (created from the schema on first
/// start, with its root `Open_vSwitch` row as `ovs-vsctl init` makes it)
/// served on `punix:RUNDIR/db.sock` and any `--remote`.
enum VSwitchdDatabase {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The lock on the database file, held while the daemon runs.
    nonisolated(unsafe) static var lockDescriptor: Int32 = -1

    /// Locks `path` as Open vSwitch does (an `fcntl` write lock on
    /// `DIR/.NAME.~lock~`), so that svs and an `ovsdb-server` never write
    /// the same file.
    static func lock(_ path: String) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let lockPath = "\(directory)/.\(name).~lock~"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "\(lockPath): \(SystemError.describe(errno))") }
        var l = flock()
        l.l_type = Int16(F_WRLCK)
        l.l_whence = Int16(SEEK_SET)
        if fcntl(fd, F_SETLK, &l) != 0 {
            let e = errno
            var holder = flock()
            holder.l_type = Int16(F_WRLCK)
            holder.l_whence = Int16(SEEK_SET)
            let who = fcntl(fd, F_GETLK, &holder) == 0 && holder.l_type != Int16(F_UNLCK) ? " by pid \(holder.l_pid)" : ""
            close(fd)
            throw Failure(description: "\(path): failed to lock lockfile (\(SystemError.describe(e))): in use\(who)")
        }
        lockDescriptor = fd
    }

    static func start(options: VSwitchdOptions, logger: Logger) throws -> OVSDBServer {
        let path = options.databasePath
        try lock(path)
        let file: DatabaseFile
        if access(path, F_OK) == 0 {
            file = try DatabaseFile.open(path: path)
            if let note = file.recoveryNote { logger.warning("\(path): \(note)") }
        } else {
            // svs's own Open_vSwitch schema (OVS 3.x's tables, columns and
            // types) unless --schema names another.
            let schemaPath = options.schema ?? "svs's built-in vswitch schema"
            let schema = try options.schema.map { try DatabaseSchema(text: try TextFile.read($0)) } ?? Schemas.vswitch()
            file = try DatabaseFile.create(path: path, schema: schema)
            if schema.name == "Open_vSwitch", schema.tables["Open_vSwitch"] != nil {
                _ = try file.transact([.object([("op", .string("insert")), ("table", .string("Open_vSwitch")),
                                                ("row", .object([]))])])
            }
            logger.info("\(path): created from schema \(schemaPath)")
        }
        let server = OVSDBServer(databases: [file])
        for endpoint in ["punix:" + options.databaseSocket] + options.remotes {
            do {
                try server.listen(endpoint)
            } catch {
                server.stop()
                throw Failure(description: "\(endpoint): listen failed: \(error)")
            }
        }
        return server
    }

    /// Stops the server and removes its unix sockets.
    static func stop(_ server: OVSDBServer?, options: VSwitchdOptions) {
        guard let server else { return }
        server.stop()
        for endpoint in ["punix:" + options.databaseSocket] + options.remotes where endpoint.hasPrefix("punix:") {
            unlink(String(endpoint.dropFirst("punix:".count)))
        }
    }
}
