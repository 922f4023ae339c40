import Wire

// The datapath key text parser: Open vSwitch's `odp_flow_from_string`, which
// `ovs-dpctl add-flow` and `ovs-appctl dpctl/add-flow` use. A field left out
// is wildcarded; `value/mask` masks it. Errors carry the offset where the
// attribute that failed begins ("syntax error at ...").

extension DatapathKeyAttributes {
    /// Parses key text into key and mask attributes.
    public static func parse(_ text: String) throws(DatapathKeyError) -> (key: [DatapathKeyAttribute], mask: [DatapathKeyAttribute]) {
        var s = DatapathTextScanner(text)
        return try s.parseKey(until: nil)
    }

    /// Parses key text into a flow key and mask, as the userspace datapath
    /// stores a flow added with `dpctl/add-flow`: the attributes are decoded
    /// (`odp_flow_key_to_flow`/`_to_mask`), `in_port` must be exact (and a port), and a
    /// flow without a VLAN mask matches "no VLAN" exactly.
    public static func parseFlow(_ text: String, vlanLimit: Int = 1) throws(DatapathKeyError) -> (key: FlowKey, mask: FlowMask) {
        let (k, m) = try parse(text)
        let (key, decodedMask) = try decode(key: k, mask: m, vlanLimit: vlanLimit)
        var mask = decodedMask
        guard mask.inPort.rawValue == .max else { throw DatapathKeyError("in_port is not an exact match") }
        // ODPP_NONE is no port: a flow keyed on it could never match, and its
        // key would print without in_port (which then fails the rule above).
        guard key.inPort != .none else { throw DatapathKeyError("in_port(-1) is not a port") }
        if mask.vlans[0].tci == 0 {
            var v = mask.vlans
            v[0].tci = 0x1fff
            mask.vlans = v
        }
        return (key, mask)
    }
}

/// A cursor over the UTF-8 bytes of datapath text (keys and actions).
public struct DatapathTextScanner {
    public let bytes: [UInt8]
    public var index: Int = 0
    /// How many `encap(` are open (at most `maximumDepth`).
    var depth = 0
    /// The deepest `encap(` nesting read (more than any real key has).
    public static let maximumDepth = 16

    public init(_ text: String) { bytes = Array(text.utf8) }

    public var atEnd: Bool { index >= bytes.count }
    public var peek: UInt8 { index < bytes.count ? bytes[index] : 0 }

    public func error(_ message: String, at position: Int? = nil) -> DatapathKeyError {
        let p = position ?? index
        let rest = p < bytes.count ? String(decoding: bytes[p...], as: UTF8.self) : ""
        return DatapathKeyError("\(message) at \(rest)", position: p)
    }

    /// Consumes `prefix` if the text continues with it.
    public mutating func take(_ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard index + n <= bytes.count else { return false }
        let ok = prefix.withUTF8Buffer { p in
            for i in 0..<n where bytes[index + i] != p[i] { return false }
            return true
        }
        if ok { index += n }
        return ok
    }

    public func hasPrefix(_ prefix: StaticString) -> Bool {
        var copy = self
        return copy.take(prefix)
    }

    public mutating func skipDelimiters() {
        while index < bytes.count, bytes[index] == 0x2c || bytes[index] == 0x20 || bytes[index] == 0x09
            || bytes[index] == 0x0a || bytes[index] == 0x0d { index += 1 }
    }

    /// `%i` into `width` bits: optional sign, `0x` hex, leading-`0` octal, or decimal.
    public mutating func scanInt(width: Int) -> UInt64? {
        var i = index
        var negative = false
        if i < bytes.count, bytes[i] == 0x2d || bytes[i] == 0x2b { negative = bytes[i] == 0x2d; i += 1 }
        var radix: UInt64 = 10
        if i + 1 < bytes.count, bytes[i] == 0x30, bytes[i + 1] | 0x20 == 0x78, i + 2 < bytes.count, hexValue(bytes[i + 2]) != nil {
            radix = 16; i += 2
        } else if i < bytes.count, bytes[i] == 0x30 {
            radix = 8
        }
        var value: UInt64 = 0
        var digits = 0
        while i < bytes.count, let d = hexValue(bytes[i]), d < radix {
            value = value &* radix &+ d
            i += 1
            digits += 1
        }
        guard digits > 0 else { return nil }
        index = i
        if negative { value = 0 &- value }
        return width >= 64 ? value : value & ((1 << UInt64(width)) - 1)
    }

    /// `%x` (unsigned hex, at most `width` bits kept).
    public mutating func scanHex(width: Int) -> UInt64? {
        var i = index
        var value: UInt64 = 0
        var digits = 0
        while i < bytes.count, let d = hexValue(bytes[i]) { value = value &* 16 &+ d; i += 1; digits += 1 }
        guard digits > 0 else { return nil }
        index = i
        return width >= 64 ? value : value & ((1 << UInt64(width)) - 1)
    }

