import ArgumentParser
import Flow
import OFProto

/// `svs ofproto-trace TOPOLOGY TRACES` (hidden): builds bridges from a
/// topology file and prints `ofproto/trace` for each line of TRACES, each
/// output followed by a `=== END ===` line. For differential tests until
/// the daemon serves `ofproto/trace`.
///
/// Topology lines (`#` comments):
///     bridge NAME DATAPATH [secure]
///     port BRIDGE NAME OFPORT DPPORT|- TYPE [tag=N] [trunks=A,B] [vlan_mode=M] [peer=NAME]
///     flows BRIDGE FILE [OpenFlow10|OpenFlow13...]   (ovs-ofctl add-flows syntax)
/// Trace lines: the `ofproto/trace` arguments, separated by spaces, or
/// `fdb/show BRIDGE` / `fdb/flush [BRIDGE]`.
struct OFProtoTraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ofproto-trace", abstract: "Run ofproto/trace against a topology file.",
        shouldDisplay: false)
    @Argument var topology: String
    @Argument var traces: String

    func run() throws {
        let bridges = OFProtoBridges()
        var list: [OFProtoBridge] = []
        var ports: [String: [BridgePort]] = [:]
        var flowFiles: [(String, String, OFVersion)] = []
        let versions: [String: OFVersion] = [
            "OpenFlow10": .of10, "OpenFlow11": .of11, "OpenFlow12": .of12, "OpenFlow13": .of13,
            "OpenFlow14": .of14, "OpenFlow15": .of15,
        ]
        for line in try TextFile.read(topology).split(separator: "\n") {
            let w = line.split(separator: " ").map(String.init)
            guard let kind = w.first, !kind.hasPrefix("#") else { continue }
            switch kind {
            case "bridge":
                var s = BridgeSettings()
                s.failSecure = w.count > 3 && w[3] == "secure"
                list.append(OFProtoBridge(name: w[1], datapathName: w[2], settings: s))
            case "port":
                let ofport = w[3] == "LOCAL" ? OFPort.local : OFPort(rawValue: UInt16(w[3]) ?? 0)
                var p = BridgePort(name: w[2], ofport: ofport, datapathPort: UInt32(w[4]).map { DatapathPort($0) },
                                   type: w[5])
                for opt in w.dropFirst(6) {
                    let kv = opt.split(separator: "=", maxSplits: 1).map(String.init)
                    guard kv.count == 2 else { continue }
                    switch kv[0] {
                    case "tag": p.tag = UInt16(kv[1])
                    case "trunks": p.trunks = kv[1].split(separator: ",").compactMap { UInt16($0) }
                    case "cvlans": p.customerVLANs = kv[1].split(separator: ",").compactMap { UInt16($0) }
                    case "vlan_mode": p.vlanMode = PortVLANMode(rawValue: kv[1])
                    case "peer": p.patchPeer = kv[1]
                    default: break
                    }
                }
                ports[w[1], default: []].append(p)
            case "flows":
                flowFiles.append((w[1], w[2], w.count > 3 ? versions[w[3]] ?? .of10 : .of10))
            default:
                throw ValidationError("topology: unknown line \(line)")
            }
        }
        for b in list { b.setPorts(ports[b.name] ?? []) }
        bridges.set(list)
        for (name, file, version) in flowFiles {
            guard let b = bridges.bridge(named: name) else { throw ValidationError("flows: no bridge \(name)") }
            var specs: [(UInt8, OpenFlowRuleSpec<[OFAction]>)] = []
            for line in try TextFile.read(file).split(separator: "\n") {
                let t = String(line.trimmingBlanks)
                if t.isEmpty || t.hasPrefix("#") { continue }
                let f = try FlowModText.parse(t)
                let acts = OFActionEncoding.roundTrip(f.actions, version: version, match: f.match)
                specs.append((f.table == 255 ? 0 : f.table,
                              OpenFlowRuleSpec(match: f.match, priority: UInt16(f.priority), cookie: f.cookie,
                                               actions: acts)))
            }
            try b.pipeline.transaction { tx in
                for (table, spec) in specs {
                    try tx.add(spec, table: OpenFlowTableID(table), now: OFProtoBridge.now())
                }
            }
        }
        for line in try TextFile.read(traces).split(separator: "\n") {
            let args = line.split(separator: " ").map(String.init)
            if args.isEmpty { continue }
            do {
                switch args[0] {
                case "fdb/show": print(try OFProtoCommands.fdbShow(Array(args.dropFirst()), bridges: bridges), terminator: "")
                case "fdb/flush": print(try OFProtoCommands.fdbFlush(Array(args.dropFirst()), bridges: bridges))
                default: print(try OFProtoCommands.trace(args, bridges: bridges))
                }
            } catch {
                print(error.description)
            }
            print("=== END ===")
        }
    }
}
