/// ARP and RARP (RFC 826, RFC 903) for Ethernet and IPv4.

/// An ARP operation code.
public struct ARPOperation: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let request = ARPOperation(rawValue: 1)
    public static let reply = ARPOperation(rawValue: 2)
    public static let reverseRequest = ARPOperation(rawValue: 3)
    public static let reverseReply = ARPOperation(rawValue: 4)
}

/// Byte offsets in an Ethernet/IPv4 ARP packet.
public enum ARPField {
    @inlinable public static var hardwareType: Int { 0 }
    @inlinable public static var protocolType: Int { 2 }
    @inlinable public static var hardwareLength: Int { 4 }
    @inlinable public static var protocolLength: Int { 5 }
    @inlinable public static var operation: Int { 6 }
    @inlinable public static var senderHardwareAddress: Int { 8 }
    @inlinable public static var senderProtocolAddress: Int { 14 }
    @inlinable public static var targetHardwareAddress: Int { 18 }
    @inlinable public static var targetProtocolAddress: Int { 24 }
    /// Bytes before the addresses (their lengths are fields).
    @inlinable public static var fixedLength: Int { 8 }
    @inlinable public static var headerLength: Int { 28 }
    /// The hardware type of Ethernet.
    @inlinable public static var ethernetHardwareType: UInt16 { 1 }
}

/// A non-owning view of an Ethernet/IPv4 ARP (or RARP) packet.
public struct ARPView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 8 bytes, or under 28 for Ethernet/IPv4;
    /// `.malformed` for any other hardware or protocol (type or length).
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= ARPField.fixedLength else { throw .truncated }
        guard bytes.loadBigEndian(at: ARPField.hardwareType, as: UInt16.self) == ARPField.ethernetHardwareType,
              bytes.loadBigEndian(at: ARPField.protocolType, as: UInt16.self) == EtherType.ipv4.rawValue,
              bytes[ARPField.hardwareLength] == 6, bytes[ARPField.protocolLength] == 4
        else { throw .malformed }
        guard bytes.count >= ARPField.headerLength else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var operation: ARPOperation {
        get { ARPOperation(rawValue: bytes.loadBigEndian(at: ARPField.operation)) }
        nonmutating set { bytes.storeBigEndian(newValue.rawValue, at: ARPField.operation) }
    }
    @inlinable public var senderHardwareAddress: EthernetAddress {
        get { bytes.loadEthernetAddress(at: ARPField.senderHardwareAddress) }
        nonmutating set { bytes.storeEthernetAddress(newValue, at: ARPField.senderHardwareAddress) }
    }
    @inlinable public var senderProtocolAddress: IPv4Address {
        get { bytes.loadIPv4Address(at: ARPField.senderProtocolAddress) }
        nonmutating set { bytes.storeIPv4Address(newValue, at: ARPField.senderProtocolAddress) }
    }
    @inlinable public var targetHardwareAddress: EthernetAddress {
        get { bytes.loadEthernetAddress(at: ARPField.targetHardwareAddress) }
        nonmutating set { bytes.storeEthernetAddress(newValue, at: ARPField.targetHardwareAddress) }
    }
    @inlinable public var targetProtocolAddress: IPv4Address {
        get { bytes.loadIPv4Address(at: ARPField.targetProtocolAddress) }
        nonmutating set { bytes.storeIPv4Address(newValue, at: ARPField.targetProtocolAddress) }
    }
}

/// An Ethernet/IPv4 ARP packet as an owned value.
public struct ARPHeader: Hashable, Sendable {
    public var operation: ARPOperation
    public var senderHardwareAddress: EthernetAddress
    public var senderProtocolAddress: IPv4Address
    public var targetHardwareAddress: EthernetAddress
    public var targetProtocolAddress: IPv4Address

    public static let length = ARPField.headerLength

    public init(operation: ARPOperation,
                senderHardwareAddress: EthernetAddress, senderProtocolAddress: IPv4Address,
                targetHardwareAddress: EthernetAddress = .zero, targetProtocolAddress: IPv4Address) {
        self.operation = operation
        self.senderHardwareAddress = senderHardwareAddress
        self.senderProtocolAddress = senderProtocolAddress
        self.targetHardwareAddress = targetHardwareAddress
        self.targetProtocolAddress = targetProtocolAddress
    }

    @inlinable public init(_ view: ARPView) {
        operation = view.operation
        senderHardwareAddress = view.senderHardwareAddress
        senderProtocolAddress = view.senderProtocolAddress
        targetHardwareAddress = view.targetHardwareAddress
        targetProtocolAddress = view.targetProtocolAddress
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try ARPView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { Self.length }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes.storeBigEndian(ARPField.ethernetHardwareType, at: ARPField.hardwareType)
        bytes.storeBigEndian(EtherType.ipv4.rawValue, at: ARPField.protocolType)
        bytes[ARPField.hardwareLength] = 6
        bytes[ARPField.protocolLength] = 4
        bytes.storeBigEndian(operation.rawValue, at: ARPField.operation)
        bytes.storeEthernetAddress(senderHardwareAddress, at: ARPField.senderHardwareAddress)
        bytes.storeIPv4Address(senderProtocolAddress, at: ARPField.senderProtocolAddress)
        bytes.storeEthernetAddress(targetHardwareAddress, at: ARPField.targetHardwareAddress)
        bytes.storeIPv4Address(targetProtocolAddress, at: ARPField.targetProtocolAddress)
    }
}
