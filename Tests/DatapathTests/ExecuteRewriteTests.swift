import Datapath
import Flow
import Testing
import Wire

/// One rewrite: a frame in, actions (an `output(1)` is appended), and the
/// frame expected out, built independently with `PacketBuilder` (which
/// computes every checksum from scratch).
struct RewriteCase: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var input: [UInt8]
    var actions: [DatapathAction]
    var expected: [UInt8]
    var packetType: UInt32 = 0
    var expectedPacketType: UInt32 = 0

    init(_ name: String, _ input: PacketBuilder, _ actions: [DatapathAction], _ expected: PacketBuilder,
         packetType: UInt32 = 0, expectedPacketType: UInt32? = nil) {
        testDescription = name
        self.input = input.build()
        self.actions = actions
        self.expected = expected.build()
        self.packetType = packetType
        self.expectedPacketType = expectedPacketType ?? packetType
    }

    init(_ name: String, bytes: [UInt8], _ actions: [DatapathAction], expected: [UInt8],
         packetType: UInt32 = 0, expectedPacketType: UInt32? = nil) {
        testDescription = name
        input = bytes
        self.actions = actions
        self.expected = expected
        self.packetType = packetType
        self.expectedPacketType = expectedPacketType ?? packetType
    }
}

let payload = Array("svs executor".utf8)

