import Datapath
import DPIF
import Flow
import Synchronization

// The OpenFlow side of a bridge's ports that OpenFlow itself changes:
// the `OFPPC_*` configuration bits OFPT_PORT_MOD sets, when each port
// appeared (port statistics' durations), and the per-table settings
// OFPT_TABLE_MOD sets. Translation reads the port bits from the bridge's
// configuration snapshot (no lock per packet).

/// A port's OpenFlow configuration bits (`enum ofputil_port_config`), in
/// OpenFlow 1.0's layout (1.1+ keeps only PORT_DOWN, NO_RECV, NO_FWD and
/// NO_PACKET_IN, at the same places).
public struct OFPortConfig: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Administratively down.
    public static let portDown = OFPortConfig(rawValue: 1 << 0)
    /// No 802.1D spanning tree on the port (OpenFlow 1.0).
    public static let noSTP = OFPortConfig(rawValue: 1 << 1)
    /// Drop what arrives on the port, except 802.1D packets.
    public static let noReceive = OFPortConfig(rawValue: 1 << 2)
    /// Drop 802.1D packets arriving on the port (OpenFlow 1.0).
    public static let noReceiveSTP = OFPortConfig(rawValue: 1 << 3)
    /// Leave the port out of OFPP_FLOOD and NORMAL's flooding (OpenFlow 1.0).
    public static let noFlood = OFPortConfig(rawValue: 1 << 4)
    /// Drop what is output to the port.
    public static let noForward = OFPortConfig(rawValue: 1 << 5)
    /// No packet-ins for table misses on the port.
    public static let noPacketIn = OFPortConfig(rawValue: 1 << 6)

    /// The bits of OpenFlow 1.0 (`OFPPC10_ALL`).
    public static let all10 = OFPortConfig(rawValue: 0x7f)
    /// The bits of OpenFlow 1.1 and later (`OFPPC11_ALL`).
    public static let all11 = OFPortConfig(rawValue: 0x65)

    /// The bits version `v`'s messages carry.
    public static func all(version v: UInt8) -> OFPortConfig { v == 1 ? all10 : all11 }
}

/// What OpenFlow changed of one port, and when the port appeared.
struct PortOpenFlowState: Sendable {
    var config: OFPortConfig = []
    /// `OFProtoBridge.now()` when the bridge first had the port.
    var created: Duration
    /// A patch port's traffic (it has no device to count it), credited
    /// by the slow path as group traffic is: what left the bridge
    /// through it and what came in from its peer.
    var patchTraffic: (transmitted: OFGroupCounters, received: OFGroupCounters)?
}

/// A table's OFPT_TABLE_MOD settings (`struct oftable`'s eviction and vacancy).
public struct OFTableSettings: Sendable, Hashable {
    /// OpenFlow asked for eviction (`OFPTC14_EVICTION`).
    public var eviction = false
    /// Vacancy events (`OFPTC14_VACANCY_EVENTS`) and their thresholds in percent.
    public var vacancyEvents = false
    public var vacancyDown: UInt8 = 0
    public var vacancyUp: UInt8 = 0
    public init() {}
}

/// A port description change for OFPT_PORT_STATUS (OFPPR_MODIFY): the
/// configuration bits and link state before and after. Connections send
/// it only if the two encode differently in their version.
public struct PortModification: Sendable {
    public var port: BridgePort
    public var old: OFPortConfig
    public var new: OFPortConfig
    public var oldLinkDown: Bool
    public var newLinkDown: Bool
    /// The connection whose port-mod made the change (nil: none).
    public var source: ObjectIdentifier?

    public init(port: BridgePort, old: OFPortConfig, new: OFPortConfig, oldLinkDown: Bool, newLinkDown: Bool,
                source: ObjectIdentifier?) {
        self.port = port
        self.old = old
        self.new = new
        self.oldLinkDown = oldLinkDown
        self.newLinkDown = newLinkDown
        self.source = source
    }
}

/// Why a port-mod failed (`OFPPMFC_*`).
public enum PortModError: Error, Sendable {
    case badPort
    case badHardwareAddress
}

extension BridgeConfig {
    /// Keeps the OpenFlow state of the ports `old` had that this
    /// configuration still has (same name, number and type); new ports start
    /// with no bits set and `now` as their creation time.
    mutating func inheritPortState(from old: BridgeConfig, now: Duration) {
        var state: [UInt16: PortOpenFlowState] = [:]
        for p in ports {
            if let was = old.openFlowPorts[p.ofport.rawValue], let before = old.port(p.ofport),
               before.name == p.name, before.type == p.type {
                state[p.ofport.rawValue] = was
            } else {
                state[p.ofport.rawValue] = PortOpenFlowState(
                    created: now,
                    patchTraffic: p.type == "patch" ? (OFGroupCounters(buckets: 0), OFGroupCounters(buckets: 0)) : nil)
            }
        }
        openFlowPorts = state
    }

    /// Port `ofport`'s OpenFlow configuration bits.
    func openFlowConfig(_ ofport: OFPort) -> OFPortConfig { openFlowPorts[ofport.rawValue]?.config ?? [] }
}

extension OFProtoBridge {
    /// The OpenFlow configuration bits of port `ofport` (none for an unknown port).
    public func portConfig(_ ofport: OFPort) -> OFPortConfig { snapshot.openFlowConfig(ofport) }

    /// Every port's OpenFlow configuration bits and age (how long ago it
    /// appeared in the bridge), by OpenFlow port number, from one snapshot.
    public func portStates() -> [UInt16: (config: OFPortConfig, age: Duration)] {
        let c = snapshot
        let now = OFProtoBridge.now()
        return c.openFlowPorts.mapValues { ($0.config, max(.zero, now - $0.created)) }
    }

