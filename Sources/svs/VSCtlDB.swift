import OVSDB
import OVSDBClient

/// The database as vsctl commands see it: the replica's rows plus this
/// run's changes (inserted, written and deleted rows), which become one
/// RFC 7047 transaction at commit — the role of OVS's IDL transaction.
struct VSCtlDB {
    let schema: DatabaseSchema
    /// Table name to rows by UUID, with this run's changes applied.
    var rows: [String: [UUID: ReplicaRow]]
    /// Rows inserted by this run (temporary UUIDs), in insertion order.
    var inserted: [(table: String, uuid: UUID)] = []
    /// Columns written per row (existing and inserted rows).
    var written: [UUID: Set<String>] = [:]
    /// Partial updates: elements to insert into a set or map column of an
    /// existing row, sent as a `mutate` (ovs-vsctl does this for the last `add`).
    var mutations: [(table: String, uuid: UUID, column: String, value: Datum, type: ColumnType)] = []
    /// Existing rows deleted by this run.
    var deleted: [(table: String, uuid: UUID)] = []

    /// The rows as read from the replica, before this run's changes.
    let base: [String: [UUID: ReplicaRow]]

    init(schema: DatabaseSchema, replica: Replica) {
        self.schema = schema
        var rows: [String: [UUID: ReplicaRow]] = [:]
        for name in schema.tables.keys { rows[name] = replica.rows(name) }
        self.rows = rows
        self.base = rows
    }

    /// One `wait` per updated existing row: the written columns still hold
    /// the values this run read. If another client changed them meanwhile,
    /// the transaction fails with "timed out" and the run starts over on the
    /// new contents (the job of OVS's IDL `verify`).
    func verifications() -> [JSON] {
        var ops: [JSON] = []
        for table in schema.tables.keys.sorted() {
            let ts = tableSchema(table)
            for uuid in uuids(table) {
                guard let cols = written[uuid], !cols.isEmpty, let old = base[table]?[uuid] else { continue }
                var row: [(String, JSON)] = []
                for c in cols.sorted() {
                    guard let cs = ts.columns[c] else { continue }
                    row.append((c, (old[c] ?? Datum.defaultValue(cs.type)).json(cs.type)))
                }
                ops.append(.object([("op", .string("wait")), ("timeout", .int(0)), ("table", .string(table)),
                                    ("where", .array([Condition.uuid(uuid).json])),
                                    ("columns", .array(row.map { .string($0.0) })), ("until", .string("==")),
                                    ("rows", .array([.object(row)]))]))
            }
        }
        return ops
    }

    var hasChanges: Bool {
        !inserted.isEmpty || !deleted.isEmpty || !mutations.isEmpty || written.values.contains { !$0.isEmpty }
    }

    /// Adds elements to a column by a mutation; the view shows their union.
    mutating func mutateInsert(_ table: String, _ uuid: UUID, _ column: String, _ value: Datum, _ type: ColumnType) {
        var d = read(table, uuid, column)
        for (i, k) in value.keys.enumerated() where !d.keys.contains(k) {
            d.keys.append(k)
            if d.values != nil { d.values!.append(value.values![i]) }
        }
        let order = d.keys.indices.sorted { d.keys[$0] < d.keys[$1] }
        rows[table]?[uuid]?[column] = Datum(keys: order.map { d.keys[$0] }, values: d.values.map { v in order.map { v[$0] } })
        mutations.append((table, uuid, column, value, type))
    }

    func tableSchema(_ t: String) -> TableSchema { schema.tables[t]! }

    /// UUIDs of `table`'s rows in a stable order (by UUID, as OVS datums sort).
    func uuids(_ table: String) -> [UUID] { (rows[table] ?? [:]).keys.sorted() }

    func row(_ table: String, _ uuid: UUID) -> ReplicaRow? { rows[table]?[uuid] }

    /// The value of `column` in a row (the column's default when absent).
    func read(_ table: String, _ uuid: UUID, _ column: String) -> Datum {
        if let d = rows[table]?[uuid]?[column] { return d }
        guard let c = schema.tables[table]?.columns[column] else { return Datum() }
        return Datum.defaultValue(c.type)
    }

    func isInserted(_ uuid: UUID) -> Bool { inserted.contains { $0.uuid == uuid } }

    /// Inserts a row with every column at its default; returns its (temporary) UUID.
    @discardableResult
    mutating func insert(_ table: String, uuid: UUID = .random()) -> UUID {
        var r: ReplicaRow = [:]
        for (name, c) in tableSchema(table).columns { r[name] = Datum.defaultValue(c.type) }
        rows[table, default: [:]][uuid] = r
        inserted.append((table, uuid))
        written[uuid] = []
        return uuid
    }

