import Testing
@testable import Wire

/// A packet scapy built, what the views read from it, and the
/// `PacketBuilder` chain that must produce the same bytes.
struct FixtureCase: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var bytes: [UInt8]
    var dissection: [String]
    var builder: PacketBuilder
}

let inner1 = EthernetAddress(2, 0, 0, 0, 0, 1)
let inner2 = EthernetAddress(2, 0, 0, 0, 0, 2)

let fixtureCases: [FixtureCase] = [
    FixtureCase(
        testDescription: "TCP SYN with options", bytes: Fixtures.tcpSyn,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048",
            "ipv4 192.168.1.10>10.0.0.1 proto 6 ttl 64 tos 0 len 52 id 4660 df true mf false off 0 csum true opts 0",
            "tcp 40000>80 seq 1000 ack 0 flags 2 win 64240 hlen 32 opts [\"2:2\", \"1:0\", \"3:1\", \"4:0\"] csum true",
        ],
        builder: .ethernet(source: mac1, destination: mac2)
            .ipv4(source: ip("192.168.1.10"), destination: ip("10.0.0.1"), identification: 0x1234, dontFragment: true)
            .tcp(sourcePort: 40000, destinationPort: 80, sequenceNumber: 1000, flags: .syn, windowSize: 64240,
                 options: [2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 0, 0])),
    FixtureCase(
        testDescription: "802.1Q UDP", bytes: Fixtures.vlanUdp,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048",
            "vlan 33024 100 5 false",
            "ipv4 10.1.1.1>10.1.1.2 proto 17 ttl 64 tos 0 len 39 id 7 df false mf false off 0 csum true opts 0",
            "udp 5000>53 len 19 csum true",
        ],
        builder: .ethernet(source: mac1, destination: mac2).vlan(100, priority: 5)
            .ipv4(source: ip("10.1.1.1"), destination: ip("10.1.1.2"), identification: 7)
            .udp(sourcePort: 5000, destinationPort: 53).payload(Array("hello world".utf8))),
    FixtureCase(
        testDescription: "QinQ IPv6 UDP", bytes: Fixtures.qinqUdp6,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 34525",
            "vlan 34984 200 0 false",
            "vlan 33024 300 0 true",
            "ipv6 2001:db8::1>2001:db8::2 nh 17 hlim 64 tc 40 fl 74565 plen 11",
            "upper 17 at 40 frag false later false",
            "udp 1234>5678 len 11 csum true",
        ],
        builder: .ethernet(source: mac1, destination: mac2).vlan(200, tpid: .qinq).vlan(300, dropEligible: true)
            .ipv6(source: ip6("2001:db8::1"), destination: ip6("2001:db8::2"), trafficClass: 0x28, flowLabel: 0x12345)
            .udp(sourcePort: 1234, destinationPort: 5678).payload(Array("abc".utf8))),
    FixtureCase(
        testDescription: "ARP request", bytes: Fixtures.arpRequest,
        dissection: [
            "eth 00:11:22:33:44:55>ff:ff:ff:ff:ff:ff type 2054",
            "arp 1 00:11:22:33:44:55 10.0.0.1 00:00:00:00:00:00 10.0.0.2",
        ],
        builder: .ethernet(source: mac1, destination: .broadcast)
            .arp(senderHardwareAddress: mac1, senderProtocolAddress: ip("10.0.0.1"), targetProtocolAddress: ip("10.0.0.2"))),
    FixtureCase(
        testDescription: "neighbour solicitation", bytes: Fixtures.ndSolicit,
        dissection: [
            "eth 00:11:22:33:44:55>33:33:ff:00:00:02 type 34525",
            "ipv6 fe80::1>ff02::1:ff00:2 nh 58 hlim 255 tc 0 fl 0 plen 32",
            "upper 58 at 40 frag false later false",
            "icmpv6 135 0 csum true",
            "nd fe80::2 flags 0 opts [\"1:8:00:11:22:33:44:55\"]",
        ],
        builder: .ethernet(source: mac1, destination: EthernetAddress(0x33, 0x33, 0xff, 0, 0, 2))
            .ipv6(source: ip6("fe80::1"), destination: ip6("fe80::2").solicitedNodeMulticast, hopLimit: 255)
            .neighborSolicitation(target: ip6("fe80::2"), sourceLinkLayerAddress: mac1)),
    FixtureCase(
        testDescription: "neighbour advertisement", bytes: Fixtures.ndAdvert,
        dissection: [
            "eth 66:77:88:99:aa:bb>00:11:22:33:44:55 type 34525",
            "ipv6 fe80::2>fe80::1 nh 58 hlim 255 tc 0 fl 0 plen 32",
            "upper 58 at 40 frag false later false",
            "icmpv6 136 0 csum true",
            "nd fe80::2 flags 1610612736 opts [\"2:8:66:77:88:99:aa:bb\"]",
        ],
        builder: .ethernet(source: mac2, destination: mac1)
            .ipv6(source: ip6("fe80::2"), destination: ip6("fe80::1"), hopLimit: 255)
            .neighborAdvertisement(target: ip6("fe80::2"), targetLinkLayerAddress: mac2)),
    FixtureCase(
        testDescription: "ICMP echo", bytes: Fixtures.icmpEcho,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048",
            "ipv4 10.0.0.1>10.0.0.2 proto 1 ttl 64 tos 0 len 48 id 1 df false mf false off 0 csum true opts 0",
            "icmp 8 0 id 66 seq 7 csum true",
        ],
        builder: .ethernet(source: mac1, destination: mac2)
            .ipv4(source: ip("10.0.0.1"), destination: ip("10.0.0.2"), identification: 1)
            .icmpv4Echo(identifier: 0x42, sequenceNumber: 7).payload(Array("ping-data-0123456789".utf8))),
    FixtureCase(
        testDescription: "SCTP INIT", bytes: Fixtures.sctpInit,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048",
            "ipv4 10.0.0.1>10.0.0.2 proto 132 ttl 64 tos 0 len 52 id 1 df false mf false off 0 csum true opts 0",
            "sctp 5000>6000 tag 0 csum true chunks [\"1:20\"]",
        ],
        builder: .ethernet(source: mac1, destination: mac2)
            .ipv4(source: ip("10.0.0.1"), destination: ip("10.0.0.2"), identification: 1)
            .sctp(sourcePort: 5000, destinationPort: 6000)
            .payload([1, 0, 0, 0x14, 0x11, 0x22, 0x33, 0x44, 0, 0, 0xff, 0xff, 0, 0x0a, 0, 0x0a, 0, 0, 0, 1])),
    FixtureCase(
        testDescription: "VXLAN", bytes: Fixtures.vxlan,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048",
            "ipv4 172.16.0.1>172.16.0.2 proto 17 ttl 64 tos 0 len 78 id 1 df false mf false off 0 csum true opts 0",
            "udp 55555>4789 len 58 csum none",
            "vxlan 1193046 flags 8 std true",
            "inner eth 02:00:00:00:00:01>02:00:00:00:00:02 type 2048",
            "ipv4 10.0.0.1>10.0.0.2 proto 1 ttl 64 tos 0 len 28 id 1 df false mf false off 0 csum true opts 0",
            "icmp 8 0 id 1 seq 1 csum true",
        ],
        builder: .ethernet(source: mac1, destination: mac2)
            .ipv4(source: ip("172.16.0.1"), destination: ip("172.16.0.2"), identification: 1)
            .udp(sourcePort: 55555, computingChecksum: false).vxlan(vni: 0x123456)
            .ethernet(source: inner1, destination: inner2)
            .ipv4(source: ip("10.0.0.1"), destination: ip("10.0.0.2"), identification: 1)
            .icmpv4Echo()),
    FixtureCase(
        testDescription: "Geneve with an option", bytes: Fixtures.geneve,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048",
            "ipv4 172.16.0.1>172.16.0.2 proto 17 ttl 64 tos 0 len 86 id 1 df false mf false off 0 csum true opts 0",
            "udp 55555>6081 len 66 csum true",
            "geneve 11259375 proto 25944 oam false crit false opts [\"258:128:4:true\"]",
            "inner eth 02:00:00:00:00:01>02:00:00:00:00:02 type 2048",
            "ipv4 10.0.0.1>10.0.0.2 proto 17 ttl 64 tos 0 len 28 id 1 df false mf false off 0 csum true opts 0",
            "udp 1>2 len 8 csum true",
        ],
        // scapy leaves C clear although the option is critical.
        builder: .ethernet(source: mac1, destination: mac2)
            .ipv4(source: ip("172.16.0.1"), destination: ip("172.16.0.2"), identification: 1)
            .udp(sourcePort: 55555)
            .appending(.geneve(GeneveHeader(vni: 0xabcdef,
                                            options: [GeneveOption(optionClass: 0x0102, type: 0x80, data: [0, 0, 0, 5])],
                                            hasCriticalOptions: false)))
            .ethernet(source: inner1, destination: inner2)
            .ipv4(source: ip("10.0.0.1"), destination: ip("10.0.0.2"), identification: 1)
            .udp(sourcePort: 1, destinationPort: 2)),
    FixtureCase(
        testDescription: "GRE with checksum, key, sequence", bytes: Fixtures.greKeySeq,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048",
            "ipv4 172.16.0.1>172.16.0.2 proto 47 ttl 64 tos 0 len 64 id 1 df false mf false off 0 csum true opts 0",
            "gre proto 2048 key 3735928559 seq 5 csum true",
            "ipv4 10.0.0.1>10.0.0.2 proto 17 ttl 64 tos 0 len 28 id 1 df false mf false off 0 csum true opts 0",
            "udp 1>2 len 8 csum true",
        ],
        builder: .ethernet(source: mac1, destination: mac2)
            .ipv4(source: ip("172.16.0.1"), destination: ip("172.16.0.2"), identification: 1)
            .gre(checksum: true, key: 0xdead_beef, sequenceNumber: 5)
            .ipv4(source: ip("10.0.0.1"), destination: ip("10.0.0.2"), identification: 1)
            .udp(sourcePort: 1, destinationPort: 2)),
    FixtureCase(
        testDescription: "MPLS stack of two", bytes: Fixtures.mplsStack,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 34887",
            "mpls 100 3 false 64",
            "mpls 200 0 true 63",
            "ipv4 10.0.0.1>10.0.0.2 proto 17 ttl 64 tos 0 len 28 id 1 df false mf false off 0 csum true opts 0",
            "udp 1>2 len 8 csum true",
        ],
        builder: .ethernet(source: mac1, destination: mac2)
            .mpls(label: 100, trafficClass: 3, ttl: 64).mpls(label: 200, ttl: 63)
            .ipv4(source: ip("10.0.0.1"), destination: ip("10.0.0.2"), identification: 1)
            .udp(sourcePort: 1, destinationPort: 2)),
    FixtureCase(
        testDescription: "802.3 LLC/SNAP", bytes: Fixtures.llcSnap,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048 802.3",
            "ipv4 10.0.0.1>10.0.0.2 proto 17 ttl 64 tos 0 len 28 id 1 df false mf false off 0 csum true opts 0",
            "udp 1>2 len 8 csum true",
        ],
        builder: .ethernet(source: mac1, destination: mac2).llcSNAP()
            .ipv4(source: ip("10.0.0.1"), destination: ip("10.0.0.2"), identification: 1)
            .udp(sourcePort: 1, destinationPort: 2)),
    FixtureCase(
        testDescription: "IGMPv2 report", bytes: Fixtures.igmpv2Report,
        dissection: [
            "eth 00:11:22:33:44:55>01:00:5e:01:02:03 type 2048",
            "ipv4 10.0.0.1>224.1.2.3 proto 2 ttl 1 tos 192 len 32 id 1 df false mf false off 0 csum true opts 4",
            "igmp 22 224.1.2.3 mrt 0 csum true",
        ],
        builder: .ethernet(source: mac1, destination: EthernetAddress(1, 0, 0x5e, 1, 2, 3))
            .ipv4(source: ip("10.0.0.1"), destination: ip("224.1.2.3"), ttl: 1, typeOfService: 0xc0,
                  identification: 1, options: [0x94, 4, 0, 0])
            .igmp(type: .v2MembershipReport, group: ip("224.1.2.3"))),
    FixtureCase(
        testDescription: "IGMPv3 report", bytes: Fixtures.igmpv3Report,
        dissection: [
            "eth 00:11:22:33:44:55>01:00:5e:00:00:16 type 2048",
            "ipv4 10.0.0.1>224.0.0.22 proto 2 ttl 1 tos 192 len 56 id 1 df false mf false off 0 csum true opts 4",
            "igmp 34 0.0.0.2 mrt 0 csum true",
            "record 4 239.1.1.1 sources []",
            "record 1 239.2.2.2 sources [\"10.0.0.5\", \"10.0.0.6\"]",
        ],
        builder: .ethernet(source: mac1, destination: EthernetAddress(1, 0, 0x5e, 0, 0, 0x16))
            .ipv4(source: ip("10.0.0.1"), destination: ip("224.0.0.22"), ttl: 1, typeOfService: 0xc0,
                  identification: 1, options: [0x94, 4, 0, 0])
            .igmpv3Report(records: [
                IGMPv3GroupRecord(recordType: .changeToExclude, multicastAddress: ip("239.1.1.1")),
                IGMPv3GroupRecord(recordType: .modeIsInclude, multicastAddress: ip("239.2.2.2"),
                                  sources: [ip("10.0.0.5"), ip("10.0.0.6")]),
            ])),
    FixtureCase(
        testDescription: "IPv6 extension header chain", bytes: Fixtures.ipv6Ext,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 34525",
            "ipv6 2001:db8::1>2001:db8::2 nh 0 hlim 64 tc 0 fl 0 plen 68",
            "ext 0 len 8 nh 43",
            "ext 43 len 24 nh 44",
            "ext 44 len 8 nh 60",
            "ext 60 len 8 nh 6",
            "upper 6 at 88 frag true later false",
            "tcp 1>2 seq 1 ack 2 flags 16 win 100 hlen 20 opts [] csum true",
        ],
        builder: .ethernet(source: mac1, destination: mac2)
            .ipv6(source: ip6("2001:db8::1"), destination: ip6("2001:db8::2"))
            .ipv6HopByHop(options: [5, 2, 0, 0])
            .ipv6Routing(segmentsLeft: 1, data: [0, 0, 0, 0] + ip6("2001:db8::3").octets)
            .ipv6Fragment(moreFragments: true, identification: 0x1234)
            .ipv6DestinationOptions()
            .tcp(sourcePort: 1, destinationPort: 2, sequenceNumber: 1, acknowledgmentNumber: 2, flags: .ack,
                 windowSize: 100)),
    FixtureCase(
        testDescription: "IPv4 fragment with options", bytes: Fixtures.ipv4Options,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048",
            "ipv4 10.0.0.1>10.0.0.2 proto 0 ttl 64 tos 184 len 44 id 99 df false mf true off 10 csum true opts 12",
        ],
        builder: .ethernet(source: mac1, destination: mac2)
            .ipv4(source: ip("10.0.0.1"), destination: ip("10.0.0.2"), typeOfService: 0xb8, identification: 99,
                  moreFragments: true, fragmentOffset: 10,
                  options: [7, 11, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0], protocol: .hopByHop)
            .payload(Array("fragmentdata".utf8))),
    FixtureCase(
        testDescription: "ICMPv6 echo", bytes: Fixtures.icmpv6Echo,
        dissection: [
            "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 34525",
            "ipv6 2001:db8::1>2001:db8::2 nh 58 hlim 64 tc 0 fl 0 plen 11",
            "upper 58 at 40 frag false later false",
            "icmpv6 128 0 csum true",
        ],
        builder: .ethernet(source: mac1, destination: mac2)
            .ipv6(source: ip6("2001:db8::1"), destination: ip6("2001:db8::2"))
            .icmpv6Echo(identifier: 5, sequenceNumber: 6).payload(Array("xyz".utf8))),
]

