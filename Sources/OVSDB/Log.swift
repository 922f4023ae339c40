#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Open vSwitch's standalone database file: a sequence of records
/// `OVSDB JSON <length> <sha1>\n<json>\n` (length and SHA-1 cover the JSON
/// and its newline); the schema first, then one record per transaction.
public enum LogRecord {
    public static let magic = "OVSDB JSON"

    public static func encode(_ j: JSON) -> [UInt8] {
        let body = Array((j.text + "\n").utf8)
        return Array("\(magic) \(body.count) \(SHA1.hex(body))\n".utf8) + body
    }

    /// Decodes the records of `bytes`. Returns the records and the byte
    /// offset just after the last good one; reading stops at the first torn
    /// or corrupt record.
    public static func decode(_ bytes: [UInt8]) -> (records: [JSON], validLength: Int, error: String?) {
        var out: [JSON] = []
        var pos = 0
        while pos < bytes.count {
            guard let nl = bytes[pos...].firstIndex(of: 0x0A) else { return (out, pos, "torn header at offset \(pos)") }
            let header = String(decoding: bytes[pos..<nl], as: UTF8.self)
            let parts = header.split(separator: " ")
            guard parts.count == 4, "\(parts[0]) \(parts[1])" == magic, let n = Int(parts[2]), n >= 0, parts[3].count == 40 else {
                return (out, pos, "bad record header at offset \(pos)")
            }
            let start = nl + 1
            guard bytes.count - start >= n else { return (out, pos, "torn record at offset \(pos)") }
            let body = Array(bytes[start..<start + n])
            guard SHA1.hex(body) == parts[3].lowercased() else { return (out, pos, "record at offset \(pos) has bad SHA-1") }
            guard let j = try? JSON.parse(body) else { return (out, pos, "record at offset \(pos) is not JSON") }
            out.append(j)
            pos = start + n
        }
        return (out, pos, nil)
    }
}

public struct LogError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// A database kept durable in an OVSDB standalone file: each committed
/// transaction is appended (and fsynced) before `transact` returns.
public final class DatabaseFile {
    public let path: String
    public private(set) var db: Database
    /// Set when opening dropped a torn or corrupt tail.
    public private(set) var recoveryNote: String?
    private var fd: Int32

    private init(path: String, db: Database, fd: Int32) {
        self.path = path
        self.db = db
        self.fd = fd
    }

    deinit { close(fd) }

    /// Creates a new file holding only the schema (fails if it exists).
    public static func create(path: String, schema: DatabaseSchema) throws -> DatabaseFile {
        let fd = Glibc_open(path, O_RDWR | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw LogError("\(path): cannot create (errno \(errno))") }
        let f = DatabaseFile(path: path, db: Database(schema: schema), fd: fd)
        try f.append(LogRecord.encode(schema.json))
        return f
    }

