import Flow
import OFProto
import Testing

/// A small deterministic generator (splitmix64), so failures reproduce.
struct ClassifierRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Random rules and keys over a few fields with small value domains, so
/// that rules overlap, share masks and collide on priorities.
enum ClassifierFixtures {
    static let fields: [FlowField] = [
        .inPort, .ethType, .ipv4Destination, .ipv4Source, .networkProtocol, .transportDestination,
        .transportSource, .metadata, .register(0), .vlan0TCI, .tunnelID, .tcpFlags,
    ]

    /// A value of `field` from its small domain.
    static func value(_ f: FlowField, _ rng: inout ClassifierRNG) -> UInt64 {
        switch f {
        case .ethType: return [0x0800, 0x86dd, 0x0806].randomElement(using: &rng)!
        case .ipv4Destination, .ipv4Source:
            // 10.0-1.0-3.0-3 mostly, sometimes anything.
            if UInt8.random(in: 0..<8, using: &rng) == 0 { return UInt64(UInt32.random(in: 0...UInt32.max, using: &rng)) }
            return 0x0a00_0000 | UInt64.random(in: 0...1, using: &rng) << 16
                | UInt64.random(in: 0...3, using: &rng) << 8 | UInt64.random(in: 0...3, using: &rng)
        case .networkProtocol: return [6, 17, 1].randomElement(using: &rng)!
        case .transportDestination, .transportSource: return [22, 80, 443, 8080].randomElement(using: &rng)!
        default: return UInt64.random(in: 0...3, using: &rng)
        }
    }

    /// A mask on `field`: whole, a CIDR prefix (addresses), or random bits.
    static func fieldMask(_ f: FlowField, _ rng: inout ClassifierRNG) -> UInt64 {
        switch UInt8.random(in: 0..<10, using: &rng) {
        case 0..<5: return f.maxValue
        case 5..<9:
            let length = f.width == 32 && (f == .ipv4Destination || f == .ipv4Source)
                ? [8, 16, 24, 30, 31, Int.random(in: 1...32, using: &rng)].randomElement(using: &rng)!
                : Int.random(in: 1...f.width, using: &rng)
            return (f.maxValue >> UInt64(f.width - length)) << UInt64(f.width - length)
        default: return UInt64.random(in: 1...f.maxValue, using: &rng)
        }
    }

    static func randomMask(_ rng: inout ClassifierRNG) -> FlowMask {
        var m = FlowMask.catchAll
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            let f = fields.randomElement(using: &rng)!
            m[f] = fieldMask(f, &rng)
        }
        return m
    }

    static func randomKey(_ rng: inout ClassifierRNG) -> FlowKey {
        var k = FlowKey()
        for f in fields { k[f] = value(f, &rng) }
        // Noise in words no rule looks at.
        k[.ethSource] = UInt64.random(in: 0...0xffff_ffff_ffff, using: &rng)
        return k
    }

    /// `key` with random bits flipped where `wildcards` has zeros.
    static func perturb(_ key: FlowKey, outside wildcards: FlowMask, _ rng: inout ClassifierRNG) -> FlowKey {
        var k = key
        for i in 0..<FlowKey.wordCount {
            var noise = UInt64.random(in: 0...UInt64.max, using: &rng)
            // Sometimes flip only a few bits, so values stay near the domain.
            if Bool.random(using: &rng) { noise &= UInt64.random(in: 0...UInt64.max, using: &rng) & UInt64.random(in: 0...UInt64.max, using: &rng) }
            k.words[i] ^= noise & ~wildcards.words[i]
        }
        return k
    }
}

@Suite struct ClassifierPropertyTests {
    /// The brute-force reference: the highest priority among visible rules `key` matches.
    /// The versions each rule is visible in, as the test set them
    /// (independent of `ClassifierRule.isVisible`).
    static func bestPriority(_ rules: [ClassifierRule], _ key: FlowKey, _ version: ClassifierVersion,
                             _ ranges: [ObjectIdentifier: Range<UInt64>]) -> Int? {
        var best: Int?
        for r in rules where (ranges[ObjectIdentifier(r)] ?? 0..<UInt64.max).contains(version.rawValue)
            && r.match.matches(key) {
            if best == nil || r.priority > best! { best = r.priority }
        }
        return best
    }

