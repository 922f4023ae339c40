import Testing
import Flow
import Datapath
@testable import DPIF
import Wire

/// Frames of every kind the key codec carries.
let codecFrames: [(String, [UInt8])] = {
    let a = IPv4Address(rawValue: 0x0a00_0001), b = IPv4Address(rawValue: 0x0a00_0002)
    let a6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: 1), b6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: 2)
    let mac = EthernetAddress(rawValue: 0x0200_0000_0001)
    let eth = PacketBuilder.ethernet()
    return [
        ("tcp", eth.ipv4(source: a, destination: b, ttl: 9, typeOfService: 0x10).tcp(sourcePort: 1000, destinationPort: 80, flags: [.syn]).bytes),
        ("udp", eth.ipv4(source: a, destination: b).udp(sourcePort: 53, destinationPort: 5353).bytes),
        ("sctp", eth.ipv4(source: a, destination: b).sctp(sourcePort: 1, destinationPort: 2).bytes),
        ("icmp", eth.ipv4(source: a, destination: b).icmpv4Echo().bytes),
        ("icmp unreachable", eth.ipv4(source: a, destination: b).icmpv4(type: .destinationUnreachable, code: 3).bytes),
        ("igmp", eth.ipv4(source: a, destination: b).igmp(type: .v2MembershipReport, group: b).bytes),
        ("first fragment", eth.ipv4(source: a, destination: b, moreFragments: true).udp(sourcePort: 1, destinationPort: 2).bytes),
        ("later fragment", eth.ipv4(source: a, destination: b, fragmentOffset: 100, protocol: IPProtocol(rawValue: 17)).payload(count: 20).bytes),
        ("gre", eth.ipv4(source: a, destination: b).gre(key: 5).payload(count: 8).bytes),
        ("arp", eth.arp(senderHardwareAddress: mac, senderProtocolAddress: a, targetProtocolAddress: b).bytes),
        ("arp reply", eth.arp(operation: .reply, senderHardwareAddress: mac, senderProtocolAddress: a, targetHardwareAddress: mac, targetProtocolAddress: b).bytes),
        ("tcp6", eth.ipv6(source: a6, destination: b6, hopLimit: 3, trafficClass: 0x20, flowLabel: 0x12345).tcp(sourcePort: 1, destinationPort: 2).bytes),
        ("udp6", eth.ipv6(source: a6, destination: b6).udp(sourcePort: 546, destinationPort: 547).bytes),
        ("icmp6", eth.ipv6(source: a6, destination: b6).icmpv6Echo().bytes),
        ("nd solicit", eth.ipv6(source: a6, destination: b6).neighborSolicitation(target: b6, sourceLinkLayerAddress: mac).bytes),
        ("nd advert", eth.ipv6(source: a6, destination: b6).neighborAdvertisement(target: a6, targetLinkLayerAddress: mac).bytes),
        ("ipv6 fragment", eth.ipv6(source: a6, destination: b6).ipv6Fragment(offset: 10).payload(count: 16).bytes),
        ("ipv6 hop-by-hop", eth.ipv6(source: a6, destination: b6).ipv6HopByHop().udp(sourcePort: 7, destinationPort: 8).bytes),
        ("vlan", eth.vlan(5, priority: 3).ipv4(source: a, destination: b).udp(sourcePort: 1, destinationPort: 2).bytes),
        ("vlan arp", eth.vlan(7).arp(senderHardwareAddress: mac, senderProtocolAddress: a, targetProtocolAddress: b).bytes),
        ("qinq", eth.vlan(100, tpid: EtherType(rawValue: 0x88a8)).vlan(200).ipv6(source: a6, destination: b6).udp(sourcePort: 1, destinationPort: 2).bytes),
        ("triple tag", eth.vlan(1, tpid: EtherType(rawValue: 0x88a8)).vlan(2).vlan(3).ipv4(source: a, destination: b).bytes),
        ("mpls", eth.mpls(label: 100).mpls(label: 200, ttl: 3).ipv4(source: a, destination: b).bytes),
        ("mpls one", eth.mpls(label: 5, trafficClass: 2).ipv4(source: a, destination: b).bytes),
        ("llc", eth.llcSNAP(etherType: EtherType(rawValue: 0x0800)).payload(count: 30).bytes),
        ("no ethertype", Array(repeating: 0, count: 12) + [0x00, 0x40] + Array(repeating: 0xaa, count: 64)),
        ("unknown ethertype", Array(repeating: 1, count: 12) + [0x88, 0xcc] + Array(repeating: 0, count: 46)),
        ("runt", [0x01, 0x02, 0x03]),
    ]
}()

func extract(_ frame: [UInt8], inPort: UInt32 = 7) -> FlowKey {
    frame.withUnsafeBytes { FlowKey(extractingFrom: $0, inPort: inPort) }
}

