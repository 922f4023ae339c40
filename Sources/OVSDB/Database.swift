/// A row: its UUID, its version (changes on every committed modification)
/// and a value for every column of its table.
public struct Row: Equatable, Sendable {
    public var uuid: UUID
    public var version: UUID
    public var columns: [String: Datum]

    public init(uuid: UUID, version: UUID, columns: [String: Datum]) {
        self.uuid = uuid
        self.version = version
        self.columns = columns
    }

    /// The value of `column`, including the `_uuid` and `_version` pseudo-columns.
    public func value(_ column: String) -> Datum? {
        switch column {
        case "_uuid": .scalar(.uuid(uuid))
        case "_version": .scalar(.uuid(version))
        default: columns[column]
        }
    }
}

/// The changes of one committed transaction, per table and row:
/// `nil` for a deleted row, else the row's new value (with `old` giving the
/// previous value for a modified row, nil for an inserted one).
public struct RowChange: Sendable {
    public var old: Row?
    public var new: Row?
}

public struct Changes: Sendable {
    public var tables: [String: [UUID: RowChange]] = [:]
    public var comment: String?
    /// True when the transaction held `{"op":"commit","durable":true}`: its
    /// record must reach the disk (fsync) before the reply.
    public var durable = false
    public var isEmpty: Bool { tables.values.allSatisfy(\.isEmpty) }
}

/// An in-memory OVSDB database. A value type: a transaction works on a copy
/// and replaces the database only when it commits, so a failure leaves it
/// unchanged.
public struct Database: Sendable {
    public let schema: DatabaseSchema
    public internal(set) var tables: [String: [UUID: Row]]

    public init(schema: DatabaseSchema) {
        self.schema = schema
        tables = [:]
        for n in schema.tables.keys { tables[n] = [:] }
    }

    /// A placeholder with no tables (what `transact` leaves while it works).
    private init(placeholderFor schema: DatabaseSchema) {
        self.schema = schema
        tables = [:]
    }

    public func row(_ table: String, _ uuid: UUID) -> Row? { tables[table]?[uuid] }

    /// JSON for a row (columns in schema order after `_uuid` and `_version`),
    /// restricted to `columns` if given.
    public func rowJSON(_ table: String, _ r: Row, columns: [String]? = nil) -> JSON {
        guard let ts = schema.tables[table] else { return .object([]) }
        let names = columns ?? (["_uuid", "_version"] + ts.columnOrder.sorted())
        var m: [(String, JSON)] = []
        for n in names {
            guard let d = r.value(n) else { continue }
            let t = ts.columns[n]?.type ?? ColumnType(key: BaseType(type: .uuid))
            m.append((n, d.json(t)))
        }
        return .object(m)
    }

    /// Executes the params of an RFC 7047 "transact" request: the database
    /// name, then the operations.
    public mutating func transact(params: JSON, locks: Set<String> = []) -> (results: JSON, changes: Changes?) {
        guard let a = params.arrayValue else {
            return (OVSDBError("syntax error", "array expected", syntax: params).json, nil)
        }
        guard let first = a.first, first.stringValue == schema.name else {
            return (OVSDBError("syntax error", "database name expected as first parameter", syntax: params).json, nil)
        }
        return transact(Array(a.dropFirst()), locks: locks)
    }

    /// Executes an RFC 7047 "transact" (params without the database name)
    /// and returns the result array and, on commit, the changes made.
    /// `locks` are the locks the client owns (for "assert").
    public mutating func transact(_ operations: [JSON], locks: Set<String> = []) -> (results: JSON, changes: Changes?) {
        // The transaction works on this database's storage in place (no
        // copy of the tables it writes) and undoes its writes on failure.
        var moved = Database(placeholderFor: schema)
        swap(&self, &moved)
        var txn = Transaction(db: consume moved)
        defer { self = txn.db }
        txn.locks = locks
        var results: [JSON] = []
        var failed = false
        do throws(OVSDBError) {
            try txn.collectSymbols(operations)
        } catch {
            return (.array([error.json] + Array(repeating: .null, count: max(0, operations.count - 1))), nil)
        }
        for (i, op) in operations.enumerated() {
            do throws(OVSDBError) {
                results.append(try txn.execute(op))
            } catch {
                var error = error
                if error.isParseError {
                    error.details = "Parsing ovsdb operation \(i + 1) of \(operations.count) failed: " + error.details
                    error.syntax = op
                }
                results.append(error.json)
                failed = true
                break
            }
        }
        while results.count < operations.count { results.append(.null) }
        if failed {
            txn.rollback()
            return (.array(results), nil)
        }
        do throws(OVSDBError) {
            var changes = try txn.commit()
            changes.durable = txn.durable
            return (.array(results), changes)
        } catch {
            txn.rollback()
            results.append(error.json)
            return (.array(results), nil)
        }
    }

