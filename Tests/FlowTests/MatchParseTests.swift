import Testing
import Flow
import Wire

/// A random match on formattable fields, with the masks the parser itself
/// produces for each field (so `parse(format(m)) == m` must hold).
private func randomMatch(_ g: inout SplitMix) -> Match {
    var m = Match.catchAll
    func r(_ bits: Int) -> UInt64 { bits >= 64 ? g.next() : g.next() & ((1 << UInt64(bits)) - 1) }
    func coin() -> Bool { g.next() & 1 == 0 }
    func masked(_ f: FlowField) {
        let mask = coin() ? f.maxValue : r(f.width)
        m.set(f, to: r(f.width), mask: mask)
    }
    func pair(_ high: FlowField) {
        let full = coin()
        let mh = full ? UInt64.max : g.next(), ml = full ? UInt64.max : g.next()
        let vh = g.next(), vl = g.next()
        m.update { k, mk in
            k.words[high.word] = vh; k.words[high.word + 1] = vl
            mk.words[high.word] = mh; mk.words[high.word + 1] = ml
        }
    }
    let types: [UInt64] = [0x0800, 0x86dd, 0x0806, 0x8035, 0x8847, 0x8848, 0x1234]
    let dlType = types[Int(g.next() % UInt64(types.count))]
    m.set(.ethType, to: dlType)
    m.set(.packetType, to: 0)
    // Metadata.
    if coin() { m.set(.inPort, to: r(16) % 0xff00, mask: 0xffff_ffff) }
    if coin() { masked(.metadata) }
    for i in 0..<16 where g.next() % 4 == 0 { masked(.register(i)) }
    if coin() { masked(.tunnelID) }
    if coin() { masked(.tunnelIPv4Source) }
    if coin() { masked(.tunnelIPv4Destination) }
    if coin() { m.set(.tunnelFlags, to: r(1), mask: 1) }
    if coin() { masked(.packetMark) }
    if coin() { masked(.ctMark) }
    if coin() { masked(.dpHash) }
    if coin() { m.set(.ctZone, to: r(16)) }
    if coin() { m.set(.recirculationID, to: r(32)) }
    if coin() { m.set(.conjunctionID, to: r(32)) }
    if coin() { m.set(.ctState, to: r(8), mask: coin() ? 0xff : r(8)) }
    if coin() { pair(.ctLabelHigh) }
    // L2.
    if coin() { masked(.ethSource) }
    if coin() { masked(.ethDestination) }
    if coin() {
        switch g.next() % 3 {
        case 0: m.set(.vlan0TCI, to: r(16), mask: r(16) | 1)
        case 1: m.set(.vlan0TCI, to: r(16) | 0x1000, mask: 0x1fff)
        default: m.set(.vlan0TCI, to: r(16) | 0x1000, mask: 0xf000)
        }
    }
    switch dlType {
    case 0x0800, 0x86dd:
        let protos: [UInt64] = dlType == 0x0800 ? [6, 17, 132, 1, 99] : [6, 17, 132, 58, 99]
        let proto = protos[Int(g.next() % 5)]
        if coin() || proto != 99 { m.set(.networkProtocol, to: proto) }
        if dlType == 0x0800 {
            if coin() { masked(.ipv4Source) }
            if coin() { masked(.ipv4Destination) }
        } else {
            if coin() { pair(.ipv6SourceHigh) }
            if coin() { pair(.ipv6DestinationHigh) }
            if coin() { m.set(.ipv6Label, to: r(20), mask: coin() ? 0xffff_ffff : r(20)) }
        }
        if coin() { m.set(.networkTOS, to: r(8), mask: [0xfc, 0x03, 0xff][Int(g.next() % 3)]) }
        if coin() { m.set(.networkTTL, to: r(8)) }
        if coin() {
            let frags: [(UInt64, UInt64)] = [(0, 1), (1, 3), (3, 3), (1, 1), (0, 2)]
            let f = frags[Int(g.next() % 5)]
            m.set(.networkFragment, to: f.0, mask: f.1)
        }
        guard m.mask[.networkProtocol] != 0 else { break }
        if proto == 1 || proto == 58 {
            let nd = proto == 58 && coin()
            let type = nd ? 135 + r(1) : r(8)
            if nd || coin() { m.set(.transportSource, to: type, mask: 0xffff) }
            if nd || coin() { m.set(.transportDestination, to: nd ? 0 : r(8), mask: 0xffff) }
            if nd {
                if coin() { pair(.ndTargetHigh) }
                if coin() { masked(type == 135 ? .arpSHA : .arpTHA) }
            }
        } else if proto != 99 {
            if coin() { masked(.transportSource) }
            if coin() { masked(.transportDestination) }
            if proto == 6 && coin() { m.set(.tcpFlags, to: r(12), mask: coin() ? 0xffff : r(12)) }
        }
    case 0x0806, 0x8035:
        if coin() { m.set(.networkProtocol, to: r(8)) }
        if coin() { masked(.ipv4Source) }
        if coin() { masked(.ipv4Destination) }
        if coin() { masked(.arpSHA) }
        if coin() { masked(.arpTHA) }
    case 0x8847, 0x8848:
        let parts: [UInt64] = [0xffff_f000, 0xe00, 0x100, 0xff]
        var mask: UInt64 = 0
        for p in parts where coin() { mask |= p }
        m.set(.mplsLSE0, to: r(32), mask: mask)
    default:
        break
    }
    return m
}

