import Datapath
import Flow
@testable import OFProto
import Testing

/// Conjunctive matches in table lookups and the `learn` action's flow-mods.
/// (tests/trace/run.sh compares both, and multipath/bundle, with Open
/// vSwitch's `ofproto/trace`.)
@Suite struct ConjunctionLearnTests {
    static func table(_ flows: [String]) throws -> OpenFlowPipeline<[OFAction]> {
        let p = OpenFlowPipeline<[OFAction]>()
        try p.transaction { tx in
            for line in flows {
                let f = try FlowModText.parse(line)
                try tx.add(OpenFlowRuleSpec(match: f.match, priority: UInt16(f.priority), actions: f.actions),
                           table: OpenFlowTableID(0), now: .zero)
            }
        }
        return p
    }

    static func lookup(_ p: OpenFlowPipeline<[OFAction]>, _ packet: String) throws -> String? {
        let key = try Match(parsing: packet).key
        var wc = FlowMask.catchAll
        return p.read { r in r.lookup(table: OpenFlowTableID(0), key, wildcards: &wc) }.map { OFAction.format($0.actions) }
    }

    static let flows = [
        "priority=100,ip,nw_src=10.0.0.1,actions=conjunction(1,1/2)",
        "priority=100,ip,nw_src=10.0.0.2,actions=conjunction(1,1/2)",
        "priority=100,tcp,tp_dst=80,actions=conjunction(1,2/2)",
        "priority=100,tcp,tp_dst=443,actions=conjunction(1,2/2),conjunction(2,2/3)",
        "priority=100,ip,nw_dst=192.168.0.0/16,actions=conjunction(2,1/3)",
        "priority=100,in_port=1,actions=conjunction(2,3/3)",
        "priority=100,conj_id=1,actions=output:2",
        "priority=100,conj_id=2,actions=output:3",
        "priority=90,tcp,tp_dst=80,actions=output:6",
        "priority=50,ip,actions=output:4",
    ]

    @Test func everyDimensionMustMatch() throws {
        let p = try Self.table(Self.flows)
        // Both clauses of conjunction 1.
        #expect(try Self.lookup(p, "in_port=2,tcp,nw_src=10.0.0.2,nw_dst=10.1.1.1,tp_dst=80") == "output:2")
        // Only clause 2: the same match at a lower priority takes over.
        #expect(try Self.lookup(p, "in_port=2,tcp,nw_src=10.0.0.3,nw_dst=10.1.1.1,tp_dst=80") == "output:6")
        // Only clause 1: the ordinary rule below.
        #expect(try Self.lookup(p, "in_port=2,tcp,nw_src=10.0.0.1,nw_dst=10.1.1.1,tp_dst=22") == "output:4")
        // Three dimensions of conjunction 2.
        #expect(try Self.lookup(p, "in_port=1,tcp,nw_src=10.0.0.3,nw_dst=192.168.1.1,tp_dst=443") == "output:3")
        #expect(try Self.lookup(p, "in_port=2,tcp,nw_src=10.0.0.3,nw_dst=192.168.1.1,tp_dst=443") == "output:4")
        // Non-IP: only in_port's clause matches, nothing completes.
        #expect(try Self.lookup(p, "in_port=1,arp") == nil)
    }

    @Test func aHigherOrdinaryRuleWins() throws {
        let p = try Self.table(Self.flows + ["priority=150,ip,nw_src=10.0.0.1,actions=output:5"])
        #expect(try Self.lookup(p, "in_port=2,tcp,nw_src=10.0.0.1,tp_dst=80") == "output:5")
    }

    @Test func deletingTheClausesEndsTheConjunction() throws {
        let p = try Self.table(Self.flows)
        p.transaction { tx in
            tx.delete(table: OpenFlowTableID(0), OpenFlowRuleCriteria(match: try! Match(parsing: "tcp,tp_dst=80"),
                                                                      strictPriority: 100))
        }
        #expect(try Self.lookup(p, "in_port=2,tcp,nw_src=10.0.0.2,tp_dst=80") == "output:6")
        #expect(p.table(OpenFlowTableID(0)).conjunctiveRules == 5)
    }

