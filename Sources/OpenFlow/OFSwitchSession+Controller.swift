import Flow
import OFProto
import Synchronization

// The controller side of a connection (OVS's ofconn and connmgr): role,
// miss_send_len, packet-in format, asynchronous message configuration,
// packet-in and other asynchronous message encoding, packet-out.

/// A connection's role (`OFPCR12_ROLE_*`).
public enum OFControllerRole: UInt32, Sendable {
    case equal = 1, master = 2, slave = 3

    /// The name the Controller table's `role` column uses.
    public var columnName: String {
        switch self {
        case .equal: "other"
        case .master: "master"
        case .slave: "slave"
        }
    }
}

/// A connection's settings for asynchronous messages, shared between its
/// reader thread and the threads that post events.
struct OFAsyncSettings: Sendable {
    /// True for management-socket ("service") connections, which get
    /// asynchronous messages only after asking (a nonzero miss_send_len).
    var isService: Bool
    var missSendLength: UInt16
    /// 0 standard, 1 NXT_PACKET_IN, 2 NXT_PACKET_IN2.
    var packetInFormat: UInt32 = 0
    var role: OFControllerRole = .equal
    var controllerID: UInt16 = 0
    /// Reason masks [packet-in, port-status, flow-removed] for master/equal
    /// and slave; nil until set (then the version's defaults apply).
    var masks: (primary: [UInt32], secondary: [UInt32])?
    /// The negotiated version and NXM flow format, as the connection's
    /// reader last published them (`publishFormat`) for other threads.
    var version: UInt8?
    var nxm = false
    /// Sends a message on the connection out of turn (OFPT_ROLE_STATUS to
    /// a demoted master); set by the connection.
    var sink: (@Sendable (OFMessage) -> Void)?

    /// `ofputil_async_cfg_default`.
    static func defaults(version: UInt8) -> (primary: [UInt32], secondary: [UInt32]) {
        // OF1.4 reasons (bits 0-5) without invalid_ttl, plus the explicit miss.
        var pin: UInt32 = 0x3f & ~(1 << 2)
        pin |= 1 << 6
        if version <= 3 { pin |= 1 << 7 }
        let removed: UInt32 = version >= 5 ? 0x3f : (version == 4 ? 0xf : 0x7)
        return ([pin, 0x7, removed], [0, 0x7, 0])
    }

    /// True if a message of `type` (0 packet-in, 1 port status, 2 flow
    /// removed) for `reason` goes out on this connection.
    func receives(type: Int, reason: UInt8, version: UInt8) -> Bool {
        if isService && missSendLength == 0 { return false }
        let m = masks ?? Self.defaults(version: version)
        let mask = role == .slave ? m.secondary[type] : m.primary[type]
        return reason < 32 && mask & (1 << UInt32(reason)) != 0
    }
}

/// The master election of one bridge's connections (generation_id and who
/// is master), shared by its management and controller connections.
final class OFRoleArbiter: @unchecked Sendable {
    struct State {
        var generationID: UInt64?
        var master: ObjectIdentifier?
    }
    let state = Mutex(State())
    /// The bridge it serves (weak: a bridge made later at the same address
    /// gets a new arbiter).
    weak var owner: OFProtoBridge?
    private static let all = Mutex<[ObjectIdentifier: OFRoleArbiter]>([:])

    /// The arbiter of `bridge`.
    static func of(_ bridge: OFProtoBridge) -> OFRoleArbiter {
        all.withLock { d in
            if let a = d[ObjectIdentifier(bridge)], a.owner === bridge { return a }
            d = d.filter { $0.value.owner != nil }
            let a = OFRoleArbiter()
            a.owner = bridge
            d[ObjectIdentifier(bridge)] = a
            return a
        }
    }
}

/// A token bucket for packet-ins (`controller_rate_limit`/`controller_burst_limit`).
struct OFRateLimiter {
    var rate: Double
    var burst: Double
    var tokens: Double
    var last: ContinuousClock.Instant = .now
    var dropped: UInt64 = 0

