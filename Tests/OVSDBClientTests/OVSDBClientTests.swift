import Foundation
import OVSDB
import OVSDBServer
import Testing
@testable import OVSDBClient
#if canImport(Glibc)
import Glibc
#endif

let vswitchSchemaPath = "/usr/share/openvswitch/vswitch.ovsschema"

func makeTempDir() -> String {
    let dir = "/tmp/svs-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Starts a program with no signal blocked (the test runner blocks most);
/// returns its pid. posix_spawn, not Foundation's Process, so that the test
/// owns the child and reaps it itself.
func spawn(_ args: [String]) -> pid_t {
    let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attr, &none)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
    var pid: pid_t = 0
    guard posix_spawnp(&pid, argv[0]!, nil, &attr, argv, environ) == 0 else { return -1 }
    return pid
}

/// Runs a program under `timeout 10` to completion; returns its wait status.
@discardableResult
func run(_ args: [String]) -> Int32 {
    let pid = spawn(["timeout", "10"] + args)
    guard pid > 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

/// A real ovsdb-server (in the foreground, our child) with a fresh
/// Open_vSwitch database in a private directory; `stop` kills it by pid.
final class RealServer {
    let dir = makeTempDir()
    var pid: pid_t = -1
    var remote: String { "unix:\(dir)/db.sock" }
    init() throws {
        run(["ovsdb-tool", "create", "\(dir)/conf.db", vswitchSchemaPath])
        pid = spawn(["ovsdb-server", "\(dir)/conf.db", "--remote=punix:\(dir)/db.sock", "--unixctl=\(dir)/ctl",
                     "--no-chdir", "--log-file=\(dir)/log", "-vconsole:off"])
        for _ in 0..<100 where access("\(dir)/db.sock", F_OK) != 0 { usleep(50_000) }
    }
    func stop() {
        if pid > 0 {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// svs's own OVSDB server in this process, on a private unix socket.
func withInProcessServer(_ body: (String) throws -> Void) throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let schema = try DatabaseSchema(text: String(contentsOfFile: vswitchSchemaPath, encoding: .utf8))
    let file = try DatabaseFile.create(path: "\(dir)/conf.db", schema: schema)
    let server = OVSDBServer(databases: [file])
    defer { server.stop() }
    try server.listen("punix:\(dir)/db.sock")
    try body("unix:\(dir)/db.sock")
}

final class LockedBox<T>: @unchecked Sendable {
    private var v: T
    private let lock = NSLock()
    init(_ v: T) { self.v = v }
    var value: T { lock.lock(); defer { lock.unlock() }; return v }
    func append<E>(_ e: E) where T == [E] { lock.lock(); v.append(e); lock.unlock() }
}

@Suite struct ConnectionTests {
    @Test func badRemotes() {
        #expect(throws: OVSDBClientError.badRemote("ssl:1.2.3.4:6640")) { try OVSDBClient(remote: "ssl:1.2.3.4:6640") }
        #expect(throws: OVSDBClientError.badRemote("tcp:nohost")) { try OVSDBClient(remote: "tcp:nohost") }
        #expect(throws: OVSDBClientError.badRemote("tcp:not-an-ip:6640")) { try OVSDBClient(remote: "tcp:not-an-ip:6640") }
    }

    @Test func missingSocketIsASystemError() {
        do {
            _ = try OVSDBClient(remote: "unix:/nonexistent/svs/db.sock")
            Issue.record("connected to a missing socket")
        } catch .system(_, let e) {
            #expect(e == ENOENT)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// A scripted server asks for an echo before answering; the client must
    /// answer it with the same params and id, then get its own reply.
    @Test func answersTheServersEcho() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/s.sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        listen(listener, 1)
        let seen = LockedBox<[String]>([])
        let thread = Thread {
            let fd = accept(listener, nil, nil)
            func send(_ s: String) { var t = s; t.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) } }
            func readMessage() -> String {
                var buf = [UInt8](repeating: 0, count: 4096)
                let n = read(fd, &buf, buf.count)
                return n > 0 ? String(decoding: buf[..<n], as: UTF8.self) : ""
            }
            seen.append(readMessage())
            send(#"{"method":"echo","params":["ping",1],"id":"echo-7"}"#)
            seen.append(readMessage())
            send(#"{"result":["Open_vSwitch","X"],"error":null,"id":1}"#)
            close(fd)
        }
        thread.start()
        let client = try OVSDBClient(remote: "unix:\(path)")
        #expect(try client.listDatabases() == ["Open_vSwitch", "X"])
        close(listener)
        let messages = seen.value.map { try? JSON.parse($0) }
        #expect(messages.count == 2)
        #expect((messages.first ?? nil)?["method"] == .string("list_dbs"))
        #expect((messages.last ?? nil) == JSON.object([("result", .array([.string("ping"), .int(1)])), ("error", .null),
                                                ("id", .string("echo-7"))]))
    }
}

@Suite struct TransactionTests {
    @Test func builderProducesRFC7047Operations() {
        var t = Transaction(database: "Open_vSwitch")
        let br = t.insert("Bridge", ["name": .string("br0")], uuidName: "br")
        t.mutate("Open_vSwitch", where: [], [Mutation("bridges", "insert", .array([.string("set"), .array([br])]))])
        t.update("Bridge", where: [Condition("name", "==", .string("br0"))], ["fail_mode": .string("secure")])
        t.wait("Bridge", where: [], columns: ["name"], until: "==", rows: [["name": .string("br0")]], timeout: 0)
        t.delete("Bridge", where: [Condition("name", "==", .string("gone"))])
        t.comment("hello")
        #expect(t.operations.map(\.text) == [
            #"{"op":"insert","table":"Bridge","row":{"name":"br0"},"uuid-name":"br"}"#,
            #"{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges","insert",["set",[["named-uuid","br"]]]]]}"#,
            #"{"op":"update","table":"Bridge","where":[["name","==","br0"]],"row":{"fail_mode":"secure"}}"#,
            #"{"op":"wait","table":"Bridge","where":[],"columns":["name"],"until":"==","rows":[{"name":"br0"}],"timeout":0}"#,
            #"{"op":"delete","table":"Bridge","where":[["name","==","gone"]]}"#,
            #"{"op":"comment","comment":"hello"}"#,
        ])
        #expect(t.namedInserts == ["br": 0])
    }

    /// list_dbs, get_schema and transactions (results and errors) against
    /// svs's own server and the real ovsdb-server.
    @Test(arguments: ["svs", "ovs"])
    func transactions(server: String) throws {
        func check(_ remote: String) throws {
            let client = try OVSDBClient(remote: remote)
            #expect(try client.listDatabases().contains("Open_vSwitch"))
            let schema = try client.schema("Open_vSwitch")
            #expect(schema.tables["Bridge"]?.columns["name"] != nil)

            var t = Transaction(database: "Open_vSwitch")
            let br = t.insert("Bridge", ["name": .string("br0")], uuidName: "br")
            t.insert("Open_vSwitch", ["bridges": .array([.string("set"), .array([br])])], uuidName: "ovs")
            let r = try client.transact(t)
            #expect(r.results.count == 2)
            let bridge = try #require(r.insertedUUIDs["br"])
            #expect(r.insertedUUIDs["ovs"] != nil)

            var s = Transaction(database: "Open_vSwitch")
            s.select("Bridge", where: [.uuid(bridge)], columns: ["name"])
            let rows = try client.transact(s).results[0]["rows"]
            #expect(rows == .array([.object([("name", .string("br0"))])]))

            // A failing operation names the RFC 7047 error; nothing changes.
            var bad = Transaction(database: "Open_vSwitch")
            bad.update("Bridge", where: [.uuid(bridge)], ["fail_mode": .string("secure")])
            bad.insert("Bridge", ["nosuchcolumn": .int(1)])
            do {
                _ = try client.transact(bad)
                Issue.record("bad transaction succeeded")
            } catch .transaction(let f) {
                #expect(f.index == 1)
                #expect(f.error == "unknown column")
            }
            #expect(try client.transact(s).results[0]["rows"] == rows)

            // Unknown database: the RPC itself fails.
            #expect(throws: OVSDBClientError.self) { try client.schema("Nope") }
        }
        if server == "svs" {
            try withInProcessServer(check)
        } else {
            let real = try RealServer()
            defer { real.stop() }
            try check(real.remote)
        }
    }
}

