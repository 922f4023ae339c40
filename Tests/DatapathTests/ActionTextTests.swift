import Testing
import Datapath
import Flow
import Wire

/// Datapath actions as `dpctl/add-flow` takes them and as
/// `dpctl/dump-flows` printed them back (Open vSwitch 3.1).
struct ActionTextCase: Sendable, CustomTestStringConvertible {
    var input: String
    var expected: String
    init(_ input: String, _ expected: String) {
        self.input = input
        self.expected = expected
    }
    var testDescription: String { input }
}

let actionTextCases: [ActionTextCase] = [
    ActionTextCase("1", "1"),
    ActionTextCase("2", "2"),
    ActionTextCase("drop", "drop"),
    ActionTextCase("1,2,3", "1,2,3"),
    ActionTextCase("userspace(pid=0)", "userspace(pid=0,userdata(000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000))"),
    ActionTextCase("userspace(pid=12,userdata(0102030405))", "userspace(pid=12,userdata(0102030405000000))"),
    ActionTextCase("userspace(pid=1,actions)", "userspace(pid=1,userdata(000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000),actions)"),
    ActionTextCase("userspace(pid=1,tunnel_out_port=3)", "userspace(pid=1,userdata(000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000),tunnel_out_port=3)"),
    ActionTextCase("userspace(pid=1,userdata(ab),actions,tunnel_out_port=2)", "userspace(pid=1,userdata(ab00000000000000),actions,tunnel_out_port=2)"),
    ActionTextCase("set(eth(src=00:01:02:03:04:05,dst=00:01:02:03:04:06)),1", "set(eth(src=00:01:02:03:04:05,dst=00:01:02:03:04:06)),1"),
    ActionTextCase("set(eth(src=00:01:02:03:04:05)),1", "set(eth(src=00:01:02:03:04:05)),1"),
    ActionTextCase("set(ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no)),1", "set(ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no)),1"),
    ActionTextCase("set(ipv4(dst=10.0.0.9)),1", "set(ipv4(dst=10.0.0.9)),1"),
    ActionTextCase("set(ipv4(ttl=9)),1", "set(ipv4(ttl=9)),1"),
    ActionTextCase("set(ipv4(tos=0x4/0xfc)),1", "set(ipv4(tos=0x4/0xfc)),1"),
    ActionTextCase("set(ipv6(src=2001:db8::9)),1", "set(ipv6(src=2001:db8::9)),1"),
    ActionTextCase("set(ipv6(hlimit=3,label=0x5)),1", "set(ipv6(label=0x5,hlimit=3)),1"),
    ActionTextCase("set(tcp(src=1,dst=2)),1", "set(tcp(src=1,dst=2)),1"),
    ActionTextCase("set(tcp(dst=8080)),1", "set(tcp(dst=8080)),1"),
    ActionTextCase("set(udp(src=5)),1", "set(udp(src=5)),1"),
    ActionTextCase("set(sctp(dst=7)),1", "set(sctp(dst=7)),1"),
    ActionTextCase("set(icmp(type=0,code=0)),1", "set(icmp(type=0,code=0)),1"),
    ActionTextCase("set(skb_priority(0x3)),1", "set(skb_priority(0x3)),1"),
    ActionTextCase("set(skb_mark(0x7)),1", "set(skb_mark(0x7)),1"),
    ActionTextCase("set(skb_mark(0x7/0xf)),1", "set(skb_mark(0x7/0xf)),1"),
    ActionTextCase("set(mpls(label=5,tc=1,ttl=3,bos=1)),1", "set(mpls(label=5,tc=1,ttl=3,bos=1)),1"),
    ActionTextCase("set(arp(sip=1.1.1.1)),1", "set(arp(sip=1.1.1.1)),1"),
    ActionTextCase("set(nd(target=::5)),1", "set(nd(target=::5)),1"),
    ActionTextCase("push_vlan(vid=5,pcp=0),1", "push_vlan(vid=5,pcp=0),1"),
    ActionTextCase("push_vlan(vid=5,pcp=3),2", "push_vlan(vid=5,pcp=3),2"),
    ActionTextCase("push_vlan(tpid=0x88a8,vid=10,pcp=0),push_vlan(vid=20,pcp=1),3", "push_vlan(tpid=0x88a8,vid=10,pcp=0),push_vlan(vid=20,pcp=1),3"),
    ActionTextCase("push_vlan(vid=0,pcp=0),1", "push_vlan(vid=0,pcp=0),1"),
    ActionTextCase("push_vlan(vid=5,pcp=1,cfi=0),1", "push_vlan(vid=5,pcp=1,cfi=0),1"),
    ActionTextCase("pop_vlan,1", "pop_vlan,1"),
    ActionTextCase("pop_vlan,pop_vlan,2", "pop_vlan,pop_vlan,2"),
    ActionTextCase("recirc(1)", "recirc(0x1)"),
    ActionTextCase("recirc(16)", "recirc(0x10)"),
    ActionTextCase("recirc(4294967295)", "recirc(0xffffffff)"),
    ActionTextCase("trunc(100),1", "trunc(100),1"),
    ActionTextCase("trunc(200),2,3", "trunc(200),2,3"),
    ActionTextCase("sample(sample=50.0%,actions(1))", "sample(sample=50.0%,actions(1))"),
    ActionTextCase("sample(sample=100.0%,actions(userspace(pid=5)))", "sample(sample=100.0%,actions(userspace(pid=5,userdata(000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000))))"),
    ActionTextCase("sample(sample=0.0%,actions())", "sample(sample=0.0%,actions(drop))"),
    ActionTextCase("sample(sample=10.5%,actions(1,2))", "sample(sample=10.5%,actions(1,2))"),
    ActionTextCase("sample(sample=33.3%,actions())", "sample(sample=33.3%,actions(drop))"),
    ActionTextCase("clone(1)", "clone(1)"),
    ActionTextCase("clone(set(ipv4(dst=1.1.1.1)),2),3", "clone(set(ipv4(dst=1.1.1.1)),2),3"),
    ActionTextCase("clone(clone(1),2)", "clone(clone(1),2)"),
    ActionTextCase("clone()", "clone(drop)"),
    ActionTextCase("check_pkt_len(size=200,gt(1),le(2))", "check_pkt_len(size=200,gt(1),le(2))"),
    ActionTextCase("check_pkt_len(size=1500,gt(drop),le(1,2))", "check_pkt_len(size=1500,gt(drop),le(1,2))"),
    ActionTextCase("check_pkt_len(size=64,gt(userspace(pid=1)),le(drop))", "check_pkt_len(size=64,gt(userspace(pid=1,userdata(000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000))),le(drop))"),
    ActionTextCase("ct", "ct"),
    ActionTextCase("ct(commit)", "ct(commit)"),
    ActionTextCase("ct(zone=5)", "ct(zone=5)"),
    ActionTextCase("ct(commit,zone=5,mark=0x1/0xff)", "ct(commit,zone=5,mark=0x1/0xff)"),
    ActionTextCase("ct(commit,label=0x1/0xff)", "ct(commit,label=0x1/0xff)"),
    ActionTextCase("ct(commit,mark=0x5)", "ct(commit,mark=0x5/0xffffffff)"),
    ActionTextCase("ct(helper=ftp,commit)", "ct(commit,helper=ftp)"),
    ActionTextCase("ct(force_commit,zone=1)", "ct(force_commit,zone=1)"),
    ActionTextCase("ct(commit,nat(src=10.0.0.1))", "ct(commit,nat(src=10.0.0.1))"),
    ActionTextCase("ct(nat)", "ct(nat)"),
    ActionTextCase("ct(commit,nat(dst=10.0.0.1-10.0.0.9:80-90))", "ct(commit,nat(dst=10.0.0.1-10.0.0.9:80-90))"),
    ActionTextCase("ct(commit,nat(src=10.0.0.1,persistent,random))", "ct(commit,nat(src=10.0.0.1,persistent,random))"),
    ActionTextCase("ct_clear,1", "ct_clear,1"),
    ActionTextCase("ct(zone=1),ct_clear,recirc(3)", "ct(zone=1),ct_clear,recirc(0x3)"),
    ActionTextCase("meter(0),1", "meter(0),1"),
    ActionTextCase("meter(7),2", "meter(7),2"),
    ActionTextCase("tnl_pop(3)", "tnl_pop(3)"),
    ActionTextCase("lb_output(1)", "lb_output(1)"),
    ActionTextCase("set(tcp(src=1/0xff)),ct(commit,zone=7,mark=0x3/0xf,label=0x5),recirc(4)", "set(tcp(src=1/0xff)),ct(commit,zone=7,mark=0x3/0xf,label=0x5),recirc(0x4)"),
    ActionTextCase("set(udp(src=68,dst=67)),2", "set(udp(src=68,dst=67)),2"),
    ActionTextCase("pop_vlan,2", "pop_vlan,2"),
    ActionTextCase("set(ipv4(src=10.1.2.3/255.255.0.0)),1", "set(ipv4(src=10.1.2.3/255.255.0.0)),1"),
    ActionTextCase("userspace(pid=3,userdata(0001020304050607080910)),push_vlan(vid=4095,pcp=7),1", "userspace(pid=3,userdata(0001020304050607080910)),push_vlan(vid=4095,pcp=7),1"),
    ActionTextCase("set(eth(dst=00:00:00:00:00:09/ff:ff:ff:ff:ff:00)),set(ipv4(ttl=1/0x7)),1", "set(eth(dst=00:00:00:00:00:09/ff:ff:ff:ff:ff:00)),set(ipv4(ttl=1/0x7)),1"),
    ActionTextCase("set(ipv6(src=2001:db8::1/ffff::,tclass=0x1/0x3)),2", "set(ipv6(src=2001:db8::1/ffff::,tclass=0x1/0x3)),2"),
    ActionTextCase("set(icmpv6(type=129,code=0)),1", "set(icmpv6(type=129,code=0)),1"),
    ActionTextCase("set(icmp(type=0/0xff)),1", "set(icmp(type=0)),1"),
    ActionTextCase("set(mpls(label=7/0xff)),1", "set(mpls(label=7/0xff,tc=0/0,ttl=0/0x0,bos=0/0)),1"),
    ActionTextCase("check_pkt_len(size=100,gt(check_pkt_len(size=200,gt(1),le(2))),le(3))", "check_pkt_len(size=100,gt(check_pkt_len(size=200,gt(1),le(2))),le(3))"),
    ActionTextCase("push_vlan(tpid=0x88a8,vid=1,pcp=7,cfi=1),1", "push_vlan(tpid=0x88a8,vid=1,pcp=7),1"),
    ActionTextCase("userspace(pid=4294967295,userdata())", "userspace(pid=4294967295,userdata(0000000000000000))"),
    ActionTextCase("ct(commit,nat(dst=[2001:db8::1]:80))", "ct(commit,nat(dst=[2001:db8::1]:80))"),
    ActionTextCase("ct(commit,nat(src=2001:db8::1-2001:db8::5))", "ct(commit,nat(src=2001:db8::1-2001:db8::5))"),
    ActionTextCase("ct(nat(src,hash))", "ct(nat(src))"),
    ActionTextCase("ct(commit,nat(dst=10.0.0.1:1000))", "ct(commit,nat(dst=10.0.0.1:1000))"),
    ActionTextCase("sample(sample=99.9%,actions(sample(sample=1.0%,actions(1))))", "sample(sample=99.9%,actions(sample(sample=1.0%,actions(1))))"),
    ActionTextCase("set(eth(src=00:00:00:00:00:01/00:00:00:00:00:00)),1", "set(eth()),1"),
    ActionTextCase("set(ipv4(src=1.1.1.1,dst=2.2.2.2,tos=0,ttl=1)),1", "set(ipv4(src=1.1.1.1,dst=2.2.2.2,tos=0,ttl=1)),1"),
    ActionTextCase("set(ipv6(src=::1,dst=::2,label=0,proto=0,tclass=0,hlimit=1,frag=no)),1", "set(ipv6(src=::1,dst=::2,label=0,proto=0,tclass=0,hlimit=1,frag=no)),1"),
    ActionTextCase("set(arp(sip=1.1.1.1,tip=2.2.2.2,op=1,sha=00:00:00:00:00:01,tha=00:00:00:00:00:02)),1", "set(arp(sip=1.1.1.1,tip=2.2.2.2,op=1,sha=00:00:00:00:00:01,tha=00:00:00:00:00:02)),1"),
    ActionTextCase("set(nd(target=::1,sll=00:00:00:00:00:01,tll=00:00:00:00:00:02)),1", "set(nd(target=::1,sll=00:00:00:00:00:01,tll=00:00:00:00:00:02)),1"),
    ActionTextCase("set(tunnel(tun_id=0x5,dst=1.1.1.1,ttl=64,flags(df|key))),1", "set(tunnel(tun_id=0x5,dst=1.1.1.1,ttl=64,flags(df|key))),1"),
    ActionTextCase("set(skb_priority(0x1/0x1)),set(skb_mark(0x2)),1", "set(skb_priority(0x1/0x1)),set(skb_mark(0x2)),1"),
    ActionTextCase("4294967295", "4294967295"),
    ActionTextCase("0x10", "16"),
    ActionTextCase("push_mpls(label=5,tc=1,ttl=64,bos=1,eth_type=0x8847),1", "push_mpls(label=5,tc=1,ttl=64,bos=1,eth_type=0x8847),1"),
    ActionTextCase("pop_mpls(eth_type=0x800),1", "pop_mpls(eth_type=0x800),1"),
    ActionTextCase("hash(l4(0)),recirc(0x2)", "hash(l4(0)),recirc(0x2)"),
    ActionTextCase("hash(sym_l4(7))", "hash(sym_l4(7))"),
    // svs reads what OVS prints even where OVS's own parser does not.
    ActionTextCase("recirc(0x10)", "recirc(0x10)"),
    ActionTextCase("clone(drop)", "clone(drop)"),
    ActionTextCase("sample(sample=1.0%,actions(drop))", "sample(sample=1.0%,actions(drop))"),
    ActionTextCase("push_eth(src=00:01:02:03:04:05,dst=00:01:02:03:04:06),pop_eth", "push_eth(src=00:01:02:03:04:05,dst=00:01:02:03:04:06),pop_eth"),
    ActionTextCase("ct(commit,nat(src=[2001:db8::1]-[2001:db8::9]:100-200))", "ct(commit,nat(src=[2001:db8::1]-[2001:db8::9]:100-200))"),
    ActionTextCase("ct(nat(dst=2001:db8::1))", "ct(nat(dst=2001:db8::1))"),
]

