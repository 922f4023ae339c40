import Flow

/// What the checker knows of the packet at one point of an action list: the
/// match's values, as the actions before have changed them
/// (`ofpacts_check` works on a copy of the match's flow).
struct CheckedFlow {
    var dlType: UInt64
    var proto: UInt64
    var hasVLAN: Bool
    var isEthernet: Bool
    let match: Match
    /// The flow's table (255: not given).
    var table: UInt8 = 255

    init(_ match: Match, table: UInt8 = 255) {
        self.match = match
        self.table = table
        dlType = match.key[.ethType]
        proto = match.key[.networkProtocol]
        hasVLAN = match.key[.vlan0TCI] & 0x1000 != 0
        isEthernet = match.key[.packetType] == 0
    }

    var isIP: Bool { dlType == 0x0800 || dlType == 0x86dd }
    var isMPLS: Bool { dlType == 0x8847 || dlType == 0x8848 }

    /// `mf_are_prereqs_ok` against the current values.
    func prerequisitesHold(_ field: OFField) -> Bool {
        var key = match.key
        key[.ethType] = dlType
        key[.networkProtocol] = proto
        key[.vlan0TCI] = hasVLAN ? key[.vlan0TCI] | 0x1000 : 0
        return field.prerequisitesHold(key: key)
    }

    /// Applies the effect an action has on what later actions may assume.
    mutating func advance(_ a: OFAction) {
        switch a {
        case .setVLANVID, .setVLANPCP, .pushVLAN: hasVLAN = true
        case .stripVLAN: hasVLAN = false
        case .setField(let f, let v, _, _) where f.name == "vlan_tci": hasVLAN = v & 0x1000 != 0
        case .pushMPLS(let t): dlType = UInt64(t); proto = 0
        case .popMPLS(let t): dlType = UInt64(t)
        default: break
        }
    }
}

/// Consistency of actions with the flow's match (`ofpacts_check`).
enum OFActionCheck {
    /// The error (`OFPERR_*` name) if an action cannot apply to packets of
    /// `match`; narrows `protocols` where only OpenFlow 1.0 can express an
    /// action that does not fit (`inconsistent_match`).
    static func check(_ actions: [OFAction], match: Match, table: UInt8 = 255, protocols: inout OFProtocols) -> String? {
        var flow = CheckedFlow(match, table: table)
        return check(actions, &flow, protocols: &protocols)
    }

