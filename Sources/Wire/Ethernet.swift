/// Ethernet II and IEEE 802.3 framing, with LLC/SNAP as Open vSwitch reads it.

/// Byte offsets in an Ethernet header.
public enum EthernetField {
    @inlinable public static var destination: Int { 0 }
    @inlinable public static var source: Int { 6 }
    /// The EtherType, or the 802.3 length when below `EtherType.minimum`.
    @inlinable public static var etherType: Int { 12 }
    @inlinable public static var headerLength: Int { 14 }
}

/// A non-owning view of the Ethernet header at the start of `bytes`.
///
/// `init(validating:)` is the only way in; after it, no accessor can leave
/// `bytes`. Use the view only inside the scope that lent the bytes.
public struct EthernetView {
    /// The frame: header, then payload.
    public let bytes: UnsafeMutableRawBufferPointer

    /// Checks that `bytes` holds at least a 14-byte header.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= EthernetField.headerLength else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var destination: EthernetAddress {
        get { bytes.loadEthernetAddress(at: EthernetField.destination) }
        nonmutating set { bytes.storeEthernetAddress(newValue, at: EthernetField.destination) }
    }
    @inlinable public var source: EthernetAddress {
        get { bytes.loadEthernetAddress(at: EthernetField.source) }
        nonmutating set { bytes.storeEthernetAddress(newValue, at: EthernetField.source) }
    }
    /// The type/length field as it stands (an 802.3 length if below 0x600).
    @inlinable public var etherType: EtherType {
        get { EtherType(rawValue: bytes.loadBigEndian(at: EthernetField.etherType)) }
        nonmutating set { bytes.storeBigEndian(newValue.rawValue, at: EthernetField.etherType) }
    }
    /// True when the type/length field is an 802.3 length.
    @inlinable public var isIEEE802_3: Bool { etherType.rawValue < EtherType.minimum }
    /// The bytes after the 14-byte header.
    @inlinable public var payload: UnsafeMutableRawBufferPointer {
        bytes.window(from: EthernetField.headerLength)
    }
}

/// An Ethernet header as an owned, host-order value.
public struct EthernetHeader: Hashable, Sendable {
    public var destination: EthernetAddress
    public var source: EthernetAddress
    /// The type/length field (an 802.3 length if below 0x600).
    public var etherType: EtherType

    public static let length = EthernetField.headerLength

    public init(destination: EthernetAddress, source: EthernetAddress, etherType: EtherType) {
        self.destination = destination
        self.source = source
        self.etherType = etherType
    }

    /// Reads the header a validated view shows.
    @inlinable public init(_ view: EthernetView) {
        destination = view.destination
        source = view.source
        etherType = view.etherType
    }

    /// Parses the header at the start of `bytes`.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try EthernetView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    /// The bytes `emit(into:)` writes.
    public var headerLength: Int { Self.length }

    /// Writes the header at the start of `bytes`; nothing past it.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes.storeEthernetAddress(destination, at: EthernetField.destination)
        bytes.storeEthernetAddress(source, at: EthernetField.source)
        bytes.storeBigEndian(etherType.rawValue, at: EthernetField.etherType)
    }
}

// MARK: - LLC and SNAP

/// Byte offsets in an 802.2 LLC header followed by a SNAP header.
public enum LLCSNAPField {
    @inlinable public static var dsap: Int { 0 }
    @inlinable public static var ssap: Int { 1 }
    @inlinable public static var control: Int { 2 }
    /// The 3-byte organisation code (OUI).
    @inlinable public static var organization: Int { 3 }
    @inlinable public static var etherType: Int { 6 }
    @inlinable public static var llcLength: Int { 3 }
    @inlinable public static var headerLength: Int { 8 }
}

/// A non-owning view of an 802.2 LLC header (3 bytes) at the start of
/// `bytes`, optionally followed by SNAP.
public struct LLCView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// The LLC SAP that announces a SNAP header.
    @inlinable public static var snapSAP: UInt8 { 0xaa }
    /// The unnumbered-information control value that SNAP uses.
    @inlinable public static var unnumberedInformation: UInt8 { 0x03 }

    /// Checks that `bytes` holds the 3-byte LLC header.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= LLCSNAPField.llcLength else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var dsap: UInt8 {
        get { bytes[LLCSNAPField.dsap] }
        nonmutating set { bytes[LLCSNAPField.dsap] = newValue }
    }
    @inlinable public var ssap: UInt8 {
        get { bytes[LLCSNAPField.ssap] }
        nonmutating set { bytes[LLCSNAPField.ssap] = newValue }
    }
    @inlinable public var control: UInt8 {
        get { bytes[LLCSNAPField.control] }
        nonmutating set { bytes[LLCSNAPField.control] = newValue }
    }

    /// True when an Ethernet SNAP header (AA-AA-03, OUI 0) follows, as Open
    /// vSwitch's `parse_ethertype` requires before it reads the EtherType.
    @inlinable public var hasEthernetSNAP: Bool {
        bytes.count >= LLCSNAPField.headerLength
            && dsap == Self.snapSAP && ssap == Self.snapSAP && control == Self.unnumberedInformation
            && bytes[3] == 0 && bytes[4] == 0 && bytes[5] == 0
    }

    /// The SNAP organisation code, if the bytes reach that far.
    @inlinable public var organization: UInt32? {
        guard bytes.count >= LLCSNAPField.headerLength else { return nil }
        return UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 8 | UInt32(bytes[5])
    }

    /// The SNAP protocol ID (an EtherType when the organisation is 0), if
    /// the bytes reach that far.
    @inlinable public var snapEtherType: EtherType? {
        guard bytes.count >= LLCSNAPField.headerLength else { return nil }
        return EtherType(rawValue: bytes.loadBigEndian(at: LLCSNAPField.etherType))
    }
}

