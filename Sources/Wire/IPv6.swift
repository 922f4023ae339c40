/// IPv6 (RFC 8200) and its extension headers.

/// Byte offsets in the IPv6 fixed header.
public enum IPv6Field {
    /// Version (4 bits), traffic class (8), flow label (20).
    @inlinable public static var versionClassLabel: Int { 0 }
    @inlinable public static var payloadLength: Int { 4 }
    @inlinable public static var nextHeader: Int { 6 }
    @inlinable public static var hopLimit: Int { 7 }
    @inlinable public static var source: Int { 8 }
    @inlinable public static var destination: Int { 24 }
    @inlinable public static var headerLength: Int { 40 }
}

/// A non-owning view of the IPv6 packet at the start of `bytes`.
///
/// The packet ends at `40 + payloadLength`; bytes after it are outside
/// `packet` and `payload`.
public struct IPv6View {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 40 bytes or fewer than the payload length says;
    /// `.malformed` for a version other than 6.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= IPv6Field.headerLength else { throw .truncated }
        guard bytes[0] >> 4 == 6 else { throw .malformed }
        let payloadLength = Int(bytes.loadBigEndian(at: IPv6Field.payloadLength, as: UInt16.self))
        guard IPv6Field.headerLength &+ payloadLength <= bytes.count else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable var firstWord: UInt32 {
        get { bytes.loadBigEndian(at: IPv6Field.versionClassLabel) }
        nonmutating set { bytes.storeBigEndian(newValue, at: IPv6Field.versionClassLabel) }
    }
    @inlinable public var version: UInt8 { bytes[0] >> 4 }
    /// Traffic class: DSCP (6 bits) and ECN (2 bits).
    @inlinable public var trafficClass: UInt8 {
        get { UInt8(truncatingIfNeeded: firstWord >> 20) }
        nonmutating set { firstWord = firstWord & 0xf00f_ffff | UInt32(newValue) << 20 }
    }
    /// The 20-bit flow label.
    @inlinable public var flowLabel: UInt32 {
        get { firstWord & 0x000f_ffff }
        nonmutating set { firstWord = firstWord & 0xfff0_0000 | newValue & 0x000f_ffff }
    }
    /// Bytes after the fixed header, as validated against `bytes`.
    @inlinable public var payloadLength: UInt16 { bytes.loadBigEndian(at: IPv6Field.payloadLength) }
    @inlinable public var nextHeader: IPProtocol {
        get { IPProtocol(rawValue: bytes[IPv6Field.nextHeader]) }
        nonmutating set { bytes[IPv6Field.nextHeader] = newValue.rawValue }
    }
    @inlinable public var hopLimit: UInt8 {
        get { bytes[IPv6Field.hopLimit] }
        nonmutating set { bytes[IPv6Field.hopLimit] = newValue }
    }
    @inlinable public var source: IPv6Address {
        get { bytes.loadIPv6Address(at: IPv6Field.source) }
        nonmutating set { bytes.storeIPv6Address(newValue, at: IPv6Field.source) }
    }
    @inlinable public var destination: IPv6Address {
        get { bytes.loadIPv6Address(at: IPv6Field.destination) }
        nonmutating set { bytes.storeIPv6Address(newValue, at: IPv6Field.destination) }
    }
    /// The fixed header and payload.
    @inlinable public var packet: UnsafeMutableRawBufferPointer {
        bytes.window(0..<IPv6Field.headerLength &+ Int(payloadLength))
    }
    /// Everything after the fixed header: extension headers, then upper layer.
    @inlinable public var payload: UnsafeMutableRawBufferPointer {
        bytes.window(IPv6Field.headerLength..<IPv6Field.headerLength &+ Int(payloadLength))
    }

    /// An iterator over the extension headers, starting at `nextHeader`.
    public var extensionHeaders: IPv6ExtensionHeaderIterator {
        IPv6ExtensionHeaderIterator(nextHeader: nextHeader, bytes: payload)
    }

