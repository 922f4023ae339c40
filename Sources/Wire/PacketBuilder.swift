/// Whole frames for tests and benchmarks, built layer by layer:
///
/// ```swift
/// let frame = PacketBuilder
///     .ethernet(source: mac1, destination: mac2)
///     .vlan(10)
///     .ipv4(source: a, destination: b)
///     .tcp(sourcePort: 1234, destinationPort: 80, flags: .syn)
///     .payload(Array("hello".utf8))
///     .build()
/// ```
///
/// `build()` fills what the layers imply: each layer's next-protocol field
/// (EtherType, IP protocol, next header, MPLS bottom of stack, the VXLAN and
/// Geneve UDP ports) unless it was given explicitly, every length field
/// (802.3 length, IPv4 total length, IPv6 payload length, UDP length), and
/// every checksum, innermost first (IPv4 header, TCP, UDP, SCTP, ICMP,
/// ICMPv6, IGMP, GRE when present). Header values that cannot be emitted
/// (say, IPv4 options not a multiple of 4) are programmer errors and trap.
public struct PacketBuilder: Sendable {
    /// One layer, in the order it appears on the wire.
    public enum Layer: Hashable, Sendable {
        case ethernet(EthernetHeader)
        /// 802.2 LLC + SNAP; the type field before it becomes an 802.3 length.
        case llcSNAP(LLCSNAPHeader)
        /// A VLAN tag; `tpid` is written into the type field before it.
        case vlan(tpid: EtherType, VLANHeader)
        case mpls(MPLSLabelStackEntry)
        case arp(ARPHeader)
        case ipv4(IPv4Header)
        case ipv6(IPv6Header)
        /// Hop-by-hop (`kind == .hopByHop`) or destination options.
        case ipv6Options(kind: IPProtocol, IPv6OptionsHeader)
        case ipv6Routing(IPv6RoutingHeader)
        case ipv6Fragment(IPv6FragmentHeader)
        case tcp(TCPHeader)
        case udp(UDPHeader)
        case sctp(SCTPHeader)
        case icmpv4(ICMPv4Header)
        case icmpv6(ICMPv6Header)
        case neighborDiscovery(NeighborDiscoveryMessage)
        case igmp(IGMPHeader)
        case igmpv3Report(IGMPv3Report)
        case vxlan(VXLANHeader)
        case geneve(GeneveHeader)
        case gre(GREHeader)
        case payload([UInt8])
    }

    struct Entry: Hashable, Sendable {
        var layer: Layer
        /// Fill the next-protocol field from the following layer.
        var infer: Bool
        /// Compute this layer's checksum at `build()`.
        var checksum = true
    }

    var entries: [Entry] = []

    /// An empty packet (start with a network header for L3 packets).
    public init() {}

    /// The layers so far.
    public var layers: [Layer] { entries.map(\.layer) }

    /// Appends any layer. With `inferNextProtocol`, its next-protocol field
    /// is overwritten from the following layer at `build()`.
    public func appending(_ layer: Layer, inferNextProtocol: Bool = true) -> PacketBuilder {
        var copy = self
        copy.entries.append(Entry(layer: layer, infer: inferNextProtocol))
        return copy
    }

    // MARK: L2

    /// Starts a frame with an Ethernet header.
    public static func ethernet(source: EthernetAddress = EthernetAddress(0x02, 0, 0, 0, 0, 1),
                                destination: EthernetAddress = EthernetAddress(0x02, 0, 0, 0, 0, 2),
                                etherType: EtherType? = nil) -> PacketBuilder {
        PacketBuilder().ethernet(source: source, destination: destination, etherType: etherType)
    }

    /// Appends an Ethernet header (an inner frame, in a tunnel).
    public func ethernet(source: EthernetAddress = EthernetAddress(0x02, 0, 0, 0, 0, 1),
                         destination: EthernetAddress = EthernetAddress(0x02, 0, 0, 0, 0, 2),
                         etherType: EtherType? = nil) -> PacketBuilder {
        appending(.ethernet(EthernetHeader(destination: destination, source: source,
                                           etherType: etherType ?? EtherType(rawValue: 0))),
                  inferNextProtocol: etherType == nil)
    }