    /// A patch port's packets and bytes sent and received (nil: not a patch port).
    public func patchTraffic(_ ofport: OFPort) -> (rxPackets: UInt64, rxBytes: UInt64, txPackets: UInt64, txBytes: UInt64)? {
        guard let t = snapshot.openFlowPorts[ofport.rawValue]?.patchTraffic else { return nil }
        let rx = t.received.snapshot, tx = t.transmitted.snapshot
        return (rx.packets, rx.bytes, tx.packets, tx.bytes)
    }

    /// How long ago port `ofport` appeared in the bridge (nil: no such port).
    public func portAge(_ ofport: OFPort) -> Duration? {
        let c = snapshot
        guard let s = c.openFlowPorts[ofport.rawValue] else { return nil }
        return max(.zero, OFProtoBridge.now() - s.created)
    }

    /// OFPT_PORT_MOD: sets the bits of `mask` to those of `config` on port
    /// `ofport`, whose address must be `hardwareAddress`. A change posts
    /// OFPPR_MODIFY port status and makes the slow path re-translate its
    /// flows. Returns the port's bits afterwards.
    ///
    /// As Open vSwitch, the port status shows the new configuration with
    /// the old link state first, then (if it changed with PORT_DOWN) the
    /// new link state. `source` names the connection that asked (it gets
    /// no port status before OpenFlow 1.5). Flows in the datapath are
    /// re-translated before this returns.
    @discardableResult
    public func modifyPort(_ ofport: OFPort, hardwareAddress: UInt64, config: OFPortConfig,
                           mask: OFPortConfig, source: ObjectIdentifier? = nil) throws(PortModError) -> OFPortConfig {
        let result = self.config.withLock { c -> Result<(BridgePort, OFPortConfig, OFPortConfig), PortModError> in
            guard let port = c.port(ofport) else { return .failure(.badPort) }
            guard (port.mac?.rawValue ?? 0) == hardwareAddress else { return .failure(.badHardwareAddress) }
            var state = c.openFlowPorts[ofport.rawValue] ?? PortOpenFlowState(created: OFProtoBridge.now())
            let old = state.config
            state.config = OFPortConfig(rawValue: (old.rawValue & ~mask.rawValue) | (config.rawValue & mask.rawValue))
            c.openFlowPorts[ofport.rawValue] = state
            return .success((port, old, state.config))
        }
        let (port, old, next) = try result.get()
        if old != next {
            bridgeConfigGeneration.add(1, ordering: .releasing)
            let wasDown = old.contains(.portDown) || !port.isLive
            let isDown = next.contains(.portDown) || !port.isLive
            asyncMessages.post(.portModified(PortModification(port: port, old: old, new: next, oldLinkDown: wasDown,
                                                              newLinkDown: wasDown, source: source)))
            if isDown != wasDown {
                asyncMessages.post(.portModified(PortModification(port: port, old: next, new: next, oldLinkDown: wasDown,
                                                                  newLinkDown: isDown, source: nil)))
            }
            asyncMessages.slowPath?.revalidate()
        }
        return next
    }

    /// The datapath's ports of this bridge's datapath (name, type, counters),
    /// by datapath port number; empty when the bridge has no datapath.
    public func datapathPorts() -> [UInt32: DPIFPort] {
        guard let slowPath = asyncMessages.slowPath else { return [:] }
        let ports = slowPath.access.withDatapath(named: datapathName) { $0.dumpPorts() } ?? []
        return Dictionary(ports.map { ($0.number.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Table `table`'s OFPT_TABLE_MOD settings.
    public func tableSettings(_ table: UInt8) -> OFTableSettings {
        tableSettingsStore.withLock { $0[table] ?? OFTableSettings() }
    }

    /// Changes the settings of `table` (255: every table) with `body`.
    public func modifyTableSettings(_ table: UInt8, _ body: (inout OFTableSettings) -> Void) {
        tableSettingsStore.withLock { all in
            let tables: [UInt8] = table == 255 ? Array(0...253) : [table]
            for t in tables {
                var s = all[t] ?? OFTableSettings()
                body(&s)
                all[t] = s
            }
        }
    }
}

extension XlateContext {
    /// Counts the packet out of patch port `out` (of configuration
    /// `outConfig`) and into its peer `peer` (the current `config`), as
    /// OVS's `netdev_vport_inc_tx`/`inc_rx`: the slow path credits them
    /// with the flow's traffic.
    mutating func countPatchTraffic(out: OFPort, outConfig: BridgeConfig, peer: OFPort) {
        if let t = outConfig.openFlowPorts[out.rawValue]?.patchTraffic {
            groupHits.append(OFGroupHit(counters: t.transmitted, bucket: nil))
        }
        if let t = config.openFlowPorts[peer.rawValue]?.patchTraffic {
            groupHits.append(OFGroupHit(counters: t.received, bucket: nil))
        }
    }

    /// `may_receive`: false when the input port's configuration drops what
    /// arrives (`NO_RECV`, or `NO_RECV_STP` for 802.1D packets).
    func mayReceive(_ inPort: OFPort) -> Bool {
        let c = config.openFlowConfig(inPort)
        guard !c.isEmpty else { return true }
        // `is_stp`: 802.1D BPDUs, 802.2 frames (no Ethernet type) to 01:80:c2:00:00:00.
        let isSTP = flow[.ethDestination] == 0x0180_c200_0000 && flow[.ethType] == 0x05ff
        return !c.contains(isSTP ? .noReceiveSTP : .noReceive)
    }
}
