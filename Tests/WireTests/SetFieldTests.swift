import Testing
@testable import Wire

/// Views as the datapath's set-field actions use them: setters touch only
/// their bits, and incremental checksum updates keep packets valid.
@Suite struct SetFieldTests {
    @Test func vlanSettersKeepNeighbouringBits() throws {
        var bytes: [UInt8] = [0xff, 0xff, 0x08, 0x00]
        try withMutableBytes(&bytes) { raw in
            let v = try VLANView(validating: raw)
            v.vlanID = 0x123
            #expect(v.tci == 0xf123 && v.priority == 7 && v.dropEligible)
            v.priority = 2
            #expect(v.tci == 0x5123)
            v.dropEligible = false
            #expect(v.tci == 0x4123 && v.etherType == .ipv4)
        }
    }

    @Test func mplsSettersKeepNeighbouringBits() throws {
        var bytes: [UInt8] = [0, 0, 0, 0]
        try withMutableBytes(&bytes) { raw in
            let v = try MPLSView(validating: raw)
            v.label = 0xfffff; v.trafficClass = 5; v.isBottomOfStack = true; v.ttl = 9
            #expect(v.rawValue == 0xffff_fb09)
            v.label = 1
            #expect(MPLSLabelStackEntry(v) == MPLSLabelStackEntry(label: 1, trafficClass: 5, isBottomOfStack: true, ttl: 9))
            v.trafficClass = 0; v.isBottomOfStack = false
            #expect(v.rawValue == 0x0000_1009)
        }
    }

    @Test func ipv4SettersKeepHeaderChecksumValid() throws {
        var rng = SplitMix64(seed: 8)
        for c in fixtureCases where c.bytes.count > 34 && c.bytes[12] == 0x08 && c.bytes[13] == 0x00 {
            var bytes = c.bytes
            try withMutableBytes(&bytes) { raw in
                let v = try IPv4View(validating: raw.window(from: 14))
                for _ in 0..<200 {
                    switch Int.random(in: 0...3, using: &rng) {
                    case 0: v.setTTLUpdatingChecksum(UInt8.random(in: 0...255, using: &rng))
                    case 1: v.setTypeOfServiceUpdatingChecksum(UInt8.random(in: 0...255, using: &rng))
                    case 2: v.setSourceUpdatingChecksum(IPv4Address(rawValue: rng.next32()))
                    default: v.setDestinationUpdatingChecksum(IPv4Address(rawValue: rng.next32()))
                    }
                    #expect(v.isChecksumValid)
                    #expect(v.checksum == v.computeChecksum())
                }
            }
        }
    }

    /// Rewriting an address updates the transport checksum through the
    /// pseudo-header, as `packet_set_ipv4_addr` does.
    @Test func ipv4AddressRewriteUpdatesTCPChecksum() throws {
        var bytes = Fixtures.tcpSyn
        var rng = SplitMix64(seed: 9)
        try withMutableBytes(&bytes) { raw in
            let ip = try IPv4View(validating: raw.window(from: 14))
            let tcp = try TCPView(validating: ip.payload)
            for _ in 0..<500 {
                let new = IPv4Address(rawValue: rng.next32())
                tcp.checksum = InternetChecksum.update(tcp.checksum, replacing: ip.source, with: new)
                ip.setSourceUpdatingChecksum(new)
                let port = UInt16.random(in: 0...65535, using: &rng)
                tcp.checksum = InternetChecksum.update(tcp.checksum, replacing: tcp.destinationPort, with: port)
                tcp.destinationPort = port
                #expect(ip.isChecksumValid)
                #expect(tcp.isChecksumValid(pseudoHeaderSum: ip.pseudoHeaderSum()))
            }
        }
    }

    @Test func ipv6AddressRewriteUpdatesUDPChecksum() throws {
        var bytes = Fixtures.qinqUdp6
        var rng = SplitMix64(seed: 10)
        try withMutableBytes(&bytes) { raw in
            let ip = try IPv6View(validating: raw.window(from: 22))
            let udp = try UDPView(validating: ip.payload)
            for _ in 0..<500 {
                let new = IPv6Address(high: rng.next(), low: rng.next())
                udp.checksum = udp.updatedChecksum(replacing: 0, with: 0) // no-op keeps it
                let c = InternetChecksum.update(udp.checksum, replacing: ip.destination, with: new)
                udp.checksum = c == 0 ? 0xffff : c
                ip.destination = new
                ip.trafficClass = UInt8.random(in: 0...255, using: &rng)
                ip.flowLabel = rng.next32()
                #expect(ip.version == 6 && ip.payloadLength == 11)
                #expect(udp.isChecksumValid(pseudoHeaderSum: ip.pseudoHeaderSum(nextHeader: .udp, length: 11)))
            }
        }
    }

