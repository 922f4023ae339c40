import Flow
import Testing
@testable import OFProto

/// One flow line and what `ovs-ofctl parse-flow` prints for it in OpenFlow
/// 1.0 and 1.3 (the FLOW_MOD line's text after `ADD `), or the error.
struct FlowCase: Sendable, CustomTestStringConvertible {
    var testDescription: String { flow }
    var flow: String
    var of10: String
    var of13: String
}

// Expected texts produced with Debian's ovs-ofctl 3.1.
@Test(arguments: [
    FlowCase(flow: "tcp,tp_dst=80,actions=mod_tp_dst:8080,output:2",
             of10: "tcp,tp_dst=80 actions=mod_tp_dst:8080,output:2",
             of13: "tcp,tp_dst=80 actions=set_field:8080->tcp_dst,output:2"),
    FlowCase(flow: "ip,actions=set_field:5->reg3",
             of10: "ip actions=load:0x5->NXM_NX_REG3[]",
             of13: "ip actions=set_field:0x5->reg3"),
    FlowCase(flow: "actions=mod_vlan_vid:5",
             of10: "actions=mod_vlan_vid:5",
             of13: "actions=push_vlan:0x8100,set_field:4101->vlan_vid"),
    FlowCase(flow: "actions=clear_actions,write_actions(output:3),goto_table:3",
             of10: "actions=resubmit(,3)",
             of13: "actions=clear_actions,write_actions(output:3),goto_table:3"),
    FlowCase(flow: "udp,actions=enqueue:1:2",
             of10: "udp actions=enqueue:1:2",
             of13: "udp actions=set_queue:2,output:1,pop_queue"),
    FlowCase(flow: "actions=note:01020304",
             of10: "actions=note:01.02.03.04.00.00",
             of13: "actions=note:01.02.03.04.00.00"),
    FlowCase(flow: "ip,actions=set_field:00:11:22:33:44:55/ff:ff:00:00:00:00->eth_dst",
             of10: "ip actions=mod_dl_dst:00:11:22:33:44:55",
             of13: "ip actions=load:0x11->NXM_OF_ETH_DST[32..47]"),
    FlowCase(flow: "ip,actions=ct(commit,zone=5,table=3,exec(set_field:1->ct_mark))",
             of10: "ip actions=ct(commit,table=3,zone=5,exec(load:0x1->NXM_NX_CT_MARK[]))",
             of13: "ip actions=ct(commit,table=3,zone=5,exec(set_field:0x1->ct_mark))"),
])
func parseFlowMatchesOVS(_ c: FlowCase) throws {
    let flow = try FlowModText.parse(c.flow)
    for (version, expected) in [(OFVersion.of10, c.of10), (.of13, c.of13)] {
        let chosen = try #require(flow.chosenProtocol(allowed: version.protocols))
        let line = flow.flowModLine(protocol: chosen)
        let text = line.split(separator: " ADD ", maxSplits: 1).last.map(String.init)
        #expect(text == expected, "\(version)")
    }
}

@Test(arguments: [
    ("actions=set_field:80->tcp_dst", "actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)"),
    ("actions=nosuch", "unknown action nosuch"),
    ("actions=drop,output:1", "\"drop\" must not be accompanied by any other action or instruction"),
    ("actions=goto_table:1,output:1", "invalid instruction ordering: apply_actions must appear before goto_table, for OpenFlow 1.1+ compatibility"),
    ("actions=load:0x10->NXM_NX_REG0[0..3]", "0x10->NXM_NX_REG0[0..3]: value 0x10 does not fit into 4 bits"),
    ("actions=conjunction(1,3/2)", "clause index must be less than or equal to number of clauses"),
    ("actions=resubmit(,)", "at least one \"in_port\" or \"table\" must be specified on resubmit"),
    ("in_port=1", "must specify an action"),
    ("cookie=0x5/0xff,actions=drop", "flow additions cannot use a cookie mask"),
    ("actions=none", "actions are invalid with specified match (OFPBAC_BAD_OUT_PORT)"),
])
func refusesAsOVS(_ c: (String, String)) {
    #expect(throws: OFActionError(c.1)) { try FlowModText.parse(c.0) }
}

@Test func usableProtocolsAsOVS() throws {
    #expect(try FlowModText.parse("reg0=5,actions=drop").usableProtocols.listDescription == "NXM,OXM")
    #expect(try FlowModText.parse("table=3,in_port=1,actions=drop").usableProtocols.listDescription == "OXM,OpenFlow10+table_id,NXM+table_id,OpenFlow11")
    #expect(try FlowModText.parse("actions=write_metadata:5").usableProtocols.listDescription == "NXM,OXM,OpenFlow11")
    #expect(try FlowModText.parse("actions=meter:1").usableProtocols.listDescription == "OXM-OpenFlow13,OXM-OpenFlow14,OXM-OpenFlow15")
    #expect(try FlowModText.parse("actions=strip_vlan").usableProtocols.listDescription == "OpenFlow10,NXM")
}

