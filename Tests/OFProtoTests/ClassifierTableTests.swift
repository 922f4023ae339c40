import Flow
import Foundation
import OFProto
import Testing

/// Rules here carry a string as their "actions".
typealias TestPipeline = OpenFlowPipeline<String>

/// A match on in_port and (optionally) an IPv4 destination prefix.
func testMatch(inPort: UInt64? = nil, nwDst: UInt32? = nil, prefix: Int = 32, tpDst: UInt64? = nil) -> Match {
    var m = Match.catchAll
    if let inPort { m.set(.inPort, to: inPort) }
    if let nwDst {
        m.set(.ethType, to: 0x0800)
        m.set(.ipv4Destination, to: UInt64(nwDst), mask: (0xffff_ffff >> UInt64(32 - prefix)) << UInt64(32 - prefix))
    }
    if let tpDst {
        m.set(.networkProtocol, to: 6)
        m.set(.transportDestination, to: tpDst)
    }
    return m
}

func testKey(inPort: UInt64 = 1, nwDst: UInt32 = 0x0a00_0001, tpDst: UInt64 = 80) -> FlowKey {
    var k = FlowKey()
    k[.inPort] = inPort
    k[.ethType] = 0x0800
    k[.ipv4Destination] = UInt64(nwDst)
    k[.ipv4Source] = 0xc0a8_0001
    k[.networkProtocol] = 6
    k[.transportDestination] = tpDst
    return k
}

extension TestPipeline {
    func actions(table: UInt8 = 0, _ key: FlowKey) -> String? {
        read { r in
            var wc = FlowMask.catchAll
            return r.lookup(table: OpenFlowTableID(table), key, wildcards: &wc)?.actions
        }
    }
}

let t0 = OpenFlowTableID(0)

