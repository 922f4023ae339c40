import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OVSDB
#if canImport(Glibc)
import Glibc
#endif

/// One client of the server: its monitors, the locks it asked for, and the
/// way messages reach it. Its state is only touched under the service lock.
public final class OVSDBSession: @unchecked Sendable {
    /// Sends one JSON-RPC message to the client (must not block).
    let send: @Sendable (JSON) -> Void
    /// Monitors by the text of their id: the database and the monitor.
    var monitors: [String: (db: String, id: JSON, monitor: Monitor)] = [:]
    /// Locks this session asked for ("lock" or "steal"), owned or waited for.
    var lockNames: Set<String> = []
    /// Set by "set_db_change_aware".
    var dbChangeAware = false
    var closed = false

    init(send: @escaping @Sendable (JSON) -> Void) { self.send = send }
}

/// The databases a server serves and the JSON-RPC methods on them
/// (RFC 7047 §4.1 and Open vSwitch's extensions: monitor_cond,
/// monitor_cond_since, monitor_cond_change, set_db_change_aware,
/// get_server_id), with the `_Server` database. Thread-safe: every request
/// runs under one lock.
///
/// Durability: a committed transaction's record is written (write(2))
/// before its reply, so it survives the server's death; the reply to a
/// transaction with `{"op":"commit","durable":true}` waits for an fsync.
/// fsyncs run on a separate thread and cover every record written before
/// them (group commit), so the event loop never waits for the disk.
public final class OVSDBService: @unchecked Sendable {
    private let lock = NIOLock()
    private var files: [String: DatabaseFile] = [:]
    private var order: [String] = []
    private var serverDB: Database
    private var sessions: [ObjectIdentifier: OVSDBSession] = [:]
    /// Per lock name, the sessions that asked for it; the first owns it.
    private var lockQueues: [String: [OVSDBSession]] = [:]
    private let serverID = UUID.random()
    private let syncPool: NIOThreadPool?
    /// Per database: an fsync is running, and the replies waiting for the
    /// next fsync to finish.
    private var syncRunning: Set<String> = []
    private var syncWaiters: [String: [@Sendable () -> Void]] = [:]
    /// Compact a file when it is this much larger than after its last compaction.
    public var compactionFactor = 4
    /// ... and at least this large (bytes).
    public var compactionMinimum = 10 << 20
    /// How long (µs) records no reply waits for may stay unsynced.
    public var backgroundSyncDelay = 200_000

    /// A service for `databases`. With a thread pool, fsyncs run on it;
    /// without, durable commits fsync inline.
    public init(databases: [DatabaseFile], syncPool: NIOThreadPool? = nil) {
        self.syncPool = syncPool
        for f in databases {
            let name = f.db.schema.name
            if files[name] == nil { order.append(name) }
            files[name] = f
        }
        serverDB = Database(schema: Schemas.server())
        var ops: [JSON] = []
        for name in order + ["_Server"] {
            let schemaText = name == "_Server" ? Schemas.server().json.text : files[name]!.db.schema.json.text
            ops.append(.object([("op", .string("insert")), ("table", .string("Database")), ("row", .object([
                ("name", .string(name)), ("model", .string("standalone")), ("connected", .bool(true)),
                ("leader", .bool(true)), ("schema", .string(schemaText)),
            ]))]))
        }
        _ = serverDB.transact(ops)
    }

    /// The names `list_dbs` reports: the databases, then `_Server`.
    public var databaseNames: [String] { lock.withLock { order + ["_Server"] } }

    // MARK: sessions

    /// Registers a client; `send` delivers replies and notifications.
    public func openSession(send: @escaping @Sendable (JSON) -> Void) -> OVSDBSession {
        let s = OVSDBSession(send: send)
        lock.withLock { sessions[ObjectIdentifier(s)] = s }
        return s
    }

    /// Forgets a client: its monitors go, its locks pass to the next waiters.
    public func closeSession(_ s: OVSDBSession) {
        lock.withLock {
            s.closed = true
            s.monitors = [:]
            for name in s.lockNames { releaseLock(name, session: s) }
            s.lockNames = []
            sessions[ObjectIdentifier(s)] = nil
        }
    }

    /// Handles one JSON-RPC message from session `s`; replies and
    /// notifications go through the session.
    public func handle(_ msg: JSON, session s: OVSDBSession) {
        lock.withLock { dispatch(msg, s) }
    }

