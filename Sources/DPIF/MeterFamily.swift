import Datapath

/// `OVS_METER_ATTR_*`.
enum MeterAttr {
    static let id: UInt16 = 1
    static let kbps: UInt16 = 2
    static let stats: UInt16 = 3
    static let bands: UInt16 = 4
    static let used: UInt16 = 5
    static let clear: UInt16 = 6
    static let maximumMeters: UInt16 = 7
    static let maximumBands: UInt16 = 8
}

/// `OVS_BAND_ATTR_*`.
enum BandAttr {
    static let type: UInt16 = 1
    static let rate: UInt16 = 2
    static let burst: UInt16 = 3
    static let stats: UInt16 = 4
}

/// The commands of the meter family, with `dump` standing for GET with
/// the dump flag.
public enum MeterCommand: Hashable, Sendable, CaseIterable {
    case features, set, delete, get, dump

    var byte: UInt8 {
        switch self {
        case .features: 1
        case .set: 2
        case .delete: 3
        case .get, .dump: 4
        }
    }

    init(byte: UInt8, flags: DPIFFlags) throws(TLVError) {
        switch byte {
        case 1: self = .features
        case 2: self = .set
        case 3: self = .delete
        case 4: self = flags.contains(.dump) ? .dump : .get
        default: throw .unknownCommand(byte)
        }
    }
}

/// What a meter band does to packets over its rate (`OVS_METER_BAND_TYPE_*`).
public struct MeterBandType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let unspecified = MeterBandType(rawValue: 0)
    /// Drop packets over the rate.
    public static let drop = MeterBandType(rawValue: 1)
}

/// One band of a meter: rate and burst in the meter's units (kbit/s or
/// packets/s), and in replies the traffic it acted on.
public struct MeterBand: Hashable, Sendable {
    public var type: MeterBandType
    public var rate: UInt32
    public var burst: UInt32
    public var stats: FlowStats?

    public init(type: MeterBandType = .drop, rate: UInt32, burst: UInt32, stats: FlowStats? = nil) {
        self.type = type
        self.rate = rate
        self.burst = burst
        self.stats = stats
    }
}

/// A meter's options.
public struct MeterFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Rates are in kilobits per second (else packets per second).
    public static let kilobitsPerSecond = MeterFlags(rawValue: 1 << 0)
}

extension TLVEncoder {
    mutating func putBands(_ bands: [MeterBand]) {
        putNested(MeterAttr.bands) { e in
            for band in bands {
                e.putNested(0) { b in
                    b.putU32(BandAttr.type, band.type.rawValue)
                    b.putU32(BandAttr.rate, band.rate)
                    b.putU32(BandAttr.burst, band.burst)
                    if let stats = band.stats { b.putFixed(BandAttr.stats, stats) }
                }
            }
        }
    }
}

extension TLVAttribute {
    /// The bands nested in an `OVS_METER_ATTR_BANDS` attribute; absent
    /// rate or burst read as 0 (features replies list types only).
    func bands() throws(TLVError) -> [MeterBand] {
        var out: [MeterBand] = []
        for item in try nested() {
            let b = try item.nested()
            out.append(MeterBand(
                type: MeterBandType(rawValue: try b.required(BandAttr.type).u32()),
                rate: try b.optional(BandAttr.rate) { (x) throws(TLVError) in try x.u32() } ?? 0,
                burst: try b.optional(BandAttr.burst) { (x) throws(TLVError) in try x.u32() } ?? 0,
                stats: try b.optional(BandAttr.stats) { (x) throws(TLVError) in try x.value() }))
        }
        return out
    }
}

/// A request of the meter family. Rules checked on decode: `set` needs
/// `meterID` and `bands`; `delete` and `get` need `meterID`.
public struct MeterRequest: DPIFMessage {
    public static var family: DPIFFamily { .meter }

    public var command: MeterCommand
    public var datapathIndex: Int32
    public var meterID: MeterID?
    public var flags: MeterFlags
    public var bands: [MeterBand]?
    /// Reset the meter's stats.
    public var clearsStats: Bool

    public init(command: MeterCommand, datapathIndex: Int32, meterID: MeterID? = nil, flags: MeterFlags = [],
                bands: [MeterBand]? = nil, clearsStats: Bool = false) {
        self.command = command
        self.datapathIndex = datapathIndex
        self.meterID = meterID
        self.flags = flags
        self.bands = bands
        self.clearsStats = clearsStats
    }

