import Testing
import Flow
import Wire

/// A datapath key as `dpctl/add-flow` takes it and as `dpctl/dump-flows`
/// printed it back (Open vSwitch 3.1, netdev datapath; captured with
/// `DPCTL_SYNTAX_SAVE=... tests/dpctl-syntax/run.sh`).
struct KeyTextCase: Sendable, CustomTestStringConvertible {
    var input: String
    var expected: String
    init(_ input: String, _ expected: String) {
        self.input = input
        self.expected = expected
    }
    var testDescription: String { input }
}

let keyTextCases: [KeyTextCase] = [
    KeyTextCase("in_port(1),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=1024,dst=80)",
                "recirc_id(0),in_port(1),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=1024,dst=80)"),
    KeyTextCase("in_port(1),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=6,frag=no),tcp(dst=80)",
                "recirc_id(0),in_port(1),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=6,frag=no),tcp(dst=80)"),
    KeyTextCase("recirc_id(0x5),in_port(2),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(frag=no)",
                "recirc_id(0x5),in_port(2),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("skb_priority(0x7),in_port(2),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(frag=no)",
                "skb_priority(0x7),recirc_id(0),in_port(2),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("skb_priority(0x7/0xf),in_port(2),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(frag=no)",
                "skb_priority(0x7/0xf),recirc_id(0),in_port(2),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("skb_mark(0x1234),in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)",
                "skb_mark(0x1234),recirc_id(0),in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("skb_mark(0x1234/0xff00),in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)",
                "skb_mark(0x1234/0xff00),recirc_id(0),in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("dp_hash(0x55),recirc_id(0x2),in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)",
                "recirc_id(0x2),dp_hash(0x55),in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("dp_hash(0x5/0xf),recirc_id(0x2),in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)",
                "recirc_id(0x2),dp_hash(0x5/0xf),in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("in_port(3),eth(src=00:01:02:03:04:05/ff:ff:ff:00:00:00),eth_type(0x0800),ipv4(frag=no)",
                "recirc_id(0),in_port(3),eth(src=00:01:02:03:04:05/ff:ff:ff:00:00:00),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("in_port(3),eth(dst=01:00:00:00:00:00/01:00:00:00:00:00),eth_type(0x86dd),ipv6(frag=no)",
                "recirc_id(0),in_port(3),eth(dst=01:00:00:00:00:00/01:00:00:00:00:00),eth_type(0x86dd),ipv6(frag=no)"),
    KeyTextCase("in_port(3),eth(),eth_type(0x0806),arp()",
                "recirc_id(0),in_port(3),eth(),eth_type(0x0806)"),
    KeyTextCase("in_port(3),eth(),eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.2,op=1,sha=00:01:02:03:04:05,tha=00:00:00:00:00:00)",
                "recirc_id(0),in_port(3),eth(),eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.2,op=1,sha=00:01:02:03:04:05,tha=00:00:00:00:00:00)"),
    KeyTextCase("in_port(3),eth(),eth_type(0x0806),arp(sip=10.0.0.0/255.255.255.0,op=2)",
                "recirc_id(0),in_port(3),eth(),eth_type(0x0806),arp(sip=10.0.0.0/255.255.255.0,op=2)"),
    KeyTextCase("in_port(3),eth(),eth_type(0x8035),arp(op=3)",
                "recirc_id(0),in_port(3),eth(),eth_type(0x8035),arp(op=3)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x1234)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x1234)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x88cc)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x88cc)"),
    KeyTextCase("ct_state(+trk+est),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_state(+est+trk),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_state(-trk),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_state(-trk),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_state(+new-est+trk),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_state(+new-est+trk),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_state(trk|est),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_state(-new+est-rel-rpl-inv+trk-snat-dnat),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_state(0x21/0x21),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_state(+new+trk),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_zone(0x5),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_zone(0x5),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_zone(5/0xff),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_zone(0x5/0xff),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_mark(0x10),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_mark(0x10),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_mark(0x10/0xf0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_mark(0x10/0xf0),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_label(0x1),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_label(0x1),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_label(0x1234567890abcdef1122334455667788),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_label(0x1234567890abcdef1122334455667788),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_label(0x1/0xf),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_label(0x1/0xf),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_state(+trk),ct_tuple4(src=10.0.0.1,dst=10.0.0.2,proto=6,tp_src=1000,tp_dst=80),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_state(+trk),ct_tuple4(src=10.0.0.1,dst=10.0.0.2,proto=6,tp_src=1000,tp_dst=80),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_state(+trk),ct_tuple4(src=10.0.0.0/255.0.0.0,proto=17),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_state(+trk),ct_tuple4(src=10.0.0.0/255.0.0.0,proto=17),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_state(+trk),ct_tuple6(src=2001:db8::1,dst=2001:db8::2,proto=6,tp_src=1000,tp_dst=80),in_port(1),eth(),eth_type(0x86dd),ipv6(frag=no)",
                "ct_state(+trk),ct_tuple6(src=2001:db8::1,dst=2001:db8::2,proto=6,src_port=1000,dst_port=80),recirc_id(0),in_port(1),eth(),eth_type(0x86dd),ipv6(frag=no)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(src=192.168.1.1,dst=192.168.1.2,proto=17,tos=0x10,ttl=1,frag=no),udp(src=53,dst=5353)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(src=192.168.1.1,dst=192.168.1.2,proto=17,tos=0x10,ttl=1,frag=no),udp(src=53,dst=5353)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(src=1000/0xff00)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(src=1000/0xff00)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=first),udp(dst=53)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=first),udp(dst=53)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=later)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=later)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(tos=0xfc/0xfc,frag=no)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(tos=0xfc/0xfc,frag=no)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(ttl=64/0xf0,frag=no)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(ttl=64/0xf0,frag=no)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(dst=224.0.0.0/240.0.0.0,frag=no)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(dst=224.0.0.0/240.0.0.0,frag=no)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=132,frag=no),sctp(src=1,dst=2)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=132,frag=no),sctp(src=1,dst=2)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=132,frag=no),sctp(dst=2/0xf)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=132,frag=no),sctp(dst=2/0xf)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp(type=8,code=0)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp(type=8,code=0)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp(type=3)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp(type=3)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp(type=8/0xf0)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp(type=8/0xf0)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(syn)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp_flags(syn)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(+syn-ack)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp_flags(+syn-ack)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(syn|ack)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp_flags(syn|ack)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0x12/0x12)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp_flags(+syn+ack)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(src=22,dst=1024/0xfc00),tcp_flags(fin)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(src=22,dst=1024/0xfc00),tcp_flags(fin)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp_flags(0)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=47,frag=no)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=47,frag=no)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,label=0x12345,proto=6,tclass=0x20,hlimit=64,frag=no),tcp(src=1,dst=2)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,label=0x12345,proto=6,tclass=0x20,hlimit=64,frag=no),tcp(src=1,dst=2)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(src=2001:db8::/ffff:ffff::,frag=no)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(src=2001:db8::/ffff:ffff::,frag=no)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(dst=fe80::1,frag=no)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(dst=fe80::1,frag=no)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(label=0x1/0xf,frag=no)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(label=0x1/0xf,frag=no)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(proto=17,frag=no),udp(dst=546)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(proto=17,frag=no),udp(dst=546)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(proto=17,frag=first),udp(dst=546)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(proto=17,frag=first),udp(dst=546)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(proto=44,frag=later)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(proto=44,frag=later)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=128,code=0)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=128,code=0)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=1)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=1)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=135,code=0),nd(target=2001:db8::1)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=135,code=0),nd(target=2001:db8::1)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=135,code=0),nd(target=2001:db8::1,sll=00:01:02:03:04:05)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=135,code=0),nd(target=2001:db8::1,sll=00:01:02:03:04:05)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=136,code=0),nd(target=2001:db8::2,tll=00:01:02:03:04:06)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=136,code=0),nd(target=2001:db8::2,tll=00:01:02:03:04:06)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=136,code=0),nd()",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=136,code=0)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(proto=132,frag=no),sctp(src=5)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(proto=132,frag=no),sctp(src=5)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(tclass=0x3/0x3,hlimit=255,frag=no)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(tclass=0x3/0x3,hlimit=255,frag=no)"),
    KeyTextCase("in_port(3),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x8100),vlan(vid=5,pcp=1),encap(eth_type(0x0800),ipv4(ttl=5))",
                "recirc_id(0),in_port(3),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x8100),vlan(vid=5,pcp=1),encap(eth_type(0x0800),ipv4(ttl=5))"),
    KeyTextCase("in_port(3),eth(),eth_type(0x8100),vlan(vid=10),encap(eth_type(0x0800),ipv4(frag=no))",
                "recirc_id(0),in_port(3),eth(),eth_type(0x8100),vlan(vid=10),encap(eth_type(0x0800),ipv4(frag=no))"),
    KeyTextCase("in_port(3),eth(),eth_type(0x8100),vlan(vid=10/0xff0),encap(eth_type(0x0806),arp())",
                "recirc_id(0),in_port(3),eth(),eth_type(0x8100),vlan(vid=10/0xff0),encap(eth_type(0x0806))"),
    KeyTextCase("in_port(3),eth(),eth_type(0x8100),vlan(pcp=5),encap(eth_type(0x86dd),ipv6(frag=no))",
                "recirc_id(0),in_port(3),eth(),eth_type(0x8100),vlan(pcp=5),encap(eth_type(0x86dd),ipv6(frag=no))"),
    KeyTextCase("in_port(3),eth(),eth_type(0x8100),vlan(vid=4095,pcp=7),encap(eth_type(0x1234))",
                "recirc_id(0),in_port(3),eth(),eth_type(0x8100),vlan(vid=4095,pcp=7),encap(eth_type(0x1234))"),
    KeyTextCase("in_port(1),eth(),eth_type(0x8847),mpls(label=100,tc=3,ttl=64,bos=1)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x8847),mpls(label=100,tc=3,ttl=64,bos=1)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x8848),mpls(label=100,tc=0,ttl=64,bos=1)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x8848),mpls(label=100,tc=0,ttl=64,bos=1)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x8847),mpls(label=100/0xff,tc=3/0,ttl=64/0,bos=1/1)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x8847),mpls(label=100/0xff,tc=3/0,ttl=64/0x0,bos=1/1)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x8847),mpls(label=10,tc=0,ttl=1,bos=0,label=20,tc=0,ttl=2,bos=1)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x8847),mpls(label=10,tc=0,ttl=1,bos=0,label=20,tc=0,ttl=2,bos=1)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x8847),mpls(label=10,tc=0,ttl=1,bos=0,label=20,tc=0,ttl=2,bos=0,label=30,tc=1,ttl=3,bos=1)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x8847),mpls(label=10,tc=0,ttl=1,bos=0,label=20,tc=0,ttl=2,bos=0,label=30,tc=1,ttl=3,bos=1)"),
    KeyTextCase("in_port(1),packet_type(ns=1,id=0x800),eth_type(0x0800),ipv4(frag=no)",
                "recirc_id(0),in_port(1),packet_type(ns=1,id=0x800),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("in_port(1),packet_type(ns=0,id=0),eth(),eth_type(0x0800),ipv4(frag=no)",
                "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("in_port(1),eth_type(0x0800),ipv4(src=1.2.3.4,frag=no)",
                "recirc_id(0),in_port(1),eth_type(0x0800),ipv4(src=1.2.3.4,frag=no)"),
    KeyTextCase("in_port(1),eth_type(0x86dd),ipv6(src=::1,frag=no)",
                "recirc_id(0),in_port(1),eth_type(0x86dd),ipv6(src=::1,frag=no)"),
    KeyTextCase("tunnel(tun_id=0x5,src=192.168.0.1,dst=192.168.0.2,ttl=64,flags(-df-csum+key)),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "tunnel(tun_id=0x5,src=192.168.0.1,dst=192.168.0.2,ttl=64,flags(-df-csum+key)),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("tunnel(tun_id=0x5,src=192.168.0.1,dst=192.168.0.2,tos=0x10,ttl=64,tp_src=1000,tp_dst=4789,flags(+df-csum+key)),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "tunnel(tun_id=0x5,src=192.168.0.1,dst=192.168.0.2,tos=0x10,ttl=64,tp_src=1000,tp_dst=4789,flags(+df-csum+key)),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("tunnel(tun_id=0x5/0xff,dst=192.168.0.2,ttl=64),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "tunnel(tun_id=0x5/0xff,dst=192.168.0.2,ttl=64,flags(+key)),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("tunnel(ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2,ttl=64,flags(key)),in_port(1),eth(),eth_type(0x86dd),ipv6(frag=no)",
                "tunnel(ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2,ttl=64,flags(-oam-df-csum)),recirc_id(0),in_port(1),eth(),eth_type(0x86dd),ipv6(frag=no)"),
    KeyTextCase("in_port(4294967294),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(frag=no)",
                "recirc_id(0),in_port(4294967294),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("in_port(0),eth(),eth_type(0x0800),ipv4(frag=no)",
                "recirc_id(0),in_port(0),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ufid:9b0ec7a8-7b1b-4b8c-a0ad-3be8b5a3e5a1 in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=22)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=22)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(src=67,dst=68)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(src=67,dst=68)"),
    KeyTextCase("in_port(2),eth(src=00:00:00:00:00:01),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=135,code=0),nd(target=fe80::1/ffff::,sll=00:00:00:00:00:01/ff:ff:ff:00:00:00)",
                "recirc_id(0),in_port(2),eth(src=00:00:00:00:00:01),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=135,code=0),nd(target=fe80::1/ffff::,sll=00:00:00:00:00:01/ff:ff:ff:00:00:00)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x8100),vlan(vid=0,pcp=0),encap(eth_type(0x0800),ipv4(frag=no))",
                "recirc_id(0),in_port(1),eth(),eth_type(0x8100),vlan(vid=0,pcp=0),encap(eth_type(0x0800),ipv4(frag=no))"),
    KeyTextCase("in_port(1),eth(),eth_type(0x8100),vlan(vid=0/0x0),encap(eth_type(0x0800),ipv4(frag=no))",
                "recirc_id(0),in_port(1),eth(),eth_type(0x8100),vlan(),encap(eth_type(0x0800),ipv4(frag=no))"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(src=10.1.2.3/255.0.0.0,frag=no)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(src=10.1.2.3/255.0.0.0,frag=no)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(src=0/0,dst=0/0)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x86dd),ipv6(frag=no)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x86dd),ipv6(frag=no)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=128)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=128)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no),icmp()",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=1,frag=no)"),
    KeyTextCase("tunnel(tun_id=0x1,src=10.0.0.1,dst=10.0.0.2,tos=0x3,ttl=5,tp_src=1,tp_dst=2,flags(+csum+oam+key)),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "tunnel(tun_id=0x1,src=10.0.0.1,dst=10.0.0.2,tos=0x3,ttl=5,tp_src=1,tp_dst=2,flags(+oam+csum+key)),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("tunnel(src=10.0.0.1/255.255.0.0,dst=10.0.0.2,ttl=64/0xf0,flags(-df)),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "tunnel(src=10.0.0.1/255.255.0.0,dst=10.0.0.2,ttl=64/0xf0,flags(-df)),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("tunnel(tun_id=0x7,dst=10.0.0.2,ttl=64,vxlan(gbp(id=10,flags=0x1)),flags(+key)),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "tunnel(tun_id=0x7,dst=10.0.0.2,ttl=64,vxlan(gbp(id=10,flags=0x1)),flags(+key)),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("tunnel(dst=10.0.0.2,ttl=64,flags(df|csum)),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "tunnel(dst=10.0.0.2,ttl=64,flags(-oam+df+csum)),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("tunnel(ipv6_dst=2001:db8::2,ttl=1),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "tunnel(ipv6_dst=2001:db8::2,ttl=1),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("tunnel(tun_id=0x0,dst=10.0.0.2,ttl=64),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "tunnel(tun_id=0x0,dst=10.0.0.2,ttl=64,flags(+key)),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_state(+snat+dnat+rpl),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_state(+rpl+snat+dnat),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_state(+inv+rel-new),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_state(-new+rel+inv),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_state(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_state(-new-est-rel-rpl-inv-trk-snat-dnat),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("ct_state(new|est|rel|rpl|inv|trk|snat|dnat),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
                "ct_state(+new+est+rel+rpl+inv+trk+snat+dnat),recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)"),
    KeyTextCase("in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=135,code=0),nd(target=::1),nd_ext(nd_reserved=0x20,nd_options_type=2)",
                "recirc_id(0),in_port(2),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=135,code=0),nd(target=::1)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(fin|syn|rst|psh|ack|urg|ece|cwr|ns)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp_flags(fin|syn|rst|psh|ack|urg|ece|cwr|ns)"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0x800/0xf00)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp_flags(-ns-[200]-[400]+[800])"),
    KeyTextCase("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(-fin-syn)",
                "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp_flags(-fin-syn)"),
]

@Test(arguments: keyTextCases)
func datapathKeyNormalisesAsOVS(_ c: KeyTextCase) throws {
    let (key, mask) = try DatapathKeyAttributes.parseFlow(c.input)
    #expect(DatapathKeyAttributes.formatted(key: key, mask: mask) == c.expected)
}

/// The verbose text (`dump-flows -m`) reads back to the same flow. (The
/// terse text need not: like OVS, it leaves out wildcarded `arp()`, `tcp()`...
/// that `add-flow` then misses.)
@Test(arguments: keyTextCases)
func datapathKeyTextRoundTrips(_ c: KeyTextCase) throws {
    let (key, mask) = try DatapathKeyAttributes.parseFlow(c.input)
    let verbose = DatapathKeyAttributes.formatted(key: key, mask: mask, verbose: true)
    let (key2, mask2) = try DatapathKeyAttributes.parseFlow(verbose)
    #expect(DatapathKeyAttributes.formatted(key: key2, mask: mask2) == c.expected)
    #expect(DatapathKeyAttributes.formatted(key: key2, mask: mask2, verbose: true) == verbose)
}

/// FlowKey/FlowMask -> attributes -> FlowKey/FlowMask -> attributes is
/// stable (the first decode may hold fields the datapath does not report,
/// such as `nd_ext()` on the userspace datapath).
@Test(arguments: keyTextCases)
func datapathKeyAttributesRoundTrip(_ c: KeyTextCase) throws {
    let (key, mask) = try DatapathKeyAttributes.parseFlow(c.input)
    let (k, m) = DatapathKeyAttributes.encode(key: key, mask: mask)
    let (key2, mask2) = try DatapathKeyAttributes.decode(key: k, mask: m)
    let (k2, m2) = DatapathKeyAttributes.encode(key: key2, mask: mask2)
    #expect(k2 == k)
    #expect(m2 == m)
    let (key3, mask3) = try DatapathKeyAttributes.decode(key: k2, mask: m2)
    #expect(key3 == key2)
    #expect(mask3 == mask2)
}

struct BadKeyCase: Sendable, CustomTestStringConvertible {
    var input: String
    var position: Int?
    var testDescription: String { input }
    init(_ input: String, at position: Int? = nil) {
        self.input = input
        self.position = position
    }
}

@Test(arguments: [
    BadKeyCase("in_port(1),eth(src=zz)", at: 11),
    BadKeyCase("in_port(1", at: 0),
    BadKeyCase("in_port(1),bogus(3)", at: 11),
    BadKeyCase("in_port(1),eth(src=00:01:02:03:04:05,nope=1)", at: 11),
    BadKeyCase("in_port(1),eth_type(0x0800),ipv4(frag=sometimes)", at: 28),
    BadKeyCase("in_port(1),eth(),eth_type(0x0800),ipv4(src=1.2.3)", at: 34),
    BadKeyCase("in_port(1),encap(in_port(2)", at: 11),
    BadKeyCase("recirc_id(1/2),in_port(1)", at: 0),
    BadKeyCase("in_port(1),tcp_flags(syn|bogus)", at: 11),
    BadKeyCase("in_port(1),vlan(vid=5000)", at: 11),
    BadKeyCase("in_port(1),mpls(label=1,label=2,label=3,label=4)", at: 11),
    BadKeyCase("ufid:1234 in_port(1)", at: 0),
    BadKeyCase("in_port(1),ct_label(0x123456789012345678901234567890123)", at: 11),
    BadKeyCase("in_port(1),ipv6(src=1:2:3:4:5:6:7:8:9)", at: 11),
    BadKeyCase(")"),
    BadKeyCase("(((("),
])
func malformedKeyTextIsAnError(_ c: BadKeyCase) {
    do {
        _ = try DatapathKeyAttributes.parse(c.input)
        Issue.record("parsed \(c.input)")
    } catch {
        if let p = c.position { #expect(error.position == p) }
        #expect(error.message.hasPrefix("syntax error"))
    }
}

/// Keys that parse but describe no flow the userspace datapath stores.
@Test(arguments: [
    "in_port(1)",                                                  // no EtherType mask
    "in_port(1),eth(),eth_type(0x0800)",                           // ipv4() missing
    "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no)",     // tcp() missing
    "in_port(1),eth(),eth_type(0x0800),ipv4(frag=no),tcp()",       // tcp() without proto 6
    "in_port(1),eth(),eth_type(0x0800/0xff00),ipv4(frag=no)",      // L3 under a masked EtherType
    "in_port(1),eth(),eth_type(0x8100),vlan(vid=5),encap(eth_type(0x8100),vlan(vid=6),encap())", // vlan-limit 1
    "tunnel(dst=1.1.1.1),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)", // no TTL
    "in_port(1),eth(),eth_type(0x0800),ipv4(frag=no),ipv4(frag=no)",
    "eth(),eth_type(0x0800),ipv4(frag=no)",                        // in_port not exact
    "in_port(1),eth(),eth_type(0x0806),arp(op=256)",
    "in_port(1),eth(),eth_type(0x8847),mpls(label=1,tc=0,ttl=1,bos=0)",
])
func unacceptableKeysAreErrors(_ text: String) {
    #expect(throws: DatapathKeyError.self) { try DatapathKeyAttributes.parseFlow(text) }
}

@Test func doubleTaggedKeysNeedVLANLimitTwo() throws {
    let text = "in_port(3),eth(),eth_type(0x88a8),vlan(vid=100),encap(eth_type(0x8100),vlan(vid=200),encap(eth_type(0x0800),ipv4(frag=no)))"
    let (key, mask) = try DatapathKeyAttributes.parseFlow(text, vlanLimit: 2)
    #expect(key.vlans[0].vlanID == 100)
    #expect(key.vlans[1].vlanID == 200)
    #expect(key.vlans[1].tpid == 0x8100)
    #expect(DatapathKeyAttributes.formatted(key: key, mask: mask, vlanLimit: 2) == "recirc_id(0)," + text)
}

@Test func verboseFormatPrintsEveryField() throws {
    let (key, mask) = try DatapathKeyAttributes.parseFlow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80)")
    #expect(DatapathKeyAttributes.formatted(key: key, mask: mask, verbose: true)
        == "skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(1),packet_type(ns=0/0,id=0/0),eth(src=00:00:00:00:00:00/00:00:00:00:00:00,dst=00:00:00:00:00:00/00:00:00:00:00:00),eth_type(0x0800),ipv4(src=0.0.0.0/0.0.0.0,dst=0.0.0.0/0.0.0.0,proto=6,tos=0/0,ttl=0/0,frag=no),tcp(src=0/0,dst=80)")
}

/// Arbitrary text never traps; what parses formats and re-parses the same.
@Test func arbitraryKeyTextNeverTraps() {
    var rng = SystemRandomNumberGenerator()
    let alphabet = Array("in_port(1),eth(src=00:01:02:03:04:05)eth_type(0x0800)ipv4(src=10.0.0.1/255.0.0.0,proto=6,frag=no)tcp(dst=80)vlan(vid=5)encap(mpls(label=1,bos=1)ct_state(+trk)tcp_flags(syn)/,)(0x")
    for _ in 0..<3000 {
        let n = Int.random(in: 0...60, using: &rng)
        let text = String((0..<n).map { _ in alphabet.randomElement(using: &rng)! })
        if let (k, m) = try? DatapathKeyAttributes.parse(text) {
            var out = TextBuffer()
            DatapathKeyAttributes.format(key: k, mask: m, into: &out)
            _ = try? DatapathKeyAttributes.decode(key: k, mask: m)
        }
    }
}
