/// IPv4 (RFC 791).

/// Byte offsets in an IPv4 header.
public enum IPv4Field {
    /// Version (high nibble) and header length in 32-bit words (low nibble).
    @inlinable public static var versionAndHeaderLength: Int { 0 }
    /// DSCP (high 6 bits) and ECN (low 2 bits).
    @inlinable public static var typeOfService: Int { 1 }
    @inlinable public static var totalLength: Int { 2 }
    @inlinable public static var identification: Int { 4 }
    /// Flags (3 bits: reserved, DF, MF) and the fragment offset (13 bits).
    @inlinable public static var flagsAndFragmentOffset: Int { 6 }
    @inlinable public static var ttl: Int { 8 }
    @inlinable public static var `protocol`: Int { 9 }
    @inlinable public static var checksum: Int { 10 }
    @inlinable public static var source: Int { 12 }
    @inlinable public static var destination: Int { 16 }
    @inlinable public static var options: Int { 20 }
    @inlinable public static var minimumLength: Int { 20 }
    @inlinable public static var maximumLength: Int { 60 }

    @inlinable public static var dontFragmentFlag: UInt16 { 0x4000 }
    @inlinable public static var moreFragmentsFlag: UInt16 { 0x2000 }
    @inlinable public static var reservedFlag: UInt16 { 0x8000 }
    @inlinable public static var fragmentOffsetMask: UInt16 { 0x1fff }
}

