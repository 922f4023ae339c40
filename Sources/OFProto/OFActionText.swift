import Flow
import Wire

/// Text helpers shared by the action and flow-mod parsers: Open vSwitch's
/// number, port and hex parsers, with their quirks (C `strtoul` wrapping,
/// base-0 prefixes). The tokenizer is `Flow.KeyValueScanner`.

enum NumberText {
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0d) }

    static func digit(_ c: UInt8) -> UInt64? {
        switch c {
        case 0x30...0x39: return UInt64(c - 0x30)
        case 0x61...0x66: return UInt64(c - 0x61 + 10)
        case 0x41...0x46: return UInt64(c - 0x41 + 10)
        default: return nil
        }
    }

    /// C `strtoull(s, &tail, base)` (base 0 or 10): value, bytes consumed
    /// (0 if no digits), overflow.
    static func strtoull(_ b: ArraySlice<UInt8>, base: UInt64 = 0) -> (value: UInt64, end: Int, overflow: Bool) {
        var i = b.startIndex
        while i < b.endIndex, isSpace(b[i]) { i += 1 }
        var negative = false
        if i < b.endIndex, b[i] == 0x2b || b[i] == 0x2d { negative = b[i] == 0x2d; i += 1 }
        var radix = base
        if (base == 0 || base == 16), i + 2 < b.endIndex || i + 2 == b.endIndex,
           i + 1 < b.endIndex, b[i] == 0x30, b[i + 1] | 0x20 == 0x78,
           i + 2 < b.endIndex, let d = digit(b[i + 2]), d < 16 {
            radix = 16; i += 2
        } else if base == 0 {
            radix = i < b.endIndex && b[i] == 0x30 ? 8 : 10
        }
        var value: UInt64 = 0
        var digits = 0
        var overflow = false
        while i < b.endIndex, let d = digit(b[i]), d < radix {
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { overflow = true }
            value = a
            i += 1
            digits += 1
        }
        if digits == 0 { return (0, b.startIndex, false) }
        if overflow { value = .max }
        return (negative && !overflow ? 0 &- value : value, i, overflow)
    }

    /// `str_to_u64` / `str_to_u32` (`strtoull`/`strtoul`, base 0, all consumed).
    static func unsigned(_ text: String) -> Result<UInt64, OFActionError> {
        if text.isEmpty { return .failure(OFActionError("missing required numeric argument")) }
        let b = Array(text.utf8)
        let r = strtoull(b[...])
        if r.end == 0 || r.overflow || r.end != b.count {
            return .failure(OFActionError("invalid numeric format \(text)"))
        }
        return .success(r.value)
    }

    static func u32(_ text: String) throws(OFActionError) -> UInt32 {
        switch unsigned(text) {
        case .success(let v): return UInt32(truncatingIfNeeded: v)
        case .failure(let e): throw e
        }
    }

    static func u64(_ text: String) throws(OFActionError) -> UInt64 {
        switch unsigned(text) {
        case .success(let v): return v
        case .failure(let e): throw e
        }
    }

    /// `str_to_int` (`strtol` base 0 into an `int`, all consumed).
    static func int(_ text: String) -> Int? {
        let b = Array(text.utf8)
        var i = 0
        while i < b.count, isSpace(b[i]) { i += 1 }
        var negative = false
        if i < b.count, b[i] == 0x2b || b[i] == 0x2d { negative = b[i] == 0x2d; i += 1 }
        let r = strtoull(b[i...])
        guard r.end > i, r.end == b.count, !r.overflow else { return nil }
        if b[i] == 0x2b || b[i] == 0x2d { return nil }
        let v = Int64(bitPattern: r.value)
        let value = negative ? -v : v
        guard r.value <= UInt64(Int64.max), value >= Int64(Int32.min), value <= Int64(Int32.max) else { return nil }
        return Int(value)
    }

    /// `str_to_u16(str, name)`.
    static func u16(_ text: String, _ name: String) throws(OFActionError) -> UInt16 {
        guard let v = int(text), v >= 0, v <= 0xffff else { throw OFActionError("invalid \(name) \"\(text)\"") }
        return UInt16(v)
    }

    /// `str_to_u8(str, name)`.
    static func u8(_ text: String, _ name: String) throws(OFActionError) -> UInt8 {
        guard let v = int(text), v >= 0, v <= 0xff else { throw OFActionError("invalid \(name) \"\(text)\"") }
        return UInt8(v)
    }

    /// `str_to_uint(s, 10)`: decimal, 0 to UINT_MAX, all consumed.
    static func decimalUInt32(_ text: String) -> UInt32? {
        let b = Array(text.utf8)
        var i = 0
        while i < b.count, isSpace(b[i]) { i += 1 }
        var negative = false
        if i < b.count, b[i] == 0x2b || b[i] == 0x2d { negative = b[i] == 0x2d; i += 1 }
        var v: Int64 = 0
        var digits = 0
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
            v = v * 10 + Int64(b[i] - 0x30)
            if v > Int64(UInt32.max) + 1 { return nil }
            digits += 1
            i += 1
        }
        guard digits > 0, i == b.count else { return nil }
        if negative { v = -v }
        guard v >= 0, v <= Int64(UInt32.max) else { return nil }
        return UInt32(v)
    }

    /// `ofpbuf_put_hex`: hex byte pairs, white space and `.` separators
    /// ignored between bytes. Returns the bytes and the unparsed rest.
    static func hexBytes(_ text: String) -> (bytes: [UInt8], rest: Substring) {
        let b = Array(text.utf8)
        var i = 0
        var out: [UInt8] = []
        while true {
            while i < b.count, b[i] == 0x2e || isSpace(b[i]) { i += 1 }
            guard i + 1 < b.count, let h = digit(b[i]), let l = digit(b[i + 1]) else { break }
            out.append(UInt8(h << 4 | l))
            i += 2
        }
        let rest = String(decoding: b[i...], as: UTF8.self)
        return (out, rest[...])
    }

    /// `parse_int_string`: a value for a field of `bytes` bytes (hex with
    /// `0x` may be long; else `strtoull` base 0). Returns the value and the rest.
    static func fieldInteger(_ b: ArraySlice<UInt8>, bytes: Int) -> (value: UInt128, rest: ArraySlice<UInt8>)? {
        if b.count >= 2, b[b.startIndex] == 0x30, b[b.startIndex + 1] | 0x20 == 0x78 {
            var i = b.startIndex + 2
            var v: UInt128 = 0
            var length = 0
            while true {
                while i < b.endIndex, isSpace(b[i]) { i += 1 }
                guard i < b.endIndex, let h = digit(b[i]) else { break }
                if h != 0 || length > 0 {
                    if (length + 2) / 2 > bytes || (length + 2) / 2 > 16 { return nil }
                    v = v << 4 | UInt128(h)
                    length += 1
                }
                i += 1
            }
            return (v, b[i...])
        }
        let r = strtoull(b)
        if r.end == b.startIndex || r.overflow { return nil }
        if bytes < 8 && r.value >> UInt64(bytes * 8) != 0 { return nil }
        return (UInt128(r.value), b[r.end...])
    }
}