    @Test func udpZeroChecksumStaysAbsent() throws {
        var bytes = Fixtures.vxlan
        try withMutableBytes(&bytes) { raw in
            let ip = try IPv4View(validating: raw.window(from: 14))
            let udp = try UDPView(validating: ip.payload)
            #expect(udp.checksum == 0)
            udp.checksum = udp.updatedChecksum(replacing: udp.sourcePort, with: 1)
            udp.sourcePort = 1
            #expect(udp.checksum == 0 && udp.isChecksumValid(pseudoHeaderSum: ip.pseudoHeaderSum()))
            udp.fillChecksum(pseudoHeaderSum: ip.pseudoHeaderSum())
            #expect(udp.checksum != 0 && udp.isChecksumValid(pseudoHeaderSum: ip.pseudoHeaderSum()))
            #expect(udp.computeChecksum(pseudoHeaderSum: ip.pseudoHeaderSum()) == udp.checksum)
        }
    }

    @Test func tcpFlagsSetterKeepsDataOffset() throws {
        var bytes = Fixtures.tcpSyn
        try withMutableBytes(&bytes) { raw in
            let tcp = try TCPView(validating: raw.window(from: 34))
            tcp.flags = [.fin, .ack, .ns]
            #expect(tcp.headerLength == 32 && tcp.flags == [.fin, .ack, .ns])
            #expect(raw[46] == 0x81 && raw[47] == 0x11)
        }
    }

    @Test func ndLinkLayerAddressRewrite() throws {
        var bytes = Fixtures.ndSolicit
        try withMutableBytes(&bytes) { raw in
            let ip = try IPv6View(validating: raw.window(from: 14))
            let nd = try NeighborDiscoveryView(validating: ip.payload)
            var it = nd.options
            let option = try #require(try it.next())
            let old = try #require(option.linkLayerAddress)
            let icmp = nd.icmpv6
            icmp.checksum = InternetChecksum.update(icmp.checksum, replacing: old, with: mac2)
            option.linkLayerAddress = mac2
            #expect(nd.sourceLinkLayerAddress == mac2 && nd.targetLinkLayerAddress == nil)
            #expect(icmp.isChecksumValid(pseudoHeaderSum: ip.pseudoHeaderSum(nextHeader: .icmpv6, length: 32)))
            let target = ip6("2001:db8::77")
            icmp.checksum = InternetChecksum.update(icmp.checksum, replacing: nd.target, with: target)
            nd.target = target
            #expect(icmp.isChecksumValid(pseudoHeaderSum: ip.pseudoHeaderSum(nextHeader: .icmpv6, length: 32)))
        }
    }

    @Test func greOptionalFieldsOnlyWhenPresent() throws {
        var bytes = GREHeader(protocolType: .ipv4, key: 5).emittedOrEmpty + [1, 2, 3, 4]
        try withMutableBytes(&bytes) { raw in
            let g = try GREView(validating: raw)
            g.sequenceNumber = 9
            g.checksum = 7
            g.key = 6
            #expect(g.key == 6 && g.sequenceNumber == nil && g.checksum == nil && g.computeChecksum() == nil)
            #expect(Array(raw[8...]) == [1, 2, 3, 4])
        }
    }

    @Test func tunnelVNISettersKeepReservedByte() throws {
        var bytes: [UInt8] = [0x08, 0, 0, 0, 0, 0, 0, 0x77]
        try withMutableBytes(&bytes) { raw in
            let v = try VXLANView(validating: raw)
            v.vni = 0x1234567   // only 24 bits fit
            #expect(v.vni == 0x234567 && raw[7] == 0x77 && !v.isStandard)
            let g = try GeneveView(validating: raw.window(from: 0).withFirstByte(0))
            g.vni = 0xabcdef
            #expect(g.vni == 0xabcdef && raw[7] == 0x77)
        }
    }

    /// The IPv4 view ends at the total length: Ethernet padding is outside.
    @Test func ipv4PayloadExcludesEthernetPadding() throws {
        var bytes = PacketBuilder.ethernet().ipv4(source: ip("1.1.1.1"), destination: ip("2.2.2.2"))
            .udp(sourcePort: 1, destinationPort: 2).build(minimumLength: 60)
        #expect(bytes.count == 60)
        try withMutableBytes(&bytes) { raw in
            let ip = try IPv4View(validating: raw.window(from: 14))
            #expect(ip.totalLength == 28 && ip.packet.count == 28 && ip.payload.count == 8)
            let udp = try UDPView(validating: ip.payload)
            #expect(udp.isChecksumValid(pseudoHeaderSum: ip.pseudoHeaderSum()))
        }
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Sets the first byte and returns self (test shorthand).
    func withFirstByte(_ b: UInt8) -> UnsafeMutableRawBufferPointer {
        self[0] = b
        return self
    }
}

extension WireHeader {
    var emittedOrEmpty: [UInt8] { (try? emitted()) ?? [] }
}
