import Wire

/// The OpenFlow match syntax of `ovs-ofctl` (`in_port=1,tcp,tp_dst=80`), as
/// Open vSwitch's `parse_ofp_str` and the `mf_from_*_string` parsers of
/// `lib/meta-flow.c` read it: the inverse of `Match.formatted`.

/// Why a match string was refused. `message` is Open vSwitch's wording
/// (what `ovs-ofctl` prints after `ovs-ofctl: `).
public struct MatchParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A parsed match and the flow's priority (`Match.defaultPriority` unless given).
public struct ParsedMatch: Equatable, Sendable {
    public var match: Match
    public var priority: Int
}

extension Match {
    /// Parses `text` in `ovs-ofctl`'s match syntax. `priority=` is accepted
    /// and dropped (see `Match.parse` to keep it). Like `parse_ofp_str`, it
    /// does not check prerequisites: `normalized()` drops what OpenFlow
    /// would not carry.
    public init(parsing text: String) throws(MatchParseError) {
        self = try Match.parse(text).match
    }

    /// Parses `text` in `ovs-ofctl`'s match syntax, with its priority.
    public static func parse(_ text: String) throws(MatchParseError) -> ParsedMatch {
        var p = MatchParser(Array(text.utf8))
        return try p.run()
    }

    /// The match as Open vSwitch gives it back after encoding it in
    /// OpenFlow (`nx_put_raw`, `ofputil_normalize_match`): fields whose
    /// prerequisites are not matched are dropped (`tp_dst=80` without
    /// `tcp`, `nw_src` without `ip`, ...). This is what `ovs-ofctl
    /// parse-flow` prints.
    public func normalized() -> Match {
        var m = self
        m.update { key, mask in
            let dlType = key[.ethType]
            let isIPv4 = dlType == 0x0800, isIPv6 = dlType == 0x86dd
            let isARP = dlType == 0x0806 || dlType == 0x8035
            let isMPLS = dlType == 0x8847 || dlType == 0x8848
            if !isIPv4 && !isARP {
                mask.wildcard(.ipv4Source)
                mask.wildcard(.ipv4Destination)
            }
            if !isIPv6 {
                for w in 40...43 { mask.words[w] = 0 }
                mask.wildcard(.ipv6Label)
            }
            if !isIPv4 && !isIPv6 {
                mask.wildcard(.networkFragment)
                mask.wildcard(.networkTOS)
                mask.wildcard(.networkTTL)
                if !isARP { mask.wildcard(.networkProtocol) }
            }
            if !isMPLS {
                mask.wildcard(.mplsLSE0)
                mask.wildcard(.mplsLSE1)
                mask.wildcard(.mplsLSE2)
            }
            let proto = key[.networkProtocol]
            let ip = isIPv4 || isIPv6
            let hasL4 = ip && (proto == 6 || proto == 17 || proto == 132
                               || (isIPv4 && proto == 1) || (isIPv6 && proto == 58))
            if !hasL4 {
                mask.wildcard(.transportSource)
                mask.wildcard(.transportDestination)
            }
            if !(ip && proto == 6) { mask.wildcard(.tcpFlags) }
            let isICMP = (isIPv4 && proto == 1) || (isIPv6 && proto == 58)
            if isICMP {
                // ICMP type and code are 8-bit OpenFlow fields.
                if mask[.transportSource] != 0 { mask[.transportSource] = 0xffff; key[.transportSource] &= 0xff }
                if mask[.transportDestination] != 0 {
                    mask[.transportDestination] = 0xffff
                    key[.transportDestination] &= 0xff
                }
            }
            let isND = isIPv6 && proto == 58 && key[.transportDestination] == 0
                && (key[.transportSource] == 135 || key[.transportSource] == 136)
            if !isND {
                mask.words[49] = 0
                mask.words[50] = 0
            }
            // arp_sha/arp_tha share storage with nd_sll/nd_tll.
            if !isARP && !(isND && key[.transportSource] == 135) { mask.wildcard(.arpSHA) }
            if !isARP && !(isND && key[.transportSource] == 136) { mask.wildcard(.arpTHA) }
        }
        return m
    }
}

// MARK: - Fields

private enum FieldKind {
    /// An integer field stored as is (`mf_from_integer_string`).
    case int(FlowField, maskable: Bool)
    case xreg(Int)
    case ctLabel
    case ethernet(FlowField)
    case ipv4(FlowField)
    case ipv6(FlowField)
    case inPort
    case dlVlan, dlVlanPcp, vlanTCI
    case nwTOS, ipDSCP, nwECN
    case frag
    case tcpFlags, tunFlags, ctState
    /// ICMP type/code: an 8-bit OpenFlow field kept in a 16-bit key field.
    case icmp(FlowField)
    case arpOp
    case mplsLabel, mplsTC, mplsBOS, mplsTTL
    case ipv6Label
}