    /// `%u` (unsigned decimal).
    public mutating func scanDecimal(width: Int) -> UInt64? {
        var i = index
        var value: UInt64 = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { value = value &* 10 &+ UInt64(bytes[i] - 0x30); i += 1; digits += 1 }
        guard digits > 0 else { return nil }
        index = i
        return width >= 64 ? value : value & ((1 << UInt64(width)) - 1)
    }

    public mutating func scanEthernet() -> UInt64? {
        let start = index
        var v: UInt64 = 0
        for i in 0..<6 {
            if i > 0 { guard take(":") else { index = start; return nil } }
            guard let b = scanHex(width: 8) else { index = start; return nil }
            v = v << 8 | b
        }
        return v
    }

    public mutating func scanIPv4() -> UInt32? {
        let start = index
        var v: UInt32 = 0
        for i in 0..<4 {
            if i > 0 { guard take(".") else { index = start; return nil } }
            guard let b = scanDecimal(width: 8) else { index = start; return nil }
            v = v << 8 | UInt32(b)
        }
        return v
    }

    public mutating func scanIPv6() -> IPv6Address? {
        var i = index
        while i < bytes.count, i - index < 46, hexValue(bytes[i]) != nil || bytes[i] == 0x3a || bytes[i] == 0x2e { i += 1 }
        guard i > index, let a = IPv6Address(String(decoding: bytes[index..<i], as: UTF8.self)) else { return nil }
        index = i
        return a
    }

    /// A run of lower-case letters (`%7[a-z]`).
    public mutating func scanWord(max: Int) -> String? {
        var i = index
        while i < bytes.count, i - index < max, bytes[i] >= 0x61, bytes[i] <= 0x7a { i += 1 }
        guard i > index else { return nil }
        defer { index = i }
        return String(decoding: bytes[index..<i], as: UTF8.self)
    }
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt64? {
    switch c {
    case 0x30...0x39: UInt64(c - 0x30)
    case 0x61...0x66: UInt64(c - 0x61 + 10)
    case 0x41...0x46: UInt64(c - 0x41 + 10)
    default: nil
    }
}

/// A struct payload being filled field by field, key and mask together.
struct MaskedPayload {
    var key: [UInt8]
    var mask: [UInt8]
    init(count: Int, maskFill: UInt8 = 0) {
        key = [UInt8](repeating: 0, count: count)
        mask = [UInt8](repeating: maskFill, count: count)
    }
    static func put(_ a: inout [UInt8], _ at: Int, _ v: UInt64, bytes n: Int, littleEndian: Bool = false) {
        for i in 0..<n where at + i < a.count {
            let shift = littleEndian ? 8 * i : 8 * (n - 1 - i)
            a[at + i] = UInt8(truncatingIfNeeded: v >> UInt64(shift))
        }
    }
    mutating func set(_ at: Int, _ v: UInt64, _ m: UInt64, bytes n: Int, littleEndian: Bool = false) {
        Self.put(&key, at, v, bytes: n, littleEndian: littleEndian)
        Self.put(&mask, at, m, bytes: n, littleEndian: littleEndian)
    }
}

extension DatapathTextScanner {
    typealias T = DatapathKeyAttributeType

    /// Attributes up to `close` (or the end of text).
    mutating func parseKey(until close: UInt8?) throws(DatapathKeyError) -> (key: [DatapathKeyAttribute], mask: [DatapathKeyAttribute]) {
        var key: [DatapathKeyAttribute] = []
        var mask: [DatapathKeyAttribute] = []
        while true {
            skipDelimiters()
            if atEnd {
                if close != nil { throw error("syntax error") }
                return (key, mask)
            }
            if let close, peek == close { index += 1; return (key, mask) }
            if close == nil && take("ufid:") {
                // A UUID, then an optional space.
                let start = index
                var n = 0
                while index < bytes.count, hexValue(bytes[index]) != nil || bytes[index] == 0x2d { index += 1; n += 1 }
                guard n == 36 else { throw error("syntax error", at: start - 5) }
                if peek == 0x20 { index += 1 }
                continue
            }
            let start = index
            do throws(DatapathKeyError) {
                let (k, m) = try parseAttribute()
                key.append(k)
                mask.append(m)
            } catch {
                throw self.error("syntax error", at: start)
            }
        }
    }

    /// `value[/mask]` of a number field of `width` bits.
    public mutating func scanMaskedInt(width: Int) throws(DatapathKeyError) -> (UInt64, UInt64) {
        guard let v = scanInt(width: width) else { throw error("expected a number") }
        if take("/") {
            guard let m = scanInt(width: width) else { throw error("expected a mask") }
            return (v, m)
        }
        return (v, width >= 64 ? .max : (1 << UInt64(width)) - 1)
    }