    /// Appends a VLAN tag: `tpid` `.vlan` (802.1Q) or `.qinq` (802.1ad).
    public func vlan(_ vlanID: UInt16, priority: UInt8 = 0, dropEligible: Bool = false,
                     tpid: EtherType = .vlan, etherType: EtherType? = nil) -> PacketBuilder {
        appending(.vlan(tpid: tpid, VLANHeader(vlanID: vlanID, priority: priority, dropEligible: dropEligible,
                                               etherType: etherType ?? EtherType(rawValue: 0))),
                  inferNextProtocol: etherType == nil)
    }

    /// Appends LLC/SNAP (AA-AA-03, OUI 0), making the frame 802.3.
    public func llcSNAP(etherType: EtherType? = nil) -> PacketBuilder {
        appending(.llcSNAP(LLCSNAPHeader(etherType: etherType ?? EtherType(rawValue: 0))),
                  inferNextProtocol: etherType == nil)
    }

    /// Appends an MPLS label stack entry; bottom of stack is set on the last.
    public func mpls(label: UInt32, trafficClass: UInt8 = 0, ttl: UInt8 = 64) -> PacketBuilder {
        appending(.mpls(MPLSLabelStackEntry(label: label, trafficClass: trafficClass, isBottomOfStack: true, ttl: ttl)))
    }

    /// Appends an Ethernet/IPv4 ARP packet.
    public func arp(operation: ARPOperation = .request,
                    senderHardwareAddress: EthernetAddress, senderProtocolAddress: IPv4Address,
                    targetHardwareAddress: EthernetAddress = .zero, targetProtocolAddress: IPv4Address) -> PacketBuilder {
        appending(.arp(ARPHeader(operation: operation, senderHardwareAddress: senderHardwareAddress,
                                 senderProtocolAddress: senderProtocolAddress,
                                 targetHardwareAddress: targetHardwareAddress,
                                 targetProtocolAddress: targetProtocolAddress)))
    }

    // MARK: L3

    /// Starts an L3 packet with an IPv4 header.
    public static func ipv4(source: IPv4Address, destination: IPv4Address) -> PacketBuilder {
        PacketBuilder().ipv4(source: source, destination: destination)
    }

    /// Appends an IPv4 header.
    public func ipv4(source: IPv4Address, destination: IPv4Address, ttl: UInt8 = 64, typeOfService: UInt8 = 0,
                     identification: UInt16 = 0, dontFragment: Bool = false, moreFragments: Bool = false,
                     fragmentOffset: UInt16 = 0, options: [UInt8] = [],
                     protocol: IPProtocol? = nil) -> PacketBuilder {
        appending(.ipv4(IPv4Header(source: source, destination: destination, protocol: `protocol` ?? .init(rawValue: 255),
                                   ttl: ttl, typeOfService: typeOfService, identification: identification,
                                   dontFragment: dontFragment, moreFragments: moreFragments,
                                   fragmentOffset: fragmentOffset, options: options)),
                  inferNextProtocol: `protocol` == nil)
    }

    /// Starts an L3 packet with an IPv6 header.
    public static func ipv6(source: IPv6Address, destination: IPv6Address) -> PacketBuilder {
        PacketBuilder().ipv6(source: source, destination: destination)
    }

    /// Appends an IPv6 header.
    public func ipv6(source: IPv6Address, destination: IPv6Address, hopLimit: UInt8 = 64,
                     trafficClass: UInt8 = 0, flowLabel: UInt32 = 0, nextHeader: IPProtocol? = nil) -> PacketBuilder {
        appending(.ipv6(IPv6Header(source: source, destination: destination,
                                   nextHeader: nextHeader ?? .ipv6NoNext, hopLimit: hopLimit,
                                   trafficClass: trafficClass, flowLabel: flowLabel)),
                  inferNextProtocol: nextHeader == nil)
    }

