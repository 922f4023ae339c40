import OVSDB
import OVSDBClient

/// One parsed vsctl command: its options (`--may-exist`, `--id=@x`...), its
/// name and its arguments (`argv[0]` is the name, as in OVS).
struct VSCtlCommand {
    var options: [(String, String?)] = []
    var argv: [String] = []
    var name: String { argv[0] }
    func has(_ o: String) -> Bool { options.contains { $0.0 == o } }
    func value(_ o: String) -> String? { options.first { $0.0 == o }?.1 }

    /// The command as `vsctl_context_to_string` prints it.
    var text: String {
        (options.map { (name, value) in value.map { "\(name)=\($0)" } ?? name } + argv).joined(separator: " ")
    }
}

/// What one command printed: text, or a table (list and find).
enum VSCtlOutput {
    case text(String)
    case table(headings: [String], rows: [[(Datum, ColumnType)]])
}

/// The syntax of a command: argument counts and allowed options
/// (`name=` takes a value).
struct VSCtlSyntax {
    var min: Int
    var max: Int
    var options: [String]
    var readOnly: Bool
}

enum VSCtlCatalog {
    static let commands: [String: VSCtlSyntax] = [
        "init": .init(min: 0, max: 0, options: [], readOnly: false),
        "show": .init(min: 0, max: 0, options: [], readOnly: true),
        "emer-reset": .init(min: 0, max: 0, options: [], readOnly: false),
        "add-br": .init(min: 1, max: 3, options: ["--may-exist"], readOnly: false),
        "del-br": .init(min: 1, max: 1, options: ["--if-exists"], readOnly: false),
        "list-br": .init(min: 0, max: 0, options: ["--real", "--fake"], readOnly: true),
        "br-exists": .init(min: 1, max: 1, options: [], readOnly: true),
        "br-to-vlan": .init(min: 1, max: 1, options: [], readOnly: true),
        "br-to-parent": .init(min: 1, max: 1, options: [], readOnly: true),
        "list-ports": .init(min: 1, max: 1, options: [], readOnly: true),
        "add-port": .init(min: 2, max: Int.max, options: ["--may-exist"], readOnly: false),
        "del-port": .init(min: 1, max: 2, options: ["--if-exists", "--with-iface"], readOnly: false),
        "port-to-br": .init(min: 1, max: 1, options: [], readOnly: true),
        "add-bond": .init(min: 4, max: Int.max, options: ["--may-exist", "--fake-iface"], readOnly: false),
        "list-ifaces": .init(min: 1, max: 1, options: [], readOnly: true),
        "iface-to-br": .init(min: 1, max: 1, options: [], readOnly: true),
        "br-set-external-id": .init(min: 2, max: 3, options: [], readOnly: false),
        "br-get-external-id": .init(min: 1, max: 2, options: [], readOnly: true),
        "get-controller": .init(min: 1, max: 1, options: [], readOnly: true),
        "del-controller": .init(min: 1, max: 1, options: [], readOnly: false),
        "set-controller": .init(min: 1, max: Int.max, options: ["--inactivity-probe="], readOnly: false),
        "get-fail-mode": .init(min: 1, max: 1, options: [], readOnly: true),
        "del-fail-mode": .init(min: 1, max: 1, options: [], readOnly: false),
        "set-fail-mode": .init(min: 2, max: 2, options: [], readOnly: false),
        "get-manager": .init(min: 0, max: 0, options: [], readOnly: true),
        "del-manager": .init(min: 0, max: 0, options: [], readOnly: false),
        "set-manager": .init(min: 1, max: Int.max, options: ["--inactivity-probe="], readOnly: false),
        "comment": .init(min: 0, max: Int.max, options: [], readOnly: true),
        "get": .init(min: 2, max: Int.max, options: ["--if-exists", "--id="], readOnly: true),
        "list": .init(min: 1, max: Int.max, options: ["--if-exists", "--columns="], readOnly: true),
        "find": .init(min: 1, max: Int.max, options: ["--columns="], readOnly: true),
        "set": .init(min: 3, max: Int.max, options: ["--if-exists"], readOnly: false),
        "add": .init(min: 4, max: Int.max, options: ["--if-exists"], readOnly: false),
        "remove": .init(min: 4, max: Int.max, options: ["--if-exists"], readOnly: false),
        "clear": .init(min: 3, max: Int.max, options: ["--if-exists"], readOnly: false),
        "create": .init(min: 2, max: Int.max, options: ["--id="], readOnly: false),
        "destroy": .init(min: 1, max: Int.max, options: ["--if-exists", "--all"], readOnly: false),
        "wait-until": .init(min: 2, max: Int.max, options: [], readOnly: true),
    ]

    /// Every option any command accepts (what may precede the first command).
    static var localOptions: Set<String> {
        Set(commands.values.flatMap { $0.options.map { $0.hasSuffix("=") ? String($0.dropLast()) : $0 } })
    }

    /// Splits `args` at `--` into commands, as `ctl_parse_commands`.
    static func parse(_ args: [String], local: [(String, String?)]) throws(VSCtlError) -> [VSCtlCommand] {
        var commands: [VSCtlCommand] = []
        var local = local
        var start = 0
        for i in 0...args.count where i == args.count || args[i] == "--" {
            if i > start {
                commands.append(try parseOne(Array(args[start..<i]), local: local))
                local = []
            } else if !local.isEmpty {
                throw VSCtlError("missing command name (use --help for help)")
            }
            start = i + 1
        }
        if commands.isEmpty { throw VSCtlError("missing command name (use --help for help)") }
        return commands
    }

    static func parseOne(_ argv: [String], local: [(String, String?)]) throws(VSCtlError) -> VSCtlCommand {
        var c = VSCtlCommand(options: local)
        var i = 0
        while i < argv.count, argv[i].hasPrefix("-") {
            let o = argv[i]
            let kv: (String, String?)
            if let eq = o.firstIndex(of: "=") {
                kv = (String(o[..<eq]), String(o[o.index(after: eq)...]))
            } else {
                kv = (o, nil)
            }
            if c.has(kv.0) { throw VSCtlError("'\(o)' option specified multiple times") }
            c.options.append(kv)
            i += 1
        }
        guard i < argv.count else { throw VSCtlError("missing command name (use --help for help)") }
        let name = argv[i]
        guard let syntax = commands[name] else { throw VSCtlError("unknown command '\(name)'; use --help for help") }
        for (o, v) in c.options {
            let takesValue = syntax.options.contains(o + "=")
            guard takesValue || syntax.options.contains(o) else {
                throw VSCtlError("'\(name)' command has no '\(o)' option")
            }
            if takesValue && v == nil { throw VSCtlError("missing argument to '\(o)' option on '\(name)' command") }
            if !takesValue && v != nil { throw VSCtlError("'\(o)' option on '\(name)' does not accept an argument") }
        }
        let n = argv.count - i - 1
        if n < syntax.min { throw VSCtlError("'\(name)' command requires at least \(syntax.min) arguments") }
        if n > syntax.max {
            if argv[(i + 1)...].contains(where: { $0.hasPrefix("-") }) {
                throw VSCtlError("'\(name)' command takes at most \(syntax.max) arguments (note that options must precede command names and follow a \"--\" argument)")
            }
            throw VSCtlError("'\(name)' command takes at most \(syntax.max) arguments")
        }
        c.argv = Array(argv[i...])
        return c
    }
}