    static func check(prefixFields: [ClassifierPrefixField], seed: UInt64, ruleCount: Int, keys: Int,
                      versioned: Bool = false) {
        var rng = ClassifierRNG(state: seed)
        let classifier = Classifier(prefixFields: prefixFields)
        let masks = (0..<20).map { _ in ClassifierFixtures.randomMask(&rng) }
        var rules: [ClassifierRule] = []
        var ranges: [ObjectIdentifier: Range<UInt64>] = [:]
        let v1 = ClassifierVersion(rawValue: 1)
        for _ in 0..<ruleCount {
            let mask = masks.randomElement(using: &rng)!
            let key = ClassifierFixtures.randomKey(&rng)
            let match = Match(key: key, mask: mask)
            let priority = Int.random(in: 0...30, using: &rng)
            // Same match and priority is the same rule.
            if classifier.find(match, priority: priority, version: v1) != nil { continue }
            let rule = ClassifierRule(match: match, priority: priority)
            if versioned {
                // Visible in some range of versions 0...4 (a rule replaced
                // or deleted in a later version).
                let added = UInt64.random(in: 0...2, using: &rng)
                classifier.insert(rule, version: ClassifierVersion(rawValue: added))
                ranges[ObjectIdentifier(rule)] = added..<UInt64.max
                if Bool.random(using: &rng) {
                    let removed = added + UInt64.random(in: 1...2, using: &rng)
                    classifier.makeInvisible(rule, from: ClassifierVersion(rawValue: removed))
                    ranges[ObjectIdentifier(rule)] = added..<removed
                }
            } else {
                classifier.insert(rule, version: v1)
            }
            rules.append(rule)
        }
        // Remove a few, so removal paths (tries, indices, ordering) are exercised.
        for _ in 0..<(rules.count / 10) {
            let i = Int.random(in: 0..<rules.count, using: &rng)
            classifier.remove(rules[i])
            rules.remove(at: i)
        }
        #expect(classifier.count == rules.count)

        var mismatches = 0, unsound = 0, hits = 0
        for n in 0..<keys {
            // Half the keys are derived from a rule, so most of them hit.
            var key = ClassifierFixtures.randomKey(&rng)
            if n % 2 == 0, let r = rules.randomElement(using: &rng) {
                key = ClassifierFixtures.perturb(r.match.key, outside: FlowMask.catchAll, &rng)
                key = Match(key: key, mask: FlowMask.exact).key
                for i in 0..<FlowKey.wordCount {
                    key.words[i] = (r.match.key.words[i] & r.match.mask.words[i]) | (key.words[i] & ~r.match.mask.words[i])
                }
            }
            let version = versioned ? ClassifierVersion(rawValue: UInt64.random(in: 0...4, using: &rng)) : v1
            var wildcards = FlowMask.catchAll
            let found = classifier.lookup(key, version: version, wildcards: &wildcards)
            let expected = bestPriority(rules, key, version, ranges)
            if found?.priority != expected || (found.map { !$0.match.matches(key) } ?? false) {
                mismatches += 1
                continue
            }
            if found != nil { hits += 1 }
            // Twins: `key` on the un-wildcarded bits; elsewhere random noise,
            // another key of the domain, or the bits of some rule's match
            // (the twins most likely to reach a different rule).
            for t in 0..<6 {
                var other: FlowKey
                switch t % 3 {
                case 0: other = ClassifierFixtures.perturb(key, outside: wildcards, &rng)
                case 1: other = ClassifierFixtures.randomKey(&rng)
                default: other = rules.randomElement(using: &rng)?.match.key ?? key
                }
                var twin = key
                for i in 0..<FlowKey.wordCount {
                    twin.words[i] = (key.words[i] & wildcards.words[i]) | (other.words[i] & ~wildcards.words[i])
                }
                if classifier.lookup(twin, version: version) !== found { unsound += 1 }
            }
        }
        #expect(mismatches == 0)
        #expect(unsound == 0)
        #expect(hits > keys / 3)
    }

    @Test func agreesWithBruteForceAndWildcardsAreSound() {
        Self.check(prefixFields: ClassifierPrefixField.defaults, seed: 0x5eed, ruleCount: 600, keys: 1500)
    }

    @Test func agreesWithoutPrefixTries() {
        Self.check(prefixFields: [], seed: 0xbeef, ruleCount: 400, keys: 1000)
    }

    /// Rules visible in different ranges of versions; lookups at random versions.
    @Test func agreesAcrossVersions() {
        Self.check(prefixFields: ClassifierPrefixField.defaults, seed: 0x7e55, ruleCount: 500, keys: 1200, versioned: true)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func agreesOnMoreSeeds(_ seed: UInt64) {
        Self.check(prefixFields: ClassifierPrefixField.defaults, seed: seed, ruleCount: 200, keys: 500)
    }
}