    /// Walks the extension headers to the upper layer as Open vSwitch's
    /// `parse_ipv6_ext_hdrs` does; `.truncated` when an extension header
    /// runs past the payload.
    public func upperLayer() throws(WireError) -> IPv6UpperLayer {
        var walk = extensionHeaders
        var fragment: IPv6FragmentHeader?
        while let header = try walk.next() {
            if header.kind == .ipv6Fragment {
                fragment = IPv6FragmentHeader(IPv6FragmentView(unchecked: header.bytes))
            }
        }
        let isLater = fragment.map { $0.fragmentOffset != 0 } ?? false
        return IPv6UpperLayer(protocol: isLater ? .ipv6Fragment : walk.nextHeader,
                              offset: IPv6Field.headerLength &+ walk.offset, fragment: fragment)
    }

    /// The partial sum of the pseudo-header for an upper-layer checksum over
    /// `length` bytes of `nextHeader` (destination from this header: a
    /// routing header's final destination is not looked up).
    @inlinable public func pseudoHeaderSum(nextHeader: IPProtocol, length: Int) -> UInt32 {
        InternetChecksum.pseudoHeaderSum(source: source, destination: destination,
                                         nextHeader: nextHeader, length: length)
    }
}

/// Where the upper-layer header of an IPv6 packet is.
public struct IPv6UpperLayer: Hashable, Sendable {
    /// The upper-layer protocol, or `.ipv6Fragment` for a fragment other
    /// than the first (Open vSwitch's convention), or an extension header
    /// the walk does not know (ESP, No Next Header...).
    public var `protocol`: IPProtocol
    /// Offset of the upper-layer header from the start of the IPv6 header.
    public var offset: Int
    /// The fragment header, if the packet had one.
    public var fragment: IPv6FragmentHeader?

    public init(protocol: IPProtocol, offset: Int, fragment: IPv6FragmentHeader?) {
        self.protocol = `protocol`
        self.offset = offset
        self.fragment = fragment
    }
    /// True when a fragment header was present.
    public var isFragment: Bool { fragment != nil }
    /// True for a fragment other than the first.
    public var isLaterFragment: Bool { (fragment?.fragmentOffset ?? 0) != 0 }
}

/// An IPv6 header as an owned, host-order value.
public struct IPv6Header: Hashable, Sendable {
    public var trafficClass: UInt8
    /// 20 bits.
    public var flowLabel: UInt32
    public var payloadLength: UInt16
    public var nextHeader: IPProtocol
    public var hopLimit: UInt8
    public var source: IPv6Address
    public var destination: IPv6Address

    public static let length = IPv6Field.headerLength

    public init(source: IPv6Address, destination: IPv6Address, nextHeader: IPProtocol,
                payloadLength: UInt16 = 0, hopLimit: UInt8 = 64, trafficClass: UInt8 = 0, flowLabel: UInt32 = 0) {
        self.trafficClass = trafficClass
        self.flowLabel = flowLabel & 0xf_ffff
        self.payloadLength = payloadLength
        self.nextHeader = nextHeader
        self.hopLimit = hopLimit
        self.source = source
        self.destination = destination
    }

