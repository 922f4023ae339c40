import Wire

// The datapath key text, as Open vSwitch's `odp_flow_format` writes it
// (`ovs-appctl dpctl/dump-flows`; `verbose` is `dump-flows -m`).

extension DatapathKeyAttributes {
    /// The flow as `dpctl/dump-flows` prints its key and mask; an exact
    /// `in_port` found in `portNames` prints as the port's name (`dump-flows -m`).
    public static func formatted(key: FlowKey, mask: FlowMask, verbose: Bool = false, vlanLimit: Int = 1,
                                 portNames: [UInt32: String] = [:]) -> String {
        var out = TextBuffer()
        let (k, m) = encode(key: key, mask: mask, vlanLimit: vlanLimit)
        format(key: k, mask: m, into: &out, verbose: verbose, portNames: portNames)
        return out.string
    }

    /// Appends `odp_flow_format` of attribute lists to `out`. A `nil` mask prints the key exactly.
    public static func format(key: [DatapathKeyAttribute], mask: [DatapathKeyAttribute]?,
                              into out: inout TextBuffer, verbose: Bool = false,
                              portNames: [UInt32: String] = [:]) {
        typealias T = DatapathKeyAttributeType
        if key.isEmpty { out.append("<empty>"); return }
        var hasEtherType = false
        var hasPacketType = false
        var first = true
        for a in key {
            var ma = mask.flatMap { $0.first(ofType: a.type) }
            if !lengthIsValid(a) || (ma != nil && !lengthIsValid(ma!)) || (ma != nil && ma!.payload.count != a.payload.count && a.type != T.mpls) {
                if !first { out.append(byte: 0x2c) }
                formatBad(a, ma, into: &out)
                first = false
                continue
            }
            if a.type == T.etherType { hasEtherType = true }
            if a.type == T.packetType { hasPacketType = true }
            let isNested = DatapathKeyAttributeType.expectedLength(a.type) == -2
            var isWildcard = false
            if let mask, !mask.isEmpty {
                isWildcard = ma.map(isWildcardMask) ?? true
            }
            if verbose || !isWildcard || isNested {
                if isWildcard && ma == nil { ma = allWildcard(a) }
                if !first { out.append(byte: 0x2c) }
                if a.type == T.inPort, let name = portName(a, ma, portNames) {
                    out.append("in_port("); out.append(name); out.append(")")
                } else {
                    formatAttribute(a, ma, into: &out, verbose: verbose)
                }
                first = false
            } else if a.type == T.ethernet && !hasPacketType {
                if !first { out.append(byte: 0x2c) }
                out.append("eth()")
                first = false
            } else if a.type == T.packetType && isWildcard {
                hasPacketType = false
            }
        }
        if !hasEtherType, let mask, let ma = mask.first(ofType: T.etherType) {
            out.append(",eth_type(0/0x")
            out.append(hex: UInt64(PayloadReader(ma.payload).be16(0)), width: 4)
            out.append(")")
        }
    }

    /// The name of an exact `in_port` attribute's port, if `names` has one.
    static func portName(_ a: DatapathKeyAttribute, _ ma: DatapathKeyAttribute?, _ names: [UInt32: String]) -> String? {
        guard !names.isEmpty else { return nil }
        if let ma, PayloadReader(ma.payload).le32(0) != .max { return nil }
        return names[PayloadReader(a.payload).le32(0)]
    }

    static func lengthIsValid(_ a: DatapathKeyAttribute) -> Bool {
        guard let n = DatapathKeyAttributeType.expectedLength(a.type) else { return true }
        if n == -2 { return a.nested != nil }
        if n == -1 { return a.nested == nil && !a.payload.isEmpty && a.payload.count % 4 == 0 }
        return a.nested == nil && a.payload.count == n
    }

    static func formatBad(_ a: DatapathKeyAttribute, _ ma: DatapathKeyAttribute?, into out: inout TextBuffer) {
        out.append("key")
        out.append(decimal: UInt64(a.type))
        out.append("(bad key length ")
        out.append(decimal: UInt64(a.payload.count))
        out.append(")")
    }

