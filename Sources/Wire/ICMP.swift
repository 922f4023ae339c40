/// ICMP for IPv4 (RFC 792).

/// An ICMPv4 message type.
public struct ICMPv4Type: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let echoReply = ICMPv4Type(rawValue: 0)
    public static let destinationUnreachable = ICMPv4Type(rawValue: 3)
    public static let sourceQuench = ICMPv4Type(rawValue: 4)
    public static let redirect = ICMPv4Type(rawValue: 5)
    public static let echoRequest = ICMPv4Type(rawValue: 8)
    public static let timeExceeded = ICMPv4Type(rawValue: 11)
    public static let parameterProblem = ICMPv4Type(rawValue: 12)
    public static let timestampRequest = ICMPv4Type(rawValue: 13)
    public static let timestampReply = ICMPv4Type(rawValue: 14)
}

/// Byte offsets in an ICMPv4 header.
public enum ICMPv4Field {
    @inlinable public static var type: Int { 0 }
    @inlinable public static var code: Int { 1 }
    @inlinable public static var checksum: Int { 2 }
    /// Four type-specific bytes (echo: identifier and sequence number).
    @inlinable public static var restOfHeader: Int { 4 }
    @inlinable public static var identifier: Int { 4 }
    @inlinable public static var sequenceNumber: Int { 6 }
    @inlinable public static var headerLength: Int { 8 }
}

/// A non-owning view of the ICMPv4 message (header, then data) that is all
/// of `bytes`.
public struct ICMPv4View: InternetChecksummedView {
    public let bytes: UnsafeMutableRawBufferPointer

    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= ICMPv4Field.headerLength else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var type: ICMPv4Type {
        get { ICMPv4Type(rawValue: bytes[ICMPv4Field.type]) }
        nonmutating set { bytes[ICMPv4Field.type] = newValue.rawValue }
    }
    @inlinable public var code: UInt8 {
        get { bytes[ICMPv4Field.code] }
        nonmutating set { bytes[ICMPv4Field.code] = newValue }
    }
    @inlinable public var checksum: UInt16 {
        get { bytes.loadBigEndian(at: ICMPv4Field.checksum) }
        nonmutating set { bytes.storeBigEndian(newValue, at: ICMPv4Field.checksum) }
    }
    /// The four type-specific bytes, big-endian.
    @inlinable public var restOfHeader: UInt32 {
        get { bytes.loadBigEndian(at: ICMPv4Field.restOfHeader) }
        nonmutating set { bytes.storeBigEndian(newValue, at: ICMPv4Field.restOfHeader) }
    }
    /// Echo identifier.
    @inlinable public var identifier: UInt16 {
        get { bytes.loadBigEndian(at: ICMPv4Field.identifier) }
        nonmutating set { bytes.storeBigEndian(newValue, at: ICMPv4Field.identifier) }
    }
    /// Echo sequence number.
    @inlinable public var sequenceNumber: UInt16 {
        get { bytes.loadBigEndian(at: ICMPv4Field.sequenceNumber) }
        nonmutating set { bytes.storeBigEndian(newValue, at: ICMPv4Field.sequenceNumber) }
    }
    @inlinable public var payload: UnsafeMutableRawBufferPointer { bytes.window(from: ICMPv4Field.headerLength) }

    /// The checksum the message (all of `bytes`) should carry.
    @inlinable public func computeChecksum() -> UInt16 { computeChecksum(pseudoHeaderSum: 0) }
    @inlinable public var isChecksumValid: Bool { isChecksumValid(pseudoHeaderSum: 0) }
    @inlinable public func fillChecksum() { fillChecksum(pseudoHeaderSum: 0) }
}

/// An ICMPv4 header as an owned value; the checksum is a plain field (it
/// covers the data).
public struct ICMPv4Header: Hashable, Sendable {
    public var type: ICMPv4Type
    public var code: UInt8
    public var checksum: UInt16
    /// The four type-specific bytes.
    public var restOfHeader: UInt32

    public static let length = ICMPv4Field.headerLength

    public init(type: ICMPv4Type, code: UInt8 = 0, checksum: UInt16 = 0, restOfHeader: UInt32 = 0) {
        self.type = type
        self.code = code
        self.checksum = checksum
        self.restOfHeader = restOfHeader
    }

    /// An echo request or reply.
    public static func echo(request: Bool = true, identifier: UInt16, sequenceNumber: UInt16) -> ICMPv4Header {
        ICMPv4Header(type: request ? .echoRequest : .echoReply,
                     restOfHeader: UInt32(identifier) << 16 | UInt32(sequenceNumber))
    }

    @inlinable public init(_ view: ICMPv4View) {
        type = view.type
        code = view.code
        checksum = view.checksum
        restOfHeader = view.restOfHeader
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try ICMPv4View(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { Self.length }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes[ICMPv4Field.type] = type.rawValue
        bytes[ICMPv4Field.code] = code
        bytes.storeBigEndian(checksum, at: ICMPv4Field.checksum)
        bytes.storeBigEndian(restOfHeader, at: ICMPv4Field.restOfHeader)
    }
}
