/// The datapath interface's attribute encoding: netlink attributes.
///
/// Each attribute is a 4-byte header, then the payload, then zero bytes up
/// to a multiple of 4:
///
/// ```
/// | length: u16 (header + payload, no padding) | type: u16 | payload | pad |
/// ```
///
/// The type's top two bits are flags: `NLA_F_NESTED` (0x8000, the payload
/// is attributes) and `NLA_F_NET_BYTEORDER` (0x4000); the decoder strips
/// them. "Host order" integers are little-endian here (the byte order of
/// every machine svs runs on), so encodings are the same bytes Open
/// vSwitch's `lib/netlink.c` writes on x86-64 and arm64.

/// Why bytes could not be read (or a value written) as attributes.
/// Offsets count from the start of the message (or of the buffer given
/// to the decoder); types are without the flag bits.
public enum TLVError: Error, Hashable, Sendable {
    /// A header or payload runs past the end of its enclosing bytes.
    case truncated(offset: Int)
    /// An attribute's length is below 4, or its payload has the wrong size
    /// for its type.
    case badLength(type: UInt16, offset: Int)
    /// A required attribute is absent.
    case missingAttribute(UInt16)
    /// An attribute type that is not allowed here (unknown action or key).
    case unexpectedType(UInt16, offset: Int)
    /// The payload has the right size but a value the type forbids (string
    /// without NUL, unknown VLAN TPID, header length mismatch...).
    case badValue(type: UInt16, offset: Int)
    /// Nested action lists deeper than `TLV.maximumNesting`.
    case nestingTooDeep(offset: Int)
    /// The message's command byte is not one of its family's.
    case unknownCommand(UInt8)
    /// Encoding: an attribute would exceed 65,535 bytes.
    case attributeTooLong(type: UInt16)
}

/// Constants of the attribute format.
public enum TLV {
    /// Bytes in an attribute header.
    public static let headerLength = 4
    /// The nested flag (`NLA_F_NESTED`).
    public static let nestedFlag: UInt16 = 0x8000
    /// The network-byte-order flag (`NLA_F_NET_BYTEORDER`).
    public static let networkByteOrderFlag: UInt16 = 0x4000
    /// The type bits (`NLA_TYPE_MASK`).
    public static let typeMask: UInt16 = 0x3fff
    /// The largest attribute, header included.
    public static let maximumLength = 0xffff
    /// How deep action lists may nest (`OVS_COPY_ACTIONS_MAX_DEPTH`).
    public static let maximumNesting = 16

    /// `n` rounded up to a multiple of 4 (`NLA_ALIGN`).
    @inlinable public static func aligned(_ n: Int) -> Int { (n &+ 3) & ~3 }
}

// MARK: - Decoding

/// One attribute found by `TLVAttributeList`. The getters check the
/// payload's size and throw rather than trap.
public struct TLVAttribute: Sendable {
    /// The type, flag bits removed.
    public let type: UInt16
    /// The `NLA_F_NESTED` bit was set.
    public let isNested: Bool
    /// The `NLA_F_NET_BYTEORDER` bit was set.
    public let isNetworkByteOrder: Bool
    /// Offset of the attribute's header.
    public let offset: Int
    /// The payload (indices are offsets in the decoded buffer).
    public let payload: ArraySlice<UInt8>

    /// The payload, which must be exactly `count` bytes.
    @inlinable
    public func fixed(_ count: Int) throws(TLVError) -> ArraySlice<UInt8> {
        guard payload.count == count else { throw .badLength(type: type, offset: offset) }
        return payload
    }

    /// A flag: present, no payload.
    public func flag() throws(TLVError) {
        _ = try fixed(0)
    }

    // Integer getters: the payload must have exactly the integer's size.
    // `u*`/`i32` are host order (little-endian), `be*` network order.