    /// Handles one message outside any connection (tests, embedding):
    /// returns the reply, after an inline fsync if the commit was durable.
    /// Notifications for this call's own monitors are dropped.
    public func handle(_ msg: JSON) -> JSON? {
        let box = NIOLockedValueBox<[JSON]>([])
        let s = openSession { j in box.withLockedValue { $0.append(j) } }
        defer { closeSession(s) }
        handle(msg, session: s)
        waitForSyncs()
        return box.withLockedValue { $0.last(where: { $0["method"] == nil }) }
    }

    /// Waits until no fsync is running and no reply waits for one.
    public func waitForSyncs() {
        while lock.withLock({ !syncRunning.isEmpty || syncWaiters.values.contains { !$0.isEmpty } }) {
            usleep(1000)
        }
    }

    // MARK: dispatch (under the lock)

    private func dispatch(_ msg: JSON, _ s: OVSDBSession) {
        guard msg.isObject else {
            s.send(Self.error(.string("invalid JSON-RPC message"), id: .null))
            return
        }
        guard let method = msg["method"] else {
            // A reply (to an echo we never send) or junk: ignore.
            return
        }
        let id = msg["id"] ?? .null
        guard let name = method.stringValue else {
            s.send(Self.error(.string("invalid JSON-RPC message"), id: id))
            return
        }
        let params = msg["params"] ?? .array([])
        // Notifications (null id) get no reply; "cancel" is one (a
        // transaction never waits here, so there is nothing to cancel).
        if id == .null { return }
        guard let p = params.arrayValue else {
            s.send(Self.error(.string("invalid JSON-RPC message"), id: id))
            return
        }
        switch name {
        case "echo":
            s.send(Self.result(params, id: id))
        case "list_dbs":
            s.send(Self.result(.array((order + ["_Server"]).map { .string($0) }), id: id))
        case "get_server_id":
            s.send(Self.result(.string(serverID.string), id: id))
        case "get_schema":
            switch lookup(name, p, params) {
            case .failure(let e): s.send(Self.error(e.json, id: id))
            case .success(let db): s.send(Self.result(schema(of: db).json, id: id))
            }
        case "transact":
            switch lookup(name, p, params) {
            case .failure(let e): s.send(Self.error(e.json, id: id))
            case .success(let db): transact(db, Array(p.dropFirst()), id: id, s)
            }
        case "monitor", "monitor_cond", "monitor_cond_since":
            switch lookup(name, p, params) {
            case .failure(let e): s.send(Self.error(e.json, id: id))
            case .success(let db):
                let v: Monitor.Version = name == "monitor" ? .v1 : name == "monitor_cond" ? .v2 : .v3
                s.send(createMonitor(db, v, p, params, id: id, s))
            }
        case "monitor_cond_change":
            s.send(changeMonitor(p, params, id: id, s))
        case "monitor_cancel":
            guard p.count == 1 else {
                s.send(Self.error(.string("invalid parameters"), id: id))
                return
            }
            guard s.monitors.removeValue(forKey: p[0].sortedText) != nil else {
                s.send(Self.error(.string("unknown monitor"), id: id))
                return
            }
            s.send(Self.result(.object([]), id: id))
        case "lock", "steal":
            s.send(takeLock(name, p, params, id: id, s))
        case "unlock":
            guard p.count == 1, let ln = p[0].stringValue, isIdentifier(ln) else {
                s.send(Self.error(OVSDBError.syntax("unlock request params must be <id>", params).json, id: id))
                return
            }
            guard s.lockNames.contains(ln) else {
                s.send(Self.error(OVSDBError.syntax("unlock: \"unlock\" without \"lock\" or \"steal\"", params).json, id: id))
                return
            }
            s.lockNames.remove(ln)
            releaseLock(ln, session: s)
            s.send(Self.result(.object([]), id: id))
        case "set_db_change_aware":
            guard p.count == 1, let b = p[0].boolValue else {
                s.send(Self.error(OVSDBError.syntax("set_db_change_aware: true or false parameter expected", params).json, id: id))
                return
            }
            s.dbChangeAware = b
            s.send(Self.result(.object([]), id: id))
        default:
            s.send(Self.error(.string("unknown method"), id: id))
        }
    }

    private func schema(of db: String) -> DatabaseSchema {
        db == "_Server" ? serverDB.schema : files[db]!.db.schema
    }

    private func database(_ db: String) -> Database {
        db == "_Server" ? serverDB : files[db]!.db
    }

