import Flow
import OFProto

/// Matches on the wire: NXM (OpenFlow 1.0 Nicira extensions), OXM
/// (OpenFlow 1.2+) and OpenFlow 1.0's fixed 40-byte `ofp10_match`.
public enum OFMatchCodec {
    // MARK: Field helpers

    static func field(_ name: String) -> OFField { OFField.named(name)! }

    static func read(_ f: OFField, _ key: FlowKey) -> UInt128 { f.value(in: key) }

    static func write(_ f: OFField, _ value: UInt128, mask: UInt128, into key: inout FlowKey) {
        f.write(value, mask: mask, into: &key)
    }

    /// The fields `entries` names, resolved once.
    struct Known {
        let byName: [String: OFField]
        init() {
            var d: [String: OFField] = [:]
            for f in OFField.all { d[f.name] = f }
            byName = d
        }
        subscript(_ name: String) -> OFField { byName[name]! }
    }
    static let known = Known()
    /// Per field id: the words of a flow key the field occupies (bit i:
    /// word i), its byte width and whether it takes a mask.
    static let fieldWords: [UInt64] = OFField.all.map { f in
        var k = FlowKey()
        let ones = storageOnes(f)
        OFField.storages[f.id].write(ones, mask: ones, into: &k)
        let words = wordMap(k.words.span)
        // A field with no storage bits is never skipped.
        return words == 0 ? .max : words
    }
    static let fieldBytes: [Int] = OFField.all.map(\.bytes)
    /// Bit i set when word i of `words` is not zero.
    static func wordMap(_ words: Span<UInt64>) -> UInt64 {
        var map: UInt64 = 0
        for i in 0..<words.count where words[i] != 0 { map |= 1 << UInt64(i) }
        return map
    }
    static let fieldMaskable: [Bool] = OFField.all.map(\.maskable)
    static let tailFields: [Int] = {
        let names = ["tun_id", "tun_flags", "tun_src", "tun_dst", "tun_ipv6_src", "tun_ipv6_dst", "tun_gbp_id",
                     "tun_gbp_flags", "metadata"] + (0..<16).map { "reg\($0)" }
            + ["pkt_mark", "ct_state", "ct_zone", "ct_mark", "ct_label", "ct_nw_proto", "ct_nw_src", "ct_nw_dst",
               "ct_ipv6_src", "ct_ipv6_dst", "ct_tp_src", "ct_tp_dst", "conj_id", "recirc_id", "dp_hash", "actset_output"]
        return names.compactMap { OFField.named($0)?.id }
    }()
    /// Fields by their header, per (version kind): the header `entries` writes.
    static let nxmHeaders: [OXMHeader?] = OFField.all.map { header(for: $0, oxmVersion: nil) }
    static let oxmHeaders: [[OXMHeader?]] = (4...6).map { v in OFField.all.map { header(for: $0, oxmVersion: UInt8(v)) } }
    static let ones: [UInt128] = OFField.all.map { storageOnes($0) }

    /// All ones over the field's bits in the flow key.
    static func storageOnes(_ f: OFField) -> UInt128 {
        switch f.storage {
        case .bits(_, _, let width): return width >= 128 ? .max : (UInt128(1) << UInt128(width)) - 1
        case .word: return UInt128(UInt64.max)
        case .pair: return .max
        case .none: return f.allOnes
        }
    }

    static func byteMask(_ f: OFField) -> UInt128 { f.bytes >= 16 ? .max : (UInt128(1) << UInt128(f.bytes * 8)) - 1 }

    /// The header a field is written with: NXM for OpenFlow 1.0, else the
    /// OXM header when the version has it (`nxm_field_by_mf_id`).
    static func header(for f: OFField, oxmVersion: UInt8?) -> OXMHeader? {
        guard let v = oxmVersion else { return f.nxm ?? f.oxm }
        if f.name == "tcp_flags" && v >= 6 {
            return OXMHeader(name: "OXM_OF_TCP_FLAGS", classID: 0x8000, field: 42, experimenter: 0, sinceVersion: 6)
        }
        if let o = f.oxm, max(o.sinceVersion, 3) <= v { return o }
        return f.nxm ?? f.oxm
    }

