import Testing
@testable import Wire

/// One header value for the `parse(emit(h)) == h` round trip.
struct HeaderCase: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var header: any WireHeader
    init(_ name: String, _ header: any WireHeader) {
        testDescription = name
        self.header = header
    }
}

let headerCases: [HeaderCase] = [
    HeaderCase("Ethernet", EthernetHeader(destination: mac2, source: mac1, etherType: .ipv4)),
    HeaderCase("Ethernet 802.3 length", EthernetHeader(destination: .broadcast, source: mac1, etherType: EtherType(rawValue: 46))),
    HeaderCase("LLC/SNAP", LLCSNAPHeader(etherType: .ipv6)),
    HeaderCase("LLC/SNAP other OUI", LLCSNAPHeader(dsap: 0xaa, ssap: 0xaa, control: 3, organization: 0x00000c, etherType: EtherType(rawValue: 0x2000))),
    HeaderCase("VLAN", VLANHeader(vlanID: 4095, priority: 7, dropEligible: true, etherType: .ipv4)),
    HeaderCase("VLAN zero", VLANHeader(vlanID: 0, etherType: .vlan)),
    HeaderCase("MPLS", MPLSLabelStackEntry(label: 0xfffff, trafficClass: 7, isBottomOfStack: true, ttl: 255)),
    HeaderCase("MPLS not bottom", MPLSLabelStackEntry(label: 3, trafficClass: 0, isBottomOfStack: false, ttl: 1)),
    HeaderCase("ARP request", ARPHeader(operation: .request, senderHardwareAddress: mac1, senderProtocolAddress: ip("10.0.0.1"), targetProtocolAddress: ip("10.0.0.2"))),
    HeaderCase("RARP reply", ARPHeader(operation: .reverseReply, senderHardwareAddress: mac1, senderProtocolAddress: ip("1.2.3.4"), targetHardwareAddress: mac2, targetProtocolAddress: ip("5.6.7.8"))),
    HeaderCase("IPv4", IPv4Header(source: ip("10.0.0.1"), destination: ip("10.0.0.2"), protocol: .tcp, totalLength: 20)),
    HeaderCase("IPv4 every field", IPv4Header(source: ip("192.168.0.1"), destination: ip("224.0.0.1"), protocol: .udp, totalLength: 1500, ttl: 1, typeOfService: 0xff, identification: 0xbeef, dontFragment: true, moreFragments: true, fragmentOffset: 0x1fff, options: [])),
    HeaderCase("IPv4 40 bytes of options", IPv4Header(source: ip("1.1.1.1"), destination: ip("2.2.2.2"), protocol: .icmp, totalLength: 60, options: (0..<40).map { UInt8($0 + 1) })),
    HeaderCase("IPv6", IPv6Header(source: ip6("2001:db8::1"), destination: ip6("ff02::1"), nextHeader: .icmpv6, payloadLength: 0)),
    HeaderCase("IPv6 class and label", IPv6Header(source: ip6("::1"), destination: ip6("fe80::abcd"), nextHeader: .tcp, payloadLength: 0, hopLimit: 1, trafficClass: 0xff, flowLabel: 0xfffff)),
    HeaderCase("hop-by-hop", IPv6OptionsHeader(nextHeader: .tcp, paddingOptions: [5, 2, 0, 0])),
    HeaderCase("destination options, long", IPv6OptionsHeader(nextHeader: .udp, paddingOptions: [0x1e, 20] + [UInt8](repeating: 9, count: 20))),
    HeaderCase("routing", IPv6RoutingHeader(nextHeader: .tcp, routingType: 0, segmentsLeft: 1, data: [0, 0, 0, 0] + ip6("2001:db8::3").octets)),
    HeaderCase("fragment", IPv6FragmentHeader(nextHeader: .udp, fragmentOffset: 0x1fff, moreFragments: true, identification: 0xffff_ffff)),
    HeaderCase("TCP", TCPHeader(sourcePort: 1, destinationPort: 2)),
    HeaderCase("TCP every flag and options", TCPHeader(sourcePort: 65535, destinationPort: 443, sequenceNumber: 0xffff_ffff, acknowledgmentNumber: 0x8000_0001, flags: TCPFlags(rawValue: 0x1ff), windowSize: 0, checksum: 0xabcd, urgentPointer: 7, options: [2, 4, 5, 0xb4, 1, 1, 1, 0])),
    HeaderCase("TCP 40 bytes of options", TCPHeader(sourcePort: 9, destinationPort: 9, flags: [.syn, .ack], options: [UInt8](repeating: 1, count: 40))),
    HeaderCase("UDP", UDPHeader(sourcePort: 53, destinationPort: 1024, length: 8, checksum: 0xffff)),
    HeaderCase("SCTP", SCTPHeader(sourcePort: 1, destinationPort: 2, verificationTag: 0xdeadbeef, checksum: 0x01020304)),
    HeaderCase("ICMPv4", ICMPv4Header(type: .destinationUnreachable, code: 4, checksum: 0x1234, restOfHeader: 1500)),
    HeaderCase("ICMPv4 echo", ICMPv4Header.echo(identifier: 7, sequenceNumber: 9)),
    HeaderCase("ICMPv6", ICMPv6Header(type: .packetTooBig, code: 0, checksum: 1, restOfHeader: 1280)),
    HeaderCase("NS", NeighborDiscoveryMessage.solicitation(target: ip6("fe80::2"), source: mac1)),
    HeaderCase("NA with options", NeighborDiscoveryMessage(type: .neighborAdvertisement, target: ip6("2001:db8::9"), flags: [.router, .solicited, .override], options: [.targetLinkLayerAddress(mac2), .sourceLinkLayerAddress(mac1), .other(type: .mtu, data: [0, 0, 0, 0, 5, 0xdc])], checksum: 0x4321)),
    HeaderCase("NA bare", NeighborDiscoveryMessage.advertisement(target: ip6("::"), address: nil, flags: [])),
    HeaderCase("IGMPv2", IGMPHeader(type: .v2MembershipReport, groupAddress: ip("239.1.2.3"), maxResponseTime: 100, checksum: 0x55aa)),
    HeaderCase("IGMPv3 report", IGMPv3Report(records: [
        IGMPv3GroupRecord(recordType: .allowNewSources, multicastAddress: ip("232.1.1.1"), sources: [ip("1.1.1.1")], auxiliaryData: [1, 2, 3, 4]),
        IGMPv3GroupRecord(recordType: .blockOldSources, multicastAddress: ip("232.2.2.2")),
    ], checksum: 0x1111)),
    HeaderCase("IGMPv3 report, no records", IGMPv3Report(records: [])),
    HeaderCase("VXLAN", VXLANHeader(vni: 0xffffff)),
    HeaderCase("VXLAN-GBP", VXLANHeader(vni: 1, flags: 0x88, groupPolicyID: 0xabcd)),
    HeaderCase("Geneve", GeneveHeader(vni: 5)),
    HeaderCase("Geneve options", GeneveHeader(vni: 0x123456, protocolType: .ipv4, options: [
        GeneveOption(optionClass: 0xffff, type: 0x01, data: [1, 2, 3, 4, 5, 6, 7, 8]),
        GeneveOption(optionClass: 0x0102, type: 0x80, data: []),
        GeneveOption(optionClass: 0, type: 0x7f, data: [UInt8](repeating: 0xee, count: 124)),
    ], isOAM: true)),
    HeaderCase("GRE", GREHeader(protocolType: .ipv4)),
    HeaderCase("GRE checksum", GREHeader(protocolType: .ipv6, checksum: 0xffff)),
    HeaderCase("GRE key", GREHeader(protocolType: .transparentEthernet, key: 1)),
    HeaderCase("GRE sequence", GREHeader(protocolType: .ipv4, sequenceNumber: 2)),
    HeaderCase("GRE checksum key", GREHeader(protocolType: .ipv4, checksum: 3, key: 4)),
    HeaderCase("GRE checksum sequence", GREHeader(protocolType: .ipv4, checksum: 5, sequenceNumber: 6)),
    HeaderCase("GRE key sequence", GREHeader(protocolType: .ipv4, key: 7, sequenceNumber: 8)),
    HeaderCase("GRE all", GREHeader(protocolType: .mpls, checksum: 9, key: 10, sequenceNumber: 11)),
]

