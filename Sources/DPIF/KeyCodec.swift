import Flow
import Datapath
import Wire

/// `OVS_KEY_ATTR_*`: the attributes of a flow key (and of `set` actions).
/// The numbers live with the key's text syntax in `Flow`.
public typealias OVSKeyAttribute = DatapathKeyAttributeType

/// `OVS_TUNNEL_KEY_ATTR_*`: the attributes of a tunnel key.
public typealias OVSTunnelKeyAttribute = DatapathTunnelAttributeType

// MARK: - Fixed-size key structs

/// Reads fields from a payload whose size was checked; past the end it
/// yields zeros rather than trapping.
struct ByteReader {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    mutating func take(_ n: Int) -> ArraySlice<UInt8> {
        let start = min(index, bytes.endIndex)
        let end = min(index + n, bytes.endIndex)
        index += n
        return bytes[start..<end]
    }

    mutating func u8() -> UInt8 { take(1).first ?? 0 }
    mutating func be16() -> UInt16 { UInt16(truncatingIfNeeded: take(2).bigEndianValue(2)) }
    mutating func be32() -> UInt32 { UInt32(truncatingIfNeeded: take(4).bigEndianValue(4)) }
    mutating func le16() -> UInt16 { UInt16(truncatingIfNeeded: take(2).littleEndianValue(2)) }
    mutating func le32() -> UInt32 { UInt32(truncatingIfNeeded: take(4).littleEndianValue(4)) }
    mutating func le64() -> UInt64 { take(8).littleEndianValue(8) }
    mutating func mac() -> EthernetAddress { EthernetAddress(rawValue: take(6).bigEndianValue(6)) }
    mutating func ipv4() -> IPv4Address { IPv4Address(rawValue: be32()) }
    mutating func ipv6() -> IPv6Address {
        let high = take(8).bigEndianValue(8)
        let low = take(8).bigEndianValue(8)
        return IPv6Address(high: high, low: low)
    }
    mutating func u128BE() -> UInt128 {
        let high = take(8).bigEndianValue(8)
        let low = take(8).bigEndianValue(8)
        return UInt128(high) << 64 | UInt128(low)
    }
}

extension [UInt8] {
    mutating func append(_ a: EthernetAddress) { appendBigEndian(a.rawValue, 6) }
    mutating func append(_ a: IPv4Address) { appendBigEndian(UInt64(a.rawValue), 4) }
    mutating func append(_ a: IPv6Address) {
        appendBigEndian(a.high, 8)
        appendBigEndian(a.low, 8)
    }
    mutating func appendBigEndian(_ v: UInt128) {
        appendBigEndian(UInt64(truncatingIfNeeded: v >> 64), 8)
        appendBigEndian(UInt64(truncatingIfNeeded: v), 8)
    }
    mutating func appendZeros(_ n: Int) { append(contentsOf: repeatElement(0, count: n)) }
}

/// A value whose encoding is a fixed-size C struct (`struct ovs_key_*`,
/// the stats structs),
/// the size including the struct's tail padding.
protocol FixedLayout: Hashable, Sendable {
    static var size: Int { get }
    func write(into out: inout [UInt8])
    init(reading r: inout ByteReader)
}

extension EthernetKey: FixedLayout {
    static var size: Int { 12 }
    func write(into out: inout [UInt8]) {
        out.append(source)
        out.append(destination)
    }
    init(reading r: inout ByteReader) {
        self.init(source: r.mac(), destination: r.mac())
    }
}

extension IPv4Key: FixedLayout {
    static var size: Int { 12 }
    func write(into out: inout [UInt8]) {
        out.append(source)
        out.append(destination)
        out += [proto.rawValue, tos, ttl, fragment.rawValue]
    }
    init(reading r: inout ByteReader) {
        self.init(source: r.ipv4(), destination: r.ipv4(), proto: IPProtocol(rawValue: r.u8()),
                  tos: r.u8(), ttl: r.u8(), fragment: FragmentType(rawValue: r.u8()))
    }
}

extension IPv6Key: FixedLayout {
    static var size: Int { 40 }
    func write(into out: inout [UInt8]) {
        out.append(source)
        out.append(destination)
        out.appendBigEndian(UInt64(label), 4)
        out += [proto.rawValue, trafficClass, hopLimit, fragment.rawValue]
    }
    init(reading r: inout ByteReader) {
        self.init(source: r.ipv6(), destination: r.ipv6(), label: r.be32(),
                  proto: IPProtocol(rawValue: r.u8()), trafficClass: r.u8(), hopLimit: r.u8(),
                  fragment: FragmentType(rawValue: r.u8()))
    }
}

extension TransportPorts: FixedLayout {
    static var size: Int { 4 }
    func write(into out: inout [UInt8]) {
        out.appendBigEndian(UInt64(source), 2)
        out.appendBigEndian(UInt64(destination), 2)
    }
    init(reading r: inout ByteReader) {
        self.init(source: r.be16(), destination: r.be16())
    }
}

