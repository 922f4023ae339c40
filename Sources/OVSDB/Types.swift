import Synchronization
#if canImport(Glibc)
import Glibc
#endif
/// An RFC 7047 error: `error` is one of the RFC's error strings
/// ("syntax error", "constraint violation", ...), `details` says more.
public struct OVSDBError: Error, Equatable, CustomStringConvertible {
    public var error: String
    public var details: String
    /// The offending JSON, as Open vSwitch's syntax errors carry it.
    public var syntax: JSON?
    /// An operation's parse error: the transaction names the operation.
    var isParseError = false
    public init(_ error: String, _ details: String = "", syntax: JSON? = nil) {
        self.error = error
        self.details = details
        self.syntax = syntax
    }
    public static func syntax(_ d: String, _ j: JSON? = nil) -> OVSDBError { OVSDBError("syntax error", d, syntax: j) }
    static func parse(_ d: String) -> OVSDBError {
        var e = OVSDBError("syntax error", d)
        e.isParseError = true
        return e
    }
    public static func constraint(_ d: String) -> OVSDBError { OVSDBError("constraint violation", d) }
    public var json: JSON {
        var m: [(String, JSON)] = [("error", .string(error))]
        if !details.isEmpty { m.append(("details", .string(details))) }
        if let syntax { m.append(("syntax", .string(syntax.sortedText))) }
        return .object(m)
    }
    public var description: String { details.isEmpty ? error : "\(error): \(details)" }
}

/// A UUID: 128 bits, compared and hashed as two words; its text form is
/// the canonical lowercase one (ordering matches the text's ordering).
/// Random words from the system generator, refilled 512 at a time.
struct RandomPool: ~Copyable {
    private var words = [UInt64](repeating: 0, count: 512)
    private var next_ = 512

    mutating func next() -> (UInt64, UInt64) {
        if next_ + 2 > words.count {
            let filled = words.withUnsafeMutableBytes { p -> Bool in
                let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { return false }
                defer { close(fd) }
                var off = 0
                while off < p.count {
                    let n = read(fd, p.baseAddress! + off, p.count - off)
                    if n <= 0 { return false }
                    off += n
                }
                return true
            }
            if !filled {
                var g = SystemRandomNumberGenerator()
                for i in words.indices { words[i] = g.next() }
            }
            next_ = 0
        }
        defer { next_ += 2 }
        return (words[next_], words[next_ + 1])
    }
}

let randomPool = Mutex(RandomPool())

