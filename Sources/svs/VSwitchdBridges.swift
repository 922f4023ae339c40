#if canImport(Glibc)
import Glibc
#endif
import Logging
import OFProto
import Synchronization
import Unixctl
import VSwitch

/// The bridge layer inside the daemon: a thread that keeps the bridges in
/// step with the database (`VSwitch.BridgeLayer`), and the slow path's
/// `ovs-appctl` commands.
final class VSwitchdBridges: VSwitchdComponent, @unchecked Sendable {
    let name = "bridge"
    private var layer: BridgeLayer?
    private let stopRequested = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    func start(_ context: VSwitchdContext) throws {
        let datapaths = context.datapaths
        let layer = BridgeLayer(
            options: BridgeLayer.Options(databaseRemote: context.databaseRemote,
                                         runDirectory: context.options.runDirectory,
                                         enableDummy: context.options.enableDummy),
            host: context.datapaths)
        self.layer = layer
        Self.registerCommands(context.commands, bridges: layer.ofprotoBridges)
        context.commands.register("dpif/show", usage: "", arguments: 0...0) { _ in layer.dpifShow() }
        context.commands.register("ofproto/list", usage: "", arguments: 0...0) { _ in layer.ofprotoList() }
        context.commands.register("upcall/show", usage: "", arguments: 0...0) { _ in
            OFProtoCommands.upcallShow(layer.allSlowPaths) { datapaths.fullName(of: $0) }
        }
        // Every datapath flow goes; the revalidators forget them at their next round.
        context.commands.register("revalidator/purge", usage: "", arguments: 0...0) { _ in
            for s in layer.allSlowPaths { _ = datapaths.withDatapath(named: s.datapathName) { $0.flushFlows() } }
            return ""
        }
        // One revalidation round of every slow path, done when this returns.
        context.commands.register("revalidator/wait", usage: "", arguments: 0...0) { _ in
            for s in layer.allSlowPaths { s.revalidate() }
            return ""
        }
        context.commands.register("bridge/dump-flows", usage: "[--offload-stats] bridge",
                                  arguments: 1...2) { arguments throws(UnixctlError) in
            try Self.bridgeDumpFlows(arguments, bridges: layer.ofprotoBridges)
        }
        context.commands.register("dpif/dump-flows", usage: "[-m] [--names | --no-names] bridge",
                                  arguments: 1...Int(Int32.max)) { arguments throws(UnixctlError) in
            try Self.dumpFlows(arguments, layer: layer, datapaths: datapaths)
        }
        DetachedThread.start(name: "bridge") { [self] in
            layer.run { stopRequested.load(ordering: .acquiring) }
            finished.store(true, ordering: .releasing)
        }
    }

    func stop(cleanup: Bool) {
        stopRequested.store(true, ordering: .releasing)
        // The loop checks the flag at least every 100 ms (a transaction in
        // flight may take longer); give it 15 s at most.
        for _ in 0..<1500 where !finished.load(ordering: .acquiring) { usleep(10_000) }
        if finished.load(ordering: .acquiring) { layer?.shutdown(cleanup: cleanup) }
    }

    /// `bridge/dump-flows [--offload-stats] BRIDGE`: every rule of every
    /// table, hidden ones included, as Open vSwitch's `flow_stats_ds`
    /// prints them (`table_id=N, ` outside table 0, age in whole seconds).
    static func bridgeDumpFlows(_ arguments: [String], bridges: OFProtoBridges) throws(UnixctlError) -> String {
        guard let name = arguments.last, let b = bridges.bridge(named: name) else {
            throw UnixctlError("Unknown bridge")
        }
        let offload = arguments.dropLast().contains("--offload-stats")
        let now = OFProtoBridge.now()
        return b.pipeline.read { reader in
            var out = ""
            for rule in reader.rules(in: .all) {
                if rule.table.rawValue != 0 { out += "table_id=\(rule.table.rawValue), " }
                out += "duration=\(max(0, (now - rule.created).components.seconds))s, "
                out += "n_packets=\(rule.packetCount), n_bytes=\(rule.byteCount), "
                if offload { out += "n_offload_packets=0, n_offload_bytes=0, " }
                out += rule.match.formatted(priority: rule.priority) + ","
                out += "actions=" + OFAction.format(rule.actions) + "\n"
            }
            return out
        }
    }