struct FrameCase: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var frame: [UInt8]
}
let frameCases = codecFrames.map { FrameCase(testDescription: $0.0, frame: $0.1) }

/// A packet's key survives encoding: decoding gives the same key on every
/// field the datapath carries, and the exact mask those attributes imply;
/// encoding that pair again gives the same bytes and decodes to the same pair.
@Test(arguments: frameCases, [1, 0])
func packetKeysRoundTrip(_ c: FrameCase, vlanLimit: Int) throws {
    var key = extract(c.frame)
    key.skbPriority = 3
    key.packetMark = 0x55
    key.recirculationID = 2
    let bytes = FlowKeyCodec.encode(key: key, vlanLimit: vlanLimit)
    let (k, m) = try FlowKeyCodec.decode(key: bytes, mask: nil, vlanLimit: vlanLimit)
    // A frame too short for an EtherType decodes with OVS's FLOW_DL_TYPE_NONE.
    if key.ethType.rawValue < 0x600 { key.ethType = EtherType(rawValue: DatapathKeyAttributes.noEtherType) }
    #expect(k.masked(by: m) == key.masked(by: m))
    #expect(FlowKeyCodec.encode(key: k, vlanLimit: vlanLimit) == bytes)

    let (kb, mb) = FlowKeyCodec.encode(key: k, mask: m, vlanLimit: vlanLimit)
    let (k2, m2) = try FlowKeyCodec.decode(key: kb, mask: mb, vlanLimit: vlanLimit)
    #expect(k2 == k)
    #expect(m2 == m)
}

/// Masks narrowed at random keep their shape through the codec: one more
/// encode/decode changes nothing.
@Test(arguments: frameCases)
func maskedKeysAreStable(_ c: FrameCase) throws {
    var rng = SplitMix64(seed: UInt64(c.frame.count))
    let key = extract(c.frame)
    let (k, exact) = try FlowKeyCodec.decode(key: FlowKeyCodec.encode(key: key), mask: nil)
    for _ in 0..<20 {
        var mask = exact
        for i in 0..<FlowKey.wordCount { mask.words[i] &= rng.next() | rng.next() }
        mask.inPort = .none
        let (kb, mb) = FlowKeyCodec.encode(key: k, mask: mask)
        guard let (k2, m2) = try? FlowKeyCodec.decode(key: kb, mask: mb) else { continue }
        let (kb2, mb2) = FlowKeyCodec.encode(key: k2, mask: m2)
        #expect(kb2 == kb)
        #expect(mb2 == mb)
        let (k3, m3) = try FlowKeyCodec.decode(key: kb2, mask: mb2)
        #expect(k3 == k2)
        #expect(m3 == m2)
    }
}

/// The bytes are those of the kernel interface: little-endian u32 metadata,
/// network-order headers, ENCAP nesting.
@Test func encodingIsTheKernelLayout() throws {
    let (key, mask) = try DatapathKeyAttributes.parseFlow(
        "in_port(1),eth(src=00:01:02:03:04:05,dst=00:0a:0b:0c:0d:0e),eth_type(0x8100),vlan(vid=5),encap(eth_type(0x0800),ipv4(src=10.0.0.1,proto=6,frag=no),tcp(dst=80))")
    let (k, _) = FlowKeyCodec.encode(key: key, mask: mask)
    let attrs = try FlowKeyCodec.attributes(parsing: k.bytes)
    #expect(attrs.map(\.type) == [2, 15, 22, 23, 24, 25, 20, 19, 3, 29, 4, 6, 5, 1])
    #expect(FlowKeyCodec.bytes(of: [attrs[8]]) == [8, 0, 3, 0, 1, 0, 0, 0])
    #expect(attrs[10].payload == [0, 1, 2, 3, 4, 5, 0, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e])
    #expect(attrs[11].payload == [0x81, 0x00])
    #expect(attrs[12].payload == [0x10, 0x05])
    let inner = try #require(attrs[13].nested)
    #expect(inner.map(\.type) == [6, 7, 9])
    #expect(inner[1].payload == [10, 0, 0, 1, 0, 0, 0, 0, 6, 0, 0, 0])
    #expect(inner[2].payload == [0, 0, 0, 80])
}

/// Arbitrary bytes never trap the decoder.
@Test func arbitraryKeyBytesNeverTrap() {
    var rng = SplitMix64(seed: 42)
    let valid = FlowKeyCodec.encode(key: extract(codecFrames[0].1)).bytes
    for round in 0..<5000 {
        var bytes: [UInt8]
        if round % 2 == 0 {
            bytes = valid
            for _ in 0..<Int(rng.next() % 4 + 1) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
        } else {
            bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        guard let attrs = try? KeyAttributes(validating: bytes) else { continue }
        _ = try? FlowKeyCodec.decode(key: attrs, mask: attrs)
        _ = try? FlowKeyCodec.decode(key: attrs, mask: nil)
    }
}
