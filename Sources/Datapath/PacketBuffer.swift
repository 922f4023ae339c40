#if canImport(Glibc)
import Flow
import Wire
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a packet buffer could not grow or shrink as asked.
public enum PacketBufferError: Error, Hashable, Sendable {
    /// Growing by `needed` bytes would leave the buffer; only `available`
    /// bytes are free (headroom plus tailroom).
    case noRoom(needed: Int, available: Int)
    /// Removing `requested` bytes from a frame of `available` bytes.
    case tooShort(requested: Int, available: Int)
    /// A byte count below zero.
    case negativeCount(Int)
}

/// One frame in owned raw memory, with room in front for pushed headers
/// (VLAN, MPLS, tunnel encapsulation) and room behind for appended bytes.
///
/// Layout of the storage, one allocation:
///
/// ```
/// | PacketMetadata (padded to 64) | headroom | frame | tailroom |
///                                 ^ data area: `capacity` bytes
/// ```
///
/// The buffer is noncopyable: exactly one owner at a time, checked by the
/// compiler, and no reference count. Buffers normally come from a
/// `PacketPool` and go back to it (`PacketPool.recycle`); a buffer that is
/// simply dropped frees its memory, so forgetting to recycle costs a future
/// allocation, never a leak or a dangling pointer.
///
/// Every operation checks its bounds and throws (or clamps) instead of
/// trapping. This type and `PacketPool` are the only code in svs that does
/// pointer arithmetic on packet memory; everything else borrows the frame
/// through `withUnsafeBytes`/`withUnsafeMutableBytes` and reads it with
/// `Wire`'s bounds-checked views.
public struct PacketBuffer: ~Copyable, @unchecked Sendable {
    /// Start of the allocation: the metadata, then the data area.
    @usableFromInline let storage: UnsafeMutableRawPointer
    /// Offset of the frame's first byte in the data area (= headroom).
    @usableFromInline var start: Int32
    /// Bytes in the frame.
    @usableFromInline var length: Int32
    /// Size of the data area (headroom + frame + tailroom).
    @usableFromInline let dataCapacity: Int32

    /// Bytes reserved in front of the data area for `PacketMetadata`,
    /// rounded up to a cache line.
    @inlinable static var metadataStride: Int {
        (MemoryLayout<PacketMetadata>.stride + 63) & ~63
    }

    /// The largest data area a buffer may have (1 MiB); larger requests are clamped.
    public static let maximumCapacity = 1 << 20

