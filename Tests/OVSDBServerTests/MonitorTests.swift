import Foundation
import NIOConcurrencyHelpers
import OVSDB
import Testing
@testable import OVSDBServer

/// A session whose messages are collected for inspection.
final class Probe: Sendable {
    let box = NIOLockedValueBox<[JSON]>([])
    let session: OVSDBSession
    let service: OVSDBService
    private let next = NIOLockedValueBox<Int>(100)

    init(_ service: OVSDBService) {
        self.service = service
        let box = self.box
        session = service.openSession { j in box.withLockedValue { $0.append(j) } }
    }

    /// Sends a request; returns the messages it produced (notifications, then the reply).
    func call(_ method: String, _ params: String) throws -> [JSON] {
        let id = next.withLockedValue { $0 += 1; return $0 }
        let msg = try JSON.parse(#"{"method":"\#(method)","params":\#(params),"id":\#(id)}"#)
        service.handle(msg, session: session)
        service.waitForSyncs()
        return drain()
    }

    /// The reply's result (or error) of a request.
    func reply(_ method: String, _ params: String) throws -> JSON {
        let msgs = try call(method, params)
        let r = try #require(msgs.last(where: { $0["method"] == nil }))
        return r["error"] != .null ? (r["error"] ?? .null) : (r["result"] ?? .null)
    }

    func drain() -> [JSON] { box.withLockedValue { let r = $0; $0 = []; return r } }
}

func vswitchService(_ dir: String) throws -> OVSDBService {
    let file = try DatabaseFile.create(path: dir + "/conf.db", schema: Schemas.vswitch())
    return OVSDBService(databases: [file])
}

@Suite struct MonitorTests {
    @Test func monitorV1UpdatesAndCancel() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let svc = try vswitchService(dir)
        let a = Probe(svc), b = Probe(svc)
        #expect(try a.reply("monitor", #"["Open_vSwitch","m",{"Open_vSwitch":{"columns":["next_cfg","external_ids"]}}]"#) == .object([]))
        let msgs = try b.call("transact", #"["Open_vSwitch",{"op":"insert","table":"Open_vSwitch","row":{"next_cfg":3}}]"#)
        let uuid = try #require(msgs.last?["result"]?.arrayValue?.first?["uuid"]?.arrayValue?.last?.stringValue)
        var n = a.drain()
        #expect(n.count == 1)
        #expect(n.first?["method"] == .string("update"))
        #expect(n.first?["params"]?.arrayValue?.first == .string("m"))
        let row = n.first?["params"]?.arrayValue?.last?["Open_vSwitch"]?[uuid]
        #expect(row?["new"]?["next_cfg"] == .int(3))
        #expect(row?["new"]?["external_ids"] == (try JSON.parse(#"["map",[]]"#)))
        #expect(row?["old"] == nil)

        // A modify: "old" holds only the changed columns.
        _ = try b.call("transact", #"["Open_vSwitch",{"op":"update","table":"Open_vSwitch","where":[],"row":{"next_cfg":4}}]"#)
        n = a.drain()
        let m = n.first?["params"]?.arrayValue?.last?["Open_vSwitch"]?[uuid]
        #expect(m?["old"] == (try JSON.parse(#"{"next_cfg":3}"#)))
        #expect(m?["new"]?["next_cfg"] == .int(4))
        // A change to an unmonitored column sends nothing.
        _ = try b.call("transact", #"["Open_vSwitch",{"op":"update","table":"Open_vSwitch","where":[],"row":{"cur_cfg":1}}]"#)
        #expect(a.drain().isEmpty)

        // A second monitor sees the row in its initial contents.
        let initial = try a.reply("monitor", #"["Open_vSwitch","m2",{"Open_vSwitch":{"columns":["next_cfg"]}}]"#)
        #expect(initial["Open_vSwitch"]?[uuid]?["new"] == (try JSON.parse(#"{"next_cfg":4}"#)))
        #expect(try a.reply("monitor", #"["Open_vSwitch","m2",{}]"#)["details"] == .string("duplicate monitor ID"))

        #expect(try a.reply("monitor_cancel", #"["m"]"#) == .object([]))
        #expect(try a.reply("monitor_cancel", #"["m"]"#) == .string("unknown monitor"))
        _ = try b.call("transact", #"["Open_vSwitch",{"op":"delete","table":"Open_vSwitch","where":[]}]"#)
        n = a.drain()
        #expect(n.count == 1)  // only m2 remains
        #expect(n.first?["params"]?.arrayValue?.last?["Open_vSwitch"]?[uuid]?["old"] == (try JSON.parse(#"{"next_cfg":4}"#)))
    }

    @Test func monitorCondAndConditionChange() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let svc = try vswitchService(dir)
        let a = Probe(svc), b = Probe(svc)
        _ = try b.call("transact", #"""
            ["Open_vSwitch",{"op":"insert","table":"Open_vSwitch","row":{"bridges":["set",[["named-uuid","b0"],["named-uuid","b1"]]]}},
             {"op":"insert","table":"Bridge","uuid-name":"b0","row":{"name":"br0"}},
             {"op":"insert","table":"Bridge","uuid-name":"b1","row":{"name":"br1"}}]
            """#)
        let r = try a.reply("monitor_cond", #"["Open_vSwitch","c",{"Bridge":[{"columns":["name","external_ids"],"where":[["name","==","br0"]]}]}]"#)
        let rows = try #require(r["Bridge"]?.objectValue)
        #expect(rows.count == 1)
        // update2 "initial" omits columns at their default value.
        #expect(rows.first?.1 == (try JSON.parse(#"{"initial":{"name":"br0"}}"#)))
        let br0 = rows[0].0

        _ = try b.call("transact", #"["Open_vSwitch",{"op":"mutate","table":"Bridge","where":[],"mutations":[["external_ids","insert",["map",[["k","v"]]]]]}]"#)
        var n = a.drain()
        #expect(n.count == 1)
        #expect(n.first?["method"] == .string("update2"))
        let upd = try #require(n.first?["params"]?.arrayValue?.last?["Bridge"]?.objectValue)
        #expect(upd.count == 1)  // br1 is outside the condition
        #expect(upd.first?.0 == br0)
        #expect(upd.first?.1 == (try JSON.parse(#"{"modify":{"external_ids":["map",[["k","v"]]]}}"#)))

        // Changing the condition: br0 leaves ("delete"), br1 enters ("insert").
        let msgs = try a.call("monitor_cond_change", #"["c","c",{"Bridge":[{"where":[["name","==","br1"]]}]}]"#)
        #expect(msgs.count == 2)
        let cu = try #require(msgs.first?["params"]?.arrayValue?.last?["Bridge"]?.objectValue)
        #expect(cu.count == 2)
        #expect(cu.first(where: { $0.0 == br0 })?.1 == (try JSON.parse(#"{"delete":null}"#)))
        #expect(cu.first(where: { $0.0 != br0 })?.1 == (try JSON.parse(#"{"insert":{"name":"br1","external_ids":["map",[["k","v"]]]}}"#)))
        #expect(msgs.last?["result"] == .object([]))
        #expect(try a.reply("monitor_cond_change", #"["zz","zz",{}]"#)["details"] == .string("unknown monitor session"))
        #expect(try a.reply("monitor_cond_change", #"["c","c",{"Bridge":[{"columns":["name"]}]}]"#)["details"] == .string("changing columns is unsupported"))

        // A row that stops matching is deleted for the client.
        #expect(try a.reply("monitor_cond_change", #"["c","c",{"Bridge":[{"where":[["external_ids","includes",["map",[["k","v"]]]]]}]}]"#) == .object([]))
        _ = a.drain()
        _ = try b.call("transact", #"["Open_vSwitch",{"op":"mutate","table":"Bridge","where":[["name","==","br0"]],"mutations":[["external_ids","delete",["set",["k"]]]]}]"#)
        n = a.drain()
        #expect(n.first?["params"]?.arrayValue?.last?["Bridge"]?[br0] == (try JSON.parse(#"{"delete":null}"#)))
    }

    @Test func monitorCondSinceAndServerDatabase() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let svc = try vswitchService(dir)
        let a = Probe(svc)
        let r = try a.reply("monitor_cond_since", #"["Open_vSwitch","s",{"Open_vSwitch":[{"columns":["next_cfg"]}]},"00000000-0000-0000-0000-000000000000"]"#)
        #expect(r == (try JSON.parse(#"[false,"00000000-0000-0000-0000-000000000000",{}]"#)))
        _ = try a.call("transact", #"["Open_vSwitch",{"op":"insert","table":"Open_vSwitch","row":{"next_cfg":1}}]"#)
        let msgs = try a.call("echo", "[]")
        _ = msgs
        // update3 came before the transaction's reply (drained by the call above).
        let e = try a.reply("monitor_cond_since", #"["Open_vSwitch","s2",{},"bad"]"#)
        #expect(e["details"] == .string("last-txn-id must be UUID format."))

        let s = try a.reply("monitor_cond", #"["_Server","srv",{"Database":[{"columns":["name","model","connected","leader"]}]}]"#)
        let rows = try #require(s["Database"]?.objectValue)
        #expect(Set(rows.compactMap { $0.1["initial"]?["name"]?.stringValue }) == ["Open_vSwitch", "_Server"])
        #expect(rows.allSatisfy { $0.1["initial"]?["model"] == .string("standalone") && $0.1["initial"]?["leader"] == .bool(true) })
    }

    @Test func update3Notification() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let svc = try vswitchService(dir)
        let a = Probe(svc), b = Probe(svc)
        _ = try a.reply("monitor_cond_since", #"["Open_vSwitch","s",{"Open_vSwitch":[{"columns":["next_cfg"]}]},"00000000-0000-0000-0000-000000000000"]"#)
        _ = try b.call("transact", #"["Open_vSwitch",{"op":"insert","table":"Open_vSwitch","row":{"next_cfg":1}}]"#)
        let n = a.drain()
        #expect(n.count == 1)
        #expect(n.first?["method"] == .string("update3"))
        let p = try #require(n.first?["params"]?.arrayValue)
        #expect(p.count == 3)
        #expect(p[0] == .string("s"))
        #expect(p[1] == .string("00000000-0000-0000-0000-000000000000"))
        #expect(p[2]["Open_vSwitch"]?.objectValue?.first?.1 == (try JSON.parse(#"{"insert":{"next_cfg":1}}"#)))
    }

    @Test func locks() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let svc = try vswitchService(dir)
        let a = Probe(svc), b = Probe(svc), c = Probe(svc)
        #expect(try a.reply("lock", #"["L"]"#) == (try JSON.parse(#"{"locked":true}"#)))
        #expect(try a.reply("lock", #"["L"]"#)["details"] == .string("must issue \"unlock\" before new \"lock\""))
        #expect(try b.reply("lock", #"["L"]"#) == (try JSON.parse(#"{"locked":false}"#)))
        #expect(try b.reply("unlock", #"["M"]"#)["error"] == .string("syntax error"))
        #expect(try b.reply("lock", #"["1bad"]"#)["details"] == .string("lock request params must be <id>"))
        // "assert" passes only for the owner.
        let ok = try a.reply("transact", #"["Open_vSwitch",{"op":"assert","lock":"L"}]"#)
        #expect(ok == (try JSON.parse("[{}]")))
        let notOwner = try b.reply("transact", #"["Open_vSwitch",{"op":"assert","lock":"L"}]"#)
        #expect(notOwner.arrayValue?.first?["error"] == .string("not owner"))
        // c steals: a is told "stolen"; when c unlocks, a owns it again.
        #expect(try c.reply("steal", #"["L"]"#) == (try JSON.parse(#"{"locked":true}"#)))
        #expect(a.drain() == [try JSON.parse(#"{"id":null,"method":"stolen","params":["L"]}"#)])
        #expect(try c.reply("unlock", #"["L"]"#) == .object([]))
        #expect(a.drain() == [try JSON.parse(#"{"id":null,"method":"locked","params":["L"]}"#)])
        // a's session closes: b, the next waiter, gets the lock.
        svc.closeSession(a.session)
        #expect(b.drain() == [try JSON.parse(#"{"id":null,"method":"locked","params":["L"]}"#)])
        #expect(try b.reply("set_db_change_aware", "[true]") == .object([]))
        #expect(try b.reply("set_db_change_aware", "[1]")["error"] == .string("syntax error"))
    }

    @Test func durableCommitWithSyncPool() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try DatabaseFile.create(path: dir + "/conf.db", schema: Schemas.vswitch())
        let server = OVSDBServer(databases: [file])
        defer { server.stop() }
        let a = Probe(server.service)
        _ = try a.reply("transact", #"["Open_vSwitch",{"op":"insert","table":"Open_vSwitch","row":{}}]"#)
        for i in 1...20 {
            let r = try a.reply("transact", #"["Open_vSwitch",{"op":"update","table":"Open_vSwitch","where":[],"row":{"next_cfg":\#(i)}},{"op":"commit","durable":\#(i % 2 == 0)}]"#)
            #expect(r == (try JSON.parse(#"[{"count":1},{}]"#)))
        }
        #expect(file.unsyncedWrites == 0)
        let reopened = try DatabaseFile.open(path: dir + "/conf.db")
        #expect(reopened.db.tables["Open_vSwitch"]?.first?.value.columns["next_cfg"] == .scalar(.integer(20)))
    }
}

@Suite struct SchemaTests {
    /// svs's built-in Open_vSwitch schema has Open vSwitch's tables, columns,
    /// types and constraints.
    @Test func vswitchSchemaMatchesOpenVSwitch() throws {
        let ours = Schemas.vswitch()
        let theirs = try DatabaseSchema(text: String(contentsOfFile: vswitchSchemaPath, encoding: .utf8))
        #expect(ours.name == theirs.name)
        #expect(ours.version == theirs.version)
        #expect(Set(ours.tables.keys) == Set(theirs.tables.keys))
        #expect(ours.tables.count == 19)
        for (tn, t) in theirs.tables {
            let o = try #require(ours.tables[tn])
            #expect(o.isRoot == t.isRoot, "\(tn) isRoot")
            #expect(o.maxRows == t.maxRows, "\(tn) maxRows")
            #expect(Set(o.indexes.map { $0.sorted() }) == Set(t.indexes.map { $0.sorted() }), "\(tn) indexes")
            #expect(Set(o.columns.keys) == Set(t.columns.keys), "\(tn) columns")
            for (cn, c) in t.columns {
                let oc = try #require(o.columns[cn])
                #expect(oc.type == c.type, "\(tn).\(cn) type")
                #expect(oc.mutable == c.mutable, "\(tn).\(cn) mutable")
                #expect(oc.ephemeral == c.ephemeral, "\(tn).\(cn) ephemeral")
            }
        }
        // And the real ovsdb-tool accepts it.
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Schemas.vswitchText.write(toFile: dir + "/s.ovsschema", atomically: true, encoding: .utf8)
        let (st, out, err) = try run(["ovsdb-tool", "schema-version", dir + "/s.ovsschema"])
        #expect(st == 0, "\(err)")
        #expect(out == "8.3.1\n")
        let server = Schemas.server()
        #expect(server.tables["Database"]?.columns.count == 8)
    }
}