private struct FieldSpec {
    /// OVS's name for the field (used in its error messages).
    let name: String
    /// `mf->n_bytes`.
    let bytes: Int
    let kind: FieldKind
    /// False for metadata fields (no Ethernet prerequisite).
    let ethernet: Bool
}

private func fieldSpec(_ name: String) -> FieldSpec? {
    func f(_ n: String, _ b: Int, _ k: FieldKind, eth: Bool = true) -> FieldSpec {
        FieldSpec(name: n, bytes: b, kind: k, ethernet: eth)
    }
    switch name {
    case "in_port": return f("in_port", 2, .inPort, eth: false)
    case "dl_src", "eth_src": return f("eth_src", 6, .ethernet(.ethSource))
    case "dl_dst", "eth_dst": return f("eth_dst", 6, .ethernet(.ethDestination))
    case "dl_type", "eth_type": return f("eth_type", 2, .int(.ethType, maskable: false))
    case "dl_vlan": return f("dl_vlan", 2, .dlVlan)
    case "dl_vlan_pcp": return f("dl_vlan_pcp", 1, .dlVlanPcp)
    case "vlan_tci": return f("vlan_tci", 2, .vlanTCI)
    case "nw_src", "ip_src": return f("ip_src", 4, .ipv4(.ipv4Source))
    case "nw_dst", "ip_dst": return f("ip_dst", 4, .ipv4(.ipv4Destination))
    case "ipv6_src": return f("ipv6_src", 16, .ipv6(.ipv6SourceHigh))
    case "ipv6_dst": return f("ipv6_dst", 16, .ipv6(.ipv6DestinationHigh))
    case "ipv6_label": return f("ipv6_label", 4, .ipv6Label)
    case "nw_proto", "ip_proto": return f("nw_proto", 1, .int(.networkProtocol, maskable: false))
    case "nw_tos": return f("nw_tos", 1, .nwTOS)
    case "ip_dscp": return f("ip_dscp", 1, .ipDSCP)
    case "nw_ecn", "ip_ecn": return f("nw_ecn", 1, .nwECN)
    case "nw_ttl": return f("nw_ttl", 1, .int(.networkTTL, maskable: false))
    case "nw_frag", "ip_frag": return f("ip_frag", 1, .frag)
    case "tp_src", "tcp_src": return f("tcp_src", 2, .int(.transportSource, maskable: true))
    case "tp_dst", "tcp_dst": return f("tcp_dst", 2, .int(.transportDestination, maskable: true))
    case "udp_src": return f("udp_src", 2, .int(.transportSource, maskable: true))
    case "udp_dst": return f("udp_dst", 2, .int(.transportDestination, maskable: true))
    case "sctp_src": return f("sctp_src", 2, .int(.transportSource, maskable: true))
    case "sctp_dst": return f("sctp_dst", 2, .int(.transportDestination, maskable: true))
    case "tcp_flags": return f("tcp_flags", 2, .tcpFlags)
    case "icmp_type", "icmpv4_type": return f("icmp_type", 1, .icmp(.transportSource))
    case "icmp_code", "icmpv4_code": return f("icmp_code", 1, .icmp(.transportDestination))
    case "icmpv6_type": return f("icmpv6_type", 1, .icmp(.transportSource))
    case "icmpv6_code": return f("icmpv6_code", 1, .icmp(.transportDestination))
    case "nd_target": return f("nd_target", 16, .ipv6(.ndTargetHigh))
    case "nd_sll": return f("nd_sll", 6, .ethernet(.arpSHA))
    case "nd_tll": return f("nd_tll", 6, .ethernet(.arpTHA))
    case "arp_op": return f("arp_op", 2, .arpOp)
    case "arp_spa": return f("arp_spa", 4, .ipv4(.ipv4Source))
    case "arp_tpa": return f("arp_tpa", 4, .ipv4(.ipv4Destination))
    case "arp_sha": return f("arp_sha", 6, .ethernet(.arpSHA))
    case "arp_tha": return f("arp_tha", 6, .ethernet(.arpTHA))
    case "mpls_label": return f("mpls_label", 4, .mplsLabel)
    case "mpls_tc": return f("mpls_tc", 1, .mplsTC)
    case "mpls_bos": return f("mpls_bos", 1, .mplsBOS)
    case "mpls_ttl": return f("mpls_ttl", 1, .mplsTTL)
    case "metadata": return f("metadata", 8, .int(.metadata, maskable: true), eth: false)
    case "tun_id", "tunnel_id": return f("tun_id", 8, .int(.tunnelID, maskable: true), eth: false)
    case "tun_src": return f("tun_src", 4, .ipv4(.tunnelIPv4Source), eth: false)
    case "tun_dst": return f("tun_dst", 4, .ipv4(.tunnelIPv4Destination), eth: false)
    case "tun_ipv6_src": return f("tun_ipv6_src", 16, .ipv6(.tunnelIPv6SourceHigh), eth: false)
    case "tun_ipv6_dst": return f("tun_ipv6_dst", 16, .ipv6(.tunnelIPv6DestinationHigh), eth: false)
    case "tun_flags": return f("tun_flags", 2, .tunFlags, eth: false)
    case "pkt_mark": return f("pkt_mark", 4, .int(.packetMark, maskable: true), eth: false)
    case "skb_priority": return f("skb_priority", 4, .int(.skbPriority, maskable: false), eth: false)
    case "ct_state": return f("ct_state", 4, .ctState, eth: false)
    case "ct_zone": return f("ct_zone", 2, .int(.ctZone, maskable: false), eth: false)
    case "ct_mark": return f("ct_mark", 4, .int(.ctMark, maskable: true), eth: false)
    case "ct_label": return f("ct_label", 16, .ctLabel, eth: false)
    case "recirc_id": return f("recirc_id", 4, .int(.recirculationID, maskable: false), eth: false)
    case "dp_hash": return f("dp_hash", 4, .int(.dpHash, maskable: true), eth: false)
    case "conj_id": return f("conj_id", 4, .int(.conjunctionID, maskable: false), eth: false)
    default:
        if name.hasPrefix("xreg"), let i = Int(name.dropFirst(4)), (0..<8).contains(i),
           name.count == (i < 10 ? 5 : 6) {
            return f(name, 8, .xreg(i), eth: false)
        }
        if name.hasPrefix("reg"), let i = Int(name.dropFirst(3)), (0..<16).contains(i),
           name.count == (i < 10 ? 4 : 5) {
            return f(name, 4, .int(.register(i), maskable: true), eth: false)
        }
        return nil
    }
}