    /// Every header that decodes to a field, keyed by (class, field, experimenter).
    struct HeaderKey: Hashable { var classID: UInt16; var field: UInt8; var experimenter: UInt32 }
    static let fieldsByHeader: [HeaderKey: OFField] = {
        var d: [HeaderKey: OFField] = [:]
        for f in OFField.all {
            for h in [f.nxm, f.oxm].compactMap({ $0 }) {
                let k = HeaderKey(classID: h.classID, field: h.field, experimenter: h.experimenter)
                if d[k] == nil { d[k] = f }
            }
        }
        d[HeaderKey(classID: 0x8000, field: 42, experimenter: 0)] = field("tcp_flags")
        d[HeaderKey(classID: 0x8000, field: 43, experimenter: 0)] = field("actset_output")
        return d
    }()

    /// `mf_are_match_prereqs_ok`: the match fixes what `f` needs.
    static func prerequisitesHold(_ f: OFField, key k: FlowKey, mask m: FlowMask) -> Bool {
        let ethernet = m[.packetType] == 0 || k[.packetType] == 0
        let dlType: UInt64? = m[.ethType] == 0xffff ? k[.ethType] : nil
        let proto: UInt64? = m[.networkProtocol] == 0xff ? k[.networkProtocol] : nil
        let isIPv4 = dlType == 0x0800, isIPv6 = dlType == 0x86dd
        switch f.prerequisite {
        case .none: return true
        case .ethernet: return ethernet
        case .vlanVID: return ethernet && k[.vlan0TCI] & 0x1000 != 0 && m[.vlan0TCI] & 0x1000 != 0
        case .mpls: return dlType == 0x8847 || dlType == 0x8848
        case .ipv4: return isIPv4
        case .ipv6: return isIPv6
        case .ip: return isIPv4 || isIPv6
        case .arp: return dlType == 0x0806 || dlType == 0x8035
        case .tcp: return (isIPv4 || isIPv6) && proto == 6
        case .udp: return (isIPv4 || isIPv6) && proto == 17
        case .sctp: return (isIPv4 || isIPv6) && proto == 132
        case .icmpv4: return isIPv4 && proto == 1
        case .icmpv6: return isIPv6 && proto == 58
        case .nd, .ndSolicit, .ndAdvert:
            guard isIPv6 && proto == 58, m[.transportSource] & 0xff == 0xff else { return false }
            let t = k[.transportSource] & 0xff
            switch f.prerequisite {
            case .ndSolicit: return t == 135
            case .ndAdvert: return t == 136
            default: return t == 135 || t == 136
            }
        case .nsh: return dlType == 0x894f
        case .conntrack: return k[.ctState] & 0x20 != 0 && m[.ctState] & 0x20 != 0
        }
    }

    // MARK: NXM / OXM entries

    /// One match entry: a field with its value and, if partial, its mask
    /// (both right-aligned in the field's wire width).
    public struct Entry: Equatable, Sendable {
        /// The field's width on the wire, in bytes.
        public var bytes: Int
        public var header: OXMHeader
        public var value: UInt128
        public var mask: UInt128?
    }

