import Datapath
import Flow
@testable import OFProto
import Testing
import Wire

/// Two bridges as tests/trace/run.sh builds them: br0 with p1 (trunk),
/// p2 (access 10), p3 (trunks 10,20), a patch to br1, which has q4.
func xlateBridges(br0Flows: [String]? = nil) throws -> OFProtoBridges {
    let bridges = OFProtoBridges()
    var secure = BridgeSettings()
    secure.failSecure = br0Flows != nil
    let br0 = OFProtoBridge(name: "br0", datapathName: "ovs-dummy", settings: secure)
    let br1 = OFProtoBridge(name: "br1", datapathName: "ovs-dummy")
    br0.setPorts([
        BridgePort(name: "br0", ofport: .local, datapathPort: DatapathPort(100), type: "internal"),
        BridgePort(name: "p1", ofport: OFPort(rawValue: 1), datapathPort: DatapathPort(1)),
        BridgePort(name: "p2", ofport: OFPort(rawValue: 2), datapathPort: DatapathPort(2), tag: 10),
        BridgePort(name: "p3", ofport: OFPort(rawValue: 3), datapathPort: DatapathPort(3), trunks: [10, 20]),
        BridgePort(name: "patch0", ofport: OFPort(rawValue: 6), datapathPort: nil, type: "patch", patchPeer: "patch1"),
    ])
    br1.setPorts([
        BridgePort(name: "br1", ofport: .local, datapathPort: DatapathPort(101), type: "internal"),
        BridgePort(name: "patch1", ofport: OFPort(rawValue: 1), datapathPort: nil, type: "patch", patchPeer: "patch0"),
        BridgePort(name: "q4", ofport: OFPort(rawValue: 2), datapathPort: DatapathPort(4)),
    ])
    bridges.set([br0, br1])
    if let br0Flows {
        try br0.pipeline.transaction { tx in
            for line in br0Flows {
                let f = try FlowModText.parse(line)
                try tx.add(OpenFlowRuleSpec(match: f.match, priority: UInt16(f.priority), actions: f.actions),
                           table: OpenFlowTableID(f.table == 255 ? 0 : f.table), now: .zero)
            }
        }
    }
    return bridges
}

func trace(_ bridges: OFProtoBridges, _ args: String...) throws -> String {
    try OFProtoCommands.trace(args, bridges: bridges)
}

func line(_ out: String, _ prefix: String) -> String? {
    out.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
}

@Suite struct XlateTests {
    @Test func normalFloodsByVLANAndCrossesThePatchPort() throws {
        let b = try xlateBridges()
        let out = try trace(b, "br0", "in_port=2,dl_src=00:00:00:00:00:02,dl_dst=00:00:00:00:00:01,tcp,nw_src=1.1.1.1")
        #expect(line(out, "Megaflow: ") == "recirc_id=0,eth,ip,in_port=2,dl_src=00:00:00:00:00:02,dl_dst=00:00:00:00:00:01,nw_frag=no")
        // Access VLAN 10 goes tagged to the trunks (p1, p3, local, patch -> br1).
        #expect(line(out, "Datapath actions: ") == "push_vlan(vid=10,pcp=0),1,3,4,101,100")
        #expect(out.contains("bridge(\"br1\")\n-------------\n"))
        #expect(out.contains("     -> no learned MAC for destination, flooding\n"))
    }

    @Test func untaggedTrafficSkipsAccessAndRestrictedTrunks() throws {
        let b = try xlateBridges()
        let out = try trace(b, "br0", "in_port=1,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:02")
        #expect(line(out, "Datapath actions: ") == "4,101,100")
    }

    @Test func accessPortDropsTaggedPackets() throws {
        let b = try xlateBridges()
        let out = try trace(b, "br0", "in_port=2,dl_vlan=20,dl_src=00:00:00:00:00:01")
        #expect(out.contains(" >>>> dropping VLAN 20 tagged packet received on port p2 configured as VLAN 10 access port <<<<"))
        #expect(line(out, "Datapath actions: ") == "drop")
    }

    @Test func learningThenForwardingToTheLearnedPort() throws {
        let b = try xlateBridges()
        let first = try trace(b, "br0", "in_port=1,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:02", "-generate")
        #expect(first.contains("-> learned that 00:00:00:00:00:01 is on port p1 in VLAN 0"))
        let out = try trace(b, "br0", "in_port=6,dl_src=00:00:00:00:00:09,dl_dst=00:00:00:00:00:01")
        #expect(out.contains("-> forwarding to learned port"))
        #expect(line(out, "Datapath actions: ") == "1")
        let fdb = try OFProtoCommands.fdbShow(["br0"], bridges: b)
        #expect(fdb.hasPrefix(" port  VLAN  MAC                Age\n    1     0  00:00:00:00:00:01    0\n"))
    }