/// How a row of a table can be named on the command line besides its UUID
/// (ovs-vsctl's `row_ids`): by a name column of `table` itself, or of
/// another table whose `uuidColumn` points at the row.
struct VSCtlRowID {
    var table: String
    var nameColumn: String
    var uuidColumn: String?

    static let byTable: [String: VSCtlRowID] = [
        "Bridge": .init(table: "Bridge", nameColumn: "name"),
        "Controller": .init(table: "Bridge", nameColumn: "name", uuidColumn: "controller"),
        "Interface": .init(table: "Interface", nameColumn: "name"),
        "Mirror": .init(table: "Mirror", nameColumn: "name"),
        "Manager": .init(table: "Manager", nameColumn: "target"),
        "NetFlow": .init(table: "Bridge", nameColumn: "name", uuidColumn: "netflow"),
        "Port": .init(table: "Port", nameColumn: "name"),
        "QoS": .init(table: "Port", nameColumn: "name", uuidColumn: "qos"),
        "sFlow": .init(table: "Bridge", nameColumn: "name", uuidColumn: "sflow"),
        "Flow_Table": .init(table: "Flow_Table", nameColumn: "name"),
        "IPFIX": .init(table: "Bridge", nameColumn: "name", uuidColumn: "ipfix"),
        "AutoAttach": .init(table: "Bridge", nameColumn: "name", uuidColumn: "auto_attach"),
        "Flow_Sample_Collector_Set": .init(table: "Flow_Sample_Collector_Set", nameColumn: "id"),
    ]
}

/// Runs a list of commands against a `VSCtlDB`, as one ovs-vsctl invocation
/// does inside one IDL transaction.
struct VSCtlRunner {
    var db: VSCtlDB
    var ovs: UUID
    var symbols = VSCtlSymbols()
    var outputs: [VSCtlOutput] = []
    /// Commands whose output is the temporary UUID of a `create`d row.
    var created: [Int: UUID] = [:]
    /// Interfaces added by add-br/add-port/add-bond, checked for errors once
    /// ovs-vswitchd has applied the change (temporary UUIDs).
    var expectedIfaces: [UUID] = []
    /// Warnings ovs-vsctl logs (on stderr) without failing.
    var warnings: [(module: String, text: String)] = []
    /// Set by wait-until when its condition does not hold yet.
    var tryAgain = false
    var isLastCommand = false

    var cache: VSCtlCache { VSCtlCache(db, ovs: ovs) }

    mutating func run(_ commands: [VSCtlCommand]) throws(VSCtlError) {
        for (i, c) in commands.enumerated() {
            isLastCommand = i == commands.count - 1
            var out = ""
            var table: VSCtlOutput? = nil
            try run(c, index: i, &out, &table)
            outputs.append(table ?? .text(out))
            if tryAgain { return }
        }
        for name in symbols.order {
            let s = symbols.table[name]!
            if !s.created {
                throw VSCtlError("row id \"\(name)\" is referenced but never created (e.g. with \"-- --id=\(name) create ...\")")
            }
            if !s.strongRef {
                warnings.append(("vsctl", s.weakRef
                    ? "row id \"\(name)\" was created but only a weak reference to it was inserted, so it will not actually appear in the database"
                    : "row id \"\(name)\" was created but no reference to it was inserted, so it will not actually appear in the database"))
            }
        }
    }