    init(rate: Int, burst: Int) {
        self.rate = Double(max(rate, 1))
        self.burst = Double(max(burst, 1))
        tokens = self.burst
    }

    /// Takes a token if there is one.
    mutating func admit() -> Bool {
        let now = ContinuousClock.now
        let (s, a) = (now - last).components
        tokens = min(burst, tokens + (Double(s) + Double(a) / 1e18) * rate)
        last = now
        if tokens >= 1 { tokens -= 1; return true }
        dropped &+= 1
        return false
    }
}

extension OFSwitchSession {
    var asyncSettings: OFAsyncSettings { controllerState.withLock { $0 } }

    /// Makes the negotiated version and flow format visible to the threads
    /// that encode asynchronous messages (the reader calls it after each
    /// batch of messages).
    func publishFormat() {
        let (v, nxm) = (version, format.nxm)
        controllerState.withLock { s in
            if s.version != v || s.nxm != nxm { s.version = v; s.nxm = nxm }
        }
    }

    // MARK: Configuration messages

    /// OFPT_SET_CONFIG: flags and miss_send_len.
    func setConfig(_ m: OFMessage) throws(OFDecodeError) -> [OFMessage] {
        guard m.body.count == 4 else { throw OFDecodeError(.badRequestLength) }
        let length = UInt16(m.body[2]) << 8 | UInt16(m.body[3])
        controllerState.withLock { $0.missSendLength = length }
        return []
    }

    /// OFPT_GET_CONFIG_REPLY.
    func getConfigReply(_ m: OFMessage, _ v: UInt8) -> [OFMessage] {
        let length = controllerState.withLock { $0.missSendLength }
        return [OFMessage(version: v, type: OFType.getConfigReply, xid: m.xid,
                          body: [0, 0, UInt8(length >> 8), UInt8(truncatingIfNeeded: length)])]
    }

    /// NXT_SET_PACKET_IN_FORMAT.
    func setPacketInFormat(_ f: UInt32) {
        controllerState.withLock { $0.packetInFormat = f }
    }

    /// NXT_SET_CONTROLLER_ID.
    func setControllerID(_ r: inout OFReader) throws(OFDecodeError) {
        guard r.remaining == 8 else { throw OFDecodeError(.badRequestLength) }
        try r.skip(6)
        let id = try r.u16()
        controllerState.withLock { $0.controllerID = id }
    }

    // MARK: Roles

    /// OFPT_ROLE_REQUEST (OpenFlow 1.2+) or NXT_ROLE_REQUEST (`nx` true).
    func roleRequest(_ m: OFMessage, _ v: UInt8, nx: Bool, _ r: inout OFReader) throws(OFDecodeError) -> [OFMessage] {
        var requested: UInt32
        var generation: UInt64? = nil
        if nx {
            guard r.remaining == 4 else { throw OFDecodeError(.badRequestLength) }
            let nxRole = try r.u32()
            // NX_ROLE_OTHER 0, MASTER 1, SLAVE 2.
            guard nxRole <= 2 else { throw OFDecodeError(.badRole) }
            requested = nxRole + 1
        } else {
            guard r.remaining == 16 else { throw OFDecodeError(.badRequestLength) }
            requested = try r.u32()
            try r.skip(4)
            let g = try r.u64()
            guard requested <= 3 else { throw OFDecodeError(.badRole) }
            if requested == 2 || requested == 3 { generation = g }
        }
        let me = ObjectIdentifier(self)
        let arbiter = OFRoleArbiter.of(bridge)
        var current = asyncSettings.role
        if requested != 0 {
            let role = OFControllerRole(rawValue: requested)!
            let stale = arbiter.state.withLock { s -> Bool in
                if let g = generation {
                    if let old = s.generationID, Int64(bitPattern: g &- old) < 0 { return true }
                    s.generationID = g
                }
                if role == .master { s.master = me } else if s.master == me { s.master = nil }
                return false
            }
            if stale { throw OFDecodeError(.roleStale) }
            controllerState.withLock { $0.role = role }
            current = role
            if role == .master { demoteOtherMasters() }
        }
        var w = OFWriter()
        if nx {
            w.u32(0x2320); w.u32(11); w.u32(current.rawValue - 1)
            return [OFMessage(version: v, type: OFType.vendor, xid: m.xid, body: w.bytes)]
        }
        let g = arbiter.state.withLock { $0.generationID }
        w.u32(current.rawValue); w.zeros(4); w.u64(g ?? .max)
        return [OFMessage(version: v, type: 25, xid: m.xid, body: w.bytes)]
    }