    /// A `u8`.
    public func u8() throws(TLVError) -> UInt8 { try fixed(1).first! }
    /// A host-order `u16`.
    public func u16() throws(TLVError) -> UInt16 { UInt16(truncatingIfNeeded: try fixed(2).littleEndianValue(2)) }
    /// A host-order `u32`.
    public func u32() throws(TLVError) -> UInt32 { UInt32(truncatingIfNeeded: try fixed(4).littleEndianValue(4)) }
    /// A host-order `u64`.
    public func u64() throws(TLVError) -> UInt64 { try fixed(8).littleEndianValue(8) }
    /// A host-order `s32`.
    public func i32() throws(TLVError) -> Int32 { Int32(bitPattern: try u32()) }
    /// A network-order `be16`.
    public func be16() throws(TLVError) -> UInt16 { UInt16(truncatingIfNeeded: try fixed(2).bigEndianValue(2)) }
    /// A network-order `be32`.
    public func be32() throws(TLVError) -> UInt32 { UInt32(truncatingIfNeeded: try fixed(4).bigEndianValue(4)) }
    /// A network-order `be64`.
    public func be64() throws(TLVError) -> UInt64 { try fixed(8).bigEndianValue(8) }

    /// A 128-bit value stored as two little-endian 64-bit halves, low half
    /// first (`ovs_u128` on a little-endian host).
    public func u128() throws(TLVError) -> UInt128 {
        let p = try fixed(16)
        let low = p.prefix(8).littleEndianValue(8)
        let high = p.suffix(8).littleEndianValue(8)
        return UInt128(high) << 64 | UInt128(low)
    }

    /// A NUL-terminated UTF-8 string with no other NUL (`nl_attr_get_string`).
    public func string() throws(TLVError) -> String {
        guard let last = payload.last else { throw .badLength(type: type, offset: offset) }
        let text = payload.dropLast()
        guard last == 0, !text.contains(0), let s = String(validating: text, as: UTF8.self) else {
            throw .badValue(type: type, offset: offset)
        }
        return s
    }

    /// The payload bytes.
    public func bytes() -> [UInt8] { Array(payload) }

    /// The payload read as attributes (whether or not `isNested` is set:
    /// Open vSwitch does not set the flag).
    public func nested() throws(TLVError) -> TLVAttributeList {
        try TLVAttributeList(parsing: payload)
    }

    /// The payload as an array of little-endian `UInt32` (pid lists).
    public func u32Array() throws(TLVError) -> [UInt32] {
        guard payload.count % 4 == 0 else { throw .badLength(type: type, offset: offset) }
        var out: [UInt32] = []
        out.reserveCapacity(payload.count / 4)
        var i = payload.startIndex
        while i < payload.endIndex {
            out.append(UInt32(truncatingIfNeeded: payload[i..<i + 4].littleEndianValue(4)))
            i += 4
        }
        return out
    }
}

/// The attributes in a byte range, parsed and checked at once (so the
/// getters never meet a bad header).
///
/// A missing pad after the last attribute is accepted (as Linux does);
/// anything else that does not fit is `.truncated` or `.badLength`.
/// Repeated types are kept; `self[type]` returns the last (netlink's rule).
public struct TLVAttributeList: Sendable, Sequence {
    /// The attributes in order.
    public let attributes: [TLVAttribute]
    /// Offset of the first byte parsed.
    public let startOffset: Int

    /// No attributes.
    public init() {
        attributes = []
        startOffset = 0
    }

