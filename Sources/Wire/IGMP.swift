/// IGMP v1, v2 (RFC 2236) and v3 reports (RFC 3376).

/// An IGMP message type.
public struct IGMPType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let membershipQuery = IGMPType(rawValue: 0x11)
    public static let v1MembershipReport = IGMPType(rawValue: 0x12)
    public static let v2MembershipReport = IGMPType(rawValue: 0x16)
    public static let leaveGroup = IGMPType(rawValue: 0x17)
    public static let v3MembershipReport = IGMPType(rawValue: 0x22)
}

/// An IGMPv3 group record type.
public struct IGMPv3RecordType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let modeIsInclude = IGMPv3RecordType(rawValue: 1)
    public static let modeIsExclude = IGMPv3RecordType(rawValue: 2)
    public static let changeToInclude = IGMPv3RecordType(rawValue: 3)
    public static let changeToExclude = IGMPv3RecordType(rawValue: 4)
    public static let allowNewSources = IGMPv3RecordType(rawValue: 5)
    public static let blockOldSources = IGMPv3RecordType(rawValue: 6)
}

/// Byte offsets in IGMP messages.
public enum IGMPField {
    @inlinable public static var type: Int { 0 }
    @inlinable public static var maxResponseTime: Int { 1 }
    @inlinable public static var checksum: Int { 2 }
    /// v1, v2 and v3 queries: the group address.
    @inlinable public static var groupAddress: Int { 4 }
    /// v3 reports: the number of group records (bytes 4-5 are reserved).
    @inlinable public static var numberOfGroupRecords: Int { 6 }
    @inlinable public static var headerLength: Int { 8 }
    /// In a v3 group record.
    @inlinable public static var recordType: Int { 0 }
    @inlinable public static var auxiliaryDataLength: Int { 1 }
    @inlinable public static var numberOfSources: Int { 2 }
    @inlinable public static var multicastAddress: Int { 4 }
    @inlinable public static var sources: Int { 8 }
}

/// A non-owning view of the IGMP message that is all of `bytes`.
public struct IGMPView: InternetChecksummedView {
    public let bytes: UnsafeMutableRawBufferPointer

    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= IGMPField.headerLength else { throw .truncated }
        self.bytes = bytes
    }

    @inlinable public var type: IGMPType {
        get { IGMPType(rawValue: bytes[IGMPField.type]) }
        nonmutating set { bytes[IGMPField.type] = newValue.rawValue }
    }
    /// Maximum response time (v2, in tenths of a second; a code in v3; 0 in v1).
    @inlinable public var maxResponseTime: UInt8 {
        get { bytes[IGMPField.maxResponseTime] }
        nonmutating set { bytes[IGMPField.maxResponseTime] = newValue }
    }
    @inlinable public var checksum: UInt16 {
        get { bytes.loadBigEndian(at: IGMPField.checksum) }
        nonmutating set { bytes.storeBigEndian(newValue, at: IGMPField.checksum) }
    }
    /// The group address (not meaningful in a v3 report).
    @inlinable public var groupAddress: IPv4Address {
        get { bytes.loadIPv4Address(at: IGMPField.groupAddress) }
        nonmutating set { bytes.storeIPv4Address(newValue, at: IGMPField.groupAddress) }
    }
    /// v3 report: the number of group records.
    @inlinable public var numberOfGroupRecords: UInt16 {
        get { bytes.loadBigEndian(at: IGMPField.numberOfGroupRecords) }
        nonmutating set { bytes.storeBigEndian(newValue, at: IGMPField.numberOfGroupRecords) }
    }
    /// v3 report: an iterator over the group records.
    @inlinable public var groupRecords: IGMPv3GroupRecordIterator {
        IGMPv3GroupRecordIterator(bytes.window(from: IGMPField.headerLength), count: Int(numberOfGroupRecords))
    }

    @inlinable public func computeChecksum() -> UInt16 { computeChecksum(pseudoHeaderSum: 0) }
    @inlinable public var isChecksumValid: Bool { isChecksumValid(pseudoHeaderSum: 0) }
    @inlinable public func fillChecksum() { fillChecksum(pseudoHeaderSum: 0) }
}

/// An IGMP v1/v2 message (or the first 8 bytes of a v3 query) as an owned
/// value; the checksum is a plain field.
public struct IGMPHeader: Hashable, Sendable {
    public var type: IGMPType
    public var maxResponseTime: UInt8
    public var checksum: UInt16
    public var groupAddress: IPv4Address

    public static let length = IGMPField.headerLength

    public init(type: IGMPType, groupAddress: IPv4Address, maxResponseTime: UInt8 = 0, checksum: UInt16 = 0) {
        self.type = type
        self.maxResponseTime = maxResponseTime
        self.checksum = checksum
        self.groupAddress = groupAddress
    }

    @inlinable public init(_ view: IGMPView) {
        type = view.type
        maxResponseTime = view.maxResponseTime
        checksum = view.checksum
        groupAddress = view.groupAddress
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try IGMPView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { Self.length }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes[IGMPField.type] = type.rawValue
        bytes[IGMPField.maxResponseTime] = maxResponseTime
        bytes.storeBigEndian(checksum, at: IGMPField.checksum)
        bytes.storeIPv4Address(groupAddress, at: IGMPField.groupAddress)
    }
}