    /// The entries that express `match`, in Open vSwitch's order
    /// (`nx_put_raw`): prerequisites before the fields that need them.
    /// `oxmVersion` nil means NXM (OpenFlow 1.0).
    /// The ids of the fields `entries` writes.
    enum ID {
        static let arp_op = known["arp_op"].id
        static let arp_sha = known["arp_sha"].id
        static let arp_spa = known["arp_spa"].id
        static let arp_tha = known["arp_tha"].id
        static let arp_tpa = known["arp_tpa"].id
        static let eth_dst = known["eth_dst"].id
        static let eth_src = known["eth_src"].id
        static let eth_type = known["eth_type"].id
        static let icmp_code = known["icmp_code"].id
        static let icmp_type = known["icmp_type"].id
        static let icmpv6_code = known["icmpv6_code"].id
        static let icmpv6_type = known["icmpv6_type"].id
        static let in_port = known["in_port"].id
        static let in_port_oxm = known["in_port_oxm"].id
        static let ip_dscp = known["ip_dscp"].id
        static let ip_dst = known["ip_dst"].id
        static let ip_frag = known["ip_frag"].id
        static let ip_src = known["ip_src"].id
        static let ipv6_dst = known["ipv6_dst"].id
        static let ipv6_label = known["ipv6_label"].id
        static let ipv6_src = known["ipv6_src"].id
        static let mpls_bos = known["mpls_bos"].id
        static let mpls_label = known["mpls_label"].id
        static let mpls_tc = known["mpls_tc"].id
        static let mpls_ttl = known["mpls_ttl"].id
        static let nd_sll = known["nd_sll"].id
        static let nd_target = known["nd_target"].id
        static let nd_tll = known["nd_tll"].id
        static let nw_ecn = known["nw_ecn"].id
        static let nw_proto = known["nw_proto"].id
        static let nw_tos = known["nw_tos"].id
        static let nw_ttl = known["nw_ttl"].id
        static let packet_type = known["packet_type"].id
        static let sctp_dst = known["sctp_dst"].id
        static let sctp_src = known["sctp_src"].id
        static let tcp_dst = known["tcp_dst"].id
        static let tcp_flags = known["tcp_flags"].id
        static let tcp_src = known["tcp_src"].id
        static let udp_dst = known["udp_dst"].id
        static let udp_src = known["udp_src"].id
        static let vlan_pcp = known["vlan_pcp"].id
        static let vlan_vid = known["vlan_vid"].id
    }