    /// Undoes a committed transaction's changes (when its log record could
    /// not be written).
    public mutating func revert(_ changes: Changes) {
        for (tn, rows) in changes.tables {
            for (u, ch) in rows { tables[tn]![u] = ch.old }
        }
    }

    /// Applies changes read from a log (no checks), as replay does.
    mutating func apply(table: String, uuid: UUID, row: Row?) {
        tables[table]?[uuid] = row
    }
}

func columnSetString(_ cols: [String]) -> String {
    var s = "column\(cols.count > 1 ? "s" : "") "
    for (i, c) in cols.enumerated() {
        if i > 0 { s += cols.count == 2 ? " and " : (i == cols.count - 1 ? ", and " : ", ") }
        s += "\"\(c)\""
    }
    return s
}

func indexValues(_ ts: TableSchema, _ ix: [String], _ r: Row) -> String {
    ix.map { r.columns[$0]!.string }.joined(separator: ", ")
}

struct Transaction {
    var db: Database
    var symbols: [String: UUID] = [:]
    var comment: [String] = []
    /// Locks the client owns ("assert" checks them).
    var locks: Set<String> = []
    /// Set by `{"op":"commit","durable":true}`.
    var durable = false
    /// Tables this transaction wrote; commit checks and diffs only these
    /// (a read-only transaction costs nothing at commit).
    var touched = Set<String>()
    /// The rows written, per table.
    var touchedRows: [String: Set<UUID>] = [:]

    /// The rows as they were before this transaction first wrote them (nil:
    /// absent), to roll back and to compare at commit.
    var before: [String: [UUID: Row?]] = [:]

    /// Call before writing row `u` of `table`: remembers it as written and
    /// keeps its value from before the transaction.
    mutating func touch(_ table: String, _ u: UUID) {
        touched.insert(table)
        if touchedRows[table, default: []].insert(u).inserted {
            before[table, default: [:]].updateValue(db.tables[table]![u], forKey: u)
        }
    }

    /// Row `u` of `table` as it was before the transaction.
    func orig(_ table: String, _ u: UUID) -> Row? {
        if let b = before[table]?[u] { return b }
        return db.tables[table]![u]
    }

    /// Undoes every write: the database is as it was before the transaction.
    mutating func rollback() {
        for (tn, rows) in before {
            for (u, r) in rows { db.tables[tn]![u] = r }
        }
        before = [:]
    }

    init(db: Database) { self.db = db }

    /// Assigns UUIDs to every "uuid-name" first, so named-uuid may refer forward.
    mutating func collectSymbols(_ ops: [JSON]) throws(OVSDBError) {
        defer {
            // A "named-uuid" no "uuid-name" defines still names a fresh UUID
            // (as in Open vSwitch; a reference to it fails referential integrity).
            func walk(_ j: JSON) {
                switch j {
                case .array(let a):
                    if a.count == 2, a[0] == .string("named-uuid"), let s = a[1].stringValue {
                        if symbols[s] == nil { symbols[s] = UUID.random() }
                    } else {
                        a.forEach(walk)
                    }
                case .object(let o): o.forEach { walk($0.1) }
                default: break
                }
            }
            ops.forEach(walk)
        }
        for op in ops {
            guard op["op"] == .string("insert"), let n = op["uuid-name"] else { continue }
            guard let s = n.stringValue, isIdentifier(s) else { throw .syntax("uuid-name must be an identifier") }
            if symbols[s] != nil { throw OVSDBError("duplicate uuid-name", "This \"uuid-name\" appeared on an earlier \"insert\" operation.") }
            if let uj = op["uuid"], let us = uj.stringValue, let u = UUID(us) {
                symbols[s] = u
            } else {
                symbols[s] = UUID.random()
            }
        }
    }

