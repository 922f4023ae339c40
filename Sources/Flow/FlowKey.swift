import Wire

/// The words behind a flow key or mask: 58 host-order `UInt64`s.
public typealias FlowWords = InlineArray<58, UInt64>

/// Where one field lives in the flow words: `width` bits starting `shift`
/// bits above the least significant bit of word `word`.
///
/// The layout follows Open vSwitch's `struct flow`: metadata (tunnel, OpenFlow
/// metadata and registers, packet metadata, conntrack), then L2, L3 and L4,
/// each segment starting on a word of its own (see `FlowField.l2Start`...).
/// Values are kept in host order; a field never straddles two words.
/// Fields wider than 64 bits (IPv6 addresses, `ct_label`, tunnel options) are
/// pairs or runs of whole words and have their own accessors.
public struct FlowField: Hashable, Sendable {
    /// Index of the word that holds the field.
    public let word: Int
    /// Bit position of the field's least significant bit within the word.
    public let shift: Int
    /// Width in bits, 1...64.
    public let width: Int

    @inlinable init(_ word: Int, _ shift: Int, _ width: Int) {
        self.word = word
        self.shift = shift
        self.width = width
    }

    /// The field's bits in its word, in place.
    @inlinable public var wordMask: UInt64 {
        width == 64 ? .max : ((1 << UInt64(width)) &- 1) << UInt64(shift)
    }
    /// The largest value the field holds (all ones in `width` bits).
    @inlinable public var maxValue: UInt64 { width == 64 ? .max : (1 << UInt64(width)) &- 1 }
}

extension FlowField {
    // MARK: Tunnel (words 0...16)
    @inlinable public static var tunnelIPv4Destination: FlowField { FlowField(0, 32, 32) }
    @inlinable public static var tunnelIPv4Source: FlowField { FlowField(0, 0, 32) }
    /// First of two words (high half first); see `tunnelIPv6Destination` accessors.
    @inlinable public static var tunnelIPv6DestinationHigh: FlowField { FlowField(1, 0, 64) }
    @inlinable public static var tunnelIPv6DestinationLow: FlowField { FlowField(2, 0, 64) }
    @inlinable public static var tunnelIPv6SourceHigh: FlowField { FlowField(3, 0, 64) }
    @inlinable public static var tunnelIPv6SourceLow: FlowField { FlowField(4, 0, 64) }
    @inlinable public static var tunnelID: FlowField { FlowField(5, 0, 64) }
    @inlinable public static var tunnelFlags: FlowField { FlowField(6, 48, 16) }
    @inlinable public static var tunnelTOS: FlowField { FlowField(6, 40, 8) }
    @inlinable public static var tunnelTTL: FlowField { FlowField(6, 32, 8) }
    @inlinable public static var tunnelTransportSource: FlowField { FlowField(6, 16, 16) }
    @inlinable public static var tunnelTransportDestination: FlowField { FlowField(6, 0, 16) }
    @inlinable public static var tunnelGBPID: FlowField { FlowField(7, 48, 16) }
    @inlinable public static var tunnelGBPFlags: FlowField { FlowField(7, 40, 8) }
    @inlinable public static var tunnelERSPANVersion: FlowField { FlowField(7, 32, 8) }
    @inlinable public static var tunnelERSPANIndex: FlowField { FlowField(7, 0, 32) }
    @inlinable public static var tunnelERSPANDirection: FlowField { FlowField(8, 56, 8) }
    @inlinable public static var tunnelERSPANHardwareID: FlowField { FlowField(8, 48, 8) }
    @inlinable public static var tunnelGTPUFlags: FlowField { FlowField(8, 40, 8) }
    @inlinable public static var tunnelGTPUMessageType: FlowField { FlowField(8, 32, 8) }
    /// Number of bytes used in the tunnel options region (Geneve TLVs, raw).
    @inlinable public static var tunnelOptionsLength: FlowField { FlowField(8, 0, 8) }
    /// Words 9...16 hold up to `FlowKey.tunnelOptionsCapacity` bytes of raw
    /// tunnel options (Geneve TLVs as on the wire), first byte most significant.
    @inlinable public static var tunnelOptionsFirstWord: Int { 9 }

