import OVSDB

/// A row of the replica: column name to value (only monitored columns).
public typealias ReplicaRow = [String: Datum]

/// A local copy of monitored tables, kept current by `update` (RFC 7047
/// 4.1.6) and `update2` (Open vSwitch's monitor_cond) notifications.
public struct Replica: Sendable {
    /// The schema of the monitored database (empty before monitoring starts).
    public private(set) var schema: DatabaseSchema?
    /// Table name to rows by UUID.
    public private(set) var tables: [String: [UUID: ReplicaRow]] = [:]

    public init() {}
    public init(schema: DatabaseSchema) { self.schema = schema }

    /// The rows of `table`, empty when not monitored.
    public func rows(_ table: String) -> [UUID: ReplicaRow] { tables[table] ?? [:] }

    /// Applies a `<table-updates>` (version 1) or `<table-updates2>` object.
    public mutating func apply(_ updates: JSON, version2: Bool) throws(OVSDBError) {
        guard let schema else { throw .syntax("replica has no schema") }
        guard let ts = updates.objectValue else {
            if updates == .null { return }
            throw .syntax("table updates must be an object", updates)
        }
        for (tableName, rowsJSON) in ts {
            guard let table = schema.tables[tableName] else { throw .syntax("unknown table \(tableName)") }
            guard let rowUpdates = rowsJSON.objectValue else { throw .syntax("row updates must be an object", rowsJSON) }
            var rows = tables[tableName] ?? [:]
            for (uuidText, change) in rowUpdates {
                guard let uuid = UUID(uuidText) else { throw .syntax("bad row UUID \(uuidText)") }
                if version2 {
                    if let r = change["initial"] ?? change["insert"] {
                        rows[uuid] = try Replica.parseRow(r, table, diff: false)
                    } else if change["delete"] != nil {
                        rows[uuid] = nil
                    } else if let d = change["modify"] {
                        var row = rows[uuid] ?? [:]
                        for (c, diff) in try Replica.parseRow(d, table, diff: true) {
                            guard let ct = table.columns[c]?.type else { continue }
                            row[c] = Replica.applyDiff(row[c] ?? Datum.defaultValue(ct), diff, type: ct)
                        }
                        rows[uuid] = row
                    }
                } else {
                    if let n = change["new"], n != .null {
                        // "new" holds every monitored column for inserts and modifies.
                        var row = rows[uuid] ?? [:]
                        for (c, v) in try Replica.parseRow(n, table, diff: false) { row[c] = v }
                        rows[uuid] = row
                    } else {
                        rows[uuid] = nil
                    }
                }
            }
            tables[tableName] = rows
        }
    }

    static func parseRow(_ j: JSON, _ table: TableSchema, diff: Bool) throws(OVSDBError) -> ReplicaRow {
        guard let members = j.objectValue else { throw .syntax("row must be an object", j) }
        var row: ReplicaRow = [:]
        for (c, v) in members {
            guard var t = table.columns[c]?.type else { continue }  // _uuid, _version
            if diff { t.min = 0; t.max = Int.max }
            row[c] = try Datum.from(json: v, type: t)
        }
        return row
    }

    /// Applies an update2 column diff: scalars and optional scalars (sets
    /// of at most one atom, as Open vSwitch's servers send them: the new
    /// value, `["set",[]]` when cleared) are replaced; sets take the
    /// symmetric difference; map keys are removed when the diff has the same
    /// pair, updated when the value differs, inserted when new.
    static func applyDiff(_ old: Datum, _ diff: Datum, type: ColumnType) -> Datum {
        if type.isScalar || (type.value == nil && type.max == 1) { return diff }
        var pairs: [Atom: Atom?] = [:]
        for (i, k) in old.keys.enumerated() { pairs.updateValue(old.values?[i], forKey: k) }
        for (i, k) in diff.keys.enumerated() {
            let dv = diff.values?[i]
            if let existing = pairs[k] {
                if type.isMap, existing != dv { pairs.updateValue(dv, forKey: k) } else { pairs[k] = nil }
            } else {
                pairs.updateValue(dv, forKey: k)
            }
        }
        let keys = pairs.keys.sorted()
        return Datum(keys: keys, values: type.isMap ? keys.map { pairs[$0]!! } : nil)
    }
}
