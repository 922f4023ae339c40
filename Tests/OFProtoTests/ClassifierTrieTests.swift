@testable import OFProto
import Testing

/// The prefix trie against a list of prefixes.
@Suite struct ClassifierTrieTests {
    static func top(_ v: UInt32) -> UInt128 { UInt128(v) << 96 }

    @Test func agreesWithAListOfPrefixes() {
        var rng = ClassifierRNG(state: 77)
        var trie = ClassifierTrie(field: .ipv4Destination)
        var stored: [(UInt128, Int)] = []
        func prefixMatches(_ p: (UInt128, Int), _ v: UInt128) -> Bool {
            let mask = ~UInt128(0) << UInt128(128 - p.1)
            return (p.0 ^ v) & mask == 0
        }
        var wrong = 0, unsound = 0
        for round in 0..<3000 {
            // Mostly inserts, some removals; values in a few /8s so paths share.
            if round % 3 == 2, !stored.isEmpty {
                let i = Int.random(in: 0..<stored.count, using: &rng)
                trie.remove(stored[i].0, length: stored[i].1)
                stored.remove(at: i)
            } else {
                let length = [8, 12, 16, 20, 24, 32, Int.random(in: 1...32, using: &rng)].randomElement(using: &rng)!
                let v = UInt32.random(in: 0...UInt32.max, using: &rng) & 0x0fff_ffff | 0x0a00_0000 * UInt32.random(in: 0...2, using: &rng)
                let value = Self.top(v) & (~UInt128(0) << UInt128(128 - length))
                trie.insert(value, length: length)
                stored.append((value, length))
            }
            let probe = Self.top(UInt32.random(in: 0...UInt32.max, using: &rng) & 0x0fff_ffff
                                 | 0x0a00_0000 * UInt32.random(in: 0...2, using: &rng))
            let r = trie.lookup(probe)
            var expected: UInt128 = 0
            for p in stored where prefixMatches(p, probe) { expected |= 1 << UInt128(p.1 - 1) }
            if r.lengths != expected { wrong += 1 }
            // Any address agreeing on the examined bits gets the same lengths.
            let keep = r.bitsExamined == 0 ? 0 : ~UInt128(0) << UInt128(128 - r.bitsExamined)
            for _ in 0..<3 {
                let other = Self.top(UInt32.random(in: 0...UInt32.max, using: &rng)) & ~keep
                    | (stored.randomElement(using: &rng)?.0 ?? 0) & ~keep & (UInt128.random(in: 0...UInt128.max, using: &rng))
                let twin = (probe & keep) | (other & ~keep & (~UInt128(0) << 96))
                if trie.lookup(twin).lengths != r.lengths { unsound += 1 }
            }
        }
        #expect(wrong == 0)
        #expect(unsound == 0)
        for p in stored { trie.remove(p.0, length: p.1) }
        #expect(trie.nodeCount == 0)
        #expect(trie.lookup(Self.top(0x0a00_0001)).bitsExamined == 0)
    }
}