    /// After this connection became master, the other masters of the
    /// bridge become slaves.
    func demoteOtherMasters() {
        let generation = OFRoleArbiter.of(bridge).state.withLock { $0.generationID }
        for other in OFSessionRegistry.sessions(of: bridge) where other !== self {
            let (sink, version) = other.controllerState.withLock { s -> ((@Sendable (OFMessage) -> Void)?, UInt8?) in
                guard s.role == .master else { return (nil, nil) }
                s.role = .slave
                return (s.sink, s.version)
            }
            // OpenFlow 1.4+ tells the demoted master (OFPCRR_MASTER_REQUEST).
            if let sink, let v = version, v >= 5 { sink(Self.roleStatus(.slave, generation: generation, version: v)) }
        }
    }

    /// OFPT_ROLE_STATUS (OpenFlow 1.4+), reason master request.
    static func roleStatus(_ role: OFControllerRole, generation: UInt64?, version v: UInt8) -> OFMessage {
        var w = OFWriter()
        w.u32(role.rawValue); w.u8(0); w.zeros(3); w.u64(generation ?? .max)
        return OFMessage(version: v, type: 30, xid: 0, body: w.bytes)
    }

    /// Throws OFPBRC_IS_SLAVE if a slave sends a message that changes state.
    func requireNotSlave() throws(OFDecodeError) {
        if asyncSettings.role == .slave { throw OFDecodeError(.isSlave) }
    }

    // MARK: Asynchronous configuration

    /// OFPT_SET_ASYNC (1.3: three pairs of masks) or NXT_SET_ASYNC_CONFIG.
    func setAsync(_ m: OFMessage, _ r: inout OFReader) throws(OFDecodeError) -> [OFMessage] {
        guard r.remaining == 24 else { throw OFDecodeError(.badRequestLength) }
        var primary: [UInt32] = [], secondary: [UInt32] = []
        for _ in 0..<3 {
            primary.append(try r.u32())
            secondary.append(try r.u32())
        }
        controllerState.withLock { s in
            s.masks = (primary, secondary)
            if s.isService && s.missSendLength == 0 { s.missSendLength = 128 }
        }
        return []
    }

    /// OFPT_SET_ASYNC of OpenFlow 1.4+: properties (`OFPACPT_*`: even
    /// types the slave masks, odd the master ones; 0-5 packet-in, port
    /// status, flow removed). Unset properties keep their value.
    func setAsyncProperties(_ m: OFMessage) throws(OFDecodeError) -> [OFMessage] {
        var r = OFReader(m.body)
        let v = m.version
        var masks = asyncSettings.masks ?? OFAsyncSettings.defaults(version: v)
        while !r.isAtEnd {
            let type = try r.u16()
            let length = Int(try r.u16())
            guard length >= 4, length - 4 <= r.remaining else { throw OFDecodeError(.badRequestLength, "async property") }
            if type <= 5 {
                guard length == 8 else { throw OFDecodeError(.badRequestLength, "async property length") }
                let mask = try r.u32()
                if type % 2 == 0 { masks.secondary[Int(type / 2)] = mask } else { masks.primary[Int(type / 2)] = mask }
            } else {
                throw OFDecodeError(.asyncUnsupported, "async property \(type)")
            }
            try r.skip((8 - length % 8) % 8 > r.remaining ? r.remaining : (8 - length % 8) % 8)
        }
        let result = masks
        controllerState.withLock { s in
            s.masks = result
            if s.isService && s.missSendLength == 0 { s.missSendLength = 128 }
        }
        return []
    }

