import Wire

// The datapath's view of a flow key: a list of `OVS_KEY_ATTR_*` attributes
// whose payloads are the kernel's `struct ovs_key_*` (network-order fields in
// network order, `u16`/`u32` scalars little-endian as on the host), with a
// second list of the same shape for the mask. This is the form both the
// datapath text syntax (`in_port(1),eth(...)`) and the TLV codec of DPIF
// work from; `DatapathKeyAttributes.encode` and `decode` convert it to and
// from `FlowKey`/`FlowMask` as Open vSwitch's `odp_flow_key_from_flow`,
// `odp_flow_key_from_mask`, `odp_flow_key_to_flow` and `odp_flow_key_to_mask` do.

/// One `OVS_KEY_ATTR_*` (or nested tunnel) attribute.
public struct DatapathKeyAttribute: Hashable, Sendable {
    /// The attribute type (`DatapathKeyAttributeType`).
    public var type: UInt16
    /// The payload of a leaf attribute (empty for nested ones).
    public var payload: [UInt8]
    /// The children of a nested attribute (`encap`, `tunnel`), else `nil`.
    public var nested: [DatapathKeyAttribute]?

    public init(type: UInt16, payload: [UInt8]) {
        self.type = type
        self.payload = payload
        self.nested = nil
    }

    public init(type: UInt16, nested: [DatapathKeyAttribute]) {
        self.type = type
        self.payload = []
        self.nested = nested
    }
}

/// `OVS_KEY_ATTR_*` numbers (DPIF names them `OVSKeyAttribute`).
public enum DatapathKeyAttributeType {
    public static let encap: UInt16 = 1
    public static let priority: UInt16 = 2
    public static let inPort: UInt16 = 3
    public static let ethernet: UInt16 = 4
    public static let vlan: UInt16 = 5
    public static let etherType: UInt16 = 6
    public static let ipv4: UInt16 = 7
    public static let ipv6: UInt16 = 8
    public static let tcp: UInt16 = 9
    public static let udp: UInt16 = 10
    public static let icmp: UInt16 = 11
    public static let icmpv6: UInt16 = 12
    public static let arp: UInt16 = 13
    public static let nd: UInt16 = 14
    public static let skbMark: UInt16 = 15
    public static let tunnel: UInt16 = 16
    public static let sctp: UInt16 = 17
    public static let tcpFlags: UInt16 = 18
    public static let dpHash: UInt16 = 19
    public static let recirculationID: UInt16 = 20
    public static let mpls: UInt16 = 21
    public static let ctState: UInt16 = 22
    public static let ctZone: UInt16 = 23
    public static let ctMark: UInt16 = 24
    public static let ctLabels: UInt16 = 25
    public static let ctTupleIPv4: UInt16 = 26
    public static let ctTupleIPv6: UInt16 = 27
    public static let nsh: UInt16 = 28
    public static let packetType: UInt16 = 29
    public static let ndExtensions: UInt16 = 30
    /// The largest type svs knows.
    public static let maximum: UInt16 = 30

    /// Payload length of each leaf type; `-1` variable (MPLS), `-2` nested, `nil` unknown.
    public static func expectedLength(_ type: UInt16) -> Int? {
        switch type {
        case encap, tunnel, nsh: -2
        case priority, inPort, skbMark, dpHash, recirculationID, ctState, ctMark, packetType: 4
        case ethernet: 12
        case vlan, etherType, tcpFlags, ctZone, icmp, icmpv6: 2
        case ipv4: 12
        case ipv6: 40
        case tcp, udp, sctp: 4
        case arp: 24
        case nd: 28
        case mpls: -1
        case ctLabels: 16
        case ctTupleIPv4: 16
        case ctTupleIPv6: 40
        case ndExtensions: 8
        default: nil
        }
    }
}