/// A non-owning view of one IGMPv3 group record; its bytes are exactly the record.
public struct IGMPv3GroupRecordView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// `.truncated` under 8 bytes or under the length the counts give.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= 8 else { throw .truncated }
        let length = 8 &+ Int(bytes.loadBigEndian(at: IGMPField.numberOfSources, as: UInt16.self)) &* 4
            &+ Int(bytes[IGMPField.auxiliaryDataLength]) &* 4
        guard length <= bytes.count else { throw .truncated }
        self.bytes = bytes.window(0..<length)
    }

    @inlinable public var recordType: IGMPv3RecordType {
        get { IGMPv3RecordType(rawValue: bytes[IGMPField.recordType]) }
        nonmutating set { bytes[IGMPField.recordType] = newValue.rawValue }
    }
    @inlinable public var numberOfSources: Int { Int(bytes.loadBigEndian(at: IGMPField.numberOfSources, as: UInt16.self)) }
    @inlinable public var multicastAddress: IPv4Address {
        get { bytes.loadIPv4Address(at: IGMPField.multicastAddress) }
        nonmutating set { bytes.storeIPv4Address(newValue, at: IGMPField.multicastAddress) }
    }
    /// The `index`th source address, `nil` past the end.
    @inlinable public func source(at index: Int) -> IPv4Address? {
        guard index >= 0, index < numberOfSources else { return nil }
        return bytes.loadIPv4Address(at: IGMPField.sources &+ index &* 4)
    }
    @inlinable public var auxiliaryData: UnsafeMutableRawBufferPointer {
        bytes.window(from: IGMPField.sources &+ numberOfSources &* 4)
    }
    /// The record's length in bytes.
    @inlinable public var length: Int { bytes.count }
}

/// Iterates the group records of an IGMPv3 report.
public struct IGMPv3GroupRecordIterator {
    @usableFromInline let bytes: UnsafeMutableRawBufferPointer
    @usableFromInline var remaining: Int
    @usableFromInline var offset = 0

    @inlinable public init(_ records: UnsafeMutableRawBufferPointer, count: Int) {
        bytes = records
        remaining = count
    }

    /// The next record, `nil` after the announced number; `.truncated` if
    /// a record is cut short.
    public mutating func next() throws(WireError) -> IGMPv3GroupRecordView? {
        guard remaining > 0 else { return nil }
        let record = try IGMPv3GroupRecordView(validating: bytes.window(from: offset))
        offset += record.length
        remaining -= 1
        return record
    }
}

/// One IGMPv3 group record as an owned value.
public struct IGMPv3GroupRecord: Hashable, Sendable {
    public var recordType: IGMPv3RecordType
    public var multicastAddress: IPv4Address
    public var sources: [IPv4Address]
    /// A multiple of 4 bytes.
    public var auxiliaryData: [UInt8]

    public init(recordType: IGMPv3RecordType, multicastAddress: IPv4Address,
                sources: [IPv4Address] = [], auxiliaryData: [UInt8] = []) {
        self.recordType = recordType
        self.multicastAddress = multicastAddress
        self.sources = sources
        self.auxiliaryData = auxiliaryData
    }

    public init(_ view: IGMPv3GroupRecordView) {
        recordType = view.recordType
        multicastAddress = view.multicastAddress
        sources = (0..<view.numberOfSources).compactMap { view.source(at: $0) }
        auxiliaryData = Array(view.auxiliaryData)
    }

    public var length: Int { 8 + sources.count * 4 + auxiliaryData.count }
}

/// An IGMPv3 membership report as an owned value; the checksum is a plain field.
public struct IGMPv3Report: Hashable, Sendable {
    public var checksum: UInt16
    public var records: [IGMPv3GroupRecord]

    public init(records: [IGMPv3GroupRecord], checksum: UInt16 = 0) {
        self.checksum = checksum
        self.records = records
    }

    /// `.malformed` unless the type is `v3MembershipReport`.
    public init(_ view: IGMPView) throws(WireError) {
        guard view.type == .v3MembershipReport else { throw .malformed }
        checksum = view.checksum
        records = []
        var it = view.groupRecords
        while let record = try it.next() { records.append(IGMPv3GroupRecord(record)) }
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        try self.init(IGMPView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    /// The whole message's length.
    public var headerLength: Int { IGMPField.headerLength + records.reduce(0) { $0 + $1.length } }

    /// `.malformed` for auxiliary data not a multiple of 4 (or over 1020
    /// bytes), over 65535 sources or records.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard records.count <= 0xffff, records.allSatisfy({
            $0.auxiliaryData.count % 4 == 0 && $0.auxiliaryData.count <= 1020 && $0.sources.count <= 0xffff
        }) else { throw .malformed }
        guard bytes.count >= headerLength else { throw .truncated }
        bytes[IGMPField.type] = IGMPType.v3MembershipReport.rawValue
        bytes[1] = 0
        bytes.storeBigEndian(checksum, at: IGMPField.checksum)
        bytes.storeBigEndian(UInt16(0), at: 4)
        bytes.storeBigEndian(UInt16(records.count), at: IGMPField.numberOfGroupRecords)
        var offset = IGMPField.headerLength
        for r in records {
            bytes[offset] = r.recordType.rawValue
            bytes[offset + 1] = UInt8(r.auxiliaryData.count / 4)
            bytes.storeBigEndian(UInt16(r.sources.count), at: offset + 2)
            bytes.storeIPv4Address(r.multicastAddress, at: offset + 4)
            offset += 8
            for s in r.sources { bytes.storeIPv4Address(s, at: offset); offset += 4 }
            for b in r.auxiliaryData { bytes[offset] = b; offset += 1 }
        }
    }
}