    // MARK: OpenFlow metadata and registers (words 17...25)
    @inlinable public static var metadata: FlowField { FlowField(17, 0, 64) }
    /// Register `i` (0...15): OVS's `reg<i>`; `xreg<i>` is word `18 + i`.
    @inlinable public static func register(_ i: Int) -> FlowField {
        FlowField(18 + i / 2, i % 2 == 0 ? 32 : 0, 32)
    }

    // MARK: Packet metadata and conntrack (words 26...32)
    @inlinable public static var skbPriority: FlowField { FlowField(26, 32, 32) }
    @inlinable public static var packetMark: FlowField { FlowField(26, 0, 32) }
    @inlinable public static var dpHash: FlowField { FlowField(27, 32, 32) }
    @inlinable public static var inPort: FlowField { FlowField(27, 0, 32) }
    @inlinable public static var recirculationID: FlowField { FlowField(28, 32, 32) }
    @inlinable public static var ctState: FlowField { FlowField(28, 24, 8) }
    @inlinable public static var ctNetworkProtocol: FlowField { FlowField(28, 16, 8) }
    @inlinable public static var ctZone: FlowField { FlowField(28, 0, 16) }
    @inlinable public static var ctMark: FlowField { FlowField(29, 32, 32) }
    @inlinable public static var packetType: FlowField { FlowField(29, 0, 32) }
    @inlinable public static var ctLabelHigh: FlowField { FlowField(30, 0, 64) }
    @inlinable public static var ctLabelLow: FlowField { FlowField(31, 0, 64) }
    @inlinable public static var conjunctionID: FlowField { FlowField(32, 32, 32) }
    @inlinable public static var actionSetOutput: FlowField { FlowField(32, 0, 32) }

    // MARK: L2 (words 33...37)
    @inlinable public static var ethDestination: FlowField { FlowField(33, 16, 48) }
    @inlinable public static var ethType: FlowField { FlowField(33, 0, 16) }
    @inlinable public static var ethSource: FlowField { FlowField(34, 16, 48) }
    /// The whole first VLAN header (TPID in the high 16 bits, TCI low).
    @inlinable public static var vlan0: FlowField { FlowField(35, 32, 32) }
    @inlinable public static var vlan0TPID: FlowField { FlowField(35, 48, 16) }
    @inlinable public static var vlan0TCI: FlowField { FlowField(35, 32, 16) }
    @inlinable public static var vlan1: FlowField { FlowField(35, 0, 32) }
    @inlinable public static var vlan1TPID: FlowField { FlowField(35, 16, 16) }
    @inlinable public static var vlan1TCI: FlowField { FlowField(35, 0, 16) }
    @inlinable public static var mplsLSE0: FlowField { FlowField(36, 32, 32) }
    @inlinable public static var mplsLSE1: FlowField { FlowField(36, 0, 32) }
    @inlinable public static var mplsLSE2: FlowField { FlowField(37, 32, 32) }

