/// An RFC 7047 condition on the rows of one table: a conjunction of
/// `[column, function, value]` clauses (§5.1). Monitors (`monitor_cond`)
/// also accept the literals `true` and `false` as clauses.
public struct Condition: Sendable {
    /// Column, function, argument, and the column's type.
    public typealias Clause = (String, String, Datum, ColumnType)

    public var clauses: [Clause]
    /// Set when a `false` literal makes the whole condition false.
    public var isFalse = false

    public init(clauses: [Clause] = [], isFalse: Bool = false) {
        self.clauses = clauses
        self.isFalse = isFalse
    }

    /// The condition every row meets.
    public static let always = Condition()

    /// True when every row meets it (no clause, no `false`).
    public var isTrue: Bool { clauses.isEmpty && !isFalse }

    /// Parses a monitor condition (`where` of a monitor request): clauses
    /// and boolean literals.
    public static func parse(_ json: JSON?, table t: TableSchema) throws(OVSDBError) -> Condition {
        guard let json else { return .always }
        guard let items = json.arrayValue else { throw .syntax("where must be an array", json) }
        var c = Condition()
        var rest: [JSON] = []
        for item in items {
            if case .bool(let b) = item {
                if !b { c.isFalse = true }
            } else {
                rest.append(item)
            }
        }
        c.clauses = try parseClauses(t, rest, symbols: [:])
        return c
    }

    /// True when `row` meets the condition.
    public func matches(_ row: Row) -> Bool {
        if isFalse { return false }
        for c in clauses where !Self.eval(row, c) { return false }
        return true
    }

    static func columnType(_ t: TableSchema, _ c: String) throws(OVSDBError) -> ColumnType {
        if c == "_uuid" || c == "_version" { return ColumnType(key: BaseType(type: .uuid)) }
        guard let cs = t.columns[c] else { throw OVSDBError("unknown column", "No column \(c) in table \(t.name).") }
        return cs.type
    }

    /// Parses `[column, function, value]` clauses against table `t`.
    static func parseClauses(_ t: TableSchema, _ conds: [JSON], symbols: [String: UUID]) throws(OVSDBError) -> [Clause] {
        var parsed: [Clause] = []
        for c in conds {
            guard let a = c.arrayValue, a.count == 3, let col = a[0].stringValue, let fn = a[1].stringValue else {
                throw .syntax("Parse error in condition.")
            }
            let ct: ColumnType
            do throws(OVSDBError) { ct = try columnType(t, col) } catch {
                var e = error
                e.syntax = c
                throw e
            }
            var relaxed = ct
            switch fn {
            case "<", "<=", ">", ">=":
                guard ct.isScalar || (ct.min == 0 && ct.max == 1 && ct.value == nil),
                      ct.key.type == .integer || ct.key.type == .real else {
                    throw .syntax("Type mismatch: \"\(fn)\" operator may not be applied to column \(col) of type \(ct.english).", c)
                }
                relaxed = ColumnType(key: BaseType(type: ct.key.type))
            case "==", "!=":
                relaxed.key = BaseType(type: ct.key.type)
                if let v = ct.value { relaxed.value = BaseType(type: v.type) }
            case "includes", "excludes":
                relaxed = ColumnType(key: BaseType(type: ct.key.type), value: ct.value.map { BaseType(type: $0.type) }, min: 0, max: Int.max)
            default:
                throw OVSDBError("unknown function", "No function named \(fn).")
            }
            let d = try Datum.from(json: a[2], type: relaxed, symbols: symbols)
            if fn == "==" || fn == "!=" { try d.check(ColumnType(key: relaxed.key, value: relaxed.value, min: ct.min, max: ct.max)) }
            parsed.append((col, fn, d, ct))
        }
        return parsed
    }

    static func eval(_ r: Row, _ c: Clause) -> Bool {
        let (col, fn, arg, _) = c
        guard let v = r.value(col) else { return false }
        switch fn {
        case "==": return v == arg
        case "!=": return v != arg
        case "includes": return includes(v, arg)
        case "excludes": return excludes(v, arg)
        default:
            guard let x = v.keys.first, let y = arg.keys.first else { return false }
            switch fn {
            case "<": return x < y
            case "<=": return x <= y
            case ">": return x > y
            default: return x >= y
            }
        }
    }

    static func includes(_ v: Datum, _ a: Datum) -> Bool {
        for (i, k) in a.keys.enumerated() {
            guard let j = v.index(of: k) else { return false }
            if let av = a.values, v.values?[j] != av[i] { return false }
        }
        return true
    }

    static func excludes(_ v: Datum, _ a: Datum) -> Bool {
        for (i, k) in a.keys.enumerated() {
            if let j = v.index(of: k) {
                if let av = a.values { if v.values?[j] == av[i] { return false } } else { return false }
            }
        }
        return true
    }
}