    public static func entries(_ match: Match, oxmVersion: UInt8?) -> [Entry] {
        let key = match.key
        let maskKey = FlowKey(words: match.mask.words)
        var out: [Entry] = []
        let oxm = oxmVersion != nil

        let headers: [OXMHeader?]
        if let v = oxmVersion, v >= 4, v <= 6 { headers = oxmHeaders[Int(v) - 4] } else if oxmVersion == nil { headers = nxmHeaders } else {
            headers = OFField.all.map { header(for: $0, oxmVersion: oxmVersion) }
        }
        // The words of the flow key the mask uses: a field outside them is
        // not matched, and is skipped without reading it.
        let present = wordMap(match.mask.words.span)
        func put(_ id: Int, value: UInt128? = nil, mask: UInt128? = nil) {
            if mask == nil && fieldWords[id] & present == 0 { return }
            let storage = OFField.storages[id]
            let m = mask ?? storage.read(maskKey)
            if m == 0 { return }
            let v = value ?? storage.read(key)
            guard let h = headers[id] else { return }
            out.append(Entry(bytes: fieldBytes[id], header: h, value: v & m,
                             mask: m == ones[id] || !fieldMaskable[id] ? nil : m))
        }

        // in_port
        if match.mask[.inPort] != 0 {
            if oxm {
                let p = UInt32(key[.inPort])
                put(ID.in_port_oxm, value: UInt128(p >= 0xff00 ? p | 0xffff_0000 : p), mask: 0xffff_ffff)
            } else {
                put(ID.in_port)
            }
        }
        if let v = oxmVersion, v >= 6, match.mask[.packetType] != 0, key[.packetType] != 0 { put(ID.packet_type) }
        put(ID.eth_src)
        put(ID.eth_dst)
        put(ID.eth_type)
        // 802.1Q
        let tci = key[.vlan0TCI], tciMask = match.mask[.vlan0TCI]
        if oxm {
            let vidMask = tciMask & 0x1fff, vid = tci & 0x1fff
            if vidMask == 0x1fff {
                put(ID.vlan_vid, value: UInt128(vid), mask: 0x1fff)
            } else if vidMask != 0 {
                out.append(Entry(bytes: field("vlan_vid").bytes, header: field("vlan_vid").oxm!, value: UInt128(vid),
                                 mask: UInt128(vidMask)))
            }
            if vid != 0 && tciMask & 0xe000 != 0 { put(ID.vlan_pcp, value: UInt128(tci >> 13), mask: 7) }
        } else if tciMask != 0 {
            let f = field("vlan_tci")
            out.append(Entry(bytes: f.bytes, header: f.nxm!, value: UInt128(tci),
                             mask: tciMask == 0xffff ? nil : UInt128(tciMask)))
        }
        let dlType = match.mask[.ethType] == 0xffff ? key[.ethType] : 0
        if dlType == 0x8847 || dlType == 0x8848 {
            put(ID.mpls_tc); put(ID.mpls_bos); put(ID.mpls_label)
            if oxm { put(ID.mpls_ttl) } else { put(ID.mpls_ttl) }
        }
        let isIP = dlType == 0x0800 || dlType == 0x86dd
        if dlType == 0x0800 {
            put(ID.ip_src); put(ID.ip_dst)
        } else if dlType == 0x86dd {
            put(ID.ipv6_src); put(ID.ipv6_dst); put(ID.ipv6_label)
        }
        if isIP {
            let tos = key[.networkTOS], tosMask = match.mask[.networkTOS]
            put(ID.ip_frag)
            if tosMask & 0xfc != 0 {
                if oxm { put(ID.ip_dscp, value: UInt128(tos >> 2), mask: 0x3f) } else { put(ID.nw_tos, value: UInt128(tos & 0xfc), mask: 0xff) }
            }
            if tosMask & 3 != 0 { put(ID.nw_ecn, value: UInt128(tos & 3), mask: 3) }
            put(ID.nw_ttl)
            put(ID.nw_proto)
            let proto = match.mask[.networkProtocol] == 0xff ? key[.networkProtocol] : 256
            switch proto {
            case 6: put(ID.tcp_src); put(ID.tcp_dst); put(ID.tcp_flags)
            case 17: put(ID.udp_src); put(ID.udp_dst)
            case 132: put(ID.sctp_src); put(ID.sctp_dst)
            case 1 where dlType == 0x0800: put(ID.icmp_type); put(ID.icmp_code)
            case 58 where dlType == 0x86dd:
                put(ID.icmpv6_type); put(ID.icmpv6_code)
                let t = key[.transportSource] & 0xff
                if match.mask[.transportSource] & 0xff == 0xff && (t == 135 || t == 136) {
                    put(ID.nd_target)
                    if t == 135 { put(ID.nd_sll) } else { put(ID.nd_tll) }
                }
            default: break
            }
        } else if dlType == 0x0806 || dlType == 0x8035 {
            put(ID.arp_op); put(ID.arp_spa); put(ID.arp_tpa); put(ID.arp_sha); put(ID.arp_tha)
        }
        for id in tailFields { put(id) }
        return out
    }

    /// Writes `entries` as NXM/OXM TLVs; returns their byte count.
    static func writeEntries(_ entries: [Entry], into w: inout OFWriter) {
        for e in entries {
            let n = e.bytes
            let exp = e.header.classID == 0xffff
            let length = (e.mask == nil ? n : 2 * n) + (exp ? 4 : 0)
            w.u16(e.header.classID)
            w.u8(e.header.field << 1 | (e.mask == nil ? 0 : 1))
            w.u8(UInt8(length))
            if exp { w.u32(e.header.experimenter) }
            w.uint(e.value, bytes: n)
            if let m = e.mask { w.uint(m, bytes: n) }
        }
    }

    /// The NXM/OXM bytes of `match` (unpadded).
    public static func encodeFields(_ match: Match, oxmVersion: UInt8?) -> [UInt8] {
        var w = OFWriter()
        writeEntries(entries(match, oxmVersion: oxmVersion), into: &w)
        return w.bytes
    }

    /// Parses NXM/OXM TLVs (`nx_pull_raw`): every field known, not
    /// repeated, with its prerequisites already in the match.
    public static func decodeFields(_ r: inout OFReader) throws(OFDecodeError) -> Match {
        var cookie: (UInt64, UInt64)? = nil
        return try decodeFields(&r, cookie: &cookie)
    }

