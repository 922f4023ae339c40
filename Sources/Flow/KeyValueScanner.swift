/// `ofputil_parse_key_value` over a byte string: `key=value`, `key:value`,
/// `key(value)` or a bare `key`, separated by commas or white space — the
/// tokenizer of Open vSwitch's OpenFlow text, shared by `Match.parse` and
/// the action and flow-mod parsers.
public struct KeyValueScanner {
    let s: [UInt8]
    var i = 0

    public init(_ text: String) { s = Array(text.utf8) }
    public init(_ bytes: [UInt8]) { s = bytes }

    public static func isDelimiter(_ c: UInt8) -> Bool { c == 0x2c || c == 0x20 || c == 0x09 || c == 0x0d || c == 0x0a }

    /// `parse_value`: advances to the value's end delimiter, skipping
    /// balanced parentheses.
    private mutating func scanValue(closeParen: Bool) {
        while i < s.count, s[i] != 0 {
            let c = s[i]
            if closeParen ? c == 0x29 : KeyValueScanner.isDelimiter(c) { break }
            if c == 0x28 {
                var level = 0
                repeat {
                    if i >= s.count || s[i] == 0 { break }
                    if s[i] == 0x28 { level += 1 } else if s[i] == 0x29 { level -= 1 }
                    i += 1
                } while level > 0
            } else {
                i += 1
            }
        }
    }

    public mutating func next() -> (key: String, value: String)? {
        while i < s.count, KeyValueScanner.isDelimiter(s[i]) { i += 1 }
        guard i < s.count, s[i] != 0 else { return nil }
        let keyStart = i
        while i < s.count, !KeyValueScanner.isDelimiter(s[i]), s[i] != 0x3a, s[i] != 0x3d, s[i] != 0x28, s[i] != 0 {
            i += 1
        }
        let key = String(decoding: s[keyStart..<i], as: UTF8.self)
        let keyDelimiter: UInt8 = i < s.count ? s[i] : 0
        if keyDelimiter != 0 { i += 1 }
        let closeParen: Bool
        if keyDelimiter == 0x3a || keyDelimiter == 0x3d {
            closeParen = false
        } else if keyDelimiter == 0x28 {
            closeParen = true
        } else {
            return (key, "")
        }
        let valueStart = i
        scanValue(closeParen: closeParen)
        // `KEY(x)->y` (check_pkt_larger): the value is `x)->y`.
        if closeParen, i + 2 < s.count, s[i] == 0x29, s[i + 1] == 0x2d, s[i + 2] == 0x3e {
            scanValue(closeParen: false)
        }
        let value = String(decoding: s[valueStart..<min(i, s.count)], as: UTF8.self)
        if i < s.count, s[i] != 0 { i += 1 }
        return (key, value)
    }
}
