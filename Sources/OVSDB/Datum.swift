/// A column value: a set of atoms (sorted, unique), or a map when `values`
/// is not nil (keys sorted and unique, `values[i]` belongs to `keys[i]`).
public struct Datum: Hashable, Sendable {
    public var keys: [Atom]
    public var values: [Atom]?

    public init(keys: [Atom] = [], values: [Atom]? = nil) {
        self.keys = keys
        self.values = values
    }

    public static func scalar(_ a: Atom) -> Datum { Datum(keys: [a]) }
    public var count: Int { keys.count }

    /// The default value of a column of type `t`.
    public static func defaultValue(_ t: ColumnType) -> Datum {
        if t.min == 0 { return Datum(keys: [], values: t.isMap ? [] : nil) }
        return Datum(keys: [Atom.defaultValue(t.key.type)], values: t.value.map { [Atom.defaultValue($0.type)] })
    }

    /// Sorts by key; duplicate keys are an error (RFC 7047 "set" and "map").
    mutating func normalize() throws(OVSDBError) {
        if keys.count < 2 { return }
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        let k = order.map { keys[$0] }
        for i in 1..<k.count where k[i] == k[i - 1] {
            throw OVSDBError("ovsdb error", values == nil ? "set contains duplicate" : "map contains duplicate key")
        }
        keys = k
        if let v = values { values = order.map { v[$0] } }
    }

    public func json(_ t: ColumnType) -> JSON {
        if let v = values {
            return .array([.string("map"), .array(zip(keys, v).map { .array([$0.json, $1.json]) })])
        }
        if keys.count == 1 { return keys[0].json }
        return .array([.string("set"), .array(keys.map(\.json))])
    }

    /// Parses a datum of type `t`; checks types but not size or constraints.
    public static func from(json: JSON, type t: ColumnType, symbols: [String: UUID]? = nil) throws(OVSDBError) -> Datum {
        var d: Datum
        if let vt = t.value {
            guard let a = json.arrayValue, a.count == 2, a[0] == .string("map"), let pairs = a[1].arrayValue else {
                throw .syntax("expected [\"map\", <array>]", json)
            }
            var ks: [Atom] = [], vs: [Atom] = []
            for p in pairs {
                guard let kv = p.arrayValue, kv.count == 2 else { throw .syntax("expected 2-element array", p) }
                ks.append(try Atom.from(json: kv[0], type: t.key.type, symbols: symbols))
                vs.append(try Atom.from(json: kv[1], type: vt.type, symbols: symbols))
            }
            d = Datum(keys: ks, values: vs)
        } else if let a = json.arrayValue, a.count == 2, a[0] == .string("set") {
            guard let items = a[1].arrayValue else { throw .syntax("expected [\"set\", <array>]", json) }
            var ks: [Atom] = []
            for i in items { ks.append(try Atom.from(json: i, type: t.key.type, symbols: symbols)) }
            d = Datum(keys: ks)
        } else {
            d = Datum(keys: [try Atom.from(json: json, type: t.key.type, symbols: symbols)])
        }
        try d.normalize()
        if d.count < t.min || d.count > t.max {
            throw .syntax("\(t.isMap ? "map" : "set") must have \(t.min) to \(t.max == Int.max ? "unlimited" : String(t.max)) members but \(d.count) are present", json)
        }
        return d
    }

    /// Checks size and atom constraints ("constraint violation").
    public func check(_ t: ColumnType) throws(OVSDBError) {
        if keys.count < t.min || keys.count > t.max {
            let maxS = t.max == Int.max ? "unlimited" : String(t.max)
            throw .constraint("\(keys.count) values when type requires between \(t.min) and \(maxS)")
        }
        for k in keys { try t.key.check(k) }
        if let v = values, let vt = t.value { for a in v { try vt.check(a) } }
    }

    public func contains(key: Atom) -> Bool { index(of: key) != nil }

    func index(of key: Atom) -> Int? {
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keys[mid] == key { return mid }
            if keys[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// Set/map union; for maps, existing keys keep their values.
    mutating func union(_ o: Datum) {
        let added = o.keys.indices.filter { !contains(key: o.keys[$0]) }
        for i in added {
            keys.append(o.keys[i])
            if values != nil { values!.append(o.values![i]) }
        }
        try? normalize()
    }

    /// Removes elements of `o` (a set of keys, or for maps a map of exact pairs).
    mutating func subtract(_ o: Datum, keysOnly: Bool) {
        var nk: [Atom] = [], nv: [Atom] = []
        for (i, k) in keys.enumerated() {
            if let j = o.index(of: k) {
                if keysOnly || values == nil || o.values![j] == values![i] { continue }
            }
            nk.append(k)
            if let v = values { nv.append(v[i]) }
        }
        keys = nk
        if values != nil { values = nv }
    }

    /// All UUIDs this datum references into `table`, with the ref type.
    func refs(_ t: ColumnType) -> [(UUID, String, RefType)] {
        var out: [(UUID, String, RefType)] = []
        if let r = t.key.refTable { for case .uuid(let u) in keys { out.append((u, r, t.key.refType)) } }
        if let vt = t.value, let r = vt.refTable, let v = values { for case .uuid(let u) in v { out.append((u, r, vt.refType)) } }
        return out
    }
}

extension Atom {
    /// Open vSwitch's text form of an atom (ovsdb-data's "to_string"):
    /// strings bare when they look like identifiers, else JSON-quoted.
    public var string: String {
        switch self {
        case .uuid(let u): return u.string
        case .string(let s):
            return stringNeedsQuotes(s) ? JSON.string(s).text : s
        default: return json.text
        }
    }
}

func stringNeedsQuotes(_ s: String) -> Bool {
    let b = Array(s.utf8)
    guard let f = b.first else { return true }
    func alpha(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
    if !alpha(f) && f != UInt8(ascii: "_") { return true }
    for c in b.dropFirst() where !(alpha(c) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")) {
        return true
    }
    return s == "true" || s == "false" || UUID(s) != nil
}

extension Datum {
    /// Open vSwitch's text form of a datum: `a`, `[a, b]`, `{k=v, ...}`.
    public var string: String {
        if let v = values {
            return "{" + zip(keys, v).map { "\($0.string)=\($1.string)" }.joined(separator: ", ") + "}"
        }
        if keys.count == 1 { return keys[0].string }
        return "[" + keys.map(\.string).joined(separator: ", ") + "]"
    }
}