@Test(arguments: actionTextCases)
func datapathActionsNormaliseAsOVS(_ c: ActionTextCase) throws {
    let actions = try DatapathActionText.parse(c.input)
    #expect(DatapathActionText.formatted(actions) == c.expected)
}

@Test(arguments: actionTextCases)
func datapathActionTextRoundTrips(_ c: ActionTextCase) throws {
    let actions = try DatapathActionText.parse(c.expected)
    #expect(DatapathActionText.formatted(actions) == c.expected)
}

@Test func typedActionsFormat() {
    let actions: [DatapathAction] = [
        .pushVLAN(VLANPush(vlanID: 5)), .output(DatapathPort(1)),
        .setMasked(.ipv4(Masked(IPv4Key(destination: IPv4Address(rawValue: 0x0a00_0001)), mask: IPv4Key(destination: IPv4Address(rawValue: 0xffff_ff00))))),
        .sample(SampleAction(probability: .max / 2, actions: [.output(DatapathPort(2))])),
        .checkPacketLength(CheckPacketLength(length: 200, ifGreater: [.output(DatapathPort(3))], ifLessOrEqual: [])),
        .conntrack(ConntrackAction(commit: true, zone: 3, mark: Masked(1, mask: 0xff))), .conntrackClear,
        .recirculate(1), .hash(HashAction()), .truncate(100), .meter(MeterID(0)), .tunnelPop(DatapathPort(1)),
        .popVLAN, .clone([.output(DatapathPort(4))]),
    ]
    #expect(DatapathActionText.formatted(actions)
        == "push_vlan(vid=5,pcp=0),1,set(ipv4(dst=10.0.0.1/255.255.255.0)),sample(sample=50.0%,actions(2)),check_pkt_len(size=200,gt(3),le(drop)),ct(commit,zone=3,mark=0x1/0xff),ct_clear,recirc(0x1),hash(l4(0)),trunc(100),meter(0),tnl_pop(1),pop_vlan,clone(4)")
    #expect(DatapathActionText.formatted([]) == "drop")
}