    mutating func run(_ c: VSCtlCommand, index: Int, _ out: inout String, _ table: inout VSCtlOutput?) throws(VSCtlError) {
        let a = c.argv
        switch c.name {
        case "init", "comment": break
        case "emer-reset": emergencyReset()
        case "show": show(&out)
        case "add-br": try addBridge(c)
        case "del-br":
            if let b = try cache.findBridge(a[1], mustExist: !c.has("--if-exists")) { deleteBridge(b) }
        case "list-br":
            var real = c.has("--real"), fake = c.has("--fake")
            if !real && !fake { real = true; fake = true }
            for b in cache.bridges.values.filter({ $0.parent == nil ? real : fake }).map(\.name).sortedBytes() { out += b + "\n" }
        case "br-exists":
            if try cache.findBridge(a[1], mustExist: false) == nil { throw VSCtlError("", status: 2) }
        case "br-to-vlan": out += "\(try cache.findBridge(a[1], mustExist: true)!.vlan)\n"
        case "br-to-parent":
            let k = cache
            let b = try k.findBridge(a[1], mustExist: true)!
            out += (b.parent ?? b.name) + "\n"
        case "list-ports":
            let b = try cache.findBridge(a[1], mustExist: true)!
            for p in b.ports.filter({ $0 != b.name }).sortedBytes() { out += p + "\n" }
        case "list-ifaces":
            let k = cache
            let b = try k.findBridge(a[1], mustExist: true)!
            var names: [String] = []
            for p in b.ports { for i in k.ports[p]?.ifaces ?? [] where i != b.name { names.append(i) } }
            for i in names.sortedBytes() { out += i + "\n" }
        case "port-to-br": out += try cache.findPort(a[1], mustExist: true)!.bridge + "\n"
        case "iface-to-br":
            let k = cache
            let i = try k.findIface(a[1], mustExist: true)!
            out += k.ports[i.port]!.bridge + "\n"
        case "add-port":
            try addPort(c, bridge: a[1], port: a[2], ifaces: [a[2]], settings: Array(a[3...]), fakeIface: false)
        case "add-bond":
            var n = a.count - 3
            for i in 3..<a.count where a[i].contains("=") { n = i - 3; break }
            if n < 2 { throw VSCtlError("add-bond requires at least 2 interfaces, but only \(n) were specified") }
            try addPort(c, bridge: a[1], port: a[2], ifaces: Array(a[3..<(3 + n)]), settings: Array(a[(3 + n)...]),
                        fakeIface: c.has("--fake-iface"))
        case "del-port": try deletePort(c)
        case "br-set-external-id", "br-get-external-id": try bridgeExternalID(c, &out)
        case "get-controller":
            let k = cache
            let b = k.realBridge(try k.findBridge(a[1], mustExist: true)!)
            let targets = db.read("Bridge", b.uuid!, "controller").keys.compactMap(\.uuidValue)
                .compactMap { db.read("Controller", $0, "target").keys.first?.stringValue }
            for t in targets.sortedBytes() { out += t + "\n" }
        case "del-controller":
            let b = try realBridge(a[1])
            for r in db.read("Bridge", b, "controller").keys.compactMap(\.uuidValue) { db.delete("Controller", r) }
            db.write("Bridge", b, "controller", Datum())
        case "set-controller":
            let b = try realBridge(a[1])
            for r in db.read("Bridge", b, "controller").keys.compactMap(\.uuidValue) { db.delete("Controller", r) }
            db.write("Bridge", b, "controller", Datum(keys: insertTargets("Controller", Array(a[2...]), c).sorted()))
        case "get-fail-mode":
            let k = cache
            let b = k.realBridge(try k.findBridge(a[1], mustExist: true)!)
            if let m = db.read("Bridge", b.uuid!, "fail_mode").keys.first?.stringValue, !m.isEmpty { out += m + "\n" }
        case "del-fail-mode": db.write("Bridge", try realBridge(a[1]), "fail_mode", Datum())
        case "set-fail-mode":
            let b = try realBridge(a[1])
            if a[2] != "standalone" && a[2] != "secure" { throw VSCtlError("fail-mode must be \"standalone\" or \"secure\"") }
            db.write("Bridge", b, "fail_mode", Datum(keys: [.string(a[2])]))
        case "get-manager":
            let targets = db.read("Open_vSwitch", ovs, "manager_options").keys.compactMap(\.uuidValue)
                .compactMap { db.read("Manager", $0, "target").keys.first?.stringValue }
            for t in Array(Set(targets)).sortedBytes() { out += t + "\n" }
        case "del-manager", "set-manager":
            for r in db.read("Open_vSwitch", ovs, "manager_options").keys.compactMap(\.uuidValue) { db.delete("Manager", r) }
            db.write("Open_vSwitch", ovs, "manager_options", Datum())
            if c.name == "set-manager" {
                db.write("Open_vSwitch", ovs, "manager_options",
                         Datum(keys: insertTargets("Manager", Array(a[1...]), c).sorted()))
            }
        case "get": try get(c, &out)
        case "list": table = try list(c)
        case "find": table = try find(c)
        case "set": try set(c)
        case "add": try add(c)
        case "remove": try remove(c)
        case "clear": try clear(c)
        case "create":
            let u = try create(c)
            created[index] = u
            out = u.string
        case "destroy": try destroy(c)
        case "wait-until": try waitUntil(c)
        default: throw VSCtlError("unknown command '\(c.name)'; use --help for help")
        }
    }

    // MARK: show

    static let showTables: [String: (name: String?, columns: [String])] = [
        "Open_vSwitch": (nil, ["manager_options", "bridges", "ovs_version"]),
        "Bridge": ("name", ["controller", "fail_mode", "datapath_type", "ports"]),
        "Port": ("name", ["tag", "trunks", "interfaces"]),
        "Interface": ("name", ["type", "options", "error", "bfd_status"]),
        "Controller": ("target", ["is_connected"]),
        "Manager": ("target", ["is_connected"]),
    ]

    func show(_ out: inout String) {
        var shown = Set<String>()
        for u in db.uuids("Open_vSwitch") { showRow("Open_vSwitch", u, 0, &shown, &out) }
    }

    func showRow(_ table: String, _ uuid: UUID, _ level: Int, _ shown: inout Set<String>, _ out: inout String) {
        let pad = String(repeating: " ", count: level * 4)
        let show = VSCtlRunner.showTables[table]
        let ts = db.tableSchema(table)
        if let n = show?.name, let c = ts.columns[n] {
            out += pad + table + " " + VSCtlText.string(db.read(table, uuid, n), c.type) + "\n"
        } else {
            out += pad + uuid.string + "\n"
        }
        guard let show, !shown.contains(table) else { return }
        shown.insert(table)
        defer { shown.remove(table) }
        for col in show.columns {
            guard let cs = ts.columns[col] else { continue }
            let d = db.read(table, uuid, col)
            if cs.type.key.type == .uuid, let ref = cs.type.key.refTable, VSCtlRunner.showTables[ref] != nil {
                for case .uuid(let r) in d.keys where db.row(ref, r) != nil { showRow(ref, r, level + 1, &shown, &out) }
                continue
            }
            if let vt = cs.type.value, vt.type == .uuid, let ref = vt.refTable, let rs = VSCtlRunner.showTables[ref],
               let rn = rs.name, let rc = db.tableSchema(ref).columns[rn] {
                out += pad + "    \(col):\n"
                for (i, k) in d.keys.enumerated() {
                    out += pad + "        " + k.string + "="
                    if case .uuid(let r) = d.values![i], db.row(ref, r) != nil {
                        out += VSCtlText.string(db.read(ref, r, rn), rc.type)
                    } else {
                        out += "\"<null>\""
                    }
                    out += "\n"
                }
                continue
            }
            if d != Datum.defaultValue(cs.type) {
                out += pad + "    \(col): " + VSCtlText.string(d, cs.type) + "\n"
            }
        }
    }

    /// `emer-reset`: clears the configuration that could keep the switch
    /// from working (controllers, managers, mirrors, monitoring, other_config).
    mutating func emergencyReset() {
        func empty(_ t: String, _ c: String) -> Datum {
            Datum(keys: [], values: db.tableSchema(t).columns[c]!.type.isMap ? [] : nil)
        }
        db.write("Open_vSwitch", ovs, "manager_options", empty("Open_vSwitch", "manager_options"))
        db.write("Open_vSwitch", ovs, "ssl", empty("Open_vSwitch", "ssl"))
        for b in db.uuids("Bridge") {
            for c in ["controller", "fail_mode", "mirrors", "netflow", "sflow", "ipfix", "flood_vlans"] {
                db.write("Bridge", b, c, empty("Bridge", c))
            }
            let other = db.read("Bridge", b, "other_config")
            if let i = other.keys.firstIndex(of: .string("hwaddr")) {
                db.write("Bridge", b, "other_config", Datum(keys: [other.keys[i]], values: [other.values![i]]))
            } else {
                db.write("Bridge", b, "other_config", empty("Bridge", "other_config"))
            }
        }
        for p in db.uuids("Port") { db.write("Port", p, "other_config", empty("Port", "other_config")) }
        for i in db.uuids("Interface") {
            db.write("Interface", i, "ingress_policing_rate", .scalar(.integer(0)))
            db.write("Interface", i, "ingress_policing_burst", .scalar(.integer(0)))
        }
        for t in ["Mirror", "Controller", "Manager", "NetFlow", "SSL", "sFlow", "IPFIX"] {
            for r in db.uuids(t) { db.delete(t, r) }
        }
    }

