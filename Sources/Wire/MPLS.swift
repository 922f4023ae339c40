/// MPLS label stack entries (RFC 3032).

/// Bit layout of a 32-bit MPLS label stack entry.
public enum MPLSField {
    @inlinable public static var labelShift: UInt32 { 12 }
    @inlinable public static var labelMask: UInt32 { 0xffff_f000 }
    @inlinable public static var trafficClassShift: UInt32 { 9 }
    @inlinable public static var trafficClassMask: UInt32 { 0x0000_0e00 }
    @inlinable public static var bottomOfStackMask: UInt32 { 0x0000_0100 }
    @inlinable public static var ttlMask: UInt32 { 0x0000_00ff }
    @inlinable public static var headerLength: Int { 4 }
}

/// A non-owning view of one MPLS label stack entry at the start of `bytes`.
public struct MPLSView {
    public let bytes: UnsafeMutableRawBufferPointer

    /// Checks that `bytes` holds the 4-byte entry.
    @inlinable
    public init(validating bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= MPLSField.headerLength else { throw .truncated }
        self.bytes = bytes
    }

    /// The whole entry, host order.
    @inlinable public var rawValue: UInt32 {
        get { bytes.loadBigEndian(at: 0) }
        nonmutating set { bytes.storeBigEndian(newValue, at: 0) }
    }
    /// The 20-bit label.
    @inlinable public var label: UInt32 {
        get { rawValue >> MPLSField.labelShift }
        nonmutating set { rawValue = rawValue & ~MPLSField.labelMask | (newValue << MPLSField.labelShift) }
    }
    /// Traffic class (formerly EXP), 0...7.
    @inlinable public var trafficClass: UInt8 {
        get { UInt8(truncatingIfNeeded: (rawValue & MPLSField.trafficClassMask) >> MPLSField.trafficClassShift) }
        nonmutating set {
            rawValue = rawValue & ~MPLSField.trafficClassMask
                | (UInt32(newValue) << MPLSField.trafficClassShift) & MPLSField.trafficClassMask
        }
    }
    /// The S bit: this is the last entry of the stack.
    @inlinable public var isBottomOfStack: Bool {
        get { rawValue & MPLSField.bottomOfStackMask != 0 }
        nonmutating set {
            rawValue = newValue ? rawValue | MPLSField.bottomOfStackMask : rawValue & ~MPLSField.bottomOfStackMask
        }
    }
    @inlinable public var ttl: UInt8 {
        get { bytes[3] }
        nonmutating set { bytes[3] = newValue }
    }
    /// The bytes after this entry.
    @inlinable public var payload: UnsafeMutableRawBufferPointer {
        bytes.window(from: MPLSField.headerLength)
    }
}

/// One MPLS label stack entry as an owned value.
public struct MPLSLabelStackEntry: Hashable, Sendable {
    /// The 20-bit label.
    public var label: UInt32
    /// Traffic class, 0...7.
    public var trafficClass: UInt8
    public var isBottomOfStack: Bool
    public var ttl: UInt8

    public static let length = MPLSField.headerLength

    public init(label: UInt32, trafficClass: UInt8 = 0, isBottomOfStack: Bool = true, ttl: UInt8 = 64) {
        self.label = label & 0xf_ffff
        self.trafficClass = trafficClass & 7
        self.isBottomOfStack = isBottomOfStack
        self.ttl = ttl
    }

    /// Unpacks a host-order entry.
    @inlinable public init(rawValue: UInt32) {
        label = rawValue >> MPLSField.labelShift
        trafficClass = UInt8(truncatingIfNeeded: (rawValue & MPLSField.trafficClassMask) >> MPLSField.trafficClassShift)
        isBottomOfStack = rawValue & MPLSField.bottomOfStackMask != 0
        ttl = UInt8(truncatingIfNeeded: rawValue)
    }

    /// The host-order entry.
    @inlinable public var rawValue: UInt32 {
        (label & 0xf_ffff) << MPLSField.labelShift
            | UInt32(trafficClass & 7) << MPLSField.trafficClassShift
            | (isBottomOfStack ? MPLSField.bottomOfStackMask : 0) | UInt32(ttl)
    }

    @inlinable public init(_ view: MPLSView) { self.init(rawValue: view.rawValue) }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        self.init(try MPLSView(validating: UnsafeMutableRawBufferPointer(mutating: bytes)))
    }

    public var headerLength: Int { Self.length }

    public func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw .truncated }
        bytes.storeBigEndian(rawValue, at: 0)
    }
}

/// Iterates a label stack from the top, stopping after the bottom-of-stack
/// entry or where the bytes end.
public struct MPLSLabelStackIterator: IteratorProtocol {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    /// Where the next entry starts; after the walk, where the payload starts.
    public private(set) var offset = 0
    @usableFromInline var done = false

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The next entry, `nil` after the bottom of stack or when fewer than 4
    /// bytes remain.
    public mutating func next() -> MPLSLabelStackEntry? {
        guard !done, bytes.count - offset >= MPLSField.headerLength else { return nil }
        let entry = MPLSLabelStackEntry(rawValue: bytes.loadBigEndian(at: offset))
        offset += MPLSField.headerLength
        done = entry.isBottomOfStack
        return entry
    }
}
