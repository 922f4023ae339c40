import Flow
import Wire

/// Field values in text, as `set_field` and `learn` write them
/// (`mf_parse`, `mf_format` of Open vSwitch's `lib/meta-flow.c`).
extension OFField {
    /// All ones over the field's bytes (the "exact" mask).
    var byteMask: UInt128 { bytes >= 16 ? .max : (UInt128(1) << UInt128(bytes * 8)) - 1 }

    /// Parses `text` as a value and optional mask (`mf_parse`).
    func parseValue(_ text: String) throws(OFActionError) -> (value: UInt128, mask: UInt128) {
        if text == "*" { return (0, 0) }
        let b = Array(text.utf8)
        switch format {
        case .decimal, .hexadecimal, .ofp10Port, .ofp11Port, .packetType:
            if format == .ofp10Port || format == .ofp11Port, let p = PortText.parse(text) {
                let v: UInt128 = format == .ofp11Port && p.rawValue >= 0xff00
                    ? UInt128(UInt32(p.rawValue) + 0xffff_0000) : UInt128(p.rawValue)
                return (v, byteMask)
            }
            guard let (v, rest) = NumberText.fieldInteger(b[...], bytes: bytes) else {
                throw integerError(text, b)
            }
            var mask = byteMask
            if !rest.isEmpty {
                guard rest.first == 0x2f else { throw OFActionError("\(text): bad syntax for \(name) value") }
                guard let (m, rest2) = NumberText.fieldInteger(rest.dropFirst(), bytes: bytes) else {
                    throw OFActionError("\(text): bad syntax for \(name) mask")
                }
                guard rest2.isEmpty else { throw OFActionError("\(text): bad syntax for \(name) mask") }
                mask = m
            }
            if !maskable && mask != 0 && mask != byteMask {
                throw OFActionError("\(text): invalid mask for field \(name)")
            }
            return (v, mask)
        case .ethernet:
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let v = OFField.mac(String(parts[0])) else { throw OFActionError("\(text): invalid Ethernet address") }
            if parts.count == 1 { return (UInt128(v), byteMask) }
            guard let m = OFField.mac(String(parts[1])) else { throw OFActionError("\(text): invalid Ethernet address") }
            return (UInt128(v), UInt128(m))
        case .ipv4:
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let v = OFField.ipv4(String(parts[0])) else { throw OFActionError("\(text): invalid IP address") }
            if parts.count == 1 { return (UInt128(v), byteMask) }
            if let m = OFField.ipv4(String(parts[1])) { return (UInt128(v), UInt128(m)) }
            guard let n = Int(parts[1]) else { throw OFActionError("\(text): invalid IP address") }
            guard n >= 0 && n <= 32 else {
                throw OFActionError("\(text): IPv4 network prefix bits not between 0 and 32, inclusive")
            }
            return (UInt128(v), n == 0 ? 0 : UInt128(~UInt32(0) << UInt32(32 - n)))
        case .ipv6:
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let a = IPv6Address(String(parts[0])) else { throw OFActionError("\(text): invalid IPv6 address") }
            let v = UInt128(a.high) << 64 | UInt128(a.low)
            if parts.count == 1 { return (v, byteMask) }
            if let m = IPv6Address(String(parts[1])) { return (v, UInt128(m.high) << 64 | UInt128(m.low)) }
            guard let n = Int(parts[1]) else { throw OFActionError("\(text): invalid IPv6 address") }
            guard n >= 0 && n <= 128 else {
                throw OFActionError("\(text): IPv6 network prefix bits not between 0 and 128, inclusive")
            }
            return (v, n == 0 ? 0 : UInt128.max << UInt128(128 - n))
        case .tunnelFlags where text == "oam": return (1, byteMask)
        case .tunnelFlags where text == "+oam": return (1, 1)
        case .tunnelFlags where text == "-oam": return (0, 1)
        case .fragment, .tunnelFlags, .tcpFlags, .ctState:
            // Read-only fields or flags: accept numbers only.
            guard let (v, rest) = NumberText.fieldInteger(b[...], bytes: bytes), rest.isEmpty else {
                throw OFActionError("\(text): bad syntax for \(name) value")
            }
            return (v, byteMask)
        }
    }

