import Flow
import Wire

/// The text of datapath actions, as Open vSwitch's `format_odp_actions`
/// writes them and `odp_actions_from_string` reads them
/// (`dpctl/dump-flows`, `dpctl/add-flow`).
public enum DatapathActionText {
    /// The actions as `dpctl/dump-flows` prints them (`drop` for none);
    /// output ports found in `portNames` print as names (`dump-flows -m`).
    public static func formatted(_ actions: [DatapathAction], portNames: [UInt32: String] = [:]) -> String {
        var out = TextBuffer()
        format(actions, into: &out, portNames: portNames)
        return out.string
    }

    /// Appends `formatted(actions)` to `out`.
    public static func format(_ actions: [DatapathAction], into out: inout TextBuffer,
                              portNames: [UInt32: String] = [:]) {
        if actions.isEmpty { out.append("drop"); return }
        formatList(actions, into: &out, portNames: portNames)
    }

    static func formatList(_ actions: [DatapathAction], into out: inout TextBuffer, portNames: [UInt32: String]) {
        for (i, a) in actions.enumerated() {
            if i > 0 { out.append(byte: 0x2c) }
            formatOne(a, into: &out, portNames: portNames)
        }
    }

    /// A port as `odp_portno_name_format` writes it: its name, else its number.
    static func formatPort(_ p: DatapathPort, into out: inout TextBuffer, portNames: [UInt32: String]) {
        if let name = portNames[p.rawValue] { out.append(name) } else { out.append(decimal: UInt64(p.rawValue)) }
    }

    static func formatOne(_ action: DatapathAction, into out: inout TextBuffer, portNames: [UInt32: String]) {
        switch action {
        case .output(let p): formatPort(p, into: &out, portNames: portNames)
        case .userspace(let u):
            out.append("userspace(pid="); out.append(decimal: UInt64(u.pid))
            if let d = u.userdata, !UserspaceCookie.format(d, into: &out) {
                out.append(",userdata(")
                for b in d { out.append(hex: UInt64(b), width: 2) }
                out.append(")")
            }
            if u.includesActions { out.append(",actions") }
            if let t = u.egressTunnelPort { out.append(",tunnel_out_port="); out.append(decimal: UInt64(t.rawValue)) }
            out.append(")")
        case .set(let s):
            out.append("set(")
            let a = setAttribute(s)
            DatapathKeyAttributes.formatAttribute(a, nil, into: &out, verbose: true)
            out.append(")")
        case .setMasked(let s):
            out.append("set(")
            let (k, m) = maskedSetAttributes(s)
            DatapathKeyAttributes.formatAttribute(k, m, into: &out, verbose: false)
            out.append(")")
        case .pushVLAN(let v):
            out.append("push_vlan(")
            if v.tagProtocol != .customer { out.append("tpid=0x"); out.append(hex: UInt64(v.tagProtocol.rawValue), width: 4); out.append(",") }
            DatapathKeyAttributes.formatVLANTCI(v.tci, into: &out)
            out.append(")")
        case .popVLAN: out.append("pop_vlan")
        case .sample(let s):
            out.append("sample(sample=")
            appendPercentage(&out, Double(s.probability) * 100.0 / Double(UInt32.max))
            out.append("%,actions(")
            format(s.actions, into: &out, portNames: portNames)
            out.append("))")
        case .recirculate(let id): out.append("recirc("); out.append(alternateHex: UInt64(id)); out.append(")")
        case .hash(let h):
            out.append("hash(")
            if h.algorithm == .l4 { out.append("l4(") } else if h.algorithm == .symmetricL4 { out.append("sym_l4(") } else {
                out.append("Unknown hash algorithm("); out.append(decimal: UInt64(h.algorithm.rawValue)); out.append(")")
                out.append(")")
                return
            }
            out.append(decimal: UInt64(h.basis)); out.append("))")
        case .pushMPLS(let p):
            out.append("push_mpls("); appendLSE(&out, p.entry.rawValue)
            out.append(",eth_type=0x"); out.append(hex: UInt64(p.etherType.rawValue)); out.append(")")
        case .popMPLS(let t): out.append("pop_mpls(eth_type=0x"); out.append(hex: UInt64(t.rawValue)); out.append(")")
        case .addMPLS(let p):
            out.append("add_mpls("); appendLSE(&out, p.entry.rawValue)
            out.append(",eth_type=0x"); out.append(hex: UInt64(p.etherType.rawValue)); out.append(")")
        case .conntrack(let c): formatConntrack(c, into: &out)
        case .conntrackClear: out.append("ct_clear")
        case .truncate(let n): out.append("trunc("); out.append(decimal: UInt64(n)); out.append(")")
        case .pushEthernet(let e):
            out.append("push_eth(src="); out.append(ethernet: e.source.rawValue)
            out.append(",dst="); out.append(ethernet: e.destination.rawValue); out.append(")")
        case .popEthernet: out.append("pop_eth")
        case .meter(let m): out.append("meter("); out.append(decimal: UInt64(m.rawValue)); out.append(")")
        case .clone(let list): out.append("clone("); format(list, into: &out, portNames: portNames); out.append(")")
        case .checkPacketLength(let c):
            out.append("check_pkt_len(size="); out.append(decimal: UInt64(c.length)); out.append(",gt(")
            format(c.ifGreater, into: &out, portNames: portNames)
            out.append("),le(")
            format(c.ifLessOrEqual, into: &out, portNames: portNames)
            out.append("))")
        case .tunnelPush(let t):
            out.append("tnl_push(tnl_port("); out.append(decimal: UInt64(t.tunnelPort.rawValue))
            out.append("),header(size="); out.append(decimal: UInt64(t.header.count))
            out.append(",type="); out.append(decimal: UInt64(t.tunnelType.rawValue)); out.append(",raw(")
            for b in t.header { out.append(hex: UInt64(b), width: 2) }
            out.append(")),out_port("); out.append(decimal: UInt64(t.outPort.rawValue)); out.append("))")
        case .tunnelPop(let p): out.append("tnl_pop("); formatPort(p, into: &out, portNames: portNames); out.append(")")
        case .drop: out.append("drop")
        case .loadBalancedOutput(let id): out.append("lb_output("); out.append(decimal: UInt64(id)); out.append(")")
        }
    }

