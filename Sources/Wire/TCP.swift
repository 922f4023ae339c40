/// TCP (RFC 9293).

/// Byte offsets in a TCP header.
public enum TCPField {
    @inlinable public static var sourcePort: Int { 0 }
    @inlinable public static var destinationPort: Int { 2 }
    @inlinable public static var sequenceNumber: Int { 4 }
    @inlinable public static var acknowledgmentNumber: Int { 8 }
    /// Data offset (4 bits), reserved (3), flags (9: NS CWR ECE URG ACK PSH RST SYN FIN).
    @inlinable public static var offsetAndFlags: Int { 12 }
    @inlinable public static var windowSize: Int { 14 }
    @inlinable public static var checksum: Int { 16 }
    @inlinable public static var urgentPointer: Int { 18 }
    @inlinable public static var options: Int { 20 }
    @inlinable public static var minimumLength: Int { 20 }
    @inlinable public static var maximumLength: Int { 60 }
}

/// TCP control flags, the low 12 bits of the offset/flags word (the range
/// Open vSwitch's `tcp_flags` match covers).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0fff }
    public static let fin = TCPFlags(rawValue: 0x001)
    public static let syn = TCPFlags(rawValue: 0x002)
    public static let rst = TCPFlags(rawValue: 0x004)
    public static let psh = TCPFlags(rawValue: 0x008)
    public static let ack = TCPFlags(rawValue: 0x010)
    public static let urg = TCPFlags(rawValue: 0x020)
    public static let ece = TCPFlags(rawValue: 0x040)
    public static let cwr = TCPFlags(rawValue: 0x080)
    public static let ns = TCPFlags(rawValue: 0x100)
}

/// A TCP option kind.
public struct TCPOptionKind: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let endOfList = TCPOptionKind(rawValue: 0)
    public static let noOperation = TCPOptionKind(rawValue: 1)
    public static let maximumSegmentSize = TCPOptionKind(rawValue: 2)
    public static let windowScale = TCPOptionKind(rawValue: 3)
    public static let sackPermitted = TCPOptionKind(rawValue: 4)
    public static let sack = TCPOptionKind(rawValue: 5)
    public static let timestamp = TCPOptionKind(rawValue: 8)
}

/// A non-owning view of the TCP segment (header, then payload) at the start
/// of `bytes`.
public struct TCPView: InternetChecksummedView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 20 bytes or under the data offset;
    /// `.malformed` for a data offset under 5 words.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= TCPField.minimumLength else { throw .truncated }
        let headerLength = Int(bytes[TCPField.offsetAndFlags] >> 4) &* 4
        guard headerLength >= TCPField.minimumLength else { throw .malformed }
        guard headerLength <= bytes.count else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var sourcePort: UInt16 {
        get { bytes.loadBigEndian(at: TCPField.sourcePort) }
        nonmutating set { bytes.storeBigEndian(newValue, at: TCPField.sourcePort) }
    }
    @inlinable public var destinationPort: UInt16 {
        get { bytes.loadBigEndian(at: TCPField.destinationPort) }
        nonmutating set { bytes.storeBigEndian(newValue, at: TCPField.destinationPort) }
    }
    @inlinable public var sequenceNumber: UInt32 {
        get { bytes.loadBigEndian(at: TCPField.sequenceNumber) }
        nonmutating set { bytes.storeBigEndian(newValue, at: TCPField.sequenceNumber) }
    }
    @inlinable public var acknowledgmentNumber: UInt32 {
        get { bytes.loadBigEndian(at: TCPField.acknowledgmentNumber) }
        nonmutating set { bytes.storeBigEndian(newValue, at: TCPField.acknowledgmentNumber) }
    }
    /// Header length in bytes (20...60), from the data offset.
    @inlinable public var headerLength: Int { Int(bytes[TCPField.offsetAndFlags] >> 4) &* 4 }
    @inlinable public var flags: TCPFlags {
        get { TCPFlags(rawValue: bytes.loadBigEndian(at: TCPField.offsetAndFlags)) }
        nonmutating set {
            let word: UInt16 = bytes.loadBigEndian(at: TCPField.offsetAndFlags)
            bytes.storeBigEndian(word & 0xf000 | newValue.rawValue, at: TCPField.offsetAndFlags)
        }
    }
    @inlinable public var windowSize: UInt16 {
        get { bytes.loadBigEndian(at: TCPField.windowSize) }
        nonmutating set { bytes.storeBigEndian(newValue, at: TCPField.windowSize) }
    }
    @inlinable public var checksum: UInt16 {
        get { bytes.loadBigEndian(at: TCPField.checksum) }
        nonmutating set { bytes.storeBigEndian(newValue, at: TCPField.checksum) }
    }
    @inlinable public var urgentPointer: UInt16 {
        get { bytes.loadBigEndian(at: TCPField.urgentPointer) }
        nonmutating set { bytes.storeBigEndian(newValue, at: TCPField.urgentPointer) }
    }
    /// The option bytes (0...40).
    @inlinable public var options: UnsafeMutableRawBufferPointer {
        bytes.window(TCPField.options..<headerLength)
    }
    @inlinable public var payload: UnsafeMutableRawBufferPointer { bytes.window(from: headerLength) }

}

