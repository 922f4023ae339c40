import Flow
import Datapath
import Testing

@Suite struct PacketBufferTests {
    @Test func copyingKeepsBytesAndHeadroom() {
        let p = PacketBuffer(copying: [1, 2, 3, 4], headroom: 16, tailroom: 8)
        #expect(p.count == 4)
        #expect(p.headroom == 16)
        #expect(p.tailroom == 8)
        #expect(p.capacity == 28)
        #expect(p.copyBytes() == [1, 2, 3, 4])
    }

    @Test func pushUsesHeadroomAndZeroes() throws {
        var p = PacketBuffer(copying: [9, 9], headroom: 8)
        try p.push(4)
        #expect(p.headroom == 4)
        #expect(p.copyBytes() == [0, 0, 0, 0, 9, 9])
        p.withUnsafeMutableBytes { $0[0] = 0x81 }
        #expect(p.copyBytes().first == 0x81)
    }

    @Test func pushWholeHeadroomThenOneMoreMovesFrame() throws {
        var p = PacketBuffer(copying: [1, 2, 3], headroom: 4, tailroom: 6)
        try p.push(4)
        #expect(p.headroom == 0)
        try p.push(2)                       // no headroom: frame moves back once
        #expect(p.copyBytes() == [0, 0, 0, 0, 0, 0, 1, 2, 3])
        #expect(p.headroom + p.tailroom == 4)
    }

    @Test func pushBeyondCapacityThrowsAndLeavesFrame() {
        var p = PacketBuffer(copying: [1, 2, 3], headroom: 2, tailroom: 1)
        #expect(throws: PacketBufferError.noRoom(needed: 4, available: 3)) { try p.push(4) }
        #expect(p.copyBytes() == [1, 2, 3])
        #expect(throws: PacketBufferError.negativeCount(-1)) { try p.push(-1) }
        #expect(throws: PacketBufferError.noRoom(needed: Int.max, available: 3)) { try p.push(Int.max) }
    }

    @Test func pullRemovesFrontAndRestoresHeadroom() throws {
        var p = PacketBuffer(copying: [1, 2, 3, 4, 5], headroom: 10)
        try p.pull(2)
        #expect(p.copyBytes() == [3, 4, 5])
        #expect(p.headroom == 12)
        try p.pull(3)
        #expect(p.count == 0)
        #expect(throws: PacketBufferError.tooShort(requested: 1, available: 0)) { try p.pull(1) }
        #expect(throws: PacketBufferError.negativeCount(-5)) { try p.pull(-5) }
    }

    @Test func appendTrimAndTruncate() throws {
        var p = PacketBuffer(copying: [1, 2], headroom: 4, tailroom: 4)
        try p.append(contentsOf: [3, 4])
        try p.append(count: 2)
        #expect(p.copyBytes() == [1, 2, 3, 4, 0, 0])
        try p.trim(3)
        #expect(p.copyBytes() == [1, 2, 3])
        #expect(throws: PacketBufferError.tooShort(requested: 4, available: 3)) { try p.trim(4) }
        p.truncate(toCount: 10)
        #expect(p.count == 3)
        p.truncate(toCount: 1)
        #expect(p.copyBytes() == [1])
        p.truncate(toCount: -3)
        #expect(p.count == 0)
    }

    @Test func appendBeyondTailroomMovesFrameForward() throws {
        var p = PacketBuffer(copying: [7], headroom: 6, tailroom: 0)
        try p.append(contentsOf: [8, 9, 10])
        #expect(p.copyBytes() == [7, 8, 9, 10])
        #expect(throws: PacketBufferError.noRoom(needed: 4, available: 3)) { try p.append(count: 4) }
    }

    @Test func prependWritesHeader() throws {
        var p = PacketBuffer(copying: [0xaa], headroom: 4)
        try p.prepend(contentsOf: [0x81, 0x00, 0x00, 0x05])
        #expect(p.copyBytes() == [0x81, 0x00, 0x00, 0x05, 0xaa])
    }