    static func allWildcard(_ a: DatapathKeyAttribute) -> DatapathKeyAttribute {
        if let n = a.nested { return DatapathKeyAttribute(type: a.type, nested: n.map(allWildcard)) }
        return DatapathKeyAttribute(type: a.type, payload: [UInt8](repeating: 0, count: a.payload.count))
    }

    /// OVS's `odp_mask_is_constant__`.
    static func maskIsConstant(_ ma: DatapathKeyAttribute, _ c: UInt8) -> Bool {
        typealias T = DatapathKeyAttributeType
        let p = ma.payload
        let r = PayloadReader(p)
        switch ma.type {
        case T.encap, 0: return false
        case T.tcpFlags: return r.be16(0) & 0x0fff == (c == 0 ? 0 : 0x0fff)
        case T.ipv6:
            let all: UInt8 = c
            return r.be32(32) & 0xfffff == (c == 0 ? 0 : 0xfffff)
                && p[36] == all && p[37] == all && p[38] == all && p[39] == all
                && p[0..<32].allSatisfy { $0 == all }
        case T.arp: return p.prefix(22).allSatisfy { $0 == c }
        case T.ctTupleIPv4: return p.prefix(13).allSatisfy { $0 == c }
        case T.ctTupleIPv6: return p.prefix(37).allSatisfy { $0 == c }
        default:
            if ma.type > T.maximum || ma.nested != nil && ma.type != T.tunnel { return false }
            if ma.type == T.tunnel { return false }
            return p.allSatisfy { $0 == c }
        }
    }

    static func isWildcardMask(_ ma: DatapathKeyAttribute) -> Bool { maskIsConstant(ma, 0) }
    static func isExactMask(_ ma: DatapathKeyAttribute) -> Bool { maskIsConstant(ma, 0xff) }

    static func name(_ type: UInt16) -> StaticString? {
        typealias T = DatapathKeyAttributeType
        switch type {
        case T.encap: return "encap"
        case T.priority: return "skb_priority"
        case T.inPort: return "in_port"
        case T.ethernet: return "eth"
        case T.vlan: return "vlan"
        case T.etherType: return "eth_type"
        case T.ipv4: return "ipv4"
        case T.ipv6: return "ipv6"
        case T.tcp: return "tcp"
        case T.udp: return "udp"
        case T.icmp: return "icmp"
        case T.icmpv6: return "icmpv6"
        case T.arp: return "arp"
        case T.nd: return "nd"
        case T.skbMark: return "skb_mark"
        case T.tunnel: return "tunnel"
        case T.sctp: return "sctp"
        case T.tcpFlags: return "tcp_flags"
        case T.dpHash: return "dp_hash"
        case T.recirculationID: return "recirc_id"
        case T.mpls: return "mpls"
        case T.ctState: return "ct_state"
        case T.ctZone: return "ct_zone"
        case T.ctMark: return "ct_mark"
        case T.ctLabels: return "ct_label"
        case T.ctTupleIPv4: return "ct_tuple4"
        case T.ctTupleIPv6: return "ct_tuple6"
        case T.nsh: return "nsh"
        case T.packetType: return "packet_type"
        case T.ndExtensions: return "nd_ext"
        default: return nil
        }
    }