@Test func fieldTableHasOVSCodePoints() throws {
    let reg3 = try #require(OFField.named("reg3"))
    #expect(reg3.nxm == OXMHeader(name: "NXM_NX_REG3", classID: 1, field: 3, experimenter: 0, sinceVersion: 0))
    let tcpDst = try #require(OFField.named("tp_dst"))
    #expect(tcpDst.name == "tcp_dst" && tcpDst.oxm?.classID == 0x8000 && tcpDst.oxm?.field == 14)
    #expect(tcpDst.prerequisite == .tcp && tcpDst.writable && tcpDst.maskable)
    #expect(OFField.named("xxreg3")?.bits == 128)
    #expect(OFField.named("vlan_vid")?.bits == 12)
    #expect(OFField.headerNamed("OXM_OF_PKT_REG3")?.name == "xreg3")
    // NXM/OXM code points are unique per class and experimenter.
    var seen = Set<String>()
    for f in OFField.all {
        for h in [f.nxm, f.oxm].compactMap({ $0 }) {
            #expect(seen.insert("\(h.classID)/\(h.experimenter)/\(h.field)").inserted, "\(h.name)")
        }
    }
}

@Test func formatThenParseIsStable() throws {
    let lines = [
        "priority=7,table=2,cookie=0xabc,idle_timeout=1,tcp,tp_dst=22,actions=output:3,mod_tp_src:5",
        "actions=load:5->NXM_NX_REG0[0..3],move:NXM_NX_REG0[]->NXM_NX_REG1[],controller(reason=no_match,userdata=01.02)",
        "ip,actions=ct(commit,nat(src=1.2.3.4-1.2.3.9:10-20,random)),ct_clear,sample(probability=5,collector_set_id=1)",
        "ip,actions=clone(push_vlan:0x8100,mod_vlan_pcp:3,output:1),dec_ttl(1,2),exit",
    ]
    for line in lines {
        let first = try FlowModText.parse(line)
        let text = first.formatted()
        let second = try FlowModText.parse(text)
        #expect(second.actions == first.actions, "\(line)")
        #expect(second.formatted() == text)
    }
}

// From a real ovs-vswitchd: `ovs-ofctl add-flow` (OpenFlow 1.0), then
// `dump-flows` and `-O OpenFlow13 dump-flows`.
@Test func dumpFlowsLineAsOVS() throws {
    let flow = try FlowModText.parse("tcp,tp_dst=80,idle_timeout=5,cookie=0x5,send_flow_rem,actions=mod_tp_dst:8080,output:2,set_field:5->reg0")
    var stats = FlowStatsCounters()
    stats.durationNanoseconds = 20_000_000
    stats.idleAge = 0
    #expect(flow.dumpFlowsLine(stats, addedWith: .of10, dumpedWith: .of10)
            == " cookie=0x5, duration=0.020s, table=0, n_packets=0, n_bytes=0, idle_timeout=5, idle_age=0, tcp,tp_dst=80 actions=mod_tp_dst:8080,output:2,load:0x5->NXM_NX_REG0[]")
    stats.idleAge = -1
    stats.durationNanoseconds = 32_000_000
    #expect(flow.dumpFlowsLine(stats, addedWith: .of10, dumpedWith: .of13)
            == " cookie=0x5, duration=0.032s, table=0, n_packets=0, n_bytes=0, idle_timeout=5, send_flow_rem reset_counts tcp,tp_dst=80 actions=set_field:8080->tcp_dst,output:2,load:0x5->NXM_NX_REG0[]")
}

// OpenFlow 1.1 keeps the legacy set actions; 1.5 turns every load into Set-Field.
@Test func otherVersionsAsOVS() throws {
    let f11 = try FlowModText.parse("tcp,actions=mod_vlan_vid:5,set_field:80->tcp_dst,strip_vlan")
    #expect(f11.flowModLine(protocol: .of11Std).hasSuffix("ADD tcp actions=push_vlan:0x8100,set_vlan_vid:5,mod_tp_dst:80,pop_vlan"))
    let f15 = try FlowModText.parse("actions=load:5->NXM_NX_REG0[0..3],load:6->NXM_NX_REG0[4..7],set_field:5/0->reg1")
    #expect(f15.flowModLine(protocol: .of15OXM).hasSuffix("ADD actions=set_field:0x5/0xf->reg0,set_field:0x60/0xf0->reg0,set_field:ANY->reg1"))
}

/// The field table and Flow's match parser agree on where each field lives:
/// `NAME=VALUE` parsed by `Match.parse` sets the bits `OFField.storage` names.
@Test(arguments: [
    ("reg3", "0x12345678"), ("xreg2", "0x1122334455667788"),
    ("metadata", "0x55"), ("tun_id", "0x77"), ("pkt_mark", "0x9"), ("ct_mark", "0x3"), ("ct_label", "0x10000000000000000"),
    ("in_port", "7"), ("eth_src", "00:11:22:33:44:55"), ("eth_type", "0x88cc"), ("vlan_tci", "0x1005"),
    ("ip_src", "10.1.2.3"), ("ipv6_dst", "2001:db8::1"), ("nw_proto", "17"), ("ip_dscp", "10"), ("nw_ecn", "2"),
    ("nw_ttl", "9"), ("tcp_dst", "80"), ("mpls_label", "77"), ("mpls_tc", "5"), ("ipv6_label", "0x12345"), ("tun_src", "1.1.1.1"),
])
func storageAgreesWithMatchParser(_ c: (String, String)) throws {
    let field = try #require(OFField.named(c.0))
    let parsed = try Match.parse("\(c.0)=\(c.1)").match
    let (value, _) = try field.parseValue(c.1)
    #expect(field.value(in: parsed.key) == value & field.allOnes)
    var key = FlowKey()
    field.write(value, mask: field.byteMask, into: &key)
    #expect(key.masked(by: parsed.mask) == parsed.key)
}