    /// The database a request names in its first parameter.
    private func lookup(_ method: String, _ p: [JSON], _ params: JSON) -> Result<String, OVSDBError> {
        guard let db = p.first?.stringValue else {
            return .failure(.syntax("\(method) request params must begin with <db-name>", params))
        }
        guard db == "_Server" || files[db] != nil else {
            return .failure(OVSDBError("unknown database", "\(method) request specifies unknown database \(db)", syntax: params))
        }
        return .success(db)
    }

    // MARK: transactions

    private func ownedLocks(_ s: OVSDBSession) -> Set<String> {
        Set(s.lockNames.filter { lockQueues[$0]?.first === s })
    }

    private func transact(_ db: String, _ ops: [JSON], id: JSON, _ s: OVSDBSession) {
        if db == "_Server" {
            // Read-only: the transaction runs on a copy that is dropped.
            var copy = serverDB
            s.send(Self.result(copy.transact(ops, locks: ownedLocks(s)).results, id: id))
            return
        }
        let f = files[db]!
        let results: JSON, changes: Changes?
        do {
            (results, changes) = try f.commit(ops, locks: ownedLocks(s))
        } catch {
            s.send(Self.error(OVSDBError("I/O error", "\(error)").json, id: id))
            return
        }
        guard let changes, !changes.isEmpty else {
            s.send(Self.result(results, id: id))
            return
        }
        notifyMonitors(db, changes)
        let reply = Self.result(results, id: id)
        if changes.durable {
            if let _ = syncPool {
                let send = s.send
                syncWaiters[db, default: []].append { send(reply) }
                startSync(db, delay: false)
            } else {
                do {
                    try f.sync()
                    s.send(reply)
                } catch {
                    s.send(Self.error(OVSDBError("I/O error", "\(error)").json, id: id))
                }
            }
        } else {
            s.send(reply)
            if syncPool != nil { startSync(db, delay: true) } else { maybeCompact(db) }
        }
    }

    /// Starts an fsync of `db`'s file on the pool unless one runs; when it
    /// ends, the replies that waited for it go out and, if more records
    /// were written meanwhile, another fsync starts. With `delay` (records
    /// no reply waits for), the fsync waits up to `backgroundSyncDelay`
    /// first, or until a durable commit needs one, so a stream of ordinary
    /// transactions costs one fsync per delay rather than one each.
    private func startSync(_ db: String, delay: Bool) {
        guard let pool = syncPool, !syncRunning.contains(db), files[db] != nil else { return }
        syncRunning.insert(db)
        let slices = delay ? max(1, backgroundSyncDelay / 5_000) : 0
        pool.submit { [self] _ in
            for _ in 0..<slices {
                if lock.withLock({ !(syncWaiters[db] ?? []).isEmpty }) { break }
                usleep(5_000)
            }
            let (fd, count, waiters) = lock.withLock { () -> (Int32, Int, [@Sendable () -> Void]) in
                let w = syncWaiters[db] ?? []
                syncWaiters[db] = []
                return (files[db]!.descriptor, files[db]!.unsyncedWrites, w)
            }
            let ok = fsync(fd) == 0
            let err = errno
            lock.withLock {
                syncRunning.remove(db)
                guard let f = files[db] else { return }
                if ok { f.markSynced(count) } else { logError("\(f.path): fsync failed (errno \(err))") }
                for w in waiters { w() }
                if !(syncWaiters[db] ?? []).isEmpty {
                    startSync(db, delay: false)
                } else if f.unsyncedWrites > 0 {
                    startSync(db, delay: true)
                } else {
                    maybeCompact(db)
                }
            }
        }
    }

    /// Compacts `db`'s file when it grew `compactionFactor` times past its
    /// last snapshot (and past `compactionMinimum`); never while an fsync runs.
    private func maybeCompact(_ db: String) {
        guard let f = files[db], !syncRunning.contains(db) else { return }
        let size = f.size
        guard size >= compactionMinimum, size >= compactionFactor * max(1, f.sizeAfterCompaction) else { return }
        do { try f.compact() } catch { logError("\(f.path): compaction failed: \(error)") }
    }

