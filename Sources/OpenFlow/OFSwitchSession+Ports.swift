import Datapath
import DPIF
import Flow
import OFProto

// Ports, queues and tables seen from OpenFlow: port statistics
// (OFPST_PORT / OFPMP_PORT_STATS), queue statistics and configuration
// (svs has no QoS: every port has one queue 0 whose counters are unknown,
// as Open vSwitch's ports without QoS), OFPT_PORT_MOD, OFPT_TABLE_MOD and
// the table description multipart (OpenFlow 1.4+).

extension OFErrorCode {
    public static let queueBadPort = OFErrorCode("OFPQOFC_BAD_PORT", of10: Triplet(5, 0), of11: Triplet(9, 0), of12: Triplet(9, 0))
    public static let queueBadQueue = OFErrorCode("OFPQOFC_BAD_QUEUE", of10: Triplet(5, 1), of11: Triplet(9, 1), of12: Triplet(9, 1))
    public static let portModBadPort = OFErrorCode("OFPPMFC_BAD_PORT", of10: Triplet(4, 0), of11: Triplet(7, 0), of12: Triplet(7, 0))
    public static let portModBadHardwareAddress = OFErrorCode("OFPPMFC_BAD_HW_ADDR", of10: Triplet(4, 1), of11: Triplet(7, 1), of12: Triplet(7, 1))
    public static let tableModBadTable = OFErrorCode("OFPTMFC_BAD_TABLE", of10: nil, of11: Triplet(8, 0), of12: Triplet(8, 0))
    public static let tableModBadConfig = OFErrorCode("OFPTMFC_BAD_CONFIG", of10: nil, of11: Triplet(8, 1), of12: Triplet(8, 1))
    public static let tableModPermission = OFErrorCode("OFPTMFC_EPERM", of10: nil, of11: nil, of12: Triplet(8, 2))
    public static let propertyBadType = OFErrorCode("OFPBPC_BAD_TYPE", of10: nil, of11: nil, of12: Triplet(14, 0))
    public static let propertyBadLength = OFErrorCode("OFPBPC_BAD_LEN", of10: nil, of11: nil, of12: Triplet(14, 1))
    public static let propertyBadValue = OFErrorCode("OFPBPC_BAD_VALUE", of10: nil, of11: nil, of12: Triplet(14, 2))
    public static let propertyBadExperimenterType = OFErrorCode("OFPBPC_BAD_EXP_TYPE", of10: nil, of11: nil, of12: Triplet(14, 6))
}

/// A port's counters as OpenFlow reports them (`struct netdev_stats`):
/// `UInt64.max` is a counter the device does not know (`?` in ovs-ofctl).
public struct OFPortCounters: Sendable, Hashable {
    public var rxPackets: UInt64 = .max, txPackets: UInt64 = .max
    public var rxBytes: UInt64 = .max, txBytes: UInt64 = .max
    public var rxDropped: UInt64 = .max, txDropped: UInt64 = .max
    public var rxErrors: UInt64 = .max, txErrors: UInt64 = .max
    public var rxFrameErrors: UInt64 = .max, rxOverErrors: UInt64 = .max
    public var rxCRCErrors: UInt64 = .max, collisions: UInt64 = .max
    /// Device-specific counters (OpenFlow 1.4+'s Intel custom property), in order.
    public var custom: [(name: String, value: UInt64)] = []

    public init() {}

    public static func == (a: Self, b: Self) -> Bool {
        a.values == b.values && a.custom.map(\.name) == b.custom.map(\.name) && a.custom.map(\.value) == b.custom.map(\.value)
    }
    public func hash(into h: inout Hasher) { h.combine(values) }
    var values: [UInt64] {
        [rxPackets, txPackets, rxBytes, txBytes, rxDropped, txDropped, rxErrors, txErrors,
         rxFrameErrors, rxOverErrors, rxCRCErrors, collisions]
    }

