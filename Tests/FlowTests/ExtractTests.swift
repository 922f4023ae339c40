import Testing
import Flow
import Wire

/// Frames built byte by byte, and the fields extraction must give.
private let ethHeader: [UInt8] = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55]

private func ipv4(proto: UInt8, payload: [UInt8], fragment: UInt16 = 0, tos: UInt8 = 0, options: [UInt8] = []) -> [UInt8] {
    let ihl = UInt8(5 + options.count / 4)
    let total = 20 + options.count + payload.count
    return [0x45 & 0xf0 | ihl, tos, UInt8(total >> 8), UInt8(total & 0xff), 0, 1,
            UInt8(fragment >> 8), UInt8(fragment & 0xff), 64, proto, 0, 0,
            10, 0, 0, 1, 10, 0, 0, 2] + options + payload
}

private func ipv6(next: UInt8, payload: [UInt8], label: UInt32 = 0) -> [UInt8] {
    let n = payload.count
    return [0x60 | 0x0b >> 4, UInt8(0x0b & 0xf) << 4 | UInt8(label >> 16), UInt8(label >> 8 & 0xff), UInt8(label & 0xff),
            UInt8(n >> 8), UInt8(n & 0xff), next, 255]
        + [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1]
        + [0xff, 0x02] + [UInt8](repeating: 0, count: 13) + [2] + payload
}

@Test func tcpOverIPv4() {
    let tcp: [UInt8] = [0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0]
    let k = extract(ethHeader + [0x08, 0x00] + ipv4(proto: 6, payload: tcp, tos: 0xb9), inPort: 3)
    #expect(k.inPort == DatapathPort(rawValue: 3))
    #expect(k.ethType == .ipv4)
    #expect(k.ethDestination == EthernetAddress(0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb))
    #expect(k.vlans[0].tci == 0)
    #expect(k.ipv4Source == IPv4Address(10, 0, 0, 1) && k.ipv4Destination == IPv4Address(10, 0, 0, 2))
    #expect(k.networkProtocol == .tcp && k.networkTTL == 64 && k.networkTOS == 0xb9)
    #expect(k.networkFragment == [])
    #expect(k.transportSource == 1234 && k.transportDestination == 80)
    #expect(k.tcpFlags == 0x012)
}

@Test func ipv4FragmentsAndOptions() {
    let udp: [UInt8] = [0, 7, 0, 8, 0, 8, 0, 0]
    let nop: [UInt8] = [1, 1, 1, 1]
    let first = extract(ethHeader + [0x08, 0x00] + ipv4(proto: 17, payload: udp, fragment: 0x2000, options: nop))
    #expect(first.networkFragment == .any && first.transportSource == 7)
    let later = extract(ethHeader + [0x08, 0x00] + ipv4(proto: 17, payload: udp, fragment: 0x0010))
    #expect(later.networkFragment == [.any, .later] && later.transportSource == 0)
    #expect(later.networkProtocol == .udp)
}

@Test func vlanHeadersGetCFI() {
    let frame = ethHeader + [0x88, 0xa8, 0xa0, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x81, 0x00, 0x00, 0x1e, 0x12, 0x34]
    let k = extract(frame)
    #expect(k.vlans[0] == FlowVLANHeader(tpid: 0x88a8, tci: 0xb00a))
    #expect(k.vlans[1] == FlowVLANHeader(tpid: 0x8100, tci: 0x1014))
    // A third tag is not parsed: its TPID becomes the EtherType.
    #expect(k.ethType == .vlan)
}

@Test func mplsStackStopsAtThreeAndBOS() {
    let lse: (UInt32) -> [UInt8] = { [UInt8($0 >> 24), UInt8($0 >> 16 & 0xff), UInt8($0 >> 8 & 0xff), UInt8($0 & 0xff)] }
    let frame = ethHeader + [0x88, 0x47] + lse(0x0000_1040) + lse(0x0000_2040) + lse(0x0000_3040) + lse(0x0000_4140)
    let k = extract(frame)
    #expect(k.mplsLSE(0) == 0x1040 && k.mplsLSE(1) == 0x2040 && k.mplsLSE(2) == 0x3040)
    #expect(k.ipv4Source == .any && k.networkProtocol.rawValue == 0)
    let bos = extract(ethHeader + [0x88, 0x48] + lse(0x0000_1140) + lse(0x0000_2040))
    #expect(bos.mplsLSE(0) == 0x1140 && bos.mplsLSE(1) == 0)
}

