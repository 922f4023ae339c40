import Datapath

/// `OVS_DP_ATTR_*`.
enum DatapathAttr {
    static let name: UInt16 = 1
    static let upcallPID: UInt16 = 2
    static let stats: UInt16 = 3
    static let megaflowStats: UInt16 = 4
    static let userFeatures: UInt16 = 5
    static let masksCacheSize: UInt16 = 7
    static let perCPUPIDs: UInt16 = 8
}

/// Features the slow path asks of the datapath (`OVS_DP_F_*`).
public struct DatapathFeatures: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Accept unaligned Netlink attributes.
    public static let unaligned = DatapathFeatures(rawValue: 1 << 0)
    /// Upcalls go to the pid of the port the packet came in on.
    public static let vportPIDs = DatapathFeatures(rawValue: 1 << 1)
    /// Share recirculation ids with TC offload.
    public static let tcRecirculationSharing = DatapathFeatures(rawValue: 1 << 2)
    /// Upcalls go to a pid per CPU.
    public static let dispatchUpcallPerCPU = DatapathFeatures(rawValue: 1 << 3)
}

/// A request of the datapath family: create, delete, query, change or list
/// datapaths. A datapath is named by `datapathIndex`, or by `name` when the
/// index is 0.
///
/// Rules checked on decode: `new` needs `name` and `upcallPID`.
public struct DatapathRequest: DPIFMessage {
    public static var family: DPIFFamily { .datapath }

    public var command: DPIFCommand
    public var datapathIndex: Int32
    public var name: String?
    public var upcallPID: UInt32?
    public var userFeatures: DatapathFeatures?
    public var masksCacheSize: UInt32?
    public var perCPUUpcallPIDs: [UInt32]?

    public init(command: DPIFCommand, datapathIndex: Int32 = 0, name: String? = nil, upcallPID: UInt32? = nil,
                userFeatures: DatapathFeatures? = nil, masksCacheSize: UInt32? = nil,
                perCPUUpcallPIDs: [UInt32]? = nil) {
        self.command = command
        self.datapathIndex = datapathIndex
        self.name = name
        self.upcallPID = upcallPID
        self.userFeatures = userFeatures
        self.masksCacheSize = masksCacheSize
        self.perCPUUpcallPIDs = perCPUUpcallPIDs
    }

    /// `OVS_DP_CMD_NEW`: create datapath `name`, sending upcalls to `upcallPID`.
    public static func new(name: String, upcallPID: UInt32, features: DatapathFeatures = []) -> Self {
        Self(command: .new, name: name, upcallPID: upcallPID, userFeatures: features)
    }

    public func encoded() throws(TLVError) -> [UInt8] {
        var e = Framing.encoder(.datapath, command: command.byte, flags: command.flags,
                                datapathIndex: datapathIndex)
        if let name { e.putString(DatapathAttr.name, name) }
        if let upcallPID { e.putU32(DatapathAttr.upcallPID, upcallPID) }
        if let userFeatures { e.putU32(DatapathAttr.userFeatures, userFeatures.rawValue) }
        if let masksCacheSize { e.putU32(DatapathAttr.masksCacheSize, masksCacheSize) }
        if let perCPUUpcallPIDs { e.putU32Array(DatapathAttr.perCPUPIDs, perCPUUpcallPIDs) }
        return try e.finish()
    }

    public init(decoding bytes: [UInt8]) throws(TLVError) {
        let (header, a) = try Framing.parse(bytes)
        command = try DPIFCommand(byte: header.command, flags: header.flags)
        datapathIndex = header.datapathIndex
        name = try a.optional(DatapathAttr.name) { (x) throws(TLVError) in try x.string() }
        upcallPID = try a.optional(DatapathAttr.upcallPID) { (x) throws(TLVError) in try x.u32() }
        userFeatures = try a.optional(DatapathAttr.userFeatures) { (x) throws(TLVError) in
            DatapathFeatures(rawValue: try x.u32())
        }
        masksCacheSize = try a.optional(DatapathAttr.masksCacheSize) { (x) throws(TLVError) in try x.u32() }
        perCPUUpcallPIDs = try a.optional(DatapathAttr.perCPUPIDs) { (x) throws(TLVError) in try x.u32Array() }
        if command == .new {
            if name == nil { throw .missingAttribute(DatapathAttr.name) }
            if upcallPID == nil { throw .missingAttribute(DatapathAttr.upcallPID) }
        }
    }
}

/// What the datapath says about one datapath (reply to any request of the
/// family, one per datapath for `dump`). Rules checked on decode: `name`
/// and `stats` are present.
public struct DatapathReply: DPIFMessage {
    public static var family: DPIFFamily { .datapath }

    public var command: DPIFCommand
    public var datapathIndex: Int32
    public var name: String
    public var upcallPID: UInt32?
    public var stats: DatapathStats
    public var megaflowStats: MegaflowStats?
    public var userFeatures: DatapathFeatures?
    public var masksCacheSize: UInt32?
    public var perCPUUpcallPIDs: [UInt32]?

    public init(command: DPIFCommand, datapathIndex: Int32, name: String, upcallPID: UInt32? = nil,
                stats: DatapathStats, megaflowStats: MegaflowStats? = nil, userFeatures: DatapathFeatures? = nil,
                masksCacheSize: UInt32? = nil, perCPUUpcallPIDs: [UInt32]? = nil) {
        self.command = command
        self.datapathIndex = datapathIndex
        self.name = name
        self.upcallPID = upcallPID
        self.stats = stats
        self.megaflowStats = megaflowStats
        self.userFeatures = userFeatures
        self.masksCacheSize = masksCacheSize
        self.perCPUUpcallPIDs = perCPUUpcallPIDs
    }

    public func encoded() throws(TLVError) -> [UInt8] {
        var e = Framing.encoder(.datapath, command: command.byte, flags: command.flags,
                                datapathIndex: datapathIndex)
        e.putString(DatapathAttr.name, name)
        if let upcallPID { e.putU32(DatapathAttr.upcallPID, upcallPID) }
        e.putFixed(DatapathAttr.stats, stats)
        if let megaflowStats { e.putFixed(DatapathAttr.megaflowStats, megaflowStats) }
        if let userFeatures { e.putU32(DatapathAttr.userFeatures, userFeatures.rawValue) }
        if let masksCacheSize { e.putU32(DatapathAttr.masksCacheSize, masksCacheSize) }
        if let perCPUUpcallPIDs { e.putU32Array(DatapathAttr.perCPUPIDs, perCPUUpcallPIDs) }
        return try e.finish()
    }

    public init(decoding bytes: [UInt8]) throws(TLVError) {
        let (header, a) = try Framing.parse(bytes)
        command = try DPIFCommand(byte: header.command, flags: header.flags)
        datapathIndex = header.datapathIndex
        name = try a.required(DatapathAttr.name).string()
        upcallPID = try a.optional(DatapathAttr.upcallPID) { (x) throws(TLVError) in try x.u32() }
        stats = try a.required(DatapathAttr.stats).value()
        megaflowStats = try a.optional(DatapathAttr.megaflowStats) { (x) throws(TLVError) in try x.value() }
        userFeatures = try a.optional(DatapathAttr.userFeatures) { (x) throws(TLVError) in
            DatapathFeatures(rawValue: try x.u32())
        }
        masksCacheSize = try a.optional(DatapathAttr.masksCacheSize) { (x) throws(TLVError) in try x.u32() }
        perCPUUpcallPIDs = try a.optional(DatapathAttr.perCPUPIDs) { (x) throws(TLVError) in try x.u32Array() }
    }
}