    /// `dpif/dump-flows [-m] [--names | --no-names] BRIDGE`: the datapath
    /// flows whose input port is one of the bridge's, in `dpctl/dump-flows`'
    /// format (port names with `--names`, or by default with `-m`).
    static func dumpFlows(_ arguments: [String], layer: BridgeLayer,
                          datapaths: VSwitchdDatapaths) throws(UnixctlError) -> String {
        guard let bridge = arguments.last, let (dp, ports) = layer.datapathPorts(ofBridge: bridge) else {
            throw UnixctlError("no such bridge")
        }
        var verbose = false
        var names: Bool?
        for a in arguments.dropLast() {
            switch a {
            case "-m": verbose = true
            case "--names": names = true
            case "--no-names": names = false
            default: break
            }
        }
        let useNames = names ?? verbose
        var command = ["dump-flows"]
        if verbose { command.append("-m") }
        if useNames { command.append("--names") }
        command.append(dp)
        let text: String
        switch datapaths.dpctl(command) {
        case .success(let t): text = t
        case .failure(let e): throw UnixctlError("\(e)")
        }
        // dpctl names ports only with -m: without it, numbers are named here.
        let rename = useNames && !verbose
        let byNumber = Dictionary(ports.map { (String($0.number), $0.name) }, uniquingKeysWith: { a, _ in a })
        let inPorts = Set(ports.map { "in_port(\(useNames ? $0.name : String($0.number)))" })
        var out = ""
        for var line in text.split(separator: "\n").map(String.init) {
            if rename { line = Self.namingPorts(line, byNumber) }
            if inPorts.contains(where: { line.contains($0) }) { out += line + "\n" }
        }
        return out
    }

    /// `line` with `in_port(N)` and the output ports of its actions (bare
    /// numbers between commas, outside parentheses) written as names.
    static func namingPorts(_ line: String, _ names: [String: String]) -> String {
        var line = line
        for (number, name) in names { line = line.replacingOccurrences("in_port(\(number))", "in_port(\(name))") }
        guard let range = line.firstRange(of: ", actions:") else { return line }
        var out = String(line[..<range.upperBound])
        var depth = 0
        var token = ""
        func flush() {
            out += depth == 0 ? (names[token] ?? token) : token
            token = ""
        }
        for c in line[range.upperBound...] {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if c == "," && depth == 0 {
                flush()
                out.append(c)
            } else if depth == 0 && c.isNumber {
                token.append(c)
            } else {
                out += token
                token = ""
                out.append(c)
            }
        }
        flush()
        return out
    }

    /// The slow path's commands, text in and text out.
    static func registerCommands(_ commands: UnixctlCommands, bridges: OFProtoBridges) {
        let table: [(String, String, ClosedRange<Int>,
                     @Sendable ([String], OFProtoBridges) throws(OFProtoCommandError) -> String)] = [
            ("fdb/show", "bridge", 1...1, OFProtoCommands.fdbShow),
            ("fdb/flush", "[bridge]", 0...1, OFProtoCommands.fdbFlush),
        ]
        for (name, usage, arguments, run) in table {
            commands.register(name, usage: usage, arguments: arguments) { arguments throws(UnixctlError) in
                do throws(OFProtoCommandError) {
                    return try run(arguments, bridges)
                } catch {
                    throw UnixctlError(error.description)
                }
            }
        }
        commands.register("ofproto/trace", usage: "{[dp_name] odp_flow | bridge br_flow} [OPTIONS...] [-generate|packet]",
                          arguments: 1...Int(Int32.max)) { arguments throws(UnixctlError) in
            do throws(OFProtoCommandError) {
                return try OFProtoCommands.trace(arguments, bridges: bridges)
            } catch {
                throw UnixctlError(error.description)
            }
        }
    }
}