@Suite struct FixtureTests {
    /// The views read what scapy wrote, and every checksum verifies.
    @Test(arguments: fixtureCases)
    func viewsReadFixture(_ c: FixtureCase) {
        #expect(dissect(c.bytes) == c.dissection)
    }

    /// `PacketBuilder` reproduces scapy's bytes exactly (lengths, next
    /// protocols and checksums included).
    @Test(arguments: fixtureCases)
    func builderMatchesFixture(_ c: FixtureCase) {
        let built = c.builder.build()
        #expect(hex(built) == hex(c.bytes))
    }

    /// Every header parses back and emits the same bytes it came from.
    @Test(arguments: fixtureCases)
    func headersReEmitIdentically(_ c: FixtureCase) throws {
        var frame = c.bytes
        for (layer, range) in try layerRanges(c.builder, frame) {
            let original = Array(frame[range])
            let reEmitted = try frame.withUnsafeMutableBytes { raw -> [UInt8] in
                let window = UnsafeRawBufferPointer(raw.window(range.lowerBound..<raw.count))
                return try reparse(layer, window).emitted()
            }
            #expect(hex(reEmitted) == hex(original), "\(layer)")
        }
    }
}

/// Each header layer of a builder with its byte range in the frame.
func layerRanges(_ builder: PacketBuilder, _ frame: [UInt8]) throws -> [(PacketBuilder.Layer, Range<Int>)] {
    var out: [(PacketBuilder.Layer, Range<Int>)] = []
    var offset = 0
    for layer in builder.layers {
        let length = PacketBuilder.length(of: layer)
        if case .payload = layer {} else { out.append((layer, offset..<offset + length)) }
        offset += length
    }
    return out
}