    /// Allocates and initializes the storage for a data area of `dataCapacity` bytes.
    static func allocateStorage(dataCapacity: Int) -> UnsafeMutableRawPointer {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: metadataStride + dataCapacity, alignment: 64)
        raw.initializeMemory(as: PacketMetadata.self, repeating: PacketMetadata(), count: 1)
        (raw + metadataStride).initializeMemory(as: UInt8.self, repeating: 0, count: dataCapacity)
        return raw
    }

    /// Takes ownership of storage made by `allocateStorage` (used by the pool).
    init(adopting storage: UnsafeMutableRawPointer, dataCapacity: Int, headroom: Int) {
        self.storage = storage
        self.dataCapacity = Int32(dataCapacity)
        self.start = Int32(min(max(0, headroom), dataCapacity))
        self.length = 0
    }

    /// An empty buffer of its own (not from a pool) that can hold a frame of
    /// `frameCapacity` bytes after `headroom` bytes of room in front.
    /// Negative sizes count as zero; the total is clamped to `maximumCapacity`.
    public init(frameCapacity: Int = DatapathLimits.defaultFrameCapacity,
                headroom: Int = DatapathLimits.defaultHeadroom) {
        let h = min(max(0, headroom), Self.maximumCapacity)
        let f = min(max(0, frameCapacity), Self.maximumCapacity - h)
        self.init(adopting: Self.allocateStorage(dataCapacity: h + f), dataCapacity: h + f, headroom: h)
    }

    /// A buffer of its own holding a copy of `bytes`, with `headroom` bytes
    /// in front and `tailroom` behind. Frames beyond `maximumCapacity` are cut.
    public init(copying bytes: UnsafeRawBufferPointer,
                headroom: Int = DatapathLimits.defaultHeadroom, tailroom: Int = 0) {
        let h = min(max(0, headroom), Self.maximumCapacity)
        let n = min(bytes.count, Self.maximumCapacity - h)
        let t = min(max(0, tailroom), Self.maximumCapacity - h - n)
        self.init(adopting: Self.allocateStorage(dataCapacity: h + n + t), dataCapacity: h + n + t, headroom: h)
        if n > 0, let src = bytes.baseAddress {
            (storage + Self.metadataStride + h).copyMemory(from: src, byteCount: n)
        }
        length = Int32(n)
    }

    /// A buffer of its own holding a copy of `bytes`.
    public init(copying bytes: [UInt8], headroom: Int = DatapathLimits.defaultHeadroom, tailroom: Int = 0) {
        let h = min(max(0, headroom), Self.maximumCapacity)
        let n = min(bytes.count, Self.maximumCapacity - h)
        let t = min(max(0, tailroom), Self.maximumCapacity - h - n)
        self.init(adopting: Self.allocateStorage(dataCapacity: h + n + t), dataCapacity: h + n + t, headroom: h)
        let destination = storage + Self.metadataStride + h
        bytes.withUnsafeBytes { raw in
            if n > 0, let src = raw.baseAddress { destination.copyMemory(from: src, byteCount: n) }
        }
        length = Int32(n)
    }

    deinit {
        storage.deallocate()
    }

    /// Gives the storage back without freeing it (for the pool).
    consuming func releaseStorage() -> UnsafeMutableRawPointer {
        let s = storage
        discard self
        return s
    }

    // MARK: Sizes

    /// Bytes in the frame.
    @inlinable public var count: Int { Int(length) }
    /// True when the frame has no bytes.
    @inlinable public var isEmpty: Bool { length == 0 }
    /// Free bytes in front of the frame.
    @inlinable public var headroom: Int { Int(start) }
    /// Free bytes after the frame.
    @inlinable public var tailroom: Int { Int(dataCapacity &- start &- length) }
    /// Size of the data area: headroom + frame + tailroom.
    @inlinable public var capacity: Int { Int(dataCapacity) }

    @inlinable var dataArea: UnsafeMutableRawPointer { storage + Self.metadataStride }

    // MARK: Metadata

    @inlinable var metadataPointer: UnsafeMutablePointer<PacketMetadata> {
        storage.assumingMemoryBound(to: PacketMetadata.self)
    }

    /// The packet's metadata (in port, recirculation id, conntrack, tunnel...).
    @inlinable public var metadata: PacketMetadata {
        _read { yield metadataPointer.pointee }
        _modify { yield &metadataPointer.pointee }
    }

    // MARK: Borrowing the frame

    /// Lends the frame's bytes for reading.
    @inlinable
    public func withUnsafeBytes<R: ~Copyable, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: dataArea + Int(start), count: Int(length)))
    }

    /// Lends the frame's bytes for reading and writing in place (the frame's
    /// length cannot change inside `body`; use push/pull/append/trim).
    @inlinable
    public mutating func withUnsafeMutableBytes<R: ~Copyable, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: dataArea + Int(start), count: Int(length)))
    }

    /// A copy of the frame's bytes (allocates: for tests, upcalls, capture).
    public func copyBytes() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    // MARK: Front

    /// Grows the frame by `count` zeroed bytes at the front (for a new
    /// outer header). Uses the headroom; if that is too small but the
    /// buffer has room behind, the frame is moved once to make room.
    @inlinable
    public mutating func push(_ count: Int) throws(PacketBufferError) {
        guard count >= 0 else { throw .negativeCount(count) }
        if count > headroom { try makeHeadroom(count) }
        start &-= Int32(truncatingIfNeeded: count)
        length &+= Int32(truncatingIfNeeded: count)
        (dataArea + Int(start)).initializeMemory(as: UInt8.self, repeating: 0, count: count)
    }

    /// Removes `count` bytes from the front (an outer header), leaving them
    /// as headroom.
    @inlinable
    public mutating func pull(_ count: Int) throws(PacketBufferError) {
        guard count >= 0 else { throw .negativeCount(count) }
        guard count <= self.count else { throw .tooShort(requested: count, available: self.count) }
        start &+= Int32(truncatingIfNeeded: count)
        length &-= Int32(truncatingIfNeeded: count)
    }

    /// Pushes `bytes` in front of the frame.
    public mutating func prepend(contentsOf bytes: UnsafeRawBufferPointer) throws(PacketBufferError) {
        try push(bytes.count)
        if let src = bytes.baseAddress, bytes.count > 0 {
            (dataArea + Int(start)).copyMemory(from: src, byteCount: bytes.count)
        }
    }

    /// Pushes `bytes` in front of the frame.
    public mutating func prepend(contentsOf bytes: [UInt8]) throws(PacketBufferError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(PacketBufferError) in try prepend(contentsOf: raw) }
        }
        try result.get()
    }

    // MARK: Back

    /// Grows the frame by `count` zeroed bytes at the end.
    @inlinable
    public mutating func append(count: Int) throws(PacketBufferError) {
        guard count >= 0 else { throw .negativeCount(count) }
        if count > tailroom { try makeTailroom(count) }
        (dataArea + Int(start) + Int(length)).initializeMemory(as: UInt8.self, repeating: 0, count: count)
        length &+= Int32(truncatingIfNeeded: count)
    }

    /// Removes `count` bytes from the end of the frame.
    @inlinable
    public mutating func trim(_ count: Int) throws(PacketBufferError) {
        guard count >= 0 else { throw .negativeCount(count) }
        guard count <= self.count else { throw .tooShort(requested: count, available: self.count) }
        length &-= Int32(truncatingIfNeeded: count)
    }

    /// Shortens the frame to at most `newCount` bytes (the `trunc` action);
    /// a longer `newCount` leaves the frame alone, a negative one empties it.
    @inlinable
    public mutating func truncate(toCount newCount: Int) {
        if newCount < count { length = Int32(truncatingIfNeeded: max(0, newCount)) }
    }

    /// Appends `bytes` after the frame (copied once: no zero fill first).
    @inlinable
    public mutating func append(contentsOf bytes: UnsafeRawBufferPointer) throws(PacketBufferError) {
        let n = bytes.count
        if n > tailroom { try makeTailroom(n) }
        if let src = bytes.baseAddress, n > 0 {
            (dataArea + Int(start) + Int(length)).copyMemory(from: src, byteCount: n)
        }
        length &+= Int32(truncatingIfNeeded: n)
    }

    /// Appends `bytes` after the frame.
    public mutating func append(contentsOf bytes: [UInt8]) throws(PacketBufferError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(PacketBufferError) in try append(contentsOf: raw) }
        }
        try result.get()
    }

    // MARK: Whole frame

    /// Empties the frame, puts `headroom` bytes of room in front (clamped to
    /// the capacity) and resets the metadata.
    public mutating func reset(headroom: Int = DatapathLimits.defaultHeadroom) {
        start = Int32(truncatingIfNeeded: min(max(0, headroom), capacity))
        length = 0
        metadataPointer.pointee = PacketMetadata()
    }

    /// Replaces the frame with a copy of `bytes`, keeping the metadata. The
    /// headroom is kept if the bytes fit behind it, else reduced.
    public mutating func replaceFrame(with bytes: UnsafeRawBufferPointer) throws(PacketBufferError) {
        guard bytes.count <= capacity else { throw .noRoom(needed: bytes.count, available: capacity) }
        start = Int32(truncatingIfNeeded: min(headroom, capacity - bytes.count))
        length = Int32(truncatingIfNeeded: bytes.count)
        if let src = bytes.baseAddress, bytes.count > 0 {
            (dataArea + Int(start)).copyMemory(from: src, byteCount: bytes.count)
        }
    }

    // MARK: Moving the frame (cold)

    /// Moves the frame back so at least `needed` bytes are free in front.
    @usableFromInline @inline(never)
    mutating func makeHeadroom(_ needed: Int) throws(PacketBufferError) {
        let free = headroom + tailroom
        guard needed <= free else { throw .noRoom(needed: needed, available: free) }
        move(toStart: needed + (free - needed) / 2)
    }

    /// Moves the frame forward so at least `needed` bytes are free behind it.
    @usableFromInline @inline(never)
    mutating func makeTailroom(_ needed: Int) throws(PacketBufferError) {
        let free = headroom + tailroom
        guard needed <= free else { throw .noRoom(needed: needed, available: free) }
        move(toStart: (free - needed) / 2)
    }

    private mutating func move(toStart newStart: Int) {
        if length > 0 {
            memmove(dataArea + newStart, dataArea + Int(start), Int(length))
        }
        start = Int32(truncatingIfNeeded: newStart)
    }
}

extension PacketBuffer {
    /// Completes the TCP/UDP checksum if the metadata says it is partial
    /// (`checksumPartial`), and clears that.
    @inlinable
    public mutating func completeChecksum() {
        guard metadata.checksumPartial else { return }
        withUnsafeMutableBytes { _ = PartialChecksum.complete($0) }
        metadata.checksumPartial = false
    }
}