    private func integerError(_ text: String, _ b: [UInt8]) -> OFActionError {
        let r = NumberText.strtoull(b[...])
        if r.end != 0 && (r.overflow || bytes < 8) {
            return OFActionError("\(text): value too large for \(bytes)-byte field \(name)")
        }
        if b.count >= 2, b[0] == 0x30, b[1] | 0x20 == 0x78 {
            return OFActionError("\(text): value too large for \(bytes)-byte field \(name)")
        }
        return OFActionError("\(text): bad syntax for \(name) value")
    }

    /// True if `value` is valid for the field (`mf_is_value_valid`).
    func isValid(_ value: UInt128) -> Bool {
        switch name {
        case "vlan_vid": return value & ~0x1fff == 0
        case "in_port_oxm", "actset_output": return true
        default: return value & ~allOnes == 0 || bits == bytes * 8
        }
    }

    /// Formats a value (and a mask unless exact) as `mf_format` does.
    func formatValue(_ value: UInt128, mask: UInt128?) -> String {
        var mask = mask
        if let m = mask {
            if m == 0 { return "ANY" }
            if m == byteMask { mask = nil }
        }
        switch format {
        case .ofp10Port where mask == nil:
            return PortText.format(OFPort(rawValue: UInt16(truncatingIfNeeded: value)))
        case .ofp11Port where mask == nil:
            let v = UInt32(truncatingIfNeeded: value)
            let port: OFPort = v >= 0xffff_ff00 ? OFPort(rawValue: UInt16(truncatingIfNeeded: v - 0xffff_0000))
                : v < 0xff00 ? OFPort(rawValue: UInt16(v)) : OFPort(rawValue: 0)
            return PortText.format(port)
        case .tunnelFlags where mask == nil:
            return value & 1 != 0 ? "oam" : "0"
        case .ethernet:
            var s = HexText.mac(UInt64(truncatingIfNeeded: value))
            if let m = mask { s += "/" + HexText.mac(UInt64(truncatingIfNeeded: m)) }
            return s
        case .ipv4:
            var s = HexText.ipv4(UInt32(truncatingIfNeeded: value))
            if let m = mask.map({ UInt32(truncatingIfNeeded: $0) }) {
                let ones = m.nonzeroBitCount
                if m == (ones == 0 ? 0 : ~UInt32(0) << UInt32(32 - ones)) { s += "/\(ones)" } else { s += "/" + HexText.ipv4(m) }
            }
            return s
        case .ipv6:
            var s = HexText.ipv6(value)
            if let m = mask {
                let ones = m.nonzeroBitCount
                if m == (ones == 0 ? 0 : UInt128.max << UInt128(128 - ones)) { s += "/\(ones)" } else { s += "/" + HexText.ipv6(m) }
            }
            return s
        case .hexadecimal, .ofp10Port, .ofp11Port, .fragment, .tunnelFlags, .tcpFlags, .ctState, .packetType:
            var s = value == 0 ? "0" : "0x" + HexText.hex128(value)
            if let m = mask { s += "/" + (m == 0 ? "0" : "0x" + HexText.hex128(m)) }
            return s
        case .decimal:
            var s = String(UInt64(truncatingIfNeeded: value))
            if let m = mask { s += "/" + (m == 0 ? "0" : "0x" + HexText.hex128(m)) }
            return s
        }
    }

