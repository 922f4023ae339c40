/// Tunnel headers: VXLAN (RFC 7348), Geneve (RFC 8926), GRE (RFC 2784, RFC 2890).

// MARK: - VXLAN

/// Byte offsets in a VXLAN header.
public enum VXLANField {
    @inlinable public static var flags: Int { 0 }
    /// VXLAN-GBP: the group policy ID (reserved in plain VXLAN).
    @inlinable public static var groupPolicyID: Int { 2 }
    /// The 24-bit VNI, then a reserved byte.
    @inlinable public static var vni: Int { 4 }
    @inlinable public static var headerLength: Int { 8 }
    /// The I flag: the VNI is valid.
    @inlinable public static var vniValidFlag: UInt8 { 0x08 }
    /// The G flag of VXLAN-GBP.
    @inlinable public static var groupPolicyFlag: UInt8 { 0x80 }
}

/// A non-owning view of the VXLAN header at the start of `bytes`.
public struct VXLANView {
    public let bytes: UnsafeMutableRawBufferPointer

    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= VXLANField.headerLength else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var flags: UInt8 {
        get { bytes[VXLANField.flags] }
        nonmutating set { bytes[VXLANField.flags] = newValue }
    }
    /// True when the I flag is set.
    @inlinable public var isVNIValid: Bool { flags & VXLANField.vniValidFlag != 0 }
    @inlinable public var groupPolicyID: UInt16 {
        get { bytes.loadBigEndian(at: VXLANField.groupPolicyID) }
        nonmutating set { bytes.storeBigEndian(newValue, at: VXLANField.groupPolicyID) }
    }
    /// The 24-bit VXLAN network identifier.
    @inlinable public var vni: UInt32 {
        get { bytes.loadBigEndian(at: VXLANField.vni, as: UInt32.self) >> 8 }
        nonmutating set {
            bytes.storeBigEndian(newValue << 8 | UInt32(bytes[VXLANField.vni + 3]), at: VXLANField.vni)
        }
    }
    /// True when the header is exactly what Open vSwitch accepts: flags
    /// word `0x08000000` and a zero reserved byte after the VNI.
    @inlinable public var isStandard: Bool {
        bytes.loadBigEndian(at: 0, as: UInt32.self) == 0x0800_0000 && bytes[7] == 0
    }
    /// The encapsulated Ethernet frame.
    @inlinable public var payload: UnsafeMutableRawBufferPointer { bytes.window(from: VXLANField.headerLength) }
}

/// A VXLAN header as an owned value (reserved bytes are written as 0).
public struct VXLANHeader: Hashable, Sendable {
    public var flags: UInt8
    /// VXLAN-GBP group policy ID (0 for plain VXLAN).
    public var groupPolicyID: UInt16
    /// 24 bits.
    public var vni: UInt32

    public static let length = VXLANField.headerLength

    public init(vni: UInt32, flags: UInt8 = VXLANField.vniValidFlag, groupPolicyID: UInt16 = 0) {
        self.flags = flags
        self.groupPolicyID = groupPolicyID
        self.vni = vni & 0xff_ffff
    }

    @inlinable public init(_ view: VXLANView) {
        flags = view.flags
        groupPolicyID = view.groupPolicyID
        vni = view.vni
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try VXLANView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { Self.length }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes[0] = flags
        bytes[1] = 0
        bytes.storeBigEndian(groupPolicyID, at: VXLANField.groupPolicyID)
        bytes.storeBigEndian((vni & 0xff_ffff) << 8, at: VXLANField.vni)
    }
}

// MARK: - Geneve

/// Byte offsets in a Geneve header.
public enum GeneveField {
    /// Version (2 bits) and options length in 4-byte words (6 bits).
    @inlinable public static var versionAndOptionsLength: Int { 0 }
    /// O (OAM) and C (critical options present) flags, 6 reserved bits.
    @inlinable public static var flags: Int { 1 }
    @inlinable public static var protocolType: Int { 2 }
    /// The 24-bit VNI, then a reserved byte.
    @inlinable public static var vni: Int { 4 }
    @inlinable public static var options: Int { 8 }
    @inlinable public static var minimumLength: Int { 8 }
    @inlinable public static var oamFlag: UInt8 { 0x80 }
    @inlinable public static var criticalFlag: UInt8 { 0x40 }
    /// In an option's type: the critical bit.
    @inlinable public static var optionCriticalType: UInt8 { 0x80 }
}

