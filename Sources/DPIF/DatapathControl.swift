import Datapath
import Flow
import Wire

/// A `dpctl` command that failed: Open vSwitch's `dpctl_error` text
/// (`MESSAGE (strerror)`) and the errno it carries.
public struct DatapathControlError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var errno: Int32
    /// What svs knows beyond Open vSwitch's message (printed on a line of its own).
    public var detail: String?

    public init(_ message: String, errno: Int32, detail: String? = nil) {
        self.message = message
        self.errno = errno
        self.detail = detail
    }

    init(_ message: String, _ error: DPIFError) {
        self.init(message, errno: error.errno)
    }

    public var description: String {
        let line = errno == 0 ? message : "\(message) (\(Self.errnoText(errno)))"
        return detail.map { line + "\n" + $0 } ?? line
    }

    /// `strerror` for the errnos the datapath returns.
    static func errnoText(_ e: Int32) -> String {
        switch e {
        case 2: "No such file or directory"
        case 17: "File exists"
        case 19: "No such device"
        case 22: "Invalid argument"
        case 27: "File too large"
        case 95: "Operation not supported"
        default: "error \(e)"
        }
    }
}

/// The `dpctl` commands (`ovs-dpctl`, `ovs-appctl dpctl/...`) over the
/// datapaths of a `DatapathRegistry`, with Open vSwitch's syntax and output.
///
/// A datapath is named `NAME` or `TYPE@NAME` (the type, `netdev` or its
/// alias `system`, is accepted and ignored: every svs datapath is the
/// user-space one). Where the datapath argument is optional, the only
/// datapath is used.
public final class DatapathControl {
    public let registry: DatapathRegistry

    public init(registry: DatapathRegistry) {
        self.registry = registry
    }

    /// The commands, as `dpctl/list-commands` would list them.
    public static let commands = [
        "add-dp", "del-dp", "dump-dps", "show", "add-if", "del-if",
        "dump-flows", "add-flow", "mod-flow", "get-flow", "del-flow", "del-flows",
    ]

    /// Runs one command (`["add-flow", "in_port(1),...", "2"]`) and returns
    /// what it prints on success.
    public func run(_ arguments: [String]) throws(DatapathControlError) -> String {
        var options = Set<String>()
        var args: [String] = []
        for a in arguments {
            if a.hasPrefix("-"), a.count > 1, args.count >= 1 {
                options.insert(a)
            } else {
                args.append(a)
            }
        }
        guard let command = args.first else { throw DatapathControlError("missing command name", errno: 22) }
        let rest = Array(args.dropFirst())
        let statistics = options.contains("-s") || options.contains("--statistics")
        let more = options.contains("-m") || options.contains("--more")
        switch command {
        case "add-dp": return try addDatapath(rest)
        case "del-dp": return try deleteDatapath(rest)
        case "dump-dps": return registry.names.map { "\(registry.typeName(of: $0))@\($0)\n" }.joined()
        case "show": return try show(rest, statistics: statistics)
        case "add-if": return try addInterfaces(rest)
        case "del-if": return try deleteInterfaces(rest)
        case "dump-flows": return try dumpFlows(rest, verbose: more)
        case "add-flow": return try putFlow(rest, flags: [.create], command: command, printStatistics: false)
        case "mod-flow":
            var flags: FlowPutFlags = [.modify]
            if options.contains("--may-create") { flags.insert(.create) }
            if options.contains("--clear") { flags.insert(.zeroStats) }
            return try putFlow(rest, flags: flags, command: command, printStatistics: statistics)
        case "get-flow": return try getFlow(rest)
        case "del-flow": return try deleteFlow(rest, printStatistics: statistics)
        case "del-flows": return try deleteFlows(rest)
        default: throw DatapathControlError("unknown command '\(command)'; use --help for help", errno: 22)
        }
    }

    // MARK: Datapaths and ports

    /// `netdev@dp0` or `dp0` → `dp0`.
    static func datapathName(_ text: String) -> String {
        guard let at = text.firstIndex(of: "@") else { return text }
        return String(text[text.index(after: at)...])
    }

    func open(_ text: String) throws(DatapathControlError) -> LocalDatapath {
        do {
            return try registry.open(name: Self.datapathName(text))
        } catch {
            throw DatapathControlError("opening datapath \(text) failed", error)
        }
    }

