import OVSDB

/// A blocking JSON-RPC client of an OVSDB server (RFC 7047 section 4).
///
/// Requests carry increasing integer ids; while it waits for a reply the
/// client answers the server's `echo` and applies `update`/`update2`
/// notifications to its `replica`. Not thread-safe: use it from one thread.
public final class OVSDBClient {
    let connection: JSONStreamConnection
    var nextID: Int64 = 0
    /// The tables the client monitors, kept up to date by notifications.
    public internal(set) var replica = Replica()
    /// Notifications other than monitor updates, oldest first.
    public var pendingNotifications: [(method: String, params: JSON)] = []
    /// How many monitor updates have been applied (for waiting on changes).
    public internal(set) var updatesApplied = 0
    /// The monitor id this client uses.
    let monitorID = JSON.string("svs-replica")

    /// Connects to `unix:PATH` or `tcp:IP:PORT`.
    public init(remote: String) throws(OVSDBClientError) {
        connection = try JSONStreamConnection(remote: remote)
    }

    /// Sends a request and waits for its reply, handling whatever arrives first.
    /// Returns the `result`; a non-null `error` throws `.rpc`.
    public func call(_ method: String, _ params: [JSON], timeout: Duration? = nil) throws(OVSDBClientError) -> JSON {
        nextID += 1
        let id = JSON.int(nextID)
        try connection.send(.object([("method", .string(method)), ("params", .array(params)), ("id", id)]))
        while true {
            let m = try connection.receive(timeout: timeout)
            if m["id"] == id, m["method"] == nil {
                if let e = m["error"], e != .null { throw .rpc(e) }
                return m["result"] ?? .null
            }
            try handle(m)
        }
    }

    /// Handles one message that is not the awaited reply.
    func handle(_ m: JSON) throws(OVSDBClientError) {
        guard let method = m["method"]?.stringValue else { return }  // a stray reply
        let params = m["params"] ?? .array([])
        if method == "echo", let id = m["id"], id != .null {
            try connection.send(.object([("result", params), ("error", .null), ("id", id)]))
            return
        }
        if method == "update" || method == "update2", let p = params.arrayValue, p.count >= 2 {
            do { try replica.apply(p[1], version2: method == "update2") } catch {
                throw .protocolError("bad \(method): \(error)")
            }
            updatesApplied += 1
            return
        }
        pendingNotifications.append((method, params))
    }

    /// Waits up to `timeout` for one message from the server and handles it
    /// (monitor updates land in `replica`). Returns false on timeout.
    @discardableResult
    public func poll(timeout: Duration?) throws(OVSDBClientError) -> Bool {
        do {
            let m = try connection.receive(timeout: timeout)
            try handle(m)
            return true
        } catch .timeout {
            return false
        }
    }

    /// The names of the server's databases.
    public func listDatabases() throws(OVSDBClientError) -> [String] {
        let r = try call("list_dbs", [])
        guard let a = r.arrayValue else { throw .protocolError("list_dbs reply is not an array") }
        return a.compactMap(\.stringValue)
    }

    /// The schema of database `name`.
    public func schema(_ name: String) throws(OVSDBClientError) -> DatabaseSchema {
        let r = try call("get_schema", [.string(name)])
        do { return try DatabaseSchema(json: r) } catch { throw .protocolError("bad schema: \(error)") }
    }

    /// Runs raw RFC 7047 operations; returns the per-operation results.
    /// Throws `.transaction` when an operation (or the commit) failed.
    public func transact(_ database: String, _ operations: [JSON], timeout: Duration? = nil) throws(OVSDBClientError) -> [JSON] {
        let r = try call("transact", [.string(database)] + operations, timeout: timeout)
        guard let results = r.arrayValue else { throw .protocolError("transact reply is not an array") }
        for (i, res) in results.enumerated() {
            if let e = res["error"]?.stringValue {
                throw .transaction(TransactionFailure(index: i, error: e, details: res["details"]?.stringValue ?? "",
                                                      operation: i < operations.count ? operations[i] : nil))
            }
        }
        return results
    }

    /// Runs a transaction built with `Transaction`.
    public func transact(_ t: Transaction, timeout: Duration? = nil) throws(OVSDBClientError) -> TransactionResult {
        let results = try transact(t.database, t.operations, timeout: timeout)
        var uuids: [String: UUID] = [:]
        for (name, index) in t.namedInserts where index < results.count {
            if let a = results[index]["uuid"]?.arrayValue, a.count == 2, let s = a[1].stringValue, let u = UUID(s) {
                uuids[name] = u
            }
        }
        return TransactionResult(results: results, insertedUUIDs: uuids)
    }

    /// Starts monitoring `tables` of `database` (column names, or nil for all
    /// of them) into `replica`. Uses `monitor_cond` (update2) unless
    /// `conditional` is false, then plain `monitor`.
    public func monitor(_ database: String, schema: DatabaseSchema, tables: [String: [String]?],
                        conditional: Bool = true) throws(OVSDBClientError) {
        var requests: [(String, JSON)] = []
        for (t, columns) in tables.sorted(by: { $0.key < $1.key }) {
            guard let ts = schema.tables[t] else { throw .protocolError("no table \(t) in schema") }
            let cols = columns ?? ts.columnOrder
            requests.append((t, .object([("columns", .array(cols.map { .string($0) }))])))
        }
        replica = Replica(schema: schema)
        let r = try call(conditional ? "monitor_cond" : "monitor", [.string(database), monitorID, .object(requests)])
        do { try replica.apply(r, version2: conditional) } catch { throw .protocolError("bad monitor reply: \(error)") }
        updatesApplied += 1
    }
}

extension OVSDBClient {
    /// Fills `replica` with the current rows of `tables` (column names, or
    /// nil for all) by one `select` transaction: a snapshot for servers
    /// without `monitor`. Later changes do not reach it; call again to refresh.
    public func loadSnapshot(_ database: String, schema: DatabaseSchema, tables: [String: [String]?]) throws(OVSDBClientError) {
        let names = tables.keys.sorted()
        var t = Transaction(database: database)
        for name in names {
            guard let ts = schema.tables[name] else { throw .protocolError("no table \(name) in schema") }
            t.select(name, where: [], columns: ["_uuid"] + ((tables[name] ?? nil) ?? ts.columnOrder))
        }
        let results = try transact(t).results
        var updates: [(String, JSON)] = []
        for (i, name) in names.enumerated() where i < results.count {
            var rows: [(String, JSON)] = []
            for row in results[i]["rows"]?.arrayValue ?? [] {
                guard let u = row["_uuid"]?.arrayValue, u.count == 2, let id = u[1].stringValue else { continue }
                rows.append((id, .object([("new", row)])))
            }
            updates.append((name, .object(rows)))
        }
        var fresh = Replica(schema: schema)
        do { try fresh.apply(.object(updates), version2: false) } catch { throw .protocolError("bad select reply: \(error)") }
        replica = fresh
        updatesApplied += 1
    }
}

/// A failed transaction: the first operation with an error (or the commit
/// when `index` is past the operations), with the server's RFC 7047 strings.
public struct TransactionFailure: Equatable, Sendable, CustomStringConvertible {
    public var index: Int
    public var error: String
    public var details: String
    public var operation: JSON?
    public var description: String { details.isEmpty ? error : "\(error): \(details)" }
}

/// The outcome of a successful transaction.
public struct TransactionResult: Sendable {
    /// One result object per operation.
    public var results: [JSON]
    /// The UUIDs the server gave to rows inserted with a uuid-name.
    public var insertedUUIDs: [String: UUID]
}
