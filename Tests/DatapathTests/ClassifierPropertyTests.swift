import Datapath
import Flow
import Testing

/// A small deterministic generator (splitmix64), so failures reproduce.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// The megaflow classifier against a linear scan of the same flows.
@Suite struct ClassifierPropertyTests {
    /// Fields masks are made of, with a small value domain each so that
    /// flows of different masks collide (and must be told apart).
    static let fields: [FlowField] = [
        .inPort, .ethType, .ethSource, .ethDestination, .vlan0TCI, .ipv4Source, .ipv4Destination,
        .networkProtocol, .transportSource, .transportDestination, .recirculationID, .tunnelID, .ctState,
    ]

    static func randomMask(_ rng: inout SplitMix) -> FlowMask {
        var m = FlowMask.catchAll
        let n = Int.random(in: 1...5, using: &rng)
        for _ in 0..<n {
            let f = fields.randomElement(using: &rng)!
            // Full field, or a prefix (CIDR-like) of it.
            let prefix = Int.random(in: 1...f.width, using: &rng)
            let bits = Bool.random(using: &rng) ? f.maxValue : (f.maxValue >> UInt64(f.width - prefix)) << UInt64(f.width - prefix)
            m[f] = bits
        }
        return m
    }

    /// A key whose fields take values 0...3 shifted to the field's top, so
    /// prefixes matter.
    static func randomKey(_ rng: inout SplitMix) -> FlowKey {
        var k = FlowKey()
        for f in fields {
            let v = UInt64.random(in: 0...3, using: &rng)
            k[f] = f.width >= 2 ? v << UInt64(f.width - 2) | (UInt64.random(in: 0...1, using: &rng)) : v & 1
        }
        return k
    }

    /// True if some key matches both flows.
    static func overlap(_ a: FlowRecord, _ b: FlowRecord) -> Bool {
        for i in 0..<FlowKey.wordCount {
            if (a.key.words[i] ^ b.key.words[i]) & a.mask.words[i] & b.mask.words[i] != 0 { return false }
        }
        return true
    }

    @Test func agreesWithALinearScan() throws {
        var rng = SplitMix(state: 0x5eed)
        let thread = PollThread(upcalls: UpcallQueue())
        let masks = (0..<24).map { _ in Self.randomMask(&rng) }
        var flows: [FlowRecord] = []
        var attempts = 0
        while flows.count < 300 && attempts < 20_000 {
            attempts += 1
            let r = FlowRecord(key: Self.randomKey(&rng), mask: masks.randomElement(using: &rng)!,
                               actions: [], ufid: UInt128(attempts))
            if flows.contains(where: { Self.overlap($0, r) }) { continue }
            flows.append(r)
            thread.control.send(.install(r))
        }
        thread.applyControl()
        #expect(flows.count >= 100)
        #expect(thread.classifier.maskCount == Set(flows.map(\.mask)).count)

        var hits = 0, misses = 0
        // The reference: each flow's significant words as plain arrays
        // (fast even in debug builds), scanned linearly.
        struct Compact { var ufid: UInt128; var index: [Int]; var key: [UInt64]; var mask: [UInt64]; var all: [UInt64] }
        func compact(_ r: FlowRecord) -> Compact {
            let index = (0..<FlowKey.wordCount).filter { r.mask.words[$0] != 0 }
            return Compact(ufid: r.ufid, index: index, key: index.map { r.key.words[$0] },
                           mask: index.map { r.mask.words[$0] },
                           all: (0..<FlowKey.wordCount).map { r.mask.words[$0] })
        }
        var reference = flows.map(compact)
        let fullKeys = Dictionary(uniqueKeysWithValues: flows.map { r in
            (r.ufid, (0..<FlowKey.wordCount).map { r.key.words[$0] })
        })
        func check(_ n: Int) {
            for _ in 0..<n {
                var words: [UInt64]
                if Int.random(in: 0..<10, using: &rng) < 7, let f = reference.randomElement(using: &rng) {
                    // One flow's key, noise in every bit its mask ignores.
                    words = fullKeys[f.ufid]!
                    for i in 0..<FlowKey.wordCount { words[i] |= rng.next() & ~f.all[i] }
                } else {
                    let k = Self.randomKey(&rng)
                    words = (0..<FlowKey.wordCount).map { k.words[$0] }
                }
                var expected: [UInt128] = []
                for c in reference {
                    var d: UInt64 = 0
                    for j in 0..<c.index.count { d |= (words[c.index[j]] & c.mask[j]) ^ c.key[j] }
                    if d == 0 { expected.append(c.ufid) }
                }
                #expect(expected.count <= 1)
                let got = thread.classify(FlowKey(words: words))
                if got?.ufid != expected.first {
                    Issue.record("classifier \(String(describing: got?.ufid)) vs scan \(String(describing: expected.first))")
                    return
                }
                if got == nil { misses += 1 } else { hits += 1 }
            }
        }
        check(50_000)
        // Remove a third of the flows (and re-rank), then check again.
        var removed = 0
        flows.removeAll { r in
            guard r.ufid % 3 == 0 else { return false }
            thread.control.send(.remove(ufid: r.ufid))
            removed += 1
            return true
        }
        reference = flows.map(compact)
        thread.applyControl()
        thread.classifier.rank()
        #expect(thread.flowCount == flows.count)
        check(50_000)
        #expect(hits > 30_000)
        #expect(misses > 10_000)
    }
}
