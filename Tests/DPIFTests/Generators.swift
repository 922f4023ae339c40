import Flow
import Datapath
@testable import DPIF
import Wire

/// A small deterministic generator for reproducible random tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Random values of every type the codec carries.
struct Gen {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func bool() -> Bool { Bool.random(using: &rng) }
    mutating func u8() -> UInt8 { UInt8.random(in: 0...255, using: &rng) }
    mutating func u16() -> UInt16 { UInt16.random(in: 0...UInt16.max, using: &rng) }
    mutating func u32() -> UInt32 { UInt32.random(in: 0...UInt32.max, using: &rng) }
    mutating func u64() -> UInt64 { rng.next() }
    mutating func i32() -> Int32 { Int32(bitPattern: u32()) }
    mutating func u128() -> UInt128 { UInt128(u64()) << 64 | UInt128(u64()) }
    mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }
    mutating func maybe<T>(_ make: (inout Gen) -> T) -> T? { bool() ? make(&self) : nil }
    mutating func array<T>(_ r: ClosedRange<Int>, _ make: (inout Gen) -> T) -> [T] {
        (0..<int(r)).map { _ in make(&self) }
    }
    mutating func bytes(_ r: ClosedRange<Int>) -> [UInt8] { array(r) { $0.u8() } }
    mutating func name() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789-_.é")
        return String((0..<int(1...15)).map { _ in letters[int(0...letters.count - 1)] })
    }
    mutating func port() -> DatapathPort { DatapathPort(u32()) }
    mutating func mac() -> EthernetAddress { EthernetAddress(rawValue: u64()) }
    mutating func ipv4() -> IPv4Address { IPv4Address(rawValue: u32()) }
    mutating func ipv6() -> IPv6Address { IPv6Address(high: u64(), low: u64()) }
    mutating func duration() -> Duration { Milliseconds.decode(u64()) }

    // MARK: Keys and actions

    mutating func keyAttributes() -> KeyAttributes {
        var g = self
        let key = KeyAttributes { e in
            for _ in 0..<g.int(0...6) { e.put(UInt16(g.int(0...40)), bytes: g.bytes(0...20)) }
        }
        self = g
        return key
    }

    mutating func tunnel() -> TunnelMetadata {
        TunnelMetadata(tunnelID: maybe { $0.u64() },
                       ipv4Source: bool() ? ipv4() : .any, ipv4Destination: bool() ? ipv4() : .any,
                       ipv6Source: bool() ? ipv6() : .any, ipv6Destination: bool() ? ipv6() : .any,
                       tos: u8(), ttl: u8(), flags: TunnelFlags(rawValue: u16() & 7),
                       sourcePort: u16(), destinationPort: u16())
    }

    mutating func ethernet() -> EthernetKey { EthernetKey(source: mac(), destination: mac()) }
    mutating func ipv4Key() -> IPv4Key {
        IPv4Key(source: ipv4(), destination: ipv4(), proto: IPProtocol(rawValue: u8()), tos: u8(), ttl: u8(),
                fragment: FragmentType(rawValue: u8()))
    }
    mutating func ipv6Key() -> IPv6Key {
        IPv6Key(source: ipv6(), destination: ipv6(), label: u32(), proto: IPProtocol(rawValue: u8()),
                trafficClass: u8(), hopLimit: u8(), fragment: FragmentType(rawValue: u8()))
    }
    mutating func ports() -> TransportPorts { TransportPorts(source: u16(), destination: u16()) }
    mutating func icmp() -> ICMPKey { ICMPKey(type: u8(), code: u8()) }
    mutating func arp() -> ARPKey {
        ARPKey(senderIP: ipv4(), targetIP: ipv4(), operation: u16(), senderMAC: mac(), targetMAC: mac())
    }
    mutating func nd() -> NDKey { NDKey(target: ipv6(), sourceLinkLayer: mac(), targetLinkLayer: mac()) }
    mutating func mpls() -> MPLSLabelStackEntry { MPLSLabelStackEntry(rawValue: u32()) }

    mutating func setField() -> SetField {
        switch int(0...13) {
        case 0: .ethernet(ethernet())
        case 1: .ipv4(ipv4Key())
        case 2: .ipv6(ipv6Key())
        case 3: .tcp(ports())
        case 4: .udp(ports())
        case 5: .sctp(ports())
        case 6: .icmp(icmp())
        case 7: .icmpv6(icmp())
        case 8: .arp(arp())
        case 9: .nd(nd())
        case 10: .mpls(mpls())
        case 11: .skbPriority(u32())
        case 12: .packetMark(u32())
        default: .tunnel(tunnel())
        }
    }

    mutating func maskedField() -> MaskedSetField {
        switch int(0...12) {
        case 0: .ethernet(Masked(ethernet(), mask: ethernet()))
        case 1: .ipv4(Masked(ipv4Key(), mask: ipv4Key()))
        case 2: .ipv6(Masked(ipv6Key(), mask: ipv6Key()))
        case 3: .tcp(Masked(ports(), mask: ports()))
        case 4: .udp(Masked(ports(), mask: ports()))
        case 5: .sctp(Masked(ports(), mask: ports()))
        case 6: .icmp(Masked(icmp(), mask: icmp()))
        case 7: .icmpv6(Masked(icmp(), mask: icmp()))
        case 8: .arp(Masked(arp(), mask: arp()))
        case 9: .nd(Masked(nd(), mask: nd()))
        case 10: .mpls(Masked(mpls(), mask: mpls()))
        case 11: .skbPriority(Masked(u32(), mask: u32()))
        default: .packetMark(Masked(u32(), mask: u32()))
        }
    }

    mutating func natAddress() -> NATAddress { bool() ? .ipv4(ipv4()) : .ipv6(ipv6()) }

    mutating func conntrack() -> ConntrackAction {
        ConntrackAction(
            commit: bool(), forceCommit: bool(), zone: bool() ? u16() : 0,
            mark: maybe { Masked($0.u32(), mask: $0.u32()) },
            labels: maybe { Masked($0.u128(), mask: $0.u128()) },
            helper: maybe { $0.name() }, timeoutPolicy: maybe { $0.name() }, eventMask: maybe { $0.u32() },
            nat: maybe { g in
                NATAction(kind: [NATKind.source, .destination, nil][g.int(0...2)],
                          minimumAddress: g.maybe { $0.natAddress() }, maximumAddress: g.maybe { $0.natAddress() },
                          minimumPort: g.maybe { $0.u16() }, maximumPort: g.maybe { $0.u16() },
                          isPersistent: g.bool(), usesHashedPorts: g.bool(), usesRandomPorts: g.bool())
            })
    }

    mutating func action(depth: Int = 0) -> DatapathAction {
        let nestable = depth < 3
        switch int(0...(nestable ? 26 : 23)) {
        case 0: return .output(port())
        case 1:
            return .userspace(UserspaceAction(pid: u32(), userdata: maybe { $0.bytes(0...24) },
                                              egressTunnelPort: maybe { $0.port() }, includesActions: bool()))
        case 2: return .set(setField())
        case 3: return .setMasked(maskedField())
        case 4: return .pushVLAN(VLANPush(tagProtocol: bool() ? .customer : .service, tci: u16()))
        case 5: return .popVLAN
        case 6: return .recirculate(u32())
        case 7: return .hash(HashAction(algorithm: HashAlgorithm(rawValue: u32()), basis: u32()))
        case 8: return .pushMPLS(MPLSPush(entry: mpls(), etherType: EtherType(rawValue: u16())))
        case 9: return .popMPLS(EtherType(rawValue: u16()))
        case 10: return .addMPLS(MPLSAdd(entry: mpls(), etherType: EtherType(rawValue: u16()), isL3Tunnel: bool()))
        case 11: return .conntrack(conntrack())
        case 12: return .conntrackClear
        case 13: return .truncate(u32())
        case 14: return .pushEthernet(ethernet())
        case 15: return .popEthernet
        case 16: return .meter(MeterID(u32()))
        case 17:
            return .tunnelPush(TunnelPush(tunnelPort: port(), outPort: port(), tunnelType: TunnelType(rawValue: u32()),
                                          header: bytes(0...TunnelPush.maximumHeaderLength)))
        case 18: return .tunnelPop(port())
        case 19: return .drop(DropCode(rawValue: u32()))
        case 20: return .loadBalancedOutput(bondID: u32())
        case 21, 22, 23: return .output(port())
        case 24: return .sample(SampleAction(probability: u32(), actions: actions(depth: depth + 1)))
        case 25: return .clone(actions(depth: depth + 1))
        default:
            return .checkPacketLength(CheckPacketLength(length: u16(), ifGreater: actions(depth: depth + 1),
                                                        ifLessOrEqual: actions(depth: depth + 1)))
        }
    }

    mutating func actions(depth: Int = 0) -> [DatapathAction] {
        array(0...4) { $0.action(depth: depth) }
    }

    // MARK: Messages

    mutating func command() -> DPIFCommand { DPIFCommand.allCases[int(0...4)] }

    mutating func datapathRequest() -> DatapathRequest {
        let c = command()
        return DatapathRequest(command: c, datapathIndex: i32(),
                               name: c == .new ? name() : maybe { $0.name() },
                               upcallPID: c == .new ? u32() : maybe { $0.u32() },
                               userFeatures: maybe { DatapathFeatures(rawValue: $0.u32()) },
                               masksCacheSize: maybe { $0.u32() }, perCPUUpcallPIDs: maybe { $0.array(0...8) { $0.u32() } })
    }

    mutating func datapathReply() -> DatapathReply {
        DatapathReply(command: command(), datapathIndex: i32(), name: name(), upcallPID: maybe { $0.u32() },
                      stats: DatapathStats(hit: u64(), missed: u64(), lost: u64(), flows: u64()),
                      megaflowStats: maybe { MegaflowStats(maskHits: $0.u64(), masks: $0.u32(), cacheHits: $0.u64()) },
                      userFeatures: maybe { DatapathFeatures(rawValue: $0.u32()) }, masksCacheSize: maybe { $0.u32() },
                      perCPUUpcallPIDs: maybe { $0.array(0...8) { $0.u32() } })
    }

    mutating func vportOptions() -> VportOptions {
        VportOptions(destinationPort: maybe { $0.u16() }, extensions: array(0...3) { UInt16($0.int(0...20)) })
    }

    mutating func portStats() -> PortStats {
        PortStats(rxPackets: u64(), txPackets: u64(), rxBytes: u64(), txBytes: u64(),
                  rxErrors: u64(), txErrors: u64(), rxDropped: u64(), txDropped: u64())
    }

    mutating func vportRequest() -> VportRequest {
        let c = command()
        return VportRequest(command: c, datapathIndex: i32(), portNumber: maybe { $0.port() },
                            type: c == .new ? VportType(rawValue: u32()) : maybe { VportType(rawValue: $0.u32()) },
                            name: c == .new ? name() : maybe { $0.name() }, options: maybe { $0.vportOptions() },
                            upcallPIDs: c == .new ? array(0...4) { $0.u32() } : maybe { $0.array(0...4) { $0.u32() } })
    }

    mutating func vportReply() -> VportReply {
        VportReply(command: command(), datapathIndex: i32(), portNumber: port(), type: VportType(rawValue: u32()),
                   name: name(), upcallPIDs: maybe { $0.array(0...4) { $0.u32() } }, stats: maybe { $0.portStats() },
                   options: maybe { $0.vportOptions() }, ifindex: maybe { $0.i32() }, netnsID: maybe { $0.i32() })
    }

    mutating func flowRequest() -> FlowRequest {
        let c = command()
        var r = FlowRequest(command: c, datapathIndex: i32(), key: maybe { $0.keyAttributes() },
                            mask: maybe { $0.keyAttributes() }, actions: maybe { $0.actions() },
                            ufid: maybe { FlowUFID(rawValue: $0.u128()) },
                            ufidFlags: maybe { UFIDFlags(rawValue: $0.u32()) }, clearsStats: bool(), isProbe: bool())
        if c == .new {
            if r.key == nil { r.key = keyAttributes() }
            if r.actions == nil { r.actions = actions() }
        }
        if (c == .get || c == .set), r.key == nil, r.ufid == nil { r.ufid = FlowUFID(rawValue: u128()) }
        return r
    }

    mutating func flowReply() -> FlowReply {
        FlowReply(command: command(), datapathIndex: i32(), key: maybe { $0.keyAttributes() },
                  mask: maybe { $0.keyAttributes() }, actions: maybe { $0.actions() },
                  ufid: maybe { FlowUFID(rawValue: $0.u128()) },
                  stats: maybe { FlowStats(packets: $0.u64(), bytes: $0.u64()) }, used: maybe { $0.duration() },
                  tcpFlags: maybe { $0.u8() })
    }

    mutating func packetExecute() -> PacketExecute {
        PacketExecute(datapathIndex: i32(), packet: bytes(0...200), key: keyAttributes(), actions: actions(),
                      isProbe: bool(), mru: maybe { $0.u16() }, hash: maybe { $0.u64() })
    }

    mutating func packetUpcall() -> PacketUpcall {
        PacketUpcall(kind: bool() ? .miss : .action, datapathIndex: i32(), packet: bytes(0...200),
                     key: keyAttributes(), userdata: maybe { $0.bytes(0...16) }, egressTunnelKey: maybe { $0.tunnel() },
                     actions: maybe { $0.actions() }, mru: maybe { $0.u16() }, originalLength: maybe { $0.u32() },
                     hash: maybe { $0.u64() })
    }

    mutating func band(withStats: Bool) -> MeterBand {
        MeterBand(type: MeterBandType(rawValue: u32()), rate: u32(), burst: u32(),
                  stats: withStats ? maybe { FlowStats(packets: $0.u64(), bytes: $0.u64()) } : nil)
    }

    mutating func meterRequest() -> MeterRequest {
        let c = MeterCommand.allCases[int(0...4)]
        let needsID = c == .set || c == .delete || c == .get
        return MeterRequest(command: c, datapathIndex: i32(),
                            meterID: needsID ? MeterID(u32()) : maybe { MeterID($0.u32()) },
                            flags: bool() ? .kilobitsPerSecond : [],
                            bands: c == .set ? array(0...3) { $0.band(withStats: false) }
                                : maybe { $0.array(0...3) { $0.band(withStats: false) } },
                            clearsStats: bool())
    }

    mutating func meterReply() -> MeterReply {
        let c = MeterCommand.allCases[int(0...4)]
        return MeterReply(command: c, datapathIndex: i32(), meterID: maybe { MeterID($0.u32()) },
                          flags: bool() ? .kilobitsPerSecond : [],
                          stats: maybe { FlowStats(packets: $0.u64(), bytes: $0.u64()) },
                          bands: maybe { $0.array(0...3) { $0.band(withStats: true) } }, used: maybe { $0.duration() },
                          maximumMeters: c == .features ? u32() : maybe { $0.u32() },
                          maximumBands: c == .features ? u32() : maybe { $0.u32() })
    }

    mutating func conntrackLimits() -> ConntrackLimitMessage {
        ConntrackLimitMessage(command: ConntrackLimitCommand.allCases[int(0...2)], datapathIndex: i32(),
                              limits: maybe { g in
                                  g.array(0...5) { g in
                                      ZoneLimit(zone: g.bool() ? .default : .zone(g.u16()), limit: g.u32(), count: g.u32())
                                  }
                              })
    }
}