let setCases: [RewriteCase] = [
    RewriteCase("set eth",
                ethernet().ipv4(ip1, ip2).udp(sourcePort: 1, destinationPort: 2).payload(payload),
                [.set(.ethernet(EthernetKey(source: mac3, destination: mac4)))],
                ethernet(mac3, mac4).ipv4(ip1, ip2).udp(sourcePort: 1, destinationPort: 2).payload(payload)),
    RewriteCase("set_masked eth: low octet of source only",
                ethernet().ipv4(ip1, ip2).payload(payload),
                [.setMasked(.ethernet(Masked(EthernetKey(source: mac4, destination: mac3),
                                             mask: EthernetKey(source: EthernetAddress(rawValue: 0xff), destination: .zero))))],
                ethernet(EthernetAddress(0x02, 0, 0, 0, 0, 0x56), mac2).ipv4(ip1, ip2).payload(payload)),
    RewriteCase("set ipv4 (all fields) on TCP",
                ethernet().ipv4(ip1, ip2, tos: 0x10, ttl: 64).tcp(1000, 80).payload(payload),
                [.set(.ipv4(IPv4Key(source: ip3, destination: ip4, proto: .tcp, tos: 0xb9, ttl: 9)))],
                ethernet().ipv4(ip3, ip4, tos: 0xb9, ttl: 9).tcp(1000, 80).payload(payload)),
    RewriteCase("set_masked ipv4 ttl on UDP",
                ethernet().ipv4(ip1, ip2).udp(sourcePort: 53, destinationPort: 5353).payload(payload),
                [.setMasked(.ipv4(Masked(IPv4Key(ttl: 7), mask: IPv4Key(ttl: 0xff))))],
                ethernet().ipv4(ip1, ip2, ttl: 7).udp(sourcePort: 53, destinationPort: 5353).payload(payload)),
    RewriteCase("set_masked ipv4 dst on UDP without checksum: stays 0",
                ethernet().ipv4(ip1, ip2).udp(sourcePort: 7, destinationPort: 4789, computingChecksum: false).payload(payload),
                [.setMasked(.ipv4(Masked(IPv4Key(destination: ip3), mask: IPv4Key(destination: IPv4Address(rawValue: .max)))))],
                ethernet().ipv4(ip1, ip3).udp(sourcePort: 7, destinationPort: 4789, computingChecksum: false).payload(payload)),
    RewriteCase("set_masked ipv4 src /16 and DSCP on ICMP, ECN kept",
                ethernet().ipv4(ip1, ip2, tos: 0x01).icmpv4Echo().payload(payload),
                [.setMasked(.ipv4(Masked(IPv4Key(source: IPv4Address(192, 168, 99, 99), tos: 0x28),
                                         mask: IPv4Key(source: IPv4Address(255, 255, 0, 0), tos: 0xfc))))],
                ethernet().ipv4(IPv4Address(192, 168, 0, 1), ip2, tos: 0x29).icmpv4Echo().payload(payload)),
    RewriteCase("set ipv4 src on a later fragment: payload untouched",
                ethernet().ipv4(source: ip1, destination: ip2, fragmentOffset: 100, protocol: .udp).payload(count: 24),
                [.set(.ipv4(IPv4Key(source: ip3, destination: ip2, ttl: 64)))],
                ethernet().ipv4(source: ip3, destination: ip2, fragmentOffset: 100, protocol: .udp).payload(count: 24)),
    RewriteCase("set ipv4 src on a first fragment: TCP checksum follows",
                ethernet().ipv4(source: ip1, destination: ip2, moreFragments: true).tcp(1, 2).payload(payload),
                [.set(.ipv4(IPv4Key(source: ip3, destination: ip2, ttl: 64)))],
                ethernet().ipv4(source: ip3, destination: ip2, moreFragments: true).tcp(1, 2).payload(payload)),
    RewriteCase("set ipv4 with IP options on UDP",
                ethernet().ipv4(source: ip1, destination: ip2, options: [1, 1, 1, 0, 7, 3, 4, 0]).udp(sourcePort: 1, destinationPort: 2).payload(payload),
                [.set(.ipv4(IPv4Key(source: ip4, destination: ip3, tos: 4, ttl: 200)))],
                ethernet().ipv4(source: ip4, destination: ip3, ttl: 200, typeOfService: 4, options: [1, 1, 1, 0, 7, 3, 4, 0])
                    .udp(sourcePort: 1, destinationPort: 2).payload(payload)),
    RewriteCase("set ipv4 on a VLAN-tagged TCP packet",
                ethernet().vlan(10).ipv4(ip1, ip2).tcp(1, 2).payload(payload),
                [.set(.ipv4(IPv4Key(source: ip2, destination: ip1, tos: 0, ttl: 63)))],
                ethernet().vlan(10).ipv4(ip2, ip1, ttl: 63).tcp(1, 2).payload(payload)),
    RewriteCase("set ipv6 (all fields) on UDP",
                ethernet().ipv6(ip6a, ip6b).udp(sourcePort: 546, destinationPort: 547).payload(payload),
                [.set(.ipv6(IPv6Key(source: ip6c, destination: ip6d, label: 0xabcde, proto: .udp,
                                    trafficClass: 0x2e, hopLimit: 1)))],
                ethernet().ipv6(ip6c, ip6d, tc: 0x2e, label: 0xabcde, hop: 1)
                    .udp(sourcePort: 546, destinationPort: 547).payload(payload)),
    RewriteCase("set_masked ipv6 src on TCP",
                ethernet().ipv6(ip6a, ip6b).tcp(40000, 443).payload(payload),
                [.setMasked(.ipv6(Masked(IPv6Key(source: ip6c), mask: IPv6Key(source: IPv6Address(high: 0, low: .max)))))],
                ethernet().ipv6(IPv6Address("2001:db8::1234:5678:9abc:def0")!, ip6b).tcp(40000, 443).payload(payload)),
    RewriteCase("set_masked ipv6 dst on ICMPv6 echo",
                ethernet().ipv6(ip6a, ip6b).icmpv6Echo().payload(payload),
                [.setMasked(.ipv6(Masked(IPv6Key(destination: ip6c), mask: IPv6Key(destination: IPv6Address(high: .max, low: .max)))))],
                ethernet().ipv6(ip6a, ip6c).icmpv6Echo().payload(payload)),
    RewriteCase("set_masked ipv6 label and hop limit",
                ethernet().ipv6(ip6a, ip6b, tc: 3, label: 0x12345, hop: 64).udp(sourcePort: 1, destinationPort: 2),
                [.setMasked(.ipv6(Masked(IPv6Key(label: 0x000ff, hopLimit: 5), mask: IPv6Key(label: 0x000ff, hopLimit: 0xff))))],
                ethernet().ipv6(ip6a, ip6b, tc: 3, label: 0x123ff, hop: 5).udp(sourcePort: 1, destinationPort: 2)),
    RewriteCase("set ipv6 dst behind a routing header with segments left: TCP checksum kept",
                ethernet().ipv6(ip6a, ip6b).ipv6Routing(type: 0, segmentsLeft: 1, data: [0, 0, 0, 0] + ip6d.octets)
                    .tcp(5, 6).payload(payload),
                [.setMasked(.ipv6(Masked(IPv6Key(destination: ip6c), mask: IPv6Key(destination: IPv6Address(high: .max, low: .max)))))],
                ethernet().ipv6(ip6a, ip6c).ipv6Routing(type: 0, segmentsLeft: 1, data: [0, 0, 0, 0] + ip6d.octets)
                    .tcp(5, 6).payload(payload)),
    RewriteCase("set ipv6 src with a hop-by-hop header on TCP",
                ethernet().ipv6(ip6a, ip6b).ipv6HopByHop().tcp(5, 6).payload(payload),
                [.set(.ipv6(IPv6Key(source: ip6d, destination: ip6b, hopLimit: 64)))],
                ethernet().ipv6(ip6d, ip6b).ipv6HopByHop().tcp(5, 6).payload(payload)),
    RewriteCase("set tcp ports",
                ethernet().ipv4(ip1, ip2).tcp(1000, 80).payload(payload),
                [.set(.tcp(TransportPorts(source: 2000, destination: 8080)))],
                ethernet().ipv4(ip1, ip2).tcp(2000, 8080).payload(payload)),
    RewriteCase("set_masked tcp dst port over IPv6",
                ethernet().ipv6(ip6a, ip6b).tcp(1000, 80).payload(payload),
                [.setMasked(.tcp(Masked(TransportPorts(source: 1, destination: 0x1f90), mask: TransportPorts(destination: 0xffff))))],
                ethernet().ipv6(ip6a, ip6b).tcp(1000, 8080).payload(payload)),
    RewriteCase("set udp ports",
                ethernet().ipv4(ip1, ip2).udp(sourcePort: 68, destinationPort: 67).payload(payload),
                [.set(.udp(TransportPorts(source: 1, destination: 0xfffe)))],
                ethernet().ipv4(ip1, ip2).udp(sourcePort: 1, destinationPort: 0xfffe).payload(payload)),
    RewriteCase("set udp ports without checksum: stays 0",
                ethernet().ipv4(ip1, ip2).udp(sourcePort: 68, destinationPort: 67, computingChecksum: false).payload(payload),
                [.set(.udp(TransportPorts(source: 9, destination: 10)))],
                ethernet().ipv4(ip1, ip2).udp(sourcePort: 9, destinationPort: 10, computingChecksum: false).payload(payload)),
    RewriteCase("set_masked udp src over IPv6",
                ethernet().ipv6(ip6a, ip6b).udp(sourcePort: 0x1234, destinationPort: 53).payload(payload),
                [.setMasked(.udp(Masked(TransportPorts(source: 0xff00), mask: TransportPorts(source: 0xff00))))],
                ethernet().ipv6(ip6a, ip6b).udp(sourcePort: 0xff34, destinationPort: 53).payload(payload)),
    RewriteCase("set sctp ports (CRC-32c)",
                ethernet().ipv4(ip1, ip2).sctp(sourcePort: 5000, destinationPort: 6000, verificationTag: 0xdeadbeef).payload(payload),
                [.set(.sctp(TransportPorts(source: 36412, destination: 2905)))],
                ethernet().ipv4(ip1, ip2).sctp(sourcePort: 36412, destinationPort: 2905, verificationTag: 0xdeadbeef).payload(payload)),
    RewriteCase("set_masked sctp dst over IPv6",
                ethernet().ipv6(ip6a, ip6b).sctp(sourcePort: 5000, destinationPort: 6000).payload(payload),
                [.setMasked(.sctp(Masked(TransportPorts(destination: 7), mask: TransportPorts(destination: 0xffff))))],
                ethernet().ipv6(ip6a, ip6b).sctp(sourcePort: 5000, destinationPort: 7).payload(payload)),
    RewriteCase("set icmp type and code",
                ethernet().ipv4(ip1, ip2).icmpv4Echo(request: true, identifier: 7, sequenceNumber: 9).payload(payload),
                [.set(.icmp(ICMPKey(type: 0, code: 0)))],
                ethernet().ipv4(ip1, ip2).icmpv4Echo(request: false, identifier: 7, sequenceNumber: 9).payload(payload)),
    RewriteCase("set_masked icmp code",
                ethernet().ipv4(ip1, ip2).icmpv4(type: .destinationUnreachable, code: 1).payload(payload),
                [.setMasked(.icmp(Masked(ICMPKey(type: 99, code: 3), mask: ICMPKey(type: 0, code: 0xff))))],
                ethernet().ipv4(ip1, ip2).icmpv4(type: .destinationUnreachable, code: 3).payload(payload)),
    RewriteCase("set icmpv6 type",
                ethernet().ipv6(ip6a, ip6b).icmpv6Echo(request: true).payload(payload),
                [.set(.icmpv6(ICMPKey(type: 129, code: 0)))],
                ethernet().ipv6(ip6a, ip6b).icmpv6Echo(request: false).payload(payload)),
    RewriteCase("set arp",
                ethernet(mac1, .broadcast).arp(operation: .request, senderHardwareAddress: mac1, senderProtocolAddress: ip1,
                                               targetProtocolAddress: ip2),
                [.set(.arp(ARPKey(senderIP: ip2, targetIP: ip1, operation: 2, senderMAC: mac3, targetMAC: mac1)))],
                ethernet(mac1, .broadcast).arp(operation: .reply, senderHardwareAddress: mac3, senderProtocolAddress: ip2,
                                               targetHardwareAddress: mac1, targetProtocolAddress: ip1)),
    RewriteCase("set_masked arp tpa only",
                ethernet(mac1, .broadcast).arp(operation: .request, senderHardwareAddress: mac1, senderProtocolAddress: ip1,
                                               targetProtocolAddress: ip2),
                [.setMasked(.arp(Masked(ARPKey(targetIP: ip3, operation: 9), mask: ARPKey(targetIP: IPv4Address(rawValue: .max)))))],
                ethernet(mac1, .broadcast).arp(operation: .request, senderHardwareAddress: mac1, senderProtocolAddress: ip1,
                                               targetProtocolAddress: ip3)),
    RewriteCase("set nd target and sll on a solicitation",
                ethernet().ipv6(ip6a, ip6d, hop: 255).neighborSolicitation(target: ip6b, sourceLinkLayerAddress: mac1),
                [.set(.nd(NDKey(target: ip6c, sourceLinkLayer: mac3, targetLinkLayer: mac4)))],
                ethernet().ipv6(ip6a, ip6d, hop: 255).neighborSolicitation(target: ip6c, sourceLinkLayerAddress: mac3)),
    RewriteCase("set_masked nd tll on an advertisement",
                ethernet().ipv6(ip6b, ip6a, hop: 255).neighborAdvertisement(target: ip6b, targetLinkLayerAddress: mac2),
                [.setMasked(.nd(Masked(NDKey(targetLinkLayer: mac4), mask: NDKey(targetLinkLayer: .broadcast))))],
                ethernet().ipv6(ip6b, ip6a, hop: 255).neighborAdvertisement(target: ip6b, targetLinkLayerAddress: mac4)),
    RewriteCase("set mpls top entry",
                ethernet().mpls(label: 100, trafficClass: 1, ttl: 64).mpls(label: 7).ipv4(ip1, ip2).payload(payload),
                [.set(.mpls(MPLSLabelStackEntry(label: 200, trafficClass: 5, isBottomOfStack: false, ttl: 10)))],
                ethernet().mpls(label: 200, trafficClass: 5, ttl: 10).mpls(label: 7).ipv4(ip1, ip2).payload(payload)),
    RewriteCase("set_masked mpls ttl",
                ethernet().mpls(label: 100, trafficClass: 1, ttl: 64).ipv4(ip1, ip2).payload(payload),
                [.setMasked(.mpls(Masked(MPLSLabelStackEntry(label: 0, isBottomOfStack: false, ttl: 63),
                                         mask: MPLSLabelStackEntry(label: 0, isBottomOfStack: false, ttl: 0xff))))],
                ethernet().mpls(label: 100, trafficClass: 1, ttl: 63).ipv4(ip1, ip2).payload(payload)),
    RewriteCase("set eth then ipv4 then tcp in one list",
                ethernet().ipv4(ip1, ip2).tcp(1, 2).payload(payload),
                [.set(.ethernet(EthernetKey(source: mac2, destination: mac1))),
                 .setMasked(.ipv4(Masked(IPv4Key(destination: ip3, ttl: 63),
                                         mask: IPv4Key(destination: IPv4Address(rawValue: .max), ttl: 0xff)))),
                 .setMasked(.tcp(Masked(TransportPorts(destination: 8443), mask: TransportPorts(destination: 0xffff))))],
                ethernet(mac2, mac1).ipv4(ip1, ip3, ttl: 63).tcp(1, 8443).payload(payload)),
]