    /// The same, also reading `NXM_NX_COOKIE` (flow-mods and stats
    /// requests of NXM carry the cookie to select by in the match).
    public static func decodeFields(_ r: inout OFReader, cookie: inout (UInt64, UInt64)?) throws(OFDecodeError) -> Match {
        var key = FlowKey()
        var mask = FlowMask.catchAll
        var seen = Set<Int>()
        while !r.isAtEnd {
            guard r.remaining >= 4 else { throw OFDecodeError(.badMatchLength, "truncated field header") }
            let classID = try r.u16()
            let fb = try r.u8()
            let length = Int(try r.u8())
            let hasMask = fb & 1 == 1
            var experimenter: UInt32 = 0
            var payload = length
            if classID == 0xffff {
                guard length >= 4 else { throw OFDecodeError(.badMatchLength, "experimenter field too short") }
                experimenter = try r.u32()
                payload -= 4
            }
            guard payload <= r.remaining else { throw OFDecodeError(.badMatchLength, "field runs past the match") }
            if classID == 0x0001 && fb >> 1 == 30 {
                guard payload == (hasMask ? 16 : 8), cookie == nil else { throw OFDecodeError(.badField, "NXM_NX_COOKIE") }
                let c = try r.u64()
                let m = hasMask ? try r.u64() : UInt64.max
                cookie = (c & m, m)
                continue
            }
            guard let f = fieldsByHeader[HeaderKey(classID: classID, field: fb >> 1, experimenter: experimenter)],
                  OFField.storages[f.id] != .none || f.name == "in_port_oxm" else {
                try r.skip(payload)
                throw OFDecodeError(.badField, "unknown field \(classID):\(fb >> 1)")
            }
            let n = f.bytes
            guard payload == (hasMask ? 2 * n : n) else { throw OFDecodeError(.badMatchLength, "bad length for \(f.name)") }
            var value = try r.uint(bytes: n)
            var m = hasMask ? try r.uint(bytes: n) : byteMask(f)
            if hasMask && !f.maskable { throw OFDecodeError(.badMask, "\(f.name) is not maskable") }
            guard seen.insert(f.id).inserted else { throw OFDecodeError(.duplicateField, f.name) }
            guard prerequisitesHold(f, key: key, mask: mask) else { throw OFDecodeError(.badPrerequisite, f.name) }
            if value & ~m != 0 && hasMask { value &= m }
            var target = f
            switch f.name {
            case "in_port_oxm":
                let p = UInt32(truncatingIfNeeded: value)
                guard p < 0xff00 || p >= 0xffff_ff00 else { throw OFDecodeError(.badValue, "in_port") }
                value = UInt128(p & 0xffff)
                m = 0xffff
                target = field("in_port")
            case "nw_tos":
                guard value & 3 == 0 else { throw OFDecodeError(.badValue, "nw_tos") }
                m = 0xfc
            case "vlan_pcp":
                guard value <= 7 else { throw OFDecodeError(.badValue, "vlan_pcp") }
                key[.vlan0TCI] |= 0x1000
                mask[.vlan0TCI] |= 0x1000
            case "ip_dscp":
                guard value <= 0x3f else { throw OFDecodeError(.badValue, "ip_dscp") }
            case "nw_ecn", "ip_frag":
                guard value & ~m & 3 == 0, value <= 3 || hasMask else { throw OFDecodeError(.badValue, f.name) }
            case "vlan_vid":
                guard value <= 0x1fff else { throw OFDecodeError(.badValue, "vlan_vid") }
                if !hasMask { m = 0x1fff }
            case "ipv6_label":
                guard value <= 0xfffff else { throw OFDecodeError(.badValue, "ipv6_label") }
                if !hasMask { m = 0xfffff }
            case "mpls_label":
                guard value <= 0xfffff else { throw OFDecodeError(.badValue, "mpls_label") }
            case "mpls_tc", "mpls_bos":
                guard value <= (f.name == "mpls_bos" ? 1 : 7) else { throw OFDecodeError(.badValue, f.name) }
            default: break
            }
            var k2 = key, m2 = FlowKey(words: mask.words)
            let ones = Self.ones[target.id]
            write(target, value & m & ones, mask: m & ones, into: &k2)
            write(target, m & ones, mask: ones, into: &m2)
            key = k2
            mask = FlowMask(words: m2.words)
        }
        return Match(key: key, mask: mask)
    }

