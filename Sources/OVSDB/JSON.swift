#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A JSON value as OVSDB uses it: integers and reals are distinct, object keys
/// keep their insertion order (the printer writes them in that order).
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case real(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.real(x), .real(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            guard x.count == y.count else { return false }
            for (p, q) in zip(x, y) where p.0 != q.0 || p.1 != q.1 { return false }
            return true
        default: return false
        }
    }

    /// The value of `key` in an object, nil otherwise.
    public subscript(key: String) -> JSON? {
        if case .object(let members) = self {
            for (k, v) in members where k == key { return v }
        }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [(String, JSON)]? { if case .object(let o) = self { return o }; return nil }
    public var intValue: Int64? { if case .int(let i) = self { return i }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    /// Integer or real as a Double.
    public var numberValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .real(let d): return d
        default: return nil
        }
    }
    public var isObject: Bool { if case .object = self { return true }; return false }

    /// Compact serialization as Open vSwitch prints it: no spaces.
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    /// Compact serialization with object members sorted by name, as the
    /// Open vSwitch tools print (JSSF_SORT).
    public var sortedText: String {
        var out = ""
        write(to: &out, sorted: true)
        return out
    }

    public func write(to out: inout String, sorted: Bool = false) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .real(let d): out += JSON.formatReal(d)
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(to: &out, sorted: sorted)
            }
            out += "]"
        case .object(let o):
            out += "{"
            let members = sorted ? o.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) } : o
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out += "," }
                JSON.writeString(k, to: &out)
                out += ":"
                v.write(to: &out, sorted: sorted)
            }
            out += "}"
        }
    }

    /// Reals print as Open vSwitch prints them: C's "%.15g".
    static func formatReal(_ d: Double) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        let n = withVaList([d]) { vsnprintf(&buf, buf.count, "%.15g", $0) }
        guard n > 0 else { return "0" }
        return String(decoding: buf[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        // Most strings need no escape: append them whole.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) {
            out += s
            out += "\""
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    public static func parse(_ text: String) throws(JSONError) -> JSON {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSON {
        var p = JSONParser(bytes: bytes)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.pos != bytes.count { throw JSONError(message: "trailing garbage", offset: p.pos) }
        return v
    }
}

public struct JSONError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "JSON syntax error at byte \(offset): \(message)" }
}

struct JSONParser {
    let bytes: [UInt8]
    var pos = 0
    static let maxDepth = 1000

    mutating func skipSpace() {
        while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
    }

    func fail(_ m: String) -> JSONError { JSONError(message: m, offset: pos) }

    mutating func literal(_ word: String, _ v: JSON) throws(JSONError) -> JSON {
        let w = Array(word.utf8)
        guard pos + w.count <= bytes.count, Array(bytes[pos..<pos + w.count]) == w else {
            throw fail("invalid keyword")
        }
        pos += w.count
        return v
    }

    mutating func value(depth: Int) throws(JSONError) -> JSON {
        guard depth < JSONParser.maxDepth else { throw fail("nesting too deep") }
        guard pos < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[pos] {
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "["):
            pos += 1
            var items: [JSON] = []
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard pos < bytes.count else { throw fail("unexpected end of input in array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "{"):
            pos += 1
            var members: [(String, JSON)] = []
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            while true {
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected member name") }
                let k = try string()
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                pos += 1
                skipSpace()
                let v = try value(depth: depth + 1)
                if let i = members.firstIndex(where: { $0.0 == k }) { members[i].1 = v } else { members.append((k, v)) }
                skipSpace()
                guard pos < bytes.count else { throw fail("unexpected end of input in object") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        default:
            return try number()
        }
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[pos]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("bad hex digit in \\u escape")
            }
            v = v * 16 + d
            pos += 1
        }
        return v
    }

    mutating func string() throws(JSONError) -> String {
        pos += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw fail("unterminated string") }
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") { pos += 1; break }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); pos += 1; continue }
            pos += 1
            guard pos < bytes.count else { throw fail("unterminated escape") }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var cp = try hex4()
                if cp >= 0xD800 && cp < 0xDC00 {
                    guard pos + 2 <= bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate")
                    }
                    pos += 2
                    let lo = try hex4()
                    guard lo >= 0xDC00 && lo < 0xE000 else { throw fail("bad low surrogate") }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                } else if cp >= 0xDC00 && cp < 0xE000 {
                    throw fail("unpaired surrogate")
                }
                if cp == 0 { throw fail("null character in string") }
                guard let s = Unicode.Scalar(cp) else { throw fail("bad code point") }
                out.append(contentsOf: Array(String(Character(s)).utf8))
            default: throw fail("bad escape")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
        return s
    }

    mutating func number() throws(JSONError) -> JSON {
        let start = pos
        var isReal = false
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        func digits(_ p: inout Int, _ b: [UInt8]) -> Int {
            let s = p
            while p < b.count, b[p] >= 0x30, b[p] <= 0x39 { p += 1 }
            return p - s
        }
        let intStart = pos
        let n = digits(&pos, bytes)
        if n == 0 { pos = start; throw fail("invalid token") }
        if n > 1, bytes[intStart] == 0x30 { throw fail("leading zero") }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            isReal = true
            pos += 1
            if digits(&pos, bytes) == 0 { throw fail("digit expected after '.'") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            isReal = true
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            if digits(&pos, bytes) == 0 { throw fail("digit expected in exponent") }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if !isReal, let i = Int64(text) { return .int(i) }
        // As Open vSwitch: a number whose decimal value is an exact integer
        // in range ("1.0", "1e2") is an integer.
        if let i = JSONParser.exactInteger(Array(bytes[start..<pos])) { return .int(i) }
        guard let d = Double(text), d.isFinite else { throw fail("number out of range") }
        return .real(d)
    }

    static func exactInteger(_ t: [UInt8]) -> Int64? {
        var i = 0
        let negative = t.first == UInt8(ascii: "-")
        if negative { i += 1 }
        var significand: UInt64 = 0
        var pow10 = 0
        var inFraction = false
        while i < t.count, t[i] != UInt8(ascii: "e"), t[i] != UInt8(ascii: "E") {
            if t[i] == UInt8(ascii: ".") { inFraction = true; i += 1; continue }
            let d = UInt64(t[i] - 0x30)
            if significand <= UInt64.max / 10 {
                significand = significand * 10 + d
                if inFraction { pow10 -= 1 }
            } else if d != 0 {
                return nil
            } else if !inFraction {
                pow10 += 1
            }
            i += 1
        }
        if i < t.count {
            i += 1
            var neg = false
            if t[i] == UInt8(ascii: "-") { neg = true; i += 1 } else if t[i] == UInt8(ascii: "+") { i += 1 }
            var e = 0
            while i < t.count {
                if e > 100_000 { return nil }
                e = e * 10 + Int(t[i] - 0x30)
                i += 1
            }
            pow10 += neg ? -e : e
        }
        if significand == 0 { return 0 }
        while pow10 > 0 && significand < UInt64.max / 10 { significand *= 10; pow10 -= 1 }
        while pow10 < 0 && significand % 10 == 0 { significand /= 10; pow10 += 1 }
        guard pow10 == 0 else { return nil }
        if negative {
            guard significand <= UInt64(Int64.max) + 1 else { return nil }
            return significand == UInt64(Int64.max) + 1 ? Int64.min : -Int64(significand)
        }
        guard significand <= UInt64(Int64.max) else { return nil }
        return Int64(significand)
    }
}