    public mutating func expect(_ c: UInt8) throws(DatapathKeyError) {
        guard peek == c else { throw error("expected '\(Character(Unicode.Scalar(c)))'") }
        index += 1
    }

    /// The fields of a struct attribute: `name=value` pairs separated by `,`, then `)`.
    mutating func scanFields(_ field: (inout DatapathTextScanner) throws(DatapathKeyError) -> Bool) throws(DatapathKeyError) {
        while true {
            if take(")") { return }
            guard try field(&self) else { throw error("unknown field") }
            if take(")") { return }
            guard take(",") else { throw error("expected ',' or ')'") }
        }
    }

    /// One key attribute and its mask (`parse_odp_key_mask_attr`).
    public mutating func parseAttribute() throws(DatapathKeyError) -> (DatapathKeyAttribute, DatapathKeyAttribute) {
        func single(_ type: UInt16, _ v: UInt64, _ m: UInt64, bytes n: Int, littleEndian: Bool) -> (DatapathKeyAttribute, DatapathKeyAttribute) {
            var p = MaskedPayload(count: n)
            p.set(0, v, m, bytes: n, littleEndian: littleEndian)
            return (DatapathKeyAttribute(type: type, payload: p.key), DatapathKeyAttribute(type: type, payload: p.mask))
        }
        func u32Single(_ type: UInt16) throws(DatapathKeyError) -> (DatapathKeyAttribute, DatapathKeyAttribute) {
            let (v, m) = try scanMaskedInt(width: 32)
            try expect(0x29)
            return single(type, v, m, bytes: 4, littleEndian: true)
        }
        if take("skb_priority(") { return try u32Single(T.priority) }
        if take("skb_mark(") { return try u32Single(T.skbMark) }
        if take("recirc_id(") {
            guard let v = scanInt(width: 32) else { throw error("expected a number") }
            try expect(0x29)
            return single(T.recirculationID, v, 0xffff_ffff, bytes: 4, littleEndian: true)
        }
        if take("dp_hash(") { return try u32Single(T.dpHash) }
        if take("ct_state(") {
            let (v, m) = try scanFlags(allowed: 0xff, name: ctStateName)
            try expect(0x29)
            return single(T.ctState, UInt64(v), UInt64(m), bytes: 4, littleEndian: true)
        }
        if take("ct_zone(") {
            let (v, m) = try scanMaskedInt(width: 16)
            try expect(0x29)
            return single(T.ctZone, v, m, bytes: 2, littleEndian: true)
        }
        if take("ct_mark(") { return try u32Single(T.ctMark) }
        if take("ct_label(") {
            let (vh, vl) = try scanU128()
            var (mh, ml) = (UInt64.max, UInt64.max)
            if take("/") { (mh, ml) = try scanU128() }
            try expect(0x29)
            var p = MaskedPayload(count: 16)
            p.set(0, vl, ml, bytes: 8, littleEndian: true)
            p.set(8, vh, mh, bytes: 8, littleEndian: true)
            return (DatapathKeyAttribute(type: T.ctLabels, payload: p.key), DatapathKeyAttribute(type: T.ctLabels, payload: p.mask))
        }
        if take("ct_tuple4(") {
            var p = MaskedPayload(count: 16)
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                if s.take("src=") { let (v, m) = try s.scanMaskedIPv4(); p.set(0, UInt64(v), UInt64(m), bytes: 4); return true }
                if s.take("dst=") { let (v, m) = try s.scanMaskedIPv4(); p.set(4, UInt64(v), UInt64(m), bytes: 4); return true }
                if s.take("proto=") { let (v, m) = try s.scanMaskedInt(width: 8); p.set(12, v, m, bytes: 1); return true }
                if s.take("tp_src=") { let (v, m) = try s.scanMaskedInt(width: 16); p.set(8, v, m, bytes: 2); return true }
                if s.take("tp_dst=") { let (v, m) = try s.scanMaskedInt(width: 16); p.set(10, v, m, bytes: 2); return true }
                return false
            }
            return (DatapathKeyAttribute(type: T.ctTupleIPv4, payload: p.key), DatapathKeyAttribute(type: T.ctTupleIPv4, payload: p.mask))
        }
        if take("ct_tuple6(") {
            var p = MaskedPayload(count: 40)
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                if s.take("src=") { let (v, m) = try s.scanMaskedIPv6(); p.setIPv6(0, v, m); return true }
                if s.take("dst=") { let (v, m) = try s.scanMaskedIPv6(); p.setIPv6(16, v, m); return true }
                if s.take("proto=") { let (v, m) = try s.scanMaskedInt(width: 8); p.set(36, v, m, bytes: 1); return true }
                // OVS prints src_port=/dst_port= but reads only tp_src=/tp_dst=; svs reads both.
                if s.take("tp_src=") || s.take("src_port=") { let (v, m) = try s.scanMaskedInt(width: 16); p.set(32, v, m, bytes: 2); return true }
                if s.take("tp_dst=") || s.take("dst_port=") { let (v, m) = try s.scanMaskedInt(width: 16); p.set(34, v, m, bytes: 2); return true }
                return false
            }
            return (DatapathKeyAttribute(type: T.ctTupleIPv6, payload: p.key), DatapathKeyAttribute(type: T.ctTupleIPv6, payload: p.mask))
        }
        if take("tunnel(") { return try parseTunnel() }
        if take("in_port(") {
            let (v, m) = try scanMaskedInt(width: 32)
            try expect(0x29)
            return single(T.inPort, v, m, bytes: 4, littleEndian: true)
        }
        if take("eth(") {
            var p = MaskedPayload(count: 12)
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                if s.take("src=") { let (v, m) = try s.scanMaskedEthernet(); p.set(0, v, m, bytes: 6); return true }
                if s.take("dst=") { let (v, m) = try s.scanMaskedEthernet(); p.set(6, v, m, bytes: 6); return true }
                return false
            }
            return (DatapathKeyAttribute(type: T.ethernet, payload: p.key), DatapathKeyAttribute(type: T.ethernet, payload: p.mask))
        }
        if take("vlan(") {
            var tci: UInt16 = 0x1000
            var tciMask: UInt16 = 0x1000
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                let bits: Int, shift: Int
                if s.take("vid=") { (bits, shift) = (12, 0) } else if s.take("pcp=") { (bits, shift) = (3, 13) } else if s.take("cfi=") { (bits, shift) = (1, 12) } else { return false }
                guard let v = s.scanInt(width: 16), v >> UInt64(bits) == 0 else { throw s.error("bad value") }
                let field = UInt16((1 << bits) - 1) << UInt16(shift)
                tci = (tci & ~field) | UInt16(v) << UInt16(shift)
                if s.take("/") {
                    guard let m = s.scanInt(width: 16), m >> UInt64(bits) == 0 else { throw s.error("bad mask") }
                    tciMask = (tciMask & ~field) | UInt16(m) << UInt16(shift)
                } else {
                    tciMask |= field
                }
                return true
            }
            return single(T.vlan, UInt64(tci), UInt64(tciMask), bytes: 2, littleEndian: false)
        }
        if take("eth_type(") {
            let (v, m) = try scanMaskedInt(width: 16)
            try expect(0x29)
            return single(T.etherType, v, m, bytes: 2, littleEndian: false)
        }
        if take("mpls(") {
            var keys = [UInt32](repeating: 0, count: 3)
            var masks = [UInt32](repeating: 0, count: 3)
            var idx = 0
            var fields = 0
            var done = false
            while !done {
                if take(")") { break }
                let bits: Int, shift: Int, bit: Int
                if take("label=") { (bits, shift, bit) = (20, 12, 1) } else if take("tc=") { (bits, shift, bit) = (3, 9, 2) } else if take("ttl=") { (bits, shift, bit) = (8, 0, 4) } else if take("bos=") { (bits, shift, bit) = (1, 8, 8) } else { throw error("unknown field") }
                if fields & bit != 0 {
                    fields = 0
                    idx += 1
                    if idx == 3 { done = true; break }
                }
                guard let v = scanInt(width: 32), v >> UInt64(bits) == 0 else { throw error("bad value") }
                let field = UInt32((1 << bits) - 1) << UInt32(shift)
                keys[idx] = (keys[idx] & ~field) | UInt32(v) << UInt32(shift)
                if take("/") {
                    guard let m = scanInt(width: 32), m >> UInt64(bits) == 0 else { throw error("bad mask") }
                    masks[idx] = (masks[idx] & ~field) | UInt32(m) << UInt32(shift)
                } else {
                    masks[idx] |= field
                }
                fields |= bit
                if take(")") { break }
                guard take(",") else { throw error("expected ',' or ')'") }
            }
            if done { throw error("too many MPLS labels") }
            let n = idx + 1
            var kp = PayloadWriter(), mp = PayloadWriter()
            for i in 0..<n { kp.be32(keys[i]); mp.be32(masks[i]) }
            return (DatapathKeyAttribute(type: T.mpls, payload: kp.bytes), DatapathKeyAttribute(type: T.mpls, payload: mp.bytes))
        }
        if take("ipv4(") {
            var p = MaskedPayload(count: 12)
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                if s.take("src=") { let (v, m) = try s.scanMaskedIPv4(); p.set(0, UInt64(v), UInt64(m), bytes: 4); return true }
                if s.take("dst=") { let (v, m) = try s.scanMaskedIPv4(); p.set(4, UInt64(v), UInt64(m), bytes: 4); return true }
                if s.take("proto=") { let (v, m) = try s.scanMaskedInt(width: 8); p.set(8, v, m, bytes: 1); return true }
                if s.take("tos=") { let (v, m) = try s.scanMaskedInt(width: 8); p.set(9, v, m, bytes: 1); return true }
                if s.take("ttl=") { let (v, m) = try s.scanMaskedInt(width: 8); p.set(10, v, m, bytes: 1); return true }
                if s.take("frag=") { let v = try s.scanFrag(); p.set(11, UInt64(v), 0xff, bytes: 1); return true }
                return false
            }
            return (DatapathKeyAttribute(type: T.ipv4, payload: p.key), DatapathKeyAttribute(type: T.ipv4, payload: p.mask))
        }
        if take("ipv6(") {
            var p = MaskedPayload(count: 40)
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                if s.take("src=") { let (v, m) = try s.scanMaskedIPv6(); p.setIPv6(0, v, m); return true }
                if s.take("dst=") { let (v, m) = try s.scanMaskedIPv6(); p.setIPv6(16, v, m); return true }
                if s.take("label=") {
                    guard let v = s.scanInt(width: 32), v & ~0xfffff == 0 else { throw s.error("bad label") }
                    var m: UInt64 = 0xfffff
                    if s.take("/") {
                        guard let mm = s.scanInt(width: 32), mm & ~0xfffff == 0 else { throw s.error("bad label mask") }
                        m = mm
                    }
                    p.set(32, v, m, bytes: 4)
                    return true
                }
                if s.take("proto=") { let (v, m) = try s.scanMaskedInt(width: 8); p.set(36, v, m, bytes: 1); return true }
                if s.take("tclass=") { let (v, m) = try s.scanMaskedInt(width: 8); p.set(37, v, m, bytes: 1); return true }
                if s.take("hlimit=") { let (v, m) = try s.scanMaskedInt(width: 8); p.set(38, v, m, bytes: 1); return true }
                if s.take("frag=") { let v = try s.scanFrag(); p.set(39, UInt64(v), 0xff, bytes: 1); return true }
                return false
            }
            return (DatapathKeyAttribute(type: T.ipv6, payload: p.key), DatapathKeyAttribute(type: T.ipv6, payload: p.mask))
        }
        if take("tcp_flags(") {
            let (v, m) = try scanFlags(allowed: 0x0fff, name: tcpFlagName)
            try expect(0x29)
            return single(T.tcpFlags, UInt64(v), UInt64(m), bytes: 2, littleEndian: false)
        }
        for (prefix, type) in [("tcp(", T.tcp), ("udp(", T.udp), ("sctp(", T.sctp)] as [(StaticString, UInt16)] where take(prefix) {
            var p = MaskedPayload(count: 4)
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                if s.take("src=") { let (v, m) = try s.scanMaskedInt(width: 16); p.set(0, v, m, bytes: 2); return true }
                if s.take("dst=") { let (v, m) = try s.scanMaskedInt(width: 16); p.set(2, v, m, bytes: 2); return true }
                return false
            }
            return (DatapathKeyAttribute(type: type, payload: p.key), DatapathKeyAttribute(type: type, payload: p.mask))
        }
        for (prefix, type) in [("icmp(", T.icmp), ("icmpv6(", T.icmpv6)] as [(StaticString, UInt16)] where take(prefix) {
            var p = MaskedPayload(count: 2)
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                if s.take("type=") { let (v, m) = try s.scanMaskedInt(width: 8); p.set(0, v, m, bytes: 1); return true }
                if s.take("code=") { let (v, m) = try s.scanMaskedInt(width: 8); p.set(1, v, m, bytes: 1); return true }
                return false
            }
            return (DatapathKeyAttribute(type: type, payload: p.key), DatapathKeyAttribute(type: type, payload: p.mask))
        }
        if take("arp(") {
            var p = MaskedPayload(count: 24)
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                if s.take("sip=") { let (v, m) = try s.scanMaskedIPv4(); p.set(0, UInt64(v), UInt64(m), bytes: 4); return true }
                if s.take("tip=") { let (v, m) = try s.scanMaskedIPv4(); p.set(4, UInt64(v), UInt64(m), bytes: 4); return true }
                if s.take("op=") { let (v, m) = try s.scanMaskedInt(width: 16); p.set(8, v, m, bytes: 2); return true }
                if s.take("sha=") { let (v, m) = try s.scanMaskedEthernet(); p.set(10, v, m, bytes: 6); return true }
                if s.take("tha=") { let (v, m) = try s.scanMaskedEthernet(); p.set(16, v, m, bytes: 6); return true }
                return false
            }
            return (DatapathKeyAttribute(type: T.arp, payload: p.key), DatapathKeyAttribute(type: T.arp, payload: p.mask))
        }
        if take("nd(") {
            var p = MaskedPayload(count: 28)
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                if s.take("target=") { let (v, m) = try s.scanMaskedIPv6(); p.setIPv6(0, v, m); return true }
                if s.take("sll=") { let (v, m) = try s.scanMaskedEthernet(); p.set(16, v, m, bytes: 6); return true }
                if s.take("tll=") { let (v, m) = try s.scanMaskedEthernet(); p.set(22, v, m, bytes: 6); return true }
                return false
            }
            return (DatapathKeyAttribute(type: T.nd, payload: p.key), DatapathKeyAttribute(type: T.nd, payload: p.mask))
        }
        if take("nd_ext(") {
            var p = MaskedPayload(count: 8)
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                if s.take("nd_reserved=") { let (v, m) = try s.scanMaskedInt(width: 32); p.set(0, v, m, bytes: 4); return true }
                if s.take("nd_options_type=") { let (v, m) = try s.scanMaskedInt(width: 8); p.set(4, v, m, bytes: 1); return true }
                return false
            }
            return (DatapathKeyAttribute(type: T.ndExtensions, payload: p.key), DatapathKeyAttribute(type: T.ndExtensions, payload: p.mask))
        }
        if take("packet_type(") {
            var p = MaskedPayload(count: 4)
            try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
                if s.take("ns=") { let (v, m) = try s.scanMaskedInt(width: 16); p.set(0, v, m, bytes: 2); return true }
                if s.take("id=") { let (v, m) = try s.scanMaskedInt(width: 16); p.set(2, v, m, bytes: 2); return true }
                return false
            }
            return (DatapathKeyAttribute(type: T.packetType, payload: p.key), DatapathKeyAttribute(type: T.packetType, payload: p.mask))
        }
        if take("encap(") {
            guard depth < Self.maximumDepth else { throw error("encap() nested too deeply") }
            depth += 1
            defer { depth -= 1 }
            let (k, m) = try parseKey(until: 0x29)
            return (DatapathKeyAttribute(type: T.encap, nested: k), DatapathKeyAttribute(type: T.encap, nested: m))
        }
        throw error("unknown attribute")
    }

    mutating func parseTunnel() throws(DatapathKeyError) -> (DatapathKeyAttribute, DatapathKeyAttribute) {
        typealias A = DatapathTunnelAttributeType
        var key: [DatapathKeyAttribute] = []
        var mask: [DatapathKeyAttribute] = []
        func add(_ type: UInt16, _ v: UInt64, _ m: UInt64, bytes n: Int) {
            var p = MaskedPayload(count: n)
            p.set(0, v, m, bytes: n)
            key.append(DatapathKeyAttribute(type: type, payload: p.key))
            mask.append(DatapathKeyAttribute(type: type, payload: p.mask))
        }
        try scanFields { (s: inout DatapathTextScanner) throws(DatapathKeyError) -> Bool in
            if s.take("tun_id=") { let (v, m) = try s.scanMaskedInt(width: 64); add(A.id, v, m, bytes: 8); return true }
            if s.take("src=") { let (v, m) = try s.scanMaskedIPv4(); add(A.ipv4Source, UInt64(v), UInt64(m), bytes: 4); return true }
            if s.take("dst=") { let (v, m) = try s.scanMaskedIPv4(); add(A.ipv4Destination, UInt64(v), UInt64(m), bytes: 4); return true }
            if s.take("ipv6_src=") {
                let (v, m) = try s.scanMaskedIPv6()
                var p = MaskedPayload(count: 16); p.setIPv6(0, v, m)
                key.append(DatapathKeyAttribute(type: A.ipv6Source, payload: p.key)); mask.append(DatapathKeyAttribute(type: A.ipv6Source, payload: p.mask))
                return true
            }
            if s.take("ipv6_dst=") {
                let (v, m) = try s.scanMaskedIPv6()
                var p = MaskedPayload(count: 16); p.setIPv6(0, v, m)
                key.append(DatapathKeyAttribute(type: A.ipv6Destination, payload: p.key)); mask.append(DatapathKeyAttribute(type: A.ipv6Destination, payload: p.mask))
                return true
            }
            if s.take("tos=") { let (v, m) = try s.scanMaskedInt(width: 8); add(A.tos, v, m, bytes: 1); return true }
            if s.take("ttl=") { let (v, m) = try s.scanMaskedInt(width: 8); add(A.ttl, v, m, bytes: 1); return true }
            if s.take("tp_src=") { let (v, m) = try s.scanMaskedInt(width: 16); add(A.transportSource, v, m, bytes: 2); return true }
            if s.take("tp_dst=") { let (v, m) = try s.scanMaskedInt(width: 16); add(A.transportDestination, v, m, bytes: 2); return true }
            if s.take("geneve(") {
                let (k, m) = try s.scanGeneve()
                key.append(DatapathKeyAttribute(type: A.geneveOptions, payload: k))
                mask.append(DatapathKeyAttribute(type: A.geneveOptions, payload: m))
                return true
            }
            if s.take("vxlan(gbp(") {
                var id: UInt64 = 0, idMask: UInt64 = 0, flags: UInt64 = 0, flagsMask: UInt64 = 0
                if s.take("id=") { (id, idMask) = try s.scanMaskedInt(width: 16) }
                _ = s.take(",")
                if s.take("flags=") { (flags, flagsMask) = try s.scanMaskedInt(width: 8) }
                guard s.take("))") else { throw s.error("expected '))'") }
                let gbp = flags << 16 | id
                if gbp != 0 {
                    var kp = MaskedPayload(count: 4)
                    kp.set(0, gbp, flagsMask << 16 | idMask, bytes: 4, littleEndian: true)
                    key.append(DatapathKeyAttribute(type: A.vxlanOptions, nested: [DatapathKeyAttribute(type: 1, payload: kp.key)]))
                    mask.append(DatapathKeyAttribute(type: A.vxlanOptions, nested: [DatapathKeyAttribute(type: 1, payload: kp.mask)]))
                }
                return true
            }
            if s.take("flags(") {
                let (v, m) = try s.scanFlags(allowed: 0xf, name: tunnelFlagName)
                try s.expect(0x29)
                for (bit, type) in [(FlowKey.TunnelFlags.dontFragment, A.dontFragment), (FlowKey.TunnelFlags.checksum, A.checksum), (FlowKey.TunnelFlags.oam, A.oam)] {
                    if v & UInt32(bit) != 0 { key.append(DatapathKeyAttribute(type: type, payload: [])) }
                    if m & UInt32(bit) != 0 { mask.append(DatapathKeyAttribute(type: type, payload: [])) }
                }
                return true
            }
            return false
        }
        return (DatapathKeyAttribute(type: T.tunnel, nested: key), DatapathKeyAttribute(type: T.tunnel, nested: mask))
    }

    /// `{class=C,type=T,len=L,DATA[/MASK]}...)`, as `scan_geneve` reads
    /// Geneve options: raw option bytes for key and mask (unset mask bits
    /// of the data are ones; of class and type, zeros).
    mutating func scanGeneve() throws(DatapathKeyError) -> ([UInt8], [UInt8]) {
        var key: [UInt8] = []
        var mask: [UInt8] = []
        var remaining = 252
        while peek == 0x7b && remaining >= 4 {
            index += 1
            remaining -= 4
            var header: [UInt8] = [0, 0, 0, 0]
            var headerMask: [UInt8] = [0, 0, 0xff, 0x1f]
            if take("class=") {
                let (v, m) = try scanMaskedInt(width: 16)
                header[0] = UInt8(v >> 8); header[1] = UInt8(v & 0xff)
                headerMask[0] = UInt8(m >> 8); headerMask[1] = UInt8(m & 0xff)
            }
            _ = take(",")
            if take("type=") {
                let (v, m) = try scanMaskedInt(width: 8)
                header[2] = UInt8(v); headerMask[2] = UInt8(m)
            } else {
                headerMask[2] = 0
            }
            _ = take(",")
            var dataLength = 0
            if take("len=") {
                let (v, m) = try scanMaskedInt(width: 8)
                guard v <= 124, v % 4 == 0, Int(v) <= remaining else { throw error("bad Geneve option length") }
                header[3] = UInt8(v / 4)
                headerMask[3] = UInt8(m) & 0x1f
                dataLength = Int(v)
            }
            var data = [UInt8](repeating: 0, count: dataLength)
            var dataMask = [UInt8](repeating: 0xff, count: dataLength)
            if take(",") {
                data = try scanIntString(width: dataLength)
                if take("/") { dataMask = try scanIntString(width: dataLength) }
            }
            guard take("}") else { throw error("expected '}'") }
            key += header + data
            mask += headerMask + dataMask
            remaining -= dataLength
        }
        guard take(")") else { throw error("expected ')'") }
        return (key, mask)
    }

    /// `parse_int_string`: a number right-aligned in `width` bytes (big-endian);
    /// wider than 64 bits only in hex.
    mutating func scanIntString(width: Int) throws(DatapathKeyError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width)
        if take("0x") || take("0X") {
            var digits: [UInt8] = []
            while let d = hexValue(peek), !atEnd { digits.append(UInt8(d)); index += 1 }
            guard !digits.isEmpty else { throw error("expected hex digits") }
            while digits.count > 1 && digits.first == 0 { digits.removeFirst() }
            guard (digits.count + 1) / 2 <= width || (digits == [0]) else { throw error("value too wide") }
            var i = width - 1
            var k = digits.count - 1
            while k >= 0 && i >= 0 {
                var b = digits[k]
                if k > 0 { b |= digits[k - 1] << 4 }
                out[i] = b
                i -= 1
                k -= 2
            }
            return out
        }
        guard var v = scanInt(width: 64) else { throw error("expected a number") }
        var i = width - 1
        while i >= 0 { out[i] = UInt8(truncatingIfNeeded: v); v >>= 8; i -= 1 }
        guard v == 0 else { throw error("value too wide") }
        return out
    }

    public mutating func scanMaskedIPv4() throws(DatapathKeyError) -> (UInt32, UInt32) {
        guard let v = scanIPv4() else { throw error("expected an IPv4 address") }
        if peek == 0x2f {
            let save = index
            index += 1
            if let m = scanIPv4() { return (v, m) }
            index = save
        }
        return (v, .max)
    }

    public mutating func scanMaskedEthernet() throws(DatapathKeyError) -> (UInt64, UInt64) {
        guard let v = scanEthernet() else { throw error("expected an Ethernet address") }
        if peek == 0x2f {
            let save = index
            index += 1
            if let m = scanEthernet() { return (v, m) }
            index = save
        }
        return (v, 0xffff_ffff_ffff)
    }

    public mutating func scanMaskedIPv6() throws(DatapathKeyError) -> (IPv6Address, IPv6Address) {
        guard let v = scanIPv6() else { throw error("expected an IPv6 address") }
        if peek == 0x2f {
            let save = index
            index += 1
            if let m = scanIPv6() { return (v, m) }
            index = save
        }
        return (v, IPv6Address(high: .max, low: .max))
    }

    mutating func scanFrag() throws(DatapathKeyError) -> UInt8 {
        guard let w = scanWord(max: 7) else { throw error("expected a fragment type") }
        switch w.lowercased() {
        case "no": return 0
        case "first": return 1
        case "later": return 2
        default: throw error("bad fragment type")
        }
    }

    /// A 128-bit number, as `scan_u128` reads it: hex with `0x`, else decimal (64 bits).
    public mutating func scanU128() throws(DatapathKeyError) -> (UInt64, UInt64) {
        if take("0x") || take("0X") {
            var digits: [UInt64] = []
            while index < bytes.count, let d = hexValue(bytes[index]) { digits.append(d); index += 1 }
            guard !digits.isEmpty, digits.count <= 32 else { throw error("bad 128-bit value") }
            var high: UInt64 = 0, low: UInt64 = 0
            for d in digits { high = high << 4 | low >> 60; low = low << 4 | d }
            return (high, low)
        }
        guard let v = scanDecimal(width: 64) else { throw error("expected a number") }
        return (0, v)
    }

    /// OVS's `parse_flags` ending at `)`: `number/mask`; `+name-name...`
    /// (mask = those bits); or names and numbers joined by `|` (mask all ones).
    public mutating func scanFlags(allowed: UInt32, name: (UInt32) -> String?) throws(DatapathKeyError) -> (UInt32, UInt32) {
        if peek >= 0x30 && peek <= 0x39 {
            let save = index
            if let v = scanInt(width: 32), take("/") {
                guard let m = scanInt(width: 32) else { throw error("bad flags mask") }
                guard UInt32(v) & ~allowed == 0, UInt32(m) & ~allowed == 0 else { throw error("unknown flags") }
                return (UInt32(v), UInt32(m))
            }
            index = save
        }
        func term() -> (bit: UInt32, length: Int)? {
            for b in 0..<32 {
                let bit = UInt32(1) << UInt32(b)
                guard let n = name(bit) else { continue }
                let u = Array(n.utf8)
                guard index + u.count <= bytes.count, bytes[index..<(index + u.count)].elementsEqual(u) else { continue }
                return (bit, u.count)
            }
            return nil
        }
        if peek == 0x2b || peek == 0x2d {
            var flags: UInt32 = 0
            var mask: UInt32 = 0
            while peek != 0x29 {
                guard peek == 0x2b || peek == 0x2d else { throw error("flags must be preceded by '+' or '-'") }
                let set = peek == 0x2b
                index += 1
                guard let (bit, n) = term() else { throw error("unknown flag") }
                let after = index + n < bytes.count ? bytes[index + n] : 0
                guard after == 0x2b || after == 0x2d || after == 0x29 else { throw error("unknown flag") }
                guard mask & bit == 0 else { throw error("flag given twice") }
                guard allowed & bit != 0 else { throw error("unsupported flag") }
                if set { flags |= bit }
                mask |= bit
                index += n
            }
            return (flags, mask)
        }
        var flags: UInt32 = 0
        while peek != 0x29 {
            if atEnd { throw error("unterminated flags") }
            if let v = scanInt(width: 64) {
                guard v & ~UInt64(allowed) == 0 else { throw error("unknown flags") }
                flags |= UInt32(v)
            } else if let (bit, n) = term(), index + n < bytes.count, bytes[index + n] == 0x7c || bytes[index + n] == 0x29 {
                guard allowed & bit != 0 else { throw error("unsupported flag") }
                flags |= bit
                index += n
            } else {
                throw error("unknown flag")
            }
            _ = take("|")
        }
        return (flags, .max)
    }
}

extension MaskedPayload {
    mutating func setIPv6(_ at: Int, _ v: IPv6Address, _ m: IPv6Address) {
        set(at, v.high, m.high, bytes: 8)
        set(at + 8, v.low, m.low, bytes: 8)
    }
}