/// A non-owning view of the Geneve header (with options) at the start of `bytes`.
public struct GeneveView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 8 bytes or under the options length;
    /// `.malformed` for a version other than 0.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= GeneveField.minimumLength else { throw .truncated }
        guard bytes[0] >> 6 == 0 else { throw .malformed }
        guard GeneveField.minimumLength &+ Int(bytes[0] & 0x3f) &* 4 <= bytes.count else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var version: UInt8 { bytes[0] >> 6 }
    /// The options' length in bytes.
    @inlinable public var optionsLength: Int { Int(bytes[0] & 0x3f) &* 4 }
    /// 8 plus the options.
    @inlinable public var headerLength: Int { GeneveField.minimumLength &+ optionsLength }
    @inlinable public var isOAM: Bool {
        get { bytes[GeneveField.flags] & GeneveField.oamFlag != 0 }
        nonmutating set {
            bytes[GeneveField.flags] = newValue ? bytes[GeneveField.flags] | GeneveField.oamFlag
                : bytes[GeneveField.flags] & ~GeneveField.oamFlag
        }
    }
    @inlinable public var hasCriticalOptions: Bool {
        get { bytes[GeneveField.flags] & GeneveField.criticalFlag != 0 }
        nonmutating set {
            bytes[GeneveField.flags] = newValue ? bytes[GeneveField.flags] | GeneveField.criticalFlag
                : bytes[GeneveField.flags] & ~GeneveField.criticalFlag
        }
    }
    @inlinable public var protocolType: EtherType {
        get { EtherType(rawValue: bytes.loadBigEndian(at: GeneveField.protocolType)) }
        nonmutating set { bytes.storeBigEndian(newValue.rawValue, at: GeneveField.protocolType) }
    }
    /// The 24-bit virtual network identifier.
    @inlinable public var vni: UInt32 {
        get { bytes.loadBigEndian(at: GeneveField.vni, as: UInt32.self) >> 8 }
        nonmutating set {
            bytes.storeBigEndian(newValue << 8 | UInt32(bytes[GeneveField.vni + 3]), at: GeneveField.vni)
        }
    }
    @inlinable public var optionBytes: UnsafeMutableRawBufferPointer {
        bytes.window(GeneveField.options..<headerLength)
    }
    @inlinable public var options: GeneveOptionIterator { GeneveOptionIterator(optionBytes) }
    @inlinable public var payload: UnsafeMutableRawBufferPointer { bytes.window(from: headerLength) }
}

/// A non-owning view of one Geneve option; its bytes are exactly the option.
public struct GeneveOptionView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 4 bytes or under the length given.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= 4 else { throw .truncated }
        let length = 4 &+ Int(bytes[3] & 0x1f) &* 4
        guard length <= bytes.count else { throw .truncated }
        self.bytes = bytes.window(0..<length)
    }

    @inlinable public var optionClass: UInt16 {
        get { bytes.loadBigEndian(at: 0) }
        nonmutating set { bytes.storeBigEndian(newValue, at: 0) }
    }
    /// The type; its high bit marks a critical option.
    @inlinable public var type: UInt8 {
        get { bytes[2] }
        nonmutating set { bytes[2] = newValue }
    }
    @inlinable public var isCritical: Bool { type & GeneveField.optionCriticalType != 0 }
    /// The option's data (a multiple of 4 bytes).
    @inlinable public var data: UnsafeMutableRawBufferPointer { bytes.window(from: 4) }
    /// The option's whole length in bytes.
    @inlinable public var length: Int { bytes.count }
}

/// Iterates Geneve options.
public struct GeneveOptionIterator {
    @usableFromInline let bytes: UnsafeMutableRawBufferPointer
    @usableFromInline var offset = 0

    @inlinable public init(_ optionBytes: UnsafeMutableRawBufferPointer) { bytes = optionBytes }

    /// The next option, `nil` at the end of the options; `.malformed` when
    /// an option runs past the options length the header gave.
    public mutating func next() throws(WireError) -> GeneveOptionView? {
        guard offset < bytes.count else { return nil }
        let option: GeneveOptionView
        do { option = try GeneveOptionView(validating: bytes.window(from: offset)) } catch { throw .malformed }
        offset += option.length
        return option
    }
}

/// One Geneve option as an owned value.
public struct GeneveOption: Hashable, Sendable {
    public var optionClass: UInt16
    /// The type; its high bit marks a critical option.
    public var type: UInt8
    /// A multiple of 4 bytes, at most 124.
    public var data: [UInt8]