    /// Appends one attribute (`format_odp_key_attr__`); `ma` is its mask, if any.
    public static func formatAttribute(_ a: DatapathKeyAttribute, _ ma: DatapathKeyAttribute?,
                                into out: inout TextBuffer, verbose: Bool) {
        typealias T = DatapathKeyAttributeType
        let isExact = ma.map(isExactMask) ?? true
        if let n = name(a.type) { out.append(n) } else {
            out.append("key"); out.append(decimal: UInt64(a.type))
        }
        out.append(byte: 0x28)
        let k = PayloadReader(a.payload)
        let m = ma.map { PayloadReader($0.payload) }
        var f = FieldFormatter(out: out, verbose: verbose)
        defer { out = f.out; out.append(byte: 0x29) }
        switch a.type {
        case T.encap:
            let inner = a.nested ?? []
            if let ma, let mn = ma.nested, !mn.isEmpty, !inner.isEmpty {
                format(key: inner, mask: mn, into: &f.out, verbose: verbose)
            } else if !inner.isEmpty {
                format(key: inner, mask: nil, into: &f.out, verbose: verbose)
            }
        case T.priority, T.skbMark, T.dpHash, T.recirculationID:
            f.out.append(alternateHex: UInt64(k.le32(0)))
            if !isExact { f.out.append("/"); f.out.append(alternateHex: UInt64(m!.le32(0))) }
        case T.ctMark:
            if verbose || !(ma.map { $0.payload.allSatisfy { $0 == 0 } } ?? true) {
                f.out.append(alternateHex: UInt64(k.le32(0)))
                if !isExact { f.out.append("/"); f.out.append(alternateHex: UInt64(m!.le32(0))) }
            }
        case T.ctState:
            let empty = ma.map { $0.payload.allSatisfy { $0 == 0 } } ?? true
            if verbose {
                f.out.append(alternateHex: UInt64(k.le32(0)))
                if !isExact { f.out.append("/"); f.out.append(alternateHex: empty ? 0 : UInt64(m!.le32(0))) }
            } else if !isExact {
                formatFlagsMasked(&f.out, k.le32(0), empty ? 0 : m!.le32(0), .max, ctStateName)
            } else {
                formatFlags(&f.out, k.le32(0), ctStateName)
            }
        case T.ctZone:
            if verbose || !(ma.map { $0.payload.allSatisfy { $0 == 0 } } ?? true) {
                f.out.append(alternateHex: UInt64(k.le16(0)))
                if !isExact { f.out.append("/"); f.out.append(alternateHex: UInt64(m!.le16(0))) }
            }
        case T.ctLabels:
            let maskValue = m.map { ($0.le64(8), $0.le64(0)) }
            if verbose || (maskValue.map { $0.0 != 0 || $0.1 != 0 } ?? false) {
                formatU128(&f.out, k.le64(8), k.le64(0))
                if let mv = maskValue, !(mv.0 == .max && mv.1 == .max) {
                    f.out.append("/")
                    formatU128(&f.out, mv.0, mv.1)
                }
            }
        case T.ctTupleIPv4:
            f.ipv4("src", k.be32(0), m?.be32(0))
            f.ipv4("dst", k.be32(4), m?.be32(4))
            f.u8u("proto", k.u8(12), m?.u8(12))
            f.be16("tp_src", k.be16(8), m?.be16(8))
            f.be16("tp_dst", k.be16(10), m?.be16(10))
            f.out.chomp(0x2c)
        case T.ctTupleIPv6:
            f.in6("src", k.ipv6(0), m?.ipv6(0))
            f.in6("dst", k.ipv6(16), m?.ipv6(16))
            f.u8u("proto", k.u8(36), m?.u8(36))
            f.be16("src_port", k.be16(32), m?.be16(32))
            f.be16("dst_port", k.be16(34), m?.be16(34))
            f.out.chomp(0x2c)
        case T.tunnel:
            formatTunnel(a.nested ?? [], ma?.nested, &f)
        case T.inPort:
            f.out.append(decimal: UInt64(k.le32(0)))
            if !isExact { f.out.append("/"); f.out.append(alternateHex: UInt64(m!.le32(0))) }
        case T.packetType:
            let v = k.be32(0)
            let mv = m?.be32(0) ?? .max
            f.be16("ns", UInt16(v >> 16), UInt16(mv >> 16))
            f.be16x("id", UInt16(truncatingIfNeeded: v), UInt16(truncatingIfNeeded: mv))
            f.out.chomp(0x2c)
        case T.ethernet:
            f.eth("src", k.eth(0), m?.eth(0))
            f.eth("dst", k.eth(6), m?.eth(6))
            f.out.chomp(0x2c)
        case T.vlan:
            formatVLAN(&f, k.be16(0), m?.be16(0) ?? 0xffff)
        case T.mpls:
            let n = a.payload.count / 4
            for i in 0..<n {
                let lse = k.be32(4 * i)
                if isExact || m == nil {
                    f.out.append("label="); f.out.append(decimal: UInt64(lse >> 12))
                    f.out.append(",tc="); f.out.append(decimal: UInt64(lse >> 9 & 7))
                    f.out.append(",ttl="); f.out.append(decimal: UInt64(lse & 0xff))
                    f.out.append(",bos="); f.out.append(decimal: UInt64(lse >> 8 & 1))
                } else {
                    let ml = m!.be32(4 * i)
                    f.out.append("label="); f.out.append(decimal: UInt64(lse >> 12))
                    f.out.append("/0x"); f.out.append(hex: UInt64(ml >> 12))
                    f.out.append(",tc="); f.out.append(decimal: UInt64(lse >> 9 & 7))
                    f.out.append("/"); f.out.append(hex: UInt64(ml >> 9 & 7))
                    f.out.append(",ttl="); f.out.append(decimal: UInt64(lse & 0xff))
                    f.out.append("/0x"); f.out.append(hex: UInt64(ml & 0xff))
                    f.out.append(",bos="); f.out.append(decimal: UInt64(lse >> 8 & 1))
                    f.out.append("/"); f.out.append(hex: UInt64(ml >> 8 & 1))
                }
                f.out.append(byte: 0x2c)
            }
            f.out.chomp(0x2c)
        case T.etherType:
            f.out.append("0x"); f.out.append(hex: UInt64(k.be16(0)), width: 4)
            if !isExact { f.out.append("/0x"); f.out.append(hex: UInt64(m!.be16(0)), width: 4) }
        case T.ipv4:
            f.ipv4("src", k.be32(0), m?.be32(0))
            f.ipv4("dst", k.be32(4), m?.be32(4))
            f.u8u("proto", k.u8(8), m?.u8(8))
            f.u8x("tos", k.u8(9), m?.u8(9))
            f.u8u("ttl", k.u8(10), m?.u8(10))
            f.frag(k.u8(11), m?.u8(11))
            f.out.chomp(0x2c)
        case T.ipv6:
            f.in6("src", k.ipv6(0), m?.ipv6(0))
            f.in6("dst", k.ipv6(16), m?.ipv6(16))
            f.label(k.be32(32), m?.be32(32))
            f.u8u("proto", k.u8(36), m?.u8(36))
            f.u8x("tclass", k.u8(37), m?.u8(37))
            f.u8u("hlimit", k.u8(38), m?.u8(38))
            f.frag(k.u8(39), m?.u8(39))
            f.out.chomp(0x2c)
        case T.tcp, T.udp, T.sctp:
            f.be16("src", k.be16(0), m?.be16(0))
            f.be16("dst", k.be16(2), m?.be16(2))
            f.out.chomp(0x2c)
        case T.tcpFlags:
            if !isExact {
                formatFlagsMasked(&f.out, UInt32(k.be16(0)), UInt32(m!.be16(0) & 0x0fff), 0x0fff, tcpFlagName)
            } else {
                formatFlags(&f.out, UInt32(k.be16(0)), tcpFlagName)
            }
        case T.icmp, T.icmpv6:
            f.u8u("type", k.u8(0), m?.u8(0))
            f.u8u("code", k.u8(1), m?.u8(1))
            f.out.chomp(0x2c)
        case T.arp:
            f.ipv4("sip", k.be32(0), m?.be32(0))
            f.ipv4("tip", k.be32(4), m?.be32(4))
            f.be16("op", k.be16(8), m?.be16(8))
            f.eth("sha", k.eth(10), m?.eth(10))
            f.eth("tha", k.eth(16), m?.eth(16))
            f.out.chomp(0x2c)
        case T.nd:
            f.in6("target", k.ipv6(0), m?.ipv6(0))
            f.eth("sll", k.eth(16), m?.eth(16))
            f.eth("tll", k.eth(22), m?.eth(22))
            f.out.chomp(0x2c)
        case T.ndExtensions:
            f.out.append("nd_reserved=0x"); f.out.append(hex: UInt64(k.be32(0)))
            f.out.append(byte: 0x2c)
            f.u8u("nd_options_type", k.u8(4), m?.u8(4))
            f.out.chomp(0x2c)
        default:
            formatGeneric(&f.out, a)
            if !isExact, let ma { f.out.append("/"); formatGeneric(&f.out, ma) }
        }
    }