    /// OFPT_GET_ASYNC_REPLY: OpenFlow 1.3's masks, or 1.4+'s properties.
    func getAsyncReply(_ m: OFMessage, _ v: UInt8) -> [OFMessage] {
        let s = asyncSettings
        let masks = s.masks ?? OFAsyncSettings.defaults(version: v)
        var w = OFWriter()
        if v >= 5 {
            for i in 0..<3 {
                w.u16(UInt16(2 * i)); w.u16(8); w.u32(masks.secondary[i])
                w.u16(UInt16(2 * i + 1)); w.u16(8); w.u32(masks.primary[i])
            }
        } else {
            for i in 0..<3 { w.u32(masks.primary[i]); w.u32(masks.secondary[i]) }
        }
        return [OFMessage(version: v, type: 27, xid: m.xid, body: w.bytes)]
    }

    // MARK: Packet-out

    /// OFPT_PACKET_OUT: OpenFlow 1.0 (16-bit in_port), 1.1-1.4 (32-bit
    /// in_port) and 1.5 (a match holding in_port).
    func packetOut(_ m: OFMessage, _ v: UInt8) throws(OFDecodeError) -> [OFMessage] {
        try requireNotSlave()
        var r = OFReader(m.body)
        let bufferID = try r.u32()
        var inPort: OFPort
        let actionsLength: Int
        if v == 1 {
            inPort = OFPort(rawValue: try r.u16())
            actionsLength = Int(try r.u16())
        } else if v <= 5 {
            inPort = try OFActionCodec.port11(try r.u32(), error: .badPort)
            actionsLength = Int(try r.u16())
            try r.skip(6)
        } else {
            actionsLength = Int(try r.u16())
            try r.skip(2)
            let match = try OFMatchCodec.decodeOXM(&r)
            var rest = FlowKey(words: match.mask.words)
            rest.inPort = DatapathPort(rawValue: 0)
            guard FlowMask(words: rest.words).isCatchAll else {
                throw OFDecodeError(.badField, "packet-out match may hold only in_port")
            }
            inPort = match.mask.isCatchAll ? .controller : match.key.openFlowInPort
        }
        guard bufferID == 0xffff_ffff else { throw OFDecodeError(.bufferUnknown) }
        guard actionsLength % 8 == 0, actionsLength <= r.remaining else {
            throw OFDecodeError(.badRequestLength, "actions length \(actionsLength)")
        }
        var actionReader = try r.sub(actionsLength)
        let actions = try OFActionCodec.decodeActions(&actionReader, version: v)
        let packet = Array(m.body[r.offset...])
        try runPacketOut(packet, inPort: inPort, actions: actions)
        return []
    }

    func runPacketOut(_ packet: [UInt8], inPort: OFPort, actions: [OFAction]) throws(OFDecodeError) {
        guard inPort.rawValue < OFPort.max.rawValue || inPort == .local || inPort == .controller
                || inPort == .any else {
            throw OFDecodeError(.badPort, "packet-out in_port")
        }
        do {
            try bridge.packetOut(packet, inPort: inPort, actions: actions)
        } catch {
            switch error {
            case .badInPort: throw OFDecodeError(.badPort, "packet-out in_port")
            case .noDatapath, .failed: throw OFDecodeError(.badPacket, "packet-out: \(error)")
            }
        }
    }

    // MARK: Encoding asynchronous messages

