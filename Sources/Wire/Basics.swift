#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why bytes could not be read as a header.
public enum WireError: Error, Hashable, Sendable {
    /// Fewer bytes than the header (or a length field in it) needs.
    case truncated
    /// The bytes are there but contradict the header's rules (version, length).
    case malformed
}

/// An EtherType. Every 16-bit value is valid; those we act on have names.
public struct EtherType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ipv4 = EtherType(rawValue: 0x0800)
    public static let arp = EtherType(rawValue: 0x0806)
    public static let rarp = EtherType(rawValue: 0x8035)
    public static let vlan = EtherType(rawValue: 0x8100)      // 802.1Q C-tag
    public static let qinq = EtherType(rawValue: 0x88a8)      // 802.1ad S-tag
    public static let ipv6 = EtherType(rawValue: 0x86dd)
    public static let mpls = EtherType(rawValue: 0x8847)
    public static let mplsMulticast = EtherType(rawValue: 0x8848)
    public static let transparentEthernet = EtherType(rawValue: 0x6558)
    /// Open vSwitch's stand-in for 802.3 frames that carry no EtherType
    /// (`FLOW_DL_TYPE_NONE`).
    public static let none = EtherType(rawValue: 0x05ff)
    /// Values below this are 802.3 lengths, not EtherTypes.
    public static let minimum: UInt16 = 0x0600

    /// True for the TPIDs of 802.1Q and 802.1ad tags.
    @inlinable public var isVLAN: Bool { self == .vlan || self == .qinq }
    /// True for the unicast and multicast MPLS EtherTypes.
    @inlinable public var isMPLS: Bool { self == .mpls || self == .mplsMulticast }
}

/// An IP protocol number (IPv4 `protocol`, IPv6 `next header`).
public struct IPProtocol: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let hopByHop = IPProtocol(rawValue: 0)
    public static let icmp = IPProtocol(rawValue: 1)
    public static let igmp = IPProtocol(rawValue: 2)
    public static let tcp = IPProtocol(rawValue: 6)
    public static let udp = IPProtocol(rawValue: 17)
    public static let ipv6Route = IPProtocol(rawValue: 43)
    public static let ipv6Fragment = IPProtocol(rawValue: 44)
    public static let gre = IPProtocol(rawValue: 47)
    public static let esp = IPProtocol(rawValue: 50)
    public static let ah = IPProtocol(rawValue: 51)
    public static let icmpv6 = IPProtocol(rawValue: 58)
    public static let ipv6NoNext = IPProtocol(rawValue: 59)
    public static let ipv6DestinationOptions = IPProtocol(rawValue: 60)
    public static let sctp = IPProtocol(rawValue: 132)
}

/// A 48-bit Ethernet (MAC) address, kept in the low bits of a `UInt64`
/// in network order (first octet most significant).
public struct EthernetAddress: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue & 0xffff_ffff_ffff }

    /// Builds an address from its six octets, first octet first.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
        self.init(rawValue: UInt64(a) << 40 | UInt64(b) << 32 | UInt64(c) << 24
            | UInt64(d) << 16 | UInt64(e) << 8 | UInt64(f))
    }

    public static let zero = EthernetAddress(rawValue: 0)
    public static let broadcast = EthernetAddress(rawValue: 0xffff_ffff_ffff)

    /// The group bit of the first octet.
    @inlinable public var isMulticast: Bool { rawValue & 0x0100_0000_0000 != 0 }

    /// The six octets, first octet first.
    public var octets: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: rawValue >> (40 - 8 * $0)) } }

    /// `aa:bb:cc:dd:ee:ff`, lower-case, as Open vSwitch prints it.
    public var description: String {
        var s = ""
        s.reserveCapacity(17)
        for (i, octet) in octets.enumerated() {
            if i > 0 { s.append(":") }
            s.append(hexByte(octet))
        }
        return s
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (one or two hex digits per octet).
    public init?(_ text: Substring) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for p in parts {
            guard (1...2).contains(p.count), let o = UInt8(p, radix: 16) else { return nil }
            value = value << 8 | UInt64(o)
        }
        self.init(rawValue: value)
    }
}