extension ICMPKey: FixedLayout {
    static var size: Int { 2 }
    func write(into out: inout [UInt8]) { out += [type, code] }
    init(reading r: inout ByteReader) { self.init(type: r.u8(), code: r.u8()) }
}

extension ARPKey: FixedLayout {
    /// 22 bytes of fields, padded to 24.
    static var size: Int { 24 }
    func write(into out: inout [UInt8]) {
        out.append(senderIP)
        out.append(targetIP)
        out.appendBigEndian(UInt64(operation), 2)
        out.append(senderMAC)
        out.append(targetMAC)
        out.appendZeros(2)
    }
    init(reading r: inout ByteReader) {
        self.init(senderIP: r.ipv4(), targetIP: r.ipv4(), operation: r.be16(),
                  senderMAC: r.mac(), targetMAC: r.mac())
        _ = r.take(2) // tail padding
    }
}

extension NDKey: FixedLayout {
    static var size: Int { 28 }
    func write(into out: inout [UInt8]) {
        out.append(target)
        out.append(sourceLinkLayer)
        out.append(targetLinkLayer)
    }
    init(reading r: inout ByteReader) {
        self.init(target: r.ipv6(), sourceLinkLayer: r.mac(), targetLinkLayer: r.mac())
    }
}

extension MPLSLabelStackEntry: FixedLayout {
    static var size: Int { 4 }
    func write(into out: inout [UInt8]) { out.appendBigEndian(UInt64(rawValue), 4) }
    init(reading r: inout ByteReader) { self.init(rawValue: r.be32()) }
}

extension UInt32: FixedLayout {
    /// Host-order `u32` keys (priority, skb mark).
    static var size: Int { 4 }
    func write(into out: inout [UInt8]) { out.appendLittleEndian(UInt64(self), 4) }
    init(reading r: inout ByteReader) { self = r.le32() }
}

extension TLVEncoder {
    mutating func putFixed<K: FixedLayout>(_ type: UInt16, _ key: K) {
        put(type) { key.write(into: &$0) }
    }

    mutating func putMasked<K: FixedLayout>(_ type: UInt16, _ m: Masked<K>) {
        put(type) {
            m.value.write(into: &$0)
            m.mask.write(into: &$0)
        }
    }
}

extension TLVAttribute {
    func value<K: FixedLayout>(_: K.Type = K.self) throws(TLVError) -> K {
        var r = ByteReader(try fixed(K.size))
        return K(reading: &r)
    }

    func masked<K: FixedLayout>(_: K.Type = K.self) throws(TLVError) -> Masked<K> {
        var r = ByteReader(try fixed(2 * K.size))
        let value = K(reading: &r)
        let mask = K(reading: &r)
        return Masked(value, mask: mask)
    }
}

// MARK: - Tunnel key

extension TunnelMetadata {
    /// Writes the `OVS_TUNNEL_KEY_ATTR_*` attributes (`tun_key_to_attr`):
    /// the id when there is a key, addresses, ToS and ports when non-zero,
    /// the TTL always, flags as flag attributes.
    func encodeAttributes(into e: inout TLVEncoder) {
        typealias A = OVSTunnelKeyAttribute
        if let id = tunnelID { e.putBE64(A.id, id) }
        if ipv4Source != .any { e.putBE32(A.ipv4Source, ipv4Source.rawValue) }
        if ipv4Destination != .any { e.putBE32(A.ipv4Destination, ipv4Destination.rawValue) }
        if ipv6Source != .any { e.put(A.ipv6Source) { $0.append(ipv6Source) } }
        if ipv6Destination != .any { e.put(A.ipv6Destination) { $0.append(ipv6Destination) } }
        if tos != 0 { e.putU8(A.tos, tos) }
        e.putU8(A.ttl, ttl)
        if flags.contains(.dontFragment) { e.putFlag(A.dontFragment) }
        if flags.contains(.checksum) { e.putFlag(A.checksum) }
        if flags.contains(.oam) { e.putFlag(A.oam) }
        if sourcePort != 0 { e.putBE16(A.transportSource, sourcePort) }
        if destinationPort != 0 { e.putBE16(A.transportDestination, destinationPort) }
    }

    /// Reads `OVS_TUNNEL_KEY_ATTR_*` attributes. Tunnel options (Geneve,
    /// VXLAN, ERSPAN, GTP-U) are not supported yet and are rejected.
    init(attributes list: TLVAttributeList) throws(TLVError) {
        typealias A = OVSTunnelKeyAttribute
        self.init()
        for a in list {
            switch a.type {
            case A.id: tunnelID = try a.be64()
            case A.ipv4Source: ipv4Source = IPv4Address(rawValue: try a.be32())
            case A.ipv4Destination: ipv4Destination = IPv4Address(rawValue: try a.be32())
            case A.ipv6Source:
                var r = ByteReader(try a.fixed(16))
                ipv6Source = r.ipv6()
            case A.ipv6Destination:
                var r = ByteReader(try a.fixed(16))
                ipv6Destination = r.ipv6()
            case A.tos: tos = try a.u8()
            case A.ttl: ttl = try a.u8()
            case A.dontFragment: try a.flag(); flags.insert(.dontFragment)
            case A.checksum: try a.flag(); flags.insert(.checksum)
            case A.oam: try a.flag(); flags.insert(.oam)
            case A.transportSource: sourcePort = try a.be16()
            case A.transportDestination: destinationPort = try a.be16()
            case A.pad: break
            default: throw .unexpectedType(a.type, offset: a.offset)
            }
        }
    }
}