    static func formatGeneric(_ out: inout TextBuffer, _ a: DatapathKeyAttribute) {
        for b in a.payload { out.append(hex: UInt64(b), width: 2) }
    }

    /// `ds_put_hex` of a 128-bit value (`0` or `0x` then significant bytes).
    public static func formatU128(_ out: inout TextBuffer, _ high: UInt64, _ low: UInt64) {
        // ds_put_hex: "0x" then the big-endian bytes, leading zero bytes skipped.
        var bytes: [UInt8] = []
        for i in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(i))) }
        for i in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(i))) }
        var i = 0
        while i < bytes.count && bytes[i] == 0 { i += 1 }
        if i == bytes.count { out.append(byte: 0x30); return }
        out.append("0x")
        out.append(hex: UInt64(bytes[i]))
        for b in bytes[(i + 1)...] { out.append(hex: UInt64(b), width: 2) }
    }

    /// `format_vlan_tci` with a full mask, not verbose (as `push_vlan` prints its tag).
    public static func formatVLANTCI(_ tci: UInt16, into out: inout TextBuffer) {
        var f = FieldFormatter(out: out, verbose: false)
        formatVLAN(&f, tci, 0xffff)
        out = f.out
    }

    static func formatVLAN(_ f: inout FieldFormatter, _ tci: UInt16, _ mask: UInt16) {
        if f.verbose || tci & 0xfff != 0 || mask & 0xfff != 0 {
            f.out.append("vid="); f.out.append(decimal: UInt64(tci & 0xfff))
            if mask & 0xfff != 0xfff { f.out.append("/0x"); f.out.append(hex: UInt64(mask & 0xfff)) }
            f.out.append(byte: 0x2c)
        }
        if f.verbose || tci >> 13 != 0 || mask >> 13 != 0 {
            f.out.append("pcp="); f.out.append(decimal: UInt64(tci >> 13))
            if mask >> 13 != 7 { f.out.append("/0x"); f.out.append(hex: UInt64(mask >> 13)) }
            f.out.append(byte: 0x2c)
        }
        if tci & 0x1000 == 0 { f.out.append("cfi=0,") }
        f.out.chomp(0x2c)
    }

    /// OVS's `format_geneve_opts`.
    static func formatGeneve(_ key: [UInt8], _ mask: [UInt8]?, _ f: inout FieldFormatter) {
        var o = 0
        while o < key.count {
            let remaining = key.count - o
            guard remaining >= 4 else {
                f.out.append("opt len "); f.out.append(decimal: UInt64(remaining)); f.out.append(" less than minimum 4")
                return
            }
            let k = PayloadReader(key)
            let m = mask.map { PayloadReader($0) }
            let dataLength = Int(key[o + 3] & 0x1f) * 4
            let length = 4 + dataLength
            guard length <= remaining else {
                f.out.append("opt len "); f.out.append(decimal: UInt64(length))
                f.out.append(" greater than remaining "); f.out.append(decimal: UInt64(remaining))
                return
            }
            f.out.append("{")
            f.be16x("class", k.be16(o), m?.be16(o))
            f.u8x("type", k.u8(o + 2), m?.u8(o + 2))
            let lengthMask: UInt8? = m.map { $0.u8(o + 3) & 0x1f == 0x1f ? 0xff : $0.u8(o + 3) & 0x1f }
            f.u8u("len", UInt8(dataLength), lengthMask)
            let data = key[(o + 4)..<(o + length)]
            let dataMask = mask.map { $0[(o + 4)..<(o + length)] }
            if dataLength > 0 && (f.verbose || dataMask == nil || dataMask!.contains(where: { $0 != 0 })) {
                appendHex(&f.out, data)
                if let dataMask, !dataMask.allSatisfy({ $0 == 0xff }) {
                    f.out.append("/")
                    appendHex(&f.out, dataMask)
                }
            } else {
                f.out.chomp(0x2c)
            }
            f.out.append("}")
            o += length
        }
    }

    /// `ds_put_hex`.
    static func appendHex(_ out: inout TextBuffer, _ bytes: ArraySlice<UInt8>) {
        var printed = false
        for b in bytes where b != 0 || printed {
            if !printed { out.append("0x"); out.append(hex: UInt64(b)) } else { out.append(hex: UInt64(b), width: 2) }
            printed = true
        }
        if !printed { out.append("0") }
    }

    static func formatTunnel(_ list: [DatapathKeyAttribute], _ mask: [DatapathKeyAttribute]?, _ f: inout FieldFormatter) {
        typealias A = DatapathTunnelAttributeType
        var flags: UInt32 = 0
        var maskFlags: UInt32 = 0
        for a in list {
            var ma = mask.flatMap { $0.first(ofType: a.type) }
            if mask != nil && ma == nil { ma = allWildcard(a) }
            let k = PayloadReader(a.payload)
            let m = ma.map { PayloadReader($0.payload) }
            switch a.type {
            case A.id:
                let mv = m?.be64(0) ?? 0
                if f.verbose || m == nil || mv != 0 {
                    f.out.append("tun_id=0x"); f.out.append(hex: k.be64(0))
                    if m != nil && mv != .max { f.out.append("/"); f.out.append(alternateHex: mv) }
                    f.out.append(byte: 0x2c)
                }
                flags |= UInt32(FlowKey.TunnelFlags.key)
                if ma != nil { maskFlags |= UInt32(FlowKey.TunnelFlags.key) }
            case A.ipv4Source: f.ipv4("src", k.be32(0), m?.be32(0))
            case A.ipv4Destination: f.ipv4("dst", k.be32(0), m?.be32(0))
            case A.ipv6Source: f.in6("ipv6_src", k.ipv6(0), m?.ipv6(0))
            case A.ipv6Destination: f.in6("ipv6_dst", k.ipv6(0), m?.ipv6(0))
            case A.tos: f.u8x("tos", k.u8(0), m?.u8(0))
            case A.ttl: f.u8u("ttl", k.u8(0), m?.u8(0))
            case A.dontFragment: flags |= UInt32(FlowKey.TunnelFlags.dontFragment)
            case A.checksum: flags |= UInt32(FlowKey.TunnelFlags.checksum)
            case A.oam: flags |= UInt32(FlowKey.TunnelFlags.oam)
            case A.transportSource: f.be16("tp_src", k.be16(0), m?.be16(0))
            case A.transportDestination: f.be16("tp_dst", k.be16(0), m?.be16(0))
            case A.geneveOptions:
                f.out.append("geneve(")
                if let mp = ma?.payload, mp.count != a.payload.count {
                    f.out.append("value len "); f.out.append(decimal: UInt64(a.payload.count))
                    f.out.append(" different from mask len "); f.out.append(decimal: UInt64(mp.count))
                } else {
                    formatGeneve(a.payload, ma?.payload, &f)
                }
                f.out.append("),")
            case A.vxlanOptions:
                f.out.append("vxlan(")
                if let gbp = a.nested?.first(ofType: 1) {
                    let v = PayloadReader(gbp.payload).le32(0)
                    let mg = ma?.nested?.first(ofType: 1).map { PayloadReader($0.payload).le32(0) }
                    f.out.append("gbp(")
                    f.be16("id", UInt16(truncatingIfNeeded: v), mg.map { UInt16(truncatingIfNeeded: $0) })
                    f.u8x("flags", UInt8(truncatingIfNeeded: v >> 16), mg.map { UInt8(truncatingIfNeeded: $0 >> 16) })
                    f.out.chomp(0x2c)
                    f.out.append(")")
                }
                f.out.append("),")
            default:
                break
            }
        }
        if let mask {
            for a in mask {
                switch a.type {
                case A.dontFragment: maskFlags |= UInt32(FlowKey.TunnelFlags.dontFragment)
                case A.checksum: maskFlags |= UInt32(FlowKey.TunnelFlags.checksum)
                case A.oam: maskFlags |= UInt32(FlowKey.TunnelFlags.oam)
                default: break
                }
            }
        }
        // format_tun_flags
        let fullMask: UInt32 = 0xf
        if let _ = mask {
            if f.verbose || maskFlags != 0 {
                f.out.append("flags(")
                formatFlagsMasked(&f.out, flags, maskFlags & fullMask, fullMask, tunnelFlagName)
                f.out.append("),")
            }
        } else {
            f.out.append("flags(")
            formatFlags(&f.out, flags, tunnelFlagName)
            f.out.append("),")
        }
        f.out.chomp(0x2c)
    }
}

