/// SCTP (RFC 9260): the common header and its CRC-32C checksum.

/// Byte offsets in the SCTP common header.
public enum SCTPField {
    @inlinable public static var sourcePort: Int { 0 }
    @inlinable public static var destinationPort: Int { 2 }
    @inlinable public static var verificationTag: Int { 4 }
    @inlinable public static var checksum: Int { 8 }
    @inlinable public static var headerLength: Int { 12 }
}

/// A non-owning view of the SCTP packet (common header, then chunks) at the
/// start of `bytes`; the packet is all of `bytes`.
public struct SCTPView {
    public let bytes: UnsafeMutableRawBufferPointer

    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= SCTPField.headerLength else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var sourcePort: UInt16 {
        get { bytes.loadBigEndian(at: SCTPField.sourcePort) }
        nonmutating set { bytes.storeBigEndian(newValue, at: SCTPField.sourcePort) }
    }
    @inlinable public var destinationPort: UInt16 {
        get { bytes.loadBigEndian(at: SCTPField.destinationPort) }
        nonmutating set { bytes.storeBigEndian(newValue, at: SCTPField.destinationPort) }
    }
    @inlinable public var verificationTag: UInt32 {
        get { bytes.loadBigEndian(at: SCTPField.verificationTag) }
        nonmutating set { bytes.storeBigEndian(newValue, at: SCTPField.verificationTag) }
    }
    /// The checksum field read big-endian. SCTP stores the CRC-32C
    /// little-endian, so this is the CRC byte-swapped.
    @inlinable public var checksum: UInt32 {
        get { bytes.loadBigEndian(at: SCTPField.checksum) }
        nonmutating set { bytes.storeBigEndian(newValue, at: SCTPField.checksum) }
    }
    /// The chunks.
    @inlinable public var payload: UnsafeMutableRawBufferPointer { bytes.window(from: SCTPField.headerLength) }

    /// The value `checksum` should hold: the CRC-32C of the packet with a
    /// zero checksum field, in the field's byte order.
    public func computeChecksum() -> UInt32 {
        let raw = UnsafeRawBufferPointer(bytes)
        var crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<SCTPField.checksum]))
        crc = withUnsafeBytes(of: UInt32(0)) { CRC32C.checksum($0, continuing: crc) }
        crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[SCTPField.headerLength...]), continuing: crc)
        return crc.byteSwapped
    }
    /// True when the checksum verifies.
    public var isChecksumValid: Bool { computeChecksum() == checksum }
    /// Computes and stores the checksum.
    public func fillChecksum() { checksum = computeChecksum() }
}

/// The SCTP common header as an owned value; the checksum is a plain field
/// (it covers the chunks), in the byte order `SCTPView.checksum` uses.
public struct SCTPHeader: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var verificationTag: UInt32
    public var checksum: UInt32

    public static let length = SCTPField.headerLength

    public init(sourcePort: UInt16, destinationPort: UInt16, verificationTag: UInt32 = 0, checksum: UInt32 = 0) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.verificationTag = verificationTag
        self.checksum = checksum
    }

    @inlinable public init(_ view: SCTPView) {
        sourcePort = view.sourcePort
        destinationPort = view.destinationPort
        verificationTag = view.verificationTag
        checksum = view.checksum
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try SCTPView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { Self.length }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes.storeBigEndian(sourcePort, at: SCTPField.sourcePort)
        bytes.storeBigEndian(destinationPort, at: SCTPField.destinationPort)
        bytes.storeBigEndian(verificationTag, at: SCTPField.verificationTag)
        bytes.storeBigEndian(checksum, at: SCTPField.checksum)
    }
}

/// One SCTP chunk header (type, flags, length).
public struct SCTPChunk: Hashable, Sendable {
    public var type: UInt8
    public var flags: UInt8
    /// The chunk's length field (header included, padding excluded).
    public var length: UInt16
    /// Offset of the chunk from the start of the chunk area.
    public var offset: Int
}

/// Iterates the chunks after the common header; stops at a chunk whose
/// length is under 4 or runs past the bytes.
public struct SCTPChunkIterator: IteratorProtocol {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var offset = 0

    /// `chunks` is `SCTPView.payload`.
    public init(_ chunks: UnsafeRawBufferPointer) { bytes = chunks }

    public mutating func next() -> SCTPChunk? {
        guard bytes.count - offset >= 4 else { return nil }
        let length = Int(bytes.loadBigEndian(at: offset + 2, as: UInt16.self))
        guard length >= 4, length <= bytes.count - offset else { offset = bytes.count; return nil }
        let chunk = SCTPChunk(type: bytes[offset], flags: bytes[offset + 1], length: UInt16(length), offset: offset)
        offset += (length + 3) & ~3
        return chunk
    }
}