/// `ofp_parse_protocol`: the shorthands and their (dl_type, nw_proto).
private func protocolShorthand(_ name: String) -> (UInt64, UInt64?)? {
    switch name {
    case "ip", "ipv4": return (0x0800, nil)
    case "ipv6": return (0x86dd, nil)
    case "icmp": return (0x0800, 1)
    case "icmp6": return (0x86dd, 58)
    case "tcp": return (0x0800, 6)
    case "tcp6": return (0x86dd, 6)
    case "udp": return (0x0800, 17)
    case "udp6": return (0x86dd, 17)
    case "sctp": return (0x0800, 132)
    case "sctp6": return (0x86dd, 132)
    case "arp": return (0x0806, nil)
    case "rarp": return (0x8035, nil)
    case "mpls": return (0x8847, nil)
    case "mplsm": return (0x8848, nil)
    default: return nil
    }
}

private let tcpFlagBitNames = ["fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns", "[200]", "[400]", "[800]"]
private let ctStateBitNames = ["new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"]
private let tunFlagBitNames = ["oam"]

// MARK: - Parser

private struct MatchParser {
    let s: [UInt8]
    var scanner: KeyValueScanner
    var match = Match.catchAll
    var priority = Match.defaultPriority

    init(_ s: [UInt8]) {
        self.s = s
        scanner = KeyValueScanner(s)
    }

    mutating func run() throws(MatchParseError) -> ParsedMatch {
        if s.contains(0) { throw MatchParseError("match contains a NUL byte") }
        while let (name, value) = scanner.next() {
            if let (dlType, proto) = protocolShorthand(name) {
                match.set(.ethType, to: dlType)
                if let proto { match.set(.networkProtocol, to: proto) }
                match.set(.packetType, to: 0)
            } else if name == "eth" {
                match.set(.packetType, to: 0)
            } else if name == "no_readonly_table" || name == "allow_hidden_fields" {
                continue
            } else if let spec = fieldSpec(name) {
                try parseField(spec, value.isEmpty ? "0/0" : value)
                if spec.ethernet { match.set(.packetType, to: 0) }
            } else {
                if value.isEmpty { throw MatchParseError("field \(name) missing value") }
                if name == "priority" {
                    guard let p = strToUInt(value), p <= 0xffff else {
                        throw MatchParseError("invalid priority \"\(value)\"")
                    }
                    priority = Int(p)
                } else {
                    throw MatchParseError("unknown keyword \(name)")
                }
            }
        }
        return ParsedMatch(match: match, priority: priority)
    }