/// Sets on headers the packet lacks do nothing (as in OVS).
let absentCases: [RewriteCase] = [
    RewriteCase("set ipv4 on ARP", ethernet().arp(senderHardwareAddress: mac1, senderProtocolAddress: ip1, targetProtocolAddress: ip2),
                [.set(.ipv4(IPv4Key(source: ip3, destination: ip4, ttl: 1)))],
                ethernet().arp(senderHardwareAddress: mac1, senderProtocolAddress: ip1, targetProtocolAddress: ip2)),
    RewriteCase("set tcp on UDP", ethernet().ipv4(ip1, ip2).udp(sourcePort: 1, destinationPort: 2).payload(payload),
                [.set(.tcp(TransportPorts(source: 3, destination: 4)))],
                ethernet().ipv4(ip1, ip2).udp(sourcePort: 1, destinationPort: 2).payload(payload)),
    RewriteCase("set ipv6 on IPv4", ethernet().ipv4(ip1, ip2).tcp(1, 2),
                [.set(.ipv6(IPv6Key(source: ip6a, destination: ip6b)))], ethernet().ipv4(ip1, ip2).tcp(1, 2)),
    RewriteCase("set ipv4 on IPv6", ethernet().ipv6(ip6a, ip6b).tcp(1, 2),
                [.set(.ipv4(IPv4Key(source: ip1, destination: ip2)))], ethernet().ipv6(ip6a, ip6b).tcp(1, 2)),
    RewriteCase("set mpls on IPv4", ethernet().ipv4(ip1, ip2).payload(payload),
                [.set(.mpls(MPLSLabelStackEntry(label: 1)))], ethernet().ipv4(ip1, ip2).payload(payload)),
    RewriteCase("set nd on an echo request", ethernet().ipv6(ip6a, ip6b).icmpv6Echo(),
                [.set(.nd(NDKey(target: ip6c)))], ethernet().ipv6(ip6a, ip6b).icmpv6Echo()),
    RewriteCase("set arp on IPv4", ethernet().ipv4(ip1, ip2).payload(count: 28),
                [.set(.arp(ARPKey(senderIP: ip3, operation: 2)))], ethernet().ipv4(ip1, ip2).payload(count: 28)),
    RewriteCase("set icmp on ICMPv6", ethernet().ipv6(ip6a, ip6b).icmpv6Echo(),
                [.set(.icmp(ICMPKey(type: 0)))], ethernet().ipv6(ip6a, ip6b).icmpv6Echo()),
    RewriteCase("set icmpv6 on ICMP", ethernet().ipv4(ip1, ip2).icmpv4Echo(),
                [.set(.icmpv6(ICMPKey(type: 129)))], ethernet().ipv4(ip1, ip2).icmpv4Echo()),
    RewriteCase("set udp on a cut-short UDP header",
                ethernet().ipv4(source: ip1, destination: ip2, protocol: .udp).payload([0, 1, 0, 2, 0]),
                [.set(.udp(TransportPorts(source: 9, destination: 9)))],
                ethernet().ipv4(source: ip1, destination: ip2, protocol: .udp).payload([0, 1, 0, 2, 0])),
    RewriteCase("set eth on an L3 packet", bytes: PacketBuilder.ipv4(source: ip1, destination: ip2).udp(sourcePort: 1, destinationPort: 2).build(),
                [.set(.ethernet(EthernetKey(source: mac3, destination: mac4)))],
                expected: PacketBuilder.ipv4(source: ip1, destination: ip2).udp(sourcePort: 1, destinationPort: 2).build(),
                packetType: 0x1_0800),
    RewriteCase("push_vlan on an L3 packet", bytes: PacketBuilder.ipv4(source: ip1, destination: ip2).build(),
                [.pushVLAN(VLANPush(vlanID: 5))], expected: PacketBuilder.ipv4(source: ip1, destination: ip2).build(),
                packetType: 0x1_0800),
    RewriteCase("pop_vlan on an untagged frame", ethernet().ipv4(ip1, ip2).payload(payload), [.popVLAN],
                ethernet().ipv4(ip1, ip2).payload(payload)),
    RewriteCase("pop_mpls on IPv4", ethernet().ipv4(ip1, ip2).payload(payload), [.popMPLS(.ipv4)],
                ethernet().ipv4(ip1, ip2).payload(payload)),
    RewriteCase("push_mpls with a non-MPLS EtherType", ethernet().ipv4(ip1, ip2).payload(payload),
                [.pushMPLS(MPLSPush(entry: MPLSLabelStackEntry(label: 1), etherType: .ipv4))],
                ethernet().ipv4(ip1, ip2).payload(payload)),
    RewriteCase("push_eth on an Ethernet frame", ethernet().ipv4(ip1, ip2).payload(payload),
                [.pushEthernet(EthernetKey(source: mac3, destination: mac4))], ethernet().ipv4(ip1, ip2).payload(payload)),
]