/// A non-owning view of the IPv4 packet at the start of `bytes`.
///
/// `init(validating:)` is the only way in; after it, no accessor can leave
/// `bytes`. The packet ends at `totalLength`; bytes after it (Ethernet
/// padding) are outside `packet` and `payload`.
public struct IPv4View {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` when fewer than 20 bytes, or fewer than the header
    /// length or total length say; `.malformed` for a version other than 4,
    /// a header length under 20, or a total length under the header length.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= IPv4Field.minimumLength else { throw .truncated }
        let headerLength = Int(bytes[0] & 0x0f) &* 4
        guard bytes[0] >> 4 == 4, headerLength >= IPv4Field.minimumLength else { throw .malformed }
        let totalLength = Int(bytes.loadBigEndian(at: IPv4Field.totalLength, as: UInt16.self))
        guard totalLength >= headerLength else { throw .malformed }
        guard totalLength <= bytes.count else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var version: UInt8 { bytes[0] >> 4 }
    /// Header length in bytes (20...60).
    @inlinable public var headerLength: Int { Int(bytes[0] & 0x0f) &* 4 }
    @inlinable public var typeOfService: UInt8 {
        get { bytes[IPv4Field.typeOfService] }
        nonmutating set { bytes[IPv4Field.typeOfService] = newValue }
    }
    /// Differentiated services code point (the high 6 bits of the TOS byte).
    @inlinable public var dscp: UInt8 {
        get { typeOfService >> 2 }
        nonmutating set { typeOfService = typeOfService & 3 | newValue << 2 }
    }
    /// Explicit congestion notification (the low 2 bits of the TOS byte).
    @inlinable public var ecn: UInt8 {
        get { typeOfService & 3 }
        nonmutating set { typeOfService = typeOfService & 0xfc | newValue & 3 }
    }
    /// Header and payload length, as validated against `bytes`.
    @inlinable public var totalLength: UInt16 { bytes.loadBigEndian(at: IPv4Field.totalLength) }
    @inlinable public var identification: UInt16 {
        get { bytes.loadBigEndian(at: IPv4Field.identification) }
        nonmutating set { bytes.storeBigEndian(newValue, at: IPv4Field.identification) }
    }
    /// The flags and fragment offset word.
    @inlinable public var flagsAndFragmentOffset: UInt16 {
        get { bytes.loadBigEndian(at: IPv4Field.flagsAndFragmentOffset) }
        nonmutating set { bytes.storeBigEndian(newValue, at: IPv4Field.flagsAndFragmentOffset) }
    }
    @inlinable public var dontFragment: Bool { flagsAndFragmentOffset & IPv4Field.dontFragmentFlag != 0 }
    @inlinable public var moreFragments: Bool { flagsAndFragmentOffset & IPv4Field.moreFragmentsFlag != 0 }
    /// Fragment offset in 8-byte units.
    @inlinable public var fragmentOffset: UInt16 { flagsAndFragmentOffset & IPv4Field.fragmentOffsetMask }
    /// True for any fragment (MF set or a non-zero offset).
    @inlinable public var isFragment: Bool {
        flagsAndFragmentOffset & (IPv4Field.moreFragmentsFlag | IPv4Field.fragmentOffsetMask) != 0
    }
    /// True for a fragment other than the first (the L4 header is elsewhere).
    @inlinable public var isLaterFragment: Bool { fragmentOffset != 0 }
    @inlinable public var ttl: UInt8 {
        get { bytes[IPv4Field.ttl] }
        nonmutating set { bytes[IPv4Field.ttl] = newValue }
    }
    @inlinable public var `protocol`: IPProtocol {
        get { IPProtocol(rawValue: bytes[IPv4Field.protocol]) }
        nonmutating set { bytes[IPv4Field.protocol] = newValue.rawValue }
    }
    @inlinable public var checksum: UInt16 {
        get { bytes.loadBigEndian(at: IPv4Field.checksum) }
        nonmutating set { bytes.storeBigEndian(newValue, at: IPv4Field.checksum) }
    }
    @inlinable public var source: IPv4Address {
        get { bytes.loadIPv4Address(at: IPv4Field.source) }
        nonmutating set { bytes.storeIPv4Address(newValue, at: IPv4Field.source) }
    }
    @inlinable public var destination: IPv4Address {
        get { bytes.loadIPv4Address(at: IPv4Field.destination) }
        nonmutating set { bytes.storeIPv4Address(newValue, at: IPv4Field.destination) }
    }
    /// The option bytes (0...40) between the fixed header and the payload.
    @inlinable public var options: UnsafeMutableRawBufferPointer {
        bytes.window(IPv4Field.options..<headerLength)
    }
    /// The header and payload, without any bytes past `totalLength`.
    @inlinable public var packet: UnsafeMutableRawBufferPointer {
        bytes.window(0..<Int(totalLength))
    }
    /// The bytes from the end of the header to `totalLength`.
    @inlinable public var payload: UnsafeMutableRawBufferPointer {
        bytes.window(headerLength..<Int(totalLength))
    }

    /// The header checksum the header should carry.
    @inlinable public func computeChecksum() -> UInt16 {
        let header = UnsafeRawBufferPointer(bytes.window(0..<headerLength))
        let whole = InternetChecksum.sum(header)
        // Take the stored field out again: add its complement.
        return InternetChecksum.finish(whole &+ UInt32(~checksum))
    }
    /// True when the header checksum verifies.
    @inlinable public var isChecksumValid: Bool {
        InternetChecksum.sum(UnsafeRawBufferPointer(bytes.window(0..<headerLength))) == 0xffff
    }
    /// Recomputes and stores the header checksum.
    @inlinable public func fillChecksum() {
        checksum = 0
        checksum = InternetChecksum.checksum(UnsafeRawBufferPointer(bytes.window(0..<headerLength)))
    }

    /// The partial sum of the pseudo-header for an upper-layer checksum
    /// over this packet's payload.
    @inlinable public func pseudoHeaderSum() -> UInt32 {
        InternetChecksum.pseudoHeaderSum(source: source, destination: destination,
                                         protocol: self.protocol, length: Int(totalLength) &- headerLength)
    }

    // MARK: Set-field helpers that keep the header checksum right

    /// Sets the TTL and updates the header checksum incrementally.
    @inlinable public func setTTLUpdatingChecksum(_ newValue: UInt8) {
        checksum = InternetChecksum.update(checksum, replacingByte: ttl, with: newValue, atEvenOffset: true)
        ttl = newValue
    }
    /// Sets the TOS byte and updates the header checksum incrementally.
    @inlinable public func setTypeOfServiceUpdatingChecksum(_ newValue: UInt8) {
        checksum = InternetChecksum.update(checksum, replacingByte: typeOfService, with: newValue, atEvenOffset: false)
        typeOfService = newValue
    }
    /// Sets the source and updates the header checksum incrementally (not
    /// the upper layer's: see `InternetChecksum.update(_:replacing:with:)`).
    @inlinable public func setSourceUpdatingChecksum(_ newValue: IPv4Address) {
        checksum = InternetChecksum.update(checksum, replacing: source, with: newValue)
        source = newValue
    }
    /// Sets the destination and updates the header checksum incrementally.
    @inlinable public func setDestinationUpdatingChecksum(_ newValue: IPv4Address) {
        checksum = InternetChecksum.update(checksum, replacing: destination, with: newValue)
        destination = newValue
    }
}

/// An IPv4 header as an owned, host-order value.
///
/// It keeps no checksum: `emit(into:)` computes it (it covers the header
/// alone); `IPv4View.isChecksumValid` judges a received one.
public struct IPv4Header: Hashable, Sendable {
    public var typeOfService: UInt8
    /// Header plus payload, in bytes.
    public var totalLength: UInt16
    public var identification: UInt16
    public var dontFragment: Bool
    public var moreFragments: Bool
    /// Fragment offset in 8-byte units (13 bits).
    public var fragmentOffset: UInt16
    public var ttl: UInt8
    public var `protocol`: IPProtocol
    public var source: IPv4Address
    public var destination: IPv4Address
    /// Raw option bytes: a multiple of 4, at most 40.
    public var options: [UInt8]

    public init(source: IPv4Address, destination: IPv4Address, protocol: IPProtocol,
                totalLength: UInt16 = 20, ttl: UInt8 = 64, typeOfService: UInt8 = 0,
                identification: UInt16 = 0, dontFragment: Bool = false, moreFragments: Bool = false,
                fragmentOffset: UInt16 = 0, options: [UInt8] = []) {
        self.typeOfService = typeOfService
        self.totalLength = totalLength
        self.identification = identification
        self.dontFragment = dontFragment
        self.moreFragments = moreFragments
        self.fragmentOffset = fragmentOffset & IPv4Field.fragmentOffsetMask
        self.ttl = ttl
        self.protocol = `protocol`
        self.source = source
        self.destination = destination
        self.options = options
    }

    public init(_ view: IPv4View) {
        typeOfService = view.typeOfService
        totalLength = view.totalLength
        identification = view.identification
        dontFragment = view.dontFragment
        moreFragments = view.moreFragments
        fragmentOffset = view.fragmentOffset
        ttl = view.ttl
        self.protocol = view.protocol
        source = view.source
        destination = view.destination
        options = Array(view.options)
    }

    /// Parses the header at the start of `bytes` (see `IPv4View` for errors).
    /// The checksum is not judged.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try IPv4View(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    /// 20 plus the options.
    public var headerLength: Int { IPv4Field.minimumLength + options.count }

    /// Writes the header, with its checksum, at the start of `bytes`.
    /// `.truncated` if `bytes` is shorter than the header; `.malformed` when
    /// the options are not a multiple of 4 or over 40 bytes, or
    /// `totalLength` is under the header length.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard options.count % 4 == 0, options.count <= 40, Int(totalLength) >= headerLength else {
            throw .malformed
        }
        guard bytes.count >= headerLength else { throw .truncated }
        bytes[0] = 0x40 | UInt8(headerLength / 4)
        bytes[IPv4Field.typeOfService] = typeOfService
        bytes.storeBigEndian(totalLength, at: IPv4Field.totalLength)
        bytes.storeBigEndian(identification, at: IPv4Field.identification)
        let flags = (dontFragment ? IPv4Field.dontFragmentFlag : 0) | (moreFragments ? IPv4Field.moreFragmentsFlag : 0)
        bytes.storeBigEndian(flags | fragmentOffset & IPv4Field.fragmentOffsetMask,
                             at: IPv4Field.flagsAndFragmentOffset)
        bytes[IPv4Field.ttl] = ttl
        bytes[IPv4Field.protocol] = self.protocol.rawValue
        bytes.storeBigEndian(UInt16(0), at: IPv4Field.checksum)
        bytes.storeIPv4Address(source, at: IPv4Field.source)
        bytes.storeIPv4Address(destination, at: IPv4Field.destination)
        for (i, o) in options.enumerated() { bytes[IPv4Field.options + i] = o }
        let sum = InternetChecksum.checksum(UnsafeRawBufferPointer(bytes.window(0..<headerLength)))
        bytes.storeBigEndian(sum, at: IPv4Field.checksum)
    }
}