    /// Sets a column; as OVS's IDL, writing an existing row's current value is no change.
    mutating func write(_ table: String, _ uuid: UUID, _ column: String, _ value: Datum) {
        if !isInserted(uuid), read(table, uuid, column) == value { return }
        rows[table]?[uuid]?[column] = value
        written[uuid, default: []].insert(column)
    }

    mutating func delete(_ table: String, _ uuid: UUID) {
        guard rows[table]?[uuid] != nil else { return }
        rows[table]?[uuid] = nil
        written[uuid] = nil
        if let i = inserted.firstIndex(where: { $0.uuid == uuid }) {
            inserted.remove(at: i)
        } else {
            deleted.append((table, uuid))
        }
    }

    /// The uuid-name of an inserted row, as OVS's IDL spells it.
    static func uuidName(_ u: UUID) -> String { "row" + u.string.replacingDashes() }

    /// The operations that make the server's database match this view.
    func operations() -> [JSON] {
        let names = Set(inserted.map(\.uuid))
        func encode(_ d: Datum, _ t: ColumnType) -> JSON { VSCtlDB.nameInserted(d.json(t), names) }
        var ops: [JSON] = []
        for (table, uuid) in inserted {
            let ts = tableSchema(table)
            var row: [(String, JSON)] = []
            for c in (written[uuid] ?? []).sorted() {
                guard let cs = ts.columns[c] else { continue }
                row.append((c, encode(read(table, uuid, c), cs.type)))
            }
            ops.append(.object([("op", .string("insert")), ("table", .string(table)), ("row", .object(row)),
                                ("uuid-name", .string(VSCtlDB.uuidName(uuid)))]))
        }
        for table in schema.tables.keys.sorted() {
            let ts = tableSchema(table)
            for uuid in uuids(table) where !names.contains(uuid) {
                guard let cols = written[uuid], !cols.isEmpty else { continue }
                var row: [(String, JSON)] = []
                for c in cols.sorted() {
                    guard let cs = ts.columns[c] else { continue }
                    row.append((c, encode(read(table, uuid, c), cs.type)))
                }
                ops.append(.object([("op", .string("update")), ("table", .string(table)),
                                    ("where", .array([Condition.uuid(uuid).json])), ("row", .object(row))]))
            }
        }
        for m in mutations where rows[m.table]?[m.uuid] != nil {
            let value: JSON = m.type.isMap ? m.value.json(m.type)
                : .array([.string("set"), .array(m.value.keys.map(\.json))])
            ops.append(.object([("op", .string("mutate")), ("table", .string(m.table)),
                                ("where", .array([Condition.uuid(m.uuid).json])),
                                ("mutations", .array([.array([.string(m.column), .string("insert"),
                                                              VSCtlDB.nameInserted(value, names)])]))]))
        }
        // As OVS's IDL: only rows of root tables are deleted explicitly; the
        // server collects an unreferenced non-root row itself, and keeps
        // (and reports) one still referenced.
        for (table, uuid) in deleted where tableSchema(table).isRoot {
            ops.append(.object([("op", .string("delete")), ("table", .string(table)),
                                ("where", .array([Condition.uuid(uuid).json]))]))
        }
        return ops
    }

    /// Replaces `["uuid", u]` by `["named-uuid", name]` for inserted rows.
    static func nameInserted(_ j: JSON, _ names: Set<UUID>) -> JSON {
        guard case .array(let a) = j else { return j }
        if a.count == 2, a[0] == .string("uuid"), let s = a[1].stringValue, let u = UUID(s) {
            return names.contains(u) ? .array([.string("named-uuid"), .string(uuidName(u))]) : j
        }
        return .array(a.map { nameInserted($0, names) })
    }
}

extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}

/// ovs-vsctl's view of bridges, ports and interfaces (its "cache"):
/// real bridges, fake (VLAN) bridges made from ports with `fake_bridge`,
/// and which bridge each port and interface belongs to.
struct VSCtlCache {
    struct Bridge {
        var name: String
        /// The Bridge row; nil for a fake bridge.
        var uuid: UUID?
        var parent: String?
        var vlan: Int
        var ports: [String] = []
    }
    struct Port {
        var name: String
        var uuid: UUID
        var bridge: String
        var ifaces: [String] = []
    }
    struct Iface {
        var name: String
        var uuid: UUID
        var port: String
    }
    var bridges: [String: Bridge] = [:]
    var ports: [String: Port] = [:]
    var ifaces: [String: Iface] = [:]
    /// The Open_vSwitch row.
    var ovs: UUID