    /// Six `%hhx` octets separated by colons (`ETH_ADDR_SCAN_FMT`), nothing after.
    static func mac(_ text: String) -> UInt64? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var v: UInt64 = 0
        for p in parts {
            let b = Array(p.utf8)
            let r = NumberText.strtoull(b[...], base: 16)
            guard r.end == b.count, r.end > 0 else { return nil }
            v = v << 8 | (r.value & 0xff)
        }
        return v
    }

    /// `str_to_mac`: six `%hhx` octets at the start; anything after is ignored.
    static func macPrefix(_ text: String) -> UInt64? {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var v: UInt64 = 0
        for (i, p) in parts.enumerated() {
            let b = Array(p.utf8)
            let r = NumberText.strtoull(b[...], base: 16)
            guard r.end > 0, i == 5 || r.end == b.count else { return nil }
            v = v << 8 | (r.value & 0xff)
        }
        return v
    }

    /// A dotted quad (`inet_pton`-like, octets at most 255).
    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.utf8.count <= 3, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let o = UInt32(p), o <= 255 else { return nil }
            v = v << 8 | o
        }
        return v
    }
}

extension OFSubfield {
    /// Parses `NAME[start..end]`, `NAME[bit]`, `NAME[]` or `NAME` from the
    /// start of `text` (`mf_parse_subfield__`). Returns the subfield and the rest.
    static func parsePrefix(_ text: Substring) throws(OFActionError) -> (OFSubfield, Substring) {
        let nameEnd = text.firstIndex(where: { $0 == "[" || $0 == "-" }) ?? text.endIndex
        var name = String(text[..<nameEnd])
        if name.count > 2, name.hasSuffix("_W") { name.removeLast(2) }
        guard let field = OFField.headerNamed(name) ?? OFField.named(name) else {
            throw OFActionError("\(text): unknown field `\(text[..<nameEnd])'")
        }
        var rest = text[nameEnd...]
        var start = 0, end = field.bits - 1
        if rest.first == "[" {
            if rest.hasPrefix("[]") {
                rest = rest.dropFirst(2)
            } else if let close = rest.firstIndex(of: "]") {
                let inner = rest[rest.index(after: rest.startIndex)..<close]
                let innerBytes = Array(inner.utf8)
                let pieces: [String] = innerBytes.firstOffset(of: "..").map {
                    [String(decoding: innerBytes[..<$0], as: UTF8.self), String(decoding: innerBytes[($0 + 2)...], as: UTF8.self)]
                } ?? [String(inner)]
                if pieces.count == 2, let a = Int(pieces[0].trimmingLeadingSpaces), let b = Int(pieces[1].trimmingLeadingSpaces) {
                    start = a; end = b
                } else if pieces.count == 1, let a = Int(pieces[0].trimmingLeadingSpaces) {
                    start = a; end = a
                } else {
                    throw OFActionError("\(text): syntax error expecting [] or [<bit>] or [<start>..<end>]")
                }
                rest = rest[rest.index(after: close)...]
            } else {
                throw OFActionError("\(text): syntax error expecting [] or [<bit>] or [<start>..<end>]")
            }
        }
        if start > end {
            throw OFActionError("\(text): starting bit \(start) is after ending bit \(end)")
        }
        if start < 0 || start >= field.bits {  // OVS compares against the unsigned width
            throw OFActionError("\(text): starting bit \(start) is not valid because field is only \(field.bits) bits wide")
        }
        if end >= field.bits {
            throw OFActionError("\(text): ending bit \(end) is not valid because field is only \(field.bits) bits wide")
        }
        return (OFSubfield(field: field, offset: start, bits: end - start + 1), rest)
    }

    /// Parses a whole subfield (`mf_parse_subfield`): nothing may follow.
    static func parse(_ text: String) throws(OFActionError) -> OFSubfield {
        let (sf, rest) = try parsePrefix(text[...])
        if !rest.isEmpty { throw OFActionError("\(text): trailing garbage following subfield") }
        return sf
    }

    /// `mf_format_subfield`.
    public var formatted: String {
        var s = field.subfieldName
        if isWholeField { s += "[]" } else if bits == 1 { s += "[\(offset)]" } else { s += "[\(offset)..\(offset + bits - 1)]" }
        return s
    }
}

extension String {
    fileprivate var trimmingLeadingSpaces: String { String(drop(while: { $0 == " " })) }
}