    // MARK: L3 (words 38...48)
    @inlinable public static var ipv4Source: FlowField { FlowField(38, 32, 32) }
    @inlinable public static var ipv4Destination: FlowField { FlowField(38, 0, 32) }
    @inlinable public static var ctIPv4Source: FlowField { FlowField(39, 32, 32) }
    @inlinable public static var ctIPv4Destination: FlowField { FlowField(39, 0, 32) }
    @inlinable public static var ipv6SourceHigh: FlowField { FlowField(40, 0, 64) }
    @inlinable public static var ipv6SourceLow: FlowField { FlowField(41, 0, 64) }
    @inlinable public static var ipv6DestinationHigh: FlowField { FlowField(42, 0, 64) }
    @inlinable public static var ipv6DestinationLow: FlowField { FlowField(43, 0, 64) }
    @inlinable public static var ctIPv6SourceHigh: FlowField { FlowField(44, 0, 64) }
    @inlinable public static var ctIPv6SourceLow: FlowField { FlowField(45, 0, 64) }
    @inlinable public static var ctIPv6DestinationHigh: FlowField { FlowField(46, 0, 64) }
    @inlinable public static var ctIPv6DestinationLow: FlowField { FlowField(47, 0, 64) }
    @inlinable public static var ipv6Label: FlowField { FlowField(48, 32, 32) }
    @inlinable public static var networkFragment: FlowField { FlowField(48, 24, 8) }
    @inlinable public static var networkTOS: FlowField { FlowField(48, 16, 8) }
    @inlinable public static var networkTTL: FlowField { FlowField(48, 8, 8) }
    @inlinable public static var networkProtocol: FlowField { FlowField(48, 0, 8) }

    // MARK: L4 (words 49...57)
    @inlinable public static var ndTargetHigh: FlowField { FlowField(49, 0, 64) }
    @inlinable public static var ndTargetLow: FlowField { FlowField(50, 0, 64) }
    /// ARP source hardware address; for ND, the source link-layer option (`nd_sll`).
    @inlinable public static var arpSHA: FlowField { FlowField(51, 16, 48) }
    /// TCP flags (12 bits); for ND, the type of the first link-layer option
    /// (`nd_options_type`).
    @inlinable public static var tcpFlags: FlowField { FlowField(51, 0, 16) }
    /// ARP target hardware address; for ND, the target link-layer option (`nd_tll`).
    @inlinable public static var arpTHA: FlowField { FlowField(52, 16, 48) }
    @inlinable public static var nshFlags: FlowField { FlowField(53, 56, 8) }
    @inlinable public static var nshTTL: FlowField { FlowField(53, 48, 8) }
    @inlinable public static var nshMDType: FlowField { FlowField(53, 40, 8) }
    @inlinable public static var nshNextProtocol: FlowField { FlowField(53, 32, 8) }
    @inlinable public static var nshPathHeader: FlowField { FlowField(53, 0, 32) }
    @inlinable public static func nshContext(_ i: Int) -> FlowField {
        FlowField(54 + i / 2, i % 2 == 0 ? 32 : 0, 32)
    }
    /// TCP/UDP/SCTP source port, ICMP type, IGMP type.
    @inlinable public static var transportSource: FlowField { FlowField(56, 48, 16) }
    /// TCP/UDP/SCTP destination port, ICMP code, IGMP code.
    @inlinable public static var transportDestination: FlowField { FlowField(56, 32, 16) }
    @inlinable public static var ctTransportSource: FlowField { FlowField(56, 16, 16) }
    @inlinable public static var ctTransportDestination: FlowField { FlowField(56, 0, 16) }
    /// IGMP group; for ND, the 32 bits after the ICMPv6 header (`nd_reserved`).
    @inlinable public static var igmpGroup: FlowField { FlowField(57, 32, 32) }

    /// First word of each segment (OVS's `FLOW_SEGMENT_*_ENDS_AT`).
    @inlinable public static var l2Start: Int { 33 }
    @inlinable public static var l3Start: Int { 38 }
    @inlinable public static var l4Start: Int { 49 }
}

/// A datapath port number (OVS's `odp_port_t`).
///
/// Port 0 is the datapath's local port, named after the datapath.
public struct DatapathPort: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// The local port (`OVSP_LOCAL`), created with the datapath.
    public static let local = DatapathPort(rawValue: 0)
    /// No port (`ODPP_NONE`).
    public static let none = DatapathPort(rawValue: .max)

    @inlinable public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// An OpenFlow port number (OVS's 16-bit `ofp_port_t`), with the reserved ports named.