    static func check(_ actions: [OFAction], _ flow: inout CheckedFlow, protocols: inout OFProtocols) -> String? {
        let inconsistent = "OFPBAC_MATCH_INCONSISTENT"
        for a in actions {
            switch a {
            case .output(let port, _):
                if port.rawValue >= 0xff00 && port.rawValue < 0xfff8 || port == .any { return "OFPBAC_BAD_OUT_PORT" }
            case .enqueue(let port, _):
                if port.rawValue >= 0xff00 && port != .inPort && port != .local { return "OFPBAC_BAD_OUT_PORT" }
            case .setField(let field, _, _, _):
                if !flow.prerequisitesHold(field) { return inconsistent }
                if field.name == "vlan_vid" && !flow.hasVLAN { return inconsistent }
            case .setIPv4Source, .setIPv4Destination:
                if flow.dlType != 0x0800 { protocols.formIntersection(.of10Any) }
            case .setIPDSCP, .setIPECN, .setIPTTL, .decrementTTL:
                if !flow.isIP { protocols.formIntersection(.of10Any) }
            case .setTransportSource, .setTransportDestination:
                let m = flow.match
                if !flow.isIP || !(flow.proto == 6 || flow.proto == 17 || flow.proto == 132)
                    || (m.mask[.networkFragment] & 2 != 0 && m.key[.networkFragment] & 2 != 0) {
                    protocols.formIntersection(.of10Any)
                }
            case .setMPLSLabel, .setMPLSTC, .setMPLSTTL, .decrementMPLSTTL:
                if !flow.isMPLS { protocols.formIntersection(.of10Any) }
            case .popMPLS:
                if !flow.isEthernet || !flow.isMPLS { protocols.formIntersection(.of10Any) }
            case .pushMPLS:
                if !flow.isEthernet { protocols.formIntersection(.of10Any) }
            case .setVLANVID(_, let push), .setVLANPCP(_, let push):
                if !flow.hasVLAN && !push { protocols.formIntersection(.of10Any) }
            case .stripVLAN:
                if !flow.hasVLAN { protocols.formIntersection(.of10Any) }
            case .meter(let id):
                protocols.formIntersection(.of13Up)
                if id == 0 || id > 0xffff_0000 { return "OFPMMFC_INVALID_METER" }
            case .gotoTable(let t):
                if flow.table != 255 && t <= flow.table { return "OFPBIC_BAD_TABLE_ID" }
            case .finTimeout:
                if flow.proto != 6 { protocols.formIntersection(.of10Any) }
            case .deleteField(let f):
                if !f.name.hasPrefix("tun_metadata") { return "OFPBAC_BAD_ARGUMENT" }
            case .decrementNSHTTL:
                if flow.dlType != 0x894f { protocols.formIntersection(.of10Any) }
            case .learn(let l):
                if !learnIsConsistent(l, &flow) { return inconsistent }
            case .multipath(let m):
                if !flow.prerequisitesHold(m.destination.field) || !m.destination.field.writable { return inconsistent }
            case .bundle(let b):
                if let d = b.destination, !flow.prerequisitesHold(d.field) || !d.field.writable { return inconsistent }
                for p in b.members where (p.rawValue >= 0xff00 && p.rawValue < 0xfff8) || p == .controller {
                    _ = p
                    return "OFPBAC_BAD_OUT_PORT"
                }
            case .resubmit(let r):
                if r.withConntrackOriginal && !isConntrackValid(flow.match) { return inconsistent }
            case .clone(let inner):
                if let e = check(inner, &flow, protocols: &protocols) { return e }
            case .writeActions(let inner):
                var copy = flow
                var p = protocols
                if let e = check(inner, &copy, protocols: &p) { return e }
            case .conntrack(let c):
                let ctState = flow.match.key[.ctState]
                if !flow.isIP || (ctState & 0x10 != 0 && c.commit) || (c.alg == 21 && flow.proto != 6)
                    || (c.alg == 69 && flow.proto != 17) {
                    return inconsistent
                }
                if let z = c.zoneSource, !flow.prerequisitesHold(z.field) { return inconsistent }
                if let e = check(c.actions, &flow, protocols: &protocols) { return e }
            case .nat(let n):
                if !flow.isIP { return inconsistent }
                if case .v4 = n.addressMin, flow.dlType != 0x0800 { return inconsistent }
                if case .v6 = n.addressMin, flow.dlType != 0x86dd { return inconsistent }
            case .move(let s, let d):
                if !flow.prerequisitesHold(s.field) || !flow.prerequisitesHold(d.field) { return inconsistent }
            case .outputRegister(let s, _), .stackPush(let s):
                if !flow.prerequisitesHold(s.field) { return inconsistent }
            case .stackPop(let d):
                if !flow.prerequisitesHold(d.field) { return inconsistent }
            default: break
            }
            flow.advance(a)
        }
        return nil
    }

    /// `learn_check`: sources exist in the flow; destinations in the
    /// learned flow, whose match grows with the immediate values.
    static func learnIsConsistent(_ l: LearnAction, _ flow: inout CheckedFlow) -> Bool {
        var learned = CheckedFlow(Match.catchAll)
        for spec in l.specs {
            switch spec {
            case .matchField(let d, let s):
                if !flow.prerequisitesHold(s.field) || !learned.prerequisitesHold(d.field) { return false }
            case .loadField(let d, let s):
                if !flow.prerequisitesHold(s.field) || !learned.prerequisitesHold(d.field) || !d.field.writable { return false }
            case .output(let s):
                if !flow.prerequisitesHold(s.field) { return false }
            case .matchValue(let d, let v):
                if !learned.prerequisitesHold(d.field) { return false }
                switch d.field.name {
                case "eth_type" where d.isWholeField: learned.dlType = UInt64(v & 0xffff)
                case "nw_proto" where d.isWholeField: learned.proto = UInt64(v & 0xff)
                default: break
                }
            case .loadValue(let d, _):
                if !learned.prerequisitesHold(d.field) || !d.field.writable { return false }
            }
        }
        return true
    }

