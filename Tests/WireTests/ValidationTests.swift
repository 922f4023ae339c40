import Testing
@testable import Wire

/// Every view, by name, so tables and fuzzers can reach them all.
enum ViewKind: String, CaseIterable, Sendable {
    case ethernet, llc, vlan, mpls, arp, ipv4, ipv6, ipv6Extension, ipv6Fragment, tcp, udp, sctp
    case icmpv4, icmpv6, neighborDiscovery, ndOption, igmp, igmpv3Record, vxlan, geneve, geneveOption, gre

    /// Validates `raw` as this view, then reads every accessor (the fuzzers
    /// use this; it must never trap).
    func validateAndRead(_ raw: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        var n = 0
        func touch<T>(_ v: T) { n &+= MemoryLayout.size(ofValue: v) }
        switch self {
        case .ethernet:
            let v = try EthernetView(validating: raw)
            touch(v.destination); touch(v.source); touch(v.etherType); touch(v.isIEEE802_3); touch(v.payload.count)
            touch(try? EthernetLayers(parsing: UnsafeRawBufferPointer(raw)))
        case .llc:
            let v = try LLCView(validating: raw)
            touch(v.dsap); touch(v.ssap); touch(v.control); touch(v.hasEthernetSNAP); touch(v.organization); touch(v.snapEtherType)
            touch(try? LLCSNAPHeader(parsing: UnsafeRawBufferPointer(raw)))
        case .vlan:
            let v = try VLANView(validating: raw)
            touch(v.tci); touch(v.priority); touch(v.dropEligible); touch(v.vlanID); touch(v.etherType); touch(v.payload.count)
            touch(VLANHeader(v))
        case .mpls:
            let v = try MPLSView(validating: raw)
            touch(v.label); touch(v.trafficClass); touch(v.isBottomOfStack); touch(v.ttl); touch(v.payload.count)
            var it = MPLSLabelStackIterator(UnsafeRawBufferPointer(raw))
            while let e = it.next() { touch(e) }
        case .arp:
            let v = try ARPView(validating: raw)
            touch(ARPHeader(v))
        case .ipv4:
            let v = try IPv4View(validating: raw)
            touch(IPv4Header(v)); touch(v.isChecksumValid); touch(v.computeChecksum()); touch(v.packet.count)
            touch(v.payload.count); touch(v.isFragment); touch(v.isLaterFragment); touch(v.dscp); touch(v.ecn)
            touch(v.pseudoHeaderSum()); touch(v.version); touch(v.flagsAndFragmentOffset)
        case .ipv6:
            let v = try IPv6View(validating: raw)
            touch(IPv6Header(v)); touch(v.packet.count); touch(v.payload.count); touch(try? v.upperLayer())
            var it = v.extensionHeaders
            touch(collect { () throws(WireError) in try it.next() }.items.count)
            touch(v.pseudoHeaderSum(nextHeader: .tcp, length: 20))
        case .ipv6Extension:
            let v = try IPv6ExtensionHeaderView(validating: raw)
            touch(v.nextHeader); touch(v.headerLength); touch(v.routingType); touch(v.segmentsLeft)
            touch(v.routingData.count); touch(v.payload.count)
            touch(IPv6OptionsHeader(v)); touch(IPv6RoutingHeader(v).finalDestination)
            var it = IPv6OptionIterator(UnsafeRawBufferPointer(v.options))
            while let o = it.next() { touch(o) }
        case .ipv6Fragment:
            let v = try IPv6FragmentView(validating: raw)
            touch(IPv6FragmentHeader(v)); touch(v.payload.count)
        case .tcp:
            let v = try TCPView(validating: raw)
            touch(TCPHeader(v)); touch(v.payload.count); touch(v.computeChecksum(pseudoHeaderSum: 0x1234))
            touch(v.isChecksumValid(pseudoHeaderSum: 0))
            var it = TCPOptionIterator(UnsafeRawBufferPointer(v.options))
            while let o = it.next() { touch(o) }
        case .udp:
            let v = try UDPView(validating: raw)
            touch(UDPHeader(v)); touch(v.payload.count); touch(v.datagram.count)
            touch(v.computeChecksum(pseudoHeaderSum: 1)); touch(v.isChecksumValid(pseudoHeaderSum: 1))
            touch(v.updatedChecksum(replacing: 1, with: 2))
        case .sctp:
            let v = try SCTPView(validating: raw)
            touch(SCTPHeader(v)); touch(v.isChecksumValid)
            var it = SCTPChunkIterator(UnsafeRawBufferPointer(v.payload))
            while let c = it.next() { touch(c) }
        case .icmpv4:
            let v = try ICMPv4View(validating: raw)
            touch(ICMPv4Header(v)); touch(v.identifier); touch(v.sequenceNumber); touch(v.isChecksumValid)
            touch(v.computeChecksum()); touch(v.payload.count)
        case .icmpv6:
            let v = try ICMPv6View(validating: raw)
            touch(ICMPv6Header(v)); touch(v.isChecksumValid(pseudoHeaderSum: 0)); touch(v.payload.count)
        case .neighborDiscovery:
            let v = try NeighborDiscoveryView(validating: raw)
            touch(v.type); touch(v.flags); touch(v.target); touch(v.sourceLinkLayerAddress); touch(v.targetLinkLayerAddress)
            touch(try? NeighborDiscoveryMessage(v)); touch(v.icmpv6.checksum)
        case .ndOption:
            let v = try NDOptionView(validating: raw)
            touch(v.type); touch(v.length); touch(v.data.count); touch(v.linkLayerAddress); touch(NDOption(v))
        case .igmp:
            let v = try IGMPView(validating: raw)
            touch(IGMPHeader(v)); touch(v.numberOfGroupRecords); touch(v.isChecksumValid); touch(try? IGMPv3Report(v))
            var it = v.groupRecords
            touch(collect { () throws(WireError) in try it.next() }.items.count)
        case .igmpv3Record:
            let v = try IGMPv3GroupRecordView(validating: raw)
            touch(IGMPv3GroupRecord(v)); touch(v.source(at: -1)); touch(v.source(at: 70000)); touch(v.auxiliaryData.count)
        case .vxlan:
            let v = try VXLANView(validating: raw)
            touch(VXLANHeader(v)); touch(v.isVNIValid); touch(v.isStandard); touch(v.payload.count)
        case .geneve:
            let v = try GeneveView(validating: raw)
            touch(v.version); touch(v.optionsLength); touch(v.payload.count); touch(try? GeneveHeader(v))
            var it = v.options
            touch(collect { () throws(WireError) in try it.next() }.items.count)
        case .geneveOption:
            let v = try GeneveOptionView(validating: raw)
            touch(GeneveOption(v)); touch(v.isCritical)
        case .gre:
            let v = try GREView(validating: raw)
            touch(GREHeader(v)); touch(v.computeChecksum()); touch(v.isChecksumValid); touch(v.payload.count)
        }
        return n
    }

