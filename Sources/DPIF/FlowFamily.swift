import Datapath

/// `OVS_FLOW_ATTR_*`.
enum FlowAttr {
    static let key: UInt16 = 1
    static let actions: UInt16 = 2
    static let stats: UInt16 = 3
    static let tcpFlags: UInt16 = 4
    static let used: UInt16 = 5
    static let clear: UInt16 = 6
    static let mask: UInt16 = 7
    static let probe: UInt16 = 8
    static let ufid: UInt16 = 9
    static let ufidFlags: UInt16 = 10
}

/// A flow's unique identifier, chosen by the slow path (`ovs_u128`).
public struct FlowUFID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt128
    public init(rawValue: UInt128) { self.rawValue = rawValue }

    /// As Open vSwitch prints it: `ufid:` and the 32 hex digits in
    /// 8-4-4-4-12 groups.
    public var description: String {
        let hex = String(rawValue, radix: 16)
        let digits = Array(String(repeating: "0", count: 32 - hex.count) + hex)
        var out = "ufid:"
        for (i, d) in digits.enumerated() {
            if [8, 12, 16, 20].contains(i) { out.append("-") }
            out.append(d)
        }
        return out
    }
}

/// Which parts of a flow a reply may leave out (`OVS_UFID_F_*`).
public struct UFIDFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let omitKey = UFIDFlags(rawValue: 1 << 0)
    public static let omitMask = UFIDFlags(rawValue: 1 << 1)
    public static let omitActions = UFIDFlags(rawValue: 1 << 2)
}

/// A request of the flow family: install, remove, query, change or list
/// datapath flows. The key and mask stay encoded (`KeyAttributes`) until
/// `Flow` provides the typed key; the actions are typed.
///
/// Rules checked on decode: `new` needs `key` and `actions`; `get` and
/// `set` need `key` or `ufid`. `delete` with neither flushes every flow.
public struct FlowRequest: DPIFMessage {
    public static var family: DPIFFamily { .flow }

    public var command: DPIFCommand
    public var datapathIndex: Int32
    public var key: KeyAttributes?
    public var mask: KeyAttributes?
    public var actions: [DatapathAction]?
    public var ufid: FlowUFID?
    public var ufidFlags: UFIDFlags?
    /// Reset the flow's stats, TCP flags and last-used time (`set`).
    public var clearsStats: Bool
    /// A feature probe: failures are expected and not logged.
    public var isProbe: Bool

    public init(command: DPIFCommand, datapathIndex: Int32, key: KeyAttributes? = nil, mask: KeyAttributes? = nil,
                actions: [DatapathAction]? = nil, ufid: FlowUFID? = nil, ufidFlags: UFIDFlags? = nil,
                clearsStats: Bool = false, isProbe: Bool = false) {
        self.command = command
        self.datapathIndex = datapathIndex
        self.key = key
        self.mask = mask
        self.actions = actions
        self.ufid = ufid
        self.ufidFlags = ufidFlags
        self.clearsStats = clearsStats
        self.isProbe = isProbe
    }

    public func encoded() throws(TLVError) -> [UInt8] {
        var e = Framing.encoder(.flow, command: command.byte, flags: command.flags, datapathIndex: datapathIndex)
        if let key { e.putKey(FlowAttr.key, key) }
        if let mask { e.putKey(FlowAttr.mask, mask) }
        if let actions { e.putActions(FlowAttr.actions, actions) }
        if let ufid { e.putU128(FlowAttr.ufid, ufid.rawValue) }
        if let ufidFlags { e.putU32(FlowAttr.ufidFlags, ufidFlags.rawValue) }
        if clearsStats { e.putFlag(FlowAttr.clear) }
        if isProbe { e.putFlag(FlowAttr.probe) }
        return try e.finish()
    }

