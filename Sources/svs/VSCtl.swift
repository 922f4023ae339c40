import ArgumentParser
import OVSDB
import OVSDBClient
#if canImport(Glibc)
import Glibc
#endif

/// `svs vsctl`: configures the switch database with ovs-vsctl's command
/// language, options, output formats, messages and exit codes.
struct VSCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vsctl", abstract: "Configure the switch database (as ovs-vsctl).")
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() throws {
        var main = VSCtlMain()
        let status = main.run(arguments)
        if status != 0 { throw ExitCode(status) }
    }
}

/// The global options and the run of one ovs-vsctl invocation.
struct VSCtlMain {
    var db: String?
    var wait = true
    var dryRun = false
    var oneline = false
    var timeout = 0
    var format = "list"
    var dataFormat = "string"
    var headings = true
    var local: [(String, String?)] = []
    /// False when the server has no monitor: waits poll with snapshots.
    var isMonitoring = true
    /// `--retry`: keep trying to connect until the server is there (or --timeout).
    var retry = false
    var allTables: [String: [String]?] = [:]

    /// Runs the invocation; prints output and errors; returns the exit status.
    mutating func run(_ args: [String]) -> Int32 {
        do {
            let rest = try parseOptions(args)
            let commands = try VSCtlCatalog.parse(rest, local: local)
            if timeout > 0 { alarm(UInt32(timeout)) }
            try execute(commands, invocation: args.joined(separator: " "))
            return 0
        } catch let e as VSCtlError {
            flushStdout()
            if !e.message.isEmpty { printError(e.message) }
            return e.status
        } catch {
            flushStdout()
            printError("\(error)")
            return 1
        }
    }