    /// `find_real_bridge`: the Bridge row of a bridge that is not a fake one.
    func realBridge(_ name: String) throws(VSCtlError) -> UUID {
        let b = try cache.findBridge(name, mustExist: true)!
        if b.parent != nil { throw VSCtlError("\(name) is a fake bridge") }
        return b.uuid!
    }

    /// Inserts one Controller or Manager row per target (with
    /// `--inactivity-probe`); returns references to them.
    mutating func insertTargets(_ table: String, _ targets: [String], _ c: VSCtlCommand) -> [Atom] {
        targets.map { t in
            let u = db.insert(table)
            db.write(table, u, "target", .scalar(.string(t)))
            if let p = c.value("--inactivity-probe") {
                db.write(table, u, "inactivity_probe", Datum(keys: [.integer(atoiPrefix(p))]))
            }
            return .uuid(u)
        }
    }

    /// `br-set-external-id` and `br-get-external-id`: a real bridge's
    /// external_ids, or its Port's `fake-bridge-KEY` keys for a fake one.
    mutating func bridgeExternalID(_ c: VSCtlCommand, _ out: inout String) throws(VSCtlError) {
        let a = c.argv
        let k = cache
        let b = try k.findBridge(a[1], mustExist: true)!
        let (table, row, prefix) = b.uuid.map { ("Bridge", $0, "") } ?? ("Port", k.ports[b.name]!.uuid, "fake-bridge-")
        var d = db.read(table, row, "external_ids")
        if c.name == "br-set-external-id" {
            let key = Atom.string(prefix + a[2])
            if let i = d.keys.firstIndex(of: key) {
                d.keys.remove(at: i)
                d.values!.remove(at: i)
            }
            if a.count > 3 {
                d.keys.append(key)
                d.values!.append(.string(a[3]))
                let order = d.keys.indices.sorted { d.keys[$0] < d.keys[$1] }
                d = Datum(keys: order.map { d.keys[$0] }, values: order.map { d.values![$0] })
            }
            db.write(table, row, "external_ids", d)
        } else if a.count > 2 {
            if let i = d.keys.firstIndex(of: .string(prefix + a[2])) { out += d.values![i].bareString + "\n" }
        } else {
            for (i, key) in d.keys.enumerated() {
                guard let s = key.stringValue, s.hasPrefix(prefix) else { continue }
                out += "\(s.dropFirst(prefix.count))=\(d.values![i].bareString)\n"
            }
        }
    }

    // MARK: bridges and ports

    mutating func addBridge(_ c: VSCtlCommand) throws(VSCtlError) {
        let a = c.argv
        let name = a[1]
        if name.isEmpty { throw VSCtlError("bridge name must not be empty string") }
        var parentName: String? = nil
        var vlan = 0
        if a.count == 4 {
            parentName = a[2]
            vlan = Int(atoiPrefix(a[3]))
            if vlan < 0 || vlan > 4095 { throw VSCtlError("\(a[0]): vlan must be between 0 and 4095") }
        } else if a.count != 2 {
            throw VSCtlError("'\(a[0])' command takes exactly 1 or 3 arguments")
        }
        let k = cache
        if c.has("--may-exist"), let b = try k.findBridge(name, mustExist: false) {
            if let parentName {
                if b.parent == nil {
                    throw VSCtlError("\"--may-exist add-br \(name) \(parentName) \(vlan)\" but \(name) is not a VLAN bridge")
                } else if b.parent != parentName {
                    throw VSCtlError("\"--may-exist add-br \(name) \(parentName) \(vlan)\" but \(name) has the wrong parent \(b.parent!)")
                } else if b.vlan != vlan {
                    throw VSCtlError("\"--may-exist add-br \(name) \(parentName) \(vlan)\" but \(name) is a VLAN bridge for the wrong VLAN \(b.vlan)")
                }
            } else if b.parent != nil {
                throw VSCtlError("\"--may-exist add-br \(name)\" but \(name) is a VLAN bridge for VLAN \(b.vlan)")
            }
            return
        }
        try k.checkConflicts(name, "cannot create a bridge named \(name)")
        if let parentName {
            let parent = try k.findBridge(parentName, mustExist: false)
            if let p = parent, p.parent != nil { throw VSCtlError("cannot create bridge with fake bridge as parent") }
            guard let parent else { throw VSCtlError("parent bridge \(parentName) does not exist") }
            if let conflict = k.bridges.values.first(where: { $0.parent == parentName && $0.vlan == vlan }) {
                throw VSCtlError("bridge \(parentName) already has a child VLAN bridge \(conflict.name) on VLAN \(vlan)")
            }
            let iface = db.insert("Interface")
            expectedIfaces.append(iface)
            db.write("Interface", iface, "name", .scalar(.string(name)))
            db.write("Interface", iface, "type", .scalar(.string("internal")))
            let port = db.insert("Port")
            db.write("Port", port, "name", .scalar(.string(name)))
            db.write("Port", port, "interfaces", Datum(keys: [.uuid(iface)]))
            db.write("Port", port, "fake_bridge", .scalar(.boolean(true)))
            db.write("Port", port, "tag", Datum(keys: [.integer(Int64(vlan))]))
            addRef("Bridge", parent.uuid!, "ports", port)
        } else {
            let iface = db.insert("Interface")
            expectedIfaces.append(iface)
            db.write("Interface", iface, "name", .scalar(.string(name)))
            db.write("Interface", iface, "type", .scalar(.string("internal")))
            let port = db.insert("Port")
            db.write("Port", port, "name", .scalar(.string(name)))
            db.write("Port", port, "interfaces", Datum(keys: [.uuid(iface)]))
            let br = db.insert("Bridge")
            db.write("Bridge", br, "name", .scalar(.string(name)))
            db.write("Bridge", br, "ports", Datum(keys: [.uuid(port)]))
            addRef("Open_vSwitch", ovs, "bridges", br)
        }
    }