    // MARK: OXM ofp_match (OpenFlow 1.2+)

    /// `struct ofp11_match_header` + OXM fields, padded to 8 bytes.
    public static func encodeOXM(_ match: Match, version: UInt8) -> [UInt8] {
        let fields = encodeFields(match, oxmVersion: version)
        var w = OFWriter()
        w.u16(1)                        // OFPMT_OXM
        w.u16(UInt16(4 + fields.count))
        w.append(fields)
        w.pad(to: 8)
        return w.bytes
    }

    /// Reads an OXM `ofp_match` with its padding.
    public static func decodeOXM(_ r: inout OFReader) throws(OFDecodeError) -> Match {
        guard r.remaining >= 4 else { throw OFDecodeError(.badMatchLength, "short match") }
        let type = try r.u16()
        let length = Int(try r.u16())
        guard type == 1 else { throw OFDecodeError(.badMatchType, "match type \(type)") }
        guard length >= 4 else { throw OFDecodeError(.badMatchLength, "match length \(length)") }
        let padded = (length + 7) / 8 * 8
        guard padded - 4 <= r.remaining else { throw OFDecodeError(.badMatchLength, "match length \(length)") }
        var fields = try r.sub(length - 4)
        fields.shortError = .badMatchLength
        let m = try decodeFields(&fields)
        try r.skip(padded - length)
        return m
    }

    /// NXM `match_len` bytes followed by padding to 8 (`nx_pull_match`).
    public static func decodeNXM(_ r: inout OFReader, length: Int, cookie: inout (UInt64, UInt64)?) throws(OFDecodeError) -> Match {
        let padded = (length + 7) / 8 * 8
        guard padded <= r.remaining else { throw OFDecodeError(.badRequestLength, "match_len \(length)") }
        var fields = try r.sub(length)
        fields.shortError = .badMatchLength
        let m = try decodeFields(&fields, cookie: &cookie)
        try r.skip(padded - length)
        return m
    }

    // MARK: OpenFlow 1.0 ofp10_match

    static let w10InPort: UInt32 = 1 << 0, w10VLAN: UInt32 = 1 << 1, w10DLSrc: UInt32 = 1 << 2, w10DLDst: UInt32 = 1 << 3
    static let w10DLType: UInt32 = 1 << 4, w10Proto: UInt32 = 1 << 5, w10TPSrc: UInt32 = 1 << 6, w10TPDst: UInt32 = 1 << 7
    static let w10PCP: UInt32 = 1 << 20, w10TOS: UInt32 = 1 << 21