/// `OVS_TUNNEL_KEY_ATTR_*` numbers.
public enum DatapathTunnelAttributeType {
    public static let id: UInt16 = 0
    public static let ipv4Source: UInt16 = 1
    public static let ipv4Destination: UInt16 = 2
    public static let tos: UInt16 = 3
    public static let ttl: UInt16 = 4
    public static let dontFragment: UInt16 = 5
    public static let checksum: UInt16 = 6
    public static let oam: UInt16 = 7
    public static let geneveOptions: UInt16 = 8
    public static let transportSource: UInt16 = 9
    public static let transportDestination: UInt16 = 10
    public static let vxlanOptions: UInt16 = 11
    public static let ipv6Source: UInt16 = 12
    public static let ipv6Destination: UInt16 = 13
    public static let pad: UInt16 = 14
    public static let erspanOptions: UInt16 = 15
    public static let gtpuOptions: UInt16 = 16

    /// Payload length of each type; `0` a flag, `-1` variable, `-2` nested, `nil` unknown.
    public static func expectedLength(_ type: UInt16) -> Int? {
        switch type {
        case id: 8
        case ipv4Source, ipv4Destination: 4
        case tos, ttl: 1
        case dontFragment, checksum, oam: 0
        case geneveOptions: -1
        case transportSource, transportDestination: 2
        case vxlanOptions: -2
        case ipv6Source, ipv6Destination: 16
        case pad: -1
        case erspanOptions: 8
        case gtpuOptions: 2
        default: nil
        }
    }
}

/// Why a datapath key (as attributes, TLVs or text) was rejected.
public struct DatapathKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// Byte offset in the text where parsing stopped, if the key came from text.
    public var position: Int?

    public init(_ message: String, position: Int? = nil) {
        self.message = message
        self.position = position
    }

    public var description: String {
        if let position { return "\(message) (at offset \(position))" }
        return message
    }
}

// MARK: - Payload bytes

/// Builds a payload field by field.
@usableFromInline struct PayloadWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func be16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v)) }
    mutating func be32(_ v: UInt32) { for i in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(i))) } }
    mutating func be64(_ v: UInt64) { for i in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(i))) } }
    mutating func le16(_ v: UInt16) { bytes.append(UInt8(truncatingIfNeeded: v)); bytes.append(UInt8(v >> 8)) }
    mutating func le32(_ v: UInt32) { for i in stride(from: 0, through: 24, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(i))) } }
    mutating func le64(_ v: UInt64) { for i in stride(from: 0, through: 56, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(i))) } }
    mutating func eth(_ v: UInt64) { for i in stride(from: 40, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(i))) } }
    mutating func ipv6(_ a: IPv6Address) { be64(a.high); be64(a.low) }
    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }
}

/// Reads fixed offsets of a payload; past the end it reads zeros.
@usableFromInline struct PayloadReader {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func u8(_ at: Int) -> UInt8 { at >= 0 && at < bytes.count ? bytes[at] : 0 }
    func be16(_ at: Int) -> UInt16 { UInt16(u8(at)) << 8 | UInt16(u8(at + 1)) }
    func be32(_ at: Int) -> UInt32 { UInt32(be16(at)) << 16 | UInt32(be16(at + 2)) }
    func be64(_ at: Int) -> UInt64 { UInt64(be32(at)) << 32 | UInt64(be32(at + 4)) }
    func le16(_ at: Int) -> UInt16 { UInt16(u8(at)) | UInt16(u8(at + 1)) << 8 }
    func le32(_ at: Int) -> UInt32 { UInt32(le16(at)) | UInt32(le16(at + 2)) << 16 }
    func le64(_ at: Int) -> UInt64 { UInt64(le32(at)) | UInt64(le32(at + 4)) << 32 }
    func eth(_ at: Int) -> UInt64 { UInt64(be16(at)) << 32 | UInt64(be32(at + 2)) }
    func ipv6(_ at: Int) -> IPv6Address { IPv6Address(high: be64(at), low: be64(at + 8)) }
}

extension Array where Element == DatapathKeyAttribute {
    /// The first attribute of `type` (OVS's `nl_attr_find__`).
    public func first(ofType type: UInt16) -> DatapathKeyAttribute? {
        first { $0.type == type }
    }
}

// MARK: - FlowKey/FlowMask -> attributes

