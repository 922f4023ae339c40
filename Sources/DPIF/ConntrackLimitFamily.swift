import Datapath

/// `OVS_CT_LIMIT_ATTR_*`.
enum ConntrackLimitAttr {
    static let zoneLimit: UInt16 = 1
}

/// The commands of the ct_limit family.
public enum ConntrackLimitCommand: UInt8, Hashable, Sendable, CaseIterable {
    case set = 1
    case delete = 2
    case get = 3
}

/// Which limit an entry is about: the default for zones without their
/// own, or one zone's.
public enum ConntrackLimitZone: Hashable, Sendable {
    case `default`
    case zone(UInt16)

    /// `zone_id` on the wire: -1 for the default (`OVS_ZONE_LIMIT_DEFAULT_ZONE`).
    var wireValue: Int32 {
        switch self {
        case .default: -1
        case .zone(let z): Int32(z)
        }
    }
}

/// One `struct ovs_zone_limit`: a zone's connection limit and, in
/// replies, how many connections it has.
public struct ZoneLimit: Hashable, Sendable {
    public static let wireLength = 12

    public var zone: ConntrackLimitZone
    public var limit: UInt32
    public var count: UInt32

    public init(zone: ConntrackLimitZone, limit: UInt32 = 0, count: UInt32 = 0) {
        self.zone = zone
        self.limit = limit
        self.count = count
    }
}

/// A message of the ct_limit family: `set` limits, `delete` them, or `get`
/// them (the request lists the zones asked about, limits 0; the reply
/// gives limits and counts). Requests and replies have the same shape.
/// The entries keep their order; `nil` means no `ZONE_LIMIT` attribute.
public struct ConntrackLimitMessage: DPIFMessage {
    public static var family: DPIFFamily { .conntrackLimit }

    public var command: ConntrackLimitCommand
    public var datapathIndex: Int32
    public var limits: [ZoneLimit]?

    public init(command: ConntrackLimitCommand, datapathIndex: Int32 = 0, limits: [ZoneLimit]? = nil) {
        self.command = command
        self.datapathIndex = datapathIndex
        self.limits = limits
    }

    /// The default limit among the entries, if any.
    public var defaultLimit: UInt32? {
        limits?.last { $0.zone == .default }?.limit
    }

    public func encoded() throws(TLVError) -> [UInt8] {
        var e = Framing.encoder(.conntrackLimit, command: command.rawValue, flags: [], datapathIndex: datapathIndex)
        if let limits {
            e.putNested(ConntrackLimitAttr.zoneLimit) { x in
                for l in limits {
                    var raw: [UInt8] = []
                    raw.appendLittleEndian(UInt64(UInt32(bitPattern: l.zone.wireValue)), 4)
                    raw.appendLittleEndian(UInt64(l.limit), 4)
                    raw.appendLittleEndian(UInt64(l.count), 4)
                    x.appendRaw(raw)
                }
            }
        }
        return try e.finish()
    }

    public init(decoding bytes: [UInt8]) throws(TLVError) {
        let (header, a) = try Framing.parse(bytes)
        guard let command = ConntrackLimitCommand(rawValue: header.command) else {
            throw .unknownCommand(header.command)
        }
        self.command = command
        datapathIndex = header.datapathIndex
        guard let attribute = a[ConntrackLimitAttr.zoneLimit] else {
            limits = nil
            return
        }
        let p = attribute.payload
        guard p.count % ZoneLimit.wireLength == 0 else {
            throw .badLength(type: attribute.type, offset: attribute.offset)
        }
        var out: [ZoneLimit] = []
        var r = ByteReader(p)
        for _ in 0..<(p.count / ZoneLimit.wireLength) {
            let entryOffset = r.index
            let id = Int32(bitPattern: r.le32())
            let zone: ConntrackLimitZone
            switch id {
            case -1: zone = .default
            case 0...0xffff: zone = .zone(UInt16(id))
            default: throw .badValue(type: attribute.type, offset: entryOffset)
            }
            out.append(ZoneLimit(zone: zone, limit: r.le32(), count: r.le32()))
        }
        limits = out
    }
}

/// A ct_limit request.
public typealias ConntrackLimitRequest = ConntrackLimitMessage
/// A ct_limit reply.
public typealias ConntrackLimitReply = ConntrackLimitMessage