    /// `str_to_uint`-like: decimal (or `0x` hex / octal, as `strtoull` base 0), all consumed.
    func strToUInt(_ t: String) -> UInt64? {
        guard case .ok(let v, let rest) = parseULL(Array(t.utf8)[...]), rest.isEmpty else { return nil }
        return v
    }

    mutating func set(_ field: FlowField, _ value: UInt64, _ mask: UInt64) {
        match.set(field, to: value & field.maxValue, mask: mask & field.maxValue)
    }

    mutating func parseField(_ spec: FieldSpec, _ text: String) throws(MatchParseError) {
        if text == "*" {
            clear(spec)
            return
        }
        switch spec.kind {
        case .int(let field, let maskable):
            let (v, m) = try integer(spec, text)
            try checkMask(spec, text, maskable: maskable, m)
            set(field, v.low, m.low)
        case .xreg(let n):
            let (v, m) = try integer(spec, text)
            match.set(FlowField(18 + n, 0, 64), to: v.low, mask: m.low)
        case .ctLabel:
            let (v, m) = try integer(spec, text)
            match.update { key, mask in
                key.words[30] = v.high; key.words[31] = v.low
                mask.words[30] = m.high; mask.words[31] = m.low
            }
        case .ethernet(let field):
            let (v, m) = try ethernet(text)
            set(field, v, m)
        case .ipv4(let field):
            let (v, m) = try ipv4(text)
            set(field, UInt64(v), UInt64(m))
        case .ipv6(let high):
            let (v, m) = try ipv6(text)
            match.update { key, mask in
                key.words[high.word] = v.high; key.words[high.word + 1] = v.low
                mask.words[high.word] = m.high; mask.words[high.word + 1] = m.low
            }
        case .inPort:
            let port = try inPort(text)
            set(.inPort, UInt64(port), 0xffff_ffff)
        case .dlVlan:
            let (v, m) = try integer(spec, text)
            try checkMask(spec, text, maskable: false, m)
            if m.low == 0 { clear(spec); return }
            let vid = v.low
            var tci = match.key[.vlan0TCI], tm = match.mask[.vlan0TCI]
            if vid == 0xffff {
                tci = 0; tm = 0xffff
            } else {
                tci = (tci & ~0x0fff) | (vid & 0x0fff) | 0x1000
                tm |= 0x1fff
            }
            set(.vlan0TCI, tci, tm)
        case .dlVlanPcp:
            let (v, m) = try integer(spec, text)
            try checkMask(spec, text, maskable: false, m)
            if m.low == 0 { clear(spec); return }
            let tci = (match.key[.vlan0TCI] & ~0xe000) | ((v.low & 7) << 13) | 0x1000
            set(.vlan0TCI, tci, match.mask[.vlan0TCI] | 0xf000)
        case .vlanTCI:
            let (v, m) = try integer(spec, text)
            set(.vlan0TCI, v.low, m.low)
        case .nwTOS, .ipDSCP, .nwECN:
            let (v, m) = try integer(spec, text)
            try checkMask(spec, text, maskable: false, m)
            if m.low == 0 { clear(spec); return }
            let bits: UInt64
            var value = v.low
            switch spec.kind {
            case .nwECN: bits = 0x03
            case .ipDSCP: bits = 0xfc; value <<= 2
            default: bits = 0xfc
            }
            let tos = (match.key[.networkTOS] & ~bits) | (value & bits)
            set(.networkTOS, tos, match.mask[.networkTOS] | bits)
        case .frag:
            let table: [(String, UInt64, UInt64)] = [
                ("no", 0, 1), ("first", 1, 3), ("later", 3, 3), ("yes", 1, 1), ("not_later", 0, 2),
            ]
            guard let h = table.first(where: { $0.0.lowercased() == text.lowercased() }) else {
                throw MatchParseError("\(text): unknown fragment type (valid types are \"no\", \"yes\", \"first\", \"later\", \"not_later\"")
            }
            set(.networkFragment, h.1, h.2)
        case .tcpFlags:
            let (v, m) = try flags(text, names: tcpFlagBitNames, allowed: 0x0fff, fieldName: "TCP")
            set(.tcpFlags, v, m)
        case .tunFlags:
            let (v, m) = try flags(text, names: tunFlagBitNames, allowed: 0x1, fieldName: "tunnel")
            set(.tunnelFlags, v & 1, m & 1)
        case .ctState:
            let (v, m) = try flags(text, names: ctStateBitNames, allowed: 0xff, fieldName: "ct_state")
            set(.ctState, v, m)
        case .icmp(let field):
            let (v, m) = try integer(spec, text)
            try checkMask(spec, text, maskable: false, m)
            set(field, v.low, m.low == 0 ? 0 : 0xffff)
        case .arpOp:
            let (v, m) = try integer(spec, text)
            try checkMask(spec, text, maskable: false, m)
            set(.networkProtocol, v.low & 0xff, m.low == 0 ? 0 : 0xff)
        case .mplsLabel, .mplsTC, .mplsBOS, .mplsTTL:
            let (v, m) = try integer(spec, text)
            try checkMask(spec, text, maskable: false, m)
            if m.low == 0 { clear(spec); return }
            let (shift, bits): (UInt64, UInt64)
            switch spec.kind {
            case .mplsLabel: (shift, bits) = (12, 0xfffff)
            case .mplsTC: (shift, bits) = (9, 7)
            case .mplsBOS: (shift, bits) = (8, 1)
            default: (shift, bits) = (0, 0xff)
            }
            let lse = (match.key[.mplsLSE0] & ~(bits << shift)) | ((v.low & bits) << shift)
            set(.mplsLSE0, lse, match.mask[.mplsLSE0] | (bits << shift))
        case .ipv6Label:
            let (v, m) = try integer(spec, text)
            set(.ipv6Label, v.low & 0xfffff, m.low)
        }
    }