    /// What a datapath port of `type` reports: in-memory (`dummy`) devices
    /// count packets and bytes only, as Open vSwitch's `netdev-dummy`
    /// (with its custom counters); other devices report every counter the
    /// datapath keeps, and 0 for the Ethernet errors it never sees.
    public init(type: PortType, stats s: PortStats) {
        rxPackets = s.rxPackets; txPackets = s.txPackets; rxBytes = s.rxBytes; txBytes = s.txBytes
        if type == .dummy || type == .dummyInternal {
            custom = [("rx_custom_packets_1", s.rxPackets), ("rx_custom_packets_2", s.rxPackets),
                      ("rx_q0_bytes", s.rxBytes), ("rx_q0_packets", s.rxPackets),
                      ("tx_q0_bytes", s.txBytes), ("tx_q0_packets", s.txPackets)]
        } else {
            rxDropped = s.rxDropped; txDropped = s.txDropped; rxErrors = s.rxErrors; txErrors = s.txErrors
            rxFrameErrors = 0; rxOverErrors = 0; rxCRCErrors = 0; collisions = 0
        }
    }

    /// One port-stats entry of `version` for `port` (`duration`: how long
    /// the port has existed; reported from OpenFlow 1.3 on).
    public func encode(port: OFPort, duration: Duration, version v: UInt8) -> [UInt8] {
        var w = OFWriter()
        let (sec, atto) = duration.components
        // Milliseconds, as Open vSwitch's `calc_duration`.
        let dsec = UInt32(clamping: max(0, sec)), dnsec = UInt32(clamping: max(0, atto / 1_000_000_000_000_000) * 1_000_000)
        if v >= 5 {
            w.u16(0); w.zeros(2); OFActionCodec.putPort(port, v, &w); w.u32(dsec); w.u32(dnsec)
            for c in values.prefix(8) { w.u64(c) }
            // OFPPSPT14_ETHERNET.
            w.u16(0); w.u16(40); w.zeros(4)
            for c in values.suffix(4) { w.u64(c) }
            // Intel RFC 2819 counters: none known.
            w.u16(0xffff); w.u16(184); w.u32(0x0000_aa01); w.u32(1); w.zeros(4)
            for _ in 0..<21 { w.u64(.max) }
            if !custom.isEmpty {
                let start = w.count
                w.u16(0xffff); w.u16(0); w.u32(0x0000_aa01); w.u32(2); w.zeros(2); w.u16(UInt16(custom.count))
                for c in custom {
                    let name = Array(c.name.utf8.prefix(255))
                    w.u8(UInt8(name.count)); w.append(name); w.u64(c.value)
                }
                w.set16(UInt16(w.count - start), at: start + 2)
                w.pad(to: 8)
            }
            w.set16(UInt16(w.count), at: 0)
        } else {
            if v == 1 { w.u16(port.rawValue); w.zeros(6) } else { OFActionCodec.putPort(port, v, &w); w.zeros(4) }
            for c in values { w.u64(c) }
            if v >= 4 { w.u32(dsec); w.u32(dnsec) }
        }
        return w.bytes
    }
}

extension OFSwitchSession {
    /// The description of bridge port `p` (its OpenFlow configuration
    /// `config`, the bridge's current one if nil, and its link state).
    func portInfo(_ p: BridgePort, config: OFPortConfig? = nil) -> PortInfo {
        PortInfo(number: p.ofport, name: p.name, mac: p.mac?.rawValue ?? 0,
                 config: config ?? bridge.portConfig(p.ofport), linkUp: p.isLive)
    }

    /// The OFPT_PORT_STATUS for `change` on this connection (version `v`):
    /// nil when the old and new descriptions encode the same, or when this
    /// connection made the change and speaks OpenFlow 1.4 or older.
    func portModifiedStatus(_ change: PortModification, _ v: UInt8) -> OFMessage? {
        if change.source == ObjectIdentifier(self) && v < 6 { return nil }
        let p = change.port
        // The link state shown is the one given, whatever PORT_DOWN says.
        func bytes(_ config: OFPortConfig, down: Bool) -> [UInt8] {
            var b = portBytes(PortInfo(number: p.ofport, name: p.name, mac: p.mac?.rawValue ?? 0, config: config), v)
            Self.setState(&b, v, linkDown: down, config: config)
            return b
        }
        let before = bytes(change.old, down: change.oldLinkDown), after = bytes(change.new, down: change.newLinkDown)
        guard before != after else { return nil }
        var w = OFWriter()
        w.u8(PortStatusReason.modify.rawValue); w.zeros(7)
        w.append(after)
        return OFMessage(version: v, type: 12, xid: 0, body: w.bytes)
    }

