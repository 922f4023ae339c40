/// ICMPv6 (RFC 4443) and neighbour discovery (RFC 4861).

/// An ICMPv6 message type.
public struct ICMPv6Type: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let destinationUnreachable = ICMPv6Type(rawValue: 1)
    public static let packetTooBig = ICMPv6Type(rawValue: 2)
    public static let timeExceeded = ICMPv6Type(rawValue: 3)
    public static let parameterProblem = ICMPv6Type(rawValue: 4)
    public static let echoRequest = ICMPv6Type(rawValue: 128)
    public static let echoReply = ICMPv6Type(rawValue: 129)
    public static let multicastListenerQuery = ICMPv6Type(rawValue: 130)
    public static let multicastListenerReport = ICMPv6Type(rawValue: 131)
    public static let multicastListenerDone = ICMPv6Type(rawValue: 132)
    public static let routerSolicitation = ICMPv6Type(rawValue: 133)
    public static let routerAdvertisement = ICMPv6Type(rawValue: 134)
    public static let neighborSolicitation = ICMPv6Type(rawValue: 135)
    public static let neighborAdvertisement = ICMPv6Type(rawValue: 136)
    public static let redirect = ICMPv6Type(rawValue: 137)
    public static let multicastListenerReportV2 = ICMPv6Type(rawValue: 143)

    /// True for neighbour solicitation and advertisement.
    @inlinable public var isNeighborDiscovery: Bool {
        self == .neighborSolicitation || self == .neighborAdvertisement
    }
}

/// Byte offsets in an ICMPv6 header.
public enum ICMPv6Field {
    @inlinable public static var type: Int { 0 }
    @inlinable public static var code: Int { 1 }
    @inlinable public static var checksum: Int { 2 }
    /// Four type-specific bytes (echo: identifier and sequence; ND: flags).
    @inlinable public static var restOfHeader: Int { 4 }
    @inlinable public static var headerLength: Int { 8 }
    /// Neighbour discovery: the target address and the options after it.
    @inlinable public static var target: Int { 8 }
    @inlinable public static var ndOptions: Int { 24 }
}

/// A non-owning view of the ICMPv6 message that is all of `bytes`.
public struct ICMPv6View: InternetChecksummedView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 8 bytes (header and the type-specific word, as
    /// Open vSwitch pulls them).
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= ICMPv6Field.headerLength else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var type: ICMPv6Type {
        get { ICMPv6Type(rawValue: bytes[ICMPv6Field.type]) }
        nonmutating set { bytes[ICMPv6Field.type] = newValue.rawValue }
    }
    @inlinable public var code: UInt8 {
        get { bytes[ICMPv6Field.code] }
        nonmutating set { bytes[ICMPv6Field.code] = newValue }
    }
    @inlinable public var checksum: UInt16 {
        get { bytes.loadBigEndian(at: ICMPv6Field.checksum) }
        nonmutating set { bytes.storeBigEndian(newValue, at: ICMPv6Field.checksum) }
    }
    @inlinable public var restOfHeader: UInt32 {
        get { bytes.loadBigEndian(at: ICMPv6Field.restOfHeader) }
        nonmutating set { bytes.storeBigEndian(newValue, at: ICMPv6Field.restOfHeader) }
    }
    /// The bytes after the 8-byte header.
    @inlinable public var payload: UnsafeMutableRawBufferPointer { bytes.window(from: ICMPv6Field.headerLength) }

}

/// An ICMPv6 header as an owned value; the checksum is a plain field.
public struct ICMPv6Header: Hashable, Sendable {
    public var type: ICMPv6Type
    public var code: UInt8
    public var checksum: UInt16
    public var restOfHeader: UInt32

    public static let length = ICMPv6Field.headerLength

    public init(type: ICMPv6Type, code: UInt8 = 0, checksum: UInt16 = 0, restOfHeader: UInt32 = 0) {
        self.type = type
        self.code = code
        self.checksum = checksum
        self.restOfHeader = restOfHeader
    }

    /// An echo request or reply.
    public static func echo(request: Bool = true, identifier: UInt16, sequenceNumber: UInt16) -> ICMPv6Header {
        ICMPv6Header(type: request ? .echoRequest : .echoReply,
                     restOfHeader: UInt32(identifier) << 16 | UInt32(sequenceNumber))
    }

    @inlinable public init(_ view: ICMPv6View) {
        type = view.type
        code = view.code
        checksum = view.checksum
        restOfHeader = view.restOfHeader
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try ICMPv6View(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { Self.length }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes[ICMPv6Field.type] = type.rawValue
        bytes[ICMPv6Field.code] = code
        bytes.storeBigEndian(checksum, at: ICMPv6Field.checksum)
        bytes.storeBigEndian(restOfHeader, at: ICMPv6Field.restOfHeader)
    }
}

// MARK: - Neighbour discovery

/// A neighbour discovery option type.
public struct NDOptionType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let sourceLinkLayerAddress = NDOptionType(rawValue: 1)
    public static let targetLinkLayerAddress = NDOptionType(rawValue: 2)
    public static let prefixInformation = NDOptionType(rawValue: 3)
    public static let redirectedHeader = NDOptionType(rawValue: 4)
    public static let mtu = NDOptionType(rawValue: 5)
}