    @inlinable public init(_ view: IPv6View) {
        trafficClass = view.trafficClass
        flowLabel = view.flowLabel
        payloadLength = view.payloadLength
        nextHeader = view.nextHeader
        hopLimit = view.hopLimit
        source = view.source
        destination = view.destination
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try IPv6View(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { Self.length }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes.storeBigEndian(0x6000_0000 | UInt32(trafficClass) << 20 | flowLabel & 0xf_ffff,
                             at: IPv6Field.versionClassLabel)
        bytes.storeBigEndian(payloadLength, at: IPv6Field.payloadLength)
        bytes[IPv6Field.nextHeader] = nextHeader.rawValue
        bytes[IPv6Field.hopLimit] = hopLimit
        bytes.storeIPv6Address(source, at: IPv6Field.source)
        bytes.storeIPv6Address(destination, at: IPv6Field.destination)
    }
}

// MARK: - Extension headers

/// Byte offsets shared by the hop-by-hop, routing and destination options
/// headers.
public enum IPv6ExtensionField {
    @inlinable public static var nextHeader: Int { 0 }
    /// Length in 8-byte units, not counting the first 8 bytes.
    @inlinable public static var headerExtensionLength: Int { 1 }
    /// Options (hop-by-hop, destination options) start here.
    @inlinable public static var options: Int { 2 }
    /// Routing header: routing type and segments left.
    @inlinable public static var routingType: Int { 2 }
    @inlinable public static var segmentsLeft: Int { 3 }
    /// Routing header: type-specific data starts here.
    @inlinable public static var routingData: Int { 4 }
    @inlinable public static var minimumLength: Int { 8 }
}

/// A non-owning view of a hop-by-hop, routing or destination options header
/// (the generic `ip6_ext` layout) at the start of `bytes`.
public struct IPv6ExtensionHeaderView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 8 bytes or under the length the header gives.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= IPv6ExtensionField.minimumLength else { throw .truncated }
        guard (Int(bytes[IPv6ExtensionField.headerExtensionLength]) &+ 1) &* 8 <= bytes.count else {
            throw .truncated
        }
        self.bytes = bytes
    }

    @inlinable public var nextHeader: IPProtocol {
        get { IPProtocol(rawValue: bytes[IPv6ExtensionField.nextHeader]) }
        nonmutating set { bytes[IPv6ExtensionField.nextHeader] = newValue.rawValue }
    }
    /// The whole header's length in bytes: `(hdr ext len + 1) * 8`.
    @inlinable public var headerLength: Int {
        (Int(bytes[IPv6ExtensionField.headerExtensionLength]) &+ 1) &* 8
    }
    /// Hop-by-hop and destination options: the option TLVs.
    @inlinable public var options: UnsafeMutableRawBufferPointer {
        bytes.window(IPv6ExtensionField.options..<headerLength)
    }
    /// Routing header: the routing type.
    @inlinable public var routingType: UInt8 {
        get { bytes[IPv6ExtensionField.routingType] }
        nonmutating set { bytes[IPv6ExtensionField.routingType] = newValue }
    }
    /// Routing header: segments left.
    @inlinable public var segmentsLeft: UInt8 {
        get { bytes[IPv6ExtensionField.segmentsLeft] }
        nonmutating set { bytes[IPv6ExtensionField.segmentsLeft] = newValue }
    }
    /// Routing header: the type-specific data.
    @inlinable public var routingData: UnsafeMutableRawBufferPointer {
        bytes.window(IPv6ExtensionField.routingData..<headerLength)
    }
    @inlinable public var payload: UnsafeMutableRawBufferPointer { bytes.window(from: headerLength) }
}

/// A hop-by-hop or destination options header as an owned value.
public struct IPv6OptionsHeader: Hashable, Sendable {
    public var nextHeader: IPProtocol
    /// The option TLVs with their padding: `2 + options.count` must be a
    /// multiple of 8 (at most 2048).
    public var options: [UInt8]

    /// Builds a header whose options are padded with a Pad1 or PadN option.
    public init(nextHeader: IPProtocol, paddingOptions options: [UInt8]) {
        var padded = options
        let pad = (8 - (2 + options.count) % 8) % 8
        if pad == 1 { padded.append(0) }
        if pad >= 2 { padded += [1, UInt8(pad - 2)] + [UInt8](repeating: 0, count: pad - 2) }
        self.init(nextHeader: nextHeader, options: padded)
    }

    /// Builds a header from options already padded.
    public init(nextHeader: IPProtocol, options: [UInt8]) {
        self.nextHeader = nextHeader
        self.options = options
    }

    public init(_ view: IPv6ExtensionHeaderView) {
        nextHeader = view.nextHeader
        options = Array(view.options)
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try IPv6ExtensionHeaderView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { 2 + options.count }

    /// `.malformed` when the length is not a multiple of 8 or over 2048.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard headerLength % 8 == 0, headerLength <= 2048 else { throw .malformed }
        guard bytes.count >= headerLength else { throw .truncated }
        bytes[0] = nextHeader.rawValue
        bytes[1] = UInt8(headerLength / 8 - 1)
        for (i, o) in options.enumerated() { bytes[2 + i] = o }
    }
}

/// A routing header as an owned value.
public struct IPv6RoutingHeader: Hashable, Sendable {
    public var nextHeader: IPProtocol
    public var routingType: UInt8
    public var segmentsLeft: UInt8
    /// Type-specific data: `4 + data.count` must be a multiple of 8.
    public var data: [UInt8]