    /// C's `atoi`: the leading integer of `s`, 0 when there is none.
    func atoiPrefix(_ s: String) -> Int64 {
        var t = Substring(s.trimmingPrefixSpaces())
        var sign: Int64 = 1
        if t.hasPrefix("-") { sign = -1; t = t.dropFirst() } else if t.hasPrefix("+") { t = t.dropFirst() }
        let digits = t.prefix { $0.isASCII && $0.isNumber }.prefix(18)
        return sign * (Int64(digits) ?? 0)
    }

    mutating func addRef(_ table: String, _ row: UUID, _ column: String, _ target: UUID) {
        var d = db.read(table, row, column)
        if !d.keys.contains(.uuid(target)) {
            d.keys.append(.uuid(target))
            d.keys.sort()
        }
        db.write(table, row, column, d)
    }

    mutating func removeRef(_ table: String, _ row: UUID, _ column: String, _ target: UUID) {
        var d = db.read(table, row, column)
        d.keys.removeAll { $0 == .uuid(target) }
        db.write(table, row, column, d)
    }

    mutating func deletePortRows(_ p: VSCtlCache.Port, _ k: VSCtlCache) {
        let owner = k.realBridge(k.bridges[p.bridge]!)
        removeRef("Bridge", owner.uuid!, "ports", p.uuid)
        for i in p.ifaces { if let iface = k.ifaces[i] { db.delete("Interface", iface.uuid) } }
        db.delete("Port", p.uuid)
    }

    mutating func deleteBridge(_ b: VSCtlCache.Bridge) {
        let k = cache
        for child in k.bridges.values where child.parent == b.name { deleteBridge(child) }
        let k2 = cache
        for p in k2.bridges[b.name]?.ports ?? [] { if let port = k2.ports[p] { deletePortRows(port, k2) } }
        if let bu = b.uuid {
            for f in db.uuids("Flow_Sample_Collector_Set") where db.read("Flow_Sample_Collector_Set", f, "bridge").keys.first == .uuid(bu) {
                db.delete("Flow_Sample_Collector_Set", f)
            }
            db.delete("Bridge", bu)
            removeRef("Open_vSwitch", ovs, "bridges", bu)
        }
    }

    mutating func addPort(_ c: VSCtlCommand, bridge: String, port: String, ifaces: [String], settings: [String],
                          fakeIface: Bool) throws(VSCtlError) {
        if port.isEmpty { throw VSCtlError("port name must not be empty string") }
        if ifaces.contains("") { throw VSCtlError("interface name must not be empty string") }
        let k = cache
        if c.has("--may-exist"), let p = try k.findPort(port, mustExist: false) {
            let want = ifaces.sortedBytes()
            let have = db.read("Port", p.uuid, "interfaces").keys.compactMap(\.uuidValue)
                .map { db.read("Interface", $0, "name").keys.first?.stringValue ?? "" }.sortedBytes()
            if p.bridge != bridge {
                throw VSCtlError("\"\(c.text)\" but \(port) is actually attached to bridge \(p.bridge)")
            }
            if want != have {
                throw VSCtlError("\"\(c.text)\" but \(port) actually has interface(s) \(have.joined(separator: ", "))")
            }
            return
        }
        try k.checkConflicts(port, "cannot create a port named \(port)")
        for i in ifaces { try k.checkConflicts(i, "cannot create an interface named \(i)") }
        let br = try k.findBridge(bridge, mustExist: true)!
        var ifaceRows: [UUID] = []
        for i in ifaces {
            let u = db.insert("Interface")
            expectedIfaces.append(u)
            db.write("Interface", u, "name", .scalar(.string(i)))
            ifaceRows.append(u)
        }
        let p = db.insert("Port")
        db.write("Port", p, "name", .scalar(.string(port)))
        db.write("Port", p, "interfaces", Datum(keys: ifaceRows.map { .uuid($0) }.sorted()))
        db.write("Port", p, "bond_fake_iface", .scalar(.boolean(fakeIface)))
        if br.parent != nil { db.write("Port", p, "tag", Datum(keys: [.integer(Int64(br.vlan))])) }
        for s in settings { try setColumn("Port", p, s) }
        addRef("Bridge", k.realBridge(br).uuid!, "ports", p)
    }

    mutating func deletePort(_ c: VSCtlCommand) throws(VSCtlError) {
        let a = c.argv
        let mustExist = !c.has("--if-exists")
        let target = a[a.count - 1]
        let k = cache
        var port: VSCtlCache.Port?
        if try k.findBridge(target, mustExist: false) != nil {
            if mustExist {
                throw VSCtlError("cannot delete port \(target) because it is the local port for bridge \(target) (deleting this port requires deleting the entire bridge)")
            }
            port = nil
        } else if !c.has("--with-iface") {
            port = try k.findPort(target, mustExist: mustExist)
        } else {
            port = try k.findPort(target, mustExist: false)
            if port == nil, let i = try k.findIface(target, mustExist: false) { port = k.ports[i.port] }
            if mustExist && port == nil { throw VSCtlError("no port or interface named \(target)") }
        }
        guard let port else { return }
        if a.count == 3 {
            let b = try k.findBridge(a[1], mustExist: true)!
            if port.bridge != b.name {
                if k.bridges[port.bridge]?.parent == b.name {
                    throw VSCtlError("bridge \(a[1]) does not have a port \(a[2]) (although its child bridge \(port.bridge) does)")
                }
                throw VSCtlError("bridge \(a[1]) does not have a port \(a[2])")
            }
        }
        deletePortRows(port, k)
    }

    // MARK: database commands

    func table(_ name: String) throws(VSCtlError) -> TableSchema {
        var best: [String] = []
        var bestScore: UInt = 0
        for t in db.schema.tables.keys.sorted() {
            let s = VSCtlText.matchScore(t, name)
            if s > 0 && s >= bestScore {
                if s > bestScore { best = [] }
                best.append(t)
                bestScore = s
            }
        }
        if best.isEmpty { throw VSCtlError("unknown table \"\(name)\"") }
        if best.count > 1 { throw VSCtlError("\"\(name)\" matches multiple table names: \(best.joined(separator: ", "))") }
        return db.tableSchema(best[0])
    }