    func tableSchema(_ op: JSON) throws(OVSDBError) -> TableSchema {
        guard let tn = op["table"]?.stringValue else { throw .parse("Required 'table' member is missing.") }
        guard let t = db.schema.tables[tn] else { throw .parse("No table named \(tn).") }
        return t
    }

    func columnType(_ t: TableSchema, _ c: String) throws(OVSDBError) -> ColumnType {
        if c == "_uuid" || c == "_version" { return ColumnType(key: BaseType(type: .uuid)) }
        guard let cs = t.columns[c] else { throw OVSDBError("unknown column", "No column \(c) in table \(t.name).") }
        return cs.type
    }

    /// Parses a "row" object into column values, checked against the schema.
    func parseRow(_ t: TableSchema, _ j: JSON?, forUpdate: Bool, opJSON: JSON? = nil) throws(OVSDBError) -> [(String, Datum)] {
        guard let j else { return [] }
        guard let members = j.objectValue else { throw .parse("Type mismatch for member 'row'.") }
        var out: [(String, Datum)] = []
        for (c, v) in members {
            if c == "_uuid" || c == "_version" {
                // Open vSwitch ignores them on insert and refuses them on update.
                if !forUpdate { continue }
                throw OVSDBError("constraint violation", "Cannot update immutable column \(c) in table \(t.name).", syntax: opJSON)
            }
            guard let cs = t.columns[c] else { throw OVSDBError("unknown column", "No column \(c) in table \(t.name).") }
            if forUpdate && !cs.mutable {
                throw OVSDBError("constraint violation", "Cannot update immutable column \(c) in table \(t.name).", syntax: opJSON)
            }
            let d = try Datum.from(json: v, type: cs.type, symbols: symbols)
            try d.check(cs.type)
            out.append((c, d))
        }
        return out
    }

    func matches(_ t: TableSchema, _ where_: JSON?) throws(OVSDBError) -> [UUID] {
        guard let w = where_ else { throw .parse("Required 'where' member is missing.") }
        guard let conds = w.arrayValue else { throw .syntax("where must be an array") }
        let parsed = try Condition.parseClauses(t, conds, symbols: symbols)
        let rows = db.tables[t.name]!
        // The common `["_uuid", "==", uuid]` looks the row up directly.
        for (col, fn, d, _) in parsed where col == "_uuid" && fn == "==" {
            guard case .uuid(let u)? = d.keys.first, let r = rows[u] else { return [] }
            return parsed.allSatisfy({ eval(r, $0) }) ? [u] : []
        }
        var out: [UUID] = []
        for (u, r) in rows where parsed.allSatisfy({ eval(r, $0) }) { out.append(u) }
        return out.sorted()
    }

    func eval(_ r: Row, _ c: Condition.Clause) -> Bool { Condition.eval(r, c) }

    mutating func execute(_ op: JSON) throws(OVSDBError) -> JSON {
        guard op.isObject else { throw .syntax("operation must be an object") }
        guard let name = op["op"]?.stringValue else { throw .parse("Required 'op' member is missing.") }
        switch name {
        case "insert": return try insert(op)
        case "select": return try select(op)
        case "update": return try update(op)
        case "mutate": return try mutate(op)
        case "delete": return try delete(op)
        case "wait": return try wait(op)
        case "commit":
            guard let d = op["durable"]?.boolValue else { throw .parse("Required 'durable' member is missing.") }
            if d { durable = true }
            return .object([])
        case "abort": throw OVSDBError("aborted", "aborted by request")
        case "comment":
            guard let c = op["comment"]?.stringValue else { throw .parse("Required 'comment' member is missing.") }
            comment.append(c)
            return .object([])
        case "assert":
            guard let l = op["lock"]?.stringValue else { throw .parse("Required 'lock' member is missing.") }
            guard locks.contains(l) else { throw OVSDBError("not owner", "Asserted lock \(l) not held.") }
            return .object([])
        default:
            throw .parse("No operation \"\(name)\"")
        }
    }