    /// `*` (and the value `0/0`): wildcard the field.
    mutating func clear(_ spec: FieldSpec) {
        match.update { key, mask in
            switch spec.kind {
            case .int(let f, _), .ethernet(let f), .ipv4(let f), .icmp(let f): mask.wildcard(f)
            case .xreg(let n): mask.words[18 + n] = 0
            case .ctLabel: mask.words[30] = 0; mask.words[31] = 0
            case .ipv6(let h): mask.words[h.word] = 0; mask.words[h.word + 1] = 0
            case .inPort: mask.wildcard(.inPort)
            case .dlVlan:
                // match_set_any_vid: keep the PCP if it is matched.
                if mask[.vlan0TCI] & 0xe000 != 0 { mask[.vlan0TCI] &= ~0x0fff } else { mask.wildcard(.vlan0TCI) }
            case .dlVlanPcp:
                // match_set_any_pcp: keep the VID if it is matched.
                if mask[.vlan0TCI] & 0x0fff != 0 { mask[.vlan0TCI] &= ~0xe000 } else { mask.wildcard(.vlan0TCI) }
            case .vlanTCI: mask.wildcard(.vlan0TCI)
            case .nwTOS, .ipDSCP: mask[.networkTOS] &= ~0xfc
            case .nwECN: mask[.networkTOS] &= ~0x03
            case .frag: mask.wildcard(.networkFragment)
            case .tcpFlags: mask.wildcard(.tcpFlags)
            case .tunFlags: mask.wildcard(.tunnelFlags)
            case .ctState: mask.wildcard(.ctState)
            case .arpOp: mask.wildcard(.networkProtocol)
            case .mplsLabel: mask[.mplsLSE0] &= ~0xfffff000
            case .mplsTC: mask[.mplsLSE0] &= ~0xe00
            case .mplsBOS: mask[.mplsLSE0] &= ~0x100
            case .mplsTTL: mask[.mplsLSE0] &= ~0xff
            case .ipv6Label: mask.wildcard(.ipv6Label)
            }
        }
    }

    /// `mf_is_mask_valid` for fields that take no mask: all ones or all zeros.
    func checkMask(_ spec: FieldSpec, _ text: String, maskable: Bool, _ m: (high: UInt64, low: UInt64)) throws(MatchParseError) {
        guard !maskable else { return }
        let all: UInt64 = spec.bytes >= 8 ? .max : (1 << UInt64(spec.bytes * 8)) - 1
        if m.low != 0 && m.low != all {
            throw MatchParseError("\(text): invalid mask for field \(spec.name)")
        }
    }