    private func logError(_ s: String) {
        var line = "ovsdb-server: " + s + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    private func notifyMonitors(_ db: String, _ changes: Changes) {
        for session in sessions.values where !session.closed {
            for (_, m) in session.monitors where m.db == db {
                guard let u = m.monitor.update(changes) else { continue }
                session.send(Self.notification(m.monitor.version, id: m.id, updates: u))
            }
        }
    }

    static let zeroTxnID = JSON.string("00000000-0000-0000-0000-000000000000")

    static func notification(_ v: Monitor.Version, id: JSON, updates: JSON) -> JSON {
        let (method, params): (String, [JSON]) = switch v {
        case .v1: ("update", [id, updates])
        case .v2: ("update2", [id, updates])
        // A standalone database keeps no transaction history (as in Open
        // vSwitch): the last transaction id is all zeros.
        case .v3: ("update3", [id, zeroTxnID, updates])
        }
        return .object([("id", .null), ("method", .string(method)), ("params", .array(params))])
    }

    // MARK: monitors

    private func createMonitor(_ db: String, _ v: Monitor.Version, _ p: [JSON], _ params: JSON, id: JSON, _ s: OVSDBSession) -> JSON {
        if (v == .v1 && p.count < 3) || (v == .v2 && p.count != 3) || (v == .v3 && p.count != 4) {
            return Self.error(OVSDBError.syntax("invalid parameters", params).json, id: id)
        }
        let key = p[1].sortedText
        guard s.monitors[key] == nil else {
            return Self.error(OVSDBError.syntax("duplicate monitor ID", p[1]).json, id: id)
        }
        let m: Monitor
        do throws(OVSDBError) {
            m = try Monitor(version: v, schema: schema(of: db), requests: p[2])
        } catch {
            return Self.error(error.json, id: id)
        }
        if v == .v3 {
            guard let last = p[3].stringValue else {
                return Self.error(OVSDBError.syntax("last-txn-id must be string", p[3]).json, id: id)
            }
            guard UUID(last) != nil else {
                return Self.error(OVSDBError.syntax("last-txn-id must be UUID format.", p[3]).json, id: id)
            }
        }
        s.monitors[key] = (db, p[1], m)
        let initial = m.initial(database(db))
        if v == .v3 {
            // No history: never "found"; the client gets the whole contents.
            return Self.result(.array([.bool(false), Self.zeroTxnID, initial]), id: id)
        }
        return Self.result(initial, id: id)
    }

    private func changeMonitor(_ p: [JSON], _ params: JSON, id: JSON, _ s: OVSDBSession) -> JSON {
        guard p.count == 3 else { return Self.error(OVSDBError.syntax("invalid parameters", params).json, id: id) }
        let key = p[0].sortedText
        guard var entry = s.monitors[key] else {
            return Self.error(OVSDBError.syntax("unknown monitor session", p[0]).json, id: id)
        }
        let newKey = p[1].sortedText
        if newKey != key && s.monitors[newKey] != nil {
            return Self.error(OVSDBError.syntax("duplicate monitor ID", p[1]).json, id: id)
        }
        let updates: JSON?
        do throws(OVSDBError) {
            updates = try entry.monitor.changeConditions(p[2], schema: schema(of: entry.db), db: database(entry.db))
        } catch {
            return Self.error(error.json, id: id)
        }
        s.monitors[key] = nil
        entry.id = p[1]
        s.monitors[newKey] = entry
        if let updates { s.send(Self.notification(entry.monitor.version, id: p[1], updates: updates)) }
        return Self.result(.object([]), id: id)
    }

    // MARK: locks

    private func takeLock(_ method: String, _ p: [JSON], _ params: JSON, id: JSON, _ s: OVSDBSession) -> JSON {
        guard p.count == 1, let name = p[0].stringValue, isIdentifier(name) else {
            return Self.error(OVSDBError.syntax("\(method) request params must be <id>", params).json, id: id)
        }
        guard !s.lockNames.contains(name) else {
            return Self.error(OVSDBError.syntax("must issue \"unlock\" before new \"\(method)\"", params).json, id: id)
        }
        s.lockNames.insert(name)
        var q = lockQueues[name] ?? []
        if method == "steal" {
            if let victim = q.first, victim !== s {
                victim.send(.object([("id", .null), ("method", .string("stolen")), ("params", .array([.string(name)]))]))
            }
            q.insert(s, at: 0)
        } else {
            q.append(s)
        }
        lockQueues[name] = q
        return Self.result(.object([("locked", .bool(q.first === s))]), id: id)
    }

    /// Removes `session` from lock `name`'s queue; a new owner is told.
    private func releaseLock(_ name: String, session: OVSDBSession) {
        guard var q = lockQueues[name], let i = q.firstIndex(where: { $0 === session }) else { return }
        q.remove(at: i)
        lockQueues[name] = q.isEmpty ? nil : q
        if i == 0, let owner = q.first {
            owner.send(.object([("id", .null), ("method", .string("locked")), ("params", .array([.string(name)]))]))
        }
    }

    // MARK: messages

    static func result(_ r: JSON, id: JSON) -> JSON {
        .object([("id", id), ("result", r), ("error", .null)])
    }

    static func error(_ e: JSON, id: JSON) -> JSON {
        .object([("id", id), ("result", .null), ("error", e)])
    }
}

/// RFC 7047's <id>: a letter or underscore, then letters, digits, underscores.
func isIdentifier(_ s: String) -> Bool {
    guard let f = s.utf8.first, f == UInt8(ascii: "_") || (f | 0x20) >= UInt8(ascii: "a") && (f | 0x20) <= UInt8(ascii: "z") else { return false }
    return s.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 48 && $0 <= 57) || (($0 | 0x20) >= 97 && ($0 | 0x20) <= 122) }
}

