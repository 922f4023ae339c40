/// Which kinds of row change a monitor reports (RFC 7047 §4.1.5 "select").
public struct MonitorSelect: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let initial = MonitorSelect(rawValue: 1)
    public static let insert = MonitorSelect(rawValue: 2)
    public static let delete = MonitorSelect(rawValue: 4)
    public static let modify = MonitorSelect(rawValue: 8)
    public static let all: MonitorSelect = [.initial, .insert, .delete, .modify]
}

/// What a monitor watches in one table: columns (in request order), the
/// changes selected and, for `monitor_cond`/`monitor_cond_since`, the rows'
/// condition.
public struct MonitoredTable: Sendable {
    public var name: String
    public var columns: [(name: String, type: ColumnType)] = []
    public var select: MonitorSelect = []
    public var condition = Condition.always
}

/// One monitor of a client session (RFC 7047 §4.1.5, and Open vSwitch's
/// `monitor_cond` and `monitor_cond_since` extensions): parses the monitor
/// requests and composes the `<table-updates>` (version 1, `update`) or
/// `<table-updates2>` (versions 2 and 3, `update2`/`update3`) for the initial
/// contents, for a committed transaction, and for a condition change.
public struct Monitor: Sendable {
    public enum Version: Int, Sendable { case v1 = 1, v2, v3 }

    public let version: Version
    /// The monitored tables, in the order the request named them.
    public private(set) var tables: [MonitoredTable] = []

    /// Parses `<monitor-requests>` against `schema`, with Open vSwitch's
    /// error strings.
    public init(version: Version, schema: DatabaseSchema, requests: JSON) throws(OVSDBError) {
        self.version = version
        guard let members = requests.objectValue else {
            throw .syntax("monitor-requests must be object", requests)
        }
        for (tn, value) in members {
            guard let ts = schema.tables[tn] else { throw .syntax("no table named \(tn)") }
            var mt = MonitoredTable(name: tn)
            let reqs = value.arrayValue ?? [value]
            for r in reqs { try Self.parse(r, table: ts, into: &mt, conditional: version != .v1) }
            if let i = tables.firstIndex(where: { $0.name == tn }) { tables[i] = mt } else { tables.append(mt) }
        }
    }

    private static func parse(_ r: JSON, table ts: TableSchema, into mt: inout MonitoredTable, conditional: Bool) throws(OVSDBError) {
        guard let members = r.objectValue else {
            throw .syntax("table \(ts.name) is not an object", r)
        }
        for (k, _) in members where !(k == "columns" || k == "select" || (conditional && k == "where")) {
            throw .syntax("table \(ts.name): Member '\(k)' is present but not allowed here.", r)
        }
        var select: MonitorSelect = .all
        if let sj = r["select"] {
            guard let sm = sj.objectValue else { throw .syntax("table \(ts.name): Type mismatch for member 'select'.", r) }
            select = []
            let names: [(String, MonitorSelect)] = [("initial", .initial), ("insert", .insert), ("delete", .delete), ("modify", .modify)]
            for (k, v) in sm {
                guard let flag = names.first(where: { $0.0 == k })?.1 else {
                    throw .syntax("table \(ts.name) select: Member '\(k)' is present but not allowed here.", sj)
                }
                guard let b = v.boolValue else { throw .syntax("table \(ts.name) select: Type mismatch for member '\(k)'.", sj) }
                if b { select.insert(flag) }
            }
            for (k, flag) in names where sm.first(where: { $0.0 == k }) == nil { select.insert(flag) }
        }
        mt.select.formUnion(select)
        var names: [String]
        if let cj = r["columns"] {
            guard let ca = cj.arrayValue else { throw .syntax("array of column names expected", cj) }
            names = []
            for c in ca {
                guard let s = c.stringValue else { throw .syntax("array of column names expected", cj) }
                guard s == "_version" || ts.columns[s] != nil else { throw .syntax("\(s) is not a valid column name", cj) }
                names.append(s)
            }
        } else {
            names = ts.columnOrder + ["_version"]
        }
        for n in names {
            if mt.columns.contains(where: { $0.name == n }) { throw .syntax("column \(n) mentioned more than once", r["columns"]) }
            mt.columns.append((n, ts.columns[n]?.type ?? ColumnType(key: BaseType(type: .uuid))))
        }
        if conditional, let w = r["where"] {
            mt.condition = try Condition.parse(w, table: ts)
        }
    }

    /// The initial contents: every row the conditions select, when the
    /// table's selection includes `initial`. An empty object when none.
    public func initial(_ db: Database) -> JSON {
        var out: [(String, JSON)] = []
        for mt in tables where mt.select.contains(.initial) {
            guard let rows = db.tables[mt.name] else { continue }
            var tu: [(String, JSON)] = []
            for (u, r) in rows.sorted(by: { $0.key < $1.key }) where mt.condition.matches(r) {
                switch version {
                case .v1: tu.append((u.string, .object([("new", Self.rowJSON(r, mt.columns))])))
                case .v2, .v3: tu.append((u.string, .object([("initial", Self.rowJSON(r, mt.columns, skipDefaults: true))])))
                }
            }
            if !tu.isEmpty { out.append((mt.name, .object(tu))) }
        }
        return .object(out)
    }