    /// Rewrites the state word of encoded port description `b`: LINK_DOWN
    /// as given, LIVE (1.1+) when neither the link nor the port (`config`)
    /// is down (`normalize_state`).
    static func setState(_ b: inout [UInt8], _ v: UInt8, linkDown: Bool, config: OFPortConfig) {
        let offset = v == 1 ? 28 : 36
        let state: UInt32 = linkDown ? 1 : (v == 1 || config.contains(.portDown) ? 0 : 4)
        for i in 0..<4 { b[offset + i] = UInt8(truncatingIfNeeded: state >> (24 - 8 * i)) }
    }

    /// The `config` and `state` words of a port description for version `v`:
    /// LINK_DOWN when the port is administratively or physically down,
    /// else OFPPS_LIVE (1.1+).
    static func portConfigAndState(_ p: PortInfo, _ v: UInt8) -> (config: UInt32, state: UInt32) {
        let config = p.config.intersection(OFPortConfig.all(version: v)).rawValue
        let down = p.config.contains(.portDown) || !p.linkUp
        let state: UInt32 = down ? 1 : (v == 1 ? 0 : 4)
        return (config, state)
    }

    /// The port a 1.1+ request names (OpenFlow 1.0's as is).
    func requestPort(_ r: inout OFReader, _ v: UInt8, error: OFErrorCode = .badOutPort) throws(OFDecodeError) -> OFPort {
        v == 1 ? OFPort(rawValue: try r.u16()) : try OFActionCodec.port11(try r.u32(), error: error)
    }

    /// The port an OpenFlow 1.5 port-description request asks for
    /// (OFPP_ANY: all); earlier versions always ask for all.
    func portDescFilter(_ v: UInt8, _ r: inout OFReader) throws(OFDecodeError) -> OFPort {
        guard v >= 6 else { return .any }
        guard r.remaining == 8 else { throw OFDecodeError(.badRequestLength, "port desc request") }
        return try requestPort(&r, v)
    }

    // MARK: Port statistics