public struct OFPort: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let max = OFPort(rawValue: 0xff00)
    public static let unset = OFPort(rawValue: 0xfff7)
    public static let inPort = OFPort(rawValue: 0xfff8)
    public static let table = OFPort(rawValue: 0xfff9)
    public static let normal = OFPort(rawValue: 0xfffa)
    public static let flood = OFPort(rawValue: 0xfffb)
    public static let all = OFPort(rawValue: 0xfffc)
    public static let controller = OFPort(rawValue: 0xfffd)
    public static let local = OFPort(rawValue: 0xfffe)
    /// `ANY` (OpenFlow 1.0's `NONE`).
    public static let any = OFPort(rawValue: 0xffff)

    /// The reserved name (`LOCAL`, `ANY`...) or `nil` for an ordinary port.
    public var reservedName: String? {
        switch rawValue {
        case 0xfff7: "UNSET"
        case 0xfff8: "IN_PORT"
        case 0xfff9: "TABLE"
        case 0xfffa: "NORMAL"
        case 0xfffb: "FLOOD"
        case 0xfffc: "ALL"
        case 0xfffd: "CONTROLLER"
        case 0xfffe: "LOCAL"
        case 0xffff: "ANY"
        default: nil
        }
    }

    /// As `ofputil_format_port` prints it: the reserved name or the number.
    public var description: String { reservedName ?? String(rawValue) }
}

/// Storage shared by `FlowKey` and `FlowMask`: the same words, the same fields.
public protocol FlowWordStorage {
    var words: FlowWords { get set }
}

extension FlowWordStorage {
    /// The raw bits of `field`, right-aligned.
    @inlinable @inline(__always)
    public subscript(field: FlowField) -> UInt64 {
        get { (words[field.word] >> UInt64(field.shift)) & field.maxValue }
        set {
            let w = words[field.word]
            words[field.word] = (w & ~field.wordMask) | ((newValue & field.maxValue) << UInt64(field.shift))
        }
    }

    @inlinable func ipv6(_ high: FlowField) -> IPv6Address {
        IPv6Address(high: words[high.word], low: words[high.word + 1])
    }
    @inlinable mutating func setIPv6(_ high: FlowField, _ a: IPv6Address) {
        words[high.word] = a.high
        words[high.word + 1] = a.low
    }

    // MARK: Metadata

