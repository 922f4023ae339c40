import OVSDB

/// A failure of a vsctl command: the message follows "svs vsctl: "; the
/// process exits with `status`.
struct VSCtlError: Error, CustomStringConvertible {
    var message: String
    var status: Int32 = 1
    init(_ message: String, status: Int32 = 1) {
        self.message = message
        self.status = status
    }
    var description: String { message }
}

/// The `--id=@name` symbols of one vsctl run: each names a UUID, and says
/// whether a `create` defined it and whether something references it.
struct VSCtlSymbols {
    struct Symbol {
        var uuid: UUID
        var created = false
        var strongRef = false
        var weakRef = false
    }
    var table: [String: Symbol] = [:]
    var order: [String] = []

    /// Marks `name` as defined by this `--id` (`create_symbol`).
    mutating func create(_ name: String) throws(VSCtlError) {
        guard name.hasPrefix("@") else { throw VSCtlError("row id \"\(name)\" does not begin with \"@\"") }
        _ = lookup(name)
        if table[name]!.created { throw VSCtlError("row id \"\(name)\" may only be specified on one --id option") }
        table[name]!.created = true
    }

    /// The symbol `name`, made (with a fresh UUID) on first use.
    mutating func lookup(_ name: String) -> UUID {
        if let s = table[name] { return s.uuid }
        table[name] = Symbol(uuid: .random())
        order.append(name)
        return table[name]!.uuid
    }
}

/// The ovs-vsctl text syntax of atoms and data (ovsdb-data's
/// `ovsdb_atom_from_string` / `ovsdb_datum_from_string` / `..._to_string`).
enum VSCtlText {
    static func isDelimiter(_ c: UInt8) -> Bool {
        ":=, []{}!<>".utf8.contains(c)
    }