    mutating func insert(_ op: JSON) throws(OVSDBError) -> JSON {
        let t = try tableSchema(op)
        var uuid: UUID
        if let n = op["uuid-name"]?.stringValue {
            uuid = symbols[n]!
        } else if let uj = op["uuid"] {
            guard let s = uj.stringValue, let u = UUID(s) else { throw .syntax("bad uuid") }
            uuid = u
        } else {
            uuid = UUID.random()
        }
        if op["uuid"] != nil, db.tables[t.name]![uuid] != nil {
            throw OVSDBError("duplicate uuid", "This UUID would duplicate a UUID already present within the table or deleted within the same transaction.", syntax: op["uuid"])
        }
        var cols = t.defaultColumns
        guard op["row"] != nil else { throw .parse("Required 'row' member is missing.") }
        for (c, d) in try parseRow(t, op["row"], forUpdate: false) { cols[c] = d }
        touch(t.name, uuid)
        db.tables[t.name]![uuid] = Row(uuid: uuid, version: UUID.random(), columns: cols)
        return .object([("uuid", Atom.uuid(uuid).json)])
    }

    func select(_ op: JSON) throws(OVSDBError) -> JSON {
        let t = try tableSchema(op)
        var cols: [String]? = nil
        if let cj = op["columns"] {
            guard let a = cj.arrayValue else { throw .syntax("columns must be an array") }
            var cs: [String] = []
            for c in a {
                guard let s = c.stringValue else { throw .syntax("array of column names expected", cj) }
                guard s == "_uuid" || s == "_version" || t.columns[s] != nil else { throw .syntax("\(s) is not a valid column name", cj) }
                cs.append(s)
            }
            cols = cs
        }
        var sort: [String] = []
        if let sj = op["sort"] {
            guard let a = sj.arrayValue else { throw .syntax("array of column names expected", sj) }
            for c in a {
                guard let s = c.stringValue, s == "_uuid" || s == "_version" || t.columns[s] != nil else {
                    throw .syntax("\(c.text) is not a valid column name", sj)
                }
                sort.append(s)
            }
        }
        // As Open vSwitch: rows distinct on the selected columns, then sorted
        // by the "sort" columns (an extension of RFC 7047).
        let names = cols ?? (["_uuid", "_version"] + t.columnOrder.sorted())
        var seen = Set<[Datum]>()
        var picked: [Row] = []
        for u in try matches(t, op["where"]) {
            let r = db.tables[t.name]![u]!
            if seen.insert(names.map { r.value($0)! }).inserted { picked.append(r) }
        }
        if !sort.isEmpty {
            picked.sort { a, b in
                for c in sort {
                    let x = a.value(c)!, y = b.value(c)!
                    if x != y { return x.keys.lexicographicallyPrecedes(y.keys) || (x.keys == y.keys && (x.values ?? []).lexicographicallyPrecedes(y.values ?? [])) }
                }
                return false
            }
        }
        return .object([("rows", .array(picked.map { db.rowJSON(t.name, $0, columns: cols) }))])
    }

    mutating func update(_ op: JSON) throws(OVSDBError) -> JSON {
        let t = try tableSchema(op)
        guard op["row"] != nil else { throw .parse("Required 'row' member is missing.") }
        let row = try parseRow(t, op["row"], forUpdate: true, opJSON: op)
        let hits = try matches(t, op["where"])
        for u in hits {
            touch(t.name, u)
            for (c, d) in row { db.tables[t.name]![u]!.columns[c] = d }
        }
        return .object([("count", .int(Int64(hits.count)))])
    }

    mutating func delete(_ op: JSON) throws(OVSDBError) -> JSON {
        let t = try tableSchema(op)
        let hits = try matches(t, op["where"])
        for u in hits {
            touch(t.name, u)
            db.tables[t.name]![u] = nil
        }
        return .object([("count", .int(Int64(hits.count)))])
    }