    public init(decoding bytes: [UInt8]) throws(TLVError) {
        let (header, a) = try Framing.parse(bytes)
        command = try DPIFCommand(byte: header.command, flags: header.flags)
        datapathIndex = header.datapathIndex
        key = try a.optional(FlowAttr.key) { (x) throws(TLVError) in try x.keyAttributes() }
        mask = try a.optional(FlowAttr.mask) { (x) throws(TLVError) in try x.keyAttributes() }
        actions = try a.optional(FlowAttr.actions) { (x) throws(TLVError) in
            try DatapathActionCodec.decode(x.nested(), depth: 0)
        }
        ufid = try a.optional(FlowAttr.ufid) { (x) throws(TLVError) in FlowUFID(rawValue: try x.u128()) }
        ufidFlags = try a.optional(FlowAttr.ufidFlags) { (x) throws(TLVError) in UFIDFlags(rawValue: try x.u32()) }
        clearsStats = try a.flag(FlowAttr.clear)
        isProbe = try a.flag(FlowAttr.probe)
        switch command {
        case .new:
            if key == nil { throw .missingAttribute(FlowAttr.key) }
            if actions == nil { throw .missingAttribute(FlowAttr.actions) }
        case .get, .set:
            if key == nil, ufid == nil { throw .missingAttribute(FlowAttr.key) }
        case .delete, .dump:
            break
        }
    }
}

/// What the datapath says about one flow (reply to a request, one per
/// flow for `dump`).
public struct FlowReply: DPIFMessage {
    public static var family: DPIFFamily { .flow }

    public var command: DPIFCommand
    public var datapathIndex: Int32
    public var key: KeyAttributes?
    public var mask: KeyAttributes?
    public var actions: [DatapathAction]?
    public var ufid: FlowUFID?
    public var stats: FlowStats?
    /// When the flow last matched, on the monotonic clock.
    public var used: Duration?
    /// TCP flags seen, OR'd (the low 8 bits, as the uapi carries them).
    public var tcpFlags: UInt8?

    public init(command: DPIFCommand, datapathIndex: Int32, key: KeyAttributes? = nil, mask: KeyAttributes? = nil,
                actions: [DatapathAction]? = nil, ufid: FlowUFID? = nil, stats: FlowStats? = nil,
                used: Duration? = nil, tcpFlags: UInt8? = nil) {
        self.command = command
        self.datapathIndex = datapathIndex
        self.key = key
        self.mask = mask
        self.actions = actions
        self.ufid = ufid
        self.stats = stats
        self.used = used
        self.tcpFlags = tcpFlags
    }

    public func encoded() throws(TLVError) -> [UInt8] {
        var e = Framing.encoder(.flow, command: command.byte, flags: command.flags, datapathIndex: datapathIndex)
        if let key { e.putKey(FlowAttr.key, key) }
        if let mask { e.putKey(FlowAttr.mask, mask) }
        if let actions { e.putActions(FlowAttr.actions, actions) }
        if let ufid { e.putU128(FlowAttr.ufid, ufid.rawValue) }
        if let stats { e.putFixed(FlowAttr.stats, stats) }
        if let used { e.putU64(FlowAttr.used, Milliseconds.encode(used)) }
        if let tcpFlags { e.putU8(FlowAttr.tcpFlags, tcpFlags) }
        return try e.finish()
    }

    public init(decoding bytes: [UInt8]) throws(TLVError) {
        let (header, a) = try Framing.parse(bytes)
        command = try DPIFCommand(byte: header.command, flags: header.flags)
        datapathIndex = header.datapathIndex
        key = try a.optional(FlowAttr.key) { (x) throws(TLVError) in try x.keyAttributes() }
        mask = try a.optional(FlowAttr.mask) { (x) throws(TLVError) in try x.keyAttributes() }
        actions = try a.optional(FlowAttr.actions) { (x) throws(TLVError) in
            try DatapathActionCodec.decode(x.nested(), depth: 0)
        }
        ufid = try a.optional(FlowAttr.ufid) { (x) throws(TLVError) in FlowUFID(rawValue: try x.u128()) }
        stats = try a.optional(FlowAttr.stats) { (x) throws(TLVError) in try x.value() }
        used = try a.optional(FlowAttr.used) { (x) throws(TLVError) in Milliseconds.decode(try x.u64()) }
        tcpFlags = try a.optional(FlowAttr.tcpFlags) { (x) throws(TLVError) in try x.u8() }
    }
}