    /// Parses every attribute in `bytes` (a slice: offsets are its indices).
    public init(parsing bytes: ArraySlice<UInt8>) throws(TLVError) {
        startOffset = bytes.startIndex
        var found: [TLVAttribute] = []
        var o = bytes.startIndex
        let end = bytes.endIndex
        while o < end {
            guard end - o >= TLV.headerLength else { throw .truncated(offset: o) }
            let length = Int(bytes[o]) | Int(bytes[o + 1]) << 8
            let rawType = UInt16(bytes[o + 2]) | UInt16(bytes[o + 3]) << 8
            let type = rawType & TLV.typeMask
            guard length >= TLV.headerLength else { throw .badLength(type: type, offset: o) }
            guard length <= end - o else { throw .truncated(offset: o) }
            found.append(TLVAttribute(type: type,
                                      isNested: rawType & TLV.nestedFlag != 0,
                                      isNetworkByteOrder: rawType & TLV.networkByteOrderFlag != 0,
                                      offset: o,
                                      payload: bytes[(o + TLV.headerLength)..<(o + length)]))
            o += TLV.aligned(length)
        }
        attributes = found
    }

    /// Parses every attribute in `bytes`.
    public init(parsing bytes: [UInt8]) throws(TLVError) {
        try self.init(parsing: bytes[...])
    }

    public func makeIterator() -> IndexingIterator<[TLVAttribute]> { attributes.makeIterator() }

    /// Number of attributes.
    public var count: Int { attributes.count }

    /// The last attribute of `type`, if any.
    public subscript(type: UInt16) -> TLVAttribute? {
        attributes.last { $0.type == type }
    }

    /// The last attribute of `type`, or `.missingAttribute(type)`.
    public func required(_ type: UInt16) throws(TLVError) -> TLVAttribute {
        guard let a = self[type] else { throw .missingAttribute(type) }
        return a
    }

    /// `read` applied to the attribute of `type`, `nil` when absent.
    public func optional<T>(_ type: UInt16,
                            _ read: (TLVAttribute) throws(TLVError) -> T) throws(TLVError) -> T? {
        guard let a = self[type] else { return nil }
        return try read(a)
    }

    /// True when a flag attribute of `type` is present (and empty).
    public func flag(_ type: UInt16) throws(TLVError) -> Bool {
        guard let a = self[type] else { return false }
        try a.flag()
        return true
    }
}

extension ArraySlice<UInt8> {
    /// The first `n` (≤ 8) bytes as a little-endian integer; the caller
    /// checked the count.
    @inlinable func littleEndianValue(_ n: Int) -> UInt64 {
        var v: UInt64 = 0
        var i = startIndex + Swift.min(n, count)
        while i > startIndex {
            i -= 1
            v = v << 8 | UInt64(self[i])
        }
        return v
    }

    /// The first `n` (≤ 8) bytes as a big-endian integer.
    @inlinable func bigEndianValue(_ n: Int) -> UInt64 {
        var v: UInt64 = 0
        var i = startIndex
        let end = startIndex + Swift.min(n, count)
        while i < end {
            v = v << 8 | UInt64(self[i])
            i += 1
        }
        return v
    }
}

// MARK: - Encoding