    /// Decodes a 40-byte `ofp10_match` (`ofputil_match_from_ofp10_match`), normalised.
    public static func decodeOF10(_ r: inout OFReader) throws(OFDecodeError) -> Match {
        let wc = try r.u32() & ((1 << 22) - 1)
        let inPort = try r.u16()
        let dlSrc = try r.uint(bytes: 6), dlDst = try r.uint(bytes: 6)
        let dlVLAN = try r.u16(); let pcp = try r.u8(); try r.skip(1)
        let dlType = try r.u16(); let tos = try r.u8(); let proto = try r.u8(); try r.skip(2)
        let nwSrc = try r.u32(), nwDst = try r.u32()
        let tpSrc = try r.u16(), tpDst = try r.u16()
        var m = Match.catchAll
        if wc & w10InPort == 0 { m.set(.inPort, to: UInt64(inPort)) }
        if wc & w10DLSrc == 0 { m.set(.ethSource, to: UInt64(dlSrc)) }
        if wc & w10DLDst == 0 { m.set(.ethDestination, to: UInt64(dlDst)) }
        if wc & w10DLType == 0 { m.set(.ethType, to: dlType < 0x600 ? 0x5ff : UInt64(dlType)) }
        if wc & w10Proto == 0 { m.set(.networkProtocol, to: UInt64(proto)) }
        if wc & w10TOS == 0 { m.set(.networkTOS, to: UInt64(tos & 0xfc), mask: 0xfc) }
        if wc & w10TPSrc == 0 { m.set(.transportSource, to: UInt64(tpSrc)) }
        if wc & w10TPDst == 0 { m.set(.transportDestination, to: UInt64(tpDst)) }
        func cidr(_ shift: UInt32) -> UInt64 {
            let n = (wc >> shift) & 0x3f
            return n >= 32 ? 0 : (0xffff_ffff << UInt64(n)) & 0xffff_ffff
        }
        let sm = cidr(8), dm = cidr(14)
        if sm != 0 { m.set(.ipv4Source, to: UInt64(nwSrc), mask: sm) }
        if dm != 0 { m.set(.ipv4Destination, to: UInt64(nwDst), mask: dm) }
        if wc & w10VLAN == 0 && dlVLAN == 0xffff {
            m.set(.vlan0TCI, to: 0, mask: 0xffff)
        } else {
            var tciMask: UInt64 = 0
            if wc & w10PCP == 0 { tciMask |= 0xe000 | 0x1000 }
            if wc & w10VLAN == 0 { tciMask |= 0x0fff | 0x1000 }
            let tci = UInt64(dlVLAN & 0xfff) | (UInt64(pcp & 7) << 13) | 0x1000
            if tciMask != 0 { m.set(.vlan0TCI, to: tci, mask: tciMask) }
        }
        return m.normalized()
    }

    /// Encodes `ofp10_match` (`ofputil_match_to_ofp10_match`).
    public static func encodeOF10(_ match: Match, into w: inout OFWriter) {
        let k = match.key, mk = match.mask
        var wc: UInt32 = 0
        if mk[.inPort] == 0 { wc |= w10InPort }
        if mk[.ethSource] == 0 { wc |= w10DLSrc }
        if mk[.ethDestination] == 0 { wc |= w10DLDst }
        if mk[.ethType] == 0 { wc |= w10DLType }
        if mk[.networkProtocol] == 0 { wc |= w10Proto }
        if mk[.networkTOS] & 0xfc == 0 { wc |= w10TOS }
        if mk[.transportSource] == 0 { wc |= w10TPSrc }
        if mk[.transportDestination] == 0 { wc |= w10TPDst }
        func cidrBits(_ m: UInt64) -> UInt32 { UInt32(32 - UInt32(m & 0xffff_ffff).nonzeroBitCount) }
        wc |= cidrBits(mk[.ipv4Source]) << 8
        wc |= cidrBits(mk[.ipv4Destination]) << 14
        var dlVLAN: UInt16 = 0, pcp: UInt8 = 0
        let tm = mk[.vlan0TCI], tci = k[.vlan0TCI]
        if tm == 0 {
            wc |= w10VLAN | w10PCP
        } else if tm & 0x1000 != 0 && tci & 0x1000 == 0 {
            dlVLAN = 0xffff
        } else {
            if tm & 0x0fff == 0 { wc |= w10VLAN } else { dlVLAN = UInt16(tci & 0xfff) }
            if tm & 0xe000 == 0 { wc |= w10PCP } else { pcp = UInt8(tci >> 13) }
        }
        w.u32(wc)
        w.u16(UInt16(truncatingIfNeeded: k[.inPort]))
        w.uint(UInt128(k[.ethSource]), bytes: 6)
        w.uint(UInt128(k[.ethDestination]), bytes: 6)
        w.u16(dlVLAN); w.u8(pcp); w.u8(0)
        w.u16(UInt16(truncatingIfNeeded: k[.ethType])); w.u8(UInt8(truncatingIfNeeded: k[.networkTOS] & 0xfc))
        w.u8(UInt8(truncatingIfNeeded: k[.networkProtocol])); w.u16(0)
        w.u32(UInt32(truncatingIfNeeded: k[.ipv4Source])); w.u32(UInt32(truncatingIfNeeded: k[.ipv4Destination]))
        w.u16(UInt16(truncatingIfNeeded: k[.transportSource])); w.u16(UInt16(truncatingIfNeeded: k[.transportDestination]))
    }
}
