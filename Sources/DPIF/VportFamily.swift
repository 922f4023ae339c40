import Flow
import Datapath

/// `OVS_VPORT_ATTR_*`.
enum VportAttr {
    static let portNumber: UInt16 = 1
    static let type: UInt16 = 2
    static let name: UInt16 = 3
    static let options: UInt16 = 4
    static let upcallPID: UInt16 = 5
    static let stats: UInt16 = 6
    static let ifindex: UInt16 = 8
    static let netnsID: UInt16 = 9
}

/// `OVS_TUNNEL_ATTR_*` inside a vport's options.
enum VportOptionAttr {
    static let destinationPort: UInt16 = 1
    static let extension_: UInt16 = 2
}

/// A vport's kind on the wire (`OVS_VPORT_TYPE_*`).
public struct VportType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// A network device (`system`, `dummy`).
    public static let netdev = VportType(rawValue: 1)
    /// The datapath's own device (`internal`).
    public static let `internal` = VportType(rawValue: 2)
    public static let gre = VportType(rawValue: 3)
    public static let vxlan = VportType(rawValue: 4)
    public static let geneve = VportType(rawValue: 5)
    public static let lisp = VportType(rawValue: 105)
    public static let stt = VportType(rawValue: 106)
    public static let erspan = VportType(rawValue: 107)
    public static let ip6erspan = VportType(rawValue: 108)
    public static let ip6gre = VportType(rawValue: 109)
    public static let gtpu = VportType(rawValue: 110)
    public static let bareudp = VportType(rawValue: 111)
}

/// A tunnel vport's options (`OVS_VPORT_ATTR_OPTIONS`).
public struct VportOptions: Hashable, Sendable {
    /// The UDP port of an L4 tunnel.
    public var destinationPort: UInt16?
    /// Extension flags (`OVS_VXLAN_EXT_GBP` = 1, `_GPE` = 8...), by attribute number.
    public var extensions: [UInt16]

    public init(destinationPort: UInt16? = nil, extensions: [UInt16] = []) {
        self.destinationPort = destinationPort
        self.extensions = extensions
    }

    func encode(into e: inout TLVEncoder) {
        if let destinationPort { e.putU16(VportOptionAttr.destinationPort, destinationPort) }
        if !extensions.isEmpty {
            e.putNested(VportOptionAttr.extension_) { x in
                for type in extensions { x.putFlag(type & TLV.typeMask) }
            }
        }
    }

    init(attributes a: TLVAttributeList) throws(TLVError) {
        destinationPort = try a.optional(VportOptionAttr.destinationPort) { (x) throws(TLVError) in try x.u16() }
        extensions = []
        if let ext = a[VportOptionAttr.extension_] {
            for flag in try ext.nested() {
                try flag.flag()
                extensions.append(flag.type)
            }
        }
    }
}

/// A request of the vport family: add, remove, query, change or list the
/// ports of a datapath. Rules checked on decode: `new` needs `name`,
/// `type` and `upcallPIDs`.
public struct VportRequest: DPIFMessage {
    public static var family: DPIFFamily { .vport }

    public var command: DPIFCommand
    public var datapathIndex: Int32
    public var portNumber: DatapathPort?
    public var type: VportType?
    public var name: String?
    public var options: VportOptions?
    /// Where upcalls of packets from this port go (one pid per handler).
    public var upcallPIDs: [UInt32]?

    public init(command: DPIFCommand, datapathIndex: Int32, portNumber: DatapathPort? = nil,
                type: VportType? = nil, name: String? = nil, options: VportOptions? = nil,
                upcallPIDs: [UInt32]? = nil) {
        self.command = command
        self.datapathIndex = datapathIndex
        self.portNumber = portNumber
        self.type = type
        self.name = name
        self.options = options
        self.upcallPIDs = upcallPIDs
    }

    public func encoded() throws(TLVError) -> [UInt8] {
        var e = Framing.encoder(.vport, command: command.byte, flags: command.flags, datapathIndex: datapathIndex)
        if let portNumber { e.putU32(VportAttr.portNumber, portNumber.rawValue) }
        if let type { e.putU32(VportAttr.type, type.rawValue) }
        if let name { e.putString(VportAttr.name, name) }
        if let options { e.putNested(VportAttr.options) { options.encode(into: &$0) } }
        if let upcallPIDs { e.putU32Array(VportAttr.upcallPID, upcallPIDs) }
        return try e.finish()
    }