/// Emits `h` into a buffer filled with `fill`, `extra` bytes longer than needed.
func emitted(_ h: some WireHeader, fill: UInt8, extra: Int = 16) throws -> [UInt8] {
    var buffer = [UInt8](repeating: fill, count: h.headerLength + extra)
    let result = buffer.withUnsafeMutableBytes { raw in Result { () throws(WireError) in try h.emit(into: raw) } }
    try result.get()
    return buffer
}

func roundTrip<H: WireHeader>(_ h: H) throws {
    let a5 = try emitted(h, fill: 0xa5)
    let n = h.headerLength
    // Nothing past the header is written...
    #expect(a5[n...].allSatisfy { $0 == 0xa5 }, "wrote past headerLength")
    // ...and every byte of it is (the fill does not show through).
    let fives = try emitted(h, fill: 0x5a)
    #expect(Array(a5[..<n]) == Array(fives[..<n]), "left bytes unwritten")
    // Parsing the exact header gives back the value (IPv4 also wants the
    // bytes its total length promises).
    let promised = (h as? IPv4Header).map { Int($0.totalLength) } ?? n
    let parsed = try H(parsing: Array(a5[..<n]) + [UInt8](repeating: 0, count: Swift.max(0, promised - n)))
    #expect(parsed == h)
    // One byte short cannot hold it.
    if n > 0 {
        var short = [UInt8](repeating: 0, count: n - 1)
        let r = short.withUnsafeMutableBytes { raw in Result { () throws(WireError) in try h.emit(into: raw) } }
        #expect(r.error == .truncated)
    }
}