@Test func parseFormatRoundTrip() throws {
    var g = SplitMix(state: 0x5eed)
    for _ in 0..<3000 {
        let m = randomMatch(&g)
        let priority = g.next() % 4 == 0 ? Int(g.next() % 65536) : Match.defaultPriority
        let text = m.formatted(priority: priority)
        let parsed = try Match.parse(text)
        #expect(parsed.match == m, "\(text) -> \(parsed.match.formatted())")
        #expect(parsed.priority == priority, "\(text)")
        #expect(m.normalized() == m, "\(text)")
    }
}

@Test(arguments: [
    ("tcp,nw_dst=10.0.0.0/8,tp_dst=80", "tcp,nw_dst=10.0.0.0/8,tp_dst=80"),
    ("ip,nw_src=1.2.3.4/255.0.255.0", "ip,nw_src=1.0.3.0/255.0.255.0"),
    ("vlan_tci=0x1005/0x1fff", "dl_vlan=5"),
    ("ct_state=+trk-new", "ct_state=-new+trk"),
    ("tcp,tcp_flags=0x12/0x12", "tcp,tcp_flags=+syn+ack"),
    ("xreg1=0x100000005", "reg2=0x1,reg3=0x5"),
    ("dl_vlan=5000", "dl_vlan=904"),
    ("tp_dst=80", ""),
    ("tcp,tp_dst=80,priority=10,", "priority=10,tcp,tp_dst=80"),
    ("recirc_id=2,tcp", "recirc_id=0x2,eth,tcp"),
    ("ip,ip_dscp=5", "ip,nw_tos=20"),
    ("in_port=4294967294", "in_port=LOCAL"),
    ("tun_flags=1/1", "tun_flags=+oam"),
])
func parseNormalizes(_ input: String, _ expected: String) throws {
    let p = try Match.parse(input)
    #expect(p.match.normalized().formatted(priority: p.priority) == expected)
}

@Test(arguments: [
    ("foo=1", "unknown keyword foo"),
    ("ip,nw_dst=1.2.3.4/33", "1.2.3.4/33: IPv4 network prefix bits not between 0 and 32, inclusive"),
    ("tcp,tp_dst=70000", "70000: value too large for 2-byte field tcp_dst"),
    ("in_port=70000", "70000: invalid or unknown port for in_port"),
    ("nw_ttl=5/3", "5/3: invalid mask for field nw_ttl"),
    ("tcp,tcp_flags=+syn+syn", "syn: Each TCP flag can be specified only once"),
    ("tun_flags=+csum", "csum: unknown tunnel flag(s)"),
    ("dl_src=", "0/0: invalid Ethernet address"),
    ("priority=70000", "invalid priority \"70000\""),
    ("tcp,tp_dst=0x 50", "field 50 missing value"),
    ("vlan_tci1=0x1005", "unknown keyword vlan_tci1"),
])
func parseRefuses(_ input: String, _ message: String) {
    #expect(throws: MatchParseError(message)) { try Match.parse(input) }
}

@Test func parseNeverTraps() {
    var g = SplitMix(state: 7)
    let alphabet = Array("tcp,ip=/0x:.+-|*()12345abcdefnw_srcdst ".utf8)
    for _ in 0..<20000 {
        let n = Int(g.next() % 40)
        let bytes = (0..<n).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] }
        _ = try? Match.parse(String(decoding: bytes, as: UTF8.self))
    }
}