    /// The message `event` becomes on this connection, or nil if the
    /// connection does not take it.
    public func asyncMessage(for event: BridgeAsyncEvent) -> OFMessage? {
        let s = asyncSettings
        guard let v = s.version else { return nil }
        switch event {
        case .packetIn(let pin):
            guard pin.controllerID == s.controllerID,
                  s.receives(type: 0, reason: pin.reason.rawValue, version: v) else { return nil }
            return Self.encodePacketIn(pin, version: v, format: s.packetInFormat)
        case .portStatus(let reason, let port):
            guard s.receives(type: 1, reason: reason.rawValue, version: v) else { return nil }
            var w = OFWriter()
            w.u8(reason.rawValue); w.zeros(7)
            w.append(portBytes(portInfo(port), v))
            return OFMessage(version: v, type: 12, xid: 0, body: w.bytes)
        case .portModified(let change):
            guard s.receives(type: 1, reason: PortStatusReason.modify.rawValue, version: v) else { return nil }
            return portModifiedStatus(change, v)
        case .flowRemoved(let fr):
            guard fr.rule.flags.contains(OpenFlowRuleFlags(rawValue: 1)),
                  s.receives(type: 2, reason: fr.reason.rawValue, version: v) else { return nil }
            return Self.encodeFlowRemoved(fr, version: v, nxm: s.nxm)
        }
    }

    /// A packet-in in the connection's format (`ofputil_encode_packet_in_private`).
    public static func encodePacketIn(_ pin: PacketIn, version v: UInt8, format: UInt32) -> OFMessage {
        let reason = pin.reason.wire(version: v)
        let total = UInt16(clamping: pin.packet.count)
        var w = OFWriter(capacity: 64 + pin.packet.count)
        switch format {
        case 1:     // NXT_PACKET_IN
            w.u32(0x2320); w.u32(17)
            w.u32(0xffff_ffff); w.u16(total); w.u8(reason); w.u8(pin.tableID); w.u64(pin.cookie)
            let match = OFMatchCodec.encodeFields(pin.metadata, oxmVersion: nil)
            w.u16(UInt16(match.count)); w.zeros(6)
            w.append(match); w.pad(to: 8)
            w.zeros(2)
            w.append(pin.packet)
            return OFMessage(version: v, type: OFType.vendor, xid: 0, body: w.bytes)
        case 2:     // NXT_PACKET_IN2: properties
            w.u32(0x2320); w.u32(30)
            func prop(_ type: UInt16, _ value: [UInt8]) {
                let start = w.count
                w.u16(type); w.u16(UInt16(4 + value.count)); w.append(value)
                w.zeros((8 - (w.count - start) % 8) % 8)
            }
            prop(0, pin.packet)
            prop(3, [pin.tableID])
            if pin.cookie != .max {
                var c = OFWriter(); c.zeros(4); c.u64(pin.cookie); prop(4, c.bytes)   // ofpprop_put_be64 pads
            }
            prop(5, [reason])
            prop(6, OFMatchCodec.encodeFields(pin.metadata, oxmVersion: v == 1 ? nil : v))
            if !pin.userdata.isEmpty { prop(7, pin.userdata) }
            return OFMessage(version: v, type: OFType.vendor, xid: 0, body: w.bytes)
        default:
            if v == 1 {
                w.u32(0xffff_ffff); w.u16(total); w.u16(pin.inPort.rawValue); w.u8(reason); w.u8(0)
            } else {
                w.u32(0xffff_ffff); w.u16(total); w.u8(reason); w.u8(pin.tableID); w.u64(pin.cookie)
                w.append(OFMatchCodec.encodeOXM(pin.metadata, version: v))
                w.zeros(2)
            }
            w.append(pin.packet)
            return OFMessage(version: v, type: 10, xid: 0, body: w.bytes)
        }
    }