    @inlinable public var tunnelIPv4Source: IPv4Address {
        get { IPv4Address(rawValue: UInt32(self[.tunnelIPv4Source])) }
        set { self[.tunnelIPv4Source] = UInt64(newValue.rawValue) }
    }
    @inlinable public var tunnelIPv4Destination: IPv4Address {
        get { IPv4Address(rawValue: UInt32(self[.tunnelIPv4Destination])) }
        set { self[.tunnelIPv4Destination] = UInt64(newValue.rawValue) }
    }
    @inlinable public var tunnelIPv6Source: IPv6Address {
        get { ipv6(.tunnelIPv6SourceHigh) }
        set { setIPv6(.tunnelIPv6SourceHigh, newValue) }
    }
    @inlinable public var tunnelIPv6Destination: IPv6Address {
        get { ipv6(.tunnelIPv6DestinationHigh) }
        set { setIPv6(.tunnelIPv6DestinationHigh, newValue) }
    }
    @inlinable public var tunnelID: UInt64 {
        get { words[FlowField.tunnelID.word] }
        set { words[FlowField.tunnelID.word] = newValue }
    }
    /// Tunnel flags (`FlowKey.TunnelFlags` bits).
    @inlinable public var tunnelFlags: UInt16 {
        get { UInt16(self[.tunnelFlags]) }
        set { self[.tunnelFlags] = UInt64(newValue) }
    }
    @inlinable public var tunnelTOS: UInt8 {
        get { UInt8(self[.tunnelTOS]) }
        set { self[.tunnelTOS] = UInt64(newValue) }
    }
    @inlinable public var tunnelTTL: UInt8 {
        get { UInt8(self[.tunnelTTL]) }
        set { self[.tunnelTTL] = UInt64(newValue) }
    }
    @inlinable public var tunnelTransportSource: UInt16 {
        get { UInt16(self[.tunnelTransportSource]) }
        set { self[.tunnelTransportSource] = UInt64(newValue) }
    }
    @inlinable public var tunnelTransportDestination: UInt16 {
        get { UInt16(self[.tunnelTransportDestination]) }
        set { self[.tunnelTransportDestination] = UInt64(newValue) }
    }
    @inlinable public var tunnelGBPID: UInt16 {
        get { UInt16(self[.tunnelGBPID]) }
        set { self[.tunnelGBPID] = UInt64(newValue) }
    }
    @inlinable public var tunnelGBPFlags: UInt8 {
        get { UInt8(self[.tunnelGBPFlags]) }
        set { self[.tunnelGBPFlags] = UInt64(newValue) }
    }
    /// OpenFlow metadata (`metadata=`).
    @inlinable public var metadata: UInt64 {
        get { words[FlowField.metadata.word] }
        set { words[FlowField.metadata.word] = newValue }
    }
    /// Register `reg<i>`, 0...15.
    @inlinable public func register(_ i: Int) -> UInt32 { UInt32(self[.register(i)]) }
    @inlinable public mutating func setRegister(_ i: Int, _ value: UInt32) { self[.register(i)] = UInt64(value) }

    @inlinable public var skbPriority: UInt32 {
        get { UInt32(self[.skbPriority]) }
        set { self[.skbPriority] = UInt64(newValue) }
    }
    @inlinable public var packetMark: UInt32 {
        get { UInt32(self[.packetMark]) }
        set { self[.packetMark] = UInt64(newValue) }
    }
    @inlinable public var dpHash: UInt32 {
        get { UInt32(self[.dpHash]) }
        set { self[.dpHash] = UInt64(newValue) }
    }
    /// The input port as a datapath port (all 32 bits).
    @inlinable public var inPort: DatapathPort {
        get { DatapathPort(rawValue: UInt32(self[.inPort])) }
        set { self[.inPort] = UInt64(newValue.rawValue) }
    }
    /// The input port as an OpenFlow port (the low 16 bits, as OVS's union reads it).
    @inlinable public var openFlowInPort: OFPort {
        get { OFPort(rawValue: UInt16(truncatingIfNeeded: self[.inPort])) }
        set { self[.inPort] = UInt64(newValue.rawValue) }
    }
    @inlinable public var recirculationID: UInt32 {
        get { UInt32(self[.recirculationID]) }
        set { self[.recirculationID] = UInt64(newValue) }
    }
    /// Conntrack state bits (`FlowKey.ConntrackState`).
    @inlinable public var ctState: UInt8 {
        get { UInt8(self[.ctState]) }
        set { self[.ctState] = UInt64(newValue) }
    }
    @inlinable public var ctZone: UInt16 {
        get { UInt16(self[.ctZone]) }
        set { self[.ctZone] = UInt64(newValue) }
    }
    @inlinable public var ctMark: UInt32 {
        get { UInt32(self[.ctMark]) }
        set { self[.ctMark] = UInt64(newValue) }
    }
    /// The 128-bit conntrack label, as two halves (`high` first).
    @inlinable public var ctLabel: (high: UInt64, low: UInt64) {
        get { (words[FlowField.ctLabelHigh.word], words[FlowField.ctLabelLow.word]) }
        set {
            words[FlowField.ctLabelHigh.word] = newValue.high
            words[FlowField.ctLabelLow.word] = newValue.low
        }
    }
    @inlinable public var ctNetworkProtocol: UInt8 {
        get { UInt8(self[.ctNetworkProtocol]) }
        set { self[.ctNetworkProtocol] = UInt64(newValue) }
    }
    @inlinable public var ctIPv4Source: IPv4Address {
        get { IPv4Address(rawValue: UInt32(self[.ctIPv4Source])) }
        set { self[.ctIPv4Source] = UInt64(newValue.rawValue) }
    }
    @inlinable public var ctIPv4Destination: IPv4Address {
        get { IPv4Address(rawValue: UInt32(self[.ctIPv4Destination])) }
        set { self[.ctIPv4Destination] = UInt64(newValue.rawValue) }
    }
    @inlinable public var ctIPv6Source: IPv6Address {
        get { ipv6(.ctIPv6SourceHigh) }
        set { setIPv6(.ctIPv6SourceHigh, newValue) }
    }
    @inlinable public var ctIPv6Destination: IPv6Address {
        get { ipv6(.ctIPv6DestinationHigh) }
        set { setIPv6(.ctIPv6DestinationHigh, newValue) }
    }
    @inlinable public var ctTransportSource: UInt16 {
        get { UInt16(self[.ctTransportSource]) }
        set { self[.ctTransportSource] = UInt64(newValue) }
    }
    @inlinable public var ctTransportDestination: UInt16 {
        get { UInt16(self[.ctTransportDestination]) }
        set { self[.ctTransportDestination] = UInt64(newValue) }
    }
    /// OpenFlow packet type (namespace << 16 | type); 0 is Ethernet.
    @inlinable public var packetType: UInt32 {
        get { UInt32(self[.packetType]) }
        set { self[.packetType] = UInt64(newValue) }
    }

