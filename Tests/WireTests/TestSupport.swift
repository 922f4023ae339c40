@testable import Wire

/// A small deterministic generator (SplitMix64), so failures reproduce.
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
    mutating func bytes(_ n: Int) -> [UInt8] {
        (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}

/// Runs `body` over a mutable copy of `bytes`, giving back the copy too.
@discardableResult
func withMutableBytes<R>(_ bytes: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
    try bytes.withUnsafeMutableBytes(body)
}

/// Validates a view over `bytes` and reads something, as a `Result`.
func read<V>(_ bytes: [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(WireError) -> V) -> Result<V, WireError> {
    var copy = bytes
    return copy.withUnsafeMutableBytes { raw in
        Result { () throws(WireError) in try body(raw) }
    }
}

/// The one's-complement sum computed the slow, obvious way (RFC 1071).
func referenceSum(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt32 {
    var sum = UInt64(initial)
    var i = 0
    while i + 1 < bytes.count {
        sum += UInt64(bytes[i]) << 8 | UInt64(bytes[i + 1])
        i += 2
    }
    if i < bytes.count { sum += UInt64(bytes[i]) << 8 }
    while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
    return UInt32(sum)
}

/// CRC-32C computed bit by bit.
func referenceCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xffff_ffff
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82f6_3b78 : c >> 1 }
    }
    return ~c
}