    /// `is_ct_valid` for a match: some bit that implies a valid connection,
    /// or tracked and explicitly not invalid.
    static func isConntrackValid(_ match: Match) -> Bool {
        let s = match.key[.ctState], m = match.mask[.ctState]
        return s & 0xcf != 0 || (s & 0x20 != 0 && m & 0x10 != 0 && s & 0x10 == 0)
    }
}

extension OFField {
    /// True if packets of `match` always have this field (`mf_are_prereqs_ok`).
    func prerequisitesHold(_ match: Match) -> Bool { prerequisitesHold(key: match.key) }

    /// The same against explicit values.
    func prerequisitesHold(key k: FlowKey) -> Bool {
        let dlType = k[.ethType]
        let ethernet = k[.packetType] == 0
        let isIPv4 = dlType == 0x0800, isIPv6 = dlType == 0x86dd
        let proto = k[.networkProtocol]
        switch prerequisite {
        case .none: return true
        case .ethernet: return ethernet
        case .vlanVID: return ethernet && k[.vlan0TCI] & 0x1000 != 0
        case .mpls: return ethernet && (dlType == 0x8847 || dlType == 0x8848)
        case .ipv4: return ethernet && isIPv4
        case .ipv6: return ethernet && isIPv6
        case .ip: return ethernet && (isIPv4 || isIPv6)
        case .arp: return ethernet && (dlType == 0x0806 || dlType == 0x8035)
        case .tcp: return ethernet && (isIPv4 || isIPv6) && proto == 6
        case .udp: return ethernet && (isIPv4 || isIPv6) && proto == 17
        case .sctp: return ethernet && (isIPv4 || isIPv6) && proto == 132
        case .icmpv4: return ethernet && isIPv4 && proto == 1
        case .icmpv6: return ethernet && isIPv6 && proto == 58
        case .nd, .ndSolicit, .ndAdvert:
            guard ethernet && isIPv6 && proto == 58 && k[.transportDestination] == 0 else { return false }
            let t = k[.transportSource]
            switch prerequisite {
            case .ndSolicit: return t == 135
            case .ndAdvert: return t == 136
            default: return t == 135 || t == 136
            }
        case .nsh: return dlType == 0x894f
        case .conntrack: return k[.ctState] & 0x20 != 0
        }
    }
}

/// What an OpenFlow version's encoding makes of actions: the list that
/// decoding the encoded message gives back (`ofpacts_put_openflow_*`
/// then `ofpacts_pull_openflow_*`).
public enum OFActionEncoding {
    public static func roundTrip(_ actions: [OFAction], version: OFVersion, match: Match) -> [OFAction] {
        var flow = CheckedFlow(match)
        return roundTrip(actions, version: version, flow: &flow)
    }

    static func roundTrip(_ actions: [OFAction], version: OFVersion, flow: inout CheckedFlow) -> [OFAction] {
        var out: [OFAction] = []
        for a in actions {
            if version == .of10 {
                out.append(contentsOf: of10(a, flow: &flow))
            } else if version == .of11 {
                out.append(contentsOf: of11(a, flow: &flow))
            } else {
                out.append(contentsOf: oxm(a, version: version, flow: &flow))
            }
            flow.advance(a)
        }
        // A load whose mask is empty encodes to nothing.
        return out.filter {
            if case .setField(_, _, let mask, .load) = $0 { return mask != 0 }
            return true
        }
    }

    static func field(_ name: String) -> OFField { OFField.named(name)! }