/// Conversions between `FlowKey`/`FlowMask` and datapath key attributes.
public enum DatapathKeyAttributes {
    /// OVS's `FLOW_DL_TYPE_NONE`: the EtherType of a frame without one (802.2).
    public static let noEtherType: UInt16 = 0x05ff

    /// The key and mask attributes the userspace datapath reports for a flow
    /// (`odp_flow_key_from_flow` and `odp_flow_key_from_mask` with the
    /// netdev datapath's support: recirculation, all conntrack fields, any
    /// number of VLAN headers up to 2, no ND extensions).
    ///
    /// `vlanLimit` is Open vSwitch's `other_config:vlan-limit` (default 1;
    /// 0 means the most the key holds, 2).
    public static func encode(key: FlowKey, mask: FlowMask, vlanLimit: Int = 1) -> (key: [DatapathKeyAttribute], mask: [DatapathKeyAttribute]) {
        (encode(key, mask: mask, exportMask: false, vlanLimit: vlanLimit),
         encode(key, mask: mask, exportMask: true, vlanLimit: vlanLimit))
    }

    /// The key attributes alone (an exact flow, e.g. for a packet upcall).
    public static func encode(key: FlowKey, vlanLimit: Int = 1) -> [DatapathKeyAttribute] {
        encode(key, mask: nil, exportMask: false, vlanLimit: vlanLimit)
    }

    /// The number of VLAN headers a key carries given `vlan-limit`.
    static func maximumVLANs(_ limit: Int) -> Int {
        limit <= 0 ? FlowVLANHeaders.count : min(limit, FlowVLANHeaders.count)
    }

    static func isVLANType(_ t: UInt64) -> Bool { t == 0x8100 || t == 0x88a8 }

