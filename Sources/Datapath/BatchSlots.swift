extension PacketBatch {
    /// Moves the packet at `index` out, leaving its slot empty (the batch's
    /// count is unchanged: call `markDrained()` once every packet is out).
    /// For the poll thread, which hands packets to their flows out of order.
    @inlinable
    mutating func takePacket(at index: Int) -> PacketBuffer? {
        slots[index].take()
    }

    /// Declares the batch empty after `takePacket(at:)` moved every packet out.
    @inlinable
    mutating func markDrained() {
        storedCount = 0
    }
}