    func printError(_ m: String) {
        var s = "svs vsctl: " + m + "\n"
        s.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    func flushStdout() {}

    /// A warning in Open vSwitch's console log format, on stderr.
    func warn(_ m: String, module: String) {
        var now = time(nil)
        var tm = tm()
        gmtime_r(&now, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let stamp = "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))Z"
        VSCtlMain.logSequence += 1
        let n = String(VSCtlMain.logSequence)
        var s = stamp + "|" + String(repeating: "0", count: max(0, 5 - n.count)) + n + "|\(module)|WARN|" + m + "\n"
        s.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
    nonisolated(unsafe) static var logSequence = 0

    /// Global options up to the first non-option (getopt's "+" mode); command
    /// options found here go to the first command.
    mutating func parseOptions(_ args: [String]) throws(VSCtlError) -> [String] {
        var i = 0
        let withValue: Set<String> = ["--db", "--timeout", "-t", "--format", "-f", "--data", "-d", "--max-column-width",
                                      "--columns", "--id", "--private-key", "--certificate", "--ca-cert", "-p", "-c", "-C",
                                      "--bootstrap-ca-cert", "--peer-ca-cert", "--log-file"]
        let localNames = VSCtlCatalog.localOptions
        while i < args.count {
            let a = args[i]
            if a == "--" { i += 1; break }
            guard a.hasPrefix("-"), a.count > 1 else { break }
            var name = a, value: String? = nil
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                name = String(a[..<eq])
                value = String(a[a.index(after: eq)...])
            } else if !a.hasPrefix("--"), a.count > 2, withValue.contains(String(a.prefix(2))) {
                name = String(a.prefix(2))
                value = String(a.dropFirst(2))
            }
            if value == nil, withValue.contains(name) {
                i += 1
                guard i < args.count else { throw VSCtlError("option '\(name)' requires an argument") }
                value = args[i]
            }
            i += 1
            switch name {
            case "--db": db = value
            case "--no-wait": wait = false
            case "--dry-run": dryRun = true
            case "--oneline": oneline = true
            case "--timeout", "-t":
                guard let v = value, let t = Int(v), t >= 0 else { throw VSCtlError("value \(value ?? "") on -t or --timeout is invalid") }
                timeout = t
            case "--format", "-f":
                guard let v = value, ["list", "table", "csv", "json"].contains(v) else {
                    throw VSCtlError("unknown output format \"\(value ?? "")\"")
                }
                format = v
            case "--data", "-d":
                guard let v = value, ["string", "bare", "json"].contains(v) else {
                    throw VSCtlError("unknown data format \"\(value ?? "")\"")
                }
                dataFormat = v
            case "--no-headings": headings = false
            case "--bare": format = "list"; dataFormat = "bare"; headings = false
            case "--retry": retry = true
            case "--pretty", "--no-syslog", "--max-column-width", "--leader-only", "--no-leader-only",
                 "--shuffle-remotes", "--no-shuffle-remotes", "--log-file", "--private-key", "--certificate",
                 "--ca-cert", "-p", "-c", "-C", "--bootstrap-ca-cert", "--peer-ca-cert":
                break
            case _ where name.hasPrefix("-v") || name.hasPrefix("--verbose"): break
            case "--help", "-h":
                print("svs vsctl: ovs-vsctl's command language; see ovs-vsctl(8)")
                throw VSCtlError("", status: 0)
            case "--version", "-V":
                print("svs vsctl (Open vSwitch compatible) 3.1.0")
                throw VSCtlError("", status: 0)
            default:
                if localNames.contains(name) {
                    if local.contains(where: { $0.0 == name }) { throw VSCtlError("'\(name)' option specified multiple times") }
                    local.append((name, value))
                } else {
                    throw VSCtlError("unrecognized option '\(a)'")
                }
            }
        }
        return Array(args[i...])
    }

    var remote: String {
        if let db { return db }
        let env = getenv("OVS_RUNDIR").map { String(cString: $0) }
        return "unix:\(env ?? "/var/run/openvswitch")/db.sock"
    }

    mutating func execute(_ commands: [VSCtlCommand], invocation: String) throws {
        let client: OVSDBClient
        let schema: DatabaseSchema
        do {
            var connected: OVSDBClient? = nil
            while connected == nil {
                do {
                    connected = try OVSDBClient(remote: remote)
                } catch .system where retry {
                    usleep(200_000)
                }
            }
            client = connected!
            schema = try client.schema("Open_vSwitch")
            var tables: [String: [String]?] = [:]
            for t in schema.tables.keys { tables[t] = .some(nil) }
            allTables = tables
            do {
                try client.monitor("Open_vSwitch", schema: schema, tables: tables)
            } catch .rpc {
                // A server without monitor_cond: plain monitor, else snapshots.
                do {
                    try client.monitor("Open_vSwitch", schema: schema, tables: tables, conditional: false)
                } catch .rpc {
                    isMonitoring = false
                    try client.loadSnapshot("Open_vSwitch", schema: schema, tables: tables)
                }
            }
        } catch {
            throw VSCtlError("\(remote): database connection failed (\(VSCtlMain.reason(error)))")
        }
        while true {
            let seen = client.updatesApplied
            var view = VSCtlDB(schema: schema, replica: client.replica)
            let ovs = view.uuids("Open_vSwitch").first ?? view.insert("Open_vSwitch")
            var runner = VSCtlRunner(db: view, ovs: ovs)
            try runner.run(commands)
            for w in runner.warnings { warn(w.text, module: w.module) }
            if runner.tryAgain {
                try awaitChange(client, schema)
                continue
            }
            view = runner.db
            var outputs = runner.outputs
            var nextCfg: Int64? = nil
            var real: [UUID: UUID] = [:]
            if view.hasChanges && !dryRun {
                let checks = view.verifications()
                var ops: [JSON] = [.string("Open_vSwitch")] + checks + view.operations()
                var selectIndex: Int? = nil
                if wait {
                    let whereOVS = JSON.array([Condition.uuid(ovs).json])
                    let target = view.isInserted(ovs)
                        ? JSON.array([.string("named-uuid"), .string(VSCtlDB.uuidName(ovs))]) : nil
                    let cond = target.map { JSON.array([.array([.string("_uuid"), .string("=="), $0])]) } ?? whereOVS
                    ops.append(.object([("op", .string("mutate")), ("table", .string("Open_vSwitch")), ("where", cond),
                                        ("mutations", .array([.array([.string("next_cfg"), .string("+="), .int(1)])]))]))
                    selectIndex = ops.count - 1 - checks.count
                    ops.append(.object([("op", .string("select")), ("table", .string("Open_vSwitch")), ("where", cond),
                                        ("columns", .array([.string("next_cfg")]))]))
                }
                ops.append(.object([("op", .string("comment")), ("comment", .string("ovs-vsctl: \(invocation)"))]))
                let reply = try client.call("transact", ops)
                guard let allResults = reply.arrayValue else { throw VSCtlError("transaction error: bad reply") }
                if let i = allResults.firstIndex(where: { $0["error"] != nil && $0["error"] != .null }) {
                    if i < checks.count {
                        // Someone changed what we read: try again on fresh
                        // contents (their update may already be here).
                        if client.updatesApplied == seen { try awaitChange(client, schema) }
                        continue
                    }
                    throw VSCtlError("transaction error: \(allResults[i].sortedText)")
                }
                let results = Array(allResults.dropFirst(checks.count))
                var opIndex = 0
                for (_, u) in view.inserted {
                    if opIndex < results.count, let a = results[opIndex]["uuid"]?.arrayValue, a.count == 2,
                       let s = a[1].stringValue, let r = UUID(s) {
                        real[u] = r
                    }
                    opIndex += 1
                }
                for (i, u) in runner.created { outputs[i] = .text((real[u] ?? u).string) }
                if let s = selectIndex, s < results.count,
                   let rows = results[s]["rows"]?.arrayValue, let n = rows.first?["next_cfg"]?.intValue {
                    nextCfg = n
                }
            } else {
                for (i, u) in runner.created { outputs[i] = .text(u.string) }
            }
            for i in runner.created.keys { if case .text(let t) = outputs[i] { outputs[i] = .text(t + "\n") } }
            printOutputs(outputs)
            if let nextCfg {
                while true {
                    let rows = client.replica.rows("Open_vSwitch")
                    if rows.values.contains(where: { ($0["cur_cfg"]?.keys.first?.integerValue ?? 0) >= nextCfg }) { break }
                    try awaitChange(client, schema)
                }
                reportInterfaceErrors(runner.expectedIfaces.compactMap { real[$0] }, client.replica)
            }
            return
        }
    }

    /// Waits for the database to change: the next monitor update, or
    /// (without a monitor) a fresh snapshot a tenth of a second later.
    func awaitChange(_ client: OVSDBClient, _ schema: DatabaseSchema) throws {
        if isMonitoring {
            _ = try client.poll(timeout: nil)
        } else {
            usleep(100_000)
            try client.loadSnapshot("Open_vSwitch", schema: schema, tables: allTables)
        }
    }

    /// As ovs-vsctl after a reload: names the new interfaces that
    /// ovs-vswitchd could not set up (no OpenFlow port number).
    func reportInterfaceErrors(_ ifaces: [UUID], _ replica: Replica) {
        var any = false
        for u in ifaces {
            guard let row = replica.rows("Interface")[u] else { continue }
            let ofport = row["ofport"]?.keys.first?.integerValue
            guard ofport == nil || ofport == -1 else { continue }
            let name = row["name"]?.keys.first?.stringValue ?? ""
            if let e = row["error"]?.keys.first?.stringValue, !e.isEmpty {
                printError("Error detected while setting up '\(name)': \(e).  See ovs-vswitchd log for details.")
            } else {
                printError("Error detected while setting up '\(name)'.  See ovs-vswitchd log for details.")
            }
            any = true
        }
        if any {
            let dir = getenv("OVS_LOGDIR").map { String(cString: $0) } ?? "/var/log/openvswitch"
            printError("The default log directory is \"\(dir)\".")
        }
    }

    static func reason(_ e: Error) -> String {
        if let c = e as? OVSDBClientError, case .system(_, let code) = c { return String(cString: strerror(code)) }
        return "\(e)"
    }

    func printOutputs(_ outputs: [VSCtlOutput]) {
        var out = ""
        var firstTable = true
        for o in outputs {
            switch o {
            case .text(let t):
                if oneline {
                    var s = t
                    if s.hasSuffix("\n") { s.removeLast() }
                    out += s.replacingOccurrences("\\", "\\\\").replacingOccurrences("\n", "\\n") + "\n"
                } else {
                    out += t
                }
            case .table(let headings, let rows):
                if !firstTable { out += "\n" }
                firstTable = false
                out += formatTable(headings, rows)
            }
        }
        var bytes = out
        bytes.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let rest = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buf)[off...])
                let n = write(1, rest.baseAddress, rest.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                off += n
            }
        }
    }

    func cell(_ d: Datum, _ t: ColumnType) -> String {
        switch dataFormat {
        case "bare": return VSCtlText.bare(d)
        case "json": return d.json(t).sortedText
        default: return VSCtlText.string(d, t)
        }
    }

    func formatTable(_ headings: [String], _ rows: [[(Datum, ColumnType)]]) -> String {
        let text = rows.map { $0.map { cell($0.0, $0.1) } }
        var out = ""
        switch format {
        case "table":
            var widths = headings.indices.map { x in text.map { $0[x].utf8.count }.max() ?? 0 }
            if self.headings {
                for x in widths.indices { widths[x] = max(widths[x], headings[x].utf8.count) }
            }
            func line(_ cells: [String]) -> String {
                var l = cells.enumerated().map { x, c in c + String(repeating: " ", count: max(0, widths[x] - c.utf8.count)) }
                    .joined(separator: " ")
                while l.hasSuffix(" ") { l.removeLast() }
                return l + "\n"
            }
            if self.headings {
                out += line(headings)
                out += line(widths.map { String(repeating: "-", count: $0) })
            }
            for r in text { out += line(r) }
        case "csv":
            func q(_ s: String) -> String {
                s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                    ? "\"" + s.replacingOccurrences("\"", "\"\"") + "\"" : s
            }
            if self.headings { out += headings.map(q).joined(separator: ",") + "\n" }
            for r in text { out += r.map(q).joined(separator: ",") + "\n" }
        case "json":
            // Cells are the data's JSON whatever --data says, as in OVS.
            let data = JSON.array(rows.map { .array($0.map { d, t in d.json(t) }) })
            out += JSON.object([("data", data), ("headings", .array(headings.map { .string($0) }))]).text + "\n"
        default:
            for (y, r) in text.enumerated() {
                if y > 0 { out += "\n" }
                for (x, c) in r.enumerated() {
                    if self.headings {
                        let h = headings[x]
                        out += h + String(repeating: " ", count: max(0, 20 - h.utf8.count)) + ": "
                    }
                    out += c + "\n"
                }
            }
        }
        return out
    }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of s: String) -> Range<Index>? {
        guard !s.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(s) { return i..<index(i, offsetBy: s.count) }
            i = index(after: i)
        }
        return nil
    }
}
