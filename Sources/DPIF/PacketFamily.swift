import Flow
import Datapath

/// `OVS_PACKET_ATTR_*`.
enum PacketAttr {
    static let packet: UInt16 = 1
    static let key: UInt16 = 2
    static let actions: UInt16 = 3
    static let userdata: UInt16 = 4
    static let egressTunnelKey: UInt16 = 5
    static let probe: UInt16 = 8
    static let mru: UInt16 = 9
    static let length: UInt16 = 10
    static let hash: UInt16 = 11
}

/// `OVS_PACKET_CMD_*`.
enum PacketCommand {
    static let miss: UInt8 = 1
    static let action: UInt8 = 2
    static let execute: UInt8 = 3
}

/// `OVS_PACKET_CMD_EXECUTE`: run `actions` on `packet`, whose flow key
/// (metadata included: in port, recirculation id, tunnel...) is `key`.
/// All three are required on decode.
public struct PacketExecute: DPIFMessage {
    public static var family: DPIFFamily { .packet }

    public var datapathIndex: Int32
    /// The Ethernet frame.
    public var packet: [UInt8]
    public var key: KeyAttributes
    public var actions: [DatapathAction]
    /// A feature probe: failures are expected and not logged.
    public var isProbe: Bool
    /// Largest fragment size seen when the packet was reassembled.
    public var mru: UInt16?
    /// The packet's hash (dp_hash), when the slow path knows it.
    public var hash: UInt64?

    public init(datapathIndex: Int32, packet: [UInt8], key: KeyAttributes, actions: [DatapathAction],
                isProbe: Bool = false, mru: UInt16? = nil, hash: UInt64? = nil) {
        self.datapathIndex = datapathIndex
        self.packet = packet
        self.key = key
        self.actions = actions
        self.isProbe = isProbe
        self.mru = mru
        self.hash = hash
    }

    public func encoded() throws(TLVError) -> [UInt8] {
        var e = Framing.encoder(.packet, command: PacketCommand.execute, flags: [], datapathIndex: datapathIndex)
        e.put(PacketAttr.packet, bytes: packet)
        e.putKey(PacketAttr.key, key)
        e.putActions(PacketAttr.actions, actions)
        if isProbe { e.putFlag(PacketAttr.probe) }
        if let mru { e.putU16(PacketAttr.mru, mru) }
        if let hash { e.putU64(PacketAttr.hash, hash) }
        return try e.finish()
    }

    public init(decoding bytes: [UInt8]) throws(TLVError) {
        let (header, a) = try Framing.parse(bytes)
        guard header.command == PacketCommand.execute else { throw .unknownCommand(header.command) }
        datapathIndex = header.datapathIndex
        packet = try a.required(PacketAttr.packet).bytes()
        key = try a.required(PacketAttr.key).keyAttributes()
        actions = try DatapathActionCodec.decode(a.required(PacketAttr.actions).nested(), depth: 0)
        isProbe = try a.flag(PacketAttr.probe)
        mru = try a.optional(PacketAttr.mru) { (x) throws(TLVError) in try x.u16() }
        hash = try a.optional(PacketAttr.hash) { (x) throws(TLVError) in try x.u64() }
    }
}

/// Why a packet went up to the slow path.
public enum UpcallKind: Hashable, Sendable {
    /// No flow matched (`OVS_PACKET_CMD_MISS`).
    case miss
    /// A `userspace` action sent it (`OVS_PACKET_CMD_ACTION`).
    case action
}

/// A packet the datapath hands to the slow path, with its flow key.
/// `packet` and `key` are required on decode.
public struct PacketUpcall: DPIFMessage {
    public static var family: DPIFFamily { .packet }

    public var kind: UpcallKind
    public var datapathIndex: Int32
    /// The frame (cut to the `trunc` length, if any).
    public var packet: [UInt8]
    public var key: KeyAttributes
    /// The `userspace` action's cookie.
    public var userdata: [UInt8]?
    /// Where the packet would have been tunnelled (egress sampling).
    public var egressTunnelKey: TunnelMetadata?
    /// The flow's actions, when the `userspace` action asked for them.
    public var actions: [DatapathAction]?
    public var mru: UInt16?
    /// The frame's length before `trunc`.
    public var originalLength: UInt32?
    public var hash: UInt64?

    public init(kind: UpcallKind, datapathIndex: Int32, packet: [UInt8], key: KeyAttributes,
                userdata: [UInt8]? = nil, egressTunnelKey: TunnelMetadata? = nil,
                actions: [DatapathAction]? = nil, mru: UInt16? = nil, originalLength: UInt32? = nil,
                hash: UInt64? = nil) {
        self.kind = kind
        self.datapathIndex = datapathIndex
        self.packet = packet
        self.key = key
        self.userdata = userdata
        self.egressTunnelKey = egressTunnelKey
        self.actions = actions
        self.mru = mru
        self.originalLength = originalLength
        self.hash = hash
    }

    public func encoded() throws(TLVError) -> [UInt8] {
        let command = kind == .miss ? PacketCommand.miss : PacketCommand.action
        var e = Framing.encoder(.packet, command: command, flags: [], datapathIndex: datapathIndex)
        e.put(PacketAttr.packet, bytes: packet)
        e.putKey(PacketAttr.key, key)
        if let userdata { e.put(PacketAttr.userdata, bytes: userdata) }
        if let egressTunnelKey {
            e.putNested(PacketAttr.egressTunnelKey) { egressTunnelKey.encodeAttributes(into: &$0) }
        }
        if let actions { e.putActions(PacketAttr.actions, actions) }
        if let mru { e.putU16(PacketAttr.mru, mru) }
        if let originalLength { e.putU32(PacketAttr.length, originalLength) }
        if let hash { e.putU64(PacketAttr.hash, hash) }
        return try e.finish()
    }

    public init(decoding bytes: [UInt8]) throws(TLVError) {
        let (header, a) = try Framing.parse(bytes)
        switch header.command {
        case PacketCommand.miss: kind = .miss
        case PacketCommand.action: kind = .action
        default: throw .unknownCommand(header.command)
        }
        datapathIndex = header.datapathIndex
        packet = try a.required(PacketAttr.packet).bytes()
        key = try a.required(PacketAttr.key).keyAttributes()
        userdata = a[PacketAttr.userdata]?.bytes()
        egressTunnelKey = try a.optional(PacketAttr.egressTunnelKey) { (x) throws(TLVError) in
            try TunnelMetadata(attributes: x.nested())
        }
        actions = try a.optional(PacketAttr.actions) { (x) throws(TLVError) in
            try DatapathActionCodec.decode(x.nested(), depth: 0)
        }
        mru = try a.optional(PacketAttr.mru) { (x) throws(TLVError) in try x.u16() }
        originalLength = try a.optional(PacketAttr.length) { (x) throws(TLVError) in try x.u32() }
        hash = try a.optional(PacketAttr.hash) { (x) throws(TLVError) in try x.u64() }
    }
}