/// One client connection: frames the byte stream, dispatches each message.
final class OVSDBConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: OVSDBService
    private var session: OVSDBSession?
    private var framer = JSONFramer()
    private var closed = false

    init(service: OVSDBService) { self.service = service }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        session = service.openSession { msg in
            let text = msg.text
            var out = channel.allocator.buffer(capacity: text.utf8.count)
            out.writeString(text)
            channel.writeAndFlush(out, promise: nil)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let session { service.closeSession(session) }
        session = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed, let session else { return }
        var buf = unwrapInboundIn(data)
        let bytes = buf.readBytes(length: buf.readableBytes) ?? []
        var texts: [[UInt8]] = []
        var failure: String?
        do {
            try framer.feed(bytes, into: &texts)
        } catch {
            switch error {
            case .garbage(let b): failure = "invalid character U+\(String(b, radix: 16, uppercase: true)) outside a JSON value"
            case .tooLarge: failure = "message too long"
            }
        }
        for t in texts {
            do {
                service.handle(try JSON.parse(t), session: session)
            } catch {
                // A complete value that is not JSON: an error reply; the
                // stream stays framed, so the connection lives.
                session.send(OVSDBService.error(OVSDBError.syntax(error.description).json, id: .null))
            }
        }
        if let failure {
            // Bytes outside any value: the stream is lost.
            session.send(OVSDBService.error(OVSDBError.syntax(failure).json, id: .null))
            closed = true
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// A JSON-RPC 1.0 OVSDB server over SwiftNIO, listening on `punix:PATH` and
/// `ptcp:PORT[:IP]` endpoints.
public final class OVSDBServer: @unchecked Sendable {
    public let service: OVSDBService
    private let group: MultiThreadedEventLoopGroup
    private let pool: NIOThreadPool
    private let lock = NIOLock()
    private var listeners: [Channel] = []
    private var stopped = false

    public init(databases: [DatabaseFile], threads: Int = 1) {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        self.service = OVSDBService(databases: databases, syncPool: pool)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    public enum EndpointError: Error, CustomStringConvertible {
        case unsupported(String)
        public var description: String {
            switch self { case .unsupported(let s): return "unsupported listening endpoint \"\(s)\"" }
        }
    }

    /// Starts listening on `endpoint`; returns the bound address (for
    /// `ptcp:0` the port is chosen by the kernel).
    @discardableResult
    public func listen(_ endpoint: String) throws -> SocketAddress? {
        let service = self.service
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(OVSDBConnectionHandler(service: service))
                }
            }
        let channel: Channel
        if endpoint.hasPrefix("punix:") {
            let path = String(endpoint.dropFirst("punix:".count))
            channel = try bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
        } else if endpoint.hasPrefix("ptcp:") {
            let rest = endpoint.dropFirst("ptcp:".count)
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let port = Int(parts[0]), (0...65535).contains(port) else { throw EndpointError.unsupported(endpoint) }
            var host = parts.count > 1 ? String(parts[1]) : "0.0.0.0"
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            channel = try bootstrap.bind(host: host, port: port).wait()
        } else {
            throw EndpointError.unsupported(endpoint)
        }
        lock.withLock { listeners.append(channel) }
        return channel.localAddress
    }

    /// Closes the listeners, waits for running fsyncs and stops the event
    /// loops (not from one of them).
    public func stop() {
        let (chans, already) = lock.withLock { () -> ([Channel], Bool) in
            let r = (listeners, stopped)
            listeners = []
            stopped = true
            return r
        }
        if already { return }
        for c in chans { try? c.close().wait() }
        try? group.syncShutdownGracefully()
        service.waitForSyncs()
        try? pool.syncShutdownGracefully()
    }

    deinit {
        if !stopped {
            try? group.syncShutdownGracefully()
            try? pool.syncShutdownGracefully()
        }
    }
}