    public init(optionClass: UInt16, type: UInt8, data: [UInt8]) {
        self.optionClass = optionClass
        self.type = type
        self.data = data
    }

    public init(_ view: GeneveOptionView) {
        optionClass = view.optionClass
        type = view.type
        data = Array(view.data)
    }

    public var length: Int { 4 + data.count }
}

/// A Geneve header as an owned value.
public struct GeneveHeader: Hashable, Sendable {
    public var isOAM: Bool
    public var hasCriticalOptions: Bool
    public var protocolType: EtherType
    /// 24 bits.
    public var vni: UInt32
    public var options: [GeneveOption]

    public init(vni: UInt32, protocolType: EtherType = .transparentEthernet, options: [GeneveOption] = [],
                isOAM: Bool = false, hasCriticalOptions: Bool? = nil) {
        self.isOAM = isOAM
        self.hasCriticalOptions = hasCriticalOptions ?? options.contains { $0.type & GeneveField.optionCriticalType != 0 }
        self.protocolType = protocolType
        self.vni = vni & 0xff_ffff
        self.options = options
    }

    /// Reads the header; errors from the option walk propagate.
    public init(_ view: GeneveView) throws(WireError) {
        isOAM = view.isOAM
        hasCriticalOptions = view.hasCriticalOptions
        protocolType = view.protocolType
        vni = view.vni
        options = []
        var it = view.options
        while let option = try it.next() { options.append(GeneveOption(option)) }
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        try self.init(GeneveView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { GeneveField.minimumLength + options.reduce(0) { $0 + $1.length } }

    /// `.malformed` when an option's data is not a multiple of 4 or over
    /// 124 bytes, or the options exceed 252 bytes.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        let optionsLength = headerLength - GeneveField.minimumLength
        guard optionsLength <= 63 * 4,
              options.allSatisfy({ $0.data.count % 4 == 0 && $0.data.count <= 31 * 4 }) else { throw .malformed }
        guard bytes.count >= headerLength else { throw .truncated }
        bytes[0] = UInt8(optionsLength / 4)
        bytes[1] = (isOAM ? GeneveField.oamFlag : 0) | (hasCriticalOptions ? GeneveField.criticalFlag : 0)
        bytes.storeBigEndian(protocolType.rawValue, at: GeneveField.protocolType)
        bytes.storeBigEndian((vni & 0xff_ffff) << 8, at: GeneveField.vni)
        var offset = GeneveField.options
        for o in options {
            bytes.storeBigEndian(o.optionClass, at: offset)
            bytes[offset + 2] = o.type
            bytes[offset + 3] = UInt8(o.data.count / 4)
            for (i, b) in o.data.enumerated() { bytes[offset + 4 + i] = b }
            offset += o.length
        }
    }
}

// MARK: - GRE

/// Byte offsets and flags of a GRE header.
public enum GREField {
    /// Flags (C R K S, ...) and version (low 3 bits).
    @inlinable public static var flagsAndVersion: Int { 0 }
    @inlinable public static var protocolType: Int { 2 }
    /// Optional fields start here, in the order checksum, key, sequence.
    @inlinable public static var optional: Int { 4 }
    @inlinable public static var minimumLength: Int { 4 }
    @inlinable public static var checksumFlag: UInt16 { 0x8000 }
    @inlinable public static var routingFlag: UInt16 { 0x4000 }
    @inlinable public static var keyFlag: UInt16 { 0x2000 }
    @inlinable public static var sequenceFlag: UInt16 { 0x1000 }
    @inlinable public static var versionMask: UInt16 { 0x0007 }
}

/// A non-owning view of the GRE header at the start of `bytes`.
public struct GREView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 4 bytes or under the length the flags imply;
    /// `.malformed` for a version other than 0 or the routing flag (what
    /// Open vSwitch's `parse_gre_header` refuses).
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= GREField.minimumLength else { throw .truncated }
        let flags: UInt16 = bytes.loadBigEndian(at: GREField.flagsAndVersion)
        guard flags & (GREField.versionMask | GREField.routingFlag) == 0 else { throw .malformed }
        guard Self.headerLength(flags: flags) <= bytes.count else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable static func headerLength(flags: UInt16) -> Int {
        4 &+ (flags & GREField.checksumFlag != 0 ? 4 : 0) &+ (flags & GREField.keyFlag != 0 ? 4 : 0)
            &+ (flags & GREField.sequenceFlag != 0 ? 4 : 0)
    }