    /// Appends a hop-by-hop options header (`options` unpadded TLVs).
    public func ipv6HopByHop(options: [UInt8] = []) -> PacketBuilder {
        appending(.ipv6Options(kind: .hopByHop, IPv6OptionsHeader(nextHeader: .ipv6NoNext, paddingOptions: options)))
    }

    /// Appends a destination options header (`options` unpadded TLVs).
    public func ipv6DestinationOptions(options: [UInt8] = []) -> PacketBuilder {
        appending(.ipv6Options(kind: .ipv6DestinationOptions,
                               IPv6OptionsHeader(nextHeader: .ipv6NoNext, paddingOptions: options)))
    }

    /// Appends a routing header.
    public func ipv6Routing(type: UInt8 = 0, segmentsLeft: UInt8 = 0, data: [UInt8] = [0, 0, 0, 0]) -> PacketBuilder {
        appending(.ipv6Routing(IPv6RoutingHeader(nextHeader: .ipv6NoNext, routingType: type,
                                                 segmentsLeft: segmentsLeft, data: data)))
    }

    /// Appends a fragment header.
    public func ipv6Fragment(offset: UInt16 = 0, moreFragments: Bool = false, identification: UInt32 = 1) -> PacketBuilder {
        appending(.ipv6Fragment(IPv6FragmentHeader(nextHeader: .ipv6NoNext, fragmentOffset: offset,
                                                   moreFragments: moreFragments, identification: identification)))
    }

    // MARK: L4

    public func tcp(sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32 = 0,
                    acknowledgmentNumber: UInt32 = 0, flags: TCPFlags = [], windowSize: UInt16 = 8192,
                    urgentPointer: UInt16 = 0, options: [UInt8] = []) -> PacketBuilder {
        appending(.tcp(TCPHeader(sourcePort: sourcePort, destinationPort: destinationPort,
                                 sequenceNumber: sequenceNumber, acknowledgmentNumber: acknowledgmentNumber,
                                 flags: flags, windowSize: windowSize, urgentPointer: urgentPointer, options: options)))
    }

    /// Appends a UDP header; a `nil` destination port becomes 4789 before
    /// VXLAN, 6081 before Geneve, 0 otherwise. Without `computingChecksum`
    /// the checksum stays 0 (as tunnels over IPv4 often send it).
    public func udp(sourcePort: UInt16, destinationPort: UInt16? = nil, computingChecksum: Bool = true) -> PacketBuilder {
        var copy = appending(.udp(UDPHeader(sourcePort: sourcePort, destinationPort: destinationPort ?? 0)),
                             inferNextProtocol: destinationPort == nil)
        copy.entries[copy.entries.count - 1].checksum = computingChecksum
        return copy
    }

    public func sctp(sourcePort: UInt16, destinationPort: UInt16, verificationTag: UInt32 = 0) -> PacketBuilder {
        appending(.sctp(SCTPHeader(sourcePort: sourcePort, destinationPort: destinationPort,
                                   verificationTag: verificationTag)))
    }

    public func icmpv4(type: ICMPv4Type, code: UInt8 = 0, restOfHeader: UInt32 = 0) -> PacketBuilder {
        appending(.icmpv4(ICMPv4Header(type: type, code: code, restOfHeader: restOfHeader)))
    }

    public func icmpv4Echo(request: Bool = true, identifier: UInt16 = 1, sequenceNumber: UInt16 = 1) -> PacketBuilder {
        appending(.icmpv4(.echo(request: request, identifier: identifier, sequenceNumber: sequenceNumber)))
    }

    public func icmpv6(type: ICMPv6Type, code: UInt8 = 0, restOfHeader: UInt32 = 0) -> PacketBuilder {
        appending(.icmpv6(ICMPv6Header(type: type, code: code, restOfHeader: restOfHeader)))
    }

    public func icmpv6Echo(request: Bool = true, identifier: UInt16 = 1, sequenceNumber: UInt16 = 1) -> PacketBuilder {
        appending(.icmpv6(.echo(request: request, identifier: identifier, sequenceNumber: sequenceNumber)))
    }