    /// Exercises the setters with `seed`-derived values.
    func write(_ raw: UnsafeMutableRawBufferPointer, seed: UInt64) throws(WireError) {
        let b8 = UInt8(truncatingIfNeeded: seed), b16 = UInt16(truncatingIfNeeded: seed), b32 = UInt32(truncatingIfNeeded: seed)
        switch self {
        case .ethernet:
            let v = try EthernetView(validating: raw)
            v.destination = EthernetAddress(rawValue: seed); v.source = EthernetAddress(rawValue: ~seed); v.etherType = EtherType(rawValue: b16)
        case .vlan:
            let v = try VLANView(validating: raw)
            v.priority = b8; v.dropEligible = seed & 1 == 0; v.vlanID = b16; v.etherType = EtherType(rawValue: b16)
        case .mpls:
            let v = try MPLSView(validating: raw)
            v.label = b32; v.trafficClass = b8; v.isBottomOfStack = seed & 1 == 0; v.ttl = b8
        case .ipv4:
            let v = try IPv4View(validating: raw)
            v.setTTLUpdatingChecksum(b8); v.setTypeOfServiceUpdatingChecksum(b8)
            v.setSourceUpdatingChecksum(IPv4Address(rawValue: b32)); v.setDestinationUpdatingChecksum(IPv4Address(rawValue: ~b32))
            v.dscp = b8; v.ecn = b8; v.fillChecksum()
        case .ipv6:
            let v = try IPv6View(validating: raw)
            v.trafficClass = b8; v.flowLabel = b32; v.hopLimit = b8
        case .tcp:
            let v = try TCPView(validating: raw)
            v.flags = TCPFlags(rawValue: b16); v.fillChecksum(pseudoHeaderSum: b32)
        case .udp:
            let v = try UDPView(validating: raw)
            v.fillChecksum(pseudoHeaderSum: b32)
        case .sctp:
            try SCTPView(validating: raw).fillChecksum()
        case .gre:
            let v = try GREView(validating: raw)
            v.key = b32; v.sequenceNumber = b32; v.fillChecksum()
        case .geneve:
            let v = try GeneveView(validating: raw)
            v.vni = b32; v.isOAM = true; v.hasCriticalOptions = false
        case .vxlan:
            let v = try VXLANView(validating: raw)
            v.vni = b32
        case .ndOption:
            let v = try NDOptionView(validating: raw)
            v.linkLayerAddress = EthernetAddress(rawValue: seed)
        default:
            _ = try validateAndRead(raw)
        }
    }
}

