import Flow

/// Printing actions as `ovs-ofctl` prints them (`ofpacts_format`), and the
/// changes an OpenFlow encoding makes to them: `ovs-ofctl parse-flow` and
/// `dump-flows` print what comes back after encoding to the chosen version
/// and decoding, so `mod_tp_dst:80` reads `set_field:80->tcp_dst` in
/// OpenFlow 1.3 and `set_field:5->reg3` reads `load:0x5->NXM_NX_REG3[]` in
/// OpenFlow 1.0.

/// Sets of OpenFlow protocol variants (`enum ofputil_protocol`).
public struct OFProtocols: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let of10Std = OFProtocols(rawValue: 1 << 0)
    public static let of10StdTID = OFProtocols(rawValue: 1 << 1)
    public static let of10NXM = OFProtocols(rawValue: 1 << 2)
    public static let of10NXMTID = OFProtocols(rawValue: 1 << 3)
    public static let of11Std = OFProtocols(rawValue: 1 << 4)
    public static let of12OXM = OFProtocols(rawValue: 1 << 5)
    public static let of13OXM = OFProtocols(rawValue: 1 << 6)
    public static let of14OXM = OFProtocols(rawValue: 1 << 7)
    public static let of15OXM = OFProtocols(rawValue: 1 << 8)

    public static let of10StdAny: OFProtocols = [.of10Std, .of10StdTID]
    public static let of10NXMAny: OFProtocols = [.of10NXM, .of10NXMTID]
    public static let of10Any: OFProtocols = [.of10StdAny, .of10NXMAny]
    public static let anyOXM: OFProtocols = [.of12OXM, .of13OXM, .of14OXM, .of15OXM]
    public static let nxmOF11Up: OFProtocols = [.of10NXMAny, .of11Std, .anyOXM]
    public static let nxmOXMAny: OFProtocols = [.of10NXMAny, .anyOXM]
    public static let of11Up: OFProtocols = [.of11Std, .anyOXM]
    public static let of15Up: OFProtocols = [.of15OXM]
    public static let of14Up: OFProtocols = [.of14OXM, .of15OXM]
    public static let of13Up: OFProtocols = [.of13OXM, .of14OXM, .of15OXM]
    public static let of12Up: OFProtocols = [.of12OXM, .of13Up]
    public static let tid: OFProtocols = [.of10StdTID, .of10NXMTID, .of11Std, .anyOXM]
    public static let any = OFProtocols(rawValue: (1 << 9) - 1)

    /// One protocol's name (`ofputil_protocol_to_string`).
    public var singleName: String {
        switch self {
        case .of10NXM: return "NXM-table_id"
        case .of10NXMTID: return "NXM+table_id"
        case .of10Std: return "OpenFlow10-table_id"
        case .of10StdTID: return "OpenFlow10+table_id"
        case .of11Std: return "OpenFlow11"
        case .of12OXM: return "OXM-OpenFlow12"
        case .of13OXM: return "OXM-OpenFlow13"
        case .of14OXM: return "OXM-OpenFlow14"
        case .of15OXM: return "OXM-OpenFlow15"
        default: return "?"
        }
    }

    /// `ofputil_protocols_to_string`.
    public var listDescription: String {
        if isEmpty { return "none" }
        var rest = self
        var parts: [String] = []
        let abbreviations: [(OFProtocols, String)] = [(.any, "any"), (.of10StdAny, "OpenFlow10"), (.of10NXMAny, "NXM"), (.anyOXM, "OXM")]
        outer: while !rest.isEmpty {
            for (p, name) in abbreviations where rest.isSuperset(of: p) {
                parts.append(name)
                rest.subtract(p)
                continue outer
            }
            for i in 0..<9 {
                let bit = OFProtocols(rawValue: 1 << i)
                if rest.contains(bit) {
                    parts.append(bit.singleName)
                    rest.subtract(bit)
                    continue outer
                }
            }
        }
        return parts.joined(separator: ",")
    }

    /// The OpenFlow wire version a single protocol speaks.
    public var version: OFVersion {
        if !intersection(.of10Any).isEmpty { return .of10 }
        if contains(.of11Std) { return .of11 }
        if contains(.of12OXM) { return .of12 }
        if contains(.of13OXM) { return .of13 }
        if contains(.of14OXM) { return .of14 }
        return .of15
    }
}