    public func encoded() throws(TLVError) -> [UInt8] {
        var e = Framing.encoder(.meter, command: command.byte, flags: command == .dump ? .dump : [],
                                datapathIndex: datapathIndex)
        if let meterID { e.putU32(MeterAttr.id, meterID.rawValue) }
        if flags.contains(.kilobitsPerSecond) { e.putFlag(MeterAttr.kbps) }
        if let bands { e.putBands(bands) }
        if clearsStats { e.putFlag(MeterAttr.clear) }
        return try e.finish()
    }

    public init(decoding bytes: [UInt8]) throws(TLVError) {
        let (header, a) = try Framing.parse(bytes)
        command = try MeterCommand(byte: header.command, flags: header.flags)
        datapathIndex = header.datapathIndex
        meterID = try a.optional(MeterAttr.id) { (x) throws(TLVError) in MeterID(try x.u32()) }
        flags = try a.flag(MeterAttr.kbps) ? .kilobitsPerSecond : []
        bands = try a.optional(MeterAttr.bands) { (x) throws(TLVError) in try x.bands() }
        clearsStats = try a.flag(MeterAttr.clear)
        switch command {
        case .set:
            if meterID == nil { throw .missingAttribute(MeterAttr.id) }
            if bands == nil { throw .missingAttribute(MeterAttr.bands) }
        case .delete, .get:
            if meterID == nil { throw .missingAttribute(MeterAttr.id) }
        case .features, .dump:
            break
        }
    }
}

/// What the datapath says about a meter, or (for `features`) about its
/// meter support. Rules checked on decode: a `features` reply carries
/// `maximumMeters` and `maximumBands`.
public struct MeterReply: DPIFMessage {
    public static var family: DPIFFamily { .meter }

    public var command: MeterCommand
    public var datapathIndex: Int32
    public var meterID: MeterID?
    public var flags: MeterFlags
    public var stats: FlowStats?
    public var bands: [MeterBand]?
    /// When the meter last saw a packet, on the monotonic clock.
    public var used: Duration?
    public var maximumMeters: UInt32?
    public var maximumBands: UInt32?

    public init(command: MeterCommand, datapathIndex: Int32, meterID: MeterID? = nil, flags: MeterFlags = [],
                stats: FlowStats? = nil, bands: [MeterBand]? = nil, used: Duration? = nil,
                maximumMeters: UInt32? = nil, maximumBands: UInt32? = nil) {
        self.command = command
        self.datapathIndex = datapathIndex
        self.meterID = meterID
        self.flags = flags
        self.stats = stats
        self.bands = bands
        self.used = used
        self.maximumMeters = maximumMeters
        self.maximumBands = maximumBands
    }

    public func encoded() throws(TLVError) -> [UInt8] {
        var e = Framing.encoder(.meter, command: command.byte, flags: command == .dump ? .dump : [],
                                datapathIndex: datapathIndex)
        if let meterID { e.putU32(MeterAttr.id, meterID.rawValue) }
        if flags.contains(.kilobitsPerSecond) { e.putFlag(MeterAttr.kbps) }
        if let stats { e.putFixed(MeterAttr.stats, stats) }
        if let bands { e.putBands(bands) }
        if let used { e.putU64(MeterAttr.used, Milliseconds.encode(used)) }
        if let maximumMeters { e.putU32(MeterAttr.maximumMeters, maximumMeters) }
        if let maximumBands { e.putU32(MeterAttr.maximumBands, maximumBands) }
        return try e.finish()
    }

    public init(decoding bytes: [UInt8]) throws(TLVError) {
        let (header, a) = try Framing.parse(bytes)
        command = try MeterCommand(byte: header.command, flags: header.flags)
        datapathIndex = header.datapathIndex
        meterID = try a.optional(MeterAttr.id) { (x) throws(TLVError) in MeterID(try x.u32()) }
        flags = try a.flag(MeterAttr.kbps) ? .kilobitsPerSecond : []
        stats = try a.optional(MeterAttr.stats) { (x) throws(TLVError) in try x.value() }
        bands = try a.optional(MeterAttr.bands) { (x) throws(TLVError) in try x.bands() }
        used = try a.optional(MeterAttr.used) { (x) throws(TLVError) in Milliseconds.decode(try x.u64()) }
        maximumMeters = try a.optional(MeterAttr.maximumMeters) { (x) throws(TLVError) in try x.u32() }
        maximumBands = try a.optional(MeterAttr.maximumBands) { (x) throws(TLVError) in try x.u32() }
        if command == .features {
            if maximumMeters == nil { throw .missingAttribute(MeterAttr.maximumMeters) }
            if maximumBands == nil { throw .missingAttribute(MeterAttr.maximumBands) }
        }
    }
}