@Suite struct ReplicaTests {
    /// A replica kept by `monitor_cond` (update2) or `monitor` (update) follows
    /// inserts, modifications of scalars, sets and maps, and deletes made by
    /// another client.
    @Test(arguments: [true, false])
    func followsAnotherClient(conditional: Bool) throws {
        let real = try RealServer()
        defer { real.stop() }
        let watcher = try OVSDBClient(remote: real.remote)
        let writer = try OVSDBClient(remote: real.remote)
        let schema = try watcher.schema("Open_vSwitch")
        try watcher.monitor("Open_vSwitch", schema: schema,
                            tables: ["Bridge": ["name", "fail_mode", "external_ids", "flood_vlans"], "Open_vSwitch": nil],
                            conditional: conditional)
        #expect(watcher.replica.rows("Bridge").isEmpty)

        func waitFor(_ what: String, _ done: (Replica) -> Bool) throws {
            let deadline = ContinuousClock.now + .seconds(5)
            while !done(watcher.replica) {
                guard ContinuousClock.now < deadline else { Issue.record("replica never saw \(what)"); return }
                try watcher.poll(timeout: .milliseconds(200))
            }
        }

        var t = Transaction(database: "Open_vSwitch")
        let br = t.insert("Bridge", ["name": .string("br0"), "external_ids": .array([.string("map"), .array([
            .array([.string("a"), .string("1")]), .array([.string("b"), .string("2")])])])], uuidName: "br")
        t.insert("Open_vSwitch", ["bridges": br])
        let uuid = try #require(try writer.transact(t).insertedUUIDs["br"])
        try waitFor("the insert") { $0.rows("Bridge")[uuid] != nil }
        #expect(watcher.replica.rows("Bridge")[uuid]?["name"] == .scalar(.string("br0")))
        #expect(watcher.replica.rows("Open_vSwitch").count == 1)

        var m = Transaction(database: "Open_vSwitch")
        m.update("Bridge", where: [.uuid(uuid)], [
            "datapath_type": .string("netdev"), "fail_mode": .string("secure"),
            "flood_vlans": .array([.string("set"), .array([.int(5), .int(7)])]),
            "external_ids": .array([.string("map"), .array([.array([.string("b"), .string("3")]),
                                                            .array([.string("c"), .string("4")])])]),
        ])
        try writer.transact(m)
        try waitFor("the update") { $0.rows("Bridge")[uuid]?["fail_mode"] == .scalar(.string("secure")) }
        let row = try #require(watcher.replica.rows("Bridge")[uuid])
        #expect(row["fail_mode"] == Datum(keys: [.string("secure")]))
        #expect(row["flood_vlans"] == Datum(keys: [.integer(5), .integer(7)]))
        #expect(row["external_ids"] == Datum(keys: [.string("b"), .string("c")], values: [.string("3"), .string("4")]))

        var d = Transaction(database: "Open_vSwitch")
        d.mutate("Open_vSwitch", where: [], [Mutation("bridges", "delete", Atom.uuid(uuid).json)])
        try writer.transact(d)
        try waitFor("the delete") { $0.rows("Bridge")[uuid] == nil }
    }