    public init(decoding bytes: [UInt8]) throws(TLVError) {
        let (header, a) = try Framing.parse(bytes)
        command = try DPIFCommand(byte: header.command, flags: header.flags)
        datapathIndex = header.datapathIndex
        portNumber = try a.optional(VportAttr.portNumber) { (x) throws(TLVError) in DatapathPort(try x.u32()) }
        type = try a.optional(VportAttr.type) { (x) throws(TLVError) in VportType(rawValue: try x.u32()) }
        name = try a.optional(VportAttr.name) { (x) throws(TLVError) in try x.string() }
        options = try a.optional(VportAttr.options) { (x) throws(TLVError) in try VportOptions(attributes: x.nested()) }
        upcallPIDs = try a.optional(VportAttr.upcallPID) { (x) throws(TLVError) in try x.u32Array() }
        if command == .new {
            if name == nil { throw .missingAttribute(VportAttr.name) }
            if type == nil { throw .missingAttribute(VportAttr.type) }
            if upcallPIDs == nil { throw .missingAttribute(VportAttr.upcallPID) }
        }
    }
}

/// What the datapath says about one port. Rules checked on decode:
/// `portNumber`, `type` and `name` are present.
public struct VportReply: DPIFMessage {
    public static var family: DPIFFamily { .vport }

    public var command: DPIFCommand
    public var datapathIndex: Int32
    public var portNumber: DatapathPort
    public var type: VportType
    public var name: String
    public var upcallPIDs: [UInt32]?
    public var stats: PortStats?
    public var options: VportOptions?
    public var ifindex: Int32?
    public var netnsID: Int32?

    public init(command: DPIFCommand, datapathIndex: Int32, portNumber: DatapathPort, type: VportType,
                name: String, upcallPIDs: [UInt32]? = nil, stats: PortStats? = nil, options: VportOptions? = nil,
                ifindex: Int32? = nil, netnsID: Int32? = nil) {
        self.command = command
        self.datapathIndex = datapathIndex
        self.portNumber = portNumber
        self.type = type
        self.name = name
        self.upcallPIDs = upcallPIDs
        self.stats = stats
        self.options = options
        self.ifindex = ifindex
        self.netnsID = netnsID
    }

    public func encoded() throws(TLVError) -> [UInt8] {
        var e = Framing.encoder(.vport, command: command.byte, flags: command.flags, datapathIndex: datapathIndex)
        e.putU32(VportAttr.portNumber, portNumber.rawValue)
        e.putU32(VportAttr.type, type.rawValue)
        e.putString(VportAttr.name, name)
        if let upcallPIDs { e.putU32Array(VportAttr.upcallPID, upcallPIDs) }
        if let stats { e.putFixed(VportAttr.stats, stats) }
        if let options { e.putNested(VportAttr.options) { options.encode(into: &$0) } }
        if let ifindex { e.putI32(VportAttr.ifindex, ifindex) }
        if let netnsID { e.putI32(VportAttr.netnsID, netnsID) }
        return try e.finish()
    }

    public init(decoding bytes: [UInt8]) throws(TLVError) {
        let (header, a) = try Framing.parse(bytes)
        command = try DPIFCommand(byte: header.command, flags: header.flags)
        datapathIndex = header.datapathIndex
        portNumber = DatapathPort(try a.required(VportAttr.portNumber).u32())
        type = VportType(rawValue: try a.required(VportAttr.type).u32())
        name = try a.required(VportAttr.name).string()
        upcallPIDs = try a.optional(VportAttr.upcallPID) { (x) throws(TLVError) in try x.u32Array() }
        stats = try a.optional(VportAttr.stats) { (x) throws(TLVError) in try x.value() }
        options = try a.optional(VportAttr.options) { (x) throws(TLVError) in try VportOptions(attributes: x.nested()) }
        ifindex = try a.optional(VportAttr.ifindex) { (x) throws(TLVError) in try x.i32() }
        netnsID = try a.optional(VportAttr.netnsID) { (x) throws(TLVError) in try x.i32() }
    }
}
