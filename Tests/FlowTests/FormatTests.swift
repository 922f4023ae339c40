import Testing
import Flow
import Wire

/// Masked matches and the text `ovs-ofctl parse-flow` (3.1.0) prints for the
/// same match, so `Match.formatted()` can serve `dump-flows`.
struct FormatCase: Sendable, CustomTestStringConvertible {
    var testDescription: String { expected }
    var match: Match
    var priority = Match.defaultPriority
    var expected: String
}

private func ip(_ s: String) -> UInt64 { UInt64(IPv4Address(Substring(s))!.rawValue) }

private func match(_ fields: [(FlowField, UInt64, UInt64)]) -> Match {
    var m = Match.catchAll
    for (f, v, mask) in fields { m.set(f, to: v, mask: mask) }
    return m
}

private func ipv6Match(ethType: UInt64, proto: UInt64?, _ body: (inout FlowKey, inout FlowMask) -> Void) -> Match {
    var m = match([(.ethType, ethType, 0xffff)])
    if let proto { m.set(.networkProtocol, to: proto) }
    m.update(body)
    return m
}

let formatCases: [FormatCase] = [
    FormatCase(match: match([(.ethType, 0x0800, 0xffff), (.networkProtocol, 6, 0xff),
                             (.ipv4Source, ip("10.1.2.3"), 0xff00_0000),
                             (.ipv4Destination, ip("1.2.3.4"), 0xff00_ff00),
                             (.transportDestination, 0x50, 0xfff0), (.tcpFlags, 0x002, 0x012)]),
               expected: "tcp,nw_src=10.0.0.0/8,nw_dst=1.0.3.0/255.0.255.0,tp_dst=0x50/0xfff0,tcp_flags=+syn-ack"),
    FormatCase(match: ipv6Match(ethType: 0x86dd, proto: nil) { k, m in
                   k.ipv6Source = IPv6Address("2001:db8::")!
                   m.ipv6Source = IPv6Address("ffff:ffff::")!
                   k.ipv6Destination = IPv6Address("::1")!
                   m.ipv6Destination = IPv6Address("::ff")!
                   k.ipv6Label = 0x12
                   m.ipv6Label = 0xff
               },
               expected: "ipv6,ipv6_src=2001:db8::/32,ipv6_dst=::1/::ff,ipv6_label=0x00012/0x000ff"),
    FormatCase(match: match([(.inPort, 0xfffe, 0xffff_ffff), (.vlan0TCI, 0x1005, 0x1fff),
                             (.ethSource, 0x0100_0000_0000, 0x0100_0000_0000)]),
               expected: "in_port=LOCAL,dl_vlan=5,dl_src=01:00:00:00:00:00/01:00:00:00:00:00"),
    FormatCase(match: match([(.vlan0TCI, 0x1000, 0x1000), (.ethType, 0x1234, 0xffff)]),
               expected: "vlan_tci=0x1000/0x1000,dl_type=0x1234"),
    FormatCase(match: match([(.packetMark, 5, 0xf), (.ctState, 0x20, 0x21), (.ctZone, 5, 0xffff),
                             (.ctMark, 1, 3), (.ctLabelLow, 0x100, 0xff00), (.ethType, 0x0800, 0xffff),
                             (.register(3), 7, 0xffff_ffff), (.metadata, 0x10, 0xff)]),
               expected: "pkt_mark=0x5/0xf,ct_state=-new+trk,ct_zone=5,ct_mark=0x1/0x3,ct_label=0x100/0xff00,ip,reg3=0x7,metadata=0x10/0xff"),
    FormatCase(match: match([(.tunnelID, 5, .max), (.tunnelIPv4Source, ip("1.1.1.1"), 0xffff_ffff),
                             (.tunnelIPv4Destination, ip("2.2.2.0"), 0xffff_ff00), (.tunnelFlags, 1, 1),
                             (.ethType, 0x0800, 0xffff), (.networkProtocol, 17, 0xff),
                             (.transportSource, 5, 0xffff)]),
               expected: "udp,tun_id=0x5,tun_src=1.1.1.1,tun_dst=2.2.2.0/24,tun_flags=+oam,tp_src=5"),
    FormatCase(match: match([(.ethType, 0x8847, 0xffff), (.mplsLSE0, 5 << 12 | 3 << 9, 0xffff_fe00)]),
               expected: "mpls,mpls_label=5,mpls_tc=3"),
    FormatCase(match: match([(.ethType, 0x0806, 0xffff), (.networkProtocol, 2, 0xff),
                             (.arpSHA, 0x0011_2233_4455, 0xffff_ffff_ffff)]),
               expected: "arp,arp_op=2,arp_sha=00:11:22:33:44:55"),
    FormatCase(match: ipv6Match(ethType: 0x86dd, proto: 58) { k, m in
                   k.transportSource = 135; m.transportSource = 0xffff
                   k.ndTarget = IPv6Address("fe80::1")!; m.ndTarget = IPv6Address(high: .max, low: .max)
                   k.arpSHA = EthernetAddress(0, 0x11, 0x22, 0x33, 0x44, 0x55); m.arpSHA = .broadcast
                   k.igmpGroup = IPv4Address(rawValue: 5); m.igmpGroup = IPv4Address(rawValue: .max)
                   k.tcpFlags = 1; m.tcpFlags = 0xffff
               },
               expected: "icmp6,icmp_type=135,nd_target=fe80::1,nd_sll=00:11:22:33:44:55,nd_reserved=5,nd_options_type=1"),
    FormatCase(match: match([(.ethType, 0x0800, 0xffff), (.networkTOS, 18, 0xff), (.networkFragment, 3, 3)]),
               expected: "ip,nw_tos=16,nw_ecn=2,nw_frag=later"),
    FormatCase(match: match([(.ethType, 0x0800, 0xffff), (.networkFragment, 0, 2)]),
               expected: "ip,nw_frag=not_later"),
    FormatCase(match: match([(.ethType, 0x0800, 0xffff), (.networkFragment, 1, 1)]),
               expected: "ip,nw_frag=yes"),
    FormatCase(match: match([(.vlan0TCI, 0x7000, 0xf000)]), priority: 5,
               expected: "priority=5,dl_vlan_pcp=3"),
    FormatCase(match: match([(.vlan0TCI, 0x0005, 0x0fff)]),
               expected: "vlan_tci=0x0005/0x0fff"),
    FormatCase(match: .catchAll, expected: ""),
]

@Test(arguments: formatCases)
func formatsMaskedMatchesLikeOVS(_ c: FormatCase) {
    #expect(c.match.formatted(priority: c.priority) == c.expected)
}

@Test func portNamesAreUsedForOrdinaryPorts() {
    var m = Match.catchAll
    m.set(.inPort, to: 3)
    #expect(m.formatted() == "in_port=3")
    #expect(m.formatted(portNames: { $0.rawValue == 3 ? "eth0" : nil }) == "in_port=eth0")
}

@Test func flowFormatShowsNonzeroMetadata() {
    var key = extract(extractCases[0].bytes, inPort: 7)
    key.packetMark = 0x42
    key.ctState = FlowKey.ConntrackState.tracked | FlowKey.ConntrackState.established
    key.setRegister(0, 9)
    let text = key.formatted()
    #expect(text.hasPrefix("pkt_mark=0x42,ct_state=est|trk,tcp,reg0=0x9,in_port=7,"))
}