    static func learnAction(_ text: String) throws -> LearnAction {
        guard case .learn(let l) = try FlowModText.parse("actions=" + text).actions.first else { throw OFActionError("not a learn action") }
        return l
    }

    @Test func learnBuildsTheFlowModFromThePacket() throws {
        let l = try Self.learnAction("learn(table=3,idle_timeout=10,hard_timeout=20,priority=7,cookie=0x9,fin_idle_timeout=1,eth_type=0x800,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:NXM_OF_IN_PORT[]->NXM_NX_REG0[0..15],load:0x5->NXM_NX_REG1[4..7],output:NXM_NX_REG2[0..15])")
        var flow = try Match(parsing: "in_port=4,dl_vlan=10,dl_src=00:00:00:00:00:0a,ip,reg2=3").key
        flow[.vlan0TPID] = 0x8100
        let f = LearnedFlow(l, flow: flow)
        #expect(f.table == 3)
        #expect(f.spec.match.formatted() == "ip,vlan_tci=0x000a/0x0fff,dl_dst=00:00:00:00:00:0a")
        #expect(f.traceText == "table=3 ip,vlan_tci=0x000a/0x0fff,dl_dst=00:00:00:00:00:0a priority=7 cookie=0x9 idle=10 hard=20 actions=fin_timeout(idle_timeout=1),load:0x4->NXM_NX_REG0[0..15],load:0x5->NXM_NX_REG1[4..7],output:3")
    }

    @Test func learnAddsRefreshesAndLimits() throws {
        let b = OFProtoBridge(name: "br", datapathName: "d")
        let l = try Self.learnAction("learn(table=1,limit=2,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])")
        func learn(_ mac: String, port: Int) throws -> LearnOutcome {
            let flow = try Match(parsing: "in_port=\(port),dl_src=\(mac)").key
            return b.learn(LearnedFlow(l, flow: flow), limit: l.limit)
        }
        #expect(try learn("00:00:00:00:00:01", port: 1) == .learned)
        let v = b.pipeline.version
        #expect(try learn("00:00:00:00:00:01", port: 1) == .learned)
        #expect(b.pipeline.version == v)     // identical: refreshed, no new version
        #expect(try learn("00:00:00:00:00:01", port: 2) == .learned)   // replaced
        #expect(try learn("00:00:00:00:00:02", port: 2) == .learned)
        #expect(try learn("00:00:00:00:00:03", port: 2) == .limitExceeded)
        let rules = b.pipeline.read { $0.rules(in: OpenFlowTableID(1)) }
        #expect(rules.map { OFAction.format($0.actions) }.sorted() == ["output:2", "output:2"])
    }

    @Test func deleteLearnedGoesWithTheLastLearner() throws {
        let b = OFProtoBridge(name: "br", datapathName: "d")
        let text = "learn(table=2,cookie=0x7,delete_learned,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])"
        try SlowPathRig.install(["table=0,in_port=1,actions=\(text)", "table=0,in_port=2,actions=\(text)",
                                 "table=2,cookie=0x8,dl_dst=00:00:00:00:00:09,actions=drop"], into: b)
        let l = try Self.learnAction(text)
        for mac in ["00:00:00:00:00:01", "00:00:00:00:00:02"] {
            #expect(b.learn(LearnedFlow(l, flow: try Match(parsing: "dl_src=\(mac)").key), limit: 0) == .learned)
        }
        func table2() -> Int { b.pipeline.read { $0.rules(in: OpenFlowTableID(2)) }.count }
        #expect(table2() == 3)
        // One learner left: the learned flows stay. Its actions modified
        // alike: they stay. The last one deleted: they go (not cookie 0x8).
        b.pipeline.transaction { tx in
            tx.delete(table: OpenFlowTableID(0), OpenFlowRuleCriteria(match: try! Match(parsing: "in_port=1")))
        }
        #expect(table2() == 3)
        try b.pipeline.transaction { (tx) throws(OpenFlowTableError) in
            try tx.modify(table: OpenFlowTableID(0), OpenFlowRuleCriteria(match: .catchAll), actions: [.learn(l)], now: .zero)
        }
        #expect(table2() == 3)
        b.pipeline.transaction { tx in tx.delete(table: .all, OpenFlowRuleCriteria(match: try! Match(parsing: "in_port=2"))) }
        #expect(table2() == 1)
    }