/// OpenFlow 1.0 port names and numbers (`ofputil_port_from_string`,
/// `ofputil_format_port`).
enum PortText {
    static let names: [(String, OFPort)] = [
        ("IN_PORT", .inPort), ("TABLE", .table), ("NORMAL", .normal), ("FLOOD", .flood), ("ALL", .all),
        ("CONTROLLER", .controller), ("LOCAL", .local), ("ANY", .any), ("NONE", .any),
    ]

    /// A port number or name; nil if it is neither.
    static func parse(_ text: String) -> OFPort? {
        if text.utf8.first == 0x2d { return nil }
        if let n = NumberText.decimalUInt32(text) {
            if n < 0xfff8 { return OFPort(rawValue: UInt16(n)) }
            if n <= 0xffff { return OFPort(rawValue: UInt16(n)) }
            if n < 0xffff_ff00 { return nil }
            return OFPort(rawValue: UInt16(n - 0xffff_0000))
        }
        let upper = text.uppercased()
        return names.first(where: { $0.0 == upper })?.1
    }

    static func format(_ port: OFPort) -> String {
        switch port.rawValue {
        case 0xfff8: return "IN_PORT"
        case 0xfff9: return "TABLE"
        case 0xfffa: return "NORMAL"
        case 0xfffb: return "FLOOD"
        case 0xfffc: return "ALL"
        case 0xfffd: return "CONTROLLER"
        case 0xfffe: return "LOCAL"
        case 0xffff: return "ANY"
        default: return String(port.rawValue)
        }
    }
}

/// Hex and address formatting.
enum HexText {
    static func hex(_ v: UInt64, width: Int = 0) -> String {
        let s = String(v, radix: 16)
        return s.count < width ? String(repeating: "0", count: width - s.count) + s : s
    }

    /// `%#x`: `0x` prefix unless zero.
    static func alt(_ v: UInt64) -> String { v == 0 ? "0" : "0x" + hex(v) }

    static func hex128(_ v: UInt128) -> String {
        let high = UInt64(truncatingIfNeeded: v >> 64), low = UInt64(truncatingIfNeeded: v)
        return high == 0 ? hex(low) : hex(high) + hex(low, width: 16)
    }

    static func mac(_ v: UInt64) -> String {
        (0..<6).map { hex((v >> UInt64(40 - 8 * $0)) & 0xff, width: 2) }.joined(separator: ":")
    }

    static func ipv4(_ v: UInt32) -> String {
        "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
    }

    static func ipv6(_ v: UInt128) -> String {
        IPv6Address(high: UInt64(truncatingIfNeeded: v >> 64), low: UInt64(truncatingIfNeeded: v)).description
    }

    /// `format_hex_arg`: bytes as hex pairs joined by `.`.
    static func hexArgument(_ bytes: [UInt8]) -> String {
        bytes.map { hex(UInt64($0), width: 2) }.joined(separator: ".")
    }
}

extension Array where Element == UInt8 {
    /// Offset of the first occurrence of `needle`, if any.
    func firstOffset(of needle: String, from start: Int = 0) -> Int? {
        let n = Array(needle.utf8)
        guard !n.isEmpty, count >= n.count else { return nil }
        var i = start
        while i + n.count <= count {
            if self[i] == n[0] && Array(self[i..<i + n.count]) == n { return i }
            i += 1
        }
        return nil
    }
}
