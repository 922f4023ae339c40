import Flow

/// Counters of a `PacketPool`.
public struct PacketPoolStats: Hashable, Sendable {
    /// Buffers handed out from the free list.
    public var reused: UInt64 = 0
    /// Buffers allocated because the free list was empty or the frame was
    /// larger than the pool's buffers. Zero in a steady state; a benchmark
    /// that sees it grow has found a leak or an undersized pool.
    public var fallbackAllocations: UInt64 = 0
    /// Buffers taken back onto the free list.
    public var recycled: UInt64 = 0
    /// Buffers freed on recycle (foreign size, or the free list was full).
    public var released: UInt64 = 0
    public init() {}
}

/// A free list of equally sized packet buffers, so the per-packet path
/// allocates nothing.
///
/// One pool belongs to one thread (a poll thread, a handler): it is a
/// class for identity, not for sharing, and it is not `Sendable`. Buffers
/// may cross threads (they are noncopyable and `Sendable`); whoever holds
/// one at the end recycles it into *their* pool. The pool never refuses:
/// when its free list is empty it allocates and counts it in
/// `stats.fallbackAllocations`, and recycling beyond `capacity` frees.
/// That bounds memory by the packets in flight and keeps leaks visible.
public final class PacketPool {
    /// Bytes of frame a pooled buffer holds after the headroom.
    public let frameCapacity: Int
    /// Bytes of room a fresh buffer has in front of the frame.
    public let headroom: Int
    /// The most buffers the free list keeps.
    public let capacity: Int
    /// Counters.
    public private(set) var stats = PacketPoolStats()

    private let dataCapacity: Int
    private let freeList: UnsafeMutablePointer<UnsafeMutableRawPointer>
    private var freeCount: Int

    /// Frame bytes of a large buffer: the biggest IP packet (64 KiB) behind
    /// Ethernet and two VLAN tags — a TCP super-frame.
    public static let largeFrameCapacity = 65_535 + 14 + 8
    /// The most large buffers kept (allocated on first use only).
    public static let largeCapacity = 16
    private var largeFree: [UnsafeMutableRawPointer] = []
    private var largeDataCapacity: Int { headroom + Self.largeFrameCapacity }

    /// Makes a pool and allocates its `capacity` buffers now.
    public init(capacity: Int = 1024,
                frameCapacity: Int = DatapathLimits.defaultFrameCapacity,
                headroom: Int = DatapathLimits.defaultHeadroom) {
        precondition(_isPOD(PacketMetadata.self), "PacketMetadata must stay plain data")
        self.capacity = max(0, capacity)
        self.headroom = min(max(0, headroom), PacketBuffer.maximumCapacity / 2)
        self.frameCapacity = min(max(0, frameCapacity), PacketBuffer.maximumCapacity - self.headroom)
        self.dataCapacity = self.headroom + self.frameCapacity
        freeList = .allocate(capacity: max(1, self.capacity))
        freeCount = 0
        for _ in 0..<self.capacity {
            freeList[freeCount] = PacketBuffer.allocateStorage(dataCapacity: dataCapacity)
            freeCount += 1
        }
    }

    deinit {
        for p in largeFree { p.deallocate() }
        for i in 0..<freeCount { freeList[i].deallocate() }
        freeList.deallocate()
    }

    /// Buffers on the free list now.
    public var available: Int { freeCount }

    /// An empty buffer with `headroom` bytes free in front and metadata reset.
    @inlinable
    public func allocate() -> PacketBuffer {
        makeBuffer()
    }

    @usableFromInline
    func makeBuffer() -> PacketBuffer {
        if freeCount > 0 {
            freeCount &-= 1
            stats.reused &+= 1
            var p = PacketBuffer(adopting: freeList[freeCount], dataCapacity: dataCapacity, headroom: headroom)
            p.metadata = PacketMetadata()
            return p
        }
        stats.fallbackAllocations &+= 1
        return PacketBuffer(frameCapacity: frameCapacity, headroom: headroom)
    }

    /// An empty buffer for a frame of up to `largeFrameCapacity` bytes (a
    /// super-frame), from a small free list of its own: a fresh 64 KiB
    /// buffer per super-frame costs page faults and clearing.
    public func allocateLarge() -> PacketBuffer {
        if let storage = largeFree.popLast() {
            stats.reused &+= 1
            var p = PacketBuffer(adopting: storage, dataCapacity: largeDataCapacity, headroom: headroom)
            p.metadata = PacketMetadata()
            return p
        }
        stats.fallbackAllocations &+= 1
        return PacketBuffer(frameCapacity: Self.largeFrameCapacity, headroom: headroom)
    }

    /// A buffer holding a copy of `bytes` behind the usual headroom. Frames
    /// larger than `frameCapacity` get a buffer of their own (counted as a
    /// fallback allocation).
    public func allocate(copying bytes: UnsafeRawBufferPointer) -> PacketBuffer {
        guard bytes.count <= frameCapacity else {
            stats.fallbackAllocations &+= 1
            return PacketBuffer(copying: bytes, headroom: headroom)
        }
        var p = makeBuffer()
        // Cannot fail: the frame fits behind the headroom.
        try? p.append(contentsOf: bytes)
        return p
    }

    /// A buffer holding a copy of `bytes`.
    public func allocate(copying bytes: [UInt8]) -> PacketBuffer {
        guard bytes.count <= frameCapacity else {
            stats.fallbackAllocations &+= 1
            return PacketBuffer(copying: bytes, headroom: headroom)
        }
        var p = makeBuffer()
        // Cannot fail: the frame fits behind the headroom.
        try? p.append(contentsOf: bytes)
        return p
    }

    /// A copy of `packet`: same frame bytes and metadata, fresh headroom
    /// (for `clone`, `sample` and multiple outputs).
    public func clone(_ packet: borrowing PacketBuffer) -> PacketBuffer {
        var copy = packet.withUnsafeBytes { allocate(copying: $0) }
        copy.metadata = packet.metadata
        return copy
    }

    /// Takes a buffer back. Buffers of another size, or beyond the pool's
    /// capacity, are freed.
    @inlinable
    public func recycle(_ packet: consuming PacketBuffer) {
        takeBack(packet)
    }

    @usableFromInline
    func takeBack(_ packet: consuming PacketBuffer) {
        guard packet.capacity == dataCapacity, freeCount < capacity else {
            if packet.capacity == largeDataCapacity, largeFree.count < Self.largeCapacity {
                largeFree.append(packet.releaseStorage())
                stats.recycled &+= 1
                return
            }
            stats.released &+= 1
            return // the buffer's deinit frees it
        }
        freeList[freeCount] = packet.releaseStorage()
        freeCount &+= 1
        stats.recycled &+= 1
    }

    /// Takes back every packet in `batch`, leaving it empty.
    public func recycle(_ batch: inout PacketBatch) {
        while let p = batch.removeLast() { takeBack(p) }
    }

    /// Takes back every packet in `batch`.
    public func recycle(_ batch: consuming PacketBatch) {
        while let p = batch.removeLast() { takeBack(p) }
    }
}