/// Name functions for flag bits (OVS's `*_to_string`).
func ctStateName(_ bit: UInt32) -> String? {
    switch bit {
    case 0x01: "new"
    case 0x02: "est"
    case 0x04: "rel"
    case 0x08: "rpl"
    case 0x10: "inv"
    case 0x20: "trk"
    case 0x40: "snat"
    case 0x80: "dnat"
    default: nil
    }
}

func tcpFlagName(_ bit: UInt32) -> String? {
    switch bit {
    case 0x001: "fin"
    case 0x002: "syn"
    case 0x004: "rst"
    case 0x008: "psh"
    case 0x010: "ack"
    case 0x020: "urg"
    case 0x040: "ece"
    case 0x080: "cwr"
    case 0x100: "ns"
    case 0x200: "[200]"
    case 0x400: "[400]"
    case 0x800: "[800]"
    default: nil
    }
}

func tunnelFlagName(_ bit: UInt32) -> String? {
    switch bit {
    case UInt32(FlowKey.TunnelFlags.dontFragment): "df"
    case UInt32(FlowKey.TunnelFlags.checksum): "csum"
    case UInt32(FlowKey.TunnelFlags.key): "key"
    case UInt32(FlowKey.TunnelFlags.oam): "oam"
    default: nil
    }
}