/// Parses the header kind `layer` names from `bytes`.
func reparse(_ layer: PacketBuilder.Layer, _ bytes: UnsafeRawBufferPointer) throws -> any WireHeader {
    switch layer {
    case .ethernet: try EthernetHeader(parsing: bytes)
    case .llcSNAP: try LLCSNAPHeader(parsing: bytes)
    case .vlan: try VLANHeader(parsing: bytes)
    case .mpls: try MPLSLabelStackEntry(parsing: bytes)
    case .arp: try ARPHeader(parsing: bytes)
    case .ipv4: try IPv4Header(parsing: bytes)
    case .ipv6: try IPv6Header(parsing: bytes)
    case .ipv6Options: try IPv6OptionsHeader(parsing: bytes)
    case .ipv6Routing: try IPv6RoutingHeader(parsing: bytes)
    case .ipv6Fragment: try IPv6FragmentHeader(parsing: bytes)
    case .tcp: try TCPHeader(parsing: bytes)
    case .udp: try UDPHeader(parsing: bytes)
    case .sctp: try SCTPHeader(parsing: bytes)
    case .icmpv4: try ICMPv4Header(parsing: bytes)
    case .icmpv6: try ICMPv6Header(parsing: bytes)
    case .neighborDiscovery: try NeighborDiscoveryMessage(parsing: bytes)
    case .igmp: try IGMPHeader(parsing: bytes)
    case .igmpv3Report: try IGMPv3Report(parsing: bytes)
    case .vxlan: try VXLANHeader(parsing: bytes)
    case .geneve: try GeneveHeader(parsing: bytes)
    case .gre: try GREHeader(parsing: bytes)
    case .payload: throw WireError.malformed
    }
}