@Suite struct RoundTripTests {
    @Test(arguments: headerCases)
    func parseEmitRoundTrip(_ c: HeaderCase) throws {
        try roundTrip(c.header)
    }

    /// Random field values round-trip too.
    @Test func randomHeadersRoundTrip() throws {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<300 {
            let options = (0..<(4 * Int.random(in: 0...10, using: &rng))).map { _ in UInt8.random(in: 0...255, using: &rng) }
            try roundTrip(IPv4Header(
                source: IPv4Address(rawValue: rng.next32()), destination: IPv4Address(rawValue: rng.next32()),
                protocol: IPProtocol(rawValue: UInt8(truncatingIfNeeded: rng.next())),
                totalLength: UInt16(20 + options.count) + UInt16.random(in: 0...1000, using: &rng),
                ttl: UInt8(truncatingIfNeeded: rng.next()), typeOfService: UInt8(truncatingIfNeeded: rng.next()),
                identification: UInt16(truncatingIfNeeded: rng.next()), dontFragment: Bool.random(using: &rng),
                moreFragments: Bool.random(using: &rng), fragmentOffset: UInt16(truncatingIfNeeded: rng.next()) & 0x1fff,
                options: options))
            try roundTrip(TCPHeader(
                sourcePort: UInt16(truncatingIfNeeded: rng.next()), destinationPort: UInt16(truncatingIfNeeded: rng.next()),
                sequenceNumber: rng.next32(), acknowledgmentNumber: rng.next32(),
                flags: TCPFlags(rawValue: UInt16(truncatingIfNeeded: rng.next()) & 0x1ff),
                windowSize: UInt16(truncatingIfNeeded: rng.next()), checksum: UInt16(truncatingIfNeeded: rng.next()),
                urgentPointer: UInt16(truncatingIfNeeded: rng.next()), options: options))
            try roundTrip(IPv6Header(
                source: IPv6Address(high: rng.next(), low: rng.next()), destination: IPv6Address(high: rng.next(), low: rng.next()),
                nextHeader: IPProtocol(rawValue: UInt8(truncatingIfNeeded: rng.next())), payloadLength: 0,
                hopLimit: UInt8(truncatingIfNeeded: rng.next()), trafficClass: UInt8(truncatingIfNeeded: rng.next()),
                flowLabel: rng.next32() & 0xfffff))
            try roundTrip(MPLSLabelStackEntry(rawValue: rng.next32()))
            try roundTrip(VLANHeader(vlanID: UInt16(truncatingIfNeeded: rng.next()) & 0xfff,
                                     priority: UInt8(truncatingIfNeeded: rng.next()) & 7,
                                     dropEligible: Bool.random(using: &rng),
                                     etherType: EtherType(rawValue: UInt16(truncatingIfNeeded: rng.next()))))
            try roundTrip(GeneveHeader(vni: rng.next32() & 0xffffff, options: [
                GeneveOption(optionClass: UInt16(truncatingIfNeeded: rng.next()), type: UInt8(truncatingIfNeeded: rng.next()),
                             data: Array(options.prefix(options.count & ~3))),
            ]))
        }
    }

