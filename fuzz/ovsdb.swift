// fuzz-modules: OVSDB
//
// libFuzzer target for what OVSDB clients send: arbitrary bytes as JSON
// (what parses prints as text that parses and settles), then, when
// the JSON is an array, as the params of a `transact` against a small schema
// with strong and weak references, maps, sets and constraints. Any input may
// be refused with an error; none may trap, and a refused transaction must
// leave the database unchanged.
// Run it with `scripts/fuzz ovsdb SECONDS`; seeds are in ovsdb.seeds.
import OVSDB

let schemaText = """
{"name":"Fuzz","version":"1.0.0","tables":{
 "Root":{"isRoot":true,"maxRows":8,"indexes":[["name"]],"columns":{
   "name":{"type":"string"},
   "kids":{"type":{"key":{"type":"uuid","refTable":"Kid"},"min":0,"max":"unlimited"}},
   "weak":{"type":{"key":{"type":"uuid","refTable":"Kid","refType":"weak"},"min":0,"max":2}},
   "opts":{"type":{"key":"string","value":{"type":"integer","minInteger":0,"maxInteger":100},"min":0,"max":"unlimited"}},
   "mode":{"type":{"key":{"type":"string","enum":["set",["a","b"]]},"min":0,"max":1}}}},
 "Kid":{"columns":{
   "n":{"type":{"key":{"type":"integer","minInteger":-5,"maxInteger":5}}},
   "r":{"type":"real"},
   "tags":{"type":{"key":"string","min":0,"max":3}}}}}}
"""

/// The database every input starts from: one root row holding a kid.
nonisolated(unsafe) let base: Database = {
    guard let schema = try? DatabaseSchema(text: schemaText) else { fatalError("fuzz schema does not parse") }
    var db = Database(schema: schema)
    let setup = try! JSON.parse("""
        ["Fuzz",{"op":"insert","table":"Kid","row":{"n":1,"tags":["set",["x"]]},"uuid-name":"k"},
         {"op":"insert","table":"Root","row":{"name":"r","kids":["named-uuid","k"],"weak":["named-uuid","k"]}}]
        """)
    guard db.transact(params: setup).changes != nil else { fatalError("fuzz setup transaction failed") }
    return db
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let json = try? JSON.parse(bytes) else { return 0 }
    // What svs prints must parse. As in Open vSwitch, reals print with 15
    // significant digits and an integral `6.5e+15` reads back as an integer,
    // so the first round may change a number; the second must not.
    guard let once = try? JSON.parse(json.text), let twice = try? JSON.parse(once.text),
          twice.text == once.text else {
        fatalError("JSON print does not settle: \(json.text)")
    }
    guard case .array = json else { return 0 }
    var db = base
    let (results, changes) = db.transact(params: .array([.string("Fuzz")] + (json.arrayValue ?? [])))
    if changes == nil, db.tables != base.tables {
        fatalError("a refused transaction changed the database: \(results.text)")
    }
    return 0
}