/// An IPv4 address in host order (`10.0.0.1` is `0x0a000001`).
public struct IPv4Address: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }
    public static let any = IPv4Address(rawValue: 0)

    /// Dotted quad.
    public var description: String {
        "\(rawValue >> 24).\(rawValue >> 16 & 0xff).\(rawValue >> 8 & 0xff).\(rawValue & 0xff)"
    }

    /// Parses a dotted quad.
    public init?(_ text: Substring) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, let o = UInt8(p) else { return nil }
            value = value << 8 | UInt32(o)
        }
        rawValue = value
    }
}

/// An IPv6 address as two host-order 64-bit halves (`high` holds the first 8 octets).
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    @inlinable public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }
    public static let any = IPv6Address(high: 0, low: 0)

    /// The sixteen octets, first octet first.
    public var octets: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    /// Builds an address from 16 octets.
    public init?(octets: some Collection<UInt8>) {
        guard octets.count == 16 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, o) in octets.enumerated() {
            if i < 8 { h = h << 8 | UInt64(o) } else { l = l << 8 | UInt64(o) }
        }
        high = h; low = l
    }

    /// The text form that the C library's `inet_ntop` gives (as Open vSwitch prints).
    public var description: String {
        var raw = octets
        var buffer = [CChar](repeating: 0, count: 64)
        let ok = raw.withUnsafeMutableBytes { src in
            buffer.withUnsafeMutableBufferPointer { dst in
                inet_ntop(AF_INET6, src.baseAddress, dst.baseAddress, socklen_t(dst.count)) != nil
            }
        }
        guard ok else { return "::" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Parses any text form `inet_pton` accepts.
    public init?(_ text: String) {
        var raw = [UInt8](repeating: 0, count: 16)
        let ok = raw.withUnsafeMutableBytes { inet_pton(AF_INET6, text, $0.baseAddress) == 1 }
        guard ok, let a = IPv6Address(octets: raw) else { return nil }
        self = a
    }
}

@inlinable func hexByte(_ b: UInt8) -> String {
    let digits: [Character] = ["0","1","2","3","4","5","6","7","8","9","a","b","c","d","e","f"]
    return String([digits[Int(b >> 4)], digits[Int(b & 0xf)]])
}

extension UnsafeRawBufferPointer {
    /// Reads a big-endian integer at `offset`. The caller has checked that
    /// `offset + MemoryLayout<T>.size <= count`.
    @inlinable @inline(__always)
    public func loadBigEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type = T.self) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Reads a big-endian integer at `offset` (caller checked the bounds).
    @inlinable @inline(__always)
    public func loadBigEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type = T.self) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
    /// Writes a big-endian integer at `offset` (caller checked the bounds).
    @inlinable @inline(__always)
    public func storeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}

// MARK: - Additions for the header views

extension IPProtocol {
    /// IPv4 encapsulated in IP (IP-in-IP).
    public static let ipv4 = IPProtocol(rawValue: 4)
    /// IPv6 encapsulated in IP.
    public static let ipv6 = IPProtocol(rawValue: 41)

    /// True for the IPv6 extension headers whose chain `IPv6View` walks
    /// (hop-by-hop, routing, fragment, destination options, AH), as
    /// Open vSwitch's `parse_ipv6_ext_hdrs` does.
    @inlinable public var isIPv6ExtensionHeader: Bool {
        self == .hopByHop || self == .ipv6Route || self == .ipv6Fragment
            || self == .ipv6DestinationOptions || self == .ah
    }
}