@Test func arpAndItsChecks() {
    let arp: [UInt8] = [0, 1, 8, 0, 6, 4, 0, 2] + [1, 2, 3, 4, 5, 6] + [10, 0, 0, 1]
        + [7, 8, 9, 10, 11, 12] + [10, 0, 0, 2]
    let k = extract(ethHeader + [0x08, 0x06] + arp)
    #expect(k.networkProtocol.rawValue == 2)
    #expect(k.arpSHA == EthernetAddress(1, 2, 3, 4, 5, 6) && k.arpTHA == EthernetAddress(7, 8, 9, 10, 11, 12))
    #expect(k.ipv4Source == IPv4Address(10, 0, 0, 1))
    var bad = arp
    bad[4] = 8       // hardware address length
    #expect(extract(ethHeader + [0x08, 0x06] + bad).ipv4Source == .any)
    var bigOp = arp
    bigOp[6] = 1     // opcode 0x0102: not kept, the rest is
    let b = extract(ethHeader + [0x80, 0x35] + bigOp)
    #expect(b.networkProtocol.rawValue == 0 && b.ipv4Source == IPv4Address(10, 0, 0, 1))
}

@Test func llcAndSnap() {
    let llc = extract(ethHeader + [0x00, 0x26, 0x42, 0x42, 0x03] + [UInt8](repeating: 0, count: 35))
    #expect(llc.ethType == .none)
    let snap = extract(ethHeader + [0x00, 0x30, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x88, 0xcc])
    #expect(snap.ethType.rawValue == 0x88cc)
    let shortSnap = extract(ethHeader + [0x00, 0x30, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x88])
    #expect(shortSnap.ethType == .none)
}

@Test func ipv6ExtensionHeadersAndFragments() {
    let udp: [UInt8] = [0, 7, 0, 8, 0, 8, 0, 0]
    // Hop-by-hop (8 bytes) -> fragment (first) -> UDP.
    let hop: [UInt8] = [44, 0, 1, 4, 0, 0, 0, 0]
    let fragFirst: [UInt8] = [17, 0, 0x00, 0x01, 0, 0, 0, 9]
    let k = extract(ethHeader + [0x86, 0xdd] + ipv6(next: 0, payload: hop + fragFirst + udp, label: 0x12345))
    #expect(k.networkProtocol == .udp && k.networkFragment == .any && k.transportDestination == 8)
    #expect(k.ipv6Label == 0x12345 && k.networkTOS == 0x0b && k.networkTTL == 255)
    #expect(k.ipv6Source.description == "fe80::1" && k.ipv6Destination.description == "ff02::2")
    let fragLater: [UInt8] = [17, 0, 0x00, 0x08, 0, 0, 0, 9]
    let l = extract(ethHeader + [0x86, 0xdd] + ipv6(next: 44, payload: fragLater + udp))
    #expect(l.networkProtocol == .ipv6Fragment && l.networkFragment == [.any, .later] && l.transportSource == 0)
    // An extension header running past the payload: L3 stops after the addresses.
    let broken = extract(ethHeader + [0x86, 0xdd] + ipv6(next: 60, payload: [17, 4, 0, 0, 0, 0, 0, 0]))
    #expect(broken.ipv6Source.description == "fe80::1" && broken.networkTTL == 0 && broken.ipv6Label == 0)
}

