import ArgumentParser
import Flow
import OFProto
import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// CPU time of the calling thread: unlike the wall clock, it does not count
/// time the thread waited for a core (the build machines are shared).
func threadCPUTime() -> Duration {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return .seconds(t.tv_sec) + .nanoseconds(t.tv_nsec)
}

/// `svs-bench classifier`: the OpenFlow classifier with ACL-like rule sets
/// (a few distinct masks, many values, IPv4 prefixes of several lengths):
/// lookups per second (with wildcard tracking, as translation does) at 1k,
/// 10k and 100k rules, and the time to insert 100,000 rules. Rates are per
/// second of the thread's CPU time (`_cpu`) and of wall time.
struct ClassifierBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classifier", abstract: "Time OpenFlow classifier lookups and bulk inserts.")

    @Option(help: "Seconds to measure each lookup case.") var seconds: Double = 1.0
    @Option(help: "Run only the cases whose name contains this.") var only: String?

    func wanted(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }

    /// splitmix64, so every run builds the same rules.
    struct RNG: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    static func prefixMask(_ length: Int) -> UInt64 {
        length == 0 ? 0 : (0xffff_ffff >> UInt64(32 - length)) << UInt64(32 - length)
    }

    /// One ACL-like rule: one of eight shapes (5-tuple, src/dst prefixes,
    /// destination prefix, service port, L2), values from /16 networks.
    static func rule(_ rng: inout RNG) -> (Match, UInt16) {
        var m = Match.catchAll
        let src = 0x0a00_0000 | UInt64.random(in: 0...0xffff, using: &rng)
        let dst = 0xac10_0000 | UInt64.random(in: 0...0xffff, using: &rng)
        let port = [22, 53, 80, 443, 8080, 3306, 5432, 6379].randomElement(using: &rng)! as UInt64
        func ip(_ f: FlowField, _ v: UInt64, _ len: Int) { m.set(f, to: v, mask: prefixMask(len)) }
        switch Int.random(in: 0..<8, using: &rng) {
        case 0:
            m.set(.ethType, to: 0x0800); m.set(.networkProtocol, to: 6)
            ip(.ipv4Source, src, 32); ip(.ipv4Destination, dst, 32); m.set(.transportDestination, to: port)
        case 1:
            m.set(.ethType, to: 0x0800); ip(.ipv4Source, src, 24); ip(.ipv4Destination, dst, 24)
        case 2:
            m.set(.ethType, to: 0x0800); ip(.ipv4Destination, dst, 16 + Int.random(in: 0...2, using: &rng) * 4)
        case 3:
            m.set(.ethType, to: 0x0800); m.set(.networkProtocol, to: 17); m.set(.transportDestination, to: port)
            ip(.ipv4Destination, dst, 32)
        case 4:
            m.set(.inPort, to: UInt64.random(in: 1...48, using: &rng))
            m.set(.ethDestination, to: 0x0200_0000_0000 | UInt64.random(in: 0...0xffff, using: &rng))
        case 5:
            m.set(.inPort, to: UInt64.random(in: 1...48, using: &rng)); m.set(.ethType, to: 0x0800)
            ip(.ipv4Source, src, 32)
        case 6:
            m.set(.ethType, to: 0x0800); m.set(.networkProtocol, to: 6)
            ip(.ipv4Source, src, 16); m.set(.transportDestination, to: port)
        default:
            m.set(.ethType, to: 0x0800); ip(.ipv4Source, src, 32); ip(.ipv4Destination, dst, 32)
        }
        return (m, UInt16.random(in: 1...2000, using: &rng))
    }

    /// Packet keys: half built from a rule's values (hits), half random.
    static func keys(_ rules: [(Match, UInt16)], count: Int, _ rng: inout RNG) -> [FlowKey] {
        (0..<count).map { i in
            var k = FlowKey()
            k[.inPort] = UInt64.random(in: 1...48, using: &rng)
            k[.ethType] = 0x0800
            k[.ethDestination] = 0x0200_0000_0000 | UInt64.random(in: 0...0xffff, using: &rng)
            k[.ethSource] = UInt64.random(in: 0...0xffff_ffff_ffff, using: &rng)
            k[.ipv4Source] = 0x0a00_0000 | UInt64.random(in: 0...0xffff, using: &rng)
            k[.ipv4Destination] = 0xac10_0000 | UInt64.random(in: 0...0xffff, using: &rng)
            k[.networkProtocol] = [6, 17].randomElement(using: &rng)!
            k[.networkTTL] = 64
            k[.transportSource] = UInt64.random(in: 1024...65535, using: &rng)
            k[.transportDestination] = [22, 53, 80, 443, 8080, 3306, 5432, 6379].randomElement(using: &rng)!
            if i % 2 == 0, let (m, _) = rules.randomElement(using: &rng) {
                for w in 0..<FlowKey.wordCount {
                    k.words[w] = (m.key.words[w] & m.mask.words[w]) | (k.words[w] & ~m.mask.words[w])
                }
            }
            return k
        }
    }

    static func ruleSet(_ n: Int) -> [(Match, UInt16)] {
        var rng = RNG(state: 0xc1a5_5e7 &+ UInt64(n))
        var seen = Set<Match>()
        var rules: [(Match, UInt16)] = []
        while rules.count < n - 1 {
            let r = rule(&rng)
            if seen.insert(r.0).inserted { rules.append(r) }
        }
        rules.append((.catchAll, 0))          // table-miss rule
        return rules
    }

    func run() throws {
        // First, while the heap has nothing freed that the rules could reuse.
        if wanted("classifier_memory_100000") { measureMemory(100_000) }
        for n in [1_000, 10_000, 100_000] where wanted("classifier_lookup_\(n)") || wanted("pipeline_lookup_\(n)") {
            let rules = Self.ruleSet(n)
            var rng = RNG(state: 42)
            let keys = Self.keys(rules, count: 4096, &rng)
            let pipeline = OpenFlowPipeline<Int>()
            try pipeline.transaction { tx throws(OpenFlowTableError) in
                try tx.add(contentsOf: rules.enumerated().map { OpenFlowRuleSpec(match: $1.0, priority: $1.1, actions: $0) },
                           table: OpenFlowTableID(0), now: .zero)
            }
            if wanted("classifier_lookup_\(n)") { measureLookups(pipeline, keys, name: "classifier_lookup_\(n)") }
            if wanted("pipeline_lookup_\(n)") { measureReadSections(pipeline, keys, name: "pipeline_lookup_\(n)") }
        }
        if wanted("classifier_insert_100000") { measureInsert(100_000) }
    }

    /// Memory of 100,000 rules with a one-action list each (`output:N`, as
    /// `ovs-ofctl add-flows` of an ACL would give; equal lists shared, as the
    /// OpenFlow connections share them): the growth of the heap's
    /// bytes in use (glibc `mallinfo2`), in all and per rule.
    func measureMemory(_ n: Int) {
        let rules = Self.ruleSet(n)
        let before = heapBytesInUse()
        let pipeline = OpenFlowPipeline<[OFAction]>()
        try? pipeline.transaction { (tx) throws(OpenFlowTableError) -> Void in
            for chunk in stride(from: 0, to: n, by: 1000) {
                let specs = rules[chunk..<min(n, chunk + 1000)].enumerated().map {
                    OpenFlowRuleSpec(match: $1.0, priority: $1.1,
                                     actions: SharedActionLists.shared(
                                        [OFAction.output(port: OFPort(rawValue: UInt16($0 % 48 + 1)), maxLength: 0)]))
                }
                try tx.add(contentsOf: specs, table: OpenFlowTableID(0), now: .zero)
            }
        }
        // The rule set stays alive until after the measure (the optimizer
        // would free it after its last use, before the measure).
        let grown = withExtendedLifetime(rules) { heapBytesInUse() - before }
        report("classifier_memory_\(n)_heap", Double(grown) / 1e6, "MB")
        report("classifier_memory_\(n)_per_rule", Double(grown) / Double(n), "bytes")
        // The rule object's own allocation, the rest being its match
        // storage, its action list and the classifier's indices.
        if let rule = pipeline.read({ $0.rules(in: OpenFlowTableID(0)).first }) {
            report("classifier_memory_rule_object", Double(malloc_usable_size(Unmanaged.passUnretained(rule).toOpaque())), "bytes")
        }
        blackHole(pipeline)
    }

    /// Bytes the heap has handed out and not taken back.
    func heapBytesInUse() -> Int { let m = mallinfo2(); return Int(m.uordblks + m.hblkhd) }

    /// Lookups inside one read section (as one translation does), with wildcards.
    func measureLookups(_ pipeline: OpenFlowPipeline<Int>, _ keys: [FlowKey], name: String) {
        let clock = ContinuousClock()
        var lookups = 0, hits = 0, exactWords = 0
        let start = clock.now, cpuStart = threadCPUTime()
        var elapsed = Duration.zero
        repeat {
            pipeline.read { r in
                for i in keys.indices {
                    var wc = FlowMask.catchAll
                    if r.lookup(table: OpenFlowTableID(0), keys[i], wildcards: &wc)!.actions != 0 { hits &+= 1 }
                    exactWords &+= wc.words[38] == .max ? 1 : 0
                }
            }
            lookups += keys.count
            elapsed = clock.now - start
        } while elapsed.nanoseconds < seconds * 1e9
        let cpu = threadCPUTime() - cpuStart
        report(name, Double(lookups) / (elapsed.nanoseconds / 1e9), "lookups/s")
        report(name + "_cpu", Double(lookups) / (cpu.nanoseconds / 1e9), "lookups/s")
        report(name + "_cpu_ns", cpu.nanoseconds / Double(lookups), "ns/lookup")
        report(name + "_ip_exact", 100 * Double(exactWords) / Double(lookups), "%megaflows")
        blackHole(hits)
    }

    /// One read section per lookup (a translation with a single table lookup).
    func measureReadSections(_ pipeline: OpenFlowPipeline<Int>, _ keys: [FlowKey], name: String) {
        let clock = ContinuousClock()
        var lookups = 0, hits = 0
        let start = clock.now, cpuStart = threadCPUTime()
        var elapsed = Duration.zero
        repeat {
            for k in keys {
                let a = pipeline.read { r in
                    var wc = FlowMask.catchAll
                    return r.lookup(table: OpenFlowTableID(0), k, wildcards: &wc)!.actions
                }
                hits &+= a
            }
            lookups += keys.count
            elapsed = clock.now - start
        } while elapsed.nanoseconds < seconds * 1e9
        report(name, Double(lookups) / (elapsed.nanoseconds / 1e9), "lookups/s")
        report(name + "_cpu", Double(lookups) / ((threadCPUTime() - cpuStart).nanoseconds / 1e9), "lookups/s")
        blackHole(hits)
    }

    /// 100,000 ACL rules added in one transaction (one flow-mod batch).
    func measureInsert(_ n: Int) {
        let rules = Self.ruleSet(n)
        let specs = rules.enumerated().map { OpenFlowRuleSpec(match: $1.0, priority: $1.1, actions: $0) }
        let clock = ContinuousClock()
        let pipeline = OpenFlowPipeline<Int>()
        let start = clock.now, cpuStart = threadCPUTime()
        try? pipeline.transaction { tx throws(OpenFlowTableError) in
            try tx.add(contentsOf: specs, table: OpenFlowTableID(0), now: .zero)
        }
        let elapsed = clock.now - start, cpu = threadCPUTime() - cpuStart
        report("classifier_insert_\(n)", elapsed.nanoseconds / 1e6, "ms")
        report("classifier_insert_\(n)_cpu", cpu.nanoseconds / 1e6, "ms")
        report("classifier_insert_\(n)_rate_cpu", Double(n) / (cpu.nanoseconds / 1e9), "rules/s")
        let deleteStart = threadCPUTime()
        pipeline.transaction { tx in _ = tx.delete(table: OpenFlowTableID(0), .all) }
        report("classifier_delete_all_\(n)_cpu", (threadCPUTime() - deleteStart).nanoseconds / 1e6, "ms")
        blackHole(pipeline)
    }
}