/// OpenFlow wire versions.
public enum OFVersion: UInt8, Comparable, Sendable {
    case of10 = 1, of11, of12, of13, of14, of15
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The protocols a `-O` version allows (`ofputil_protocols_from_ofp_version`).
    public var protocols: OFProtocols {
        switch self {
        case .of10: return .of10Any
        case .of11: return .of11Std
        case .of12: return .of12OXM
        case .of13: return .of13OXM
        case .of14: return .of14OXM
        case .of15: return .of15OXM
        }
    }
}

// MARK: - Formatting

extension OFAction {
    /// Formats a list as `ofpacts_format` does (`drop` if empty).
    public static func format(_ actions: [OFAction]) -> String {
        if actions.isEmpty { return "drop" }
        return formatList(actions)
    }

    static func formatList(_ actions: [OFAction]) -> String {
        actions.map { $0.formatted }.joined(separator: ",")
    }

    /// The action in `ovs-ofctl` syntax.
    public var formatted: String {
        switch self {
        case .output(let port, let maxLength):
            if port.rawValue < 0xff00 { return "output:\(port.rawValue)" }
            if port == .controller { return "CONTROLLER:\(maxLength)" }
            return PortText.format(port)
        case .controller(let c):
            if c.isPlain { return "CONTROLLER:\(c.maxLength)" }
            var parts: [String] = []
            let reasons = ["no_match", "action", "invalid_ttl", "action_set", "group", "packet_out"]
            if c.reason != 1 { parts.append("reason=" + (Int(c.reason) < reasons.count ? reasons[Int(c.reason)] : String(c.reason))) }
            if c.maxLength != 0xffff { parts.append("max_len=\(c.maxLength)") }
            if c.controllerID != 0 { parts.append("id=\(c.controllerID)") }
            if !c.userdata.isEmpty { parts.append("userdata=" + HexText.hexArgument(c.userdata)) }
            if c.pause { parts.append("pause") }
            if c.meterID != 0 { parts.append("meter_id=\(c.meterID)") }
            return "controller(" + parts.joined(separator: ",") + ")"
        case .enqueue(let port, let queue): return "enqueue:\(PortText.format(port)):\(queue)"
        case .outputRegister(let source, _): return "output:" + source.formatted
        case .group(let g): return "group:\(g)"
        case .outputTruncate(let port, let maxLength): return "output(port=" + PortText.format(port) + ",max_len=\(maxLength))"
        case .checkPacketLarger(let n, let d): return "check_pkt_larger(\(n))->" + d.formatted
        case .deleteField(let f): return "delete_field:" + f.name
        case .decrementNSHTTL: return "dec_nsh_ttl"
        case .debugRecirculate: return "debug_recirc"
        case .debugSlowPath: return "debug_slow"
        case .bundle(let b):
            var s = (b.destination == nil ? "bundle(" : "bundle_load(") + "\(b.fields),\(b.basis),\(b.algorithm),ofport,"
            if let d = b.destination { s += d.formatted + "," }
            return s + "members:" + b.members.map { PortText.format($0) }.joined(separator: ",") + ")"
        case .setVLANVID(let vid, let push): return (push ? "mod_vlan_vid:" : "set_vlan_vid:") + String(vid)
        case .setVLANPCP(let pcp, let push): return (push ? "mod_vlan_pcp:" : "set_vlan_pcp:") + String(pcp)
        case .stripVLAN(let isPop): return isPop ? "pop_vlan" : "strip_vlan"
        case .pushVLAN(let t): return "push_vlan:" + HexText.alt(UInt64(t))
        case .setEthSource(let m): return "mod_dl_src:" + HexText.mac(m)
        case .setEthDestination(let m): return "mod_dl_dst:" + HexText.mac(m)
        case .setIPv4Source(let a): return "mod_nw_src:" + HexText.ipv4(a)
        case .setIPv4Destination(let a): return "mod_nw_dst:" + HexText.ipv4(a)
        case .setIPDSCP(let t): return "mod_nw_tos:\(t)"
        case .setIPECN(let e): return "mod_nw_ecn:\(e)"
        case .setIPTTL(let t): return "mod_nw_ttl:\(t)"
        case .setTransportSource(let p): return "mod_tp_src:\(p)"
        case .setTransportDestination(let p): return "mod_tp_dst:\(p)"
        case .setField(let field, let value, let mask, let origin):
            if origin == .load {
                return OFAction.loadSegments(field: field, value: value, mask: mask)
                    .map { "load:" + HexText.alt(UInt64(truncatingIfNeeded: $0.value)) + "->" + $0.destination.formatted }
                    .joined(separator: ",")
            }
            return "set_field:" + field.formatValue(value, mask: mask) + "->" + field.name
        case .move(let s, let d): return "move:" + s.formatted + "->" + d.formatted
        case .stackPush(let s): return "push:" + s.formatted
        case .stackPop(let s): return "pop:" + s.formatted
        case .decrementTTL(let ids, let explicit):
            return explicit ? "dec_ttl(" + ids.map(String.init).joined(separator: ",") + ")" : "dec_ttl"
        case .setMPLSLabel(let l): return "set_mpls_label(\(l))"
        case .setMPLSTC(let t): return "set_mpls_tc(\(t))"
        case .setMPLSTTL(let t): return "set_mpls_ttl(\(t))"
        case .decrementMPLSTTL: return "dec_mpls_ttl"
        case .pushMPLS(let t): return "push_mpls:0x" + HexText.hex(UInt64(t), width: 4)
        case .popMPLS(let t): return "pop_mpls:0x" + HexText.hex(UInt64(t), width: 4)
        case .setTunnel(let id, let is64):
            return (id > 0xffff_ffff || is64 ? "set_tunnel64:" : "set_tunnel:") + HexText.alt(id)
        case .setQueue(let q): return "set_queue:\(q)"
        case .popQueue: return "pop_queue"
        case .finTimeout(let f):
            var parts: [String] = []
            if f.idle != 0 { parts.append("idle_timeout=\(f.idle)") }
            if f.hard != 0 { parts.append("hard_timeout=\(f.hard)") }
            return "fin_timeout(" + parts.joined(separator: ",") + ")"
        case .resubmit(let r):
            if r.inPort != .inPort && r.table == 255 { return "resubmit:" + PortText.format(r.inPort) }
            var s = "resubmit("
            if r.inPort != .inPort { s += PortText.format(r.inPort) }
            s += ","
            if r.table != 255 { s += String(r.table) }
            if r.withConntrackOriginal { s += ",ct" }
            return s + ")"
        case .learn(let l): return OFAction.formatLearn(l)
        case .conjunction(let id, let clause, let n): return "conjunction(\(id),\(Int(clause) + 1)/\(n))"
        case .multipath(let m):
            return "multipath(\(m.fields),\(m.basis),\(m.algorithm),\(Int(m.maxLink) + 1),\(m.argument),\(m.destination.formatted))"
        case .note(let bytes): return "note:" + HexText.hexArgument(bytes)
        case .exit: return "exit"
        case .sample(let s):
            var t = "sample(probability=\(s.probability),collector_set_id=\(s.collectorSetID),obs_domain_id=\(s.observationDomainID),obs_point_id=\(s.observationPointID)"
            if s.samplingPort != .any { t += ",sampling_port=" + PortText.format(s.samplingPort) }
            if s.direction == 1 { t += ",ingress" } else if s.direction == 2 { t += ",egress" }
            return t + ")"
        case .clone(let inner): return "clone(" + OFAction.formatList(inner) + ")"
        case .conntrack(let c): return OFAction.formatConntrack(c)
        case .conntrackClear: return "ct_clear"
        case .nat(let n): return OFAction.formatNAT(n)
        case .meter(let m): return "meter:\(m)"
        case .clearActions: return "clear_actions"
        case .writeActions(let inner): return "write_actions(" + OFAction.formatList(inner) + ")"
        case .writeMetadata(let v, let m):
            var s = "write_metadata:" + HexText.alt(v)
            if m != .max { s += "/" + HexText.alt(m) }
            return s
        case .gotoTable(let t): return "goto_table:\(t)"
        }
    }