    // MARK: L2

    @inlinable public var ethSource: EthernetAddress {
        get { EthernetAddress(rawValue: self[.ethSource]) }
        set { self[.ethSource] = newValue.rawValue }
    }
    @inlinable public var ethDestination: EthernetAddress {
        get { EthernetAddress(rawValue: self[.ethDestination]) }
        set { self[.ethDestination] = newValue.rawValue }
    }
    @inlinable public var ethType: EtherType {
        get { EtherType(rawValue: UInt16(self[.ethType])) }
        set { self[.ethType] = UInt64(newValue.rawValue) }
    }
    /// The VLAN headers, outermost first (unused ones are zero).
    @inlinable public var vlans: FlowVLANHeaders {
        get { FlowVLANHeaders(word: words[FlowField.vlan0.word]) }
        set { words[FlowField.vlan0.word] = newValue.word }
    }
    /// MPLS label stack entry `i` (0...2) as on the wire (label, TC, BOS, TTL).
    @inlinable public func mplsLSE(_ i: Int) -> UInt32 { UInt32(self[mplsField(i)]) }
    @inlinable public mutating func setMPLSLSE(_ i: Int, _ value: UInt32) { self[mplsField(i)] = UInt64(value) }

    // MARK: L3

    /// IPv4 source, or ARP SPA.
    @inlinable public var ipv4Source: IPv4Address {
        get { IPv4Address(rawValue: UInt32(self[.ipv4Source])) }
        set { self[.ipv4Source] = UInt64(newValue.rawValue) }
    }
    /// IPv4 destination, or ARP TPA.
    @inlinable public var ipv4Destination: IPv4Address {
        get { IPv4Address(rawValue: UInt32(self[.ipv4Destination])) }
        set { self[.ipv4Destination] = UInt64(newValue.rawValue) }
    }
    @inlinable public var ipv6Source: IPv6Address {
        get { ipv6(.ipv6SourceHigh) }
        set { setIPv6(.ipv6SourceHigh, newValue) }
    }
    @inlinable public var ipv6Destination: IPv6Address {
        get { ipv6(.ipv6DestinationHigh) }
        set { setIPv6(.ipv6DestinationHigh, newValue) }
    }
    /// The 20-bit IPv6 flow label.
    @inlinable public var ipv6Label: UInt32 {
        get { UInt32(self[.ipv6Label]) }
        set { self[.ipv6Label] = UInt64(newValue) }
    }
    /// IP protocol, or the low 8 bits of the ARP opcode.
    @inlinable public var networkProtocol: IPProtocol {
        get { IPProtocol(rawValue: UInt8(self[.networkProtocol])) }
        set { self[.networkProtocol] = UInt64(newValue.rawValue) }
    }
    /// The whole IPv4 TOS / IPv6 traffic class (DSCP and ECN).
    @inlinable public var networkTOS: UInt8 {
        get { UInt8(self[.networkTOS]) }
        set { self[.networkTOS] = UInt64(newValue) }
    }
    @inlinable public var networkTTL: UInt8 {
        get { UInt8(self[.networkTTL]) }
        set { self[.networkTTL] = UInt64(newValue) }
    }
    /// Fragment bits (`FragmentFlags`).
    @inlinable public var networkFragment: FragmentFlags {
        get { FragmentFlags(rawValue: UInt8(self[.networkFragment])) }
        set { self[.networkFragment] = UInt64(newValue.rawValue) }
    }