extension IPv6Address {
    /// The eight big-endian 16-bit groups, first group first.
    @inlinable public var words: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) {
        (UInt16(truncatingIfNeeded: high >> 48), UInt16(truncatingIfNeeded: high >> 32),
         UInt16(truncatingIfNeeded: high >> 16), UInt16(truncatingIfNeeded: high),
         UInt16(truncatingIfNeeded: low >> 48), UInt16(truncatingIfNeeded: low >> 32),
         UInt16(truncatingIfNeeded: low >> 16), UInt16(truncatingIfNeeded: low))
    }

    /// True for `ff00::/8`.
    @inlinable public var isMulticast: Bool { high >> 56 == 0xff }

    /// The solicited-node multicast address `ff02::1:ffXX:XXXX` of this address.
    @inlinable public var solicitedNodeMulticast: IPv6Address {
        IPv6Address(high: 0xff02_0000_0000_0000, low: 0x0000_0001_ff00_0000 | (low & 0x00ff_ffff))
    }
}

extension IPv4Address {
    /// True for `224.0.0.0/4`.
    @inlinable public var isMulticast: Bool { rawValue >> 28 == 0xe }
}

extension UnsafeRawBufferPointer {
    /// Reads a 48-bit Ethernet address at `offset` (caller checked the bounds).
    @inlinable @inline(__always)
    public func loadEthernetAddress(at offset: Int) -> EthernetAddress {
        let high = UInt64(loadBigEndian(at: offset, as: UInt16.self))
        let low = UInt64(loadBigEndian(at: offset + 2, as: UInt32.self))
        return EthernetAddress(rawValue: high << 32 | low)
    }
    /// Reads an IPv4 address at `offset` (caller checked the bounds).
    @inlinable @inline(__always)
    public func loadIPv4Address(at offset: Int) -> IPv4Address {
        IPv4Address(rawValue: loadBigEndian(at: offset))
    }
    /// Reads an IPv6 address at `offset` (caller checked the bounds).
    @inlinable @inline(__always)
    public func loadIPv6Address(at offset: Int) -> IPv6Address {
        IPv6Address(high: loadBigEndian(at: offset), low: loadBigEndian(at: offset + 8))
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Reads a 48-bit Ethernet address at `offset` (caller checked the bounds).
    @inlinable @inline(__always)
    public func loadEthernetAddress(at offset: Int) -> EthernetAddress {
        UnsafeRawBufferPointer(self).loadEthernetAddress(at: offset)
    }
    /// Writes a 48-bit Ethernet address at `offset` (caller checked the bounds).
    @inlinable @inline(__always)
    public func storeEthernetAddress(_ address: EthernetAddress, at offset: Int) {
        storeBigEndian(UInt16(truncatingIfNeeded: address.rawValue >> 32), at: offset)
        storeBigEndian(UInt32(truncatingIfNeeded: address.rawValue), at: offset + 2)
    }
    /// Reads an IPv4 address at `offset` (caller checked the bounds).
    @inlinable @inline(__always)
    public func loadIPv4Address(at offset: Int) -> IPv4Address {
        IPv4Address(rawValue: loadBigEndian(at: offset))
    }
    /// Writes an IPv4 address at `offset` (caller checked the bounds).
    @inlinable @inline(__always)
    public func storeIPv4Address(_ address: IPv4Address, at offset: Int) {
        storeBigEndian(address.rawValue, at: offset)
    }
    /// Reads an IPv6 address at `offset` (caller checked the bounds).
    @inlinable @inline(__always)
    public func loadIPv6Address(at offset: Int) -> IPv6Address {
        IPv6Address(high: loadBigEndian(at: offset), low: loadBigEndian(at: offset + 8))
    }
    /// Writes an IPv6 address at `offset` (caller checked the bounds).
    @inlinable @inline(__always)
    public func storeIPv6Address(_ address: IPv6Address, at offset: Int) {
        storeBigEndian(address.high, at: offset)
        storeBigEndian(address.low, at: offset + 8)
    }

    /// The bytes in `range`, as a buffer of their own (caller checked the bounds).
    @inlinable @inline(__always)
    public func window(_ range: Range<Int>) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: self[range])
    }
    /// The bytes from `offset` to the end (caller checked the bounds).
    @inlinable @inline(__always)
    public func window(from offset: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: self[offset...])
    }
}