    static func appendLSE(_ out: inout TextBuffer, _ lse: UInt32) {
        out.append("label="); out.append(decimal: UInt64(lse >> 12))
        out.append(",tc="); out.append(decimal: UInt64(lse >> 9 & 7))
        out.append(",ttl="); out.append(decimal: UInt64(lse & 0xff))
        out.append(",bos="); out.append(decimal: UInt64(lse >> 8 & 1))
    }

    /// `%.1f`.
    static func appendPercentage(_ out: inout TextBuffer, _ v: Double) {
        let tenths = (v * 10).rounded(.toNearestOrEven)
        let t = UInt64(max(0, tenths))
        out.append(decimal: t / 10); out.append("."); out.append(decimal: t % 10)
    }

    static func formatConntrack(_ c: ConntrackAction, into out: inout TextBuffer) {
        out.append("ct")
        guard c.commit || c.forceCommit || c.zone != 0 || c.mark != nil || c.labels != nil || c.helper != nil
            || c.timeoutPolicy != nil || c.nat != nil else { return }
        out.append("(")
        if c.commit { out.append("commit,") }
        if c.forceCommit { out.append("force_commit,") }
        if c.zone != 0 { out.append("zone="); out.append(decimal: UInt64(c.zone)); out.append(",") }
        if let m = c.mark {
            out.append("mark="); out.append(alternateHex: UInt64(m.value)); out.append("/")
            out.append(alternateHex: UInt64(m.mask)); out.append(",")
        }
        if let l = c.labels {
            out.append("label=")
            DatapathKeyAttributes.formatU128(&out, UInt64(l.value >> 64), UInt64(truncatingIfNeeded: l.value))
            if l.mask != .max {
                out.append("/")
                DatapathKeyAttributes.formatU128(&out, UInt64(l.mask >> 64), UInt64(truncatingIfNeeded: l.mask))
            }
            out.append(",")
        }
        if let h = c.helper { out.append("helper="); out.append(h); out.append(",") }
        if let t = c.timeoutPolicy { out.append("timeout="); out.append(t); out.append(",") }
        if let n = c.nat {
            out.append("nat")
            if let kind = n.kind {
                out.append("(")
                out.append(kind == .source ? "src" : "dst")
                if let lo = n.minimumAddress {
                    out.append("=")
                    switch lo {
                    case .ipv4(let a):
                        out.append(ipv4: a.rawValue)
                        if case .ipv4(let b)? = n.maximumAddress, b != a, b.rawValue != 0 { out.append("-"); out.append(ipv4: b.rawValue) }
                    case .ipv6(let a):
                        let bracket = (n.minimumPort ?? 0) != 0
                        if bracket { out.append("[") }
                        out.append(ipv6: a)
                        if bracket { out.append("]") }
                        if case .ipv6(let b)? = n.maximumAddress, b != a, b != .any {
                            out.append("-")
                            if bracket { out.append("[") }
                            out.append(ipv6: b)
                            if bracket { out.append("]") }
                        }
                    }
                    if let p = n.minimumPort, p != 0 {
                        out.append(":"); out.append(decimal: UInt64(p))
                        if let q = n.maximumPort, q != 0, q != p { out.append("-"); out.append(decimal: UInt64(q)) }
                    }
                }
                out.append(",")
                if n.isPersistent { out.append("persistent,") }
                if n.usesHashedPorts { out.append("hash,") }
                if n.usesRandomPorts { out.append("random,") }
                out.chomp(0x2c)
                out.append(")")
            }
        }
        out.chomp(0x2c)
        out.append(")")
    }