/// An LLC header with a SNAP header (8 bytes) as an owned value.
public struct LLCSNAPHeader: Hashable, Sendable {
    public var dsap: UInt8
    public var ssap: UInt8
    public var control: UInt8
    /// The 24-bit organisation code; 0 means `etherType` is an EtherType.
    public var organization: UInt32
    public var etherType: EtherType

    public static let length = LLCSNAPField.headerLength

    /// An Ethernet SNAP header (AA-AA-03, OUI 0) carrying `etherType`.
    public init(etherType: EtherType) {
        self.init(dsap: 0xaa, ssap: 0xaa, control: 3, organization: 0, etherType: etherType)
    }

    public init(dsap: UInt8, ssap: UInt8, control: UInt8, organization: UInt32, etherType: EtherType) {
        self.dsap = dsap
        self.ssap = ssap
        self.control = control
        self.organization = organization & 0xff_ffff
        self.etherType = etherType
    }

    /// Parses LLC and SNAP; `.truncated` under 8 bytes, `.malformed` when
    /// the LLC header does not announce SNAP (AA-AA-03).
    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        let view = try LLCView(validating: UnsafeMutableRawBufferPointer(mutating: bytes))
        guard let organization = view.organization, let type = view.snapEtherType else { throw .truncated }
        guard view.dsap == LLCView.snapSAP, view.ssap == LLCView.snapSAP,
              view.control == LLCView.unnumberedInformation else { throw .malformed }
        self.init(dsap: view.dsap, ssap: view.ssap, control: view.control,
                  organization: organization, etherType: type)
    }

    public var headerLength: Int { Self.length }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes[0] = dsap
        bytes[1] = ssap
        bytes[2] = control
        bytes[3] = UInt8(truncatingIfNeeded: organization >> 16)
        bytes[4] = UInt8(truncatingIfNeeded: organization >> 8)
        bytes[5] = UInt8(truncatingIfNeeded: organization)
        bytes.storeBigEndian(etherType.rawValue, at: LLCSNAPField.etherType)
    }
}

// MARK: - 802.1Q / 802.1ad

/// Byte offsets in a VLAN header: the 4 bytes that follow a TPID
/// (Open vSwitch's `struct vlan_header`).
public enum VLANField {
    /// Tag control information: PCP (3 bits), DEI (1), VID (12).
    @inlinable public static var tci: Int { 0 }
    /// The EtherType of what the tag encloses.
    @inlinable public static var etherType: Int { 2 }
    @inlinable public static var headerLength: Int { 4 }
}

/// A non-owning view of a VLAN header (TCI and the enclosed EtherType), at
/// the start of `bytes`; the TPID (`0x8100` or `0x88a8`) is the EtherType
/// field before it.
public struct VLANView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// Checks that `bytes` holds the 4 bytes.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= VLANField.headerLength else { throw .truncated }
        self.bytes = bytes
    }

    /// The whole 16-bit TCI.
    @inlinable public var tci: UInt16 {
        get { bytes.loadBigEndian(at: VLANField.tci) }
        nonmutating set { bytes.storeBigEndian(newValue, at: VLANField.tci) }
    }
    /// Priority code point, 0...7.
    @inlinable public var priority: UInt8 {
        get { UInt8(tci >> 13) }
        nonmutating set { tci = tci & 0x1fff | UInt16(newValue & 7) << 13 }
    }
    /// Drop eligible indicator (formerly CFI).
    @inlinable public var dropEligible: Bool {
        get { tci & 0x1000 != 0 }
        nonmutating set { tci = newValue ? tci | 0x1000 : tci & ~0x1000 }
    }
    /// VLAN identifier, 0...4095.
    @inlinable public var vlanID: UInt16 {
        get { tci & 0x0fff }
        nonmutating set { tci = tci & 0xf000 | newValue & 0x0fff }
    }
    /// The EtherType of what the tag encloses (another TPID for QinQ).
    @inlinable public var etherType: EtherType {
        get { EtherType(rawValue: bytes.loadBigEndian(at: VLANField.etherType)) }
        nonmutating set { bytes.storeBigEndian(newValue.rawValue, at: VLANField.etherType) }
    }
    @inlinable public var payload: UnsafeMutableRawBufferPointer {
        bytes.window(from: VLANField.headerLength)
    }
}