    public func neighborSolicitation(target: IPv6Address, sourceLinkLayerAddress: EthernetAddress?) -> PacketBuilder {
        appending(.neighborDiscovery(.solicitation(target: target, source: sourceLinkLayerAddress)))
    }

    public func neighborAdvertisement(target: IPv6Address, targetLinkLayerAddress: EthernetAddress?,
                                      flags: NDFlags = [.solicited, .override]) -> PacketBuilder {
        appending(.neighborDiscovery(.advertisement(target: target, address: targetLinkLayerAddress, flags: flags)))
    }

    public func igmp(type: IGMPType, group: IPv4Address, maxResponseTime: UInt8 = 0) -> PacketBuilder {
        appending(.igmp(IGMPHeader(type: type, groupAddress: group, maxResponseTime: maxResponseTime)))
    }

    public func igmpv3Report(records: [IGMPv3GroupRecord]) -> PacketBuilder {
        appending(.igmpv3Report(IGMPv3Report(records: records)))
    }

    // MARK: Tunnels

    public func vxlan(vni: UInt32) -> PacketBuilder { appending(.vxlan(VXLANHeader(vni: vni))) }

    /// Appends a Geneve header; the protocol type follows the next layer.
    public func geneve(vni: UInt32, options: [GeneveOption] = [], isOAM: Bool = false) -> PacketBuilder {
        appending(.geneve(GeneveHeader(vni: vni, options: options, isOAM: isOAM)))
    }

    /// Appends a GRE header; the protocol type follows the next layer.
    public func gre(checksum: Bool = false, key: UInt32? = nil, sequenceNumber: UInt32? = nil) -> PacketBuilder {
        appending(.gre(GREHeader(protocolType: .transparentEthernet, checksum: checksum ? 0 : nil,
                                 key: key, sequenceNumber: sequenceNumber)))
    }

    /// Appends raw bytes.
    public func payload(_ bytes: [UInt8]) -> PacketBuilder { appending(.payload(bytes)) }

    /// Appends `count` bytes counting up from 0 (mod 256).
    public func payload(count: Int) -> PacketBuilder {
        payload((0..<count).map { UInt8(truncatingIfNeeded: $0) })
    }

    // MARK: Building

    /// The frame, its zero padding up to `minimumLength` excluded from
    /// every length and checksum (60 gives a minimum Ethernet frame).
    public func build(minimumLength: Int = 0, computingChecksums: Bool = true) -> [UInt8] {
        var resolved = entries.map(\.layer)
        for i in resolved.indices where entries[i].infer {
            Self.inferNext(&resolved[i], from: i + 1 < resolved.count ? resolved[i + 1] : nil)
        }
        let lengths = resolved.map(Self.length(of:))
        var offsets = [Int](repeating: 0, count: resolved.count)
        var total = 0
        for i in resolved.indices { offsets[i] = total; total += lengths[i] }
        // Lengths: each layer covers everything after it.
        for i in resolved.indices {
            let rest = total - offsets[i]
            switch resolved[i] {
            case .ipv4(var h): h.totalLength = UInt16(clamping: rest); resolved[i] = .ipv4(h)
            case .ipv6(var h): h.payloadLength = UInt16(clamping: rest - 40); resolved[i] = .ipv6(h)
            case .udp(var h): h.length = UInt16(clamping: rest); resolved[i] = .udp(h)
            case .llcSNAP where i > 0:
                Self.setType(&resolved[i - 1], EtherType(rawValue: UInt16(clamping: rest)))
            default: break
            }
        }
        var bytes = [UInt8](repeating: 0, count: Swift.max(total, minimumLength))
        bytes.withUnsafeMutableBytes { raw in
            for i in resolved.indices {
                let window = raw.window(offsets[i]..<total)
                do throws(WireError) {
                    try Self.emit(resolved[i], into: window)
                } catch {
                    preconditionFailure("PacketBuilder: cannot emit \(resolved[i]): \(error)")
                }
            }
            guard computingChecksums else { return }
            for i in resolved.indices.reversed() where entries[i].checksum {
                Self.fillChecksum(resolved, i, offsets, raw.window(offsets[i]..<total))
            }
        }
        return bytes
    }