    // MARK: set payloads

    typealias T = DatapathKeyAttributeType

    static func setAttribute(_ s: SetField) -> DatapathKeyAttribute {
        var w = SetPayloadWriter()
        let type: UInt16
        switch s {
        case .ethernet(let e): type = T.ethernet; w.ethernet(e)
        case .ipv4(let k): type = T.ipv4; w.ipv4(k)
        case .ipv6(let k): type = T.ipv6; w.ipv6(k)
        case .tcp(let p): type = T.tcp; w.ports(p)
        case .udp(let p): type = T.udp; w.ports(p)
        case .sctp(let p): type = T.sctp; w.ports(p)
        case .icmp(let k): type = T.icmp; w.icmp(k)
        case .icmpv6(let k): type = T.icmpv6; w.icmp(k)
        case .arp(let k): type = T.arp; w.arp(k)
        case .nd(let k): type = T.nd; w.nd(k)
        case .mpls(let e): type = T.mpls; w.be(UInt64(e.rawValue), 4)
        case .skbPriority(let v): type = T.priority; w.le32(v)
        case .packetMark(let v): type = T.skbMark; w.le32(v)
        case .tunnel(let t):
            return DatapathKeyAttribute(type: T.tunnel, nested: tunnelAttributes(t))
        }
        return DatapathKeyAttribute(type: type, payload: w.bytes)
    }

    typealias TA = DatapathTunnelAttributeType

    /// The nested attributes of `set(tunnel(...))` (`tun_key_to_attr`).
    static func tunnelAttributes(_ t: TunnelMetadata) -> [DatapathKeyAttribute] {
        var out: [DatapathKeyAttribute] = []
        func put(_ type: UInt16, _ body: (inout SetPayloadWriter) -> Void) {
            var w = SetPayloadWriter()
            body(&w)
            out.append(DatapathKeyAttribute(type: type, payload: w.bytes))
        }
        if let id = t.tunnelID { put(TA.id) { $0.be(id, 8) } }
        if t.ipv4Source.rawValue != 0 { put(TA.ipv4Source) { $0.be(UInt64(t.ipv4Source.rawValue), 4) } }
        if t.ipv4Destination.rawValue != 0 { put(TA.ipv4Destination) { $0.be(UInt64(t.ipv4Destination.rawValue), 4) } }
        if t.ipv6Source != .any { put(TA.ipv6Source) { $0.ipv6(t.ipv6Source) } }
        if t.ipv6Destination != .any { put(TA.ipv6Destination) { $0.ipv6(t.ipv6Destination) } }
        if t.tos != 0 { put(TA.tos) { $0.bytes.append(t.tos) } }
        put(TA.ttl) { $0.bytes.append(t.ttl) }
        if t.flags.contains(.dontFragment) { put(TA.dontFragment) { _ in } }
        if t.flags.contains(.checksum) { put(TA.checksum) { _ in } }
        if t.sourcePort != 0 { put(TA.transportSource) { $0.be(UInt64(t.sourcePort), 2) } }
        if t.destinationPort != 0 { put(TA.transportDestination) { $0.be(UInt64(t.destinationPort), 2) } }
        if t.flags.contains(.oam) { put(TA.oam) { _ in } }
        return out
    }

