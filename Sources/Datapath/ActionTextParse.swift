import Flow
import Wire

extension DatapathActionText {
    /// Parses datapath actions as `odp_actions_from_string` does (`drop`
    /// alone is the explicit drop action). Errors carry the offset of the
    /// action that failed.
    public static func parse(_ text: String) throws(DatapathKeyError) -> [DatapathAction] {
        let trimmed = text
        if trimmed.lowercased() == "drop" { return [.drop(.ok)] }
        var s = DatapathTextScanner(text)
        var actions: [DatapathAction] = []
        while true {
            s.skipDelimiters()
            if s.atEnd { return actions }
            let start = s.index
            do throws(DatapathKeyError) {
                actions.append(try parseAction(&s, depth: 0))
            } catch {
                throw s.error("syntax error", at: start)
            }
            guard s.atEnd || isDelimiter(s.peek) else { throw s.error("syntax error", at: start) }
        }
    }

    static func isDelimiter(_ c: UInt8) -> Bool { c == 0x2c || c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d }

    /// `parse_action_list`: actions up to (not including) `)`.
    ///
    /// A lone `drop` is the empty list, as `format_odp_actions` prints it
    /// (OVS itself reads that only inside `check_pkt_len`).
    static func parseList(_ s: inout DatapathTextScanner, depth: Int) throws(DatapathKeyError) -> [DatapathAction] {
        var list: [DatapathAction] = []
        if s.hasPrefix("drop)") { _ = s.take("drop"); return list }
        while true {
            s.skipDelimiters()
            if s.peek == 0x29 { return list }
            if s.atEnd { throw s.error("unterminated action list") }
            list.append(try parseAction(&s, depth: depth + 1))
        }
    }