    /// The frame with no padding.
    public var bytes: [UInt8] { build() }

    // MARK: Internals

    static func etherType(of layer: Layer?) -> EtherType? {
        switch layer {
        case .vlan(let tpid, _): tpid
        case .mpls: .mpls
        case .arp: .arp
        case .ipv4: .ipv4
        case .ipv6: .ipv6
        case .ethernet: .transparentEthernet
        default: nil
        }
    }

    static func ipProtocol(of layer: Layer?) -> IPProtocol? {
        switch layer {
        case .tcp: .tcp
        case .udp: .udp
        case .sctp: .sctp
        case .icmpv4: .icmp
        case .icmpv6, .neighborDiscovery: .icmpv6
        case .igmp, .igmpv3Report: .igmp
        case .gre: .gre
        case .ipv4: .ipv4
        case .ipv6: .ipv6
        case .ipv6Options(let kind, _): kind
        case .ipv6Routing: .ipv6Route
        case .ipv6Fragment: .ipv6Fragment
        default: nil
        }
    }

    static func setType(_ layer: inout Layer, _ type: EtherType) {
        switch layer {
        case .ethernet(var h): h.etherType = type; layer = .ethernet(h)
        case .vlan(let tpid, var h): h.etherType = type; layer = .vlan(tpid: tpid, h)
        default: break
        }
    }

    static func inferNext(_ layer: inout Layer, from next: Layer?) {
        let type = etherType(of: next)
        let proto = ipProtocol(of: next)
        switch layer {
        case .ethernet(var h):
            if case .vlan(let tpid, _) = next { h.etherType = tpid } else if let type { h.etherType = type }
            layer = .ethernet(h)
        case .vlan(let tpid, var h):
            if let type { h.etherType = type }
            layer = .vlan(tpid: tpid, h)
        case .llcSNAP(var h):
            if let type { h.etherType = type }
            layer = .llcSNAP(h)
        case .mpls(var h):
            if case .mpls = next { h.isBottomOfStack = false } else { h.isBottomOfStack = true }
            layer = .mpls(h)
        case .ipv4(var h):
            if let proto { h.protocol = proto }
            layer = .ipv4(h)
        case .ipv6(var h):
            if let proto { h.nextHeader = proto }
            layer = .ipv6(h)
        case .ipv6Options(let kind, var h):
            if let proto { h.nextHeader = proto }
            layer = .ipv6Options(kind: kind, h)
        case .ipv6Routing(var h):
            if let proto { h.nextHeader = proto }
            layer = .ipv6Routing(h)
        case .ipv6Fragment(var h):
            if let proto { h.nextHeader = proto }
            layer = .ipv6Fragment(h)
        case .udp(var h):
            switch next {
            case .vxlan: h.destinationPort = UDPPort.vxlan
            case .geneve: h.destinationPort = UDPPort.geneve
            default: break
            }
            layer = .udp(h)
        case .geneve(var h):
            if let type { h.protocolType = type }
            layer = .geneve(h)
        case .gre(var h):
            if let type { h.protocolType = type }
            layer = .gre(h)
        default: break
        }
    }

    static func length(of layer: Layer) -> Int {
        switch layer {
        case .ethernet(let h): h.headerLength
        case .llcSNAP(let h): h.headerLength
        case .vlan: 4     // TPID goes in the previous type field; TCI + type here
        case .mpls(let h): h.headerLength
        case .arp(let h): h.headerLength
        case .ipv4(let h): h.headerLength
        case .ipv6(let h): h.headerLength
        case .ipv6Options(_, let h): h.headerLength
        case .ipv6Routing(let h): h.headerLength
        case .ipv6Fragment(let h): h.headerLength
        case .tcp(let h): h.headerLength
        case .udp(let h): h.headerLength
        case .sctp(let h): h.headerLength
        case .icmpv4(let h): h.headerLength
        case .icmpv6(let h): h.headerLength
        case .neighborDiscovery(let h): h.headerLength
        case .igmp(let h): h.headerLength
        case .igmpv3Report(let h): h.headerLength
        case .vxlan(let h): h.headerLength
        case .geneve(let h): h.headerLength
        case .gre(let h): h.headerLength
        case .payload(let p): p.count
        }
    }