    /// The tunnel a `set(tunnel(...))` writes, or `nil` for options svs cannot carry.
    static func tunnelMetadata(_ list: [DatapathKeyAttribute]) -> TunnelMetadata? {
        var t = TunnelMetadata()
        for a in list {
            let r = Reader(a.payload)
            switch a.type {
            case TA.id: t.tunnelID = r.be64(0)
            case TA.ipv4Source: t.ipv4Source = IPv4Address(rawValue: r.be32(0))
            case TA.ipv4Destination: t.ipv4Destination = IPv4Address(rawValue: r.be32(0))
            case TA.ipv6Source: t.ipv6Source = r.ipv6(0)
            case TA.ipv6Destination: t.ipv6Destination = r.ipv6(0)
            case TA.tos: t.tos = r.u8(0)
            case TA.ttl: t.ttl = r.u8(0)
            case TA.dontFragment: t.flags.insert(.dontFragment)
            case TA.checksum: t.flags.insert(.checksum)
            case TA.oam: t.flags.insert(.oam)
            case TA.transportSource: t.sourcePort = r.be16(0)
            case TA.transportDestination: t.destinationPort = r.be16(0)
            default: return nil
            }
        }
        return t
    }

    static func maskedSetAttributes(_ s: MaskedSetField) -> (DatapathKeyAttribute, DatapathKeyAttribute) {
        func pair(_ v: SetField, _ m: SetField) -> (DatapathKeyAttribute, DatapathKeyAttribute) { (setAttribute(v), setAttribute(m)) }
        switch s {
        case .ethernet(let x): return pair(.ethernet(x.value), .ethernet(x.mask))
        case .ipv4(let x): return pair(.ipv4(x.value), .ipv4(x.mask))
        case .ipv6(let x): return pair(.ipv6(x.value), .ipv6(x.mask))
        case .tcp(let x): return pair(.tcp(x.value), .tcp(x.mask))
        case .udp(let x): return pair(.udp(x.value), .udp(x.mask))
        case .sctp(let x): return pair(.sctp(x.value), .sctp(x.mask))
        case .icmp(let x): return pair(.icmp(x.value), .icmp(x.mask))
        case .icmpv6(let x): return pair(.icmpv6(x.value), .icmpv6(x.mask))
        case .arp(let x): return pair(.arp(x.value), .arp(x.mask))
        case .nd(let x): return pair(.nd(x.value), .nd(x.mask))
        case .mpls(let x): return pair(.mpls(x.value), .mpls(x.mask))
        case .skbPriority(let x): return pair(.skbPriority(x.value), .skbPriority(x.mask))
        case .packetMark(let x): return pair(.packetMark(x.value), .packetMark(x.mask))
        }
    }

    /// The typed `set` payload of a key attribute, or `nil` if `set` cannot carry it.
    static func setField(_ a: DatapathKeyAttribute) -> SetField? {
        let r = Reader(a.payload)
        guard let n = DatapathKeyAttributeType.expectedLength(a.type), (n == a.payload.count || (a.type == T.mpls && a.payload.count == 4)) else { return nil }
        switch a.type {
        case T.ethernet: return .ethernet(EthernetKey(source: EthernetAddress(rawValue: r.eth(0)), destination: EthernetAddress(rawValue: r.eth(6))))
        case T.ipv4:
            return .ipv4(IPv4Key(source: IPv4Address(rawValue: r.be32(0)), destination: IPv4Address(rawValue: r.be32(4)),
                                 proto: IPProtocol(rawValue: r.u8(8)), tos: r.u8(9), ttl: r.u8(10), fragment: FragmentType(rawValue: r.u8(11))))
        case T.ipv6:
            return .ipv6(IPv6Key(source: r.ipv6(0), destination: r.ipv6(16), label: r.be32(32), proto: IPProtocol(rawValue: r.u8(36)),
                                 trafficClass: r.u8(37), hopLimit: r.u8(38), fragment: FragmentType(rawValue: r.u8(39))))
        case T.tcp: return .tcp(TransportPorts(source: r.be16(0), destination: r.be16(2)))
        case T.udp: return .udp(TransportPorts(source: r.be16(0), destination: r.be16(2)))
        case T.sctp: return .sctp(TransportPorts(source: r.be16(0), destination: r.be16(2)))
        case T.icmp: return .icmp(ICMPKey(type: r.u8(0), code: r.u8(1)))
        case T.icmpv6: return .icmpv6(ICMPKey(type: r.u8(0), code: r.u8(1)))
        case T.arp:
            return .arp(ARPKey(senderIP: IPv4Address(rawValue: r.be32(0)), targetIP: IPv4Address(rawValue: r.be32(4)), operation: r.be16(8),
                               senderMAC: EthernetAddress(rawValue: r.eth(10)), targetMAC: EthernetAddress(rawValue: r.eth(16))))
        case T.nd: return .nd(NDKey(target: r.ipv6(0), sourceLinkLayer: EthernetAddress(rawValue: r.eth(16)), targetLinkLayer: EthernetAddress(rawValue: r.eth(22))))
        case T.mpls: return .mpls(MPLSLabelStackEntry(rawValue: r.be32(0)))
        case T.priority: return .skbPriority(r.le32(0))
        case T.skbMark: return .packetMark(r.le32(0))
        default: return nil
        }
    }