@Suite struct ClassifierTableTests {
    @Test func highestPriorityWins() throws {
        let p = TestPipeline()
        try p.transaction { tx throws(OpenFlowTableError) in
            try tx.add(OpenFlowRuleSpec(match: .catchAll, priority: 0, actions: "miss"), table: t0, now: .zero)
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 1), priority: 10, actions: "port1"), table: t0, now: .zero)
            try tx.add(OpenFlowRuleSpec(match: testMatch(nwDst: 0x0a00_0000, prefix: 8), priority: 20, actions: "net10"),
                       table: t0, now: .zero)
        }
        #expect(p.actions(testKey(inPort: 1, nwDst: 0x0a00_0001)) == "net10")
        #expect(p.actions(testKey(inPort: 1, nwDst: 0x0b00_0001)) == "port1")
        #expect(p.actions(testKey(inPort: 2, nwDst: 0x0b00_0001)) == "miss")
        #expect(p.actions(table: 1, testKey()) == nil)
    }

    @Test func aTransactionBecomesVisibleAtOnce() throws {
        let p = TestPipeline()
        let before = p.version
        try p.transaction { tx throws(OpenFlowTableError) in
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 1), priority: 10, actions: "a"), table: t0, now: .zero)
            // Not visible to readers until the commit...
            #expect(p.actions(testKey(inPort: 1)) == nil)
            #expect(p.version == before)
            // ...but visible in the transaction's own version.
            let previewed = tx.withPreview { r in
                var wc = FlowMask.catchAll
                return r.lookup(table: t0, testKey(inPort: 1), wildcards: &wc)?.actions
            }
            #expect(previewed == "a")
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 2), priority: 10, actions: "b"), table: t0, now: .zero)
        }
        #expect(p.version == before.next)
        #expect(p.actions(testKey(inPort: 1)) == "a")
        #expect(p.actions(testKey(inPort: 2)) == "b")

        // A delete is likewise invisible until the commit.
        p.transaction { tx in
            tx.delete(table: t0, OpenFlowRuleCriteria(match: testMatch(inPort: 1)))
            #expect(p.actions(testKey(inPort: 1)) == "a")
        }
        #expect(p.actions(testKey(inPort: 1)) == nil)
        #expect(p.actions(testKey(inPort: 2)) == "b")
        #expect(p.table(t0).ruleCount == 1)
    }

    @Test func aFailedTransactionChangesNothing() throws {
        let p = TestPipeline()
        try p.transaction { tx throws(OpenFlowTableError) in
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 1), priority: 10, actions: "a"), table: t0, now: .zero)
        }
        let version = p.version
        #expect(throws: OpenFlowTableError.overlap) {
            try p.transaction { tx throws(OpenFlowTableError) in
                try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 2), priority: 10, actions: "b"), table: t0, now: .zero)
                // Replace, then delete, then overlap: all undone.
                try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 1), priority: 10, actions: "a2"), table: t0, now: .zero)
                try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 2), priority: 10, actions: "b2"), table: t0, now: .zero)
                tx.delete(table: t0, OpenFlowRuleCriteria(match: testMatch(inPort: 1)))
                try tx.add(OpenFlowRuleSpec(match: testMatch(nwDst: 1), priority: 10, flags: .checkOverlap, actions: "c"),
                           table: t0, now: .zero)
            }
        }
        #expect(p.version == version)
        #expect(p.actions(testKey(inPort: 1)) == "a")
        #expect(p.actions(testKey(inPort: 2)) == nil)
        #expect(p.table(t0).ruleCount == 1)
        #expect(p.read { $0.rules(in: t0).count } == 1)
    }

    @Test func checkOverlapOnlyAtTheSamePriority() throws {
        let p = TestPipeline()
        try p.transaction { tx throws(OpenFlowTableError) in
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 1), priority: 10, actions: "a"), table: t0, now: .zero)
            // Different priority: fine. Disjoint: fine.
            try tx.add(OpenFlowRuleSpec(match: testMatch(nwDst: 1), priority: 11, flags: .checkOverlap, actions: "b"),
                       table: t0, now: .zero)
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 2, nwDst: 1), priority: 10, flags: .checkOverlap,
                                        actions: "c"), table: t0, now: .zero)
            // Identical match and priority replaces rather than overlaps.
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 1), priority: 10, flags: .checkOverlap, actions: "a2"),
                       table: t0, now: .zero)
        }
        #expect(throws: OpenFlowTableError.overlap) {
            try p.transaction { tx throws(OpenFlowTableError) in
                try tx.add(OpenFlowRuleSpec(match: testMatch(nwDst: 1), priority: 10, flags: .checkOverlap, actions: "d"),
                           table: t0, now: .zero)
            }
        }
        #expect(p.actions(testKey(inPort: 1, nwDst: 1)) == "b")
        #expect(p.actions(testKey(inPort: 1)) == "a2")
        #expect(p.table(t0).ruleCount == 3)
    }

    @Test func addReplacesAndKeepsCountsUnlessReset() throws {
        let p = TestPipeline()
        let m = testMatch(inPort: 1)
        let first = try p.transaction { tx throws(OpenFlowTableError) in
            try tx.add(OpenFlowRuleSpec(match: m, priority: 5, cookie: 1, actions: "a"), table: t0, now: .seconds(1))
        }
        first.account(packets: 3, bytes: 300, usedAt: .seconds(2))
        let second = try p.transaction { tx throws(OpenFlowTableError) in
            try tx.add(OpenFlowRuleSpec(match: m, priority: 5, cookie: 2, actions: "b"), table: t0, now: .seconds(3))
        }
        #expect(second.packetCount == 3 && second.byteCount == 300)
        // Statistics that reach the replaced rule late go to its successor.
        first.account(packets: 1, bytes: 100, usedAt: .seconds(4))
        #expect(second.packetCount == 4 && second.byteCount == 400 && second.used == .seconds(4))
        #expect(second.cookie == 2 && second.created == .seconds(3))
        #expect(p.table(t0).ruleCount == 1)
        let third = try p.transaction { tx throws(OpenFlowTableError) in
            try tx.add(OpenFlowRuleSpec(match: m, priority: 5, flags: .resetCounts, actions: "c"), table: t0, now: .seconds(4))
        }
        #expect(third.packetCount == 0)
        // Reset counts: late statistics of the old rule update only `used`.
        second.account(packets: 5, bytes: 500, usedAt: .seconds(9))
        #expect(third.packetCount == 0 && third.used == .seconds(9))
        #expect(!third.flags.contains(.resetCounts))
        #expect(p.actions(testKey(inPort: 1)) == "c")
    }

    /// A rule keeps every flag it is given (they are packed in a byte),
    /// including the two high ones the OpenFlow layer uses to show
    /// `check_overlap` and `reset_counts`; those two it is asked to act on
    /// are not kept.
    @Test func ruleKeepsItsFlags() throws {
        let p = TestPipeline()
        let high = OpenFlowRuleFlags(rawValue: 1 << 14 | 1 << 15)
        let kept: OpenFlowRuleFlags = [.sendFlowRemoved, .noPacketCounts, .noByteCounts, high]
        let rule = try p.transaction { tx throws(OpenFlowTableError) in
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 1), priority: 1,
                                        flags: kept.union([.checkOverlap, .resetCounts]), actions: "a"),
                       table: t0, now: .seconds(1))
        }
        #expect(rule.flags == kept)
    }

    @Test func modifyStrictAndLooseWithCookies() throws {
        let p = TestPipeline()
        try p.transaction { tx throws(OpenFlowTableError) in
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 1, tpDst: 80), priority: 10, cookie: 0x11,
                                        idleTimeout: 7, flags: .sendFlowRemoved, actions: "a"), table: t0, now: .seconds(1))
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 1, tpDst: 22), priority: 10, cookie: 0x12, actions: "b"),
                       table: t0, now: .seconds(1))
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 2, tpDst: 22), priority: 10, cookie: 0x21, actions: "c"),
                       table: t0, now: .seconds(1))
        }
        // Loose on in_port=1: both in_port=1 rules; cookie 0x1?/0xf0 filter.
        let changed = try p.transaction { tx throws(OpenFlowTableError) in
            try tx.modify(table: t0, OpenFlowRuleCriteria(match: testMatch(inPort: 1), cookie: 0x10, cookieMask: 0xf0),
                          actions: "m", now: .seconds(5))
        }
        #expect(changed.count == 2)
        let a = try #require(changed.first { $0.cookie == 0x11 })
        #expect(a.idleTimeout == 7 && a.flags == .sendFlowRemoved && a.created == .seconds(1) && a.modified == .seconds(5))
        #expect(p.actions(testKey(inPort: 1, tpDst: 80)) == "m")
        #expect(p.actions(testKey(inPort: 1, tpDst: 22)) == "m")
        #expect(p.actions(testKey(inPort: 2, tpDst: 22)) == "c")

        // Strict needs the exact match and priority.
        let none = try p.transaction { tx throws(OpenFlowTableError) in
            try tx.modify(table: t0, OpenFlowRuleCriteria(match: testMatch(inPort: 2), strictPriority: 10), actions: "x",
                          now: .seconds(6))
        }
        #expect(none.isEmpty)
        let one = try p.transaction { tx throws(OpenFlowTableError) in
            try tx.modify(table: t0, OpenFlowRuleCriteria(match: testMatch(inPort: 2, tpDst: 22), strictPriority: 10),
                          actions: "s", newCookie: 0x99, now: .seconds(6))
        }
        #expect(one.count == 1 && one[0].cookie == 0x99)
        #expect(p.actions(testKey(inPort: 2, tpDst: 22)) == "s")

        // No match and no cookie filter: modify adds.
        let added = try p.transaction { tx throws(OpenFlowTableError) in
            try tx.modify(table: t0, OpenFlowRuleCriteria(match: testMatch(inPort: 3)), actions: "new",
                          addIfNone: OpenFlowRuleSpec(match: testMatch(inPort: 3), priority: 1, actions: "new"),
                          now: .seconds(7))
        }
        #expect(added.count == 1)
        #expect(p.actions(testKey(inPort: 3)) == "new")
        #expect(p.table(t0).ruleCount == 4)
    }

    @Test func deleteStrictLooseAndFiltered() throws {
        let p = TestPipeline()
        try p.transaction { tx throws(OpenFlowTableError) in
            for port in 1...4 as ClosedRange<UInt64> {
                try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: port, tpDst: 80), priority: 10,
                                            actions: "output:\(port)"), table: t0, now: .zero)
                try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: port), priority: 5, actions: "drop"),
                           table: OpenFlowTableID(1), now: .zero)
            }
        }
        // out_port-like filter through the hook.
        let gone = p.transaction { tx in
            tx.delete(table: t0, OpenFlowRuleCriteria(match: .catchAll, filter: { $0.actions == "output:2" }))
        }
        #expect(gone.map(\.actions) == ["output:2"])
        // Strict with the wrong priority deletes nothing; with the right one, one rule.
        #expect(p.transaction { $0.delete(table: t0, OpenFlowRuleCriteria(match: testMatch(inPort: 1, tpDst: 80),
                                                                            strictPriority: 9)) }.isEmpty)
        #expect(p.transaction { $0.delete(table: t0, OpenFlowRuleCriteria(match: testMatch(inPort: 1, tpDst: 80),
                                                                            strictPriority: 10)) }.count == 1)
        // Loose delete of in_port=3 in every table.
        let all = p.transaction { $0.delete(table: .all, OpenFlowRuleCriteria(match: testMatch(inPort: 3))) }
        #expect(all.count == 2)
        #expect(p.table(t0).ruleCount == 1)
        #expect(p.table(OpenFlowTableID(1)).ruleCount == 3)
        #expect(p.read { $0.rules(in: .all).count } == 4)
    }

    /// Dumps list rules in classifier order, as OVS: subtables by highest
    /// priority, rules of a subtable in insertion order (a modified rule
    /// is new: it moves to the end).
    @Test func dumpOrderIsClassifierOrder() throws {
        let p = TestPipeline()
        try p.transaction { tx throws(OpenFlowTableError) in
            for port in [3, 1, 2] as [UInt64] {
                try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: port), priority: 5, actions: "p\(port)"),
                           table: t0, now: .zero)
            }
            try tx.add(OpenFlowRuleSpec(match: testMatch(nwDst: 1), priority: 9, actions: "ip"), table: t0, now: .zero)
        }
        #expect(p.read { $0.rules(in: t0).map(\.actions) } == ["ip", "p3", "p1", "p2"])
        try p.transaction { tx throws(OpenFlowTableError) in
            try tx.modify(table: t0, OpenFlowRuleCriteria(match: testMatch(inPort: 3)), actions: "p3'", now: .zero)
        }
        #expect(p.read { $0.rules(in: t0).map(\.actions) } == ["ip", "p1", "p2", "p3'"])
    }

    @Test func idleAndHardTimeouts() throws {
        let p = TestPipeline()
        let (idle, hard) = try p.transaction { tx throws(OpenFlowTableError) in
            let i = try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 1), priority: 1, idleTimeout: 10,
                                                flags: .sendFlowRemoved, actions: "idle"), table: t0, now: .seconds(100))
            let h = try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 2), priority: 1, hardTimeout: 30,
                                                actions: "hard"), table: t0, now: .seconds(100))
            try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 3), priority: 1, actions: "forever"), table: t0,
                       now: .seconds(100))
            return (i, h)
        }
        #expect(p.transaction { $0.expire(now: .seconds(105)) }.isEmpty)
        // Traffic keeps the idle rule alive; the hard one expires regardless.
        idle.account(packets: 1, bytes: 60, usedAt: .seconds(108))
        hard.account(packets: 1, bytes: 60, usedAt: .seconds(129))
        #expect(p.transaction { $0.expire(now: .seconds(117)) }.isEmpty)
        let expired = p.transaction { $0.expire(now: .seconds(131)) }
        #expect(expired.map(\.rule.actions) == ["idle", "hard"])
        #expect(expired.map(\.reason) == [.idleTimeout, .hardTimeout])
        #expect(expired[0].rule.flags.contains(.sendFlowRemoved))
        #expect(p.actions(testKey(inPort: 1)) == nil)
        #expect(p.actions(testKey(inPort: 3)) == "forever")
        #expect(p.table(t0).ruleCount == 1)
    }

    @Test func countersHonourNoCountFlags() throws {
        let p = TestPipeline()
        let r = try p.transaction { tx throws(OpenFlowTableError) in
            try tx.add(OpenFlowRuleSpec(match: .catchAll, flags: [.noByteCounts], actions: ""), table: t0, now: .zero)
        }
        r.account(packets: 2, bytes: 100, usedAt: .seconds(1))
        #expect(r.packetCount == 2 && r.byteCount == 0 && r.used == .seconds(1))
    }

    @Test func tableConfiguration() throws {
        let p = TestPipeline()
        p.setMissBehavior(.continue, table: OpenFlowTableID(3))
        p.configure(table: OpenFlowTableID(3), name: "acl", maxFlows: 1)
        #expect(p.read { $0.missBehavior(of: OpenFlowTableID(3)) } == .continue)
        #expect(p.table(OpenFlowTableID(3)).name == "acl")
        #expect(throws: OpenFlowTableError.tableFull) {
            try p.transaction { tx throws(OpenFlowTableError) in
                try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 1), actions: ""), table: OpenFlowTableID(3), now: .zero)
                try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: 2), actions: ""), table: OpenFlowTableID(3), now: .zero)
            }
        }
        #expect(throws: OpenFlowTableError.badTableID) {
            try p.transaction { tx throws(OpenFlowTableError) in
                try tx.add(OpenFlowRuleSpec(match: .catchAll, actions: ""), table: .all, now: .zero)
            }
        }
    }

    /// Readers on other threads never see part of a transaction: every
    /// transaction adds rule N for both in_port 1 and 2 and deletes N-1's.
    @Test func concurrentReadersSeeWholeTransactions() throws {
        let p = TestPipeline()
        let torn = LockedCounter(), reads = LockedCounter()
        let done = LockedCounter(), finished = LockedCounter()
        let readers = (0..<3).map { _ in
            Thread {
                defer { finished.add() }
                while done.value == 0 {
                    let (a, b) = p.read { r -> (String?, String?) in
                        var wc = FlowMask.catchAll
                        return (r.lookup(table: t0, testKey(inPort: 1), wildcards: &wc)?.actions,
                                r.lookup(table: t0, testKey(inPort: 2), wildcards: &wc)?.actions)
                    }
                    if a != b { torn.add() }
                    reads.add()
                }
            }
        }
        readers.forEach { $0.start() }
        for n in 0..<300 {
            try p.transaction { tx throws(OpenFlowTableError) in
                tx.delete(table: t0, .all)
                for port in [1, 2] as [UInt64] {
                    try tx.add(OpenFlowRuleSpec(match: testMatch(inPort: port), priority: UInt16(n % 7),
                                                actions: "v\(n)"), table: t0, now: .zero)
                }
                // Filler, so the transaction takes a while.
                for i in 0..<20 {
                    try tx.add(OpenFlowRuleSpec(match: testMatch(nwDst: UInt32(i)), priority: 1, actions: "f"), table: t0,
                               now: .zero)
                }
            }
        }
        done.add()
        // Bounded wait for the readers to stop.
        for _ in 0..<10_000 where finished.value < readers.count { Thread.sleep(forTimeInterval: 0.001) }
        #expect(finished.value == readers.count)
        #expect(reads.value > 0)
        #expect(torn.value == 0)
        #expect(p.table(t0).ruleCount == 22)
        #expect(p.read { $0.rules(in: t0).count } == 22)
    }
}

/// A counter shared between test threads.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