@Test func neighborDiscoveryOptions() {
    let target: [UInt8] = [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [9]
    let sll: [UInt8] = [1, 1, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf]
    let tll: [UInt8] = [2, 1, 1, 2, 3, 4, 5, 6]
    let na: [UInt8] = [136, 0, 0, 0, 0xe0, 0, 0, 0]
    let k = extract(ethHeader + [0x86, 0xdd] + ipv6(next: 58, payload: na + target + tll + sll))
    #expect(k.isND && k.transportSource == 136)
    #expect(k.ndTarget.description == "fe80::9")
    #expect(k.arpSHA == EthernetAddress(0xa, 0xb, 0xc, 0xd, 0xe, 0xf) && k.arpTHA == EthernetAddress(1, 2, 3, 4, 5, 6))
    #expect(k.tcpFlags == 2)                          // first option type seen
    #expect(k.igmpGroup.rawValue == 0xe000_0000)      // the R/S/O flags word
    // The same option twice: target and addresses are dropped, the option type stays.
    let dup = extract(ethHeader + [0x86, 0xdd] + ipv6(next: 58, payload: na + target + sll + sll))
    #expect(dup.ndTarget == .any && dup.arpSHA == .zero && dup.tcpFlags == 1)
    // Code other than 0: plain ICMPv6.
    var coded = na
    coded[1] = 1
    let c = extract(ethHeader + [0x86, 0xdd] + ipv6(next: 58, payload: coded + target + sll))
    #expect(!c.isND && c.transportDestination == 1 && c.arpSHA == .zero)
}

@Test func igmpAndIcmp() {
    let igmp: [UInt8] = [0x16, 0, 0, 0, 239, 1, 2, 3]
    let k = extract(ethHeader + [0x08, 0x00] + ipv4(proto: 2, payload: igmp))
    #expect(k.transportSource == 0x16 && k.igmpGroup == IPv4Address(239, 1, 2, 3))
    let icmp: [UInt8] = [3, 4, 0, 0, 0, 0, 0, 0]
    let i = extract(ethHeader + [0x08, 0x00] + ipv4(proto: 1, payload: icmp))
    #expect(i.transportSource == 3 && i.transportDestination == 4)
}

@Test func metadataInitialiser() {
    let udp: [UInt8] = [0, 7, 0, 8, 0, 8, 0, 0]
    let frame = ethHeader + [0x08, 0x00] + ipv4(proto: 17, payload: udp)
    var md = PacketMetadata(inPort: DatapathPort(rawValue: 9))
    md.tunnel.ipv4Destination = IPv4Address(192, 0, 2, 1)
    md.tunnel.tunnelID = 42
    md.conntrack.state = [.tracked, .new]
    md.conntrack.zone = 3
    md.packetMark = 5
    md.conntrack.originalTuple = ConntrackTuple(
        addresses: .ipv4(source: IPv4Address(1, 1, 1, 1), destination: .any),
        networkProtocol: 17, sourcePort: 99)
    let k = frame.withUnsafeBytes { FlowKey(extractingFrom: $0, metadata: md) }
    #expect(k.tunnelID == 42 && k.ctZone == 3 && k.packetMark == 5)
    #expect(k.ctNetworkProtocol == 17 && k.ctIPv4Source == IPv4Address(1, 1, 1, 1) && k.ctTransportSource == 99)
    #expect(k.transportDestination == 8)
    // Same bytes, plain initialiser: the packet fields agree.
    let plain = extract(frame, inPort: 9)
    #expect(plain.equals(k, under: { var m = FlowMask.exact; for i in 0..<33 { m.words[i] = 0 }; m.words[39] = 0; m.words[56] = 0xffff_ffff_0000_0000; return m }()))
    // An L3 packet type: no Ethernet header, EtherType from the type.
    var l3 = PacketMetadata(inPort: DatapathPort(rawValue: 1))
    l3.packetType = 0x1_0800
    let ip = ipv4(proto: 17, payload: udp)
    let k3 = ip.withUnsafeBytes { FlowKey(extractingFrom: $0, metadata: l3) }
    #expect(k3.ethType == .ipv4 && k3.ethSource == .zero && k3.transportSource == 7)
}

@Test func inPlaceExtractionMatchesInitialiser() {
    var key = FlowKey()
    key.words[5] = 99      // stale contents must not survive
    for c in extractCases {
        c.bytes.withUnsafeBytes { key.extract(from: $0, inPort: 4) }
        #expect(key == extract(c.bytes, inPort: 4))
    }
}