    // MARK: L4

    @inlinable public var ndTarget: IPv6Address {
        get { ipv6(.ndTargetHigh) }
        set { setIPv6(.ndTargetHigh, newValue) }
    }
    @inlinable public var arpSHA: EthernetAddress {
        get { EthernetAddress(rawValue: self[.arpSHA]) }
        set { self[.arpSHA] = newValue.rawValue }
    }
    @inlinable public var arpTHA: EthernetAddress {
        get { EthernetAddress(rawValue: self[.arpTHA]) }
        set { self[.arpTHA] = newValue.rawValue }
    }
    /// TCP flags (low 12 bits of the data-offset word), or the ND option type.
    @inlinable public var tcpFlags: UInt16 {
        get { UInt16(self[.tcpFlags]) }
        set { self[.tcpFlags] = UInt64(newValue) }
    }
    /// Transport source port, or ICMP/IGMP type.
    @inlinable public var transportSource: UInt16 {
        get { UInt16(self[.transportSource]) }
        set { self[.transportSource] = UInt64(newValue) }
    }
    /// Transport destination port, or ICMP/IGMP code.
    @inlinable public var transportDestination: UInt16 {
        get { UInt16(self[.transportDestination]) }
        set { self[.transportDestination] = UInt64(newValue) }
    }
    /// IGMP group address, or ND's reserved/flags word.
    @inlinable public var igmpGroup: IPv4Address {
        get { IPv4Address(rawValue: UInt32(self[.igmpGroup])) }
        set { self[.igmpGroup] = UInt64(newValue.rawValue) }
    }
}

@inlinable func mplsField(_ i: Int) -> FlowField {
    switch i {
    case 0: .mplsLSE0
    case 1: .mplsLSE1
    default: .mplsLSE2
    }
}

/// One VLAN header as the flow keeps it: TPID and TCI (OVS sets the CFI bit,
/// 0x1000, in the TCI of every header present in a packet).
public struct FlowVLANHeader: Hashable, Sendable {
    public var tpid: UInt16
    public var tci: UInt16
    @inlinable public init(tpid: UInt16, tci: UInt16) { self.tpid = tpid; self.tci = tci }
    /// VLAN ID, the low 12 bits of the TCI.
    @inlinable public var vlanID: UInt16 { tci & 0x0fff }
    /// Priority code point, the top 3 bits.
    @inlinable public var priority: UInt8 { UInt8(tci >> 13) }
    /// True if the CFI bit (OVS: "header present") is set.
    @inlinable public var isPresent: Bool { tci & 0x1000 != 0 }
}

