/// Up to 32 packets that travel through the datapath together.
///
/// **Why noncopyable and inline.** The batch is a `~Copyable` struct whose
/// 32 slots live inline (`InlineArray`, about 800 bytes), so a poll loop
/// keeps its batches on the stack: no heap allocation, no reference count,
/// no existential. Ownership is in the signatures: `Port.send(_:pool:)`
/// takes the batch `consuming`, so the compiler rejects touching packets
/// after they were handed to a port, the rule Open vSwitch states in prose
/// ("the caller transfers ownership of all the packets"). A class-backed
/// batch would have made that a convention and cost a retain per hand-off.
/// The price is a move of ~800 bytes when a batch changes hands, and
/// element access through `_read`/`_modify` (or `forEachPacket`) instead
/// of copying elements out.
///
/// Packets keep their order. Dropping a batch frees the packets still in
/// it (their memory is returned to the allocator, not to a pool), so
/// recycle batches with `PacketPool.recycle(_:)`.
public struct PacketBatch: ~Copyable, Sendable {
    /// The most packets a batch holds.
    public static var capacity: Int { DatapathLimits.batchSize }

    @usableFromInline var slots: InlineArray<32, PacketBuffer?>
    @usableFromInline var storedCount: Int
    /// Packets in the batch, `0...capacity`.
    @inlinable public var count: Int { storedCount }

    /// An empty batch.
    @inlinable public init() {
        slots = InlineArray { _ in nil }
        storedCount = 0
    }

    @inlinable public var isEmpty: Bool { count == 0 }
    @inlinable public var isFull: Bool { count == 32 }
    /// Free slots.
    @inlinable public var remainingCapacity: Int { 32 &- count }

    /// Adds `packet` at the end. Returns `nil` when it was added; when the
    /// batch is full the packet comes back, so the caller decides (send the
    /// batch first, or recycle the packet and count a drop).
    @inlinable
    public mutating func append(_ packet: consuming PacketBuffer) -> PacketBuffer? {
        guard count < 32 else { return packet }
        slots[count] = consume packet
        storedCount &+= 1
        return nil
    }

    /// Removes and returns the last packet, `nil` if the batch is empty.
    @inlinable
    public mutating func removeLast() -> PacketBuffer? {
        guard count > 0 else { return nil }
        storedCount &-= 1
        return slots[count].take()
    }

    /// Removes and returns the packet at `index`, keeping the order of the
    /// rest; `nil` if `index` is out of range.
    public mutating func remove(at index: Int) -> PacketBuffer? {
        guard index >= 0, index < count else { return nil }
        let p = slots[index].take()
        var i = index
        while i + 1 < count {
            slots[i] = slots[i + 1].take()
            i += 1
        }
        storedCount -= 1
        return p
    }

    /// The packet at `index` (which must be below `count`).
    @inlinable
    public subscript(index: Int) -> PacketBuffer {
        _read {
            precondition(index >= 0 && index < count, "PacketBatch index out of range")
            yield slots[index]!
        }
        _modify {
            precondition(index >= 0 && index < count, "PacketBatch index out of range")
            yield &slots[index]!
        }
    }

    /// Takes the packets out front to back, handing each to `body`, and
    /// leaves the batch empty (no shifting, unlike `remove(at: 0)`).
    @inlinable
    public mutating func drain(_ body: (consuming PacketBuffer) -> Void) {
        var i = 0
        let n = count
        storedCount = 0
        while i < n {
            if let packet = slots[i].take() { body(packet) }
            i &+= 1
        }
    }

    /// Calls `body` with each packet in order, mutably.
    @inlinable
    public mutating func forEachPacket<E: Error>(_ body: (Int, inout PacketBuffer) throws(E) -> Void) throws(E) {
        var i = 0
        while i < count {
            try body(i, &slots[i]!)
            i &+= 1
        }
    }

    /// Frame bytes in the whole batch.
    public var totalBytes: Int {
        var sum = 0
        for i in 0..<count {
            switch slots[i] {
            case .some(let p): sum += p.count
            case .none: break
            }
        }
        return sum
    }

    /// Moves every packet into a new batch, leaving this one empty (to send
    /// a batch held in a variable that lives on).
    public mutating func take() -> PacketBatch {
        var out = PacketBatch()
        for i in 0..<count { out.slots[i] = slots[i].take() }
        out.storedCount = count
        storedCount = 0
        return out
    }

    /// Keeps the packets for which `isIncluded` is true, in order, and moves
    /// the others into `pool`.
    public mutating func retain(recyclingInto pool: PacketPool,
                                where isIncluded: (borrowing PacketBuffer) -> Bool) {
        var kept = 0
        for i in 0..<count {
            guard let p = slots[i].take() else { continue }
            if isIncluded(p) {
                slots[kept] = consume p
                kept += 1
            } else {
                pool.recycle(p)
            }
        }
        storedCount = kept
    }
}