    static func parseAction(_ s: inout DatapathTextScanner, depth: Int) throws(DatapathKeyError) -> DatapathAction {
        guard depth < 32 else { throw s.error("actions nested too deeply") }
        if (s.peek >= 0x30 && s.peek <= 0x39) || s.peek == 0x2d || s.peek == 0x2b {
            guard let p = s.scanInt(width: 32) else { throw s.error("bad port") }
            return .output(DatapathPort(UInt32(p)))
        }
        func number(_ width: Int) throws(DatapathKeyError) -> UInt64 {
            guard let v = s.scanInt(width: width) else { throw s.error("expected a number") }
            return v
        }
        if s.take("lb_output(") { let v = try number(32); try s.expect(0x29); return .loadBalancedOutput(bondID: UInt32(v)) }
        if s.take("trunc(") { let v = try number(32); try s.expect(0x29); return .truncate(UInt32(v)) }
        if s.take("recirc(") {
            // OVS reads only decimal here, but prints hex: svs reads both, so dump-flows output parses.
            guard let v = s.scanInt(width: 32) else { throw s.error("expected a number") }
            try s.expect(0x29)
            return .recirculate(UInt32(v))
        }
        if s.take("userspace(") { return try parseUserspace(&s) }
        if s.take("set(") {
            let (k, m) = try s.parseAttribute()
            try s.expect(0x29)
            if k.type == DatapathKeyAttributeType.tunnel {
                guard let t = tunnelMetadata(k.nested ?? []) else { throw s.error("unsupported tunnel set") }
                return .set(.tunnel(t))
            }
            if k.nested == nil, m.payload.count == k.payload.count, m.payload.allSatisfy({ $0 == 0xff }) {
                guard let f = setField(k) else { throw s.error("unsupported set") }
                return .set(f)
            }
            guard k.nested == nil, let f = maskedSetField(k, m) else { throw s.error("unsupported set") }
            return .setMasked(f)
        }
        if s.take("push_vlan(") {
            var tpid: UInt64 = 0x8100
            if s.take("tpid=") { tpid = try number(32); try s.expect(0x2c) }
            guard s.take("vid=") else { throw s.error("expected vid=") }
            let vid = try number(32)
            guard s.take(",pcp=") else { throw s.error("expected pcp=") }
            let pcp = try number(32)
            var cfi: UInt64 = 1
            if s.take(",cfi=") { cfi = try number(32) }
            try s.expect(0x29)
            guard vid <= 0xfff, pcp <= 7 else { throw s.error("bad VLAN") }
            guard let proto = VLANTagProtocol(rawValue: UInt16(truncatingIfNeeded: tpid)) else { throw s.error("unsupported TPID") }
            return .pushVLAN(VLANPush(tagProtocol: proto, tci: UInt16(vid) | UInt16(pcp) << 13 | (cfi != 0 ? 0x1000 : 0)))
        }
        if s.take("pop_vlan") { return .popVLAN }
        if s.take("meter(") { let v = try number(64); try s.expect(0x29); return .meter(MeterID(UInt32(truncatingIfNeeded: v))) }
        if s.take("sample(sample=") {
            let pct = try scanDouble(&s)
            guard pct >= 0, pct <= 100, s.take("%,actions(") else { throw s.error("bad sample") }
            let list = try parseList(&s, depth: depth)
            guard s.take("))") else { throw s.error("expected '))'") }
            let p = (Double(UInt32.max) * (pct / 100.0) + 0.5).rounded(.down)
            let probability: UInt32 = p <= 0 ? 0 : p >= Double(UInt32.max) ? .max : UInt32(p)
            return .sample(SampleAction(probability: probability, actions: list))
        }
        if s.take("clone(") {
            let list = try parseList(&s, depth: depth)
            try s.expect(0x29)
            return .clone(list)
        }
        if s.take("tnl_pop(") { let v = try number(32); try s.expect(0x29); return .tunnelPop(DatapathPort(UInt32(v))) }
        if s.take("ct_clear") { return .conntrackClear }
        if s.take("check_pkt_len(size=") {
            let size = try number(16)
            guard s.take(",gt(") else { throw s.error("expected gt(") }
            let gt: [DatapathAction] = s.take("drop") ? [] : try parseList(&s, depth: depth)
            guard s.take("),le(") else { throw s.error("expected le(") }
            let le: [DatapathAction] = s.take("drop") ? [] : try parseList(&s, depth: depth)
            guard s.take("))") else { throw s.error("expected '))'") }
            return .checkPacketLength(CheckPacketLength(length: UInt16(size), ifGreater: gt, ifLessOrEqual: le))
        }
        if s.hasPrefix("ct") && !s.hasPrefix("ct_") { return try parseConntrack(&s) }
        if s.take("add_mpls(") || s.take("push_mpls(") {
            let isAdd = s.bytes[..<s.index].suffix(9).elementsEqual("add_mpls(".utf8)
            guard s.take("label=") else { throw s.error("expected label=") }
            let label = try number(32)
            guard s.take(",tc=") else { throw s.error("expected tc=") }
            let tc = try number(8)
            guard s.take(",ttl=") else { throw s.error("expected ttl=") }
            let ttl = try number(8)
            guard s.take(",bos=") else { throw s.error("expected bos=") }
            let bos = try number(8)
            guard s.take(",eth_type=0x"), let type = s.scanHex(width: 16) else { throw s.error("expected eth_type=") }
            try s.expect(0x29)
            let lse = MPLSLabelStackEntry(rawValue: UInt32(truncatingIfNeeded: label << 12 | tc << 9 | ttl | bos << 8))
            return isAdd ? .addMPLS(MPLSAdd(entry: lse, etherType: EtherType(rawValue: UInt16(type))))
                : .pushMPLS(MPLSPush(entry: lse, etherType: EtherType(rawValue: UInt16(type))))
        }
        if s.take("pop_mpls(eth_type=0x") {
            guard let type = s.scanHex(width: 16) else { throw s.error("expected an EtherType") }
            try s.expect(0x29)
            return .popMPLS(EtherType(rawValue: UInt16(type)))
        }
        if s.take("hash(") {
            let alg: HashAlgorithm
            if s.take("l4(") { alg = .l4 } else if s.take("sym_l4(") { alg = .symmetricL4 } else { throw s.error("unknown hash") }
            let basis = try number(32)
            guard s.take("))") else { throw s.error("expected '))'") }
            return .hash(HashAction(algorithm: alg, basis: UInt32(basis)))
        }
        if s.take("push_eth(src=") {
            guard let src = s.scanEthernet(), s.take(",dst="), let dst = s.scanEthernet() else { throw s.error("bad push_eth") }
            try s.expect(0x29)
            return .pushEthernet(EthernetKey(source: EthernetAddress(rawValue: src), destination: EthernetAddress(rawValue: dst)))
        }
        if s.take("pop_eth") { return .popEthernet }
        throw s.error("unknown action")
    }