    init(_ db: VSCtlDB, ovs: UUID) {
        self.ovs = ovs
        let bridgeRows = db.read("Open_vSwitch", ovs, "bridges").keys.compactMap(\.uuidValue)
        func name(_ t: String, _ u: UUID) -> String { db.read(t, u, "name").keys.first?.stringValue ?? "" }
        func isFake(_ p: UUID) -> Bool {
            guard db.read("Port", p, "fake_bridge").keys.first == .boolean(true),
                  let tag = db.read("Port", p, "tag").keys.first?.integerValue else { return false }
            return tag >= 0 && tag <= 4095
        }
        var seenBridges = Set<String>(), seenPorts = Set<String>()
        for b in bridgeRows where db.row("Bridge", b) != nil {
            let bn = name("Bridge", b)
            guard seenBridges.insert(bn).inserted else { continue }
            bridges[bn] = Bridge(name: bn, uuid: b, parent: nil, vlan: 0)
            for p in db.read("Bridge", b, "ports").keys.compactMap(\.uuidValue) where db.row("Port", p) != nil {
                let pn = name("Port", p)
                guard seenPorts.insert(pn).inserted else { continue }
                if isFake(p), seenBridges.insert(pn).inserted, let tag = db.read("Port", p, "tag").keys.first?.integerValue {
                    // (OVS warns about a second fake bridge on the same VLAN and keeps both names.)
                    bridges[pn] = Bridge(name: pn, uuid: nil, parent: bn, vlan: Int(tag))
                }
            }
        }
        var seen2 = Set<String>()
        for b in bridgeRows where db.row("Bridge", b) != nil {
            let bn = name("Bridge", b)
            guard seen2.insert(bn).inserted else { continue }
            for p in db.read("Bridge", b, "ports").keys.compactMap(\.uuidValue) where db.row("Port", p) != nil {
                let pn = name("Port", p)
                if ports[pn] != nil { continue }
                if isFake(p) && !seen2.insert(pn).inserted { continue }
                var owner = bn
                if let tag = db.read("Port", p, "tag").keys.first?.integerValue, tag >= 0, tag <= 4095,
                   let child = bridges.values.first(where: { $0.parent == bn && $0.vlan == Int(tag) }) {
                    owner = child.name
                }
                var port = Port(name: pn, uuid: p, bridge: owner)
                for i in db.read("Port", p, "interfaces").keys.compactMap(\.uuidValue) where db.row("Interface", i) != nil {
                    let iname = name("Interface", i)
                    if ifaces[iname] != nil { continue }
                    ifaces[iname] = Iface(name: iname, uuid: i, port: pn)
                    port.ifaces.append(iname)
                }
                ports[pn] = port
                bridges[owner]?.ports.append(pn)
            }
        }
    }

    /// The real bridge a bridge's ports live in.
    func realBridge(_ b: Bridge) -> Bridge { b.parent.flatMap { bridges[$0] } ?? b }

    func findBridge(_ name: String, mustExist: Bool) throws(VSCtlError) -> Bridge? {
        let b = bridges[name]
        if mustExist && b == nil { throw VSCtlError("no bridge named \(name)") }
        return b
    }

    func findPort(_ name: String, mustExist: Bool) throws(VSCtlError) -> Port? {
        var p = ports[name]
        if let q = p, q.name == q.bridge { p = nil }
        if mustExist && p == nil { throw VSCtlError("no port named \(name)") }
        return p
    }

    func findIface(_ name: String, mustExist: Bool) throws(VSCtlError) -> Iface? {
        var i = ifaces[name]
        if let j = i, let p = ports[j.port], name == p.bridge { i = nil }
        if mustExist && i == nil { throw VSCtlError("no interface named \(name)") }
        return i
    }

    func checkConflicts(_ name: String, _ msg: String) throws(VSCtlError) {
        if bridges[name] != nil { throw VSCtlError("\(msg) because a bridge named \(name) already exists") }
        if let p = ports[name] { throw VSCtlError("\(msg) because a port named \(name) already exists on bridge \(p.bridge)") }
        if let i = ifaces[name], let p = ports[i.port] {
            throw VSCtlError("\(msg) because an interface named \(name) already exists on bridge \(p.bridge)")
        }
    }
}