public struct UUID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let hi: UInt64
    public let lo: UInt64

    public init(hi: UInt64, lo: UInt64) {
        self.hi = hi
        self.lo = lo
    }

    public init?(_ s: String) {
        var hi: UInt64 = 0, lo: UInt64 = 0
        var n = 0
        for (i, c) in s.utf8.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if c != UInt8(ascii: "-") { return nil }
                continue
            }
            let d: UInt64
            switch c {
            case 0x30...0x39: d = UInt64(c - 0x30)
            case 0x61...0x66: d = UInt64(c - 0x61 + 10)
            case 0x41...0x46: d = UInt64(c - 0x41 + 10)
            default: return nil
            }
            if n < 16 { hi = hi << 4 | d } else if n < 32 { lo = lo << 4 | d } else { return nil }
            n += 1
        }
        guard n == 32, s.utf8.count == 36 else { return nil }
        self.hi = hi
        self.lo = lo
    }

    public var string: String {
        var out = [UInt8]()
        out.reserveCapacity(36)
        let digits = Array("0123456789abcdef".utf8)
        for k in 0..<32 {
            if k == 8 || k == 12 || k == 16 || k == 20 { out.append(UInt8(ascii: "-")) }
            let w = k < 16 ? hi : lo
            let shift = UInt64(60 - 4 * (k % 16))
            out.append(digits[Int((w >> shift) & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A random (version 4) UUID. The bits come from the kernel's generator
    /// (/dev/urandom), read 4 KiB at a time (three system calls per 256
    /// UUIDs instead of two per UUID).
    public static func random() -> UUID {
        let (a, b) = randomPool.withLock { $0.next() }
        let hi = (a & ~0xF000) | 0x4000
        let lo = (b & ~(0xC << 60)) | (0x8 << 60)
        return UUID(hi: hi, lo: lo)
    }

    public static func < (a: UUID, b: UUID) -> Bool { (a.hi, a.lo) < (b.hi, b.lo) }
    public var description: String { string }
}

public enum AtomicType: String, Sendable {
    case integer, real, boolean, string, uuid
}

public enum Atom: Hashable, Comparable, Sendable, CustomStringConvertible {
    case integer(Int64)
    case real(Double)
    case boolean(Bool)
    case string(String)
    case uuid(UUID)

    public var type: AtomicType {
        switch self {
        case .integer: .integer
        case .real: .real
        case .boolean: .boolean
        case .string: .string
        case .uuid: .uuid
        }
    }

    public static func < (a: Atom, b: Atom) -> Bool {
        switch (a, b) {
        case let (.integer(x), .integer(y)): return x < y
        case let (.real(x), .real(y)): return x < y
        case let (.boolean(x), .boolean(y)): return !x && y
        case let (.string(x), .string(y)): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        case let (.uuid(x), .uuid(y)): return x < y
        default: return a.type.rawValue < b.type.rawValue
        }
    }

    public static func defaultValue(_ t: AtomicType) -> Atom {
        switch t {
        case .integer: .integer(0)
        case .real: .real(0)
        case .boolean: .boolean(false)
        case .string: .string("")
        case .uuid: .uuid(UUID("00000000-0000-0000-0000-000000000000")!)
        }
    }

    public var json: JSON {
        switch self {
        case .integer(let i): .int(i)
        case .real(let d): .real(d)
        case .boolean(let b): .bool(b)
        case .string(let s): .string(s)
        case .uuid(let u): .array([.string("uuid"), .string(u.string)])
        }
    }

    public var description: String { json.text }

    /// Parses an atom of type `t`. `symbols` resolves `["named-uuid", name]`.
    public static func from(json: JSON, type t: AtomicType, symbols: [String: UUID]? = nil) throws(OVSDBError) -> Atom {
        switch (t, json) {
        case (.integer, .int(let i)): return .integer(i)
        case (.real, .int(let i)): return .real(Double(i))
        case (.real, .real(let d)): return .real(d)
        case (.boolean, .bool(let b)): return .boolean(b)
        case (.string, .string(let s)): return .string(s)
        case (.uuid, .array(let a)) where a.count == 2:
            if a[0] == .string("uuid"), let s = a[1].stringValue {
                guard let u = UUID(s) else { throw .syntax("\(a[1].text) is not a valid UUID", json) }
                return .uuid(u)
            }
            if a[0] == .string("named-uuid"), let s = a[1].stringValue {
                guard let symbols else { throw .syntax("named-uuid not allowed here", json) }
                guard let u = symbols[s] else { throw .syntax("unknown named-uuid \(s)", json) }
                return .uuid(u)
            }
        default: break
        }
        throw .syntax("expected \(t.rawValue)", json)
    }
}

public enum RefType: String, Sendable { case strong, weak }

/// An atomic type with its constraints.
public struct BaseType: Equatable, Sendable {
    public var type: AtomicType
    public var enumValues: [Atom]? = nil
    public var minInteger: Int64? = nil
    public var maxInteger: Int64? = nil
    public var minReal: Double? = nil
    public var maxReal: Double? = nil
    public var minLength: Int? = nil
    public var maxLength: Int? = nil
    public var refTable: String? = nil
    public var refType: RefType = .strong

    public init(type: AtomicType) { self.type = type }

    static func parse(_ j: JSON) throws(OVSDBError) -> BaseType {
        if let s = j.stringValue {
            guard let t = AtomicType(rawValue: s) else { throw .syntax("unknown atomic type \(s)") }
            return BaseType(type: t)
        }
        guard j.isObject, let ts = j["type"]?.stringValue, let t = AtomicType(rawValue: ts) else {
            throw .syntax("bad base type \(j.text)")
        }
        var b = BaseType(type: t)
        if let e = j["enum"] {
            let setType = ColumnType(key: BaseType(type: t), value: nil, min: 1, max: Int.max)
            b.enumValues = try Datum.from(json: e, type: setType).keys
        }
        func int(_ k: String) throws(OVSDBError) -> Int64? {
            guard let v = j[k] else { return nil }
            guard let i = v.intValue else { throw .syntax("\(k) must be an integer") }
            return i
        }
        func real(_ k: String) throws(OVSDBError) -> Double? {
            guard let v = j[k] else { return nil }
            guard let d = v.numberValue else { throw .syntax("\(k) must be a number") }
            return d
        }
        switch t {
        case .integer:
            b.minInteger = try int("minInteger")
            b.maxInteger = try int("maxInteger")
            if let lo = b.minInteger, let hi = b.maxInteger, lo > hi { throw .syntax("minInteger exceeds maxInteger") }
        case .real:
            b.minReal = try real("minReal")
            b.maxReal = try real("maxReal")
            if let lo = b.minReal, let hi = b.maxReal, lo > hi { throw .syntax("minReal exceeds maxReal") }
        case .string:
            b.minLength = try int("minLength").map { Int($0) }
            b.maxLength = try int("maxLength").map { Int($0) }
            if let lo = b.minLength, let hi = b.maxLength, lo > hi { throw .syntax("minLength exceeds maxLength") }
        case .uuid:
            if let r = j["refTable"] {
                guard let s = r.stringValue else { throw .syntax("refTable must be a string") }
                b.refTable = s
            }
            if let r = j["refType"] {
                guard let s = r.stringValue, let rt = RefType(rawValue: s) else { throw .syntax("refType must be \"strong\" or \"weak\"") }
                b.refType = rt
            }
        case .boolean: break
        }
        return b
    }

    /// Checks an atom against the constraints (RFC 7047 "constraint violation").
    public func check(_ a: Atom) throws(OVSDBError) {
        if let e = enumValues, !e.contains(a) {
            throw .constraint("\(a.string) is not one of the allowed values (\(Datum(keys: e).string))")
        }
        switch a {
        case .integer(let i):
            if let lo = minInteger, let hi = maxInteger, i < lo || i > hi {
                throw .constraint("\(i) is not in the valid range \(lo) to \(hi) (inclusive)")
            }
            if let lo = minInteger, i < lo { throw .constraint("\(i) is less than minimum allowed value \(lo)") }
            if let hi = maxInteger, i > hi { throw .constraint("\(i) is greater than maximum allowed value \(hi)") }
        case .real(let d):
            if let lo = minReal, let hi = maxReal, d < lo || d > hi {
                throw .constraint("\(JSON.formatReal(d)) is not in the valid range \(JSON.formatReal(lo)) to \(JSON.formatReal(hi)) (inclusive)")
            }
            if let lo = minReal, d < lo { throw .constraint("\(JSON.formatReal(d)) is less than minimum allowed value \(JSON.formatReal(lo))") }
            if let hi = maxReal, d > hi { throw .constraint("\(JSON.formatReal(d)) is greater than maximum allowed value \(JSON.formatReal(hi))") }
        case .string(let s):
            let n = s.unicodeScalars.count
            if let lo = minLength, n < lo { throw .constraint("\"\(s)\" length \(n) is less than minimum allowed length \(lo)") }
            if let hi = maxLength, n > hi { throw .constraint("\"\(s)\" length \(n) is greater than maximum allowed length \(hi)") }
        default: break
        }
    }
}

/// A column type: key type, optional value type (a map), and the size range.
public struct ColumnType: Equatable, Sendable {
    public var key: BaseType
    public var value: BaseType?
    public var min: Int
    public var max: Int  // Int.max is "unlimited"

    public init(key: BaseType, value: BaseType? = nil, min: Int = 1, max: Int = 1) {
        self.key = key
        self.value = value
        self.min = min
        self.max = max
    }

    public var isMap: Bool { value != nil }

    /// Open vSwitch's English for a type: "integer", "set of up to 2 strings",
    /// "map of (string, integer) pairs".
    public var english: String {
        if isScalar { return key.type.rawValue }
        var s = isMap ? "map" : "set"
        if max == Int.max {
            s += min > 0 ? " of \(min) or more" : " of"
        } else if min > 0 {
            s += " of \(min) to \(max)"
        } else {
            s += " of up to \(max)"
        }
        if let v = value { s += " (\(key.type.rawValue), \(v.type.rawValue)) pairs" } else { s += " \(key.type.rawValue)s" }
        return s
    }
    public var isScalar: Bool { value == nil && min == 1 && max == 1 }

    static func parse(_ j: JSON) throws(OVSDBError) -> ColumnType {
        if j.stringValue != nil { return ColumnType(key: try BaseType.parse(j)) }
        guard j.isObject, let k = j["key"] else { throw .syntax("bad column type \(j.text)") }
        var t = ColumnType(key: try BaseType.parse(k))
        if let v = j["value"] { t.value = try BaseType.parse(v) }
        if let m = j["min"] {
            guard let i = m.intValue, i == 0 || i == 1 else { throw .syntax("min must be 0 or 1") }
            t.min = Int(i)
        }
        if let m = j["max"] {
            if m == .string("unlimited") {
                t.max = Int.max
            } else if let i = m.intValue, i >= 1 {
                t.max = Int(i)
            } else {
                throw .syntax("max must be a positive integer or \"unlimited\"")
            }
        }
        if t.min > t.max { throw .syntax("ovsdb type fails constraint checks") }
        return t
    }
}

public struct ColumnSchema: Sendable {
    public var name: String
    public var type: ColumnType
    public var mutable = true
    public var ephemeral = false
}

public struct TableSchema: Sendable {
    public var name: String
    public var columns: [String: ColumnSchema] = [:]
    /// Column names in schema order.
    public var columnOrder: [String] = []
    public var isRoot = false
    public var maxRows: Int? = nil
    public var indexes: [[String]] = []
    /// Every column at its default value: a new row's starting point.
    public var defaultColumns: [String: Datum] = [:]
}

public struct DatabaseSchema: Sendable {
    public var name: String
    public var version: String
    public var cksum: String?
    public var tables: [String: TableSchema]
    /// The schema's JSON as read, for writing into a database file.
    public var json: JSON

    public init(json j: JSON) throws(OVSDBError) {
        guard j.isObject else { throw .syntax("schema must be an object") }
        guard let n = j["name"]?.stringValue, isIdentifier(n) else { throw .syntax("schema name must be an identifier") }
        name = n
        if let v = j["version"] {
            guard let s = v.stringValue, isVersion(s) else { throw .syntax("schema version must be x.y.z") }
            version = s
        } else {
            version = ""
        }
        cksum = j["cksum"]?.stringValue
        guard let tj = j["tables"]?.objectValue else { throw .syntax("schema must have \"tables\"") }
        var tables: [String: TableSchema] = [:]
        for (tn, tv) in tj {
            guard isIdentifier(tn), !tn.hasPrefix("_") else { throw .syntax("\(tn) is not a valid table name") }
            guard tv.isObject, let cols = tv["columns"]?.objectValue else { throw .syntax("table \(tn) needs \"columns\"") }
            var t = TableSchema(name: tn)
            if let r = tv["isRoot"] {
                guard let b = r.boolValue else { throw .syntax("isRoot must be a boolean") }
                t.isRoot = b
            } else {
                // Versionless (old) schemas treat every table as a root table.
                t.isRoot = version.isEmpty
            }
            if let m = tv["maxRows"] {
                guard let i = m.intValue, i >= 1 else { throw .syntax("maxRows must be at least 1") }
                t.maxRows = Int(i)
            }
            for (cn, cv) in cols {
                guard isIdentifier(cn), !cn.hasPrefix("_") else { throw .syntax("\(cn) is not a valid column name") }
                guard cv.isObject, let ty = cv["type"] else { throw .syntax("column \(tn).\(cn) needs \"type\"") }
                var c = ColumnSchema(name: cn, type: try ColumnType.parse(ty))
                if let m = cv["mutable"] {
                    guard let b = m.boolValue else { throw .syntax("mutable must be a boolean") }
                    c.mutable = b
                }
                if let e = cv["ephemeral"] {
                    guard let b = e.boolValue else { throw .syntax("ephemeral must be a boolean") }
                    c.ephemeral = b
                }
                t.columns[cn] = c
                t.columnOrder.append(cn)
                t.defaultColumns[cn] = Datum.defaultValue(c.type)
            }
            if let ix = tv["indexes"] {
                guard let arr = ix.arrayValue else { throw .syntax("indexes must be an array") }
                for one in arr {
                    guard let names = one.arrayValue, !names.isEmpty else { throw .syntax("index must be a non-empty array") }
                    var cs: [String] = []
                    for nj in names {
                        guard let s = nj.stringValue, t.columns[s] != nil else {
                            throw .syntax("table \(tn) index refers to unknown column \(nj.text)")
                        }
                        cs.append(s)
                    }
                    t.indexes.append(cs)
                }
            }
            tables[tn] = t
        }
        for t in tables.values {
            for c in t.columns.values {
                for b in [c.type.key, c.type.value].compactMap({ $0 }) {
                    if let r = b.refTable, tables[r] == nil {
                        throw .syntax("column \(t.name).\(c.name) refers to undefined table \(r)")
                    }
                }
            }
        }
        self.tables = tables
        self.json = j
    }

    public init(text: String) throws(OVSDBError) {
        let j: JSON
        do { j = try JSON.parse(text) } catch { throw .syntax(error.description) }
        try self.init(json: j)
    }
}

func isIdentifier(_ s: String) -> Bool {
    guard let f = s.unicodeScalars.first, f == "_" || f.properties.isAlphabetic && f.isASCII else { return false }
    return s.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
}

func isVersion(_ s: String) -> Bool {
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
}