    func column(_ t: TableSchema, _ name: String) throws(VSCtlError) -> ColumnSchema {
        var best: [String] = []
        var bestScore: UInt = 0
        for c in t.columns.keys.sorted() {
            let s = VSCtlText.matchScore(c, name)
            if s > 0 && s >= bestScore {
                if s > bestScore { best = [] }
                best.append(c)
                bestScore = s
            }
        }
        if best.isEmpty { throw VSCtlError("\(t.name) does not contain a column whose name matches \"\(name)\"") }
        if best.count > 1 {
            throw VSCtlError("\(t.name) contains more than one column whose name matches \"\(name)\": \(best.joined(separator: ", "))")
        }
        return t.columns[best[0]]!
    }

    /// `ctl_get_row`: a row by UUID, ".", name, or UUID prefix.
    func getRow(_ t: TableSchema, _ id: String, mustExist: Bool) throws(VSCtlError) -> UUID? {
        var row: UUID? = nil
        if let u = UUID(id), db.row(t.name, u) != nil { row = u }
        if row == nil, id == "." {
            let all = db.uuids(t.name)
            if all.count == 1 { row = all[0] }
        }
        if row == nil, let rid = VSCtlRowID.byTable[t.name], let nameCol = db.schema.tables[rid.table]?.columns[rid.nameColumn] {
            var referrer: UUID? = nil
            let intName = nameCol.type.key.type == .integer
            if !intName || (!id.isEmpty && id.allSatisfy({ $0.isASCII && $0.isNumber })) {
                for u in db.uuids(rid.table) {
                    let d = db.read(rid.table, u, rid.nameColumn)
                    guard d.keys.count == 1 else { continue }
                    let match: Bool
                    switch d.keys[0] {
                    case .string(let s): match = s == id
                    case .integer(let i): match = i == Int64(id)
                    default: match = false
                    }
                    if match {
                        if referrer != nil { throw VSCtlError("multiple rows in \(rid.table) match \"\(id)\"") }
                        referrer = u
                    }
                }
            }
            if let r = referrer {
                if let uc = rid.uuidColumn {
                    let d = db.read(rid.table, r, uc)
                    if d.keys.count == 1, case .uuid(let u) = d.keys[0], db.row(t.name, u) != nil { row = u }
                } else {
                    row = r
                }
            }
        }
        if row == nil, id.count >= 4, id.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
            let lower = id.lowercased()
            for u in db.uuids(t.name) where u.string.hasPrefix(lower) {
                if let r = row {
                    throw VSCtlError("\(t.name) contains 2 or more rows whose UUIDs begin with \(id): at least \(r.string) and \(u.string)")
                }
                row = u
            }
        }
        if mustExist && row == nil { throw VSCtlError("no row \"\(id)\" in table \(t.name)") }
        return row
    }

    /// Splits `COLUMN[:KEY][OP VALUE]`; `ops` nil means no value part.
    func columnKeyValue(_ arg: String, _ t: TableSchema, ops: [String]?)
        throws(VSCtlError) -> (ColumnSchema, String?, Int, String?) {
        let s = Array(arg.utf8)
        var p = 0
        let colName = try VSCtlText.token(s, &p)
        if colName.isEmpty { throw VSCtlError("\(arg): missing column name") }
        let col = try column(t, colName)
        var key: String? = nil
        if p < s.count, s[p] == UInt8(ascii: ":") {
            p += 1
            key = try VSCtlText.token(s, &p)
        }
        guard let ops else {
            if p < s.count {
                throw VSCtlError("\(arg): trailing garbage \"\(String(decoding: s[p...], as: UTF8.self))\" in argument")
            }
            return (col, key, -1, nil)
        }
        var best = -1, bestLen = 0
        for (i, op) in ops.enumerated() {
            let o = Array(op.utf8)
            if o.count > bestLen, p + o.count < s.count, Array(s[p..<(p + o.count)]) == o {
                best = i
                bestLen = o.count
            }
        }
        if best < 0 {
            var m = "\(arg): argument does not end in \"\(ops[0])\""
            if ops.count == 2 {
                m += " or \"\(ops[1])\""
            } else if ops.count > 2 {
                for o in ops[1..<(ops.count - 1)] { m += ", \"\(o)\"" }
                m += ", or \"\(ops[ops.count - 1])\""
            }
            throw VSCtlError(m + " followed by a value.")
        }
        return (col, key, best, String(decoding: s[(p + bestLen)...], as: UTF8.self))
    }

    func checkMutable(_ t: TableSchema, _ row: UUID, _ c: ColumnSchema) throws(VSCtlError) {
        if !c.mutable && !db.isInserted(row) {
            throw VSCtlError("cannot modify read-only column \(c.name) in table \(t.name)")
        }
    }

    /// `set_column`: `COLUMN=VALUE` or `COLUMN:KEY=VALUE` on one row.
    mutating func setColumn(_ tableName: String, _ row: UUID, _ arg: String) throws(VSCtlError) {
        let t = db.tableSchema(tableName)
        let (col, key, _, value) = try columnKeyValue(arg, t, ops: ["="])
        guard let value else { throw VSCtlError("\(arg): missing value") }
        try checkMutable(t, row, col)
        if let key {
            guard let vt = col.type.value else { throw VSCtlError("cannot specify key to set for non-map column \(col.name)") }
            let k = try VSCtlText.atom(key, col.type.key, symbols: &symbols).0
            let v = try VSCtlText.atom(value, vt, symbols: &symbols).0
            var d = db.read(tableName, row, col.name)
            if let i = d.keys.firstIndex(of: k) {
                d.values![i] = v
            } else {
                d.keys.append(k)
                d.values!.append(v)
                let order = d.keys.indices.sorted { d.keys[$0] < d.keys[$1] }
                d = Datum(keys: order.map { d.keys[$0] }, values: order.map { d.values![$0] })
            }
            db.write(tableName, row, col.name, d)
        } else {
            db.write(tableName, row, col.name, try VSCtlText.datum(value, col.type, symbols: &symbols))
        }
    }

    mutating func get(_ c: VSCtlCommand, _ out: inout String) throws(VSCtlError) {
        let a = c.argv
        let id = c.value("--id")
        let mustExist = !c.has("--if-exists")
        if id != nil && !mustExist { throw VSCtlError("--if-exists and --id may not be specified together") }
        let t = try table(a[1])
        for arg in a.dropFirst(3) where arg.lowercased() != "_uuid" && arg.lowercased() != "-uuid" {
            var p = 0
            let name = try VSCtlText.token(Array(arg.utf8), &p)
            if name.isEmpty { throw VSCtlError("\(arg): missing column name") }
            _ = try column(t, name)
        }
        guard let row = try getRow(t, a[2], mustExist: mustExist) else { return }
        if let id {
            let isNew = symbols.table[id] == nil
            try symbols.create(id)
            if !isNew {
                throw VSCtlError("row id \"\(id)\" specified on \"get\" command was used before it was defined")
            }
            symbols.table[id]!.uuid = row
            symbols.table[id]!.strongRef = true
        }
        for arg in a.dropFirst(3) {
            if arg.lowercased() == "_uuid" || arg.lowercased() == "-uuid" {
                out += row.string + "\n"
                continue
            }
            let (col, key, _, _) = try columnKeyValue(arg, t, ops: nil)
            let d = db.read(t.name, row, col.name)
            if let key {
                guard col.type.value != nil else { throw VSCtlError("cannot specify key to get for non-map column \(col.name)") }
                let k = try VSCtlText.atom(key, col.type.key, symbols: &symbols).0
                if let i = d.keys.firstIndex(of: k) {
                    out += d.values![i].string
                } else if mustExist {
                    throw VSCtlError("no key \"\(key)\" in \(t.name) record \"\(a[2])\" column \(col.name)")
                }
            } else {
                out += VSCtlText.string(d, col.type)
            }
            out += "\n"
        }
    }

    func listColumns(_ c: VSCtlCommand, _ t: TableSchema) throws(VSCtlError) -> [ColumnSchema?] {
        guard let names = c.value("--columns") else { return [nil] + t.columnOrder.sorted().map { t.columns[$0]! } }
        var cols: [ColumnSchema?] = []
        for n in names.split(whereSeparator: { $0 == "," || $0 == " " }) {
            cols.append(n.lowercased() == "_uuid" ? nil : try column(t, String(n)))
        }
        if cols.isEmpty { throw VSCtlError("must specify at least one column name") }
        return cols
    }

    func record(_ t: TableSchema, _ row: UUID, _ cols: [ColumnSchema?]) -> [(Datum, ColumnType)] {
        cols.map { c in
            guard let c else { return (Datum(keys: [.uuid(row)]), ColumnType(key: BaseType(type: .uuid))) }
            return (db.read(t.name, row, c.name), c.type)
        }
    }

    mutating func list(_ c: VSCtlCommand) throws(VSCtlError) -> VSCtlOutput {
        let t = try table(c.argv[1])
        let cols = try listColumns(c, t)
        var rows: [[(Datum, ColumnType)]] = []
        if c.argv.count > 2 {
            for id in c.argv.dropFirst(2) {
                if let r = try getRow(t, id, mustExist: !c.has("--if-exists")) { rows.append(record(t, r, cols)) }
            }
        } else {
            for r in db.uuids(t.name) { rows.append(record(t, r, cols)) }
        }
        return .table(headings: cols.map { $0?.name ?? "_uuid" }, rows: rows)
    }

    static let relops = ["=", "!=", "<", ">", "<=", ">=", "{=}", "{!=}", "{<}", "{>}", "{<=}", "{>=}", "{in}", "{not-in}"]

    /// `check_condition`: does `row` satisfy `COLUMN[:KEY]OP VALUE`?
    mutating func condition(_ t: TableSchema, _ row: UUID, _ arg: String) throws(VSCtlError) -> Bool {
        let (col, key, op, value) = try columnKeyValue(arg, t, ops: VSCtlRunner.relops)
        guard let value else { throw VSCtlError("\(arg): missing value") }
        var type = col.type
        type.max = Int.max
        let have = db.read(t.name, row, col.name)
        let isSetOp = op >= 6
        if let key {
            guard let vt = col.type.value else { throw VSCtlError("cannot specify key to check for non-map column \(col.name)") }
            let k = try VSCtlText.atom(key, col.type.key, symbols: &symbols).0
            let vtype = ColumnType(key: vt, value: nil, min: col.type.min, max: Int.max)
            let want = try VSCtlText.datum(value, vtype, symbols: &symbols)
            if let i = have.keys.firstIndex(of: k) {
                return VSCtlRunner.relop(Datum(keys: [have.values![i]]), want, op)
            }
            return isSetOp ? VSCtlRunner.relop(Datum(keys: []), want, op) : false
        }
        let want = try VSCtlText.datum(value, col.type, symbols: &symbols)
        return VSCtlRunner.relop(have, want, op)
    }

    /// `ovsdb_datum_compare_3way` and the set relations.
    static func relop(_ a: Datum, _ b: Datum, _ op: Int) -> Bool {
        func cmp() -> Int {
            if a.keys.count != b.keys.count { return a.keys.count < b.keys.count ? -1 : 1 }
            for i in a.keys.indices where a.keys[i] != b.keys[i] { return a.keys[i] < b.keys[i] ? -1 : 1 }
            if let av = a.values, let bv = b.values {
                for i in av.indices where av[i] != bv[i] { return av[i] < bv[i] ? -1 : 1 }
            }
            return 0
        }
        func includesAll(_ x: Datum, _ y: Datum) -> Bool {  // every element of x is in y
            x.keys.indices.allSatisfy { i in
                guard let j = y.keys.firstIndex(of: x.keys[i]) else { return false }
                return x.values == nil || y.values == nil || x.values![i] == y.values![j]
            }
        }
        func excludesAll(_ x: Datum, _ y: Datum) -> Bool {
            x.keys.indices.allSatisfy { i in
                guard let j = y.keys.firstIndex(of: x.keys[i]) else { return true }
                return x.values != nil && y.values != nil && x.values![i] != y.values![j]
            }
        }
        switch op {
        case 0, 6: return cmp() == 0
        case 1, 7: return cmp() != 0
        case 2: return cmp() < 0
        case 3: return cmp() > 0
        case 4: return cmp() <= 0
        case 5: return cmp() >= 0
        case 8: return b.keys.count > a.keys.count && includesAll(a, b)
        case 9: return a.keys.count > b.keys.count && includesAll(b, a)
        case 10, 12: return includesAll(a, b)
        case 11: return includesAll(b, a)
        default: return excludesAll(a, b)
        }
    }

    mutating func find(_ c: VSCtlCommand) throws(VSCtlError) -> VSCtlOutput {
        let t = try table(c.argv[1])
        let cols = try listColumns(c, t)
        var rows: [[(Datum, ColumnType)]] = []
        for r in db.uuids(t.name) {
            var ok = true
            for arg in c.argv.dropFirst(2) where !(try condition(t, r, arg)) { ok = false; break }
            if ok { rows.append(record(t, r, cols)) }
        }
        return .table(headings: cols.map { $0?.name ?? "_uuid" }, rows: rows)
    }

    mutating func set(_ c: VSCtlCommand) throws(VSCtlError) {
        let t = try table(c.argv[1])
        guard let row = try getRow(t, c.argv[2], mustExist: !c.has("--if-exists")) else { return }
        for arg in c.argv.dropFirst(3) { try setColumn(t.name, row, arg) }
    }

    mutating func add(_ c: VSCtlCommand) throws(VSCtlError) {
        let t = try table(c.argv[1])
        let col = try column(t, c.argv[3])
        guard let row = try getRow(t, c.argv[2], mustExist: !c.has("--if-exists")) else { return }
        try checkMutable(t, row, col)
        var d = db.read(t.name, row, col.name)
        var addType = col.type
        addType.min = 1
        addType.max = Int.max
        var added = Datum(keys: [], values: col.type.isMap ? [] : nil)
        for arg in c.argv.dropFirst(4) {
            let more = try VSCtlText.datum(arg, addType, symbols: &symbols)
            for (i, k) in more.keys.enumerated() where !added.keys.contains(k) {
                added.keys.append(k)
                if added.values != nil { added.values!.append(more.values![i]) }
            }
            for (i, k) in more.keys.enumerated() where !d.keys.contains(k) {
                d.keys.append(k)
                if d.values != nil { d.values!.append(more.values![i]) }
            }
        }
        let order = d.keys.indices.sorted { d.keys[$0] < d.keys[$1] }
        d = Datum(keys: order.map { d.keys[$0] }, values: d.values.map { v in order.map { v[$0] } })
        if isLastCommand && !db.isInserted(row) {
            // As ovs-vsctl: the last command adds by a partial update (a
            // mutation of the given elements); the server checks the size.
            db.mutateInsert(t.name, row, col.name, added, col.type)
            return
        }
        if d.keys.count > col.type.max {
            throw VSCtlError("\"add\" operation would put \(d.keys.count) \(col.type.isMap ? "pairs" : "values") in column \(col.name) of table \(t.name) but the maximum number is \(col.type.max)")
        }
        db.write(t.name, row, col.name, d)
    }

    mutating func remove(_ c: VSCtlCommand) throws(VSCtlError) {
        let t = try table(c.argv[1])
        let col = try column(t, c.argv[3])
        guard let row = try getRow(t, c.argv[2], mustExist: !c.has("--if-exists")) else { return }
        try checkMutable(t, row, col)
        var d = db.read(t.name, row, col.name)
        var rmType = col.type
        rmType.min = 1
        rmType.max = Int.max
        for arg in c.argv.dropFirst(4) {
            var rm: Datum
            do {
                rm = try VSCtlText.datum(arg, rmType, symbols: &symbols)
            } catch {
                guard rmType.isMap else { throw error }
                var keysOnly = rmType
                keysOnly.value = nil
                rm = try VSCtlText.datum(arg, keysOnly, symbols: &symbols)
            }
            var keep = Datum(keys: [], values: d.values == nil ? nil : [])
            for (i, k) in d.keys.enumerated() {
                if let j = rm.keys.firstIndex(of: k), rm.values == nil || rm.values![j] == d.values![i] { continue }
                keep.keys.append(k)
                if d.values != nil { keep.values!.append(d.values![i]) }
            }
            d = keep
        }
        if d.keys.count < col.type.min {
            throw VSCtlError("\"remove\" operation would put \(d.keys.count) \(col.type.isMap ? "pairs" : "values") in column \(col.name) of table \(t.name) but the minimum number is \(col.type.min)")
        }
        db.write(t.name, row, col.name, d)
    }

    mutating func clear(_ c: VSCtlCommand) throws(VSCtlError) {
        let t = try table(c.argv[1])
        guard let row = try getRow(t, c.argv[2], mustExist: !c.has("--if-exists")) else { return }
        for name in c.argv.dropFirst(3) {
            let col = try column(t, name)
            try checkMutable(t, row, col)
            if col.type.min > 0 {
                throw VSCtlError("\"clear\" operation cannot be applied to column \(col.name) of table \(t.name), which is not allowed to be empty")
            }
            db.write(t.name, row, col.name, Datum(keys: [], values: col.type.isMap ? [] : nil))
        }
    }

    mutating func create(_ c: VSCtlCommand) throws(VSCtlError) -> UUID {
        let t = try table(c.argv[1])
        var uuid = UUID.random()
        if c.value("--id") == nil && !t.isRoot {
            warnings.append(("db_ctl_base", "applying \"create\" command to table \(t.name) without --id option will have no effect"))
        }
        if let id = c.value("--id") {
            if let u = UUID(id) {
                uuid = u
            } else {
                try symbols.create(id)
                uuid = symbols.table[id]!.uuid
                if t.isRoot { symbols.table[id]!.strongRef = true }
            }
        }
        db.insert(t.name, uuid: uuid)
        for arg in c.argv.dropFirst(2) { try setColumn(t.name, uuid, arg) }
        return uuid
    }

    mutating func destroy(_ c: VSCtlCommand) throws(VSCtlError) {
        let t = try table(c.argv[1])
        let mustExist = !c.has("--if-exists")
        let all = c.has("--all")
        if all && c.argv.count > 2 { throw VSCtlError("--all and records argument should not be specified together") }
        if all && !mustExist { throw VSCtlError("--all and --if-exists should not be specified together") }
        if !all && c.argv.count == 2 {
            warnings.append(("db_ctl_base", "either --all or records argument should be specified"))
            return
        }
        if all {
            for r in db.uuids(t.name) { db.delete(t.name, r) }
        } else {
            for id in c.argv.dropFirst(2) {
                if let r = try getRow(t, id, mustExist: mustExist) { db.delete(t.name, r) }
            }
        }
    }

    mutating func waitUntil(_ c: VSCtlCommand) throws(VSCtlError) {
        let t = try table(c.argv[1])
        guard let row = try getRow(t, c.argv[2], mustExist: false) else { tryAgain = true; return }
        for arg in c.argv.dropFirst(3) where !(try condition(t, row, arg)) {
            tryAgain = true
            return
        }
    }
}

extension Array where Element == String {
    /// Sorted bytewise, as C's `strcmp` (svec_sort).
    func sortedBytes() -> [String] { sorted { [UInt8]($0.utf8).lexicographicallyPrecedes([UInt8]($1.utf8)) } }
}
