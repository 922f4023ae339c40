import ArgumentParser
import OVSDB
import OVSDBServer
#if canImport(Glibc)
import Glibc
#endif

/// `svs ovsdb-server`: svs's OVSDB server on its own (hidden; for tests and
/// benchmarks; `svs vswitchd` embeds the same server).
///
///     svs ovsdb-server [--remote=punix:PATH] [--remote=ptcp:PORT[:IP]]
///                      [--pidfile=PATH] [--unixctl=PATH] DBFILE...
///
/// Runs until SIGTERM or SIGINT; then removes the pidfile.
struct OVSDBServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ovsdb-server", abstract: "Serve OVSDB database files (as ovsdb-server).",
        shouldDisplay: false)

    @Option(name: .customLong("remote"), help: "Listen on punix:PATH or ptcp:PORT[:IP] (repeatable).")
    var remotes: [String] = []

    @Option(name: .customLong("pidfile"), help: "Write the process id to this file.")
    var pidfile: String?

    @Option(name: .customLong("unixctl"), help: "Accepted for compatibility with ovsdb-server; svs serves no control socket here.")
    var unixctl: String?

    @Argument(help: "Database files (OVSDB standalone format).")
    var databases: [String]

    func validate() throws {
        if databases.isEmpty { throw ValidationError("at least one database file is required") }
    }

    func run() throws {
        var files: [DatabaseFile] = []
        for path in databases {
            do {
                let f = try DatabaseFile.open(path: path)
                if let note = f.recoveryNote { printErr("svs ovsdb-server: \(path): \(note); torn tail dropped") }
                files.append(f)
            } catch {
                throw OVSDBCommandError("\(error)")
            }
        }
        // Block the stop signals before any thread starts, so every thread
        // inherits the mask and only sigwait below sees them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)

        let server = OVSDBServer(databases: files)
        for r in remotes {
            do { try server.listen(r) } catch {
                server.stop()
                throw OVSDBCommandError("\(r): \(error)")
            }
        }
        if let pidfile {
            let text = "\(getpid())\n"
            let fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw OVSDBCommandError("\(pidfile): cannot create pidfile") }
            _ = text.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        var sig: Int32 = 0
        sigwait(&set, &sig)
        server.stop()
        if let pidfile { unlink(pidfile) }
    }
}

/// `svs ovsdb-tool`: database file utilities (hidden; for tests).
struct OVSDBToolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ovsdb-tool", abstract: "Create and compact OVSDB files (as ovsdb-tool).",
        shouldDisplay: false,
        subcommands: [Create.self, Compact.self, PrintSchema.self])

    /// `create DB [SCHEMA]`: a new file; without SCHEMA, svs's Open_vSwitch schema.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a database file from a schema.")
        @Argument var db: String
        @Argument var schema: String?
        func run() throws {
            let s: DatabaseSchema
            if let schema {
                guard let text = try? TextFile.read(schema) else { throw OVSDBCommandError("\(schema): cannot read") }
                do { s = try DatabaseSchema(text: text) } catch { throw OVSDBCommandError("\(schema): \(error)") }
            } else {
                s = Schemas.vswitch()
            }
            do { _ = try DatabaseFile.create(path: db, schema: s) } catch { throw OVSDBCommandError("\(error)") }
        }
    }

    /// `compact DB`: rewrites the file as its schema and one snapshot.
    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compact a database file.")
        @Argument var db: String
        func run() throws {
            do { try DatabaseFile.open(path: db).compact() } catch { throw OVSDBCommandError("\(error)") }
        }
    }

    /// `print-schema [NAME]`: svs's built-in schema (vswitch or _Server).
    struct PrintSchema: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "print-schema", abstract: "Print a built-in schema.")
        @Argument var name: String = "vswitch"
        func run() throws {
            switch name {
            case "vswitch", "Open_vSwitch": print(Schemas.vswitchText)
            case "_Server": print(Schemas.serverText)
            default: throw OVSDBCommandError("no built-in schema \(name)")
            }
        }
    }
}

private func printErr(_ s: String) {
    let line = s + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}

/// A failure of the OVSDB commands: "Error: MESSAGE", exit status 1.
struct OVSDBCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