    @Test func update2DiffsOfSetsAndMaps() {
        let setType = ColumnType(key: BaseType(type: .integer), min: 0, max: Int.max)
        let old = Datum(keys: [.integer(1), .integer(2)])
        #expect(Replica.applyDiff(old, Datum(keys: [.integer(2), .integer(3)]), type: setType)
                == Datum(keys: [.integer(1), .integer(3)]))
        let mapType = ColumnType(key: BaseType(type: .string), value: BaseType(type: .string), min: 0, max: Int.max)
        let m = Datum(keys: [.string("a"), .string("b")], values: [.string("1"), .string("2")])
        let diff = Datum(keys: [.string("a"), .string("b"), .string("c")], values: [.string("1"), .string("9"), .string("3")])
        #expect(Replica.applyDiff(m, diff, type: mapType)
                == Datum(keys: [.string("b"), .string("c")], values: [.string("9"), .string("3")]))
        let scalar = ColumnType(key: BaseType(type: .string))
        #expect(Replica.applyDiff(.scalar(.string("x")), .scalar(.string("y")), type: scalar) == .scalar(.string("y")))
    }
}

@Suite struct SnapshotTests {
    /// Without a monitor, a snapshot (one select per table) fills the replica
    /// with the same rows, and a second snapshot sees later changes.
    @Test(arguments: ["svs", "ovs"])
    func snapshotMatchesTheDatabase(server: String) throws {
        func check(_ remote: String) throws {
            let client = try OVSDBClient(remote: remote)
            let schema = try client.schema("Open_vSwitch")
            var t = Transaction(database: "Open_vSwitch")
            let br = t.insert("Bridge", ["name": .string("br0"), "flood_vlans": .array([.string("set"), .array([.int(3)])])],
                              uuidName: "br")
            t.insert("Open_vSwitch", ["bridges": br])
            let uuid = try #require(try client.transact(t).insertedUUIDs["br"])
            try client.loadSnapshot("Open_vSwitch", schema: schema, tables: ["Bridge": nil, "Open_vSwitch": ["bridges"]])
            #expect(client.replica.rows("Bridge")[uuid]?["name"] == .scalar(.string("br0")))
            #expect(client.replica.rows("Bridge")[uuid]?["flood_vlans"] == Datum(keys: [.integer(3)]))
            #expect(client.replica.rows("Open_vSwitch").values.first?["bridges"] == Datum(keys: [.uuid(uuid)]))
            #expect(client.replica.rows("Open_vSwitch").values.first?["cur_cfg"] == nil)

            var d = Transaction(database: "Open_vSwitch")
            d.update("Open_vSwitch", where: [], ["bridges": .array([.string("set"), .array([])])])
            try client.transact(d)
            try client.loadSnapshot("Open_vSwitch", schema: schema, tables: ["Bridge": nil, "Open_vSwitch": ["bridges"]])
            #expect(client.replica.rows("Bridge").isEmpty)
        }
        if server == "svs" {
            try withInProcessServer(check)
        } else {
            let real = try RealServer()
            defer { real.stop() }
            try check(real.remote)
        }
    }
}