// MARK: - set / set_masked payloads

extension SetField {
    /// Writes the one `OVS_KEY_ATTR_*` attribute that a `set` action nests.
    func encode(into e: inout TLVEncoder) {
        typealias K = OVSKeyAttribute
        switch self {
        case .ethernet(let k): e.putFixed(K.ethernet, k)
        case .ipv4(let k): e.putFixed(K.ipv4, k)
        case .ipv6(let k): e.putFixed(K.ipv6, k)
        case .tcp(let k): e.putFixed(K.tcp, k)
        case .udp(let k): e.putFixed(K.udp, k)
        case .sctp(let k): e.putFixed(K.sctp, k)
        case .icmp(let k): e.putFixed(K.icmp, k)
        case .icmpv6(let k): e.putFixed(K.icmpv6, k)
        case .arp(let k): e.putFixed(K.arp, k)
        case .nd(let k): e.putFixed(K.nd, k)
        case .mpls(let k): e.putFixed(K.mpls, k)
        case .skbPriority(let v): e.putFixed(K.priority, v)
        case .packetMark(let v): e.putFixed(K.skbMark, v)
        case .tunnel(let t): e.putNested(K.tunnel) { t.encodeAttributes(into: &$0) }
        }
    }

    init(attribute a: TLVAttribute) throws(TLVError) {
        typealias K = OVSKeyAttribute
        switch a.type {
        case K.ethernet: self = .ethernet(try a.value())
        case K.ipv4: self = .ipv4(try a.value())
        case K.ipv6: self = .ipv6(try a.value())
        case K.tcp: self = .tcp(try a.value())
        case K.udp: self = .udp(try a.value())
        case K.sctp: self = .sctp(try a.value())
        case K.icmp: self = .icmp(try a.value())
        case K.icmpv6: self = .icmpv6(try a.value())
        case K.arp: self = .arp(try a.value())
        case K.nd: self = .nd(try a.value())
        case K.mpls: self = .mpls(try a.value())
        case K.priority: self = .skbPriority(try a.value())
        case K.skbMark: self = .packetMark(try a.value())
        case K.tunnel: self = .tunnel(try TunnelMetadata(attributes: a.nested()))
        default: throw .unexpectedType(a.type, offset: a.offset)
        }
    }
}

extension MaskedSetField {
    /// Writes the one `OVS_KEY_ATTR_*` attribute (value, then mask) that a
    /// `set_masked` action nests.
    func encode(into e: inout TLVEncoder) {
        typealias K = OVSKeyAttribute
        switch self {
        case .ethernet(let m): e.putMasked(K.ethernet, m)
        case .ipv4(let m): e.putMasked(K.ipv4, m)
        case .ipv6(let m): e.putMasked(K.ipv6, m)
        case .tcp(let m): e.putMasked(K.tcp, m)
        case .udp(let m): e.putMasked(K.udp, m)
        case .sctp(let m): e.putMasked(K.sctp, m)
        case .icmp(let m): e.putMasked(K.icmp, m)
        case .icmpv6(let m): e.putMasked(K.icmpv6, m)
        case .arp(let m): e.putMasked(K.arp, m)
        case .nd(let m): e.putMasked(K.nd, m)
        case .mpls(let m): e.putMasked(K.mpls, m)
        case .skbPriority(let m): e.putMasked(K.priority, m)
        case .packetMark(let m): e.putMasked(K.skbMark, m)
        }
    }

    init(attribute a: TLVAttribute) throws(TLVError) {
        typealias K = OVSKeyAttribute
        switch a.type {
        case K.ethernet: self = .ethernet(try a.masked())
        case K.ipv4: self = .ipv4(try a.masked())
        case K.ipv6: self = .ipv6(try a.masked())
        case K.tcp: self = .tcp(try a.masked())
        case K.udp: self = .udp(try a.masked())
        case K.sctp: self = .sctp(try a.masked())
        case K.icmp: self = .icmp(try a.masked())
        case K.icmpv6: self = .icmpv6(try a.masked())
        case K.arp: self = .arp(try a.masked())
        case K.nd: self = .nd(try a.masked())
        case K.mpls: self = .mpls(try a.masked())
        case K.priority: self = .skbPriority(try a.masked())
        case K.skbMark: self = .packetMark(try a.masked())
        default: throw .unexpectedType(a.type, offset: a.offset)
        }
    }
}
