import DPIF
import Synchronization

/// What `dpif/show` and `ofproto/list` print, kept by the bridge layer
/// after every reconfiguration (the commands run on other threads).
struct BridgeShowState: Sendable {
    struct Port: Sendable {
        var name: String
        var ofport: UInt16
        var datapathPort: UInt32?
        /// The device type as Open vSwitch names it (`dummy`, `tap`, `system`, `patch`...).
        var type: String
        /// `netdev_get_config`'s pairs, sorted by key.
        var config: [(String, String)]
    }
    struct Bridge: Sendable {
        var name: String
        var datapathName: String
        var datapathType: String
        var ports: [Port]
    }
    /// Bridges that run, by name.
    var bridges: [Bridge] = []
}

extension BridgeLayer {
    /// `ofproto/list`: the bridges, one a line, sorted.
    public func ofprotoList() -> String {
        showState.withLock { $0.bridges.map { $0.name + "\n" }.joined() }
    }

    /// `dpif/show`: per datapath with bridges, its hit and miss counters,
    /// then each bridge and its ports sorted by name, as
    /// `NAME OFPORT/DPPORT: (TYPE[: KEY=VALUE, ...])`.
    public func dpifShow() -> String {
        let state = showState.withLock { $0 }
        var out = ""
        let datapaths = Set(state.bridges.map(\.datapathName))
        // Backers sort by their full name, `TYPE@NAME`.
        let named = datapaths.map { dp in (dp, state.bridges.first { $0.datapathName == dp }!.datapathType) }
            .sorted { "\($0.1)@\($0.0)" < "\($1.1)@\($1.0)" }
        for (dp, type) in named {
            let stats = host.withDatapath(named: dp) { $0.statistics() }
            out += "\(type)@\(dp): hit:\(stats?.datapath.hit ?? 0) missed:\(stats?.datapath.missed ?? 0)\n"
            for b in state.bridges.filter({ $0.datapathName == dp }).sorted(by: { $0.name < $1.name }) {
                out += "  \(b.name):\n"
                for p in b.ports.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
                    out += "    \(p.name) \(p.ofport)/" + (p.datapathPort.map { "\($0):" } ?? "none:") + " (\(p.type)"
                    for (i, (k, v)) in p.config.enumerated() { out += "\(i == 0 ? ":" : ",") \(k)=\(v)" }
                    out += ")\n"
                }
            }
        }
        return out
    }

    /// Records what the show commands print (after a reconfiguration).
    func recordShowState() {
        var state = BridgeShowState()
        for name in bridges.keys.sorted() {
            let b = bridges[name]!
            guard b.creationError == nil, let dp = b.kind.datapathName else { continue }
            var ports: [BridgeShowState.Port] = []
            for device in [b.local].compactMap({ $0 }) + b.interfaces.values {
                var config: [(String, String)] = []
                if let peer = device.patchPeer { config.append(("peer", peer)) }
                if device.portType == "dummy" {
                    for key in ["pcap", "rxq_pcap", "tx_pcap"] {
                        if let v = device.key.options[key] { config.append((key, v)) }
                    }
                }
                ports.append(BridgeShowState.Port(name: device.name, ofport: device.ofport,
                                                  datapathPort: device.datapathPort?.rawValue,
                                                  type: device.portType ?? device.type, config: config))
            }
            state.bridges.append(BridgeShowState.Bridge(name: name, datapathName: dp,
                                                        datapathType: b.kind == .dummy ? "dummy" : "netdev",
                                                        ports: ports))
        }
        showState.withLock { $0 = state }
    }
}