    /// OFPT_FLOW_REMOVED (OpenFlow 1.0 and 1.3/1.4 layouts; NXT_FLOW_REMOVED
    /// on OpenFlow 1.0 with NXM).
    static func encodeFlowRemoved(_ fr: FlowRemoved, version v: UInt8, nxm: Bool) -> OFMessage {
        let rule = fr.rule
        let age = OpenFlowClock.now() - rule.created
        let (sec, atto) = age.components
        // Whole milliseconds, as Open vSwitch's clock.
        let dsec = UInt32(clamping: max(0, sec)), dnsec = UInt32(clamping: max(0, atto / 1_000_000_000_000_000 * 1_000_000))
        var w = OFWriter()
        if v == 1 && nxm {
            w.u32(0x2320); w.u32(14)
            let match = OFMatchCodec.encodeFields(rule.match, oxmVersion: nil)
            w.u64(rule.cookie); w.u16(rule.openFlowPriority); w.u8(fr.reason.rawValue); w.u8(rule.table.rawValue)
            w.u32(dsec); w.u32(dnsec); w.u16(rule.idleTimeout); w.u16(UInt16(match.count))
            w.u64(rule.packetCount); w.u64(rule.byteCount)
            w.append(match); w.pad(to: 8)
            return OFMessage(version: v, type: OFType.vendor, xid: 0, body: w.bytes)
        }
        if v == 1 {
            OFMatchCodec.encodeOF10(rule.match, into: &w)
            w.u64(rule.cookie); w.u16(rule.openFlowPriority); w.u8(fr.reason.rawValue); w.zeros(1)
            w.u32(dsec); w.u32(dnsec); w.u16(rule.idleTimeout); w.zeros(2)
            w.u64(rule.packetCount); w.u64(rule.byteCount)
        } else {
            w.u64(rule.cookie); w.u16(rule.openFlowPriority); w.u8(fr.reason.rawValue); w.u8(rule.table.rawValue)
            w.u32(dsec); w.u32(dnsec); w.u16(rule.idleTimeout); w.u16(rule.hardTimeout)
            w.u64(rule.packetCount); w.u64(rule.byteCount)
            w.append(OFMatchCodec.encodeOXM(rule.match, version: v))
        }
        return OFMessage(version: v, type: 11, xid: 0, body: w.bytes)
    }
}

/// Every live session per bridge (for master election).
enum OFSessionRegistry {
    private static let all = Mutex<[ObjectIdentifier: [ObjectIdentifier: WeakSession]]>([:])
    struct WeakSession: @unchecked Sendable { weak var session: OFSwitchSession? }

    static func add(_ s: OFSwitchSession) {
        all.withLock { $0[ObjectIdentifier(s.bridge), default: [:]][ObjectIdentifier(s)] = WeakSession(session: s) }
    }
    static func remove(_ s: OFSwitchSession) {
        all.withLock { _ = $0[ObjectIdentifier(s.bridge)]?.removeValue(forKey: ObjectIdentifier(s)) }
    }
    static func sessions(of bridge: OFProtoBridge) -> [OFSwitchSession] {
        all.withLock { ($0[ObjectIdentifier(bridge)] ?? [:]).values.compactMap(\.session) }
    }
}

extension OFErrorCode {
    static let isSlave = OFErrorCode("OFPBRC_IS_SLAVE", of10: Triplet(1, 5), of11: Triplet(1, 5), of12: Triplet(1, 10))
    static let bufferUnknown = OFErrorCode("OFPBRC_BUFFER_UNKNOWN", all: 1, 8)
    static let badPacket = OFErrorCode("OFPBRC_BAD_PACKET", of10: Triplet(1, 6), of11: Triplet(1, 6), of12: Triplet(1, 12))
    static let roleStale = OFErrorCode("OFPRRFC_STALE", of10: nil, of11: nil, of12: Triplet(11, 0))
    static let asyncUnsupported = OFErrorCode("OFPACFC_UNSUPPORTED", of10: nil, of11: nil, of12: Triplet(15, 1))
    static let badRole = OFErrorCode("OFPRRFC_BAD_ROLE", of10: Triplet(vendor: nx, 1, 513), of11: Triplet(vendor: nx, 1, 513), of12: Triplet(11, 2))
}