struct ValidationCase: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var view: ViewKind
    var bytes: [UInt8]
    /// `nil` when the bytes are valid.
    var expected: WireError?
    init(_ name: String, _ view: ViewKind, _ bytes: [UInt8], _ expected: WireError?) {
        testDescription = "\(view): \(name)"
        self.view = view
        self.bytes = bytes
        self.expected = expected
    }
}

func zeros(_ n: Int) -> [UInt8] { [UInt8](repeating: 0, count: n) }

let ipv4Minimal: [UInt8] = [0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
let ipv6Minimal: [UInt8] = [0x60] + zeros(39)
let arpMinimal: [UInt8] = [0, 1, 8, 0, 6, 4, 0, 1] + zeros(20)

let validationCases: [ValidationCase] = [
    ValidationCase("14 bytes", .ethernet, zeros(14), nil),
    ValidationCase("13 bytes", .ethernet, zeros(13), .truncated),
    ValidationCase("empty", .ethernet, [], .truncated),
    ValidationCase("3 bytes", .llc, [0xaa, 0xaa, 3], nil),
    ValidationCase("2 bytes", .llc, [0xaa, 0xaa], .truncated),
    ValidationCase("4 bytes", .vlan, zeros(4), nil),
    ValidationCase("3 bytes", .vlan, zeros(3), .truncated),
    ValidationCase("4 bytes", .mpls, zeros(4), nil),
    ValidationCase("3 bytes", .mpls, zeros(3), .truncated),
    ValidationCase("Ethernet/IPv4", .arp, arpMinimal, nil),
    ValidationCase("27 bytes", .arp, Array(arpMinimal.prefix(27)), .truncated),
    ValidationCase("7 bytes", .arp, Array(arpMinimal.prefix(7)), .truncated),
    ValidationCase("hardware type 6", .arp, [0, 6] + arpMinimal.dropFirst(2), .malformed),
    ValidationCase("protocol IPv6", .arp, [0, 1, 0x86, 0xdd] + arpMinimal.dropFirst(4), .malformed),
    ValidationCase("hardware length 8", .arp, [0, 1, 8, 0, 8, 4] + arpMinimal.dropFirst(6), .malformed),
    ValidationCase("minimal", .ipv4, ipv4Minimal, nil),
    ValidationCase("19 bytes", .ipv4, [UInt8](repeating: 0x45, count: 19), .truncated),
    ValidationCase("version 6", .ipv4, [0x65] + ipv4Minimal.dropFirst(), .malformed),
    ValidationCase("IHL 4", .ipv4, [0x44] + ipv4Minimal.dropFirst(), .malformed),
    ValidationCase("IHL 6 in 20 bytes", .ipv4, [0x46, 0, 0, 24] + ipv4Minimal.dropFirst(4), .truncated),
    ValidationCase("total length 19", .ipv4, [0x45, 0, 0, 19] + ipv4Minimal.dropFirst(4), .malformed),
    ValidationCase("total length past the bytes", .ipv4, [0x45, 0, 0, 21] + ipv4Minimal.dropFirst(4), .truncated),
    ValidationCase("trailing padding", .ipv4, ipv4Minimal + zeros(26), nil),
    ValidationCase("minimal", .ipv6, ipv6Minimal, nil),
    ValidationCase("39 bytes", .ipv6, Array(ipv6Minimal.prefix(39)), .truncated),
    ValidationCase("version 4", .ipv6, [0x40] + ipv6Minimal.dropFirst(), .malformed),
    ValidationCase("payload length past the bytes", .ipv6, [0x60, 0, 0, 0, 0, 1] + ipv6Minimal.dropFirst(6), .truncated),
    ValidationCase("8 bytes", .ipv6Extension, [6, 0] + zeros(6), nil),
    ValidationCase("7 bytes", .ipv6Extension, [6, 0] + zeros(5), .truncated),
    ValidationCase("length 1 in 8 bytes", .ipv6Extension, [6, 1] + zeros(6), .truncated),
    ValidationCase("length 1 in 16 bytes", .ipv6Extension, [6, 1] + zeros(14), nil),
    ValidationCase("8 bytes", .ipv6Fragment, zeros(8), nil),
    ValidationCase("7 bytes", .ipv6Fragment, zeros(7), .truncated),
    ValidationCase("20 bytes", .tcp, zeros(12) + [0x50] + zeros(7), nil),
    ValidationCase("19 bytes", .tcp, zeros(12) + [0x50] + zeros(6), .truncated),
    ValidationCase("data offset 4", .tcp, zeros(12) + [0x40] + zeros(7), .malformed),
    ValidationCase("data offset 6 in 20 bytes", .tcp, zeros(12) + [0x60] + zeros(7), .truncated),
    ValidationCase("8 bytes", .udp, [0, 1, 0, 2, 0, 8, 0, 0], nil),
    ValidationCase("7 bytes", .udp, [0, 1, 0, 2, 0, 8, 0], .truncated),
    ValidationCase("length 7", .udp, [0, 1, 0, 2, 0, 7, 0, 0], .malformed),
    ValidationCase("length 9 in 8 bytes", .udp, [0, 1, 0, 2, 0, 9, 0, 0], .truncated),
    ValidationCase("12 bytes", .sctp, zeros(12), nil),
    ValidationCase("11 bytes", .sctp, zeros(11), .truncated),
    ValidationCase("8 bytes", .icmpv4, zeros(8), nil),
    ValidationCase("7 bytes", .icmpv4, zeros(7), .truncated),
    ValidationCase("8 bytes", .icmpv6, zeros(8), nil),
    ValidationCase("7 bytes", .icmpv6, zeros(7), .truncated),
    ValidationCase("NS", .neighborDiscovery, [135] + zeros(23), nil),
    ValidationCase("NA with an option", .neighborDiscovery, [136] + zeros(23) + [2, 1, 1, 2, 3, 4, 5, 6], nil),
    ValidationCase("NS of 23 bytes", .neighborDiscovery, [135] + zeros(22), .truncated),
    ValidationCase("echo", .neighborDiscovery, [128] + zeros(23), .malformed),
    ValidationCase("NS with code 1", .neighborDiscovery, [135, 1] + zeros(22), .malformed),
    ValidationCase("8 bytes", .ndOption, [1, 1, 1, 2, 3, 4, 5, 6], nil),
    ValidationCase("length 0", .ndOption, [1, 0, 1, 2, 3, 4, 5, 6], .malformed),
    ValidationCase("length 2 in 8 bytes", .ndOption, [1, 2, 1, 2, 3, 4, 5, 6], .truncated),
    ValidationCase("1 byte", .ndOption, [1], .truncated),
    ValidationCase("8 bytes", .igmp, zeros(8), nil),
    ValidationCase("7 bytes", .igmp, zeros(7), .truncated),
    ValidationCase("record with a source", .igmpv3Record, [1, 0, 0, 1] + zeros(8), nil),
    ValidationCase("record missing its source", .igmpv3Record, [1, 0, 0, 1] + zeros(4), .truncated),
    ValidationCase("record missing aux data", .igmpv3Record, [1, 1, 0, 0] + zeros(4), .truncated),
    ValidationCase("8 bytes", .vxlan, [8] + zeros(7), nil),
    ValidationCase("7 bytes", .vxlan, zeros(7), .truncated),
    ValidationCase("8 bytes", .geneve, [0, 0, 0x65, 0x58] + zeros(4), nil),
    ValidationCase("7 bytes", .geneve, zeros(7), .truncated),
    ValidationCase("version 1", .geneve, [0x40] + zeros(7), .malformed),
    ValidationCase("options past the bytes", .geneve, [1] + zeros(7), .truncated),
    ValidationCase("one option", .geneve, [1] + zeros(7) + [0, 1, 2, 0], nil),
    ValidationCase("4 bytes", .geneveOption, [0, 1, 2, 0], nil),
    ValidationCase("length past the bytes", .geneveOption, [0, 1, 2, 1, 0, 0, 0], .truncated),
    ValidationCase("4 bytes", .gre, [0, 0, 8, 0], nil),
    ValidationCase("3 bytes", .gre, [0, 0, 8], .truncated),
    ValidationCase("version 1", .gre, [0, 1, 8, 0], .malformed),
    ValidationCase("routing flag", .gre, [0x40, 0, 8, 0] + zeros(4), .malformed),
    ValidationCase("key flag in 4 bytes", .gre, [0x20, 0, 8, 0], .truncated),
    ValidationCase("all flags in 16 bytes", .gre, [0xb0, 0, 8, 0] + zeros(12), nil),
    ValidationCase("all flags in 15 bytes", .gre, [0xb0, 0, 8, 0] + zeros(11), .truncated),
]

@Suite struct ValidationTests {
    @Test(arguments: validationCases)
    func validation(_ c: ValidationCase) {
        let r = read(c.bytes) { raw throws(WireError) in try c.view.validateAndRead(raw) }
        #expect(r.error == c.expected)
    }

    /// Geneve options that overrun the options length are malformed.
    @Test func geneveOptionOverrunIsMalformed() {
        // Options length 1 word, but the option claims 1 more word of data.
        let bytes: [UInt8] = [1, 0, 0x65, 0x58, 0, 0, 1, 0, 0, 1, 2, 1, 9, 9, 9, 9]
        let r = read(bytes) { raw throws(WireError) in try GeneveHeader(GeneveView(validating: raw)) }
        #expect(r.error == .malformed)
    }

    /// A truncated IPv6 extension chain is reported, not trapped on.
    @Test func truncatedExtensionChain() throws {
        let frame = PacketBuilder.ipv6(source: ip6("::1"), destination: ip6("::2"))
            .ipv6HopByHop().ipv6Routing().tcp(sourcePort: 1, destinationPort: 2).build()
        for cut in 40..<frame.count {
            var bytes = Array(frame.prefix(cut))
            bytes[5] = UInt8(cut - 40)   // payload length matches what is left
            let r = read(bytes) { raw throws(WireError) in try IPv6View(validating: raw).upperLayer() }
            if cut < 40 + 8 + 8 {
                #expect(r.error == .truncated, "cut \(cut)")
            } else {
                let upper = try r.get()
                #expect(upper.protocol == .tcp && upper.offset == 56)
            }
        }
    }

    /// A later fragment ends the walk, as Open vSwitch does.
    @Test func laterFragmentStopsWalk() throws {
        let frame = PacketBuilder.ipv6(source: ip6("::1"), destination: ip6("::2"))
            .ipv6Fragment(offset: 100, moreFragments: true).tcp(sourcePort: 1, destinationPort: 2).build()
        let upper = try read(frame) { raw throws(WireError) in try IPv6View(validating: raw).upperLayer() }.get()
        #expect(upper.protocol == .ipv6Fragment && upper.isLaterFragment && upper.fragment?.fragmentOffset == 100)
    }

    /// 802.3 frames: SNAP yields the inner EtherType; anything else
    /// `EtherType.none`; a third tag is left as the EtherType.
    @Test func ethernetLayersEdgeCases() throws {
        let raw8023 = PacketBuilder.ethernet().appending(.llcSNAP(LLCSNAPHeader(dsap: 0x42, ssap: 0x42, control: 3, organization: 0, etherType: .ipv4)))
            .payload(count: 10).build()
        let l1 = try EthernetLayers(parsing: raw8023)
        #expect(l1.etherType == .none && l1.isIEEE802_3 && l1.networkOffset == 14)
        let short8023 = Array(PacketBuilder.ethernet().llcSNAP().build().prefix(20))
        #expect(try EthernetLayers(parsing: short8023).etherType == .none)
        let triple = PacketBuilder.ethernet().vlan(1, tpid: .qinq).vlan(2).vlan(3).ipv4(source: .any, destination: .any).build()
        let l3 = try EthernetLayers(parsing: triple)
        #expect(l3.outerVLAN?.vlanID == 1 && l3.innerVLAN?.vlanID == 2 && l3.etherType == .vlan && l3.networkOffset == 22)
        // A tag whose TCI is cut off ends the walk at the TPID.
        let cut = Array(PacketBuilder.ethernet().vlan(5).build().prefix(17))
        let l4 = try EthernetLayers(parsing: cut)
        #expect(l4.outerVLAN == nil && l4.etherType == .vlan && l4.networkOffset == 14)
    }
}

extension EthernetLayers {
    init(parsing bytes: [UInt8]) throws(WireError) {
        let r = bytes.withUnsafeBytes { raw in Result { () throws(WireError) in try EthernetLayers(parsing: raw) } }
        self = try r.get()
    }
}
