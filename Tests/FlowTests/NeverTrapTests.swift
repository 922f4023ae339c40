import Testing
import Flow
import Wire

/// Extraction must never trap: random bytes of every length, and every
/// truncation and single-byte corruption of the golden frames.
@Test func randomBytesNeverTrap() {
    var g = SplitMix(state: 0x5eed)
    var buffer = [UInt8](repeating: 0, count: 256)
    var sink: UInt64 = 0
    for n in 0..<20_000 {
        let length = n % 257
        for i in 0..<length { buffer[i] = UInt8(truncatingIfNeeded: g.next()) }
        // Steer some of them into interesting EtherTypes.
        if length >= 14 && n % 3 == 0 {
            let types: [UInt16] = [0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x8847, 0x894f, 0x0020]
            let t = types[Int(g.next() % UInt64(types.count))]
            buffer[12] = UInt8(t >> 8)
            buffer[13] = UInt8(t & 0xff)
        }
        let key = buffer.withUnsafeBytes { FlowKey(extractingFrom: UnsafeRawBufferPointer(rebasing: $0[0..<length]), inPort: 1) }
        sink ^= key.fullHash
    }
    #expect(sink != 1)
}

@Test func everyTruncationAndCorruptionOfGoldenFramesIsSafe() {
    var count = 0
    for c in extractCases {
        for n in 0...c.bytes.count {
            let prefix = Array(c.bytes[0..<n])
            let key = extract(prefix)
            _ = key.formatted()
            count += 1
        }
        for i in 0..<min(c.bytes.count, 80) {
            for v: UInt8 in [0x00, 0xff, 0x0f, 0x45] {
                var b = c.bytes
                b[i] = v
                _ = extract(b).formatted()
            }
        }
    }
    #expect(count > 1000)
}

@Test func emptyBufferGivesOnlyThePort() {
    let key = FlowKey(extractingFrom: UnsafeRawBufferPointer(start: nil, count: 0), inPort: 0xffff)
    #expect(key.formatted() == "in_port=ANY,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,dl_type=0x0000")
}