/// The flags word of a neighbour advertisement (Open vSwitch's `nd_reserved`
/// / `rso_flags`); zero in a solicitation.
public struct NDFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let router = NDFlags(rawValue: 0x8000_0000)
    public static let solicited = NDFlags(rawValue: 0x4000_0000)
    public static let override = NDFlags(rawValue: 0x2000_0000)
}

/// A non-owning view of a neighbour solicitation or advertisement: the
/// ICMPv6 message that is all of `bytes`.
public struct NeighborDiscoveryView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 24 bytes (header, flags, target); `.malformed`
    /// unless type 135 or 136 with code 0 (what Open vSwitch parses as ND).
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= ICMPv6Field.headerLength else { throw .truncated }
        guard ICMPv6Type(rawValue: bytes[ICMPv6Field.type]).isNeighborDiscovery, bytes[ICMPv6Field.code] == 0 else {
            throw .malformed
        }
        guard bytes.count >= ICMPv6Field.ndOptions else { throw .truncated }
        self.bytes = bytes
    }

    /// `.neighborSolicitation` or `.neighborAdvertisement`.
    @inlinable public var type: ICMPv6Type { ICMPv6Type(rawValue: bytes[ICMPv6Field.type]) }
    @inlinable public var checksum: UInt16 {
        get { bytes.loadBigEndian(at: ICMPv6Field.checksum) }
        nonmutating set { bytes.storeBigEndian(newValue, at: ICMPv6Field.checksum) }
    }
    @inlinable public var flags: NDFlags {
        get { NDFlags(rawValue: bytes.loadBigEndian(at: ICMPv6Field.restOfHeader)) }
        nonmutating set { bytes.storeBigEndian(newValue.rawValue, at: ICMPv6Field.restOfHeader) }
    }
    @inlinable public var target: IPv6Address {
        get { bytes.loadIPv6Address(at: ICMPv6Field.target) }
        nonmutating set { bytes.storeIPv6Address(newValue, at: ICMPv6Field.target) }
    }
    /// The option bytes after the target.
    @inlinable public var optionBytes: UnsafeMutableRawBufferPointer { bytes.window(from: ICMPv6Field.ndOptions) }
    /// An iterator over the options.
    @inlinable public var options: NDOptionIterator { NDOptionIterator(optionBytes) }
    /// The ICMPv6 view of the same bytes (for checksums).
    @inlinable public var icmpv6: ICMPv6View { ICMPv6View(uncheckedBytes: bytes) }

    /// The first source link-layer address option (8 bytes long), if any.
    public var sourceLinkLayerAddress: EthernetAddress? { firstLinkLayerAddress(.sourceLinkLayerAddress) }
    /// The first target link-layer address option (8 bytes long), if any.
    public var targetLinkLayerAddress: EthernetAddress? { firstLinkLayerAddress(.targetLinkLayerAddress) }

    func firstLinkLayerAddress(_ type: NDOptionType) -> EthernetAddress? {
        var it = options
        while let option = try? it.next() {
            if option.type == type, let address = option.linkLayerAddress { return address }
        }
        return nil
    }
}

extension ICMPv6View {
    @inlinable init(uncheckedBytes bytes: UnsafeMutableRawBufferPointer) { self.bytes = bytes }
}

/// A non-owning view of one neighbour discovery option (type, length in
/// 8-byte units, data); its bytes are exactly the option.
public struct NDOptionView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 2 bytes or under the length given; `.malformed`
    /// for a zero length.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= 2 else { throw .truncated }
        let length = Int(bytes[1]) &* 8
        guard length > 0 else { throw .malformed }
        guard length <= bytes.count else { throw .truncated }
        self.bytes = bytes.window(0..<length)
    }

    @inlinable public var type: NDOptionType { NDOptionType(rawValue: bytes[0]) }
    /// The option's length in bytes.
    @inlinable public var length: Int { bytes.count }
    /// The bytes after type and length.
    @inlinable public var data: UnsafeMutableRawBufferPointer { bytes.window(from: 2) }
    /// The Ethernet address of a link-layer address option of 8 bytes.
    @inlinable public var linkLayerAddress: EthernetAddress? {
        get {
            guard bytes.count == 8,
                  type == .sourceLinkLayerAddress || type == .targetLinkLayerAddress else { return nil }
            return bytes.loadEthernetAddress(at: 2)
        }
        nonmutating set {
            guard let newValue, bytes.count == 8 else { return }
            bytes.storeEthernetAddress(newValue, at: 2)
        }
    }
}

/// Iterates neighbour discovery options.
public struct NDOptionIterator {
    @usableFromInline let bytes: UnsafeMutableRawBufferPointer
    /// Offset of the next option in the option bytes.
    public private(set) var offset = 0