    /// `mf_from_integer_string`: value and optional `/mask`, up to 16 bytes.
    func integer(_ spec: FieldSpec, _ text: String) throws(MatchParseError) -> ((high: UInt64, low: UInt64), (high: UInt64, low: UInt64)) {
        let b = Array(text.utf8)
        let all: (UInt64, UInt64) = spec.bytes >= 16 ? (.max, .max)
            : (0, spec.bytes >= 8 ? .max : (1 << UInt64(spec.bytes * 8)) - 1)
        func fail(_ r: IntResult, _ what: String) -> MatchParseError {
            if case .range = r {
                return MatchParseError("\(text): \(what) too large for \(spec.bytes)-byte field \(spec.name)")
            }
            return MatchParseError("\(text): bad syntax for \(spec.name) \(what)")
        }
        let r = parseIntString(b[...], bytes: spec.bytes)
        guard case .ok(let v, let rest) = r else { throw fail(r, "value") }
        if rest.isEmpty { return (v, all) }
        guard rest.first == 0x2f else { throw fail(.syntax, "value") }
        let r2 = parseIntString(rest.dropFirst(), bytes: spec.bytes)
        guard case .ok(let m, let rest2) = r2 else { throw fail(r2, "mask") }
        guard rest2.isEmpty else { throw fail(.syntax, "mask") }
        return (v, m)
    }

    /// `mf_from_ethernet_string`: six `%hhx` octets, optionally `/` six more.
    func ethernet(_ text: String) throws(MatchParseError) -> (UInt64, UInt64) {
        let b = Array(text.utf8)
        func mac(_ i: inout Int) -> UInt64? {
            var v: UInt64 = 0
            for k in 0..<6 {
                if k > 0 { guard i < b.count, b[i] == 0x3a else { return nil }; i += 1 }
                guard let o = scanNumber(b, &i, base: 16) else { return nil }
                v = v << 8 | (o & 0xff)
            }
            return v
        }
        var i = 0
        if let v = mac(&i) {
            if i == b.count { return (v, 0xffff_ffff_ffff) }
            if b[i] == 0x2f {
                i += 1
                if let m = mac(&i), i == b.count { return (v, m) }
            }
        }
        throw MatchParseError("\(text): invalid Ethernet address")
    }