    /// The datapath when `args` has `extra` more arguments than `required`,
    /// else the only one there is.
    func datapath(_ args: [String], required: Int) throws(DatapathControlError) -> (LocalDatapath, [String]) {
        if args.count > required {
            return (try open(args[0]), Array(args.dropFirst()))
        }
        let names = registry.names
        guard names.count == 1 else {
            throw DatapathControlError(names.isEmpty ? "no datapaths exist" : "multiple datapaths, specify one", errno: 22)
        }
        return (try open(names[0]), args)
    }

    func addDatapath(_ args: [String]) throws(DatapathControlError) -> String {
        guard let name = args.first else { throw DatapathControlError("'add-dp' command requires at least 1 arguments", errno: 22) }
        do {
            _ = try registry.create(name: Self.datapathName(name))
        } catch {
            throw DatapathControlError("add_dp", error)
        }
        if args.count > 1 { return try addInterfaces(args) }
        return ""
    }

    func deleteDatapath(_ args: [String]) throws(DatapathControlError) -> String {
        guard let name = args.first else { throw DatapathControlError("'del-dp' command requires at least 1 arguments", errno: 22) }
        do {
            try registry.delete(name: Self.datapathName(name))
        } catch {
            throw DatapathControlError("opening datapath", error)
        }
        return ""
    }

    /// `add-if DP NAME[,type=TYPE][,port_no=N][,KEY=VALUE]...`; the type
    /// defaults to `system`, as in `ovs-dpctl`.
    func addInterfaces(_ args: [String]) throws(DatapathControlError) -> String {
        guard args.count >= 2 else { throw DatapathControlError("'add-if' command requires at least 2 arguments", errno: 22) }
        let dp = try open(args[0])
        for spec in args.dropFirst() {
            let parts = spec.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let name = parts[0]
            var type = PortType.system
            var number: DatapathPort?
            var options: [String: String] = [:]
            for option in parts.dropFirst() {
                guard let eq = option.firstIndex(of: "=") else {
                    throw DatapathControlError("\(name): bad option \(option)", errno: 22)
                }
                let key = String(option[..<eq]), value = String(option[option.index(after: eq)...])
                switch key {
                case "type": type = PortType(rawValue: value)
                case "port_no":
                    guard let n = UInt32(value) else { throw DatapathControlError("\(name): bad port_no \(value)", errno: 22) }
                    number = DatapathPort(n)
                default: options[key] = value
                }
            }
            do {
                _ = try dp.addPort(PortConfiguration(name: name, type: type, requestedNumber: number, options: options))
            } catch {
                throw DatapathControlError("adding \(name) to \(dp.name) failed", error)
            }
        }
        return ""
    }

    func deleteInterfaces(_ args: [String]) throws(DatapathControlError) -> String {
        guard args.count >= 2 else { throw DatapathControlError("'del-if' command requires at least 2 arguments", errno: 22) }
        let dp = try open(args[0])
        for name in args.dropFirst() {
            guard let port = try? dp.port(named: name) else {
                throw DatapathControlError("no port named \(name)", errno: 0)
            }
            do throws(DPIFError) {
                // The local port goes only with its datapath.
                guard port.number != .local else { throw DPIFError.invalid("the local port") }
                try dp.deletePort(port.number)
            } catch {
                throw DatapathControlError("deleting port \(name) from \(registry.typeName(of: dp.name))@\(dp.name) failed", error)
            }
        }
        return ""
    }

    func show(_ args: [String], statistics: Bool) throws(DatapathControlError) -> String {
        var out = ""
        let names = args.isEmpty ? registry.names : args
        for name in names {
            let dp = try open(name)
            out += "\(registry.typeName(of: dp.name))@\(dp.name):\n"
            out += dp.statistics().summary + "\n"
            for port in dp.dumpPorts().sorted(by: { $0.number < $1.number }) {
                out += "  port \(port.number.rawValue): \(port.name)"
                if port.type != .system { out += " (\(port.type.rawValue))" }
                out += "\n"
                if statistics { out += Self.portStatistics(port.stats) }
            }
        }
        return out
    }

    /// The four counter lines of `show -s`. svs's ports have no overruns,
    /// frame, aborted, carrier or collision errors: those print 0, as Open
    /// vSwitch prints them for its user-space (dummy, tap) ports.
    static func portStatistics(_ s: PortStats) -> String {
        "    RX packets:\(s.rxPackets) errors:\(s.rxErrors) dropped:\(s.rxDropped) overruns:0 frame:0\n"
            + "    TX packets:\(s.txPackets) errors:\(s.txErrors) dropped:\(s.txDropped) aborted:0 carrier:0\n"
            + "    collisions:0\n"
            + "    RX bytes:\(s.rxBytes)\(humanSize(s.rxBytes))  TX bytes:\(s.txBytes)\(humanSize(s.txBytes))\n"
    }