    @inlinable public var flags: UInt16 { bytes.loadBigEndian(at: GREField.flagsAndVersion) }
    @inlinable public var hasChecksum: Bool { flags & GREField.checksumFlag != 0 }
    @inlinable public var hasKey: Bool { flags & GREField.keyFlag != 0 }
    @inlinable public var hasSequenceNumber: Bool { flags & GREField.sequenceFlag != 0 }
    /// 4 plus the optional fields present.
    @inlinable public var headerLength: Int { Self.headerLength(flags: flags) }
    @inlinable public var protocolType: EtherType {
        get { EtherType(rawValue: bytes.loadBigEndian(at: GREField.protocolType)) }
        nonmutating set { bytes.storeBigEndian(newValue.rawValue, at: GREField.protocolType) }
    }
    @inlinable var keyOffset: Int { 4 &+ (hasChecksum ? 4 : 0) }
    @inlinable var sequenceOffset: Int { keyOffset &+ (hasKey ? 4 : 0) }

    /// The checksum, when present; setting writes it only if present.
    @inlinable public var checksum: UInt16? {
        get { hasChecksum ? bytes.loadBigEndian(at: GREField.optional) : nil }
        nonmutating set { if let newValue, hasChecksum { bytes.storeBigEndian(newValue, at: GREField.optional) } }
    }
    /// The key, when present; setting writes it only if present.
    @inlinable public var key: UInt32? {
        get { hasKey ? bytes.loadBigEndian(at: keyOffset) : nil }
        nonmutating set { if let newValue, hasKey { bytes.storeBigEndian(newValue, at: keyOffset) } }
    }
    /// The sequence number, when present; setting writes it only if present.
    @inlinable public var sequenceNumber: UInt32? {
        get { hasSequenceNumber ? bytes.loadBigEndian(at: sequenceOffset) : nil }
        nonmutating set { if let newValue, hasSequenceNumber { bytes.storeBigEndian(newValue, at: sequenceOffset) } }
    }
    @inlinable public var payload: UnsafeMutableRawBufferPointer { bytes.window(from: headerLength) }

    /// The checksum over header and payload (all of `bytes`) the header
    /// should carry, if it has a checksum field.
    @inlinable public func computeChecksum() -> UInt16? {
        guard let current = checksum else { return nil }
        return InternetChecksum.finish(InternetChecksum.sum(UnsafeRawBufferPointer(bytes)) &+ UInt32(~current))
    }
    /// True when there is no checksum or it verifies.
    @inlinable public var isChecksumValid: Bool {
        !hasChecksum || InternetChecksum.sum(UnsafeRawBufferPointer(bytes)) == 0xffff
    }
    /// Computes and stores the checksum, if the header has the field.
    @inlinable public func fillChecksum() {
        guard hasChecksum else { return }
        checksum = 0
        checksum = InternetChecksum.checksum(UnsafeRawBufferPointer(bytes))
    }
}

/// A GRE header as an owned value: an optional field is present when not
/// `nil`. The checksum is a plain field (it covers the payload).
public struct GREHeader: Hashable, Sendable {
    public var protocolType: EtherType
    public var checksum: UInt16?
    public var key: UInt32?
    public var sequenceNumber: UInt32?

    public init(protocolType: EtherType, checksum: UInt16? = nil, key: UInt32? = nil, sequenceNumber: UInt32? = nil) {
        self.protocolType = protocolType
        self.checksum = checksum
        self.key = key
        self.sequenceNumber = sequenceNumber
    }

    @inlinable public init(_ view: GREView) {
        protocolType = view.protocolType
        checksum = view.checksum
        key = view.key
        sequenceNumber = view.sequenceNumber
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try GREView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int {
        4 + (checksum != nil ? 4 : 0) + (key != nil ? 4 : 0) + (sequenceNumber != nil ? 4 : 0)
    }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= headerLength else { throw .truncated }
        let flags = (checksum != nil ? GREField.checksumFlag : 0) | (key != nil ? GREField.keyFlag : 0)
            | (sequenceNumber != nil ? GREField.sequenceFlag : 0)
        bytes.storeBigEndian(flags, at: GREField.flagsAndVersion)
        bytes.storeBigEndian(protocolType.rawValue, at: GREField.protocolType)
        var offset = GREField.optional
        if let checksum {
            bytes.storeBigEndian(checksum, at: offset)
            bytes.storeBigEndian(UInt16(0), at: offset + 2)
            offset += 4
        }
        if let key { bytes.storeBigEndian(key, at: offset); offset += 4 }
        if let sequenceNumber { bytes.storeBigEndian(sequenceNumber, at: offset) }
    }
}