    static func encode(_ flow: FlowKey, mask: FlowMask?, exportMask: Bool, vlanLimit: Int) -> [DatapathKeyAttribute] {
        typealias T = DatapathKeyAttributeType
        var data = flow
        if exportMask { data.words = (mask ?? .exact).words }
        var out: [DatapathKeyAttribute] = []
        var stack: [[DatapathKeyAttribute]] = []
        func put(_ type: UInt16, _ body: (inout PayloadWriter) -> Void) {
            var w = PayloadWriter()
            body(&w)
            out.append(DatapathKeyAttribute(type: type, payload: w.bytes))
        }

        put(T.priority) { $0.le32(data.skbPriority) }
        if flow.tunnelIPv4Destination.rawValue != 0 || flow.tunnelIPv6Destination != .any
            || flow.tunnelIPv4Source.rawValue != 0 || flow.tunnelIPv6Source != .any || exportMask {
            out.append(DatapathKeyAttribute(type: T.tunnel, nested: encodeTunnel(data, flow: flow)))
        }
        put(T.skbMark) { $0.le32(data.packetMark) }
        put(T.ctState) { $0.le32(UInt32(data.ctState)) }
        put(T.ctZone) { $0.le16(data.ctZone) }
        put(T.ctMark) { $0.le32(data.ctMark) }
        put(T.ctLabels) { $0.le64(data.ctLabel.low); $0.le64(data.ctLabel.high) }
        if flow.ctNetworkProtocol != 0 {
            if flow[.ethType] == 0x0800 {
                put(T.ctTupleIPv4) {
                    $0.be32(data.ctIPv4Source.rawValue); $0.be32(data.ctIPv4Destination.rawValue)
                    $0.be16(data.ctTransportSource); $0.be16(data.ctTransportDestination)
                    $0.u8(data.ctNetworkProtocol); $0.zeros(3)
                }
            } else if flow[.ethType] == 0x86dd {
                put(T.ctTupleIPv6) {
                    $0.ipv6(data.ctIPv6Source); $0.ipv6(data.ctIPv6Destination)
                    $0.be16(data.ctTransportSource); $0.be16(data.ctTransportDestination)
                    $0.u8(data.ctNetworkProtocol); $0.zeros(3)
                }
            }
        }
        put(T.recirculationID) { $0.le32(data.recirculationID) }
        put(T.dpHash) { $0.le32(data.dpHash) }
        if exportMask || flow.inPort != .none {
            put(T.inPort) { $0.le32(data.inPort.rawValue) }
        }
        put(T.packetType) { $0.be32(data.packetType) }

        l3: do {
            if flow.packetType == 0 {
                put(T.ethernet) { $0.eth(data[.ethSource]); $0.eth(data[.ethDestination]) }
                for i in 0..<maximumVLANs(vlanLimit) {
                    var tpid = UInt64(flow.vlans[i].tpid)
                    if flow.vlans[i].tci == 0 {
                        if isVLANType(flow[.ethType]) { tpid = flow[.ethType] } else { break }
                    }
                    put(T.etherType) { $0.be16(exportMask ? 0xffff : UInt16(tpid)) }
                    put(T.vlan) { $0.be16(data.vlans[i].tci) }
                    stack.append(out)
                    out = []
                    if flow.vlans[i].tci == 0 { break l3 }
                }
            }
            if flow[.ethType] < 0x600 {
                if exportMask { put(T.etherType) { $0.be16(0xffff) } }
                break l3
            }
            put(T.etherType) { $0.be16(UInt16(data[.ethType])) }
            let dlType = flow[.ethType]
            if isVLANType(dlType) { break l3 }
            switch dlType {
            case 0x0800:
                put(T.ipv4) {
                    $0.be32(data.ipv4Source.rawValue); $0.be32(data.ipv4Destination.rawValue)
                    $0.u8(data.networkProtocol.rawValue); $0.u8(data.networkTOS); $0.u8(data.networkTTL)
                    $0.u8(odpFragment(data.networkFragment.rawValue, isMask: exportMask))
                }
            case 0x86dd:
                put(T.ipv6) {
                    $0.ipv6(data.ipv6Source); $0.ipv6(data.ipv6Destination); $0.be32(data.ipv6Label)
                    $0.u8(data.networkProtocol.rawValue); $0.u8(data.networkTOS); $0.u8(data.networkTTL)
                    $0.u8(odpFragment(data.networkFragment.rawValue, isMask: exportMask))
                }
            case 0x0806, 0x8035:
                put(T.arp) {
                    $0.be32(data.ipv4Source.rawValue); $0.be32(data.ipv4Destination.rawValue)
                    $0.be16(data.networkProtocol.rawValue == 0xff ? 0xffff : UInt16(data.networkProtocol.rawValue))
                    $0.eth(data[.arpSHA]); $0.eth(data[.arpTHA]); $0.zeros(2)
                }
            case 0x8847, 0x8848:
                let n = mplsLabelCount(flow)
                put(T.mpls) { w in for i in 0..<n { w.be32(data.mplsLSE(i)) } }
            default:
                break
            }
            guard dlType == 0x0800 || dlType == 0x86dd, flow.networkFragment.rawValue & 2 == 0 else { break l3 }
            let proto = flow.networkProtocol.rawValue
            switch proto {
            case 6:
                put(T.tcp) { $0.be16(data.transportSource); $0.be16(data.transportDestination) }
                if data.tcpFlags != 0 || (mask.map { $0.tcpFlags != 0 } ?? false) {
                    put(T.tcpFlags) { $0.be16(data.tcpFlags) }
                }
            case 17:
                put(T.udp) { $0.be16(data.transportSource); $0.be16(data.transportDestination) }
            case 132:
                put(T.sctp) { $0.be16(data.transportSource); $0.be16(data.transportDestination) }
            case 1 where dlType == 0x0800:
                put(T.icmp) { $0.u8(UInt8(truncatingIfNeeded: data.transportSource)); $0.u8(UInt8(truncatingIfNeeded: data.transportDestination)) }
            case 58 where dlType == 0x86dd:
                put(T.icmpv6) { $0.u8(UInt8(truncatingIfNeeded: data.transportSource)); $0.u8(UInt8(truncatingIfNeeded: data.transportDestination)) }
                if flow.isND && (!exportMask || (data.transportSource == 0xff && data.transportDestination == 0xff)) {
                    put(T.nd) { $0.ipv6(data.ndTarget); $0.eth(data[.arpSHA]); $0.eth(data[.arpTHA]) }
                }
            default:
                break
            }
        }
        while let outer = stack.popLast() {
            let inner = out
            out = outer
            out.append(DatapathKeyAttribute(type: T.encap, nested: inner))
        }
        return out
    }