    /// The updates one committed transaction makes visible, or nil when none.
    public func update(_ changes: Changes) -> JSON? {
        var out: [(String, JSON)] = []
        for mt in tables {
            guard let tc = changes.tables[mt.name], !tc.isEmpty else { continue }
            var tu: [(String, JSON)] = []
            for (u, ch) in tc.sorted(by: { $0.key < $1.key }) {
                if let ru = rowUpdate(mt, old: ch.old, new: ch.new) { tu.append((u.string, ru)) }
            }
            if !tu.isEmpty { out.append((mt.name, .object(tu))) }
        }
        return out.isEmpty ? nil : .object(out)
    }

    private func rowUpdate(_ mt: MonitoredTable, old: Row?, new: Row?) -> JSON? {
        switch version {
        case .v1:
            if let old, let new {
                guard mt.select.contains(.modify) else { return nil }
                let changed = mt.columns.filter { old.value($0.name) != new.value($0.name) }
                if changed.isEmpty { return nil }
                return .object([("old", Self.rowJSON(old, changed)), ("new", Self.rowJSON(new, mt.columns))])
            } else if let new {
                guard mt.select.contains(.insert) else { return nil }
                return .object([("new", Self.rowJSON(new, mt.columns))])
            } else if let old {
                guard mt.select.contains(.delete) else { return nil }
                return .object([("old", Self.rowJSON(old, mt.columns))])
            }
            return nil
        case .v2, .v3:
            let om = old.map { mt.condition.matches($0) } ?? false
            let nm = new.map { mt.condition.matches($0) } ?? false
            switch (om, nm) {
            case (true, true):
                guard mt.select.contains(.modify), let old, let new else { return nil }
                var diff: [(String, JSON)] = []
                for c in mt.columns {
                    guard let ov = old.value(c.name), let nv = new.value(c.name), ov != nv else { continue }
                    diff.append((c.name, c.type.max == 1 ? nv.json(c.type) : Datum.diff(ov, nv).json(c.type)))
                }
                return diff.isEmpty ? nil : .object([("modify", .object(diff))])
            case (false, true):
                guard mt.select.contains(.insert), let new else { return nil }
                return .object([("insert", Self.rowJSON(new, mt.columns, skipDefaults: true))])
            case (true, false):
                guard mt.select.contains(.delete) else { return nil }
                return .object([("delete", .null)])
            case (false, false):
                return nil
            }
        }
    }

    /// Replaces the conditions of the tables `requests` names (the params of
    /// `monitor_cond_change`) and returns the updates that bring the client
    /// from the old selection to the new one (nil when none).
    public mutating func changeConditions(_ requests: JSON, schema: DatabaseSchema, db: Database) throws(OVSDBError) -> JSON? {
        guard let members = requests.objectValue else {
            throw .syntax("monitor-cond-change-requests must be object")
        }
        var next = tables
        for (tn, value) in members {
            guard let ts = schema.tables[tn] else { throw .syntax("no table named \(tn)") }
            guard let i = next.firstIndex(where: { $0.name == tn }) else {
                throw .syntax("no table named \(tn) in monitor session")
            }
            guard let reqs = value.arrayValue else { throw .syntax("table \(tn) no monitor-cond-change JSON array") }
            for r in reqs {
                guard let m = r.objectValue else { throw .syntax("table \(tn) is not an object", r) }
                for (k, _) in m where k != "columns" && k != "where" {
                    throw .syntax("table \(tn): Member '\(k)' is present but not allowed here.", r)
                }
                if r["columns"] != nil { throw .syntax("changing columns is unsupported", r) }
                next[i].condition = try Condition.parse(r["where"], table: ts)
            }
        }
        var out: [(String, JSON)] = []
        for (i, mt) in next.enumerated() {
            let oldCond = tables[i].condition
            guard let rows = db.tables[mt.name] else { continue }
            var tu: [(String, JSON)] = []
            for (u, r) in rows.sorted(by: { $0.key < $1.key }) {
                let om = oldCond.matches(r), nm = mt.condition.matches(r)
                if om && !nm && mt.select.contains(.delete) {
                    tu.append((u.string, .object([("delete", .null)])))
                } else if !om && nm && mt.select.contains(.insert) {
                    tu.append((u.string, .object([("insert", Self.rowJSON(r, mt.columns, skipDefaults: true))])))
                }
            }
            if !tu.isEmpty { out.append((mt.name, .object(tu))) }
        }
        tables = next
        return out.isEmpty ? nil : .object(out)
    }

    static func rowJSON(_ r: Row, _ columns: [(name: String, type: ColumnType)], skipDefaults: Bool = false) -> JSON {
        var m: [(String, JSON)] = []
        for c in columns {
            guard let v = r.value(c.name) else { continue }
            if skipDefaults && c.name != "_version" && v == Datum.defaultValue(c.type) { continue }
            m.append((c.name, v.json(c.type)))
        }
        return .object(m)
    }
}