    static func of10(_ a: OFAction, flow: inout CheckedFlow) -> [OFAction] {
        switch a {
        case .setField(let f, let v, let m, let origin):
            if origin == .load { return [a] }
            if origin == .load2 || f.nxm == nil && (f.oxm?.isExperimenter ?? true) || f.variableLength {
                return [.setField(field: f, value: v, mask: m, origin: .load2)]
            }
            if origin == .setField {
                switch f.name {
                case "vlan_tci":
                    if v & 0x1000 != 0 {
                        return [.setVLANVID(UInt16(v & 0xfff), pushIfNeeded: true), .setVLANPCP(UInt8((v >> 13) & 7), pushIfNeeded: true)]
                    }
                    return [.stripVLAN(isPop: false)]
                case "vlan_vid": return [.setVLANVID(UInt16(v & 0xfff), pushIfNeeded: true)]
                case "vlan_pcp": return [.setVLANPCP(UInt8(v & 7), pushIfNeeded: true)]
                case "eth_src": return [.setEthSource(UInt64(truncatingIfNeeded: v))]
                case "eth_dst": return [.setEthDestination(UInt64(truncatingIfNeeded: v))]
                case "ip_src": return [.setIPv4Source(UInt32(truncatingIfNeeded: v))]
                case "ip_dst": return [.setIPv4Destination(UInt32(truncatingIfNeeded: v))]
                case "ip_dscp": return [.setIPDSCP(UInt8(truncatingIfNeeded: v << 2))]
                case "nw_tos": return [.setIPDSCP(UInt8(truncatingIfNeeded: v) & 0xfc)]
                case "nw_ecn": return [.setField(field: f, value: v, mask: f.byteMask, origin: .load)]
                case "tcp_src", "udp_src": return [.setTransportSource(UInt16(truncatingIfNeeded: v))]
                case "tcp_dst", "udp_dst": return [.setTransportDestination(UInt16(truncatingIfNeeded: v))]
                default: return [.setField(field: f, value: v, mask: m, origin: .load)]
                }
            }
            return [a]
        case .setVLANVID(let v, _): return [.setVLANVID(v, pushIfNeeded: true)]
        case .setVLANPCP(let p, _): return [.setVLANPCP(p, pushIfNeeded: true)]
        case .stripVLAN: return [.stripVLAN(isPop: false)]
        case .pushVLAN: return []
        case .setIPECN(let e): return [.setField(field: field("nw_ecn"), value: UInt128(e), mask: 0xff, origin: .load)]
        case .setIPTTL(let t): return [.setField(field: field("nw_ttl"), value: UInt128(t), mask: 0xff, origin: .load)]
        case .setTunnel(let id, let is64): return [.setTunnel(id, is64: is64 || id > 0xffff_ffff)]
        case .gotoTable(let t): return [.resubmit(ResubmitAction(inPort: .inPort, table: t))]
        case .clearActions, .writeActions, .meter: return []
        case .clone(let inner): return [.clone(roundTrip(inner, version: .of10, flow: &flow))]
        case .conntrack(var c):
            c.actions = roundTrip(c.actions, version: .of10, flow: &flow)
            return [.conntrack(c)]
        case .note(let bytes): return [.note(paddedNote(bytes))]
        case .controller(let c) where c.isPlain: return [.output(port: .controller, maxLength: c.maxLength)]
        default: return [a]
        }
    }

    /// OpenFlow 1.1: the legacy set actions of 1.0 (with push/pop VLAN and
    /// MPLS), instructions as in 1.3, Nicira extensions for the rest.
    static func of11(_ a: OFAction, flow: inout CheckedFlow) -> [OFAction] {
        let hasVLAN = flow.hasVLAN
        switch a {
        case .setField(let f, let v, _, .setField):
            switch f.name {
            case "vlan_tci":
                if v & 0x1000 != 0 {
                    return (hasVLAN ? [] : [.pushVLAN(ethertype: 0x8100)])
                        + [.setVLANVID(UInt16(v & 0xfff), pushIfNeeded: false), .setVLANPCP(UInt8((v >> 13) & 7), pushIfNeeded: false)]
                }
                return [.stripVLAN(isPop: true)]
            case "vlan_vid": return [.setVLANVID(UInt16(v & 0xfff), pushIfNeeded: false)]
            case "vlan_pcp": return [.setVLANPCP(UInt8(v & 7), pushIfNeeded: false)]
            case "nw_ecn": return [.setIPECN(UInt8(truncatingIfNeeded: v))]
            default: return of10(a, flow: &flow)
            }
        case .setVLANVID(let v, let push):
            return (push && !hasVLAN ? [.pushVLAN(ethertype: 0x8100)] : []) + [.setVLANVID(v, pushIfNeeded: false)]
        case .setVLANPCP(let p, let push):
            return (push && !hasVLAN ? [.pushVLAN(ethertype: 0x8100)] : []) + [.setVLANPCP(p, pushIfNeeded: false)]
        case .stripVLAN: return [.stripVLAN(isPop: true)]
        case .setIPECN, .setIPTTL, .setMPLSLabel, .setMPLSTC, .pushVLAN: return [a]
        case .setField, .setTunnel, .note: return of10(a, flow: &flow)
        case .clone(let inner): return [.clone(roundTrip(inner, version: .of11, flow: &flow))]
        case .conntrack(var c):
            c.actions = roundTrip(c.actions, version: .of11, flow: &flow)
            return [.conntrack(c)]
        case .writeActions(let inner):
            var copy = flow
            return [.writeActions(roundTrip(inner, version: .of11, flow: &copy))]
        case .setEthSource, .setEthDestination, .setIPv4Source, .setIPv4Destination, .setIPDSCP,
             .setTransportSource, .setTransportDestination:
            return [a]
        default: return oxm(a, version: .of11, flow: &flow)
        }
    }