/// A TCP header as an owned, host-order value.
///
/// It keeps the checksum as a plain field (it covers the payload and a
/// pseudo-header); fill it through `TCPView.fillChecksum(pseudoHeaderSum:)`.
public struct TCPHeader: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: UInt32
    public var acknowledgmentNumber: UInt32
    public var flags: TCPFlags
    public var windowSize: UInt16
    public var checksum: UInt16
    public var urgentPointer: UInt16
    /// Raw option bytes: a multiple of 4, at most 40.
    public var options: [UInt8]

    public init(sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32 = 0,
                acknowledgmentNumber: UInt32 = 0, flags: TCPFlags = [], windowSize: UInt16 = 8192,
                checksum: UInt16 = 0, urgentPointer: UInt16 = 0, options: [UInt8] = []) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.windowSize = windowSize
        self.checksum = checksum
        self.urgentPointer = urgentPointer
        self.options = options
    }

    public init(_ view: TCPView) {
        sourcePort = view.sourcePort
        destinationPort = view.destinationPort
        sequenceNumber = view.sequenceNumber
        acknowledgmentNumber = view.acknowledgmentNumber
        flags = view.flags
        windowSize = view.windowSize
        checksum = view.checksum
        urgentPointer = view.urgentPointer
        options = Array(view.options)
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try TCPView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { TCPField.minimumLength + options.count }

    /// `.malformed` when the options are not a multiple of 4 or over 40 bytes.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard options.count % 4 == 0, options.count <= 40 else { throw .malformed }
        guard bytes.count >= headerLength else { throw .truncated }
        bytes.storeBigEndian(sourcePort, at: TCPField.sourcePort)
        bytes.storeBigEndian(destinationPort, at: TCPField.destinationPort)
        bytes.storeBigEndian(sequenceNumber, at: TCPField.sequenceNumber)
        bytes.storeBigEndian(acknowledgmentNumber, at: TCPField.acknowledgmentNumber)
        bytes.storeBigEndian(UInt16(headerLength / 4) << 12 | flags.rawValue, at: TCPField.offsetAndFlags)
        bytes.storeBigEndian(windowSize, at: TCPField.windowSize)
        bytes.storeBigEndian(checksum, at: TCPField.checksum)
        bytes.storeBigEndian(urgentPointer, at: TCPField.urgentPointer)
        for (i, o) in options.enumerated() { bytes[TCPField.options + i] = o }
    }
}

/// One TCP option.
public struct TCPOption: Hashable, Sendable {
    public var kind: TCPOptionKind
    /// The bytes after kind and length (empty for NOP and end of list).
    public var data: [UInt8]
    public init(kind: TCPOptionKind, data: [UInt8] = []) { self.kind = kind; self.data = data }
}

/// Iterates the options of a TCP header; stops at end of list, or at an
/// option whose length is under 2 or runs past the area.
public struct TCPOptionIterator: IteratorProtocol {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var offset = 0

    public init(_ options: UnsafeRawBufferPointer) { bytes = options }

    public mutating func next() -> TCPOption? {
        guard offset < bytes.count else { return nil }
        let kind = TCPOptionKind(rawValue: bytes[offset])
        switch kind {
        case .endOfList:
            offset = bytes.count
            return nil
        case .noOperation:
            offset += 1
            return TCPOption(kind: kind)
        default:
            guard bytes.count - offset >= 2 else { offset = bytes.count; return nil }
            let length = Int(bytes[offset + 1])
            guard length >= 2, length <= bytes.count - offset else { offset = bytes.count; return nil }
            let data = Array(bytes[offset + 2 ..< offset + length])
            offset += length
            return TCPOption(kind: kind, data: data)
        }
    }
}
