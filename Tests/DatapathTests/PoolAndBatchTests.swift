import Flow
import Datapath
import Testing

@Suite struct PacketPoolTests {
    @Test func recycledBuffersAreReusedWithoutAllocating() {
        let pool = PacketPool(capacity: 4, frameCapacity: 256, headroom: 32)
        #expect(pool.available == 4)
        for round in 0..<100 {
            var batch = PacketBatch()
            for i in 0..<4 {
                var p = pool.allocate(copying: [UInt8(round & 0xff), UInt8(i)])
                p.metadata.inPort = DatapathPort(UInt32(i))
                #expect(appended(&batch, p))
            }
            #expect(pool.available == 0)
            pool.recycle(&batch)
            #expect(batch.count == 0)
            #expect(pool.available == 4)
        }
        #expect(pool.stats.fallbackAllocations == 0)
        #expect(pool.stats.reused == 400)
        #expect(pool.stats.recycled == 400)
    }

    @Test func reusedBufferIsReset() {
        let pool = PacketPool(capacity: 1, frameCapacity: 64, headroom: 16)
        var p = pool.allocate(copying: [1, 2, 3])
        p.metadata.recirculationID = 9
        try? p.pull(2)
        pool.recycle(p)
        let q = pool.allocate()
        #expect(q.count == 0)
        #expect(q.headroom == 16)
        #expect(q.metadata == PacketMetadata())
    }

    @Test func emptyPoolFallsBackAndCounts() {
        let pool = PacketPool(capacity: 1, frameCapacity: 64, headroom: 16)
        let a = pool.allocate()
        let b = pool.allocate()
        #expect(pool.stats.fallbackAllocations == 1)
        pool.recycle(a)
        pool.recycle(b)                       // free list full: freed
        #expect(pool.available == 1)
        #expect(pool.stats.released == 1)
    }

    @Test func oversizedFramesGetTheirOwnBuffer() {
        let pool = PacketPool(capacity: 2, frameCapacity: 8, headroom: 4)
        let big = pool.allocate(copying: [UInt8](repeating: 7, count: 100))
        #expect(big.count == 100)
        #expect(big.headroom == 4)
        #expect(pool.available == 2)
        pool.recycle(big)                     // foreign size: freed, not kept
        #expect(pool.available == 2)
        #expect(pool.stats.released == 1)
    }

    /// Super-frame buffers (64 KiB) are kept on a free list of their own:
    /// one allocation, then reuse, metadata reset, up to `largeCapacity`.
    @Test func largeBuffersAreReused() throws {
        let pool = PacketPool(capacity: 2, frameCapacity: 256, headroom: 32)
        var first = pool.allocateLarge()
        #expect(first.capacity - 32 >= PacketPool.largeFrameCapacity)
        try first.append(count: PacketPool.largeFrameCapacity)
        first.metadata.checksumPartial = true
        pool.recycle(first)
        #expect(pool.stats.fallbackAllocations == 1)
        let again = pool.allocateLarge()
        #expect(pool.stats.fallbackAllocations == 1)
        #expect(again.count == 0 && !again.metadata.checksumPartial)
        pool.recycle(again)
        var many = PacketBatch()
        for _ in 0..<(PacketPool.largeCapacity + 3) { if let refused = many.append(pool.allocateLarge()) { pool.recycle(refused) } }
        #expect(many.count == PacketPool.largeCapacity + 3)
        let released = pool.stats.released
        pool.recycle(&many)
        #expect(pool.stats.released == released + 3)
    }

    @Test func cloneCopiesBytesAndMetadata() {
        let pool = PacketPool(capacity: 2)
        var p = pool.allocate(copying: [1, 2, 3])
        p.metadata.dpHash = 77
        var c = pool.clone(p)
        #expect(c.copyBytes() == [1, 2, 3])
        #expect(c.metadata.dpHash == 77)
        c.withUnsafeMutableBytes { $0[0] = 9 }
        #expect(p.copyBytes() == [1, 2, 3])
    }

    @Test func droppedPoolBuffersFreeThemselves() {
        let pool = PacketPool(capacity: 2)
        do { _ = pool.allocate(copying: [1]) }   // deinit frees; nothing leaks or dangles
        #expect(pool.available == 1)
    }
}

