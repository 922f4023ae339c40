import Testing
import Flow
import Wire

/// A frame and the line `ovs-ofctl parse-pcap` (Open vSwitch 3.1.0) prints
/// for it. The frames were built with scapy and the lines taken from the real
/// tool; see tests/parse-pcap for the randomised version of this test.
struct ExtractCase: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var bytes: [UInt8]
    var expected: String

    init(_ name: String, _ hex: String, _ expected: String) {
        testDescription = name
        bytes = hexBytes(hex)
        self.expected = expected
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count - 1, by: 2).map { i in
        UInt8(String(decoding: digits[i...i + 1], as: UTF8.self), radix: 16)!
    }
}

func extract(_ bytes: [UInt8], inPort: UInt32 = 0xffff) -> FlowKey {
    bytes.withUnsafeBytes { FlowKey(extractingFrom: $0, inPort: inPort) }
}

let extractCases: [ExtractCase] = [
    ExtractCase("ipv4 tcp syn",
                "66778899aabb001122334455080045b9002800010000110695140a0000010a00000204d2005000000000000000005002200076be0000",
                "tcp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=184,nw_ecn=1,nw_ttl=17,nw_frag=no,tp_src=1234,tp_dst=80,tcp_flags=syn"),
    ExtractCase("ipv4 tcp all flags",
                "66778899aabb00112233445508004500002800010000400666cd0a0000010a00000200010002000000000000000051ff200079e00000",
                "tcp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=1,tp_dst=2,tcp_flags=fin|syn|rst|psh|ack|urg|ece|cwr|ns"),
    ExtractCase("ipv4 tcp bad data offset",
                "66778899aabb00112233445508004500002800010000400666cd0a0000010a000002000100020000000000000000400220008bdd0000",
                "tcp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=0,tp_dst=0,tcp_flags=0"),
    ExtractCase("ipv4 udp",
                "66778899aabb00112233445508004500001c000100004011f67fc0a80101c0a801ff0044004300087b06",
                "udp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=192.168.1.1,nw_dst=192.168.1.255,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=68,tp_dst=67"),
    ExtractCase("ipv4 sctp",
                "66778899aabb0011223344550800450000200001000040846a4601020304050607080009000a00000000a60fcd45",
                "sctp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=1.2.3.4,nw_dst=5.6.7.8,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=9,tp_dst=10"),
    ExtractCase("ipv4 icmp",
                "66778899aabb00112233445508004500001c0001000040016acd01020304050607080304fcfb00000000",
                "icmp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=1.2.3.4,nw_dst=5.6.7.8,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=3,icmp_code=4"),
    ExtractCase("ipv4 igmp",
                "66778899aabb001122334455080046c000200001000001023ffb01020304e0000016940400001600f8faef010203",
                "ip,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=1.2.3.4,nw_dst=224.0.0.22,nw_proto=2,nw_tos=192,nw_ecn=0,nw_ttl=1,nw_frag=no,tp_src=22,tp_dst=0"),
    ExtractCase("ipv4 options",
                "66778899aabb001122334455080046000020000100004011d5b4010203040506070894040000000100020008efc7",
                "udp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=1.2.3.4,nw_dst=5.6.7.8,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=1,tp_dst=2"),
    ExtractCase("ipv4 first fragment",
                "66778899aabb00112233445508004500001c0001200040114abd0102030405060708000100020008efc7",
                "udp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=1.2.3.4,nw_dst=5.6.7.8,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=first,tp_src=1,tp_dst=2"),
    ExtractCase("ipv4 later fragment",
                "66778899aabb0011223344550800450000280001006440066a5801020304050607087878787878787878787878787878787878787878",
                "tcp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=1.2.3.4,nw_dst=5.6.7.8,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=later"),
    ExtractCase("ipv4 bad ihl",
                "66778899aabb00112233445508004400001c0001000040117cce7f0000017f0000010035003500080172",
                "ip,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_proto=0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no"),
    ExtractCase("ipv4 gre",
                "66778899aabb00112233445508004500001c00010000402f6a9f01020304050607080000000061626364",
                "ip,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=1.2.3.4,nw_dst=5.6.7.8,nw_proto=47,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no"),
    ExtractCase("vlan",
                "66778899aabb0011223344558100a06408004500001c00010000401174cb0101010102020202000500060008f9cd",
                "udp,in_port=ANY,dl_vlan=100,dl_vlan_pcp=5,vlan_tci1=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=1.1.1.1,nw_dst=2.2.2.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=5,tp_dst=6"),
    ExtractCase("qinq",
                "66778899aabb00112233445588a8200a81000014080600010800060400020000000000010909090900000000000208080808",
                "arp,in_port=ANY,dl_vlan=10,dl_vlan_pcp=1,dl_vlan1=20,dl_vlan_pcp1=0,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,arp_spa=9.9.9.9,arp_tpa=8.8.8.8,arp_op=2,arp_sha=00:00:00:00:00:01,arp_tha=00:00:00:00:00:02"),
    ExtractCase("vlan id 0 dei",
                "66778899aabb0011223344558100100000001234",
                "in_port=ANY,dl_vlan=0,dl_vlan_pcp=0,vlan_tci1=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,dl_type=0x05ff"),
    ExtractCase("mpls two labels",
                "66778899aabb001122334455884700064409000c8108450000140001000040007ce77f0000017f000001",
                "mpls,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,mpls_label=100,mpls_tc=2,mpls_ttl=9,mpls_bos=0,mpls_lse1=819464"),
    ExtractCase("mpls four labels",
                "66778899aabb001122334455884800001000000020000000300000004100",
                "mplsm,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,mpls_label=1,mpls_tc=0,mpls_ttl=0,mpls_bos=0,mpls_lse1=8192,mpls_lse2=12288"),
    ExtractCase("arp request",
                "66778899aabb001122334455080600010800060400010011223344550a0000010000000000000a000002",
                "arp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1,arp_sha=00:11:22:33:44:55,arp_tha=00:00:00:00:00:00"),
    ExtractCase("rarp",
                "66778899aabb001122334455803500010800060400030011223344550a0000010000000000000a000002",
                "rarp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=3,arp_sha=00:11:22:33:44:55,arp_tha=00:00:00:00:00:00"),
    ExtractCase("arp big opcode",
                "66778899aabb001122334455080600010800060401010011223344550a0000010000000000000a000002",
                "arp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=0,arp_sha=00:11:22:33:44:55,arp_tha=00:00:00:00:00:00"),
    ExtractCase("llc",
                "0180c200000000112233445500264242030000000000000000000000000000000000000000000000000000000000000000000000",
                "in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=01:80:c2:00:00:00,dl_type=0x05ff"),
    ExtractCase("snap",
                "66778899aabb0011223344550030aaaa0300000008004500001c00010000401174cb0101010102020202003500350008f96e",
                "udp,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=1.1.1.1,nw_dst=2.2.2.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=53,tp_dst=53"),
    ExtractCase("ipv6 tcp",
                "66778899aabb00112233445586dd62e123450014060320010db800000000000000000000000120010db8000000000000000000000002001608ae0000000000000000501820002b940000",
                "tcp6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2,ipv6_label=0x12345,nw_tos=44,nw_ecn=2,nw_ttl=3,nw_frag=no,tp_src=22,tp_dst=2222,tcp_flags=psh|ack"),
    ExtractCase("ipv6 ext chain",
                "66778899aabb00112233445586dd6000000000200040fe800000000000000000000000000001ff0200000000000000000000000000012b000104000000003c000000000000001100010400000000000700080008024a",
                "udp6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=fe80::1,ipv6_dst=ff02::1,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=7,tp_dst=8"),
    ExtractCase("ipv6 ah",
                "66778899aabb00112233445586dd600000000020334000000000000000000000000000000001000000000000000000000000000000021100000000000001000000000000000000000000000000000007000800080000",
                "udp6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=::1,ipv6_dst=::2,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=0,tp_dst=0"),
    ExtractCase("ipv6 first fragment",
                "66778899aabb00112233445586dd6000000000102c4000000000000000000000000000000001000000000000000000000000000000021100000100000000000700080008ffcc",
                "udp6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=::1,ipv6_dst=::2,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=first,tp_src=7,tp_dst=8"),
    ExtractCase("ipv6 later fragment",
                "66778899aabb00112233445586dd6000000000102c4000000000000000000000000000000001000000000000000000000000000000021100004800000000000700080008ffcc",
                "ipv6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=::1,ipv6_dst=::2,ipv6_label=0x00000,nw_proto=44,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=later"),
    ExtractCase("ipv6 truncated ext",
                "66778899aabb00112233445586dd6000000000040040000000000000000000000000000000010000000000000000000000000000000211000000",
                "ipv6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=::1,ipv6_dst=::2,ipv6_label=0x00000,nw_proto=0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no"),
    ExtractCase("icmp6 echo",
                "66778899aabb00112233445586dd6000000000083a40000000000000000000000000000000010000000000000000000000000000000280007fba00000000",
                "icmp6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=::1,ipv6_dst=::2,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=128,icmp_code=0"),
    ExtractCase("nd ns sll",
                "66778899aabb00112233445586dd6000000000203afffe800000000000000000000000000001ff0200000000000000000001ff000002870015ff00000000fe8000000000000000000000000000020101001122334455",
                "icmp6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=fe80::1,ipv6_dst=ff02::1:ff00:2,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=255,nw_frag=no,icmp_type=135,icmp_code=0,nd_target=fe80::2,nd_sll=00:11:22:33:44:55,nd_tll=00:00:00:00:00:00"),
    ExtractCase("nd na tll",
                "66778899aabb00112233445586dd6000000000203afffe800000000000000000000000000002fe80000000000000000000000000000188003382e0000000fe8000000000000000000000000000020201aabbccddeeff",
                "icmp6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=fe80::2,ipv6_dst=fe80::1,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=255,nw_frag=no,icmp_type=136,icmp_code=0,nd_target=fe80::2,nd_sll=00:00:00:00:00:00,nd_tll=aa:bb:cc:dd:ee:ff"),
    ExtractCase("nd ns duplicate sll",
                "66778899aabb00112233445586dd6000000000283afffe800000000000000000000000000001ff0200000000000000000000000000018700ad4e00000000fe80000000000000000000000000000201010011223344550101001122334466",
                "icmp6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=fe80::1,ipv6_dst=ff02::1,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=255,nw_frag=no,icmp_type=135,icmp_code=0,nd_target=::,nd_sll=00:00:00:00:00:00,nd_tll=00:00:00:00:00:00"),
    ExtractCase("nd ns zero-length option",
                "66778899aabb00112233445586dd6000000000203afffe800000000000000000000000000001ff02000000000000000000000000000187007b9c00000000fe8000000000000000000000000000020100000000000000",
                "icmp6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=fe80::1,ipv6_dst=ff02::1,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=255,nw_frag=no,icmp_type=135,icmp_code=0,nd_target=fe80::2,nd_sll=00:00:00:00:00:00,nd_tll=00:00:00:00:00:00"),
    ExtractCase("nd truncated target",
                "66778899aabb00112233445586dd6000000000183afffe800000000000000000000000000001ff02000000000000000000000000000187007ca400000000fe80000000000000",
                "ipv6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=::,ipv6_dst=::,ipv6_label=0x00000,nw_proto=0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no"),
    ExtractCase("nsh md1",
                "66778899aabb001122334455894f0fc6010300000509000102030405060708090a0b0c0d0e0f",
                "in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,dl_type=0x894f,nsh_flags=0,nsh_ttl=63,nsh_mdtype=1,nsh_np=3,nsh_spi=0x5,nsh_si=9,nsh_c1=0x10203,nsh_c2=0x4050607,nsh_c3=0x8090a0b,nsh_c4=0xc0d0e0f,nw_proto=0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no"),
    ExtractCase("unknown ethertype",
                "66778899aabb00112233445588cc6c6c6470",
                "in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,dl_type=0x88cc"),
    ExtractCase("runt",
                "010203",
                "in_port=ANY,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,dl_type=0x0000"),
    ExtractCase("nd short target",
                "66778899aabb00112233445586dd6000000000103a40fe800000000000000000000000000001ff0200000000000000000000000000018700000040000001fe80000000000000",
                "icmp6,in_port=ANY,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,ipv6_src=fe80::1,ipv6_dst=ff02::1,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=135,icmp_code=0,nd_target=::,nd_sll=00:00:00:00:00:00,nd_tll=00:00:00:00:00:00"),
]

@Test(arguments: extractCases)
func extractsAndFormatsLikeOVS(_ c: ExtractCase) {
    #expect(extract(c.bytes).formatted() == c.expected)
}