/// Calls `next` until it returns `nil` or throws.
func collect<T>(_ next: () throws(WireError) -> T?) -> (items: [T], failed: Bool) {
    var items: [T] = []
    while true {
        do {
            guard let item = try next() else { return (items, false) }
            items.append(item)
        } catch {
            return (items, true)
        }
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { hexByte($0) }.joined()
}

let mac1 = EthernetAddress(0x00, 0x11, 0x22, 0x33, 0x44, 0x55)
let mac2 = EthernetAddress(0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb)
func ip(_ s: String) -> IPv4Address { IPv4Address(Substring(s))! }
func ip6(_ s: String) -> IPv6Address { IPv6Address(s)! }

/// A walk over every layer of a frame using only the views, recording what
/// it saw; used by fixture tests and by the never-trap tests (which feed
/// it garbage and only ask that it returns).
func dissect(_ raw: UnsafeMutableRawBufferPointer) -> [String] {
    var out: [String] = []
    guard let l2 = try? EthernetLayers(parsing: UnsafeRawBufferPointer(raw)) else { return ["short"] }
    out.append("eth \(l2.source)>\(l2.destination) type \(l2.etherType.rawValue)\(l2.isIEEE802_3 ? " 802.3" : "")")
    if let v = l2.outerVLAN { out.append("vlan \(v.tpid.rawValue) \(v.vlanID) \(v.priority) \(v.dropEligible)") }
    if let v = l2.innerVLAN { out.append("vlan \(v.tpid.rawValue) \(v.vlanID) \(v.priority) \(v.dropEligible)") }
    dissectNetwork(l2.etherType, raw.window(from: l2.networkOffset), into: &out, depth: 0)
    return out
}

func dissectNetwork(_ type: EtherType, _ raw: UnsafeMutableRawBufferPointer, into out: inout [String], depth: Int) {
    guard depth < 4 else { return }
    switch type {
    case .arp:
        guard let a = try? ARPView(validating: raw) else { out.append("bad arp"); return }
        out.append("arp \(a.operation.rawValue) \(a.senderHardwareAddress) \(a.senderProtocolAddress) \(a.targetHardwareAddress) \(a.targetProtocolAddress)")
    case .mpls, .mplsMulticast:
        var it = MPLSLabelStackIterator(UnsafeRawBufferPointer(raw))
        var last: MPLSLabelStackEntry?
        while let e = it.next() {
            out.append("mpls \(e.label) \(e.trafficClass) \(e.isBottomOfStack) \(e.ttl)")
            last = e
        }
        if last?.isBottomOfStack == true, it.offset < raw.count {
            let rest = raw.window(from: it.offset)
            dissectNetwork(rest[0] >> 4 == 6 ? .ipv6 : .ipv4, rest, into: &out, depth: depth + 1)
        }
    case .ipv4:
        guard let v = try? IPv4View(validating: raw) else { out.append("bad ipv4"); return }
        out.append("ipv4 \(v.source)>\(v.destination) proto \(v.protocol.rawValue) ttl \(v.ttl) tos \(v.typeOfService) len \(v.totalLength) id \(v.identification) df \(v.dontFragment) mf \(v.moreFragments) off \(v.fragmentOffset) csum \(v.isChecksumValid) opts \(v.options.count)")
        if !v.isLaterFragment {
            dissectTransport(v.protocol, v.payload, pseudo: { v.pseudoHeaderSum() }, into: &out, depth: depth)
        }
    case .ipv6:
        guard let v = try? IPv6View(validating: raw) else { out.append("bad ipv6"); return }
        out.append("ipv6 \(v.source)>\(v.destination) nh \(v.nextHeader.rawValue) hlim \(v.hopLimit) tc \(v.trafficClass) fl \(v.flowLabel) plen \(v.payloadLength)")
        var it = v.extensionHeaders
        var finalDestination = v.destination
        let (headers, failed) = collect { () throws(WireError) in try it.next() }
        for h in headers {
            out.append("ext \(h.kind.rawValue) len \(h.bytes.count) nh \(h.nextHeader.rawValue)")
            if h.kind == .ipv6Route, let r = try? IPv6RoutingHeader(parsing: UnsafeRawBufferPointer(h.bytes)),
               let d = r.finalDestination { finalDestination = d }
        }
        if failed { out.append("bad ext"); return }
        guard let upper = try? v.upperLayer() else { return }
        out.append("upper \(upper.protocol.rawValue) at \(upper.offset) frag \(upper.isFragment) later \(upper.isLaterFragment)")
        if !upper.isLaterFragment {
            let l4 = v.packet.window(from: upper.offset)
            dissectTransport(upper.protocol, l4, pseudo: {
                InternetChecksum.pseudoHeaderSum(source: v.source, destination: finalDestination,
                                                 nextHeader: upper.protocol, length: l4.count)
            }, into: &out, depth: depth)
        }
    default:
        out.append("l3 \(type.rawValue) \(raw.count) bytes")
    }
}

func dissectTransport(_ proto: IPProtocol, _ raw: UnsafeMutableRawBufferPointer, pseudo: () -> UInt32,
                      into out: inout [String], depth: Int) {
    switch proto {
    case .tcp:
        guard let t = try? TCPView(validating: raw) else { out.append("bad tcp"); return }
        var opts: [String] = []
        var it = TCPOptionIterator(UnsafeRawBufferPointer(t.options))
        while let o = it.next() { opts.append("\(o.kind.rawValue):\(o.data.count)") }
        out.append("tcp \(t.sourcePort)>\(t.destinationPort) seq \(t.sequenceNumber) ack \(t.acknowledgmentNumber) flags \(t.flags.rawValue) win \(t.windowSize) hlen \(t.headerLength) opts \(opts) csum \(t.isChecksumValid(pseudoHeaderSum: pseudo()))")
    case .udp:
        guard let u = try? UDPView(validating: raw) else { out.append("bad udp"); return }
        out.append("udp \(u.sourcePort)>\(u.destinationPort) len \(u.length) csum \(u.checksum == 0 ? "none" : "\(u.isChecksumValid(pseudoHeaderSum: pseudo()))")")
        switch u.destinationPort {
        case UDPPort.vxlan:
            guard let x = try? VXLANView(validating: u.payload) else { out.append("bad vxlan"); return }
            out.append("vxlan \(x.vni) flags \(x.flags) std \(x.isStandard)")
            dissectInner(x.payload, into: &out, depth: depth)
        case UDPPort.geneve:
            guard let g = try? GeneveView(validating: u.payload) else { out.append("bad geneve"); return }
            var it = g.options
            let (options, failed) = collect { () throws(WireError) in try it.next() }
            var opts = options.map { "\($0.optionClass):\($0.type):\($0.data.count):\($0.isCritical)" }
            if failed { opts.append("bad") }
            out.append("geneve \(g.vni) proto \(g.protocolType.rawValue) oam \(g.isOAM) crit \(g.hasCriticalOptions) opts \(opts)")
            if g.protocolType == .transparentEthernet { dissectInner(g.payload, into: &out, depth: depth) }
        default: break
        }
    case .sctp:
        guard let s = try? SCTPView(validating: raw) else { out.append("bad sctp"); return }
        var chunks: [String] = []
        var it = SCTPChunkIterator(UnsafeRawBufferPointer(s.payload))
        while let c = it.next() { chunks.append("\(c.type):\(c.length)") }
        out.append("sctp \(s.sourcePort)>\(s.destinationPort) tag \(s.verificationTag) csum \(s.isChecksumValid) chunks \(chunks)")
    case .icmp:
        guard let i = try? ICMPv4View(validating: raw) else { out.append("bad icmp"); return }
        out.append("icmp \(i.type.rawValue) \(i.code) id \(i.identifier) seq \(i.sequenceNumber) csum \(i.isChecksumValid)")
    case .icmpv6:
        guard let i = try? ICMPv6View(validating: raw) else { out.append("bad icmpv6"); return }
        out.append("icmpv6 \(i.type.rawValue) \(i.code) csum \(i.isChecksumValid(pseudoHeaderSum: pseudo()))")
        if let nd = try? NeighborDiscoveryView(validating: raw) {
            var it = nd.options
            let (options, failed) = collect { () throws(WireError) in try it.next() }
            var opts = options.map { "\($0.type.rawValue):\($0.length):\($0.linkLayerAddress?.description ?? "-")" }
            if failed { opts.append("bad") }
            out.append("nd \(nd.target) flags \(nd.flags.rawValue) opts \(opts)")
        }
    case .igmp:
        guard let g = try? IGMPView(validating: raw) else { out.append("bad igmp"); return }
        out.append("igmp \(g.type.rawValue) \(g.groupAddress) mrt \(g.maxResponseTime) csum \(g.isChecksumValid)")
        if g.type == .v3MembershipReport {
            var it = g.groupRecords
            let (records, failed) = collect { () throws(WireError) in try it.next() }
            for r in records {
                out.append("record \(r.recordType.rawValue) \(r.multicastAddress) sources \((0..<r.numberOfSources).compactMap { r.source(at: $0)?.description })")
            }
            if failed { out.append("bad record") }
        }
    case .gre:
        guard let g = try? GREView(validating: raw) else { out.append("bad gre"); return }
        out.append("gre proto \(g.protocolType.rawValue) key \(g.key.map { "\($0)" } ?? "-") seq \(g.sequenceNumber.map { "\($0)" } ?? "-") csum \(g.isChecksumValid)")
        if g.protocolType == .transparentEthernet {
            dissectInner(g.payload, into: &out, depth: depth)
        } else {
            dissectNetwork(g.protocolType, g.payload, into: &out, depth: depth + 1)
        }
    default:
        out.append("l4 \(proto.rawValue) \(raw.count) bytes")
    }
}

func dissectInner(_ raw: UnsafeMutableRawBufferPointer, into out: inout [String], depth: Int) {
    guard depth < 3 else { return }
    guard let l2 = try? EthernetLayers(parsing: UnsafeRawBufferPointer(raw)) else { out.append("inner short"); return }
    out.append("inner eth \(l2.source)>\(l2.destination) type \(l2.etherType.rawValue)")
    dissectNetwork(l2.etherType, raw.window(from: l2.networkOffset), into: &out, depth: depth + 1)
}

func dissect(_ bytes: [UInt8]) -> [String] {
    var copy = bytes
    return copy.withUnsafeMutableBytes { dissect($0) }
}

extension Result {
    /// The failure, or `nil` on success.
    var error: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