/// OVS's `format_flags` with `|`.
func formatFlags(_ out: inout TextBuffer, _ flags: UInt32, _ name: (UInt32) -> String?) {
    if flags == 0 { out.append(byte: 0x30); return }
    var bad: UInt32 = 0
    var f = flags
    while f != 0 {
        let bit = f & (~f &+ 1)
        if let s = name(bit) { out.append(s); out.append(byte: 0x7c) } else { bad |= bit }
        f &= ~bit
    }
    if bad != 0 { out.append("0x"); out.append(hex: UInt64(bad)); out.append(byte: 0x7c) }
    out.chomp(0x7c)
}

/// OVS's `format_flags_masked` without a name.
func formatFlagsMasked(_ out: inout TextBuffer, _ flags: UInt32, _ mask: UInt32, _ maxMask: UInt32,
                       _ name: (UInt32) -> String?) {
    if mask == maxMask { formatFlags(&out, flags, name); return }
    if mask == 0 { out.append("0/0"); return }
    var m = mask
    while m != 0 {
        let bit = m & (~m &+ 1)
        out.append(flags & bit != 0 ? "+" : "-")
        out.append(name(bit) ?? "[Unknown]")
        m &= ~bit
    }
}

/// The `format_*` helpers of `odp-util.c`: each writes `name=value[/mask],`
/// unless the mask is empty and the output is not verbose.
struct FieldFormatter {
    var out: TextBuffer
    var verbose: Bool