    @Test func zeroCapacityBufferRefusesEverythingGracefully() {
        var p = PacketBuffer(frameCapacity: 0, headroom: 0)
        #expect(p.capacity == 0)
        #expect(throws: PacketBufferError.noRoom(needed: 1, available: 0)) { try p.push(1) }
        #expect(throws: PacketBufferError.noRoom(needed: 1, available: 0)) { try p.append(count: 1) }
        #expect((try? p.push(0)) != nil)
        #expect(p.count == 0)
    }

    @Test func negativeSizesAreClamped() {
        let p = PacketBuffer(frameCapacity: -10, headroom: -10)
        #expect(p.capacity == 0)
        #expect(p.headroom == 0)
    }

    @Test func metadataLivesWithTheBuffer() {
        var p = PacketBuffer(copying: [1])
        #expect(p.metadata == PacketMetadata())
        p.metadata.inPort = DatapathPort(7)
        p.metadata.conntrack.labels = 1 << 100
        p.metadata.tunnel.tunnelID = 42
        #expect(p.metadata.inPort == DatapathPort(7))
        #expect(p.metadata.conntrack.labels == 1 << 100)
        #expect(p.metadata.tunnel.tunnelID == 42)
        p.reset(headroom: 3)
        #expect(p.metadata == PacketMetadata())
        #expect(p.count == 0 && p.headroom == 3)
    }

    @Test func replaceFrameKeepsMetadata() throws {
        var p = PacketBuffer(copying: [1, 2, 3], headroom: 4, tailroom: 2)
        p.metadata.packetMark = 5
        let longer: [UInt8] = [9, 8, 7, 6, 5, 4, 3, 2]
        try longer.withUnsafeBytes { (raw) throws in try p.replaceFrame(with: raw) }
        #expect(p.copyBytes() == longer)
        #expect(p.metadata.packetMark == 5)
        #expect(p.headroom == 1)
        let tooLong = [UInt8](repeating: 1, count: 10)
        #expect(throws: PacketBufferError.noRoom(needed: 10, available: 9)) {
            try tooLong.withUnsafeBytes { (raw) throws in try p.replaceFrame(with: raw) }
        }
    }

    /// Random sequences of operations never trap and keep the buffer's
    /// invariants (headroom + count + tailroom == capacity) and contents
    /// equal to a plain array model.
    @Test func randomOperationsMatchAModel() {
        var rng = SplitMix64(seed: 0xdead_beef)
        for _ in 0..<300 {
            let headroom = Int.random(in: 0...16, using: &rng)
            let tail = Int.random(in: 0...16, using: &rng)
            let start = (0..<Int.random(in: 0...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var p = PacketBuffer(copying: start, headroom: headroom, tailroom: tail)
            var model = start
            for _ in 0..<40 {
                let n = Int.random(in: -2...12, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0:
                    let ok = (try? p.push(n)) != nil
                    #expect(ok == (n >= 0 && n <= p.capacity - model.count))
                    if ok { model = Array(repeating: 0, count: n) + model }
                case 1:
                    let ok = (try? p.pull(n)) != nil
                    #expect(ok == (n >= 0 && n <= model.count))
                    if ok { model.removeFirst(n) }
                case 2:
                    let bytes = (0..<max(0, n)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    let ok = (try? p.append(contentsOf: bytes)) != nil
                    #expect(ok == (bytes.count <= p.capacity - model.count))
                    if ok { model += bytes }
                case 3:
                    let ok = (try? p.trim(n)) != nil
                    #expect(ok == (n >= 0 && n <= model.count))
                    if ok { model.removeLast(n) }
                default:
                    let bytes = (0..<max(0, n)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    let ok = (try? p.prepend(contentsOf: bytes)) != nil
                    if ok { model = bytes + model }
                }
                #expect(p.copyBytes() == model)
                #expect(p.headroom + p.count + p.tailroom == p.capacity)
            }
        }
    }
}

/// A small deterministic generator for reproducible random tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