    @Test func multipathAlgorithms() {
        // The link choices of Open vSwitch's tests/multipath.at-style values.
        #expect(XlateContext.multipathLink(hash: 10, algorithm: "modulo_n", links: 4, argument: 0) == 2)
        #expect(XlateContext.multipathLink(hash: UInt32.max, algorithm: "hash_threshold", links: 4, argument: 0) == 3)
        #expect(XlateContext.multipathLink(hash: 0, algorithm: "hash_threshold", links: 1, argument: 0) == 0)
        for alg in ["hrw", "iter_hash"] {
            for n: UInt32 in [1, 3, 64, 65] {
                #expect(XlateContext.multipathLink(hash: 12345, algorithm: alg, links: n, argument: 5) < n)
            }
        }
    }
}

/// `learn` on the upcall path: the first packet adds the flow; the
/// revalidator's translation of an active megaflow learns again.
@Suite(.serialized) struct LearnUpcallTests {
    @Test func firstPacketLearnsAndTheReplyUsesTheLearnedFlow() throws {
        let rig = try SlowPathRig(flows: [
            "table=0,priority=10,actions=learn(table=1,idle_timeout=60,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,1)",
            "table=1,priority=0,actions=output:3",
        ])
        let f = udpFrame(src: 1, dst: 2)
        rig.send("p1", [f])
        #expect(rig.slow.handleUpcalls() == 1)
        // Not visible to the packet that learned it: table 1's default.
        #expect(rig.access.sent("p3") == [f])
        let learned = rig.bridge.pipeline.read { $0.rules(in: OpenFlowTableID(1)) }.filter { $0.openFlowPriority == 0x8000 }
        #expect(learned.count == 1)
        #expect(learned.first?.match == (try Match(parsing: "dl_dst=00:00:00:00:00:01")))
        #expect(learned.first.map { OFAction.format($0.actions) } == "output:1")
        #expect(learned.first?.idleTimeout == 60)
        // The reply goes to p1 through the learned flow.
        let reply = udpFrame(src: 2, dst: 1)
        rig.send("p2", [reply])
        #expect(rig.slow.handleUpcalls() == 1)
        #expect(rig.access.sent("p1") == [reply])
        // Packets of the first megaflow (handled in the datapath) keep the
        // learned flow: the revalidator learns again; the same flow is
        // refreshed, not replaced.
        let version = rig.bridge.pipeline.version
        rig.send("p1", [f])
        rig.slow.revalidate()
        #expect(rig.bridge.pipeline.version == version)
        #expect(rig.bridge.pipeline.read { $0.rules(in: OpenFlowTableID(1)) }.count == 3)   // dl_dst=1, dl_dst=2, default
        // Deleted, the flow comes back from the next packets of the megaflow.
        let gone = rig.bridge.pipeline.transaction { tx in
            tx.delete(table: OpenFlowTableID(1), OpenFlowRuleCriteria(match: try! Match(parsing: "dl_dst=00:00:00:00:00:01")))
        }
        #expect(gone.count == 1)
        #expect(rig.bridge.pipeline.read { $0.rules(in: OpenFlowTableID(1)) }.count == 2)
        rig.slow.revalidate()
        #expect(rig.bridge.pipeline.read { $0.rules(in: OpenFlowTableID(1)) }.count == 2)   // no packet: no learning
        rig.send("p1", [f, f])
        rig.slow.revalidate()
        #expect(rig.bridge.pipeline.read { $0.rules(in: OpenFlowTableID(1)) }.count == 3)
        // The megaflow matches what the learn action read (dl_src, in_port).
        let mf = try #require(rig.flows.first { $0.key[.ethSource] == 1 })
        #expect(mf.mask[.ethSource] == FlowField.ethSource.maxValue)
    }
}