@Suite struct PacketBatchTests {
    @Test func holdsAtMost32InOrder() {
        let pool = PacketPool(capacity: 40)
        var batch = PacketBatch()
        for i in 0..<32 { #expect(appended(&batch, pool.allocate(copying: [UInt8(i)]))) }
        #expect(batch.count == 32)
        if let refused = batch.append(pool.allocate(copying: [99])) {
            #expect(refused.copyBytes() == [99])
            pool.recycle(refused)
        } else {
            Issue.record("a full batch accepted a packet")
        }
        for i in 0..<32 { #expect(batch[i].copyBytes() == [UInt8(i)]) }
        #expect(batch.totalBytes == 32)
        pool.recycle(&batch)
        #expect(pool.available == 40)
    }

    @Test func drainTakesEveryPacketInOrder() {
        let pool = PacketPool(capacity: 8)
        var batch = PacketBatch()
        for i in 0..<5 { _ = batch.append(pool.allocate(copying: [UInt8(i)])) }
        var seen: [UInt8] = []
        batch.drain { packet in
            seen += packet.copyBytes()
            pool.recycle(packet)
        }
        #expect(seen == [0, 1, 2, 3, 4])
        #expect(batch.isEmpty && pool.available == 8)
    }

    @Test func removeAtKeepsOrder() {
        let pool = PacketPool(capacity: 8)
        var batch = PacketBatch()
        for i in 0..<5 { _ = batch.append(pool.allocate(copying: [UInt8(i)])) }
        if let removed = batch.remove(at: 1) {
            #expect(removed.copyBytes() == [1])
            pool.recycle(removed)
        } else {
            Issue.record("remove(at: 1) found nothing")
        }
        var outOfRange = false
        if batch.remove(at: 10) != nil { outOfRange = true }
        if batch.remove(at: -1) != nil { outOfRange = true }
        #expect(!outOfRange)
        #expect((0..<batch.count).map { batch[$0].copyBytes()[0] } == [0, 2, 3, 4])
        pool.recycle(&batch)
    }

    @Test func forEachPacketMutatesInPlace() throws {
        let pool = PacketPool(capacity: 4)
        var batch = PacketBatch()
        for i in 0..<3 { _ = batch.append(pool.allocate(copying: [UInt8(i)])) }
        try batch.forEachPacket { (i, p) throws(PacketBufferError) in
            try p.prepend(contentsOf: [0xee])
            p.metadata.skbPriority = UInt32(i)
        }
        #expect(batch[2].copyBytes() == [0xee, 2])
        #expect(batch[2].metadata.skbPriority == 2)
        batch[0].metadata.packetMark = 4
        #expect(batch[0].metadata.packetMark == 4)
        pool.recycle(&batch)
    }

    @Test func takeMovesEverything() {
        let pool = PacketPool(capacity: 4)
        var batch = PacketBatch()
        for i in 0..<3 { _ = batch.append(pool.allocate(copying: [UInt8(i)])) }
        var moved = batch.take()
        #expect(batch.count == 0)
        #expect(moved.count == 3)
        #expect(moved[2].copyBytes() == [2])
        pool.recycle(&moved)
    }

    @Test func retainFiltersAndRecycles() {
        let pool = PacketPool(capacity: 8)
        var batch = PacketBatch()
        for i in 0..<6 { _ = batch.append(pool.allocate(copying: [UInt8(i)])) }
        batch.retain(recyclingInto: pool) { $0.withUnsafeBytes { $0[0] % 2 == 0 } }
        #expect((0..<batch.count).map { batch[$0].copyBytes()[0] } == [0, 2, 4])
        #expect(pool.available == 5)
        pool.recycle(&batch)
    }

    @Test func batchStaysSmall() {
        #expect(MemoryLayout<PacketBatch>.size <= 1024)
        #expect(MemoryLayout<PacketBuffer>.size <= 24)
    }
}

@Suite struct DropCounterTests {
    @Test func everyReasonHasACounterAndAName() {
        #expect(DropReason.allCases.count <= DropCounters.slots)
        #expect(Set(DropReason.allCases.map(\.description)).count == DropReason.allCases.count)
        var c = DropCounters()
        for (i, r) in DropReason.allCases.enumerated() { c.count(r, UInt64(i + 1)) }
        for (i, r) in DropReason.allCases.enumerated() { #expect(c[r] == UInt64(i + 1)) }
        var sum = DropCounters()
        sum += c
        sum += c
        #expect(sum.total == 2 * c.total)
        #expect(DropCounters().nonZero.isEmpty)
        #expect(c.nonZero.count == DropReason.allCases.count)
    }

    @Test func countersWrapInsteadOfTrapping() {
        var c = DropCounters()
        c[.meter] = .max
        c.count(.meter)
        #expect(c[.meter] == 0)
    }
}

/// Appends `packet` to `batch`; false (and the packet freed) if the batch was full.
func appended(_ batch: inout PacketBatch, _ packet: consuming PacketBuffer) -> Bool {
    if let refused = batch.append(packet) {
        _ = consume refused
        return false
    }
    return true
}