    /// Opens an existing file: reads the schema, replays every transaction
    /// and drops a torn trailing record (the file is truncated to the last
    /// good record, as Open vSwitch does before its next write).
    public static func open(path: String) throws -> DatabaseFile {
        let fd = Glibc_open(path, O_RDWR)
        guard fd >= 0 else { throw LogError("\(path): cannot open (errno \(errno))") }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { close(fd); throw LogError("\(path): read error (errno \(errno))") }
            if n == 0 { break }
            bytes += buf[0..<n]
        }
        let (records, valid, err) = LogRecord.decode(bytes)
        guard let first = records.first else { close(fd); throw LogError("\(path): no schema record (\(err ?? "empty file"))") }
        let schema: DatabaseSchema
        do { schema = try DatabaseSchema(json: first) } catch { close(fd); throw LogError("\(path): bad schema: \(error)") }
        var db = Database(schema: schema)
        for r in records.dropFirst() {
            do { try db.replay(r) } catch { close(fd); throw LogError("\(path): \(error)") }
        }
        // Open vSwitch does not log the removal of weak references its
        // commit makes; replay drops references to rows that are gone.
        db.removeDanglingWeakRefs()
        let f = DatabaseFile(path: path, db: db, fd: fd)
        if valid < bytes.count {
            f.recoveryNote = err
            if ftruncate(fd, off_t(valid)) != 0 { throw LogError("\(path): cannot truncate torn record") }
        }
        if lseek(fd, 0, SEEK_END) < 0 { throw LogError("\(path): seek failed") }
        f.sizeAfterCompaction = valid
        return f
    }

    /// Executes a transaction; on commit with changes, appends its record
    /// and fsyncs before returning the results.
    public func transact(_ operations: [JSON], date: Int64? = nil) throws -> JSON {
        // On failure the transaction leaves `db` as it was.
        let (results, changes) = db.transact(operations)
        if let changes, !changes.isEmpty {
            do {
                try append(LogRecord.encode(changes.logRecord(schema: db.schema, date: date ?? nowMillis())))
            } catch {
                db.revert(changes)
                throw error
            }
        }
        return results
    }

    /// `transact` with the request's params (database name first).
    public func transact(params: JSON, date: Int64? = nil) throws -> JSON {
        guard let a = params.arrayValue, a.first?.stringValue == db.schema.name else {
            var copy = db
            return copy.transact(params: params).results
        }
        return try transact(Array(a.dropFirst()), date: date)
    }

    /// Executes a transaction for a server: on commit with changes, appends
    /// its record with write(2) (so it survives the server's death) but does
    /// not fsync; the caller makes it durable with `sync()` (before replying
    /// when `changes.durable`). Returns the results and the changes.
    public func commit(_ operations: [JSON], locks: Set<String> = [], date: Int64? = nil) throws -> (results: JSON, changes: Changes?) {
        let (results, changes) = db.transact(operations, locks: locks)
        if let changes, !changes.isEmpty {
            do {
                try writeAll(fd, LogRecord.encode(changes.logRecord(schema: db.schema, date: date ?? nowMillis())))
            } catch {
                // Not logged, so not committed: the database goes back.
                db.revert(changes)
                throw error
            }
            unsyncedWrites += 1
        }
        return (results, changes)
    }

    /// Records written by `commit` since the last `sync()`.
    public private(set) var unsyncedWrites = 0

    /// Flushes the written records to the disk (fsync).
    public func sync() throws {
        let n = unsyncedWrites
        guard fsync(fd) == 0 else { throw LogError("\(path): fsync failed (errno \(errno))") }
        unsyncedWrites -= n
    }

    /// The file descriptor, for a thread that fsyncs it while the owner
    /// keeps appending (see `markSynced`). Valid until `compact`.
    public var descriptor: Int32 { fd }

    /// Notes that an fsync made elsewhere covered `count` writes.
    public func markSynced(_ count: Int) { unsyncedWrites = max(0, unsyncedWrites - count) }

    /// Bytes in the file now, and right after the last compaction (or open).
    public var size: Int { Int(lseek(fd, 0, SEEK_CUR)) }
    public private(set) var sizeAfterCompaction = 0

    /// Rewrites the file as the schema plus one snapshot record, atomically
    /// (a temporary file renamed over the old one).
    public func compact(comment: String = "compacted by svs") throws {
        let tmp = path + ".tmp"
        let nfd = Glibc_open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard nfd >= 0 else { throw LogError("\(tmp): cannot create (errno \(errno))") }
        let bytes = LogRecord.encode(db.schema.json) + LogRecord.encode(db.snapshotRecord(date: nowMillis(), comment: comment))
        do {
            try writeAll(nfd, bytes)
            guard fsync(nfd) == 0 else { throw LogError("\(tmp): fsync failed") }
        } catch {
            close(nfd)
            throw error
        }
        guard rename(tmp, path) == 0 else { close(nfd); throw LogError("rename \(tmp) failed (errno \(errno))") }
        close(fd)
        fd = nfd
        _ = lseek(fd, 0, SEEK_END)
        sizeAfterCompaction = bytes.count
        unsyncedWrites = 0
    }

    private func append(_ bytes: [UInt8]) throws {
        try writeAll(fd, bytes)
        guard fsync(fd) == 0 else { throw LogError("\(path): fsync failed (errno \(errno))") }
    }

    /// Writes all of `bytes`; on failure, cuts the file back to where it
    /// was, so no half record stays in front of the next one.
    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        let start = lseek(fd, 0, SEEK_CUR)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                if start >= 0 {
                    _ = ftruncate(fd, start)
                    _ = lseek(fd, start, SEEK_SET)
                }
                throw LogError("\(path): write failed (errno \(e))")
            }
            off += n
        }
    }
}