    public init(nextHeader: IPProtocol, routingType: UInt8, segmentsLeft: UInt8, data: [UInt8] = [0, 0, 0, 0]) {
        self.nextHeader = nextHeader
        self.routingType = routingType
        self.segmentsLeft = segmentsLeft
        self.data = data
    }

    public init(_ view: IPv6ExtensionHeaderView) {
        nextHeader = view.nextHeader
        routingType = view.routingType
        segmentsLeft = view.segmentsLeft
        data = Array(view.routingData)
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try IPv6ExtensionHeaderView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { 4 + data.count }

    /// The destination an upper-layer pseudo-header uses (RFC 8200 section
    /// 8.1) when segments are left: the last address of a type 0 or 2
    /// header, Segment List[0] of a segment routing header (type 4); `nil`
    /// otherwise.
    public var finalDestination: IPv6Address? {
        guard segmentsLeft > 0 else { return nil }
        switch routingType {
        case 0, 2:
            guard data.count >= 20 else { return nil }
            return IPv6Address(octets: data[(data.count - 16)...])
        case 4:
            guard data.count >= 20 else { return nil }
            return IPv6Address(octets: data[4..<20])
        default:
            return nil
        }
    }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard headerLength % 8 == 0, headerLength <= 2048 else { throw .malformed }
        guard bytes.count >= headerLength else { throw .truncated }
        bytes[0] = nextHeader.rawValue
        bytes[1] = UInt8(headerLength / 8 - 1)
        bytes[2] = routingType
        bytes[3] = segmentsLeft
        for (i, o) in data.enumerated() { bytes[4 + i] = o }
    }
}

/// One option of a hop-by-hop or destination options header.
public struct IPv6Option: Hashable, Sendable {
    /// The option type (0 is Pad1, 1 is PadN).
    public var type: UInt8
    /// The option data (empty for Pad1).
    public var data: [UInt8]
    public init(type: UInt8, data: [UInt8]) { self.type = type; self.data = data }
}

/// Iterates the TLVs of a hop-by-hop or destination options area.
public struct IPv6OptionIterator: IteratorProtocol {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var offset = 0

    public init(_ options: UnsafeRawBufferPointer) { bytes = options }

    /// The next option, `nil` at the end or at an option that runs past it.
    public mutating func next() -> IPv6Option? {
        guard offset < bytes.count else { return nil }
        let type = bytes[offset]
        if type == 0 {
            offset += 1
            return IPv6Option(type: 0, data: [])
        }
        guard bytes.count - offset >= 2 else { offset = bytes.count; return nil }
        let length = Int(bytes[offset + 1])
        guard bytes.count - offset - 2 >= length else { offset = bytes.count; return nil }
        let data = Array(bytes[offset + 2 ..< offset + 2 + length])
        offset += 2 + length
        return IPv6Option(type: type, data: data)
    }
}

/// Byte offsets in the IPv6 fragment header.
public enum IPv6FragmentField {
    @inlinable public static var nextHeader: Int { 0 }
    @inlinable public static var reserved: Int { 1 }
    /// Offset (13 bits, 8-byte units), 2 reserved bits, M flag.
    @inlinable public static var offsetAndFlags: Int { 2 }
    @inlinable public static var identification: Int { 4 }
    @inlinable public static var headerLength: Int { 8 }
}

/// A non-owning view of an IPv6 fragment header at the start of `bytes`.
public struct IPv6FragmentView {
    public let bytes: UnsafeMutableRawBufferPointer

    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= IPv6FragmentField.headerLength else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable init(unchecked bytes: UnsafeMutableRawBufferPointer) { self.bytes = bytes }

    @inlinable public var nextHeader: IPProtocol {
        get { IPProtocol(rawValue: bytes[IPv6FragmentField.nextHeader]) }
        nonmutating set { bytes[IPv6FragmentField.nextHeader] = newValue.rawValue }
    }
    @inlinable public var offsetAndFlags: UInt16 {
        get { bytes.loadBigEndian(at: IPv6FragmentField.offsetAndFlags) }
        nonmutating set { bytes.storeBigEndian(newValue, at: IPv6FragmentField.offsetAndFlags) }
    }
    /// Fragment offset in 8-byte units.
    @inlinable public var fragmentOffset: UInt16 { offsetAndFlags >> 3 }
    @inlinable public var moreFragments: Bool { offsetAndFlags & 1 != 0 }
    @inlinable public var identification: UInt32 {
        get { bytes.loadBigEndian(at: IPv6FragmentField.identification) }
        nonmutating set { bytes.storeBigEndian(newValue, at: IPv6FragmentField.identification) }
    }
    @inlinable public var payload: UnsafeMutableRawBufferPointer {
        bytes.window(from: IPv6FragmentField.headerLength)
    }
}

