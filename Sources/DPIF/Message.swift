/// The six message families of the datapath interface (the generic
/// netlink families of Open vSwitch's kernel datapath).
public enum DPIFFamily: CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case datapath, vport, flow, packet, meter, conntrackLimit

    /// The generic netlink family name (`OVS_*_FAMILY`).
    public var description: String {
        switch self {
        case .datapath: "ovs_datapath"
        case .vport: "ovs_vport"
        case .flow: "ovs_flow"
        case .packet: "ovs_packet"
        case .meter: "ovs_meter"
        case .conntrackLimit: "ovs_ct_limit"
        }
    }

    /// The family's version (`OVS_*_VERSION`), written in every header.
    public var version: UInt8 {
        self == .datapath ? 2 : 1
    }
}

/// Request flags that netlink carries in `nlmsghdr`; svs keeps them in
/// the generic-netlink header's reserved field.
public struct DPIFFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// A GET over every object (`NLM_F_DUMP` on a request, `NLM_F_MULTI` on replies).
    public static let dump = DPIFFlags(rawValue: 1 << 0)
}

/// The fixed part in front of every message's attributes:
/// `struct genlmsghdr` (command, version, reserved) then
/// `struct ovs_header` (the datapath's ifindex).
///
/// ```
/// | cmd: u8 | version: u8 | flags: u16 | dp_ifindex: i32 | attributes...
/// ```
public struct DPIFHeader: Hashable, Sendable {
    /// Bytes before the first attribute.
    public static let length = 8

    public var command: UInt8
    public var version: UInt8
    public var flags: DPIFFlags
    /// Which datapath (`dp_ifindex`); 0 when the request names it instead.
    public var datapathIndex: Int32

    public init(command: UInt8, version: UInt8, flags: DPIFFlags = [], datapathIndex: Int32 = 0) {
        self.command = command
        self.version = version
        self.flags = flags
        self.datapathIndex = datapathIndex
    }

    /// Reads the header at the start of `bytes`.
    public init(decoding bytes: [UInt8]) throws(TLVError) {
        guard bytes.count >= Self.length else { throw .truncated(offset: 0) }
        command = bytes[0]
        version = bytes[1]
        flags = DPIFFlags(rawValue: UInt16(bytes[2]) | UInt16(bytes[3]) << 8)
        datapathIndex = Int32(bitPattern: UInt32(truncatingIfNeeded: bytes[4..<8].littleEndianValue(4)))
    }

    /// The header's eight bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = [command, version]
        out.appendLittleEndian(UInt64(flags.rawValue), 2)
        out.appendLittleEndian(UInt64(UInt32(bitPattern: datapathIndex)), 4)
        return out
    }
}

/// A message of one family, with its TLV encoding.
/// `try T(decoding: m.encoded()) == m` for every value `m` that the
/// family's rules accept.
public protocol DPIFMessage: Hashable, Sendable {
    /// The family the message belongs to.
    static var family: DPIFFamily { get }
    /// Header and attributes.
    func encoded() throws(TLVError) -> [UInt8]
    /// Reads a message; never traps, whatever the bytes.
    init(decoding bytes: [UInt8]) throws(TLVError)
}

/// The commands of the datapath, vport and flow families (`*_CMD_NEW`...),
/// with `dump` standing for GET with the dump flag.
public enum DPIFCommand: Hashable, Sendable, CaseIterable {
    case new, delete, get, set, dump

    /// The command byte (OVS numbering: NEW 1, DEL 2, GET 3, SET 4).
    var byte: UInt8 {
        switch self {
        case .new: 1
        case .delete: 2
        case .get, .dump: 3
        case .set: 4
        }
    }

    var flags: DPIFFlags { self == .dump ? .dump : [] }

    init(byte: UInt8, flags: DPIFFlags) throws(TLVError) {
        switch byte {
        case 1: self = .new
        case 2: self = .delete
        case 3: self = flags.contains(.dump) ? .dump : .get
        case 4: self = .set
        default: throw .unknownCommand(byte)
        }
    }
}

/// Shared framing for the families.
enum Framing {
    /// An encoder primed with the header.
    static func encoder(_ family: DPIFFamily, command: UInt8, flags: DPIFFlags,
                        datapathIndex: Int32) -> TLVEncoder {
        TLVEncoder(prefix: DPIFHeader(command: command, version: family.version, flags: flags,
                                      datapathIndex: datapathIndex).bytes)
    }

    /// The header and the top-level attributes of `bytes`.
    static func parse(_ bytes: [UInt8]) throws(TLVError) -> (DPIFHeader, TLVAttributeList) {
        let header = try DPIFHeader(decoding: bytes)
        let attributes = try TLVAttributeList(parsing: bytes[DPIFHeader.length...])
        return (header, attributes)
    }
}

/// The flow key (or mask) as `OVS_KEY_ATTR_*` attributes, kept as the
/// encoded bytes until `Flow` provides the typed key. Decoding checks that
/// the bytes are a well-formed attribute list.
public struct KeyAttributes: Hashable, Sendable {
    /// The attributes' bytes (the payload of `OVS_FLOW_ATTR_KEY` and kin).
    public let bytes: [UInt8]

    /// Wraps `bytes` after checking they parse as attributes.
    public init(validating bytes: [UInt8]) throws(TLVError) {
        _ = try TLVAttributeList(parsing: bytes)
        self.bytes = bytes
    }

    /// Builds the attributes with an encoder.
    public init(_ build: (inout TLVEncoder) -> Void) {
        var e = TLVEncoder()
        build(&e)
        bytes = e.bytes
    }

    /// No attributes.
    public static let empty = KeyAttributes { _ in }

    init(slice: ArraySlice<UInt8>) throws(TLVError) {
        _ = try TLVAttributeList(parsing: slice)
        bytes = Array(slice)
    }

    /// The attributes, parsed.
    public var attributes: TLVAttributeList {
        // Checked at construction.
        (try? TLVAttributeList(parsing: bytes)) ?? TLVAttributeList()
    }
}

extension TLVEncoder {
    /// A nested attribute holding `key`'s attributes as they are.
    mutating func putKey(_ type: UInt16, _ key: KeyAttributes) {
        put(type, bytes: key.bytes)
    }
}

extension TLVAttribute {
    /// The payload as key attributes.
    func keyAttributes() throws(TLVError) -> KeyAttributes {
        try KeyAttributes(slice: payload)
    }
}

/// Times on the wire are milliseconds in a `u64`; svs holds `Duration`.
enum Milliseconds {
    static func encode(_ d: Duration) -> UInt64 {
        let (s, atto) = d.components
        guard s >= 0 else { return 0 }
        let (ms, overflow) = UInt64(s).multipliedReportingOverflow(by: 1000)
        if overflow { return .max }
        let (sum, o2) = ms.addingReportingOverflow(UInt64(max(0, atto) / 1_000_000_000_000_000))
        return o2 ? .max : sum
    }

    static func decode(_ ms: UInt64) -> Duration {
        .seconds(Int64(ms / 1000)) + .milliseconds(Int64(ms % 1000))
    }
}