    /// ` (1.5 KiB)` for sizes of 1 KiB and more, as `print_human_size`.
    static func humanSize(_ value: UInt64) -> String {
        let units: [(UInt64, String)] = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, unit) in units where value >= size {
            let tenths = (value * 10 + size / 2) / size
            return " (\(tenths / 10).\(tenths % 10) \(unit))"
        }
        return ""
    }

    // MARK: Flows

    func parseFlow(_ text: String) throws(DatapathControlError) -> (FlowKey, FlowMask) {
        do {
            return try DatapathKeyAttributes.parseFlow(text)
        } catch {
            throw DatapathControlError("parsing flow key (\(error.message))", errno: 22)
        }
    }

    func parseActions(_ text: String) throws(DatapathControlError) -> [DatapathAction] {
        do {
            return try DatapathActionText.parse(text)
        } catch {
            // Open vSwitch says no more than this (the position is not kept).
            throw DatapathControlError("parsing actions", errno: 22)
        }
    }

    func putFlow(_ args: [String], flags: FlowPutFlags, command: String,
                 printStatistics: Bool) throws(DatapathControlError) -> String {
        guard args.count >= 2 else {
            throw DatapathControlError("'\(command)' command requires at least 2 arguments", errno: 22)
        }
        let (dp, rest) = try datapath(args, required: 2)
        let (key, mask) = try parseFlow(rest[0])
        let actions = try parseActions(rest[1])
        do {
            let previous = try dp.putFlow(FlowPut(key: key, mask: mask, actions: actions, flags: flags))
            if printStatistics, let previous { return Self.formatCounters(previous) + "\n" }
            return ""
        } catch {
            throw DatapathControlError("updating flow table", error)
        }
    }

    func getFlow(_ args: [String]) throws(DatapathControlError) -> String {
        guard !args.isEmpty else { throw DatapathControlError("'get-flow' command requires at least 1 arguments", errno: 22) }
        let (dp, rest) = try datapath(args, required: 1)
        guard let ufid = Self.parseUFID(rest[0]) else {
            throw DatapathControlError("parsing flow ufid", errno: 0)
        }
        do {
            let flow = try dp.getFlow(.ufid(ufid))
            return Self.format(flow, verbose: true) + "\n"
        } catch {
            throw DatapathControlError("getting flow", error)
        }
    }

    func deleteFlow(_ args: [String], printStatistics: Bool) throws(DatapathControlError) -> String {
        guard !args.isEmpty else { throw DatapathControlError("'del-flow' command requires at least 1 arguments", errno: 22) }
        let (dp, rest) = try datapath(args, required: 1)
        let selector: FlowSelector
        let byUFID = Self.parseUFID(rest[0]) != nil
        if let ufid = Self.parseUFID(rest[0]) {
            selector = .ufid(ufid)
        } else {
            let (key, mask) = try parseFlow(rest[0])
            selector = .key(key.masked(by: mask))
        }
        do {
            let flow = try dp.deleteFlow(selector)
            return printStatistics ? Self.formatCounters(flow.counters) + "\n" : ""
        } catch {
            // A flow added with a UFID is found only by it (dpif-netdev).
            let hint = error.errno == 2 && !byUFID ? "Perhaps you need to specify a UFID?" : nil
            throw DatapathControlError("deleting flow", errno: error.errno, detail: hint)
        }
    }

    func deleteFlows(_ args: [String]) throws(DatapathControlError) -> String {
        let (dp, _) = try datapath(args, required: 0)
        dp.flushFlows()
        return ""
    }

    func dumpFlows(_ args: [String], verbose: Bool) throws(DatapathControlError) -> String {
        if let f = args.first(where: { $0.hasPrefix("filter=") }) {
            throw DatapathControlError("Failed to parse filter (\(f.dropFirst(7)): OpenFlow match syntax arrives with the slow path)", errno: 95)
        }
        let (dp, _) = try datapath(args.filter { !$0.hasPrefix("type=") && !$0.hasPrefix("pmd=") }, required: 0)
        if dp.flowDumpPerPollThread {
            return try dumpFlowsPerPollThread(dp, args, verbose: verbose)
        }
        let flows = dp.dumpAllFlows()
        guard !flows.isEmpty else { return "" }
        // `-m` names the ports (dpctl's `--names` follows verbosity).
        let names = verbose ? Dictionary(dp.dumpPorts().map { ($0.number.rawValue, $0.name) }, uniquingKeysWith: { a, _ in a }) : [:]
        var out = "flow-dump from the main thread:\n"
        for flow in flows {
            out += Self.format(flow, verbose: verbose, portNames: names) + "\n"
        }
        return out
    }

    /// `dump-flows` of a datapath whose poll threads are pmd threads: each
    /// thread's flows with its own counters under `flow-dump from pmd on
    /// cpu core: N`, as Open vSwitch prints several pmd threads' tables;
    /// `pmd=N` keeps thread N's flows, without the title (`pmd=-1`, the
    /// main thread, has none).
    func dumpFlowsPerPollThread(_ dp: LocalDatapath, _ args: [String], verbose: Bool) throws(DatapathControlError) -> String {
        var only: Int?
        if let p = args.last(where: { $0.hasPrefix("pmd=") }) {
            guard let n = Int(p.dropFirst(4)) else { throw DatapathControlError("dump-flows", errno: 22) }
            only = n
        }
        let names = verbose ? Dictionary(dp.dumpPorts().map { ($0.number.rawValue, $0.name) }, uniquingKeysWith: { a, _ in a }) : [:]
        var out = ""
        for (thread, flows) in dp.dumpFlowsPerPollThread() where only == nil || only == thread {
            if only == nil && !flows.isEmpty { out += "flow-dump from pmd on cpu core: \(thread)\n" }
            for flow in flows { out += Self.format(flow, verbose: verbose, portNames: names) + "\n" }
        }
        return out
    }

    /// One line of `dump-flows`: key, counters, actions (`format_dpif_flow`).
    public static func format(_ flow: DPIFFlow, verbose: Bool, now: UInt64 = DatapathClock.milliseconds,
                              portNames: [UInt32: String] = [:]) -> String {
        var out = verbose ? "\(flow.ufid), " : ""
        out += DatapathKeyAttributes.formatted(key: flow.key, mask: flow.mask, verbose: verbose, portNames: portNames)
        out += ", " + formatCounters(flow.counters, now: now)
        if verbose { out += ", dp:ovs" }
        out += ", actions:" + DatapathActionText.formatted(flow.actions, portNames: portNames)
        return out
    }

    /// `packets:N, bytes:N, used:…[, flags:…]` (`dpif_flow_stats_format`).
    public static func formatCounters(_ c: FlowCounters, now: UInt64 = DatapathClock.milliseconds) -> String {
        var out = "packets:\(c.packets), bytes:\(c.bytes), used:"
        if c.usedMilliseconds == 0 {
            out += "never"
        } else {
            let ms = now >= c.usedMilliseconds ? now - c.usedMilliseconds : 0
            let frac = ms % 1000
            out += "\(ms / 1000)." + String(repeating: "0", count: frac < 10 ? 2 : frac < 100 ? 1 : 0) + "\(frac)s"
        }
        if c.tcpFlags != 0 { out += ", flags:" + tcpFlagsText(c.tcpFlags) }
        return out
    }

    /// `packet_format_tcp_flags`: `S`, `F`, `P`, `R`, `U`, `.`, `E`, `C`, `N`,
    /// then unnamed bits as `[200]`.
    public static func tcpFlagsText(_ flags: UInt16) -> String {
        if flags == 0 { return "none" }
        let names: [(UInt16, String)] = [(0x002, "S"), (0x001, "F"), (0x008, "P"), (0x004, "R"), (0x020, "U"),
                                         (0x010, "."), (0x040, "E"), (0x080, "C"), (0x100, "N"),
                                         (0x200, "[200]"), (0x400, "[400]"), (0x800, "[800]")]
        return names.filter { flags & $0.0 != 0 }.map(\.1).joined()
    }

    /// `ufid:XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` (or without the `ufid:`).
    static func parseUFID(_ text: String) -> FlowUFID? {
        var s = Substring(text)
        if s.hasPrefix("ufid:") { s = s.dropFirst(5) } else { return nil }
        let hex = s.filter { $0 != "-" }
        guard hex.count == 32, let v = UInt128(hex, radix: 16) else { return nil }
        return FlowUFID(rawValue: v)
    }
}