let encapCases: [RewriteCase] = [
    RewriteCase("push_vlan 802.1Q (CFI cleared on the wire)", ethernet().ipv4(ip1, ip2).tcp(1, 2).payload(payload),
                [.pushVLAN(VLANPush(vlanID: 10, priority: 3))],
                ethernet().vlan(10, priority: 3).ipv4(ip1, ip2).tcp(1, 2).payload(payload)),
    RewriteCase("push_vlan 802.1ad on a tagged frame", ethernet().vlan(10).ipv4(ip1, ip2).payload(payload),
                [.pushVLAN(VLANPush(tagProtocol: .service, vlanID: 20))],
                ethernet().vlan(20, tpid: .qinq).vlan(10).ipv4(ip1, ip2).payload(payload)),
    RewriteCase("pop_vlan", ethernet().vlan(10, priority: 5).ipv4(ip1, ip2).tcp(1, 2).payload(payload), [.popVLAN],
                ethernet().ipv4(ip1, ip2).tcp(1, 2).payload(payload)),
    RewriteCase("pop_vlan of QinQ leaves the inner tag", ethernet().vlan(20, tpid: .qinq).vlan(10).ipv4(ip1, ip2),
                [.popVLAN], ethernet().vlan(10).ipv4(ip1, ip2)),
    RewriteCase("push_vlan then pop_vlan", ethernet().ipv6(ip6a, ip6b).udp(sourcePort: 1, destinationPort: 2),
                [.pushVLAN(VLANPush(vlanID: 4094)), .popVLAN], ethernet().ipv6(ip6a, ip6b).udp(sourcePort: 1, destinationPort: 2)),
    RewriteCase("push_mpls on IPv4", ethernet().ipv4(ip1, ip2).udp(sourcePort: 1, destinationPort: 2).payload(payload),
                [.pushMPLS(MPLSPush(entry: MPLSLabelStackEntry(label: 1000, trafficClass: 2, ttl: 63)))],
                ethernet().mpls(label: 1000, trafficClass: 2, ttl: 63).ipv4(ip1, ip2).udp(sourcePort: 1, destinationPort: 2).payload(payload)),
    RewriteCase("push_mpls (multicast) after a VLAN tag", ethernet().vlan(7).ipv4(ip1, ip2).payload(payload),
                [.pushMPLS(MPLSPush(entry: MPLSLabelStackEntry(label: 5), etherType: .mplsMulticast))],
                ethernet().vlan(7, etherType: .mplsMulticast).mpls(label: 5).ipv4(ip1, ip2).payload(payload)),
    RewriteCase("push_mpls on MPLS", ethernet().mpls(label: 1).ipv4(ip1, ip2).payload(payload),
                [.pushMPLS(MPLSPush(entry: MPLSLabelStackEntry(label: 2, isBottomOfStack: false, ttl: 64)))],
                ethernet().mpls(label: 2).mpls(label: 1).ipv4(ip1, ip2).payload(payload)),
    RewriteCase("pop_mpls to IPv4", ethernet().mpls(label: 1000).ipv4(ip1, ip2).tcp(1, 2).payload(payload),
                [.popMPLS(.ipv4)], ethernet().ipv4(ip1, ip2).tcp(1, 2).payload(payload)),
    RewriteCase("pop_mpls of two entries leaves one", ethernet().vlan(3).mpls(label: 2).mpls(label: 1).ipv4(ip1, ip2),
                [.popMPLS(.mpls)], ethernet().vlan(3).mpls(label: 1).ipv4(ip1, ip2)),
    RewriteCase("push_mpls then pop_mpls", ethernet().ipv6(ip6a, ip6b).tcp(1, 2),
                [.pushMPLS(MPLSPush(entry: MPLSLabelStackEntry(label: 9))), .popMPLS(.ipv6)], ethernet().ipv6(ip6a, ip6b).tcp(1, 2)),
    RewriteCase("add_mpls (L3 tunnel flag): after L2", ethernet().ipv4(ip1, ip2).payload(payload),
                [.addMPLS(MPLSAdd(entry: MPLSLabelStackEntry(label: 77), isL3Tunnel: true))],
                ethernet().mpls(label: 77).ipv4(ip1, ip2).payload(payload)),
    RewriteCase("add_mpls: in front of everything, packet becomes L3 MPLS",
                bytes: ethernet().ipv4(ip1, ip2).payload(payload).build(),
                [.addMPLS(MPLSAdd(entry: MPLSLabelStackEntry(label: 77, ttl: 5)))],
                expected: PacketBuilder().mpls(label: 77, ttl: 5).payload(ethernet().ipv4(ip1, ip2).payload(payload).build()).build(),
                expectedPacketType: 0x1_8847),
    RewriteCase("pop_mpls on an L3 MPLS packet with Ethernet inside",
                bytes: PacketBuilder().mpls(label: 77).payload(ethernet().ipv4(ip1, ip2).build()).build(),
                [.popMPLS(.transparentEthernet)], expected: ethernet().ipv4(ip1, ip2).build(),
                packetType: 0x1_8847, expectedPacketType: 0),
    RewriteCase("pop_eth", bytes: ethernet().vlan(5).ipv4(ip1, ip2).udp(sourcePort: 1, destinationPort: 2).build(),
                [.popEthernet], expected: PacketBuilder().ipv4(ip1, ip2).udp(sourcePort: 1, destinationPort: 2).build(),
                expectedPacketType: 0x1_0800),
    RewriteCase("push_eth", bytes: PacketBuilder.ipv6(source: ip6a, destination: ip6b).tcp(1, 2).build(),
                [.pushEthernet(EthernetKey(source: mac3, destination: mac4))],
                expected: ethernet(mac3, mac4).ipv6(ip6a, ip6b).tcp(1, 2).build(),
                packetType: 0x1_86dd, expectedPacketType: 0),
    RewriteCase("push_vlan then set ipv4 (layout follows the push)", ethernet().ipv4(ip1, ip2).tcp(1, 2),
                [.pushVLAN(VLANPush(vlanID: 1)), .set(.ipv4(IPv4Key(source: ip3, destination: ip2, ttl: 64)))],
                ethernet().vlan(1).ipv4(ip3, ip2).tcp(1, 2)),
]

@Suite struct ExecuteRewriteTests {
    @Test(arguments: setCases + absentCases + encapCases)
    func rewrites(_ c: RewriteCase) {
        let events = execute(c.actions + [.output(DatapathPort(1))], on: c.input,
                             metadata: PacketMetadata(packetType: c.packetType))
        #expect(events.count == 1)
        guard let out = events.first else { return }
        #expect(out.kind == .output(DatapathPort(1)))
        #expect(out.bytes == c.expected, "got \(hex(out.bytes))\nwant \(hex(c.expected))")
        #expect(out.metadata.packetType == c.expectedPacketType)
        #expect(checksumProblem(c.expected, packetType: c.expectedPacketType) == nil)
        #expect(checksumProblem(out.bytes, packetType: out.metadata.packetType) == nil)
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