    static func maskedSetField(_ k: DatapathKeyAttribute, _ m: DatapathKeyAttribute) -> MaskedSetField? {
        guard let v = setField(k), let w = setField(m) else { return nil }
        switch (v, w) {
        case (.ethernet(let a), .ethernet(let b)): return .ethernet(Masked(a, mask: b))
        case (.ipv4(let a), .ipv4(let b)): return .ipv4(Masked(a, mask: b))
        case (.ipv6(let a), .ipv6(let b)): return .ipv6(Masked(a, mask: b))
        case (.tcp(let a), .tcp(let b)): return .tcp(Masked(a, mask: b))
        case (.udp(let a), .udp(let b)): return .udp(Masked(a, mask: b))
        case (.sctp(let a), .sctp(let b)): return .sctp(Masked(a, mask: b))
        case (.icmp(let a), .icmp(let b)): return .icmp(Masked(a, mask: b))
        case (.icmpv6(let a), .icmpv6(let b)): return .icmpv6(Masked(a, mask: b))
        case (.arp(let a), .arp(let b)): return .arp(Masked(a, mask: b))
        case (.nd(let a), .nd(let b)): return .nd(Masked(a, mask: b))
        case (.mpls(let a), .mpls(let b)): return .mpls(Masked(a, mask: b))
        case (.skbPriority(let a), .skbPriority(let b)): return .skbPriority(Masked(a, mask: b))
        case (.packetMark(let a), .packetMark(let b)): return .packetMark(Masked(a, mask: b))
        default: return nil
        }
    }
}

/// Big-endian/little-endian payload building for `set` keys.
struct SetPayloadWriter {
    var bytes: [UInt8] = []
    mutating func be(_ v: UInt64, _ n: Int) { for i in (0..<n).reversed() { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) } }
    mutating func le32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(8 * i))) } }
    mutating func eth(_ a: EthernetAddress) { be(a.rawValue, 6) }
    mutating func ipv6(_ a: IPv6Address) { be(a.high, 8); be(a.low, 8) }
    mutating func ethernet(_ e: EthernetKey) { eth(e.source); eth(e.destination) }
    mutating func ipv4(_ k: IPv4Key) {
        be(UInt64(k.source.rawValue), 4); be(UInt64(k.destination.rawValue), 4)
        bytes += [k.proto.rawValue, k.tos, k.ttl, k.fragment.rawValue]
    }
    mutating func ipv6(_ k: IPv6Key) {
        ipv6(k.source); ipv6(k.destination); be(UInt64(k.label), 4)
        bytes += [k.proto.rawValue, k.trafficClass, k.hopLimit, k.fragment.rawValue]
    }
    mutating func ports(_ p: TransportPorts) { be(UInt64(p.source), 2); be(UInt64(p.destination), 2) }
    mutating func icmp(_ k: ICMPKey) { bytes += [k.type, k.code] }
    mutating func arp(_ k: ARPKey) {
        be(UInt64(k.senderIP.rawValue), 4); be(UInt64(k.targetIP.rawValue), 4); be(UInt64(k.operation), 2)
        eth(k.senderMAC); eth(k.targetMAC); bytes += [0, 0]
    }
    mutating func nd(_ k: NDKey) { ipv6(k.target); eth(k.sourceLinkLayer); eth(k.targetLinkLayer) }
}

struct Reader {
    let b: [UInt8]
    init(_ b: [UInt8]) { self.b = b }
    func u8(_ i: Int) -> UInt8 { i < b.count ? b[i] : 0 }
    func be16(_ i: Int) -> UInt16 { UInt16(u8(i)) << 8 | UInt16(u8(i + 1)) }
    func be32(_ i: Int) -> UInt32 { UInt32(be16(i)) << 16 | UInt32(be16(i + 2)) }
    func be64(_ i: Int) -> UInt64 { UInt64(be32(i)) << 32 | UInt64(be32(i + 4)) }
    func le32(_ i: Int) -> UInt32 { UInt32(u8(i)) | UInt32(u8(i + 1)) << 8 | UInt32(u8(i + 2)) << 16 | UInt32(u8(i + 3)) << 24 }
    func eth(_ i: Int) -> UInt64 { UInt64(be16(i)) << 32 | UInt64(be32(i + 2)) }
    func ipv6(_ i: Int) -> IPv6Address { IPv6Address(high: be64(i), low: be64(i + 8)) }
}