    static func scanDouble(_ s: inout DatapathTextScanner) throws(DatapathKeyError) -> Double {
        var i = s.index
        while i < s.bytes.count, (s.bytes[i] >= 0x30 && s.bytes[i] <= 0x39) || s.bytes[i] == 0x2e || s.bytes[i] == 0x2d
            || s.bytes[i] == 0x2b || s.bytes[i] == 0x65 || s.bytes[i] == 0x45 { i += 1 }
        guard i > s.index, let v = Double(String(decoding: s.bytes[s.index..<i], as: UTF8.self)) else { throw s.error("expected a number") }
        s.index = i
        return v
    }

    static func parseUserspace(_ s: inout DatapathTextScanner) throws(DatapathKeyError) -> DatapathAction {
        guard s.take("pid="), let pid = s.scanInt(width: 32) else { throw s.error("expected pid=") }
        // Without userdata, OVS sends an all-zero cookie (`struct user_action_cookie`, 48 bytes).
        var u = UserspaceAction(pid: UInt32(pid), userdata: [UInt8](repeating: 0, count: 48))
        while s.take(",") {
            if s.take("userdata(") {
                var data: [UInt8] = []
                while let hi = hexValue(s.peek) {
                    s.index += 1
                    guard let lo = hexValue(s.peek) else { throw s.error("odd userdata") }
                    s.index += 1
                    data.append(UInt8(hi << 4 | lo))
                }
                try s.expect(0x29)
                // At least 8 bytes, zero-padded (`odp_put_userspace_action`).
                if data.count < 8 { data += [UInt8](repeating: 0, count: 8 - data.count) }
                u.userdata = data
            } else if s.take("actions") {
                u.includesActions = true
            } else if s.take("tunnel_out_port=") {
                guard let p = s.scanInt(width: 32) else { throw s.error("bad port") }
                u.egressTunnelPort = DatapathPort(UInt32(p))
            } else {
                throw s.error("unknown userspace option")
            }
        }
        try s.expect(0x29)
        return .userspace(u)
    }

    static func parseConntrack(_ s: inout DatapathTextScanner) throws(DatapathKeyError) -> DatapathAction {
        _ = s.take("ct")
        var c = ConntrackAction()
        guard s.take("(") else { return .conntrack(c) }
        while !s.take(")") {
            if s.atEnd { throw s.error("unterminated ct") }
            if s.take(",") { continue }
            if s.take("commit") { c.commit = true; continue }
            if s.take("force_commit") { c.forceCommit = true; continue }
            if s.take("zone=") { guard let z = s.scanInt(width: 16) else { throw s.error("bad zone") }; c.zone = UInt16(z); continue }
            if s.take("mark=") {
                let (v, m) = try s.scanMaskedInt(width: 32)
                c.mark = Masked(UInt32(v), mask: UInt32(m)); continue
            }
            if s.take("label=") {
                let (vh, vl) = try s.scanU128()
                var (mh, ml) = (UInt64.max, UInt64.max)
                if s.take("/") { (mh, ml) = try s.scanU128() }
                c.labels = Masked(UInt128(vh) << 64 | UInt128(vl), mask: UInt128(mh) << 64 | UInt128(ml)); continue
            }
            if s.take("helper=") { c.helper = try name(&s); continue }
            if s.take("timeout=") { c.timeoutPolicy = try name(&s); continue }
            if s.take("nat") { c.nat = try parseNAT(&s); continue }
            throw s.error("unknown ct option")
        }
        // What `parse_conntrack_action` keeps.
        guard !(c.commit && c.forceCommit) else { throw s.error("ct: commit and force_commit") }
        if c.forceCommit && c.commit { c.forceCommit = false }
        if c.mark?.mask == 0 { c.mark = nil }
        if c.labels?.mask == 0 { c.labels = nil }
        if var n = c.nat {
            if n.kind == nil || n.minimumAddress == nil {
                let kind = n.kind
                n = NATAction()
                n.kind = kind
            } else {
                if let lo = n.minimumAddress, let hi = n.maximumAddress, !natAddress(hi, isAbove: lo) { n.maximumAddress = nil }
                if n.minimumPort == 0 { n.minimumPort = nil; n.maximumPort = nil }
                if let lo = n.minimumPort, let hi = n.maximumPort, hi <= lo { n.maximumPort = nil }
            }
            c.nat = n
        }
        return .conntrack(c)
    }