    /// `ip_parse_masked`: `IP/IP`, `IP/%d` or `IP`, tried in that order
    /// with `ovs_scan` (octets `%hhu`, so they wrap), then nothing may follow.
    func ipv4(_ text: String) throws(MatchParseError) -> (UInt32, UInt32) {
        let b = Array(text.utf8)
        func quad(_ i: inout Int) -> UInt32? {
            var v: UInt32 = 0
            for k in 0..<4 {
                if k > 0 { guard i < b.count, b[i] == 0x2e else { return nil }; i += 1 }
                guard let o = scanNumber(b, &i, base: 10) else { return nil }
                v = v << 8 | UInt32(o & 0xff)
            }
            return v
        }
        let invalid = MatchParseError("\(text): invalid IP address")
        var i = 0
        guard let a = quad(&i) else { throw invalid }
        var result: (UInt32, UInt32)? = nil
        if i < b.count, b[i] == 0x2f {
            var j = i + 1
            if let m = quad(&j) {
                result = (a, m); i = j
            } else {
                j = i + 1
                if let n = scanNumber(b, &j, base: 10) {
                    let prefix = Int32(truncatingIfNeeded: n)
                    guard prefix >= 0 && prefix <= 32 else {
                        throw MatchParseError("\(text): IPv4 network prefix bits not between 0 and 32, inclusive")
                    }
                    result = (a, prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix)); i = j
                }
            }
        }
        if result == nil { result = (a, .max) }
        guard i == b.count, let result else { throw invalid }
        return result
    }

    func ipv6(_ text: String) throws(MatchParseError) -> (IPv6Address, IPv6Address) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts[0].utf8.count <= 45, let a = IPv6Address(String(parts[0])) else {
            throw MatchParseError("\(text): invalid IPv6 address")
        }
        if parts.count == 1 { return (a, IPv6Address(high: .max, low: .max)) }
        if parts[1].utf8.count <= 45, let m = IPv6Address(String(parts[1])) { return (a, m) }
        let rest = Array(parts[1].utf8)
        var j = 0
        guard let number = scanNumber(rest, &j, base: 10) else { throw MatchParseError("\(text): invalid IPv6 address") }
        let prefix = Int32(truncatingIfNeeded: number)
        guard prefix >= 0 && prefix <= 128 else {
            throw MatchParseError("\(text): IPv6 network prefix bits not between 0 and 128, inclusive")
        }
        guard j == rest.count else { throw MatchParseError("\(text): invalid IPv6 address") }
        let n = Int(prefix)
        let high: UInt64 = n == 0 ? 0 : n >= 64 ? .max : ~UInt64(0) << UInt64(64 - n)
        let low: UInt64 = n <= 64 ? 0 : n == 128 ? .max : ~UInt64(0) << UInt64(128 - n)
        return (a, IPv6Address(high: high, low: low))
    }

    /// `ofputil_port_from_string`, as a 16-bit OpenFlow 1.0 port.
    func inPort(_ text: String) throws(MatchParseError) -> UInt16 {
        let names: [(String, UInt16)] = [
            ("IN_PORT", 0xfff8), ("TABLE", 0xfff9), ("NORMAL", 0xfffa), ("FLOOD", 0xfffb), ("ALL", 0xfffc),
            ("CONTROLLER", 0xfffd), ("LOCAL", 0xfffe), ("ANY", 0xffff), ("NONE", 0xffff), ("UNSET", 0xfff7),
        ]
        let bad = MatchParseError("\(text): invalid or unknown port for in_port")
        if text.utf8.first == 0x2d { throw bad }
        if let n = strToLLong(Array(text.utf8)) {
            // `str_to_uint`: 0 to UINT_MAX.
            guard n >= 0 && n <= 0xffff_ffff else { throw bad }
            if n <= 0xffff { return UInt16(n) }
            if n >= 0xffff_ff00 && n <= 0xffff_ffff { return UInt16(n - 0xffff_ff00 + 0xff00) }
            throw bad
        }
        if let p = names.first(where: { $0.0 == text.uppercased() }) { return p.1 }
        throw bad
    }

    /// `parse_flags`: `+a-b` (masked), `a|b|0x10` (exact), or `value/mask` numbers.
    func flags(_ text: String, names: [String], allowed: UInt64, fieldName: String) throws(MatchParseError) -> (UInt64, UInt64) {
        let b = Array(text.utf8)
        func unknown(_ from: Int) -> MatchParseError {
            MatchParseError("\(String(decoding: b[from...], as: UTF8.self)): unknown \(fieldName) flag(s)")
        }
        // Numeric value/mask.
        if case .ok(let v, let rest) = parseScanI32(b[...]), rest.first == 0x2f,
           case .ok(let m, _) = parseScanI32(rest.dropFirst()) {
            if v & ~allowed != 0 || m & ~allowed != 0 { throw unknown(0) }
            return (v, m)
        }
        func nameAt(_ p: Int, _ terminators: Set<UInt8>) -> Int? {
            for (bit, n) in names.enumerated() {
                let u = Array(n.utf8)
                guard p + u.count <= b.count, Array(b[p..<p + u.count]) == u else { continue }
                let next = p + u.count < b.count ? b[p + u.count] : 0
                if terminators.contains(next) { return bit }
            }
            return nil
        }
        var p = 0
        if let c = b.first, c == 0x2b || c == 0x2d {
            var flags: UInt64 = 0, mask: UInt64 = 0
            while p < b.count {
                let set: Bool
                if b[p] == 0x2b { set = true } else if b[p] == 0x2d { set = false } else {
                    throw MatchParseError("\(String(decoding: b[p...], as: UTF8.self)): \(fieldName) must be preceded by '+' (for SET) or '-' (NOT SET)")
                }
                p += 1
                guard let bit = nameAt(p, [0x2b, 0x2d, 0]) else { throw unknown(p) }
                let v = UInt64(1) << UInt64(bit)
                if mask & v != 0 {
                    throw MatchParseError("\(String(decoding: b[p...], as: UTF8.self)): Each \(fieldName) flag can be specified only once")
                }
                if v & allowed == 0 { throw unknown(p) }
                if set { flags |= v }
                mask |= v
                p += names[bit].utf8.count
            }
            return (flags, mask)
        }
        var result: UInt64 = 0
        while p < b.count {
            if case .ok(let v, let rest) = parseScanLLI(b[p...]) {
                if v & ~allowed != 0 { throw unknown(0) }
                p = rest.startIndex
                if p < b.count && b[p] == 0x7c { p += 1 }
                result |= v
                continue
            }
            guard let bit = nameAt(p, [0x7c, 0]) else { throw unknown(0) }
            let v = UInt64(1) << UInt64(bit)
            if v & allowed == 0 { throw unknown(0) }
            result |= v
            p += names[bit].utf8.count
            if p < b.count && b[p] == 0x7c { p += 1 }
        }
        return (result, 0xffff_ffff)
    }
}

// MARK: - Numbers