    /// OFPST_PORT / OFPMP_PORT_STATS: every port (OFPP_ANY/NONE) or one;
    /// an unknown port gives an empty reply.
    func portStats(_ m: OFMessage, _ v: UInt8, _ r: inout OFReader) throws(OFDecodeError) -> [OFMessage] {
        guard r.remaining == 8 else { throw OFDecodeError(.badRequestLength, "port stats request") }
        let port = try requestPort(&r, v)
        let datapath = bridge.datapathPorts()
        let bridgePorts = Dictionary(bridge.ports.map { ($0.ofport.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        let states = bridge.portStates()
        var entries: [[UInt8]] = []
        for p in portList() where port == .any || p.number == port {
            let bp = bridgePorts[p.number.rawValue]
            var counters = OFPortCounters()
            if let dp = bp?.datapathPort, let d = datapath[dp.rawValue] {
                counters = OFPortCounters(type: d.type, stats: d.stats)
            } else if let t = bridge.patchTraffic(p.number) {
                counters.rxPackets = t.rxPackets; counters.rxBytes = t.rxBytes
                counters.txPackets = t.txPackets; counters.txBytes = t.txBytes
            } else if bp != nil || p.number == .local {
                counters.rxPackets = 0; counters.txPackets = 0; counters.rxBytes = 0; counters.txBytes = 0
            }
            entries.append(counters.encode(port: p.number, duration: states[p.number.rawValue]?.age ?? .zero, version: v))
        }
        return OFStats.replies(version: v, xid: m.xid, prefix: statsPrefix(v, type: 4), flagsOffset: 2, entries: entries)
    }

    // MARK: Queues

    /// The ports a queue request covers: every port for OFPP_ANY, else the
    /// one named (nil if there is none).
    func queuePorts(_ port: OFPort) -> [PortInfo]? {
        let all = portList()
        if port == .any { return all.sorted { Self.dumpOrder($0.number) < Self.dumpOrder($1.number) } }
        return all.first { $0.number == port }.map { [$0] }
    }

    /// The ports of `ports` that have queue `queue` (0xffffffff: any
    /// queue): those with a device (a datapath port, or the local port)
    /// have queue 0; patch ports have none. A given queue no port has is
    /// OFPQOFC_BAD_QUEUE.
    func portsWithQueue(_ ports: [PortInfo], _ queue: UInt32) throws(OFDecodeError) -> [PortInfo] {
        let devices = Set(bridge.ports.filter { $0.datapathPort != nil }.map(\.ofport.rawValue))
        let with = ports.filter { $0.number == .local || devices.contains($0.number.rawValue) }
        if queue == 0xffff_ffff { return with }
        guard queue == 0, !with.isEmpty else { throw OFDecodeError(.queueBadQueue, "queue \(queue)") }
        return with
    }

    /// Ports by number, the local port last.
    static func dumpOrder(_ p: OFPort) -> Int { p == .local ? Int.max : Int(p.rawValue) }

    /// OFPST_QUEUE / OFPMP_QUEUE_STATS: queue 0 of each port, counters unknown.
    func queueStats(_ m: OFMessage, _ v: UInt8, _ r: inout OFReader) throws(OFDecodeError) -> [OFMessage] {
        guard r.remaining == 8 else { throw OFDecodeError(.badRequestLength, "queue stats request") }
        var port: OFPort
        if v == 1 {
            port = OFPort(rawValue: try r.u16()); try r.skip(2)
            if port == .all { port = .any }
        } else {
            port = try OFActionCodec.port11(try r.u32())
        }
        let queue = try r.u32()
        guard let all = queuePorts(port) else { throw OFDecodeError(.queueBadPort) }
        let ports = try portsWithQueue(all, queue)
        let entries = ports.map { p -> [UInt8] in
            var w = OFWriter()
            if v >= 5 { w.u16(48); w.zeros(6) }
            if v == 1 { w.u16(p.number.rawValue); w.zeros(2) } else { OFActionCodec.putPort(p.number, v, &w) }
            w.u32(0); w.u64(.max); w.u64(.max); w.u64(.max)
            if v >= 4 { w.u32(.max); w.u32(.max) }
            return w.bytes
        }
        return OFStats.replies(version: v, xid: m.xid, prefix: statsPrefix(v, type: 5), flagsOffset: 2, entries: entries)
    }

    /// OFPT_QUEUE_GET_CONFIG_REQUEST (1.0: type 20, 1.1-1.3: type 22):
    /// queue 0, without rate properties. The port must be a real port
    /// (1.1+ also takes OFPP_ANY).
    func queueGetConfig(_ m: OFMessage, _ v: UInt8) throws(OFDecodeError) -> [OFMessage] {
        var r = OFReader(m.body)
        guard r.remaining == (v == 1 ? 4 : 8) else { throw OFDecodeError(.badRequestLength, "queue get config") }
        let port = try requestPort(&r, v)
        guard port.rawValue < OFPort.max.rawValue || (v > 1 && port == .any) else { throw OFDecodeError(.queueBadPort) }
        guard let all = queuePorts(port) else { throw OFDecodeError(.queueBadPort) }
        let ports = try portsWithQueue(all, 0xffff_ffff)
        var w = OFWriter()
        if v == 1 { w.u16(port.rawValue); w.zeros(6) } else { OFActionCodec.putPort(port, v, &w); w.zeros(4) }
        for p in ports {
            if v == 1 {
                w.u32(0); w.u16(8); w.zeros(2)
            } else {
                w.u32(0); OFActionCodec.putPort(p.number, v, &w); w.u16(16); w.zeros(6)
            }
        }
        return [OFMessage(version: v, type: v == 1 ? 21 : 23, xid: m.xid, body: w.bytes)]
    }

    /// OFPMP_QUEUE_DESC (1.4+): queue 0 (or every queue) of one port or all.
    func queueDesc(_ m: OFMessage, _ v: UInt8, _ r: inout OFReader) throws(OFDecodeError) -> [OFMessage] {
        guard r.remaining == 8 else { throw OFDecodeError(.badRequestLength, "queue desc request") }
        let port = try requestPort(&r, v)
        let queue = try r.u32()
        guard port.rawValue < OFPort.max.rawValue || port == .any || port == .local else { throw OFDecodeError(.queueBadPort) }
        guard let all = queuePorts(port) else { throw OFDecodeError(.queueBadPort) }
        let ports = try portsWithQueue(all, queue)
        let entries = ports.map { p -> [UInt8] in
            var w = OFWriter()
            OFActionCodec.putPort(p.number, v, &w); w.u32(0); w.u16(16); w.zeros(6)
            return w.bytes
        }
        return OFStats.replies(version: v, xid: m.xid, prefix: statsPrefix(v, type: 15), flagsOffset: 2, entries: entries)
    }

    // MARK: Port mod

    /// A decoded OFPT_PORT_MOD.
    public struct PortMod: Sendable, Hashable {
        public var port: OFPort
        public var hardwareAddress: UInt64
        public var config: OFPortConfig
        public var mask: OFPortConfig
        public var advertise: UInt32
    }

    /// Decodes an OFPT_PORT_MOD body of version `v` (`ofputil_decode_port_mod`).
    public static func decodePortMod(_ body: [UInt8], version v: UInt8) throws(OFDecodeError) -> PortMod {
        var r = OFReader(body)
        let port: OFPort, hw: UInt64, config: UInt32, mask: UInt32
        var advertise: UInt32 = 0
        if v == 1 {
            guard r.remaining == 24 else { throw OFDecodeError(.badRequestLength, "port mod") }
            port = OFPort(rawValue: try r.u16()); hw = UInt64(try r.uint(bytes: 6))
            config = try r.u32(); mask = try r.u32(); advertise = try r.u32()
        } else {
            guard v >= 5 ? r.remaining >= 24 : r.remaining == 32 else { throw OFDecodeError(.badRequestLength, "port mod") }
            port = try OFActionCodec.port11(try r.u32()); try r.skip(4)
            hw = UInt64(try r.uint(bytes: 6)); try r.skip(2)
            config = try r.u32(); mask = try r.u32()
            if v < 5 {
                advertise = try r.u32()
            } else {
                while !r.isAtEnd {
                    let (type, payload) = try pullProperty(&r)
                    guard type == 0 else {
                        throw OFDecodeError(type >= 0xffff ? .propertyBadExperimenterType : .propertyBadType, "port mod property \(type)")
                    }
                    guard payload.count == 4 else { throw OFDecodeError(.propertyBadLength, "port mod ethernet property") }
                    advertise = UInt32(payload[0]) << 24 | UInt32(payload[1]) << 16 | UInt32(payload[2]) << 8 | UInt32(payload[3])
                }
            }
        }
        let all = OFPortConfig.all(version: v)
        let m = OFPortConfig(rawValue: mask).intersection(all)
        let c = OFPortConfig(rawValue: config).intersection(m)
        return PortMod(port: port, hardwareAddress: hw, config: c, mask: m, advertise: advertise)
    }

    /// One property (`ofpprop_pull`): its type (experimenter ones above
    /// 0xffff) and payload; the reader moves past its padding.
    static func pullProperty(_ r: inout OFReader) throws(OFDecodeError) -> (type: UInt64, payload: [UInt8]) {
        guard r.remaining >= 4, let type = r.peek16(), let len16 = r.peek16(at: 2) else {
            throw OFDecodeError(.propertyBadLength, "property header")
        }
        let len = Int(len16), padded = (len + 7) / 8 * 8
        guard len >= 4, padded <= r.remaining else { throw OFDecodeError(.propertyBadLength, "property length \(len)") }
        var p = try r.sub(padded)
        try p.skip(4)
        if type == 0xffff {
            guard len >= 12 else { throw OFDecodeError(.propertyBadLength, "experimenter property") }
            let exp = try p.u32(), expType = try p.u32()
            return (UInt64(exp) << 32 | UInt64(expType) | 1 << 63, try p.take(len - 12))
        }
        return (UInt64(type), try p.take(len - 4))
    }

    /// OFPT_PORT_MOD: changes a port's configuration bits.
    func portMod(_ m: OFMessage, _ v: UInt8) throws(OFDecodeError) -> [OFMessage] {
        try requireNotSlave()
        let pm = try Self.decodePortMod(m.body, version: v)
        do {
            try bridge.modifyPort(pm.port, hardwareAddress: pm.hardwareAddress, config: pm.config, mask: pm.mask,
                                  source: ObjectIdentifier(self))
        } catch {
            switch error {
            case .badPort: throw OFDecodeError(.portModBadPort)
            case .badHardwareAddress: throw OFDecodeError(.portModBadHardwareAddress)
            }
        }
        return []
    }

    // MARK: Tables

    /// OFPT_TABLE_MOD (1.1+; eviction and vacancy from 1.4).
    func tableMod(_ m: OFMessage, _ v: UInt8) throws(OFDecodeError) -> [OFMessage] {
        try requireNotSlave()
        var r = OFReader(m.body)
        guard v >= 5 ? r.remaining >= 8 : r.remaining == 8 else { throw OFDecodeError(.badRequestLength, "table mod") }
        let table = try r.u8(); try r.skip(3)
        let config = try r.u32()
        // nil: leave as is.
        var eviction: Bool? = nil
        var vacancy: (on: Bool, down: UInt8, up: UInt8)? = nil
        if v >= 5 {
            eviction = config & 4 != 0
            var down: UInt8 = 0, up: UInt8 = 0
            while !r.isAtEnd {
                let (type, payload) = try Self.pullProperty(&r)
                switch type {
                case 2:     // OFPTMPT14_EVICTION: Open vSwitch reads its flags as the eviction setting
                    guard payload.count == 4 else { throw OFDecodeError(.propertyBadLength, "eviction property") }
                    let value = UInt32(payload[0]) << 24 | UInt32(payload[1]) << 16 | UInt32(payload[2]) << 8 | UInt32(payload[3])
                    eviction = value == 1 ? true : value == 2 ? false : nil
                case 3:     // OFPTMPT14_VACANCY
                    guard payload.count == 4 else { throw OFDecodeError(.propertyBadLength, "vacancy property") }
                    down = payload[0]; up = payload[1]
                    guard down <= up, up <= 100, payload[2] == 0 else { throw OFDecodeError(.propertyBadValue, "vacancy") }
                default:
                    throw OFDecodeError(.badType, "table mod property \(type)")
                }
            }
            vacancy = (config & 8 != 0, down, up)
        }
        guard table != 254 else { throw OFDecodeError(.tableModPermission, "table 254") }
        bridge.modifyTableSettings(table) { s in
            if let e = eviction { s.eviction = e }
            if let vac = vacancy {
                s.vacancyDown = vac.down; s.vacancyUp = vac.up
                s.vacancyEvents = vac.on
            }
        }
        return []
    }

    /// OFPMP_TABLE_DESC (1.4+): each table's eviction and vacancy settings.
    func tableDesc(_ m: OFMessage, _ v: UInt8, _ r: inout OFReader) throws(OFDecodeError) -> [OFMessage] {
        guard r.isAtEnd else { throw OFDecodeError(.badRequestLength, "table desc request") }
        let counts = bridge.pipeline.read { rd in (0..<254).map { rd.ruleCount(in: OpenFlowTableID(UInt8($0))) } }
        var entries: [[UInt8]] = []
        for t in 0..<254 {
            let s = bridge.tableSettings(UInt8(t))
            var w = OFWriter()
            w.u16(0); w.u8(UInt8(t)); w.zeros(1)
            w.u32((s.eviction ? 4 : 0) | (s.vacancyEvents ? 8 : 0))
            w.u16(2); w.u16(8); w.u32(7)    // eviction flags OTHER|IMPORTANCE|LIFETIME
            if s.vacancyEvents {
                w.u16(3); w.u16(8); w.u8(s.vacancyDown); w.u8(s.vacancyUp); w.u8(Self.vacancy(rules: counts[t])); w.zeros(1)
            }
            w.set16(UInt16(w.count), at: 0)
            entries.append(w.bytes)
        }
        return OFStats.replies(version: v, xid: m.xid, prefix: statsPrefix(v, type: 14), flagsOffset: 2, entries: entries)
    }

    /// A table's free room in percent (`oftable_vacancy`), tables holding
    /// at most 2^32-1 rules.
    static func vacancy(rules: Int) -> UInt8 {
        guard rules > 0 else { return 100 }
        let max = Double(UInt32.max)
        return UInt8(clamping: Int((max - Double(rules)) * 100 / max))
    }
}