/// The two VLAN headers of a flow (`vlans[0]` outermost).
public struct FlowVLANHeaders: Hashable, Sendable {
    @usableFromInline var word: UInt64
    @inlinable init(word: UInt64) { self.word = word }
    public static let count = 2
    @inlinable public subscript(i: Int) -> FlowVLANHeader {
        get {
            let q = UInt32(truncatingIfNeeded: word >> (i == 0 ? 32 : 0))
            return FlowVLANHeader(tpid: UInt16(q >> 16), tci: UInt16(truncatingIfNeeded: q))
        }
        set {
            let s: UInt64 = i == 0 ? 32 : 0
            let q = UInt64(newValue.tpid) << 16 | UInt64(newValue.tci)
            word = (word & ~(0xffff_ffff << s)) | q << s
        }
    }
}

/// IP fragment bits (`nw_frag`).
public struct FragmentFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Any fragment (first or later).
    public static let any = FragmentFlags(rawValue: 1)
    /// A fragment with a nonzero offset: no transport header.
    public static let later = FragmentFlags(rawValue: 2)
    public static let mask = FragmentFlags(rawValue: 3)
}

/// The key of a flow: every field Open vSwitch's `struct flow` covers, as a
/// fixed array of words so that masking, comparing and hashing are word loops.
///
/// Fields that do not apply to a packet are zero.
public struct FlowKey: FlowWordStorage, Hashable, Sendable {
    public static let wordCount = 58
    /// Bytes of raw tunnel options the key holds (OVS holds 256; svs 64).
    public static let tunnelOptionsCapacity = 64

    public var words: FlowWords

    /// The all-zero key.
    @inlinable public init() { words = FlowWords(repeating: 0) }

    /// A key with the given words (`words.count` must be `wordCount`).
    public init(words: [UInt64]) {
        precondition(words.count == Self.wordCount)
        self.words = FlowWords { words[$0] }
    }

    @inlinable @inline(__always) public static func == (a: FlowKey, b: FlowKey) -> Bool { wordsEqual(a, b) }

    public func hash(into hasher: inout Hasher) { hasher.combine(fullHash) }

    /// Tunnel flag bits (`tunnelFlags`).
    public enum TunnelFlags {
        public static let oam: UInt16 = 1 << 0
        public static let dontFragment: UInt16 = 1 << 1
        public static let checksum: UInt16 = 1 << 2
        public static let key: UInt16 = 1 << 3
        /// The options region holds raw Geneve TLVs (OVS's `FLOW_TNL_F_UDPIF`).
        public static let udpif: UInt16 = 1 << 4
    }

    /// Conntrack state bits (`ctState`).
    public enum ConntrackState {
        public static let new: UInt8 = 1 << 0
        public static let established: UInt8 = 1 << 1
        public static let related: UInt8 = 1 << 2
        public static let replyDirection: UInt8 = 1 << 3
        public static let invalid: UInt8 = 1 << 4
        public static let tracked: UInt8 = 1 << 5
        public static let sourceNAT: UInt8 = 1 << 6
        public static let destinationNAT: UInt8 = 1 << 7
    }

    /// The raw tunnel options (`tunnelOptionsLength` bytes are meaningful).
    public var tunnelOptions: [UInt8] {
        get {
            let n = min(Int(self[.tunnelOptionsLength]), Self.tunnelOptionsCapacity)
            return (0..<n).map { i in
                UInt8(truncatingIfNeeded: words[FlowField.tunnelOptionsFirstWord + i / 8] >> UInt64(56 - 8 * (i % 8)))
            }
        }
        set {
            let n = min(newValue.count, Self.tunnelOptionsCapacity)
            for w in 0..<8 { words[FlowField.tunnelOptionsFirstWord + w] = 0 }
            for i in 0..<n {
                words[FlowField.tunnelOptionsFirstWord + i / 8] |= UInt64(newValue[i]) << UInt64(56 - 8 * (i % 8))
            }
            self[.tunnelOptionsLength] = UInt64(n)
        }
    }
}
