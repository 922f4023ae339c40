import Foundation
import OVSDB
import Testing
@testable import OVSDBServer
#if canImport(Glibc)
import Glibc
#endif

let vswitchSchemaPath = "/usr/share/openvswitch/vswitch.ovsschema"

func makeTempDir() -> String {
    let dir = "/tmp/svs-srv-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Runs a command under `timeout 10`; returns (status, stdout, stderr).
func run(_ args: [String]) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    p.arguments = ["10"] + args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct FramerTests {
    @Test func splitAcrossReads() throws {
        var f = JSONFramer()
        #expect(try f.feed(bytes("{\"a\":[1,")).isEmpty)
        #expect(f.isInsideValue)
        #expect(try f.feed(bytes("2]")).isEmpty)
        let v = try f.feed(bytes("}  "))
        #expect(v == [bytes("{\"a\":[1,2]}")])
        #expect(!f.isInsideValue)
    }

    @Test func severalInOneRead() throws {
        var f = JSONFramer()
        let v = try f.feed(bytes(" {\"x\":1}\n[2,{}]{\"y\""))
        #expect(v == [bytes("{\"x\":1}"), bytes("[2,{}]")])
        #expect(try f.feed(bytes(":null}")) == [bytes("{\"y\":null}")])
    }

    @Test func stringsWithBracesAndEscapes() throws {
        var f = JSONFramer()
        let text = #"{"s":"}]{[\"\\","t":"\\"}"#
        var got: [[UInt8]] = []
        for b in bytes(text + text) { got += try f.feed([b]) }  // byte by byte
        #expect(got == [bytes(text), bytes(text)])
        let j = try JSON.parse(got[0])
        #expect(j["s"]?.stringValue == "}]{[\"\\")
        #expect(j["t"]?.stringValue == "\\")
    }

    @Test func garbage() throws {
        var f = JSONFramer()
        #expect(throws: JSONFramer.FramingError.garbage(UInt8(ascii: "x"))) { try f.feed(bytes("{}x")) }
        // Values completed before the garbage are kept.
        var f2 = JSONFramer()
        var out: [[UInt8]] = []
        #expect(throws: JSONFramer.FramingError.self) { try f2.feed(bytes("[1] {} 7"), into: &out) }
        #expect(out == [bytes("[1]"), bytes("{}")])
        var g = JSONFramer(maxMessageSize: 8)
        #expect(throws: JSONFramer.FramingError.tooLarge) { try g.feed(bytes("[1,2,3,4,5,6]")) }
        // Mismatched brackets frame but fail to parse.
        var h = JSONFramer()
        let v = try h.feed(bytes("{]"))
        #expect(v.count == 1)
        #expect(throws: JSONError.self) { try JSON.parse(v[0]) }
    }
}

@Suite struct ServiceTests {
    @Test func methodsAndBadTransaction() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = try DatabaseSchema(text: String(contentsOfFile: vswitchSchemaPath, encoding: .utf8))
        let path = dir + "/conf.db"
        let file = try DatabaseFile.create(path: path, schema: schema)
        let s = OVSDBService(databases: [file])
        let r1 = s.handle(try JSON.parse(#"{"method":"list_dbs","params":[],"id":7}"#))
        #expect(r1 == (try JSON.parse(#"{"id":7,"result":["Open_vSwitch","_Server"],"error":null}"#)))
        let r2 = s.handle(try JSON.parse(#"{"method":"echo","params":["a",1],"id":"echo"}"#))
        #expect(r2?["result"] == (try JSON.parse(#"["a",1]"#)))
        let r3 = s.handle(try JSON.parse(#"{"method":"frobnicate","params":[],"id":1}"#))
        #expect(r3?["error"] == .string("unknown method"))
        #expect(r3?["id"] == .int(1))
        let r4 = s.handle(try JSON.parse(#"{"method":"get_schema","params":["nope"],"id":2}"#))
        #expect(r4?["error"]?["error"] == .string("unknown database"))
        #expect(s.handle(try JSON.parse(#"{"method":"echo","params":[],"id":null}"#)) == nil)

        // A bad transaction (second op fails) leaves the file unchanged.
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let bad = s.handle(try JSON.parse(#"""
            {"method":"transact","id":3,"params":["Open_vSwitch",
              {"op":"insert","table":"Open_vSwitch","row":{}},
              {"op":"insert","table":"No_Such_Table","row":{}}]}
            """#))
        let results = try #require(bad?["result"]?.arrayValue)
        #expect(results.contains { $0["error"] != nil })
        let after = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(before == after)
        let reopened = try DatabaseFile.open(path: path)
        #expect(reopened.db.tables["Open_vSwitch"]?.isEmpty ?? true)
    }
}

/// Connects to a unix socket, sends `text`, reads until EOF (5 s timeout per read).
func rawExchange(path: String, text: String) -> String {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { p in
        for (i, b) in path.utf8.prefix(p.count - 1).enumerated() { p[i] = b }
    }
    let ok = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard ok == 0 else { return "" }
    var tv = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    let b = Array(text.utf8)
    _ = b.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var got: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        got += buf[0..<n]
    }
    return String(decoding: got, as: UTF8.self)
}

@Suite struct OVSDBClientTests {
    @Test func realClient() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = try DatabaseSchema(text: String(contentsOfFile: vswitchSchemaPath, encoding: .utf8))
        let file = try DatabaseFile.create(path: dir + "/conf.db", schema: schema)
        let server = OVSDBServer(databases: [file])
        defer { server.stop() }
        let sock = dir + "/db.sock"
        try server.listen("punix:" + sock)
        let remote = "unix:" + sock

        let (s1, o1, e1) = try run(["ovsdb-client", "list-dbs", remote])
        #expect(s1 == 0, "\(e1)")
        #expect(o1 == "Open_vSwitch\n_Server\n")

        let (s2, o2, e2) = try run(["ovsdb-client", "get-schema-version", remote])
        #expect(s2 == 0, "\(e2)")
        #expect(o2 == schema.version + "\n")

        let (s3, o3, e3) = try run(["ovsdb-client", "transact", remote,
                                    #"["Open_vSwitch",{"op":"insert","table":"Open_vSwitch","row":{"next_cfg":5}}]"#])
        #expect(s3 == 0, "\(e3)")
        let res = try JSON.parse(o3)
        let uuidText = try #require(res.arrayValue?.first?["uuid"]?.arrayValue?.last?.stringValue, "\(o3)")
        #expect(uuidText.count == 36)

        let (s4, o4, e4) = try run(["ovsdb-client", "dump", remote, "Open_vSwitch", "Open_vSwitch"])
        #expect(s4 == 0, "\(e4)")
        #expect(o4.contains(uuidText), "\(o4)")

        // The commit is durable: reopening the file shows the row.
        let reopened = try DatabaseFile.open(path: dir + "/conf.db")
        #expect(reopened.db.tables["Open_vSwitch"]?.count == 1)
    }

    @Test func tcpAndBadJSON() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = try DatabaseSchema(text: String(contentsOfFile: vswitchSchemaPath, encoding: .utf8))
        let file = try DatabaseFile.create(path: dir + "/conf.db", schema: schema)
        let server = OVSDBServer(databases: [file])
        defer { server.stop() }
        let addr = try #require(try server.listen("ptcp:0:127.0.0.1"))
        let port = try #require(addr.port)
        let (s1, o1, e1) = try run(["ovsdb-client", "list-dbs", "tcp:127.0.0.1:\(port)"])
        #expect(s1 == 0, "\(e1)")
        #expect(o1 == "Open_vSwitch\n_Server\n")

        // Garbage after a good request: the reply, then an error, then EOF.
        let sock = dir + "/db.sock"
        try server.listen("punix:" + sock)
        let got = rawExchange(path: sock, text: #"{"method":"echo","params":[1],"id":1} xyz"#)
        #expect(got.contains(#""result":[1]"#), "\(got)")
        #expect(got.contains("syntax error"), "\(got)")
        let got2 = rawExchange(path: sock, text: #"{"method":"echo","params":[1],"id":1}{"a":tru}"#)
        #expect(got2.contains("syntax error"), "\(got2)")
    }
}