/// One `ovs_scan` integer conversion (`scan_int`): white space, sign, `0x`
/// when `base` is 16, digits; wraps like the C conversion.
private func scanNumber(_ b: [UInt8], _ i: inout Int, base: UInt64) -> UInt64? {
    var j = i
    while j < b.count, isSpace(b[j]) { j += 1 }
    let negative = j < b.count && b[j] == 0x2d
    if j < b.count, b[j] == 0x2d || b[j] == 0x2b { j += 1 }
    var base = base
    if base == 0 || base == 16, j + 1 < b.count, b[j] == 0x30, b[j + 1] | 0x20 == 0x78 {
        base = 16
        j += 2
    } else if base == 0 {
        base = j < b.count && b[j] == 0x30 ? 8 : 10
    }
    var value: UInt64 = 0
    var digits = 0
    while j < b.count, let d = hexValue(b[j]), d < base {
        value = value &* base &+ d
        digits += 1
        j += 1
    }
    guard digits > 0 else { return nil }
    i = j
    return negative ? 0 &- value : value
}

/// `strtoll(s, &tail, 10)` that must consume everything and not overflow.
private func strToLLong(_ b: [UInt8]) -> Int64? {
    var j = 0
    while j < b.count, isSpace(b[j]) { j += 1 }
    let negative = j < b.count && b[j] == 0x2d
    if j < b.count, b[j] == 0x2d || b[j] == 0x2b { j += 1 }
    var value: Int64 = 0
    var digits = 0
    while j < b.count, b[j] >= 0x30, b[j] <= 0x39 {
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int64(b[j] - 0x30))
        if o1 || o2 { return nil }
        value = a
        digits += 1
        j += 1
    }
    guard digits > 0, j == b.count else { return nil }
    return negative ? -value : value
}

private enum IntResult {
    case ok((high: UInt64, low: UInt64), ArraySlice<UInt8>)
    case syntax
    case range
}

private enum ULLResult {
    case ok(UInt64, ArraySlice<UInt8>)
    case syntax
    case range
}

private func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0d) }

/// `strtoull(s, &tail, 0)`: leading space, sign, `0x`/octal/decimal.
private func parseULL(_ s: ArraySlice<UInt8>) -> ULLResult {
    var i = s.startIndex
    while i < s.endIndex, isSpace(s[i]) { i += 1 }
    var negative = false
    if i < s.endIndex, s[i] == 0x2b || s[i] == 0x2d { negative = s[i] == 0x2d; i += 1 }
    var radix: UInt64 = 10
    if i + 1 < s.endIndex, s[i] == 0x30, s[i + 1] | 0x20 == 0x78, i + 2 < s.endIndex, hexValue(s[i + 2]) != nil {
        radix = 16; i += 2
    } else if i < s.endIndex, s[i] == 0x30 {
        radix = 8
    }
    var value: UInt64 = 0
    var digits = 0
    var overflow = false
    while i < s.endIndex, let d = hexValue(s[i]), d < radix {
        let (m, o1) = value.multipliedReportingOverflow(by: radix)
        let (a, o2) = m.addingReportingOverflow(d)
        if o1 || o2 { overflow = true }
        value = a
        i += 1
        digits += 1
    }
    guard digits > 0 else { return .syntax }
    if overflow { return .range }
    return .ok(negative ? 0 &- value : value, s[i...])
}

/// `parse_int_string` into a field of `bytes` bytes (at most 16).
private func parseIntString(_ s: ArraySlice<UInt8>, bytes: Int) -> IntResult {
    if s.count >= 2, s[s.startIndex] == 0x30, s[s.startIndex + 1] | 0x20 == 0x78 {
        var i = s.startIndex + 2
        var high: UInt64 = 0, low: UInt64 = 0
        var len = 0
        while true {
            while i < s.endIndex, isSpace(s[i]) { i += 1 }
            guard i < s.endIndex, let h = hexValue(s[i]) else { break }
            if h != 0 || len > 0 {
                if (len + 2) / 2 > bytes { return .range }
                high = high << 4 | low >> 60
                low = low << 4 | h
                len += 1
            }
            i += 1
        }
        return .ok((high, low), s[i...])
    }
    switch parseULL(s) {
    case .syntax: return .syntax
    case .range: return .range
    case .ok(let v, let rest):
        if bytes < 8 && v >> UInt64(bytes * 8) != 0 { return .range }
        return .ok((0, v), rest)
    }
}

/// `%i` (as `SCNi32`): `ovs_scan`'s `scan_int` with base 0, kept to 32 bits.
private func parseScanI32(_ s: ArraySlice<UInt8>) -> ULLResult {
    switch parseScanLLI(s) {
    case .ok(let v, let rest): return .ok(v & 0xffff_ffff, rest)
    case let other: return other
    }
}

/// `%lli`: `scan_int` with base 0.
private func parseScanLLI(_ s: ArraySlice<UInt8>) -> ULLResult {
    let b = Array(s)
    var i = 0
    guard let v = scanNumber(b, &i, base: 0) else { return .syntax }
    return .ok(v, s[(s.startIndex + i)...])
}