    mutating func eth(_ name: StaticString, _ key: UInt64, _ mask: UInt64?) {
        if mask == 0 && !verbose { return }
        out.append(name); out.append(byte: 0x3d)
        out.append(ethernet: key)
        if let mask, mask != 0xffff_ffff_ffff { out.append(byte: 0x2f); out.append(ethernet: mask) }
        out.append(byte: 0x2c)
    }
    mutating func ipv4(_ name: StaticString, _ key: UInt32, _ mask: UInt32?) {
        if mask == 0 && !verbose { return }
        out.append(name); out.append(byte: 0x3d)
        out.append(ipv4: key)
        if let mask, mask != .max { out.append(byte: 0x2f); out.append(ipv4: mask) }
        out.append(byte: 0x2c)
    }
    mutating func in6(_ name: StaticString, _ key: IPv6Address, _ mask: IPv6Address?) {
        if mask == .any && !verbose { return }
        out.append(name); out.append(byte: 0x3d)
        out.append(ipv6: key)
        if let mask, !(mask.high == .max && mask.low == .max) { out.append(byte: 0x2f); out.append(ipv6: mask) }
        out.append(byte: 0x2c)
    }
    mutating func label(_ key: UInt32, _ mask: UInt32?) {
        if mask == 0 && !verbose { return }
        out.append("label="); out.append(alternateHex: UInt64(key))
        if let mask, mask & 0xfffff != 0xfffff { out.append(byte: 0x2f); out.append(alternateHex: UInt64(mask)) }
        out.append(byte: 0x2c)
    }
    mutating func u8x(_ name: StaticString, _ key: UInt8, _ mask: UInt8?) {
        if mask == 0 && !verbose { return }
        out.append(name); out.append(byte: 0x3d)
        out.append(alternateHex: UInt64(key))
        if let mask, mask != .max { out.append(byte: 0x2f); out.append(alternateHex: UInt64(mask)) }
        out.append(byte: 0x2c)
    }
    mutating func u8u(_ name: StaticString, _ key: UInt8, _ mask: UInt8?) {
        if mask == 0 && !verbose { return }
        out.append(name); out.append(byte: 0x3d)
        out.append(decimal: UInt64(key))
        if let mask, mask != .max { out.append(byte: 0x2f); out.append(alternateHex: UInt64(mask)) }
        out.append(byte: 0x2c)
    }
    mutating func be16(_ name: StaticString, _ key: UInt16, _ mask: UInt16?) {
        if mask == 0 && !verbose { return }
        out.append(name); out.append(byte: 0x3d)
        out.append(decimal: UInt64(key))
        if let mask, mask != .max { out.append(byte: 0x2f); out.append(alternateHex: UInt64(mask)) }
        out.append(byte: 0x2c)
    }
    mutating func be16x(_ name: StaticString, _ key: UInt16, _ mask: UInt16?) {
        if mask == 0 && !verbose { return }
        out.append(name); out.append(byte: 0x3d)
        out.append(alternateHex: UInt64(key))
        if let mask, mask != .max { out.append(byte: 0x2f); out.append(alternateHex: UInt64(mask)) }
        out.append(byte: 0x2c)
    }
    mutating func frag(_ key: UInt8, _ mask: UInt8?) {
        let empty = mask == 0
        let full = mask == nil || mask == .max
        if !empty && !full {
            out.append("error: partial mask not supported for frag (")
            out.append(alternateHex: UInt64(mask!))
            out.append("),")
        } else if !empty {
            out.append("frag=")
            switch key {
            case 0: out.append("no")
            case 1: out.append("first")
            case 2: out.append("later")
            default: out.append("<error>")
            }
            out.append(byte: 0x2c)
        }
    }
}