/// A VLAN header (TCI and enclosed EtherType) as an owned value.
public struct VLANHeader: Hashable, Sendable {
    /// Priority code point, 0...7.
    public var priority: UInt8
    public var dropEligible: Bool
    /// VLAN identifier, 0...4095.
    public var vlanID: UInt16
    /// The EtherType of what the tag encloses.
    public var etherType: EtherType

    public static let length = VLANField.headerLength

    public init(vlanID: UInt16, priority: UInt8 = 0, dropEligible: Bool = false, etherType: EtherType) {
        self.vlanID = vlanID & 0x0fff
        self.priority = priority & 7
        self.dropEligible = dropEligible
        self.etherType = etherType
    }

    /// The 16-bit TCI these fields make.
    @inlinable public var tci: UInt16 {
        UInt16(priority & 7) << 13 | (dropEligible ? 0x1000 : 0) | vlanID & 0x0fff
    }

    @inlinable public init(_ view: VLANView) {
        self.init(vlanID: view.vlanID, priority: view.priority, dropEligible: view.dropEligible,
                  etherType: view.etherType)
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try VLANView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { Self.length }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes.storeBigEndian(tci, at: VLANField.tci)
        bytes.storeBigEndian(etherType.rawValue, at: VLANField.etherType)
    }
}

// MARK: - Walking the L2 headers

/// One VLAN tag met while walking a frame: its TPID and TCI, as Open
/// vSwitch's `union flow_vlan_hdr` keeps them.
public struct VLANTag: Hashable, Sendable {
    /// `EtherType.vlan` (802.1Q) or `EtherType.qinq` (802.1ad).
    public var tpid: EtherType
    public var tci: UInt16
    public init(tpid: EtherType, tci: UInt16) { self.tpid = tpid; self.tci = tci }
    @inlinable public var vlanID: UInt16 { tci & 0x0fff }
    @inlinable public var priority: UInt8 { UInt8(tci >> 13) }
    @inlinable public var dropEligible: Bool { tci & 0x1000 != 0 }
}

/// Where a frame's network header starts and what it is, after the
/// Ethernet header, up to two VLAN tags, and 802.3 LLC/SNAP.
///
/// Follows Open vSwitch's `parse_vlan` and `parse_ethertype`: at most two
/// tags are taken (a third TPID is left as the EtherType); an 802.3 frame
/// with LLC/SNAP (AA-AA-03, OUI 0) yields the SNAP EtherType, and any other
/// 802.3 frame yields `EtherType.none` with the offset just after the length
/// field. Tags whose 4 bytes are cut off end the walk at the TPID, as
/// Open vSwitch does.
public struct EthernetLayers: Hashable, Sendable {
    public var destination: EthernetAddress
    public var source: EthernetAddress
    /// The outer tag, if any.
    public var outerVLAN: VLANTag?
    /// The inner tag, if two were present.
    public var innerVLAN: VLANTag?
    /// The EtherType of the network header (`EtherType.none` for 802.3
    /// frames without Ethernet SNAP).
    public var etherType: EtherType
    /// True when the frame is 802.3 (type/length field below 0x600).
    public var isIEEE802_3: Bool
    /// Byte offset of the network header (after any LLC/SNAP).
    public var networkOffset: Int

    /// Walks the L2 headers at the start of `bytes`; `.truncated` under 14 bytes.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        let frame = try EthernetView(validating: UnsafeMutableRawBufferPointer(mutating: bytes))
        destination = frame.destination
        source = frame.source
        outerVLAN = nil
        innerVLAN = nil
        isIEEE802_3 = false
        var offset = EthernetField.etherType
        var type = EtherType(rawValue: bytes.loadBigEndian(at: offset))
        offset += 2
        for i in 0..<2 {
            guard type.isVLAN, bytes.count - offset >= VLANField.headerLength else { break }
            let tag = VLANTag(tpid: type, tci: bytes.loadBigEndian(at: offset))
            if i == 0 { outerVLAN = tag } else { innerVLAN = tag }
            type = EtherType(rawValue: bytes.loadBigEndian(at: offset + VLANField.etherType))
            offset += VLANField.headerLength
        }
        if type.rawValue < EtherType.minimum {
            isIEEE802_3 = true
            type = .none
            if bytes.count - offset >= LLCSNAPField.headerLength {
                let llc = try LLCView(validating: UnsafeMutableRawBufferPointer(mutating: bytes).window(from: offset))
                if llc.hasEthernetSNAP, let inner = llc.snapEtherType, inner.rawValue >= EtherType.minimum {
                    type = inner
                    offset += LLCSNAPField.headerLength
                }
            }
        }
        etherType = type
        networkOffset = offset
    }
}