    func wait(_ op: JSON) throws(OVSDBError) -> JSON {
        let t = try tableSchema(op)
        guard let untilJSON = op["until"] else { throw .parse("Required 'until' member is missing.") }
        guard let until = untilJSON.stringValue, until == "==" || until == "!=" else {
            throw .syntax("\"until\" must be \"==\" or \"!=\"", untilJSON)
        }
        guard let rj = op["rows"]?.arrayValue else { throw .parse("Required 'rows' member is missing.") }
        var cols: [String] = t.columnOrder
        if let cj = op["columns"] {
            guard let a = cj.arrayValue else { throw .syntax("columns must be an array") }
            cols = []
            for c in a {
                guard let s = c.stringValue else { throw .syntax("column name must be a string") }
                _ = try columnType(t, s)
                cols.append(s)
            }
        }
        var timeout: Int64? = nil
        if let tj = op["timeout"] {
            guard let n = tj.numberValue else { throw .syntax("timeout must be a number") }
            timeout = n.isFinite ? Int64(max(-1e18, min(1e18, n))) : Int64.max
        }
        let hits = try matches(t, op["where"])
        // The rows found, projected on `cols`, compared as a multiset with `rows`.
        var actual: [[Datum]] = hits.map { u in cols.map { db.tables[t.name]![u]!.value($0)! } }
        var expected: [[Datum]] = []
        for r in rj {
            guard let m = r.objectValue else { throw .syntax("rows must contain objects") }
            var vals: [String: Datum] = [:]
            for (c, v) in m {
                let ct = try columnType(t, c)
                vals[c] = try Datum.from(json: v, type: ct, symbols: symbols)
            }
            var e: [Datum] = []
            for c in cols {
                guard let d = vals[c] else { throw .syntax("row is missing column \(c)") }
                e.append(d)
            }
            expected.append(e)
        }
        var equal = actual.count == expected.count
        if equal {
            for e in expected {
                if let i = actual.firstIndex(of: e) { actual.remove(at: i) } else { equal = false; break }
            }
        }
        if (until == "==") == equal { return .object([]) }
        if timeout == 0 {
            throw OVSDBError("timed out", "\"where\" clause test failed")
        }
        // No server yet to postpone the transaction: a wait that is not met now fails.
        throw OVSDBError("timed out", "\"wait\" timed out after \(timeout.map { "\($0)" } ?? "unlimited") ms (svs cannot postpone transactions yet)")
    }