    static func encodeTunnel(_ t: FlowKey, flow: FlowKey) -> [DatapathKeyAttribute] {
        typealias A = DatapathTunnelAttributeType
        var out: [DatapathKeyAttribute] = []
        func put(_ type: UInt16, _ body: (inout PayloadWriter) -> Void) {
            var w = PayloadWriter()
            body(&w)
            out.append(DatapathKeyAttribute(type: type, payload: w.bytes))
        }
        let flags = t.tunnelFlags
        if t.tunnelID != 0 || flags & FlowKey.TunnelFlags.key != 0 { put(A.id) { $0.be64(t.tunnelID) } }
        if t.tunnelIPv4Source.rawValue != 0 { put(A.ipv4Source) { $0.be32(t.tunnelIPv4Source.rawValue) } }
        if t.tunnelIPv4Destination.rawValue != 0 { put(A.ipv4Destination) { $0.be32(t.tunnelIPv4Destination.rawValue) } }
        if t.tunnelIPv6Source != .any { put(A.ipv6Source) { $0.ipv6(t.tunnelIPv6Source) } }
        if t.tunnelIPv6Destination != .any { put(A.ipv6Destination) { $0.ipv6(t.tunnelIPv6Destination) } }
        if t.tunnelTOS != 0 { put(A.tos) { $0.u8(t.tunnelTOS) } }
        put(A.ttl) { $0.u8(t.tunnelTTL) }
        if flags & FlowKey.TunnelFlags.dontFragment != 0 { put(A.dontFragment) { _ in } }
        if flags & FlowKey.TunnelFlags.checksum != 0 { put(A.checksum) { _ in } }
        if t.tunnelTransportSource != 0 { put(A.transportSource) { $0.be16(t.tunnelTransportSource) } }
        if t.tunnelTransportDestination != 0 { put(A.transportDestination) { $0.be16(t.tunnelTransportDestination) } }
        if flags & FlowKey.TunnelFlags.oam != 0 { put(A.oam) { _ in } }
        if t.tunnelGBPFlags != 0 || t.tunnelGBPID != 0 {
            var w = PayloadWriter()
            w.le32(UInt32(t.tunnelGBPFlags) << 16 | UInt32(t.tunnelGBPID))
            out.append(DatapathKeyAttribute(type: A.vxlanOptions, nested: [DatapathKeyAttribute(type: 1, payload: w.bytes)]))
        }
        if flow.tunnelFlags & FlowKey.TunnelFlags.udpif != 0 {
            // Raw Geneve options: the key's length, the data's (key or mask) bytes.
            let n = min(Int(flow[.tunnelOptionsLength]), FlowKey.tunnelOptionsCapacity)
            var raw = [UInt8](repeating: 0, count: n)
            for i in 0..<n {
                raw[i] = UInt8(truncatingIfNeeded: t.words[FlowField.tunnelOptionsFirstWord + i / 8] >> UInt64(56 - 8 * (i % 8)))
            }
            out.append(DatapathKeyAttribute(type: A.geneveOptions, payload: raw))
        }
        return out
    }

    /// OVS's `ovs_to_odp_frag`.
    static func odpFragment(_ nwFrag: UInt8, isMask: Bool) -> UInt8 {
        if isMask { return nwFrag & 1 != 0 ? 0xff : 0 }
        return nwFrag & 1 == 0 ? 0 : nwFrag & 2 != 0 ? 2 : 1
    }

    /// OVS's `flow_count_mpls_labels`: entries up to and including the bottom of stack, at most 3.
    static func mplsLabelCount(_ flow: FlowKey) -> Int {
        var count = 0
        for i in 0..<3 {
            if flow.mplsLSE(i) & 0x100 != 0 { return i + 1 }
            if flow.mplsLSE(i) != 0 { count = i + 1 }
        }
        return count
    }
}
