import Testing
@testable import Wire

@Suite struct BuilderTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var builder: PacketBuilder
        var dissection: [String]
    }

    @Test(arguments: [
        Case(testDescription: "IPv4 in IPv4",
             builder: .ipv4(source: ip("1.1.1.1"), destination: ip("2.2.2.2"))
                .ipv4(source: ip("3.3.3.3"), destination: ip("4.4.4.4")).icmpv4Echo(),
             dissection: []),
        Case(testDescription: "padding is outside every length",
             builder: .ethernet(source: mac1, destination: mac2).ipv4(source: ip("10.0.0.1"), destination: ip("10.0.0.2"))
                .tcp(sourcePort: 1, destinationPort: 2, flags: [.syn, .ack]),
             dissection: [
                "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048",
                "ipv4 10.0.0.1>10.0.0.2 proto 6 ttl 64 tos 0 len 40 id 0 df false mf false off 0 csum true opts 0",
                "tcp 1>2 seq 0 ack 0 flags 18 win 8192 hlen 20 opts [] csum true",
             ]),
        Case(testDescription: "IPv6 over GRE without checksum",
             builder: .ethernet(source: mac1, destination: mac2).ipv4(source: ip("10.0.0.1"), destination: ip("10.0.0.2"))
                .gre(key: 42).ipv6(source: ip6("::1"), destination: ip6("::2")).udp(sourcePort: 7, destinationPort: 8).payload(count: 3),
             dissection: [
                "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048",
                "ipv4 10.0.0.1>10.0.0.2 proto 47 ttl 64 tos 0 len 79 id 0 df false mf false off 0 csum true opts 0",
                "gre proto 34525 key 42 seq - csum true",
                "ipv6 ::1>::2 nh 17 hlim 64 tc 0 fl 0 plen 11",
                "upper 17 at 40 frag false later false",
                "udp 7>8 len 11 csum true",
             ]),
        Case(testDescription: "Ethernet over GRE with checksum",
             builder: .ethernet(source: mac1, destination: mac2).ipv4(source: ip("10.0.0.1"), destination: ip("10.0.0.2"))
                .gre(checksum: true).ethernet(source: inner1, destination: inner2)
                .arp(senderHardwareAddress: inner1, senderProtocolAddress: ip("1.1.1.1"), targetProtocolAddress: ip("1.1.1.2")),
             dissection: [
                "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 2048",
                "ipv4 10.0.0.1>10.0.0.2 proto 47 ttl 64 tos 0 len 70 id 0 df false mf false off 0 csum true opts 0",
                "gre proto 25944 key - seq - csum true",
                "inner eth 02:00:00:00:00:01>02:00:00:00:00:02 type 2054",
                "arp 1 02:00:00:00:00:01 1.1.1.1 00:00:00:00:00:00 1.1.1.2",
             ]),
        Case(testDescription: "Geneve over IPv6, inner QinQ",
             builder: .ethernet(source: mac1, destination: mac2).ipv6(source: ip6("fd00::1"), destination: ip6("fd00::2"))
                .udp(sourcePort: 1000).geneve(vni: 7, options: [GeneveOption(optionClass: 0x0104, type: 0x80, data: [1, 2, 3, 4])])
                .ethernet(source: inner1, destination: inner2).vlan(10, tpid: .qinq).vlan(20)
                .ipv4(source: ip("192.0.2.1"), destination: ip("192.0.2.2")).sctp(sourcePort: 9, destinationPort: 9),
             dissection: [
                "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 34525",
                "ipv6 fd00::1>fd00::2 nh 17 hlim 64 tc 0 fl 0 plen 78",
                "upper 17 at 40 frag false later false",
                "udp 1000>6081 len 78 csum true",
                "geneve 7 proto 25944 oam false crit true opts [\"260:128:4:true\"]",
                "inner eth 02:00:00:00:00:01>02:00:00:00:00:02 type 2048",
                "ipv4 192.0.2.1>192.0.2.2 proto 132 ttl 64 tos 0 len 32 id 0 df false mf false off 0 csum true opts 0",
                "sctp 9>9 tag 0 csum true chunks []",
             ]),
        Case(testDescription: "segment routing header: checksum uses Segment List[0]",
             builder: .ethernet(source: mac1, destination: mac2).ipv6(source: ip6("fd00::1"), destination: ip6("fd00::a"))
                .ipv6Routing(type: 4, segmentsLeft: 1, data: [1, 0, 0, 0] + ip6("fd00::b").octets + ip6("fd00::a").octets)
                .tcp(sourcePort: 5, destinationPort: 6),
             dissection: [
                "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 34525",
                "ipv6 fd00::1>fd00::a nh 43 hlim 64 tc 0 fl 0 plen 60",
                "ext 43 len 40 nh 6",
                "upper 6 at 80 frag false later false",
                "tcp 5>6 seq 0 ack 0 flags 0 win 8192 hlen 20 opts [] csum true",
             ]),
        Case(testDescription: "MPLS over VLAN, explicit EtherType kept",
             builder: .ethernet(source: mac1, destination: mac2).vlan(3).mpls(label: 16)
                .ipv6(source: ip6("::1"), destination: ip6("::2")).icmpv6(type: .packetTooBig, restOfHeader: 1280),
             dissection: [
                "eth 00:11:22:33:44:55>66:77:88:99:aa:bb type 34887",
                "vlan 33024 3 0 false",
                "mpls 16 0 true 64",
                "ipv6 ::1>::2 nh 58 hlim 64 tc 0 fl 0 plen 8",
                "upper 58 at 40 frag false later false",
                "icmpv6 2 0 csum true",
             ]),
    ])
    func builtFramesDissect(_ c: Case) {
        let frame = c.builder.build(minimumLength: 64)
        #expect(frame.count >= 64)
        if !c.dissection.isEmpty { #expect(dissect(frame) == c.dissection) }
    }

    /// RFC 8200 section 8.1 with a segment routing header: the TCP
    /// pseudo-header uses Segment List[0], not the IPv6 destination.
    @Test func segmentRoutingPseudoHeader() throws {
        var frame = PacketBuilder.ipv6(source: ip6("fd00::1"), destination: ip6("fd00::a"))
            .ipv6Routing(type: 4, segmentsLeft: 1, data: [1, 0, 0, 0] + ip6("fd00::b").octets + ip6("fd00::a").octets)
            .tcp(sourcePort: 5, destinationPort: 6).build()
        try withMutableBytes(&frame) { raw in
            let tcp = try TCPView(validating: raw.window(from: 80))
            let final = InternetChecksum.pseudoHeaderSum(source: ip6("fd00::1"), destination: ip6("fd00::b"), nextHeader: .tcp, length: 20)
            let header = InternetChecksum.pseudoHeaderSum(source: ip6("fd00::1"), destination: ip6("fd00::a"), nextHeader: .tcp, length: 20)
            #expect(tcp.isChecksumValid(pseudoHeaderSum: final))
            #expect(!tcp.isChecksumValid(pseudoHeaderSum: header))
        }
    }

    @Test func l3OnlyPacketNestsProtocols() throws {
        let packet = PacketBuilder.ipv4(source: ip("1.1.1.1"), destination: ip("2.2.2.2"))
            .ipv6(source: ip6("::1"), destination: ip6("::2")).udp(sourcePort: 1, destinationPort: 2).build()
        let outer = try IPv4Header(parsing: packet)
        #expect(outer.protocol == .ipv6 && Int(outer.totalLength) == packet.count)
        let inner = try IPv6Header(parsing: Array(packet[20...]))
        #expect(inner.nextHeader == .udp && inner.payloadLength == 8)
    }

    @Test func explicitFieldsAreKept() throws {
        let frame = PacketBuilder.ethernet(etherType: EtherType(rawValue: 0x88b5))
            .ipv4(source: .any, destination: .any, protocol: IPProtocol(rawValue: 253))
            .udp(sourcePort: 1, destinationPort: 4789).payload([1]).build(computingChecksums: false)
        let eth = try EthernetHeader(parsing: frame)
        #expect(eth.etherType.rawValue == 0x88b5)
        let ip = try IPv4Header(parsing: Array(frame[14...]))
        #expect(ip.protocol.rawValue == 253)
        #expect(frame[40] == 0 && frame[41] == 0)   // UDP checksum left alone
    }

    @Test func vlanTagsAndLayersAreListed() {
        let b = PacketBuilder.ethernet().vlan(1, tpid: .qinq).vlan(2).payload(count: 2)
        #expect(b.layers.count == 4)
        #expect(b.bytes.count == 14 + 4 + 4 + 2)
        #expect(Array(b.bytes[12..<22]) == [0x88, 0xa8, 0x00, 0x01, 0x81, 0x00, 0x00, 0x02, 0x00, 0x00])
    }

    @Test func ipv6SolicitedNodeAddress() {
        #expect(ip6("2001:db8::1:2345:6789").solicitedNodeMulticast == ip6("ff02::1:ff45:6789"))
        #expect(ip6("ff02::1").isMulticast && !ip6("fe80::1").isMulticast)
        #expect(ip("239.0.0.1").isMulticast && !ip("10.0.0.1").isMulticast)
    }
}