    mutating func mutate(_ op: JSON) throws(OVSDBError) -> JSON {
        let t = try tableSchema(op)
        guard let ms = op["mutations"]?.arrayValue else { throw .parse("Required 'mutations' member is missing.") }
        var muts: [(String, String, Datum, ColumnType)] = []
        for m in ms {
            guard let a = m.arrayValue, a.count == 3, let col = a[0].stringValue, let mt = a[1].stringValue else {
                throw .syntax("Parse error in mutation.")
            }
            if col == "_uuid" || col == "_version" { throw .constraint("Cannot mutate column \(col).") }
            guard let cs = t.columns[col] else { throw OVSDBError("unknown column", "No column \(col) in table \(t.name).") }
            if !cs.mutable { throw OVSDBError("constraint violation", "Cannot mutate immutable column \(col) in table \(t.name).", syntax: m) }
            let ct = cs.type
            let arg: Datum
            switch mt {
            case "+=", "-=", "*=", "/=", "%=":
                guard ct.value == nil, ct.key.type == .integer || ct.key.type == .real, mt != "%=" || ct.key.type == .integer else {
                    throw .syntax("Type mismatch: \"\(mt)\" operator may not be applied to column \(col) of type \(ct.english).", m)
                }
                var bt = BaseType(type: ct.key.type)
                if mt == "+=" || mt == "-=" { bt = ct.key; bt.enumValues = nil; bt.minInteger = nil; bt.maxInteger = nil; bt.minReal = nil; bt.maxReal = nil }
                arg = try Datum.from(json: a[2], type: ColumnType(key: bt), symbols: symbols)
            case "insert":
                arg = try Datum.from(json: a[2], type: ColumnType(key: ct.key, value: ct.value, min: 0, max: ct.max), symbols: symbols)
                try arg.check(ColumnType(key: ct.key, value: ct.value, min: 0, max: ct.max))
            case "delete":
                if let a2 = a[2].arrayValue, ct.isMap, a2.first == .string("map") {
                    arg = try Datum.from(json: a[2], type: ColumnType(key: BaseType(type: ct.key.type), value: BaseType(type: ct.value!.type), min: 0, max: Int.max), symbols: symbols)
                } else {
                    arg = try Datum.from(json: a[2], type: ColumnType(key: BaseType(type: ct.key.type), min: 0, max: Int.max), symbols: symbols)
                }
            default:
                throw OVSDBError("unknown mutator", "No mutator named \(mt).")
            }
            muts.append((col, mt, arg, ct))
        }
        let hits = try matches(t, op["where"])
        for u in hits {
            var row = db.tables[t.name]![u]!
            for (col, mt, arg, ct) in muts {
                var d = row.columns[col]!
                switch mt {
                case "insert": d.union(arg)
                case "delete": d.subtract(arg, keysOnly: arg.values == nil)
                default:
                    var nk: [Atom] = []
                    for k in d.keys { nk.append(try arith(mt, k, arg.keys[0])) }
                    d.keys = nk
                    do throws(OVSDBError) { try d.normalize() } catch {
                        throw .constraint("Result of \"\(mt)\" operation contains duplicates.")
                    }
                }
                do throws(OVSDBError) { try d.check(ct) } catch {
                    if error.details.contains("values when type requires") {
                        throw .constraint("Attempted to store \(d.count) elements in \(ct.english).")
                    }
                    throw error
                }
                row.columns[col] = d
            }
            touch(t.name, u)
            db.tables[t.name]![u] = row
        }
        return .object([("count", .int(Int64(hits.count)))])
    }

    func arith(_ mt: String, _ x: Atom, _ y: Atom) throws(OVSDBError) -> Atom {
        switch (x, y) {
        case let (.integer(a), .integer(b)):
            let r: (Int64, Bool)
            switch mt {
            case "+=": r = a.addingReportingOverflow(b)
            case "-=": r = a.subtractingReportingOverflow(b)
            case "*=": r = a.multipliedReportingOverflow(by: b)
            case "/=":
                if b == 0 { throw OVSDBError("domain error", "Division by zero.") }
                r = a.dividedReportingOverflow(by: b)
            default:
                if b == 0 { throw OVSDBError("domain error", "Division by zero.") }
                r = a.remainderReportingOverflow(dividingBy: b)
            }
            if r.1 { throw OVSDBError("range error", "Result of \"\(mt)\" operation is out of range.") }
            return .integer(r.0)
        case let (.real(a), .real(b)):
            let r: Double
            switch mt {
            case "+=": r = a + b
            case "-=": r = a - b
            case "*=": r = a * b
            default:
                if b == 0 { throw OVSDBError("domain error", "Division by zero.") }
                r = a / b
            }
            if !r.isFinite { throw OVSDBError("range error", "Result of \"\(mt)\" operation is out of range.") }
            return .real(r)
        default:
            throw .syntax("Type mismatch in mutation.")
        }
    }

    func strongRefCount(to target: UUID, table: String) -> Int {
        var n = 0
        for (tn, rows) in db.tables {
            let ts = db.schema.tables[tn]!
            for r in rows.values {
                for c in ts.columns.values {
                    for (u, rt, kind) in r.columns[c.name]!.refs(c.type) where u == target && rt == table && kind == .strong { n += 1 }
                }
            }
        }
        return n
    }