@Test(arguments: [
    "1,bogus", "set(ipv4(src=1.1.1.1)", "push_vlan(vid=5000,pcp=0)", "sample(sample=150.0%,actions(1))",
    "clone(1", "check_pkt_len(size=10,gt(1))", "userspace(pid=1,userdata(abc))", "ct(zone=x)", "recirc(x)",
    "set(tunnel(dst=1.1.1.1,ttl=5,flags(bogus)))", "))", "userspace(", "ct(nat(src=1.2.3))",
    String(repeating: "clone(", count: 100) + "1" + String(repeating: ")", count: 100),
])
func malformedActionTextIsAnError(_ text: String) {
    #expect(throws: DatapathKeyError.self) { try DatapathActionText.parse(text) }
}

@Test func arbitraryActionTextNeverTraps() {
    var rng = SystemRandomNumberGenerator()
    let alphabet = Array("1,drop(userspace(pid=1)set(ipv4(dst=1.2.3.4))push_vlan(vid=5,pcp=0)sample(sample=5.0%,actions(clone(check_pkt_len(size=1,gt(le(ct(commit,zone=1,nat(src=1.1.1.1:1-2)))")
    for _ in 0..<3000 {
        let n = Int.random(in: 0...60, using: &rng)
        let text = String((0..<n).map { _ in alphabet.randomElement(using: &rng)! })
        if let actions = try? DatapathActionText.parse(text) {
            let formatted = DatapathActionText.formatted(actions)
            let again = try? DatapathActionText.parse(formatted)
            #expect(again.map { DatapathActionText.formatted($0) } == formatted, "\(text)")
        }
    }
}