    @Test func resubmitAndSetFieldCommitAtOutput() throws {
        let b = try xlateBridges(br0Flows: [
            "table=0,priority=100,tcp,actions=set_field:5->reg0,resubmit(,1)",
            "table=1,reg0=5,actions=mod_nw_src:9.9.9.9,output:3",
        ])
        let out = try trace(b, "br0", "in_port=1,tcp,nw_src=1.1.1.1,nw_dst=2.2.2.2,tp_dst=80")
        #expect(line(out, "Megaflow: ") == "recirc_id=0,eth,tcp,in_port=1,nw_src=1.1.1.1,nw_frag=no")
        #expect(line(out, "Datapath actions: ") == "set(ipv4(src=9.9.9.9)),3")
        #expect(out.contains(" 1. reg0=0x5, priority 32768\n"))
    }

    @Test func resubmitLoopStopsAtTheDepthLimit() throws {
        let b = try xlateBridges(br0Flows: ["table=0,actions=resubmit(,0)"])
        let out = try trace(b, "br0", "in_port=1")
        #expect(out.contains("over max translation depth 64"))
        #expect(out.hasSuffix("Datapath actions: drop\nTranslation failed (Recursion too deep), packet is dropped.\n"))
    }

    @Test func tableMissDropsWithoutAController() throws {
        let b = try xlateBridges(br0Flows: ["table=0,priority=5,ip,actions=output:2"])
        let out = try trace(b, "br0", "in_port=1,arp")
        #expect(out.contains(" 0. No match.\n    drop\n"))
        #expect(line(out, "Datapath actions: ") == "drop")
    }

    @Test func vlanPushPopAndMPLS() throws {
        let b = try xlateBridges(br0Flows: [
            "in_port=1,actions=mod_vlan_vid:7,output:2,strip_vlan,output:3",
            "in_port=2,ip,actions=push_mpls:0x8847,output:1",
        ])
        let a = try trace(b, "br0", "in_port=1,dl_src=00:00:00:00:00:01")
        #expect(line(a, "Datapath actions: ") == "push_vlan(vid=7,pcp=0),2,pop_vlan,3")
        let m = try trace(b, "br0", "in_port=2,ip,nw_ttl=9")
        #expect(line(m, "Datapath actions: ") == "push_mpls(label=0,tc=0,ttl=9,bos=1,eth_type=0x8847),1")
    }

    @Test func translateForUpcallsGivesActionsAndMask() throws {
        let b = try xlateBridges()
        var key = FlowKey()
        key.openFlowInPort = OFPort(rawValue: 1)
        key[.ethSource] = 1
        key[.ethDestination] = 2
        let r = b.translate(key, bridge: try #require(b.bridge(named: "br0")), mayLearn: true)
        #expect(r.actions.contains(.output(DatapathPort(4))))
        #expect(r.mask[.ethDestination] == FlowField.ethDestination.maxValue)
        #expect(r.rules.count == 2)        // br0's and br1's NORMAL rules
        #expect(b.bridge(named: "br0")?.macTable.lookup(EthernetAddress(rawValue: 1), vlan: 0) == "p1")
    }

    @Test func badTraceArgumentsAreErrors() throws {
        let b = try xlateBridges()
        #expect(throws: OFProtoCommandError.self) { try trace(b, "nobridge", "in_port=1") }
        #expect(throws: OFProtoCommandError.self) { try trace(b, "br0", "in_port=1,udp,tp_dst=53") }
        #expect(throws: OFProtoCommandError.self) { try trace(b) }
        #expect(throws: OFProtoCommandError.self) { try trace(b, "-x", "br0", "in_port=1") }
    }
}

@Suite struct MACLearningTests {
    final class FakeClock: @unchecked Sendable { var now = 0.0 }

    @Test func agingMovesAndSizeLimit() {
        let clock = FakeClock()
        let t = MACLearningTable(agingTime: 10, maxEntries: 2, clock: { clock.now })
        let a = EthernetAddress(rawValue: 0xa), b = EthernetAddress(rawValue: 0xb), c = EthernetAddress(rawValue: 0xc)
        #expect(t.learn(a, vlan: 1, port: "p1"))
        #expect(!t.learn(a, vlan: 1, port: "p1"))
        #expect(t.learn(a, vlan: 1, port: "p2"))                  // a move
        #expect(t.lookup(a, vlan: 1) == "p2")
        #expect(t.lookup(a, vlan: 2) == nil)                      // per VLAN
        #expect(t.learn(b, vlan: 1, port: "p1"))
        #expect(t.learn(c, vlan: 1, port: "p1"))                  // evicts the oldest (a)
        #expect(t.lookup(a, vlan: 1) == nil)
        clock.now = 11
        #expect(t.lookup(b, vlan: 1) == nil)                      // aged out
        #expect(t.expire() == 2)
        #expect(!t.learn(EthernetAddress.broadcast, vlan: 1, port: "p1"))
    }
}