    public init(_ optionBytes: UnsafeMutableRawBufferPointer) { bytes = optionBytes }

    /// The next option, `nil` at the end; `.malformed` for a zero length,
    /// `.truncated` for an option cut short (the walk then stays put).
    public mutating func next() throws(WireError) -> NDOptionView? {
        guard offset < bytes.count else { return nil }
        let option = try NDOptionView(validating: bytes.window(from: offset))
        offset += option.length
        return option
    }
}

/// One neighbour discovery option as an owned value.
public enum NDOption: Hashable, Sendable {
    case sourceLinkLayerAddress(EthernetAddress)
    case targetLinkLayerAddress(EthernetAddress)
    /// Any other option: `2 + data.count` must be a multiple of 8.
    case other(type: NDOptionType, data: [UInt8])

    public init(_ view: NDOptionView) {
        switch (view.type, view.linkLayerAddress) {
        case (.sourceLinkLayerAddress, let address?): self = .sourceLinkLayerAddress(address)
        case (.targetLinkLayerAddress, let address?): self = .targetLinkLayerAddress(address)
        default: self = .other(type: view.type, data: Array(view.data))
        }
    }

    /// The option's length in bytes.
    public var length: Int {
        switch self {
        case .sourceLinkLayerAddress, .targetLinkLayerAddress: 8
        case .other(_, let data): 2 + data.count
        }
    }

    /// Writes the option; `.malformed` for an `.other` whose length is not
    /// a multiple of 8 (or over 2040).
    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard length % 8 == 0, length <= 255 * 8 else { throw .malformed }
        guard bytes.count >= length else { throw .truncated }
        bytes[1] = UInt8(length / 8)
        switch self {
        case .sourceLinkLayerAddress(let a):
            bytes[0] = NDOptionType.sourceLinkLayerAddress.rawValue
            bytes.storeEthernetAddress(a, at: 2)
        case .targetLinkLayerAddress(let a):
            bytes[0] = NDOptionType.targetLinkLayerAddress.rawValue
            bytes.storeEthernetAddress(a, at: 2)
        case .other(let type, let data):
            bytes[0] = type.rawValue
            for (i, b) in data.enumerated() { bytes[2 + i] = b }
        }
    }
}

/// A neighbour solicitation or advertisement as an owned value; the
/// checksum is a plain field (fill it through `ICMPv6View`).
public struct NeighborDiscoveryMessage: Hashable, Sendable {
    /// `.neighborSolicitation` or `.neighborAdvertisement`.
    public var type: ICMPv6Type
    public var checksum: UInt16
    public var flags: NDFlags
    public var target: IPv6Address
    public var options: [NDOption]

    public init(type: ICMPv6Type, target: IPv6Address, flags: NDFlags = [], options: [NDOption] = [],
                checksum: UInt16 = 0) {
        self.type = type
        self.checksum = checksum
        self.flags = flags
        self.target = target
        self.options = options
    }

    /// A solicitation for `target`, with the sender's link-layer address.
    public static func solicitation(target: IPv6Address, source: EthernetAddress?) -> NeighborDiscoveryMessage {
        NeighborDiscoveryMessage(type: .neighborSolicitation, target: target,
                                 options: source.map { [.sourceLinkLayerAddress($0)] } ?? [])
    }

    /// An advertisement for `target`, with its link-layer address.
    public static func advertisement(target: IPv6Address, address: EthernetAddress?,
                                     flags: NDFlags = [.solicited, .override]) -> NeighborDiscoveryMessage {
        NeighborDiscoveryMessage(type: .neighborAdvertisement, target: target, flags: flags,
                                 options: address.map { [.targetLinkLayerAddress($0)] } ?? [])
    }

    /// Reads the message; errors from the option walk propagate.
    public init(_ view: NeighborDiscoveryView) throws(WireError) {
        type = view.type
        checksum = view.checksum
        flags = view.flags
        target = view.target
        options = []
        var it = view.options
        while let option = try it.next() { options.append(NDOption(option)) }
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        try self.init(NeighborDiscoveryView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    /// The whole message's length.
    public var headerLength: Int { ICMPv6Field.ndOptions + options.reduce(0) { $0 + $1.length } }

    /// `.malformed` for a type other than NS/NA or a bad option length.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard type.isNeighborDiscovery else { throw .malformed }
        guard bytes.count >= headerLength else { throw .truncated }
        bytes[ICMPv6Field.type] = type.rawValue
        bytes[ICMPv6Field.code] = 0
        bytes.storeBigEndian(checksum, at: ICMPv6Field.checksum)
        bytes.storeBigEndian(flags.rawValue, at: ICMPv6Field.restOfHeader)
        bytes.storeIPv6Address(target, at: ICMPv6Field.target)
        var offset = ICMPv6Field.ndOptions
        for option in options {
            try option.emit(into: bytes.window(from: offset))
            offset += option.length
        }
    }
}