    /// `learn_format`.
    static func formatLearn(_ l: LearnAction) -> String {
        var s = "learn(table=\(l.table)"
        if l.idleTimeout != 0 { s += ",idle_timeout=\(l.idleTimeout)" }
        if l.hardTimeout != 0 { s += ",hard_timeout=\(l.hardTimeout)" }
        if l.finIdleTimeout != 0 { s += ",fin_idle_timeout=\(l.finIdleTimeout)" }
        if l.finHardTimeout != 0 { s += ",fin_hard_timeout=\(l.finHardTimeout)" }
        if l.priority != 32768 { s += ",priority=\(l.priority)" }
        if l.sendFlowRemoved { s += ",send_flow_rem" }
        if l.deleteLearned { s += ",delete_learned" }
        if l.cookie != 0 { s += ",cookie=" + HexText.alt(l.cookie) }
        if l.limit != 0 { s += ",limit=\(l.limit)" }
        if let r = l.resultDestination { s += ",result_dst=" + r.formatted }
        for spec in l.specs {
            s += ","
            switch spec {
            case .matchValue(let d, let v):
                if d.isWholeField {
                    s += d.field.name + "=" + d.field.formatValue(v, mask: nil)
                } else {
                    s += d.formatted + "=" + (v == 0 ? "0" : "0x" + HexText.hex128(v))
                }
            case .matchField(let d, let src):
                s += d.formatted
                if src.field != d.field || src.offset != d.offset { s += "=" + src.formatted }
            case .loadValue(let d, let v):
                s += "load:" + (v == 0 ? "0" : "0x" + HexText.hex128(v)) + "->" + d.formatted
            case .loadField(let d, let src):
                s += "load:" + src.formatted + "->" + d.formatted
            case .output(let src):
                s += "output:" + src.formatted
            }
        }
        return s + ")"
    }