private func Glibc_open(_ p: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 { open(p, flags, mode) }

func nowMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

extension Datum {
    /// The "diff" of two values as the file's `_is_diff` records hold it:
    /// for sets the symmetric difference, for maps the removed pairs, the
    /// added pairs and the new value of changed keys.
    static func diff(_ old: Datum, _ new: Datum) -> Datum {
        var keys: [Atom] = [], vals: [Atom] = []
        if let ov = old.values, let nv = new.values {
            for (i, k) in old.keys.enumerated() {
                if let j = new.index(of: k) {
                    if nv[j] != ov[i] { keys.append(k); vals.append(nv[j]) }
                } else {
                    keys.append(k); vals.append(ov[i])
                }
            }
            for (j, k) in new.keys.enumerated() where !old.contains(key: k) { keys.append(k); vals.append(nv[j]) }
            var d = Datum(keys: keys, values: vals)
            try? d.normalize()
            return d
        }
        for k in old.keys where !new.contains(key: k) { keys.append(k) }
        for k in new.keys where !old.contains(key: k) { keys.append(k) }
        var d = Datum(keys: keys)
        try? d.normalize()
        return d
    }

    /// Applies a diff made by `diff`.
    func applying(diff: Datum) -> Datum {
        var remove = Set<Int>()
        var replaced = values
        var addKeys: [Atom] = [], addValues: [Atom] = []
        for (i, k) in diff.keys.enumerated() {
            if let j = index(of: k) {
                if let dv = diff.values, values![j] != dv[i] { replaced![j] = dv[i] } else { remove.insert(j) }
            } else {
                addKeys.append(k)
                if let dv = diff.values { addValues.append(dv[i]) }
            }
        }
        var r = Datum(keys: [], values: values == nil ? nil : [])
        for (j, k) in keys.enumerated() where !remove.contains(j) {
            r.keys.append(k)
            if let v = replaced { r.values!.append(v[j]) }
        }
        r.keys += addKeys
        if r.values != nil { r.values! += addValues }
        try? r.normalize()
        return r
    }
}

extension Changes {
    /// The transaction record, in the `_is_diff` form Open vSwitch 3.1 writes.
    func logRecord(schema: DatabaseSchema, date: Int64) -> JSON {
        var m: [(String, JSON)] = [("_date", .int(date))]
        for tn in tables.keys.sorted() {
            let ts = schema.tables[tn]!
            var rows: [(String, JSON)] = []
            for (u, ch) in tables[tn]!.sorted(by: { $0.key < $1.key }) {
                guard let new = ch.new else { rows.append((u.string, .null)); continue }
                var cols: [(String, JSON)] = []
                for cn in ts.columnOrder {
                    let c = ts.columns[cn]!
                    if c.ephemeral { continue }
                    let nv = new.columns[cn]!
                    if let old = ch.old {
                        let ov = old.columns[cn]!
                        if ov == nv { continue }
                        cols.append((cn, c.type.max == 1 ? nv.json(c.type) : Datum.diff(ov, nv).json(c.type)))
                    } else if nv != ts.defaultColumns[cn]! {
                        cols.append((cn, nv.json(c.type)))
                    }
                }
                if ch.old != nil && cols.isEmpty { continue }
                rows.append((u.string, .object(cols)))
            }
            if !rows.isEmpty { m.append((tn, .object(rows))) }
        }
        m.append(("_is_diff", .bool(true)))
        if let comment { m.append(("_comment", .string(comment))) }
        return .object(m)
    }
}

extension Database {
    /// One record holding every row (non-default, non-ephemeral columns).
    func snapshotRecord(date: Int64, comment: String) -> JSON {
        var m: [(String, JSON)] = [("_date", .int(date))]
        for tn in tables.keys.sorted() {
            let ts = schema.tables[tn]!
            var rows: [(String, JSON)] = []
            for (u, r) in tables[tn]!.sorted(by: { $0.key < $1.key }) {
                var cols: [(String, JSON)] = []
                for cn in ts.columnOrder {
                    let c = ts.columns[cn]!
                    if c.ephemeral { continue }
                    let v = r.columns[cn]!
                    if v != Datum.defaultValue(c.type) { cols.append((cn, v.json(c.type))) }
                }
                rows.append((u.string, .object(cols)))
            }
            if !rows.isEmpty { m.append((tn, .object(rows))) }
        }
        m.append(("_comment", .string(comment)))
        return .object(m)
    }

    mutating func removeDanglingWeakRefs() {
        for (tn, ts) in schema.tables {
            let weak = ts.columns.values.filter { $0.type.key.refType == .weak && $0.type.key.refTable != nil || $0.type.value?.refType == .weak && $0.type.value?.refTable != nil }
            if weak.isEmpty { continue }
            for (u, r) in tables[tn]! {
                var row = r
                for c in weak {
                    let d = row.columns[c.name]!
                    var nk: [Atom] = [], nv: [Atom] = []
                    for (i, k) in d.keys.enumerated() {
                        let v = d.values?[i]
                        var keep = true
                        for (atom, bt) in [(k, c.type.key), (v, c.type.value)] {
                            guard let atom, let bt, bt.refType == .weak, let rt = bt.refTable, case .uuid(let target) = atom else { continue }
                            if tables[rt]![target] == nil { keep = false }
                        }
                        if keep { nk.append(k); if let v { nv.append(v) } }
                    }
                    row.columns[c.name] = Datum(keys: nk, values: d.values == nil ? nil : nv)
                }
                if row.columns != r.columns { tables[tn]![u] = row }
            }
        }
    }

    /// Applies one transaction record read from a file (diff or full form).
    mutating func replay(_ rec: JSON) throws(OVSDBError) {
        guard let members = rec.objectValue else { throw .syntax("transaction record must be an object") }
        let isDiff = rec["_is_diff"] == .bool(true)
        for (tn, tv) in members where !tn.hasPrefix("_") {
            guard let ts = schema.tables[tn] else { throw .syntax("No table named \(tn).") }
            guard let rows = tv.objectValue else { throw .syntax("table \(tn) must be an object") }
            for (us, rj) in rows {
                guard let u = UUID(us) else { throw .syntax("\(us) is not a UUID") }
                if rj == .null { tables[tn]![u] = nil; continue }
                guard let cols = rj.objectValue else { throw .syntax("row \(us) must be an object") }
                var row: Row
                let existed: Bool
                if let r = tables[tn]![u] {
                    row = r
                    existed = true
                } else {
                    var c: [String: Datum] = [:]
                    for (n, cs) in ts.columns { c[n] = Datum.defaultValue(cs.type) }
                    row = Row(uuid: u, version: UUID.random(), columns: c)
                    existed = false
                }
                for (cn, cj) in cols {
                    guard let cs = ts.columns[cn] else { throw .syntax("No column \(cn) in table \(tn).") }
                    if existed && isDiff && cs.type.max > 1 && row.columns[cn]! != Datum.defaultValue(cs.type) {
                        let relaxed = ColumnType(key: cs.type.key, value: cs.type.value, min: 0, max: Int.max)
                        let d = try Datum.from(json: cj, type: relaxed)
                        row.columns[cn] = row.columns[cn]!.applying(diff: d)
                    } else {
                        row.columns[cn] = try Datum.from(json: cj, type: cs.type)
                    }
                }
                row.version = UUID.random()
                tables[tn]![u] = row
            }
        }
    }
}