    /// Commit-time work: garbage collection, weak references, referential
    /// integrity, maxRows and indexes; then the row changes, with new versions.
    mutating func commit() throws(OVSDBError) -> Changes {
        let schema = db.schema
        if touched.isEmpty {
            var c = Changes()
            c.comment = comment.isEmpty ? nil : comment.joined(separator: "\n")
            return c
        }
        // Garbage collection of unreferenced rows in non-root tables. The
        // candidates: rows inserted (only rows this transaction wrote can
        // refer to them) and targets of strong references the written rows
        // dropped (any row may still refer to those: a full scan), then the
        // targets of the rows collected, to a fixpoint.
        func strongRefs(_ tn: String, _ r: Row?) -> [(UUID, String)] {
            guard let r else { return [] }
            let ts = schema.tables[tn]!
            var out: [(UUID, String)] = []
            for c in ts.columns.values where c.type.key.refTable != nil || c.type.value?.refTable != nil {
                for (u, t, kind) in r.columns[c.name]!.refs(c.type) where kind == .strong { out.append((u, t)) }
            }
            return out
        }
        var pending: [UUID: String] = [:]
        var needFullScan = false
        for (tn, us) in touchedRows {
            for u in us {
                let new = db.tables[tn]![u]
                if new != nil, orig(tn, u) == nil, !schema.tables[tn]!.isRoot { pending[u] = tn }
                let kept = Set(strongRefs(tn, new).map(\.0))
                for (t, ttn) in strongRefs(tn, orig(tn, u)) where !kept.contains(t) && !schema.tables[ttn]!.isRoot {
                    pending[t] = ttn
                    needFullScan = true
                }
            }
        }
        while !pending.isEmpty {
            var referenced = Set<UUID>()
            if needFullScan {
                for (tn, rows) in db.tables {
                    for r in rows.values { for (t, _) in strongRefs(tn, r) where pending[t] != nil { referenced.insert(t) } }
                }
            } else {
                for (tn, us) in touchedRows {
                    for u in us { for (t, _) in strongRefs(tn, db.tables[tn]![u]) where pending[t] != nil { referenced.insert(t) } }
                }
            }
            var next: [UUID: String] = [:]
            for (u, tn) in pending where !referenced.contains(u) {
                guard let r = db.tables[tn]![u] else { continue }
                touch(tn, u)
                db.tables[tn]![u] = nil
                for (t, ttn) in strongRefs(tn, r) where !schema.tables[ttn]!.isRoot { next[t] = ttn }
            }
            pending = next
            needFullScan = true
        }
        // Weak references to missing rows disappear; strong ones are errors.
        // Rows to check: those written, and every row of a table that can
        // refer to a table that lost rows.
        var lostRows = Set<String>()
        for (tn, us) in touchedRows where us.contains(where: { db.tables[tn]![$0] == nil && orig(tn, $0) != nil }) {
            lostRows.insert(tn)
        }
        for (tn, ts) in schema.tables {
            let refCols = ts.columns.values.filter { $0.type.key.refTable != nil || $0.type.value?.refTable != nil }
            if refCols.isEmpty { continue }
            let scanAll = refCols.contains { lostRows.contains($0.type.key.refTable ?? "") || lostRows.contains($0.type.value?.refTable ?? "") }
            let toCheck: [(UUID, Row)] = scanAll
                ? Array(db.tables[tn]!)
                : (touchedRows[tn] ?? []).compactMap { u in db.tables[tn]![u].map { (u, $0) } }
            for (u, r) in toCheck {
                var row = r
                var changed = false
                for c in refCols {
                    let d = row.columns[c.name]!
                    var nk: [Atom] = [], nv: [Atom] = []
                    for (i, k) in d.keys.enumerated() {
                        let v = d.values?[i]
                        var keep = true
                        for (atom, bt) in [(k, c.type.key), (v, c.type.value)] {
                            guard let atom, let bt, let rt = bt.refTable, case .uuid(let target) = atom else { continue }
                            if db.tables[rt]![target] != nil { continue }
                            if bt.refType == .weak { keep = false; continue }
                            if orig(rt, target) != nil {
                                throw OVSDBError("referential integrity violation",
                                    "cannot delete \(rt) row \(target) because of \(strongRefCount(to: target, table: rt)) remaining reference(s)")
                            }
                            throw OVSDBError("referential integrity violation",
                                "Table \(tn) column \(c.name) row \(u) references nonexistent row \(target) in table \(rt).")
                        }
                        if keep { nk.append(k); if let v { nv.append(v) } } else { changed = true }
                    }
                    if changed {
                        let nd = Datum(keys: nk, values: d.values == nil ? nil : nv)
                        if nd.count < c.type.min {
                            throw .constraint("Deletion of weak reference(s) leaves column \(c.name) of table \(tn) row \(u) with \(nd.count) value(s), but at least \(c.type.min) are required.")
                        }
                        row.columns[c.name] = nd
                    }
                }
                if changed { touch(tn, u); db.tables[tn]![u] = row }
            }
        }
        // maxRows and indexes.
        for (tn, ts) in schema.tables where touched.contains(tn) {
            let rows = db.tables[tn]!
            if let m = ts.maxRows, rows.count > m {
                throw .constraint("transaction causes \"\(tn)\" table to contain \(rows.count) rows, greater than the schema-defined limit of \(m) row(s)")
            }
            // Only rows this transaction wrote can make a duplicate: index
            // their keys, then compare every other row against them.
            if ts.indexes.isEmpty { continue }
            let written = (touchedRows[tn] ?? []).filter { rows[$0] != nil }.sorted()
            for ix in ts.indexes {
                var seen: [[Datum]: UUID] = [:]
                var pairs: [(UUID, UUID)] = []
                for u in written {
                    let key = ix.map { rows[u]!.columns[$0]! }
                    if let other = seen[key] { pairs.append((other, u)); break }
                    seen[key] = u
                }
                if pairs.isEmpty && !seen.isEmpty {
                    let writtenSet = Set(written)
                    let first = ix[0]
                    var firstValues: [Datum: [([Datum], UUID)]] = [:]
                    for (k, u) in seen { firstValues[k[0], default: []].append((k, u)) }
                    for (u, r) in rows where !writtenSet.contains(u) {
                        guard let cands = firstValues[r.columns[first]!] else { continue }
                        for (k, w) in cands where ix.indices.allSatisfy({ r.columns[ix[$0]]! == k[$0] }) {
                            pairs.append((u, w))
                            break
                        }
                        if !pairs.isEmpty { break }
                    }
                }
                for (u, other) in pairs.prefix(1) {
                    do {
                        // Open vSwitch orders the pair by comparing all columns in its hash
                        // order (so, in effect, arbitrarily); svs puts the greater UUID first.
                        let (a, b) = (max(u, other), min(u, other))
                        func describe(_ x: UUID, _ title: String) -> String {
                            var s = "\(title) row, with UUID \(x), "
                            guard let old = orig(tn, x) else { return s + "was inserted by this transaction." }
                            if old.columns == rows[x]!.columns {
                                s += "existed in the database before this transaction and was not modified by the transaction."
                            } else if ix.allSatisfy({ old.columns[$0] == rows[x]!.columns[$0] }) {
                                s += "existed in the database before this transaction, which modified some of the row's columns but not any columns in this index."
                            } else {
                                s += "had the following index values before the transaction: \(indexValues(ts, ix, old))."
                            }
                            return s
                        }
                        throw .constraint("Transaction causes multiple rows in \"\(tn)\" table to have identical values (\(indexValues(ts, ix, rows[a]!))) for index on \(columnSetString(ix)).  \(describe(a, "First"))  \(describe(b, "Second"))")
                    }
                }
            }
        }
        // The changes, with new versions for modified rows.
        var changes = Changes()
        changes.comment = comment.isEmpty ? nil : comment.joined(separator: "\n")
        for tn in touched.sorted() {
            var tc: [UUID: RowChange] = [:]
            for u in touchedRows[tn] ?? [] {
                guard let r = db.tables[tn]![u] else {
                    if let o = orig(tn, u) { tc[u] = RowChange(old: o, new: nil) }
                    continue
                }
                if let o = orig(tn, u) {
                    if o.columns != r.columns {
                        var nr = r
                        nr.version = UUID.random()
                        db.tables[tn]![u] = nr
                        tc[u] = RowChange(old: o, new: nr)
                    } else if o.version != r.version {
                        db.tables[tn]![u] = o
                    }
                } else {
                    tc[u] = RowChange(old: nil, new: r)
                }
            }

            if !tc.isEmpty { changes.tables[tn] = tc }
        }
        return changes
    }
}