    @Test func mplsRawValueRoundTrip() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<1000 {
            let raw = rng.next32()
            #expect(MPLSLabelStackEntry(rawValue: raw).rawValue == raw)
        }
    }

    /// Values that cannot be represented are refused with `.malformed`.
    @Test(arguments: [
        HeaderCase("IPv4 options not a multiple of 4", IPv4Header(source: .any, destination: .any, protocol: .tcp, totalLength: 23, options: [1, 1, 1])),
        HeaderCase("IPv4 44 bytes of options", IPv4Header(source: .any, destination: .any, protocol: .tcp, totalLength: 64, options: [UInt8](repeating: 1, count: 44))),
        HeaderCase("IPv4 total length under header", IPv4Header(source: .any, destination: .any, protocol: .tcp, totalLength: 19)),
        HeaderCase("TCP options not a multiple of 4", TCPHeader(sourcePort: 1, destinationPort: 2, options: [1])),
        HeaderCase("UDP length under 8", UDPHeader(sourcePort: 1, destinationPort: 2, length: 7)),
        HeaderCase("hop-by-hop not a multiple of 8", IPv6OptionsHeader(nextHeader: .tcp, options: [1, 1, 0])),
        HeaderCase("routing not a multiple of 8", IPv6RoutingHeader(nextHeader: .tcp, routingType: 0, segmentsLeft: 0, data: [0])),
        HeaderCase("ND other option of 7 bytes", NeighborDiscoveryMessage(type: .neighborSolicitation, target: .any, options: [.other(type: .mtu, data: [1, 2, 3, 4, 5])])),
        HeaderCase("ND with an echo type", NeighborDiscoveryMessage(type: .echoRequest, target: .any)),
        HeaderCase("Geneve option data of 3", GeneveHeader(vni: 1, options: [GeneveOption(optionClass: 1, type: 1, data: [1, 2, 3])])),
        HeaderCase("Geneve option data of 128", GeneveHeader(vni: 1, options: [GeneveOption(optionClass: 1, type: 1, data: [UInt8](repeating: 0, count: 128))])),
        HeaderCase("IGMPv3 aux data of 2", IGMPv3Report(records: [IGMPv3GroupRecord(recordType: .modeIsInclude, multicastAddress: .any, auxiliaryData: [1, 2])])),
    ])
    func unrepresentableValuesAreRefused(_ c: HeaderCase) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let r = buffer.withUnsafeMutableBytes { raw in Result { () throws(WireError) in try c.header.emit(into: raw) } }
        #expect(r.error == .malformed)
    }
}