    /// NXAST_NOTE pads its data so the action is a multiple of 8 bytes.
    static func paddedNote(_ bytes: [UInt8]) -> [UInt8] {
        let total = (10 + bytes.count + 7) / 8 * 8
        return bytes + [UInt8](repeating: 0, count: max(total - 10 - bytes.count, 0))
    }

    static func oxm(_ a: OFAction, version: OFVersion, flow: inout CheckedFlow) -> [OFAction] {
        let hasVLAN = flow.hasVLAN, proto = flow.proto
        func set(_ name: String, _ v: UInt128) -> OFAction {
            let f = field(name)
            return .setField(field: f, value: v, mask: f.byteMask, origin: .setField)
        }
        switch a {
        case .setField(let f, let v, let m, _) where version >= .of15:
            // OpenFlow 1.5 has only Set-Field, masked or not.
            return [.setField(field: f, value: v, mask: m, origin: .setField)]
        case .setField(let f, let v, let m, let origin):
            if origin == .setField && m != f.byteMask { return [.setField(field: f, value: v, mask: m, origin: .load)] }
            if origin == .load2 { return [.setField(field: f, value: v, mask: m, origin: .load2)] }
            return [a]
        case .setVLANVID(let v, let push):
            return (push && !hasVLAN ? [.pushVLAN(ethertype: 0x8100)] : []) + [set("vlan_vid", UInt128(v) | 0x1000)]
        case .setVLANPCP(let p, let push):
            return (push && !hasVLAN ? [.pushVLAN(ethertype: 0x8100)] : []) + [set("vlan_pcp", UInt128(p))]
        case .stripVLAN: return [.stripVLAN(isPop: true)]
        case .setEthSource(let m): return [set("eth_src", UInt128(m))]
        case .setEthDestination(let m): return [set("eth_dst", UInt128(m))]
        case .setIPv4Source(let ip): return [set("ip_src", UInt128(ip))]
        case .setIPv4Destination(let ip): return [set("ip_dst", UInt128(ip))]
        case .setIPDSCP(let tos): return [set("ip_dscp", UInt128(tos >> 2))]
        case .setIPECN(let e): return [set("nw_ecn", UInt128(e))]
        case .setTransportSource(let p), .setTransportDestination(let p):
            let isSource: Bool
            if case .setTransportSource = a { isSource = true } else { isSource = false }
            let base = proto == 17 ? "udp" : proto == 132 ? "sctp" : "tcp"
            return [set(base + (isSource ? "_src" : "_dst"), UInt128(p))]
        case .setMPLSLabel(let l): return [set("mpls_label", UInt128(l))]
        case .setMPLSTC(let t): return [set("mpls_tc", UInt128(t))]
        case .setTunnel(let id, _): return [set("tun_id", UInt128(id))]
        case .enqueue(let port, let q): return [.setQueue(q), .output(port: port, maxLength: 0), .popQueue]
        case .clone(let inner):
            return [.clone(roundTrip(inner, version: version, flow: &flow))]
        case .writeActions(let inner):
            var copy = flow
            return [.writeActions(roundTrip(inner, version: version, flow: &copy))]
        case .conntrack(var c):
            c.actions = roundTrip(c.actions, version: version, flow: &flow)
            return [.conntrack(c)]
        case .note(let bytes): return [.note(paddedNote(bytes))]
        case .controller(let c) where c.isPlain: return [.output(port: .controller, maxLength: c.maxLength)]
        default: return [a]
        }
    }
}