    /// Reads one token from `s` at `pos`: quoted parts keep their quotes,
    /// backslash escapes the next byte; stops at an unquoted delimiter.
    static func token(_ s: [UInt8], _ pos: inout Int) throws(VSCtlError) -> String {
        var out: [UInt8] = []
        var inQuotes = false
        let start = pos
        while pos < s.count {
            let c = s[pos]
            pos += 1
            if c == UInt8(ascii: "\\") {
                if inQuotes { out.append(c) }
                guard pos < s.count else {
                    throw VSCtlError("\(String(decoding: s[start...], as: UTF8.self)): backslash at end of argument")
                }
                out.append(s[pos])
                pos += 1
            } else if !inQuotes && isDelimiter(c) {
                pos -= 1
                break
            } else {
                out.append(c)
                if c == UInt8(ascii: "\"") { inQuotes.toggle() }
            }
        }
        if inQuotes {
            throw VSCtlError("\(String(decoding: s[start...], as: UTF8.self)): quoted string extends past end of argument")
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses a C `strtoll`-style decimal integer (the whole string).
    static func integer(_ s: String) -> Int64? {
        var t = Substring(s)
        if t.hasPrefix("+") { t = t.dropFirst() }
        guard !t.isEmpty, !t.hasPrefix("+") else { return nil }
        return Int64(t)
    }

    /// One atom of type `base` from its text; `@name` UUIDs go through `symbols`.
    /// Returns the atom and, for an integer range `a-b`, its end.
    static func atom(_ s: String, _ base: BaseType, symbols: inout VSCtlSymbols,
                     allowRange: Bool = false) throws(VSCtlError) -> (Atom, Int64?) {
        var a: Atom
        var rangeEnd: Int64? = nil
        switch base.type {
        case .integer:
            if let i = integer(s) {
                a = .integer(i)
            } else if allowRange, let dash = s.dropFirst().firstIndex(of: "-"),
                      let lo = integer(String(s[..<dash])), let hi = integer(String(s[s.index(after: dash)...])) {
                if hi < lo { throw VSCtlError("\"\(s)\" is not a valid range. Range end cannot be before start.") }
                a = .integer(lo)
                rangeEnd = hi
            } else {
                throw VSCtlError("\"\(s)\" is not a valid integer or range")
            }
        case .real:
            guard let d = Double(s.trimmingPrefixSpaces()) else { throw VSCtlError("\"\(s)\" is not a valid real number") }
            a = .real(d == 0 ? 0 : d)
        case .boolean:
            switch s {
            case "true", "yes", "on", "1": a = .boolean(true)
            case "false", "no", "off", "0": a = .boolean(false)
            default: throw VSCtlError("\"\(s)\" is not a valid boolean (use \"true\" or \"false\")")
            }
        case .string:
            if s.isEmpty {
                throw VSCtlError("An empty string is not valid as input; use \"\" to represent the empty string")
            } else if s.hasPrefix("\"") {
                guard s.utf8.count >= 2, s.hasSuffix("\"") else { throw VSCtlError("\(s): missing quote at end of quoted string") }
                do {
                    guard case .string(let v) = try JSON.parse(s) else { throw VSCtlError("\(s): bad string") }
                    a = .string(v)
                } catch let e as VSCtlError {
                    throw e
                } catch {
                    throw VSCtlError("\(s): \(error)")
                }
            } else {
                a = .string(s)
            }
        case .uuid:
            if s.hasPrefix("@") {
                let u = symbols.lookup(s)
                if base.refTable != nil {
                    if base.refType == .strong { symbols.table[s]!.strongRef = true } else { symbols.table[s]!.weakRef = true }
                }
                a = .uuid(u)
            } else if let u = UUID(s) {
                a = .uuid(u)
            } else {
                throw VSCtlError("\"\(s)\" is not a valid UUID")
            }
        }
        do {
            try base.check(a)
            if let hi = rangeEnd, let lo = a.integerValue {
                let span = UInt64(bitPattern: hi) &- UInt64(bitPattern: lo)
                if let e = base.enumValues, span < 4096 {
                    for i in stride(from: lo, through: hi, by: 1) where !e.contains(.integer(i)) { try base.check(.integer(i)) }
                } else {
                    try base.check(.integer(hi))
                }
                if span >= 4096 {
                    throw OVSDBError.constraint("Range \"\(lo)-\(hi)\" is too big. Maximum allowed size is 4096.")
                }
            }
        } catch {
            throw VSCtlError("\(error)")
        }
        return (a, rangeEnd)
    }

    /// A datum of `type` from its text: space- or comma-separated atoms (or
    /// `key=value` pairs), optionally in `[...]` (sets) or `{...}` (maps).
    static func datum(_ text: String, _ type: ColumnType, symbols: inout VSCtlSymbols) throws(VSCtlError) -> Datum {
        let s = Array(text.utf8)
        var p = 0
        func skipSpaces() { while p < s.count, s[p] == 0x20 || (s[p] >= 9 && s[p] <= 13) { p += 1 } }
        let isMap = type.isMap
        skipSpaces()
        var endDelim: UInt8? = nil
        if p < s.count, s[p] == (isMap ? UInt8(ascii: "{") : UInt8(ascii: "[")) {
            endDelim = isMap ? UInt8(ascii: "}") : UInt8(ascii: "]")
            p += 1
            skipSpaces()
        } else if p == s.count {
            throw VSCtlError(isMap ? "use \"{}\" to specify the empty map" : "use \"[]\" to specify the empty set")
        }
        var keys: [Atom] = [], values: [Atom] = []
        while p < s.count, s[p] != endDelim {
            if isDelimiter(s[p]) {
                throw VSCtlError("\(text): unexpected \"\(Character(Unicode.Scalar(s[p])))\" parsing \(type.english)")
            }
            let start = p
            let (k, rangeEnd) = try atom(try token(s, &p), type.key, symbols: &symbols, allowRange: true)
            var v: Atom? = nil
            if let vt = type.value {
                skipSpaces()
                if p < s.count, s[p] == UInt8(ascii: "=") {
                    p += 1
                    skipSpaces()
                    v = try atom(try token(s, &p), vt, symbols: &symbols).0
                } else if p < s.count {
                    let c = String(Character(Unicode.Scalar(s[p])))
                    throw VSCtlError("\(String(decoding: s[start...], as: UTF8.self)): syntax error at \"\(c)\" expecting \"=\"")
                } else {
                    // OVS prints the end of the string as a NUL, which ends its message.
                    throw VSCtlError("\(String(decoding: s[start...], as: UTF8.self)): syntax error at \"")
                }
            }
            if let hi = rangeEnd, case .integer(let lo) = k {
                for i in lo...hi {
                    keys.append(.integer(i))
                    if let v { values.append(v) }
                }
            } else {
                keys.append(k)
                if let v { values.append(v) }
            }
            skipSpaces()
            if p < s.count, s[p] == UInt8(ascii: ",") {
                p += 1
                skipSpaces()
            }
        }
        if let endDelim {
            guard p < s.count, s[p] == endDelim else {
                throw VSCtlError("\(text): missing \"\(Character(Unicode.Scalar(endDelim)))\" at end of data")
            }
            p += 1
            skipSpaces()
            if p < s.count {
                throw VSCtlError("\(text): trailing garbage after \"\(Character(Unicode.Scalar(endDelim)))\"")
            }
        }
        let what = isMap ? "pair(s)" : "value(s)"
        if keys.count < type.min {
            throw VSCtlError("\(text): \(keys.count) \(what) specified but the minimum number is \(type.min)")
        }
        if type.max != Int.max && keys.count > type.max {
            throw VSCtlError("\(text): \(keys.count) \(what) specified but the maximum number is \(type.max)")
        }
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        for i in order.indices.dropFirst() where keys[order[i]] == keys[order[i - 1]] {
            throw VSCtlError("\(text): \(isMap ? "map contains duplicate key" : "set contains duplicate value")")
        }
        return Datum(keys: order.map { keys[$0] }, values: isMap ? order.map { values[$0] } : nil)
    }

    /// A datum as ovs-vsctl prints it: brackets unless the column holds at
    /// most one value and has one.
    static func string(_ d: Datum, _ type: ColumnType) -> String {
        let bracket = type.max > 1 || d.keys.isEmpty
        var out = bracket ? (type.isMap ? "{" : "[") : ""
        for (i, k) in d.keys.enumerated() {
            if i > 0 { out += ", " }
            out += k.string
            if let v = d.values { out += "=" + v[i].string }
        }
        if bracket { out += type.isMap ? "}" : "]" }
        return out
    }

    /// Open vSwitch's "bare" cell format: atoms separated by spaces, map pairs as k=v.
    static func bare(_ d: Datum) -> String {
        d.keys.enumerated().map { i, k in
            d.values.map { "\(k.bareString)=\($0[i].bareString)" } ?? k.bareString
        }.joined(separator: " ")
    }

    /// `score_partial_match`: how well user input `s` matches `name`
    /// (0 = not at all); case- and `-`/`_`-insensitive prefixes count.
    static func matchScore(_ name: String, _ s: String) -> UInt {
        if name == s { return UInt.max }
        let n = Array(name.utf8), t = Array(s.utf8)
        func norm(_ c: UInt8) -> UInt8 {
            c == UInt8(ascii: "-") ? UInt8(ascii: "_") : (c >= 0x41 && c <= 0x5A ? c + 32 : c)
        }
        var i = 0
        while true {
            let a = i < n.count ? norm(n[i]) : 0, b = i < t.count ? norm(t[i]) : 0
            if a != b { break }
            if a == 0 { return UInt.max - 1 }
            i += 1
        }
        return i >= t.count ? UInt(i) : 0
    }
}

extension Atom {
    var integerValue: Int64? { if case .integer(let i) = self { return i }; return nil }
    var uuidValue: UUID? { if case .uuid(let u) = self { return u }; return nil }
    var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    /// The atom unquoted ("bare" data format).
    var bareString: String {
        switch self {
        case .string(let s): return s
        case .uuid(let u): return u.string
        default: return string
        }
    }
}

extension String {
    func trimmingPrefixSpaces() -> String { String(drop { $0 == " " || $0 == "\t" || $0 == "\n" }) }
}