    /// `memcmp(max, min) > 0` of two NAT addresses of the same family.
    static func natAddress(_ a: NATAddress, isAbove b: NATAddress) -> Bool {
        switch (a, b) {
        case (.ipv4(let x), .ipv4(let y)): x.rawValue > y.rawValue
        case (.ipv6(let x), .ipv6(let y)): (x.high, x.low) > (y.high, y.low)
        default: false
        }
    }

    static func name(_ s: inout DatapathTextScanner) throws(DatapathKeyError) -> String {
        var i = s.index
        while i < s.bytes.count, s.bytes[i] != 0x2c, s.bytes[i] != 0x29, i - s.index < 32 { i += 1 }
        guard i > s.index else { throw s.error("expected a name") }
        defer { s.index = i }
        return String(decoding: s.bytes[s.index..<i], as: UTF8.self)
    }

    static func parseNAT(_ s: inout DatapathTextScanner) throws(DatapathKeyError) -> NATAction {
        var n = NATAction()
        guard s.take("(") else { return n }
        while !s.take(")") {
            if s.atEnd { throw s.error("unterminated nat") }
            if s.take(",") { continue }
            let isSource: Bool
            if s.take("src") { isSource = true } else if s.take("dst") { isSource = false } else if s.take("persistent") {
                n.isPersistent = true; continue
            } else if s.take("hash") { n.usesHashedPorts = true; continue } else if s.take("random") {
                n.usesRandomPorts = true; continue
            } else { throw s.error("unknown nat option") }
            guard n.kind == nil else { throw s.error("nat: src and dst") }
            n.kind = isSource ? .source : .destination
            guard s.take("=") else { continue }
            if s.take("[") {
                guard let a = s.scanIPv6(), s.take("]") else { throw s.error("bad address") }
                n.minimumAddress = .ipv6(a)
                if s.take("-[") { guard let b = s.scanIPv6(), s.take("]") else { throw s.error("bad address") }; n.maximumAddress = .ipv6(b) }
            } else if let a = s.scanIPv4() {
                n.minimumAddress = .ipv4(IPv4Address(rawValue: a))
                if s.take("-") { guard let b = s.scanIPv4() else { throw s.error("bad address") }; n.maximumAddress = .ipv4(IPv4Address(rawValue: b)) }
            } else if let a = s.scanIPv6() {
                n.minimumAddress = .ipv6(a)
                if s.take("-") { guard let b = s.scanIPv6() else { throw s.error("bad address") }; n.maximumAddress = .ipv6(b) }
            } else { throw s.error("bad address") }
            if s.take(":") {
                guard let p = s.scanDecimal(width: 16) else { throw s.error("bad port") }
                n.minimumPort = UInt16(p)
                if s.take("-") { guard let q = s.scanDecimal(width: 16) else { throw s.error("bad port") }; n.maximumPort = UInt16(q) }
            }
        }
        return n
    }
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: c - 0x30
    case 0x61...0x66: c - 0x61 + 10
    case 0x41...0x46: c - 0x41 + 10
    default: nil
    }
}
