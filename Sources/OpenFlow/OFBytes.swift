/// Byte-level reading and writing of OpenFlow messages: big-endian
/// integers, bounds-checked. A read past the end throws; nothing here can
/// trap on bad input.

/// Appends big-endian values to a byte array.
public struct OFWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v)) }
    public mutating func u32(_ v: UInt32) {
        for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
    }
    public mutating func u64(_ v: UInt64) {
        for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) }
    }
    /// The low `n` bytes of `v`, most significant first.
    public mutating func uint(_ v: UInt128, bytes n: Int) {
        for i in stride(from: n - 1, through: 0, by: -1) {
            bytes.append(i >= 16 ? 0 : UInt8(truncatingIfNeeded: v >> UInt128(8 * i)))
        }
    }
    public mutating func zeros(_ n: Int) { if n > 0 { bytes.append(contentsOf: repeatElement(0, count: n)) } }
    public mutating func append(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }
    /// Pads with zeros to a multiple of `alignment`.
    public mutating func pad(to alignment: Int) { zeros((alignment - bytes.count % alignment) % alignment) }

    /// Overwrites the 16-bit value at `offset`.
    public mutating func set16(_ v: UInt16, at offset: Int) {
        bytes[offset] = UInt8(v >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: v)
    }
}

/// Why bytes could not be decoded: the OpenFlow error to reply with.
public struct OFDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var error: OFErrorCode
    public var detail: String
    public init(_ error: OFErrorCode, _ detail: String = "") {
        self.error = error
        self.detail = detail
    }
    public var description: String { detail.isEmpty ? error.name : "\(error.name): \(detail)" }
}

/// Reads big-endian values from a slice of bytes; every read is checked.
public struct OFReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    public let end: Int
    /// The error a short read raises.
    public var shortError: OFErrorCode

    public init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil, shortError: OFErrorCode = .badRequestLength) {
        self.bytes = bytes
        self.offset = max(0, min(offset, bytes.count))
        self.end = max(self.offset, min(end ?? bytes.count, bytes.count))
        self.shortError = shortError
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset >= end }

    mutating func need(_ n: Int) throws(OFDecodeError) {
        if n < 0 || n > remaining { throw OFDecodeError(shortError, "need \(n) bytes, \(remaining) left") }
    }
    public mutating func u8() throws(OFDecodeError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }
    public mutating func u16() throws(OFDecodeError) -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
    public mutating func u32() throws(OFDecodeError) -> UInt32 {
        try need(4)
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return v
    }
    public mutating func u64() throws(OFDecodeError) -> UInt64 {
        try need(8)
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return v
    }
    /// `n` bytes as an unsigned integer (n <= 16).
    public mutating func uint(bytes n: Int) throws(OFDecodeError) -> UInt128 {
        try need(n)
        var v: UInt128 = 0
        for i in 0..<n { v = v << 8 | UInt128(bytes[offset + i]) }
        offset += n
        return v
    }
    public mutating func skip(_ n: Int) throws(OFDecodeError) {
        try need(n)
        offset += n
    }
    public mutating func take(_ n: Int) throws(OFDecodeError) -> [UInt8] {
        try need(n)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }
    /// A reader over the next `n` bytes; this one moves past them.
    public mutating func sub(_ n: Int) throws(OFDecodeError) -> OFReader {
        try need(n)
        defer { offset += n }
        return OFReader(bytes, offset: offset, end: offset + n, shortError: shortError)
    }
    /// The next element of a list of 8-byte-aligned type-length elements
    /// (actions, instructions): its 16-bit length is at offset 2. A bad
    /// length raises `error`; the element's own reader raises it when short.
    public mutating func element(_ what: String, error: OFErrorCode) throws(OFDecodeError) -> OFReader {
        guard remaining >= 4, let len16 = peek16(at: 2) else { throw OFDecodeError(error, "truncated \(what)") }
        let len = Int(len16)
        guard len >= 8, len % 8 == 0, len <= remaining else { throw OFDecodeError(error, "\(what) length \(len)") }
        var e = try sub(len)
        e.shortError = error
        return e
    }
    /// A reader over the rest; this one moves to the end.
    public mutating func rest() -> OFReader {
        defer { offset = end }
        return OFReader(bytes, offset: offset, end: end, shortError: shortError)
    }
    public func peek16(at delta: Int = 0) -> UInt16? {
        let o = offset + delta
        guard o >= offset, o + 2 <= end else { return nil }
        return UInt16(bytes[o]) << 8 | UInt16(bytes[o + 1])
    }
    public func peek32(at delta: Int = 0) -> UInt32? {
        let o = offset + delta
        guard o >= offset, o + 4 <= end else { return nil }
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[o + i]) }
        return v
    }
}
