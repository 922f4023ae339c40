/// UDP (RFC 768).

/// Byte offsets in a UDP header.
public enum UDPField {
    @inlinable public static var sourcePort: Int { 0 }
    @inlinable public static var destinationPort: Int { 2 }
    /// Header plus payload.
    @inlinable public static var length: Int { 4 }
    @inlinable public static var checksum: Int { 6 }
    @inlinable public static var headerLength: Int { 8 }
}

/// Well-known UDP ports of the tunnels svs speaks.
public enum UDPPort {
    @inlinable public static var vxlan: UInt16 { 4789 }
    @inlinable public static var geneve: UInt16 { 6081 }
    @inlinable public static var vxlanGPE: UInt16 { 4790 }
}

/// A non-owning view of the UDP datagram at the start of `bytes`; it ends
/// at the length field.
public struct UDPView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 8 bytes or under the length field;
    /// `.malformed` for a length field under 8.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= UDPField.headerLength else { throw .truncated }
        let length = Int(bytes.loadBigEndian(at: UDPField.length, as: UInt16.self))
        guard length >= UDPField.headerLength else { throw .malformed }
        guard length <= bytes.count else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var sourcePort: UInt16 {
        get { bytes.loadBigEndian(at: UDPField.sourcePort) }
        nonmutating set { bytes.storeBigEndian(newValue, at: UDPField.sourcePort) }
    }
    @inlinable public var destinationPort: UInt16 {
        get { bytes.loadBigEndian(at: UDPField.destinationPort) }
        nonmutating set { bytes.storeBigEndian(newValue, at: UDPField.destinationPort) }
    }
    /// Header plus payload, as validated against `bytes`.
    @inlinable public var length: UInt16 { bytes.loadBigEndian(at: UDPField.length) }
    /// 0 means the sender computed none (IPv4 only).
    @inlinable public var checksum: UInt16 {
        get { bytes.loadBigEndian(at: UDPField.checksum) }
        nonmutating set { bytes.storeBigEndian(newValue, at: UDPField.checksum) }
    }
    /// Header and payload, up to the length field.
    @inlinable public var datagram: UnsafeMutableRawBufferPointer { bytes.window(0..<Int(length)) }
    @inlinable public var payload: UnsafeMutableRawBufferPointer {
        bytes.window(UDPField.headerLength..<Int(length))
    }

    /// The checksum the datagram should carry (never 0: a computed 0 is
    /// sent as `0xffff`).
    @inlinable public func computeChecksum(pseudoHeaderSum: UInt32) -> UInt16 {
        let c = InternetChecksum.finish(InternetChecksum.sum(UnsafeRawBufferPointer(datagram), initial: pseudoHeaderSum)
                                        &+ UInt32(~checksum))
        return c == 0 ? 0xffff : c
    }
    /// True when the checksum verifies, or is 0 (absent).
    @inlinable public func isChecksumValid(pseudoHeaderSum: UInt32) -> Bool {
        checksum == 0 || InternetChecksum.sum(UnsafeRawBufferPointer(datagram), initial: pseudoHeaderSum) == 0xffff
    }
    /// Computes and stores the checksum.
    @inlinable public func fillChecksum(pseudoHeaderSum: UInt32) {
        checksum = 0
        let c = InternetChecksum.checksum(UnsafeRawBufferPointer(datagram), initial: pseudoHeaderSum)
        checksum = c == 0 ? 0xffff : c
    }
    /// The checksum after a covered 16-bit word changed, keeping an absent
    /// checksum absent and never producing 0 (as Open vSwitch's
    /// `packet_set_udp_port` does).
    @inlinable public func updatedChecksum(replacing old: UInt16, with new: UInt16) -> UInt16 {
        guard checksum != 0 else { return 0 }
        let c = InternetChecksum.update(checksum, replacing: old, with: new)
        return c == 0 ? 0xffff : c
    }
}

/// A UDP header as an owned value; the checksum is a plain field.
public struct UDPHeader: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// Header plus payload.
    public var length: UInt16
    public var checksum: UInt16

    public static let length = UDPField.headerLength

    public init(sourcePort: UInt16, destinationPort: UInt16, length: UInt16 = 8, checksum: UInt16 = 0) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.length = length
        self.checksum = checksum
    }

    @inlinable public init(_ view: UDPView) {
        sourcePort = view.sourcePort
        destinationPort = view.destinationPort
        length = view.length
        checksum = view.checksum
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try UDPView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { Self.length }

    /// `.malformed` for a length under 8.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard length >= 8 else { throw .malformed }
        guard bytes.count >= Self.length else { throw .truncated }
        bytes.storeBigEndian(sourcePort, at: UDPField.sourcePort)
        bytes.storeBigEndian(destinationPort, at: UDPField.destinationPort)
        bytes.storeBigEndian(length, at: UDPField.length)
        bytes.storeBigEndian(checksum, at: UDPField.checksum)
    }
}