/// Writes attributes into a growable byte array.
///
/// Writing never fails on the spot: an attribute that would exceed 65,535
/// bytes is left out and remembered, and `finish()` throws
/// `.attributeTooLong` for the first one.
public struct TLVEncoder: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]
    /// The first error met, if any.
    public private(set) var error: TLVError?
    /// Set `NLA_F_NESTED` on nested attributes (Open vSwitch does not).
    public var marksNested: Bool

    public init(reservingCapacity capacity: Int = 256, marksNested: Bool = false) {
        bytes = []
        bytes.reserveCapacity(capacity)
        error = nil
        self.marksNested = marksNested
    }

    /// Starts after an existing prefix (a message header).
    public init(prefix: [UInt8], marksNested: Bool = false) {
        bytes = prefix
        error = nil
        self.marksNested = marksNested
    }

    /// The bytes, or the first error.
    public func finish() throws(TLVError) -> [UInt8] {
        if let error { throw error }
        return bytes
    }

    private mutating func padToAlignment() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    private mutating func header(_ type: UInt16, length: Int) {
        bytes.appendLittleEndian(UInt64(length), 2)
        bytes.appendLittleEndian(UInt64(type), 2)
    }

    /// An attribute whose payload `write` appends to `payload` (no padding).
    public mutating func put(_ type: UInt16, writing write: (inout [UInt8]) -> Void) {
        let start = bytes.count
        header(type, length: 0)
        write(&bytes)
        finishAttribute(type, start: start)
    }

    private mutating func finishAttribute(_ type: UInt16, start: Int) {
        let length = bytes.count - start
        guard length <= TLV.maximumLength else {
            bytes.removeSubrange(start...)
            if error == nil { error = .attributeTooLong(type: type) }
            return
        }
        bytes[start] = UInt8(truncatingIfNeeded: length)
        bytes[start + 1] = UInt8(truncatingIfNeeded: length >> 8)
        padToAlignment()
    }

    /// An attribute with `payload` as its bytes.
    public mutating func put(_ type: UInt16, bytes payload: [UInt8]) {
        put(type) { $0 += payload }
    }

    /// An attribute with `payload` as its bytes.
    public mutating func put(_ type: UInt16, bytes payload: ArraySlice<UInt8>) {
        put(type) { $0 += payload }
    }

    /// A flag: an attribute with no payload.
    public mutating func putFlag(_ type: UInt16) { put(type) { _ in } }
    public mutating func putU8(_ type: UInt16, _ v: UInt8) { put(type) { $0.append(v) } }
    public mutating func putU16(_ type: UInt16, _ v: UInt16) { put(type) { $0.appendLittleEndian(UInt64(v), 2) } }
    public mutating func putU32(_ type: UInt16, _ v: UInt32) { put(type) { $0.appendLittleEndian(UInt64(v), 4) } }
    public mutating func putU64(_ type: UInt16, _ v: UInt64) { put(type) { $0.appendLittleEndian(v, 8) } }
    public mutating func putI32(_ type: UInt16, _ v: Int32) { putU32(type, UInt32(bitPattern: v)) }
    public mutating func putBE16(_ type: UInt16, _ v: UInt16) { put(type) { $0.appendBigEndian(UInt64(v), 2) } }
    public mutating func putBE32(_ type: UInt16, _ v: UInt32) { put(type) { $0.appendBigEndian(UInt64(v), 4) } }
    public mutating func putBE64(_ type: UInt16, _ v: UInt64) { put(type) { $0.appendBigEndian(v, 8) } }

    /// A 128-bit value as two little-endian halves, low first (`ovs_u128`).
    public mutating func putU128(_ type: UInt16, _ v: UInt128) {
        put(type) {
            $0.appendLittleEndian(UInt64(truncatingIfNeeded: v), 8)
            $0.appendLittleEndian(UInt64(truncatingIfNeeded: v >> 64), 8)
        }
    }

    /// A string, NUL-terminated.
    public mutating func putString(_ type: UInt16, _ s: String) {
        put(type) {
            $0 += s.utf8
            $0.append(0)
        }
    }

    /// An array of little-endian `UInt32` (pid lists).
    public mutating func putU32Array(_ type: UInt16, _ values: [UInt32]) {
        put(type) { for v in values { $0.appendLittleEndian(UInt64(v), 4) } }
    }

    /// A nested attribute: `body` writes the inner attributes.
    public mutating func putNested(_ type: UInt16, _ body: (inout TLVEncoder) -> Void) {
        let start = bytes.count
        header(marksNested ? type | TLV.nestedFlag : type, length: 0)
        body(&self)
        finishAttribute(type, start: start)
    }

    /// Raw bytes with no header, padded to 4 (arrays of structs inside a nest).
    public mutating func appendRaw(_ raw: [UInt8]) {
        bytes += raw
        padToAlignment()
    }
}

extension [UInt8] {
    @inlinable mutating func appendLittleEndian(_ v: UInt64, _ n: Int) {
        for i in 0..<n { append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
    @inlinable mutating func appendBigEndian(_ v: UInt64, _ n: Int) {
        for i in (0..<n).reversed() { append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
}