    /// `format_CT`.
    static func formatConntrack(_ c: ConntrackAction) -> String {
        var parts: [String] = []
        if c.commit { parts.append("commit") }
        if c.force { parts.append("force") }
        if c.recirculationTable != 255 { parts.append("table=\(c.recirculationTable)") }
        if let z = c.zoneSource { parts.append("zone=" + z.formatted) } else if c.zone != 0 { parts.append("zone=\(c.zone)") }
        var execs: [OFAction] = []
        var nats: [String] = []
        for a in c.actions {
            if case .nat(let n) = a { nats.append(formatNAT(n)) } else { execs.append(a) }
        }
        parts.append(contentsOf: nats)
        if !execs.isEmpty { parts.append("exec(" + formatList(execs) + ")") }
        if c.alg != 0 { parts.append("alg=" + (c.alg == 21 ? "ftp" : c.alg == 69 ? "tftp" : String(c.alg))) }
        return "ct(" + parts.joined(separator: ",") + ")"
    }

    /// `format_NAT`.
    static func formatNAT(_ n: NATAction) -> String {
        var s = "nat"
        if n.kind != .unspecified {
            s += n.kind == .source ? "(src" : "(dst"
            if let lo = n.addressMin {
                s += "="
                // IPv6 addresses take brackets only before a port.
                func addr(_ a: IPAddressValue) -> String {
                    switch a {
                    case .v4(let v): return HexText.ipv4(v)
                    case .v6(let v): return n.portMin != 0 ? "[" + HexText.ipv6(v) + "]" : HexText.ipv6(v)
                    }
                }
                s += addr(lo)
                if let hi = n.addressMax, hi != lo { s += "-" + addr(hi) }
                if n.portMin != 0 {
                    s += ":\(n.portMin)"
                    if n.portMax > n.portMin { s += "-\(n.portMax)" }
                }
            }
            if n.persistent { s += ",persistent" }
            if n.hash { s += ",hash" }
            if n.random { s += ",random" }
            s += ")"
        }
        return s
    }

    /// `next_load_segment`: the contiguous runs of `mask`, at most 64 bits each.
    static func loadSegments(field: OFField, value: UInt128, mask: UInt128) -> [(destination: OFSubfield, value: UInt128)] {
        var out: [(OFSubfield, UInt128)] = []
        var bit = 0
        let n = field.bits
        while bit < n {
            while bit < n && (mask >> UInt128(bit)) & 1 == 0 { bit += 1 }
            if bit >= n { break }
            var end = bit + 1
            while end < min(bit + 64, n) && (mask >> UInt128(end)) & 1 == 1 { end += 1 }
            let width = end - bit
            let ones: UInt128 = width >= 128 ? .max : (UInt128(1) << UInt128(width)) - 1
            out.append((OFSubfield(field: field, offset: bit, bits: width), (value >> UInt128(bit)) & ones))
            bit = end
        }
        return out
    }
}