/// An IPv6 fragment header as an owned value.
public struct IPv6FragmentHeader: Hashable, Sendable {
    public var nextHeader: IPProtocol
    /// Fragment offset in 8-byte units (13 bits).
    public var fragmentOffset: UInt16
    public var moreFragments: Bool
    public var identification: UInt32

    public static let length = IPv6FragmentField.headerLength

    public init(nextHeader: IPProtocol, fragmentOffset: UInt16 = 0, moreFragments: Bool = false, identification: UInt32) {
        self.nextHeader = nextHeader
        self.fragmentOffset = fragmentOffset & 0x1fff
        self.moreFragments = moreFragments
        self.identification = identification
    }

    @inlinable public init(_ view: IPv6FragmentView) {
        nextHeader = view.nextHeader
        fragmentOffset = view.fragmentOffset
        moreFragments = view.moreFragments
        identification = view.identification
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try IPv6FragmentView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { Self.length }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes[0] = nextHeader.rawValue
        bytes[1] = 0
        bytes.storeBigEndian((fragmentOffset & 0x1fff) << 3 | (moreFragments ? 1 : 0),
                             at: IPv6FragmentField.offsetAndFlags)
        bytes.storeBigEndian(identification, at: IPv6FragmentField.identification)
    }
}

/// One extension header met by `IPv6ExtensionHeaderIterator`.
public struct IPv6ExtensionHeaderSlice {
    /// Which header this is (the previous header's next-header value).
    public var kind: IPProtocol
    /// The header's bytes, exactly its length.
    public var bytes: UnsafeMutableRawBufferPointer
    /// The header's own next-header field.
    public var nextHeader: IPProtocol
}

/// Walks an IPv6 extension header chain: hop-by-hop, routing, destination
/// options (`(len + 1) * 8` bytes), AH (`(len + 2) * 4`) and fragment (8).
///
/// Stops at the first other protocol, or after a fragment header whose
/// offset is not zero (what follows is not a header).
public struct IPv6ExtensionHeaderIterator {
    @usableFromInline let bytes: UnsafeMutableRawBufferPointer
    /// The protocol of what follows the headers returned so far.
    public private(set) var nextHeader: IPProtocol
    /// Offset (in the bytes given) of what follows the headers returned so far.
    public private(set) var offset = 0
    @usableFromInline var stopped = false

    /// Starts at `bytes`, the IPv6 payload, whose first header is `nextHeader`.
    public init(nextHeader: IPProtocol, bytes: UnsafeMutableRawBufferPointer) {
        self.nextHeader = nextHeader
        self.bytes = bytes
    }

    /// The next extension header, `nil` once the upper layer is reached;
    /// `.truncated` if a header is cut short (the walk then stays put).
    public mutating func next() throws(WireError) -> IPv6ExtensionHeaderSlice? {
        guard !stopped, nextHeader.isIPv6ExtensionHeader else { return nil }
        let remaining = bytes.count - offset
        guard remaining >= 8 else { throw .truncated }
        let length: Int
        switch nextHeader {
        case .ipv6Fragment: length = IPv6FragmentField.headerLength
        case .ah: length = (Int(bytes[offset + 1]) + 2) * 4
        default: length = (Int(bytes[offset + 1]) + 1) * 8
        }
        guard length <= remaining else { throw .truncated }
        let slice = IPv6ExtensionHeaderSlice(kind: nextHeader, bytes: bytes.window(offset..<offset + length),
                                             nextHeader: IPProtocol(rawValue: bytes[offset]))
        if nextHeader == .ipv6Fragment,
           IPv6FragmentView(unchecked: slice.bytes).fragmentOffset != 0 {
            stopped = true
        }
        nextHeader = slice.nextHeader
        offset += length
        return slice
    }
}
