import Testing
@testable import Wire

/// Arbitrary bytes never trap: every view, its accessors, setters and
/// iterators, and whole-frame walks over mutated fixtures.
@Suite struct NeverTrapTests {
    /// Random bytes, with a first byte often drawn from values that pass
    /// the version checks, so deeper paths run too.
    static func input(_ rng: inout SplitMix64) -> [UInt8] {
        var bytes = rng.bytes(Int.random(in: 0...96, using: &rng))
        if !bytes.isEmpty, Bool.random(using: &rng) {
            bytes[0] = [0x45, 0x46, 0x4f, 0x60, 0x00, 0x01, 0x02, 0x20, 0x30, 0x87, 0x88, 0xb0][Int.random(in: 0...11, using: &rng)]
        }
        if bytes.count > 12, Bool.random(using: &rng) { bytes[12] = 0x50 }       // TCP data offset 5
        if bytes.count > 5, Bool.random(using: &rng) { bytes[1] = 0; bytes[5] = UInt8(Int.random(in: 0...3, using: &rng)) }
        return bytes
    }

    @Test(arguments: ViewKind.allCases)
    func viewsNeverTrap(_ kind: ViewKind) {
        var rng = SplitMix64(seed: UInt64(kind.hashValue & 0xffff) ^ 0xf022)
        var accepted = 0
        let templates = validationCases.filter { $0.view == kind && $0.expected == nil }.map(\.bytes)
        for i in 0..<4000 {
            var bytes = Self.input(&rng)
            if i % 2 == 0, let template = templates.randomElement(using: &rng) {
                // A valid template with a random tail and a few random bytes.
                bytes = template + rng.bytes(Int.random(in: 0...24, using: &rng))
                for _ in 0..<Int.random(in: 0...2, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            bytes.withUnsafeMutableBytes { raw in
                if (try? kind.validateAndRead(raw)) != nil { accepted += 1 }
                try? kind.write(raw, seed: UInt64(i) &* 0x9e37_79b9)
                _ = try? kind.validateAndRead(raw)
            }
        }
        // Many inputs must get past validation, or the test proves little.
        #expect(accepted > 400)
    }

    /// Whatever parses, emits and parses to the same value.
    @Test func parsedHeadersReEmitStably() throws {
        var rng = SplitMix64(seed: 0xabc)
        var parsed = 0
        for _ in 0..<3000 {
            let bytes = Self.input(&rng)
            parsed += try stable(EthernetHeader.self, bytes) + stable(LLCSNAPHeader.self, bytes)
                + stable(VLANHeader.self, bytes) + stable(MPLSLabelStackEntry.self, bytes)
                + stable(ARPHeader.self, bytes) + stable(IPv4Header.self, bytes) + stable(IPv6Header.self, bytes)
                + stable(IPv6OptionsHeader.self, bytes) + stable(IPv6RoutingHeader.self, bytes)
                + stable(IPv6FragmentHeader.self, bytes) + stable(TCPHeader.self, bytes) + stable(UDPHeader.self, bytes)
                + stable(SCTPHeader.self, bytes) + stable(ICMPv4Header.self, bytes) + stable(ICMPv6Header.self, bytes)
                + stable(NeighborDiscoveryMessage.self, bytes) + stable(IGMPHeader.self, bytes)
                + stable(IGMPv3Report.self, bytes) + stable(VXLANHeader.self, bytes) + stable(GeneveHeader.self, bytes)
                + stable(GREHeader.self, bytes)
        }
        #expect(parsed > 10000)
    }

    /// Flipped bits, cut tails and stray lengths in real frames: the full
    /// dissection never traps.
    @Test(arguments: fixtureCases)
    func mutatedFixturesNeverTrap(_ c: FixtureCase) {
        var rng = SplitMix64(seed: UInt64(c.bytes.count) &* 31 &+ UInt64(c.bytes.first ?? 0))
        for _ in 0..<1500 {
            var bytes = c.bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0...2, using: &rng) {
                case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                case 1: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                default: bytes = Array(bytes.prefix(at))
                }
                if bytes.isEmpty { break }
            }
            _ = dissect(bytes)
        }
    }

    @Test func pcapReadersNeverTrap() {
        var rng = SplitMix64(seed: 0x9ca9)
        var w = PcapNGWriter()
        w.write(CapturedPacket(seconds: 1, nanoseconds: 2, data: Fixtures.tcpSyn))
        w.addInterface(linkType: 101, snapLength: 64)
        w.write(CapturedPacket(seconds: 3, data: Fixtures.arpRequest), interface: 1)
        w.writeSimple(CapturedPacket(data: Fixtures.vlanUdp))
        var classic = PcapWriter()
        classic.write(CapturedPacket(seconds: 1, data: Fixtures.tcpSyn))
        for base in [w.bytes, classic.bytes] {
            for _ in 0..<2000 {
                var bytes = base
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    if Bool.random(using: &rng) { bytes[at] = UInt8.random(in: 0...255, using: &rng) } else { bytes = Array(bytes.prefix(at)) }
                    if bytes.isEmpty { break }
                }
                guard var reader = try? PcapReader(bytes: bytes) else { continue }
                var n = 0
                while n < 100, let p = try? reader.next() { _ = p.data.count; n += 1 }
            }
        }
    }
}

/// 1 if `bytes` parse as `H` (and then emit and re-parse to the same
/// value), 0 if they do not parse.
func stable<H: WireHeader>(_: H.Type, _ bytes: [UInt8]) throws -> Int {
    guard let h = try? H(parsing: bytes) else { return 0 }
    var again = try h.emitted()
    // Parsing may need the bytes a length field promised beyond the header.
    if again.count < bytes.count { again += bytes[again.count...] }
    let back = try H(parsing: again)
    #expect(back == h, "\(H.self) from \(hex(bytes))")
    return 1
}