    static func emit(_ layer: Layer, into b: UnsafeMutableRawBufferPointer) throws(WireError) {
        switch layer {
        case .ethernet(let h): try h.emit(into: b)
        case .llcSNAP(let h): try h.emit(into: b)
        case .vlan(_, let h): try h.emit(into: b)
        case .mpls(let h): try h.emit(into: b)
        case .arp(let h): try h.emit(into: b)
        case .ipv4(let h): try h.emit(into: b)
        case .ipv6(let h): try h.emit(into: b)
        case .ipv6Options(_, let h): try h.emit(into: b)
        case .ipv6Routing(let h): try h.emit(into: b)
        case .ipv6Fragment(let h): try h.emit(into: b)
        case .tcp(let h): try h.emit(into: b)
        case .udp(let h): try h.emit(into: b)
        case .sctp(let h): try h.emit(into: b)
        case .icmpv4(let h): try h.emit(into: b)
        case .icmpv6(let h): try h.emit(into: b)
        case .neighborDiscovery(let h): try h.emit(into: b)
        case .igmp(let h): try h.emit(into: b)
        case .igmpv3Report(let h): try h.emit(into: b)
        case .vxlan(let h): try h.emit(into: b)
        case .geneve(let h): try h.emit(into: b)
        case .gre(let h): try h.emit(into: b)
        case .payload(let p): b.copyBytes(from: p)
        }
    }

    /// The pseudo-header sum for an upper layer at `index` spanning `length`
    /// (for IPv6, the destination is a routing header's final one).
    static func pseudoHeaderSum(_ layers: [Layer], before index: Int, protocol proto: IPProtocol, length: Int) -> UInt32 {
        var finalDestination: IPv6Address?
        for j in stride(from: index - 1, through: 0, by: -1) {
            switch layers[j] {
            case .ipv4(let h):
                return InternetChecksum.pseudoHeaderSum(source: h.source, destination: h.destination,
                                                        protocol: proto, length: length)
            case .ipv6(let h):
                return InternetChecksum.pseudoHeaderSum(source: h.source, destination: finalDestination ?? h.destination,
                                                        nextHeader: proto, length: length)
            case .ipv6Routing(let h):
                finalDestination = h.finalDestination ?? finalDestination
            default: continue
            }
        }
        return 0
    }

    static func fillChecksum(_ layers: [Layer], _ i: Int, _ offsets: [Int], _ b: UnsafeMutableRawBufferPointer) {
        switch layers[i] {
        case .tcp:
            guard let v = try? TCPView(validating: b) else { return }
            v.fillChecksum(pseudoHeaderSum: pseudoHeaderSum(layers, before: i, protocol: .tcp, length: b.count))
        case .udp:
            guard let v = try? UDPView(validating: b) else { return }
            v.fillChecksum(pseudoHeaderSum: pseudoHeaderSum(layers, before: i, protocol: .udp, length: b.count))
        case .sctp:
            (try? SCTPView(validating: b))?.fillChecksum()
        case .icmpv4:
            (try? ICMPv4View(validating: b))?.fillChecksum()
        case .icmpv6, .neighborDiscovery:
            guard let v = try? ICMPv6View(validating: b) else { return }
            v.fillChecksum(pseudoHeaderSum: pseudoHeaderSum(layers, before: i, protocol: .icmpv6, length: b.count))
        case .igmp, .igmpv3Report:
            (try? IGMPView(validating: b))?.fillChecksum()
        case .gre:
            (try? GREView(validating: b))?.fillChecksum()
        default:
            break
        }
    }
}
