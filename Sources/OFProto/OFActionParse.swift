import Flow

/// The `ovs-ofctl` action syntax (`actions=output:2,mod_vlan_vid:5`), read as
/// Open vSwitch's `ofpacts_parse_instructions` reads it.
public struct OFActionParser {
    /// OpenFlow versions that can carry what was parsed (`OFPUTIL_P_*` bits).
    public var usableProtocols = OFProtocols.any
    var depth = 0

    public init() {}

    /// Parses an instruction list (top level of `actions=`).
    public mutating func parseInstructions(_ text: String) throws(OFActionError) -> [OFAction] {
        usableProtocols = .any
        return try parse(text, allowInstructions: true, outer: nil)
    }

    /// Kinds of enclosing action, for nesting rules.
    enum Outer { case writeActions, clone, conntrack }

    mutating func parse(_ text: String, allowInstructions: Bool, outer: Outer?) throws(OFActionError) -> [OFAction] {
        if depth >= 100 { throw OFActionError("Action nested too deeply") }
        depth += 1
        defer { depth -= 1 }
        var scanner = KeyValueScanner(text)
        var actions: [OFAction] = []
        var drop = false
        while let (key, value) = scanner.next() {
            if key.lowercased() == "drop" {
                drop = true
                continue
            }
            if key.lowercased() == "apply_actions" { throw OFActionError("apply_actions is the default instruction") }
            if let a = try parseNamed(key, value, outer: outer, allowInstructions: allowInstructions) {
                actions.append(contentsOf: a)
            } else if let port = PortText.parse(key) {
                actions.append(.output(port: port, maxLength: port == .controller ? 0xffff : 0))
            } else {
                throw OFActionError("unknown action \(key)")
            }
        }
        if drop && !actions.isEmpty {
            throw OFActionError("\"drop\" must not be accompanied by any other action or instruction")
        }
        try verify(actions, allowInstructions: allowInstructions, outer: outer)
        return actions
    }

    /// `ofpacts_verify`: instruction order, conjunction exclusivity, nesting.
    func verify(_ actions: [OFAction], allowInstructions: Bool, outer: Outer?) throws(OFActionError) {
        if actions.contains(where: { if case .conjunction = $0 { return true }; return false }) {
            for a in actions {
                switch a {
                case .conjunction, .note: continue
                default:
                    throw OFActionError("\"conjunction\" actions may be used along with \"note\" but not any other kind of action (such as the \"\(a.ofpactName)\" action used here)")
                }
            }
            return
        }
        var previous = InstructionKind.meter
        for (i, a) in actions.enumerated() {
            if case .nat = a, outer != .conntrack {
                throw OFActionError("Cannot have NAT action outside of \"ct\" action")
            }
            if let field = a.destinationField, field.requiresConntrack, outer != .conntrack {
                throw OFActionError("cannot set CT fields outside of ct action")
            }
            if outer == .conntrack {
                if case .nat = a {} else if let field = a.destinationField {
                    if !field.requiresConntrack {
                        throw OFActionError("ct action doesn't support nested modification of \(field.name)")
                    }
                } else {
                    throw OFActionError("ct action doesn't support nested action \(a.ofpactName)")
                }
            }
            if let outer, case .meter = a {
                throw OFActionError("\(outer == .clone ? "clone" : outer == .conntrack ? "ct" : "write_actions") action doesn't support nested action meter")
            }
            let next = a.instruction
            if i > 0 && (previous == .applyActions ? next < previous : next <= previous) {
                if next == previous {
                    throw OFActionError("duplicate \(previous.name) instruction not allowed, for OpenFlow 1.1+ compatibility")
                }
                throw OFActionError("invalid instruction ordering: \(next.name) must appear before \(previous.name), for OpenFlow 1.1+ compatibility")
            }
            if !allowInstructions && next != .applyActions && next != .meter {
                throw OFActionError("\(next.name) instruction not allowed here")
            }
            previous = next
        }
    }

    /// Parses an action by its name; nil if `key` names no action.
    mutating func parseNamed(_ name: String, _ value: String, outer: Outer?, allowInstructions: Bool) throws(OFActionError) -> [OFAction]? {
        // Action names compare case-insensitively (`strcasecmp`).
        let key = name.lowercased()
        switch key {
        case "output":
            let b = Array(value.utf8)
            if b.firstOffset(of: "port") != nil && b.firstOffset(of: "max_len") != nil {
                return [try parseOutputTruncate(value)]
            }
            return [try parseOutput(value)]
        case "output_reg": return [.outputRegister(source: try OFSubfield.parse(value), maxLength: 0xffff)]
        case "check_pkt_larger":
            let (v, key) = try splitArrow(value, "check_pkt_larger")
            var lengthText = v
            if lengthText.hasSuffix(")") { lengthText.removeLast() }
            let dst = try OFSubfield.parse(key)
            if dst.bits != 1 { throw OFActionError("Only 1-bit destination field is allowed") }
            guard let n = NumberText.int(lengthText), n >= 0, n <= 0xffff else {
                throw OFActionError("invalid (null) \"\(lengthText)\"")
            }
            return [.checkPacketLarger(length: UInt16(n), destination: dst)]
        case "delete_field":
            let b = Array(value.utf8)
            let nameEnd = b.firstIndex(where: { $0 == 0x5b || $0 == 0x2d }) ?? b.count
            let name = String(decoding: b[..<nameEnd], as: UTF8.self)
            guard let f = OFField.headerNamed(name) ?? OFField.named(name) else {
                throw OFActionError("\(value): unknown field `\(name)'")
            }
            return [.deleteField(f)]
        case "dec_nsh_ttl": return [.decrementNSHTTL]
        case "debug_recirc": return [.debugRecirculate]
        case "debug_slow": return [.debugSlowPath]
        case "unroll_xlate": throw OFActionError("UNROLL is an internal action that shouldn't be used via OpenFlow")
        case "controller": return [try parseController(value)]
        case "enqueue":
            let pieces = value.split(whereSeparator: { $0 == ":" || $0 == "q" || $0 == "," }).map(String.init)
            guard pieces.count >= 2, let first = value.firstIndex(where: { $0 == ":" || $0 == "q" || $0 == "," }) else {
                throw OFActionError("\"enqueue\" syntax is \"enqueue:PORT:QUEUE\" or \"enqueue(PORT,QUEUE)\"")
            }
            let portText = String(value[..<first])
            var queueText = value[value.index(after: first)...]
            while let c = queueText.first, c == ":" || c == "q" || c == "," { queueText = queueText.dropFirst() }
            guard !portText.isEmpty else {
                throw OFActionError("\"enqueue\" syntax is \"enqueue:PORT:QUEUE\" or \"enqueue(PORT,QUEUE)\"")
            }
            guard let port = PortText.parse(portText) else { throw OFActionError("\(portText): enqueue to unknown port") }
            return [.enqueue(port: port, queue: try NumberText.u32(String(queueText)))]
        case "group":
            return [.group(try NumberText.u32(value))]
        case "set_vlan_vid", "mod_vlan_vid":
            let vid = try NumberText.u16(value, "VLAN VID")
            if vid & ~0xfff != 0 { throw OFActionError("\(value): not a valid VLAN VID") }
            return [.setVLANVID(vid, pushIfNeeded: key == "mod_vlan_vid")]
        case "set_vlan_pcp", "mod_vlan_pcp":
            let pcp = try NumberText.u8(value, "VLAN PCP")
            if pcp & ~7 != 0 { throw OFActionError("\(value): not a valid VLAN PCP") }
            return [.setVLANPCP(pcp, pushIfNeeded: key == "mod_vlan_pcp")]
        case "strip_vlan": return [.stripVLAN(isPop: false)]
        case "pop_vlan": return [.stripVLAN(isPop: true)]
        case "push_vlan":
            usableProtocols.formIntersection(.of11Up)
            let t = try NumberText.u16(value, "ethertype")
            if t != 0x8100 && t != 0x88a8 { throw OFActionError("\(value): not a valid VLAN ethertype") }
            return [.pushVLAN(ethertype: t)]
        case "mod_dl_src", "mod_dl_dst":
            guard let mac = OFField.macPrefix(value) else { throw OFActionError("invalid mac address \(value)") }
            return [key == "mod_dl_src" ? .setEthSource(mac) : .setEthDestination(mac)]
        case "mod_nw_src", "mod_nw_dst":
            guard let ip = OFField.ipv4(value) else { throw OFActionError("\(value): could not convert to IP address") }
            return [key == "mod_nw_src" ? .setIPv4Source(ip) : .setIPv4Destination(ip)]
        case "mod_nw_tos":
            let tos = try NumberText.u8(value, "TOS")
            if tos & ~0xfc != 0 { throw OFActionError("\(value): not a valid TOS") }
            return [.setIPDSCP(tos)]
        case "mod_nw_ecn":
            let ecn = try NumberText.u8(value, "ECN")
            if ecn & ~3 != 0 { throw OFActionError("\(value): not a valid ECN") }
            return [.setIPECN(ecn)]
        case "mod_nw_ttl", "set_nw_ttl":
            return [.setIPTTL(try NumberText.u8(value, "TTL"))]
        case "mod_tp_src", "mod_tp_dst":
            let p = try NumberText.u16(value, key == "mod_tp_src" ? "source port" : "destination port")
            return [key == "mod_tp_src" ? .setTransportSource(p) : .setTransportDestination(p)]
        case "set_field": return [try parseSetField(value)]
        case "load": return [try parseLoad(value)]
        case "move": return [try parseMove(value)]
        case "push": return [.stackPush(try OFSubfield.parse(value))]
        case "pop": return [.stackPop(try OFSubfield.parse(value))]
        case "dec_ttl":
            if value.isEmpty { return [.decrementTTL(controllerIDs: [0], explicitIDs: false)] }
            let ids = value.split(whereSeparator: { $0 == "," || $0 == " " }).map { UInt16(truncatingIfNeeded: atoi($0)) }
            if ids.isEmpty { throw OFActionError("dec_ttl_cnt_ids: expected at least one controller id.") }
            return [.decrementTTL(controllerIDs: ids, explicitIDs: true)]
        case "set_mpls_label":
            if value.isEmpty { throw OFActionError("set_mpls_label: expected label.") }
            let label = try NumberText.u32(value)
            if label & ~0xfffff != 0 { throw OFActionError("\(value): not a valid MPLS label") }
            return [.setMPLSLabel(label)]
        case "set_mpls_tc":
            if value.isEmpty { throw OFActionError("set_mpls_tc: expected tc.") }
            let tc = try NumberText.u8(value, "MPLS TC")
            if tc & ~7 != 0 { throw OFActionError("\(value): not a valid MPLS TC") }
            return [.setMPLSTC(tc)]
        case "set_mpls_ttl":
            if value.isEmpty { throw OFActionError("set_mpls_ttl: expected ttl.") }
            return [.setMPLSTTL(try NumberText.u8(value, "MPLS TTL"))]
        case "dec_mpls_ttl": return [.decrementMPLSTTL]
        case "push_mpls":
            let t = try NumberText.u16(value, "push_mpls")
            return [.pushMPLS(ethertype: t)]
        case "pop_mpls":
            let t = try NumberText.u16(value, "pop_mpls")
            return [.popMPLS(ethertype: t)]
        case "set_tunnel", "set_tunnel64":
            let v = try NumberText.u64(value)
            return [.setTunnel(v, is64: key == "set_tunnel64")]
        case "set_queue": return [.setQueue(try NumberText.u32(value))]
        case "pop_queue": return [.popQueue]
        case "fin_timeout":
            var f = FinTimeoutAction()
            var s = KeyValueScanner(value)
            while let (k, v) = s.next() {
                if k == "idle_timeout" { f.idle = try NumberText.u16(v, k) }
                else if k == "hard_timeout" { f.hard = try NumberText.u16(v, k) }
                else { throw OFActionError("invalid key '\(k)' in 'fin_timeout' argument") }
            }
            return [.finTimeout(f)]
        case "resubmit": return [try parseResubmit(value)]
        case "conjunction": return [try parseConjunction(value)]
        case "note":
            let (bytes, rest) = NumberText.hexBytes(value)
            if !rest.isEmpty { throw OFActionError("bad hex digit in `note' argument") }
            return [.note(bytes)]
        case "exit": return [.exit]
        case "clone":
            // `parse_CLONE` reparses through `ofpacts_parse_copy`, which
            // restarts the usable protocols: what came before is forgotten.
            usableProtocols = .any
            let inner = try parse(value, allowInstructions: false, outer: .clone)
            return [.clone(inner)]
        case "ct_clear": return [.conntrackClear]
        case "meter":
            let id = try NumberText.u32(value)
            if !allowInstructions { usableProtocols.formIntersection(.of15Up) }
            return [.meter(id)]
        case "clear_actions":
            return [.clearActions]
        case "write_actions":
            let inner = try parse(value, allowInstructions: false, outer: .writeActions)
            return [.writeActions(inner)]
        case "write_metadata":
            usableProtocols.formIntersection(.nxmOF11Up)
            var mask = UInt64.max
            var v = value
            if let slash = value.firstIndex(of: "/") {
                mask = try NumberText.u64(String(value[value.index(after: slash)...]))
                v = String(value[..<slash])
            }
            return [.writeMetadata(value: try NumberText.u64(v), mask: mask)]
        case "goto_table":
            guard let t = NumberText.decimalUInt32(value).flatMap({ $0 <= 255 ? UInt8($0) : nil }) else {
                throw OFActionError("unknown table \"\(value)\"")
            }
            return [.gotoTable(t)]
        case "sample": return [try parseSample(value)]
        case "multipath": return [try parseMultipath(value)]
        case "bundle", "bundle_load": return [try parseBundle(value, load: key == "bundle_load")]
        case "learn": return [try parseLearn(value)]
        case "ct": return [try parseConntrack(value)]
        case "nat": return [try parseNAT(value)]
        default: return nil
        }
    }

    mutating func parseOutput(_ value: String) throws(OFActionError) -> OFAction {
        if let port = PortText.parse(value) {
            return .output(port: port, maxLength: port == .controller ? 0xffff : 0)
        }
        if let sf = try? OFSubfield.parse(value) { return .outputRegister(source: sf, maxLength: 0xffff) }
        throw OFActionError("\(value): output to unknown port")
    }

    /// `parse_truncate_subfield`: `port=P,max_len=N`.
    mutating func parseOutputTruncate(_ value: String) throws(OFActionError) -> OFAction {
        var port = OFPort(rawValue: 0)
        var maxLength: UInt32 = 0
        var scanner = KeyValueScanner(value)
        while let (k, v) = scanner.next() {
            switch k {
            case "port":
                guard let p = PortText.parse(v) else { throw OFActionError("output to unknown truncate port: \(v)") }
                if p.rawValue > 0xff00 && p != .local && p != .inPort {
                    throw OFActionError("output to unsupported truncate port: \(v)")
                }
                port = p
            case "max_len":
                maxLength = try NumberText.u32(v)
                if maxLength < 14 { throw OFActionError("max_len \(maxLength) is less than the minimum value 14") }
            default: throw OFActionError("invalid key '\(k)' in output_trunc argument")
            }
        }
        return .outputTruncate(port: port, maxLength: maxLength)
    }

    mutating func parseController(_ value: String) throws(OFActionError) -> OFAction {
        var c = ControllerAction()
        var hasUserdata = false
        if value.isEmpty {
        } else if value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            c.maxLength = try NumberText.u16(value, "max_len")
        } else {
            var s = KeyValueScanner(value)
            while let (k, v) = s.next() {
                switch k {
                case "reason":
                    let reasons = ["no_match", "action", "invalid_ttl", "action_set", "group", "packet_out"]
                    guard let r = reasons.firstIndex(of: v) else { throw OFActionError("unknown reason \"\(v)\"") }
                    c.reason = UInt8(r)
                case "max_len": c.maxLength = try NumberText.u16(v, "max_len")
                case "id": c.controllerID = try NumberText.u16(v, "id")
                case "userdata":
                    let (bytes, rest) = NumberText.hexBytes(v)
                    if !rest.isEmpty { throw OFActionError("bad hex digit in `controller' action `userdata'") }
                    c.userdata = bytes
                    hasUserdata = true
                case "pause": c.pause = true
                case "meter_id": c.meterID = try NumberText.u32(v)
                default: throw OFActionError("unknown key \"\(k)\" parsing controller action")
                }
            }
        }
        if c.reason == 1 && c.controllerID == 0 && !hasUserdata && !c.pause && c.meterID == 0 {
            return .output(port: .controller, maxLength: c.maxLength)
        }
        return .controller(c)
    }

    /// Splits `VALUE->DST` (`set_field_split_str`).
    func splitArrow(_ value: String, _ what: String) throws(OFActionError) -> (String, String) {
        let b = Array(value.utf8)
        guard let r = b.firstOffset(of: "->") else {
            throw OFActionError("\(value): missing `->'")
        }
        let key = String(decoding: b[(r + 2)...], as: UTF8.self)
        if key.isEmpty { throw OFActionError("\(value): missing field name following `->'") }
        return (String(decoding: b[..<r], as: UTF8.self), key)
    }

    mutating func parseSetField(_ value: String) throws(OFActionError) -> OFAction {
        let (v, key) = try splitArrow(value, "set_field")
        guard let field = OFField.named(key) else { throw OFActionError("\(key) is not a valid OXM field name") }
        if !field.writable { throw OFActionError("\(key) is read-only") }
        let (val, mask) = try field.parseValue(v)
        if !field.isValid(val) { throw OFActionError("\(v) is not a valid value for field \(key)") }
        usableProtocols.formIntersection(field.usableExact)
        return .setField(field: field, value: val, mask: mask, origin: .setField)
    }

    mutating func parseLoad(_ value: String) throws(OFActionError) -> OFAction {
        let (v, key) = try splitArrow(value, "load")
        let dst = try OFSubfield.parse(key)
        let b = Array(v.utf8)
        guard let (val, rest) = NumberText.fieldInteger(b[...], bytes: dst.field.bytes), rest.isEmpty else {
            throw OFActionError("\(value): cannot parse integer value")
        }
        if dst.bits < 128 && val >> UInt128(dst.bits) != 0 {
            throw OFActionError("\(value): value \(dst.field.formatValue(val, mask: nil)) does not fit into \(dst.bits) bits")
        }
        let ones: UInt128 = dst.bits >= 128 ? .max : (UInt128(1) << UInt128(dst.bits)) - 1
        return .setField(field: dst.field, value: val << UInt128(dst.offset), mask: ones << UInt128(dst.offset),
                         origin: dst.field.nxm == nil && dst.field.oxm?.isExperimenter == true ? .load2 : .load)
    }

    mutating func parseMove(_ value: String) throws(OFActionError) -> OFAction {
        let (src, rest) = try OFSubfield.parsePrefix(value[...])
        guard rest.hasPrefix("->") else { throw OFActionError("\(value): missing `->' following source") }
        let (dst, rest2) = try OFSubfield.parsePrefix(rest.dropFirst(2))
        if !rest2.isEmpty { throw OFActionError("\(value): trailing garbage following destination") }
        if src.bits != dst.bits {
            throw OFActionError("\(value): source field is \(src.bits) bits wide but destination is \(dst.bits) bits wide")
        }
        return .move(source: src, destination: dst)
    }

    mutating func parseResubmit(_ value: String) throws(OFActionError) -> OFAction {
        var r = ResubmitAction()
        var parts = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if value.isEmpty { parts = [""] }
        if let p = parts.first, !p.isEmpty {
            guard let port = PortText.parse(p) else { throw OFActionError("\(p): resubmit to unknown port") }
            r.inPort = port
        }
        if parts.count > 1, !parts[1].isEmpty {
            guard let t = NumberText.decimalUInt32(parts[1]), t <= 255 else {
                throw OFActionError("\(parts[1]): resubmit to unknown table")
            }
            r.table = UInt8(t)
        }
        if parts.count > 2, !parts[2].isEmpty {
            if parts[2] != "ct" { throw OFActionError("\(parts[2]): unknown parameter") }
            r.withConntrackOriginal = true
        }
        if r.inPort == .inPort && r.table == 255 {
            throw OFActionError("at least one \"in_port\" or \"table\" must be specified on resubmit")
        }
        return .resubmit(r)
    }

    mutating func parseConjunction(_ value: String) throws(OFActionError) -> OFAction {
        let syntax = OFActionError("\"conjunction\" syntax is \"conjunction(id,i/n)\"")
        let compact = value.filter { $0 != " " }
        let a = compact.split(separator: ",", omittingEmptySubsequences: false)
        guard a.count == 2 else { throw syntax }
        let b = a[1].split(separator: "/", omittingEmptySubsequences: false)
        guard b.count == 2, let idv = NumberText.int(String(a[0])).map({ UInt32(truncatingIfNeeded: $0) })
                ?? (try? NumberText.u32(String(a[0]))),
              let clause = UInt8(b[0]), let n = UInt8(b[1]) else { throw syntax }
        if n < 2 { throw OFActionError("conjunction must have at least 2 clauses") }
        if n > 64 { throw OFActionError("conjunction must have at most 64 clauses") }
        if clause < 1 { throw OFActionError("clause index must be positive") }
        if clause > n { throw OFActionError("clause index must be less than or equal to number of clauses") }
        return .conjunction(id: idv, clause: clause - 1, clauseCount: n)
    }

    /// `strtok_r` over `delimiters`: the non-empty tokens.
    static func tokens(_ s: String, _ delimiters: String) -> [String] {
        s.split(whereSeparator: { delimiters.contains($0) }).map(String.init)
    }

    /// C `strtok_r`: each call skips leading delimiters and cuts the next token.
    struct StrTok {
        let b: [UInt8]
        var i = 0
        init(_ s: String) { b = Array(s.utf8) }
        mutating func next(_ delimiters: String) -> String? {
            let d = Set(delimiters.utf8)
            while i < b.count, d.contains(b[i]) { i += 1 }
            guard i < b.count else { return nil }
            let start = i
            while i < b.count, !d.contains(b[i]) { i += 1 }
            let token = String(decoding: b[start..<i], as: UTF8.self)
            if i < b.count { i += 1 }
            return token
        }
    }

    static let hashFields = ["eth_src", "symmetric_l4", "symmetric_l3l4", "symmetric_l3l4+udp", "nw_src", "nw_dst", "symmetric_l3"]

    mutating func parseMultipath(_ value: String) throws(OFActionError) -> OFAction {
        let t = OFActionParser.tokens(value, ", ")
        guard t.count >= 6 else { throw OFActionError("\(value): not enough arguments to multipath action") }
        guard let fields = OFActionParser.hashFields.first(where: { $0 == t[0].lowercased() }) else {
            throw OFActionError("\(value): unknown fields `\(t[0])'")
        }
        let algorithms = ["modulo_n", "hash_threshold", "hrw", "iter_hash"]
        guard let algorithm = algorithms.first(where: { $0 == t[2].lowercased() }) else {
            throw OFActionError("\(value): unknown algorithm `\(t[2])'")
        }
        let links = atoi(t[3][...])
        if links < 1 || links > 65536 {
            throw OFActionError("\(value): n_links \(Int32(truncatingIfNeeded: links)) is not in valid range 1 to 65536")
        }
        let dst = try OFSubfield.parse(t[5])
        if dst.field.nxm == nil && dst.field.oxm?.isExperimenter != false {
            throw OFActionError("\(value): experimenter OXM field '\(t[5])' not supported")
        }
        if dst.bits < 16 && links > 1 << dst.bits {
            throw OFActionError("\(value): \(dst.bits)-bit destination field has \(1 << dst.bits) possible values, less than specified n_links \(links)")
        }
        return .multipath(MultipathAction(fields: fields, basis: UInt16(truncatingIfNeeded: atoi(t[1][...])), algorithm: algorithm,
                                          maxLink: UInt16(links - 1), argument: UInt32(truncatingIfNeeded: atoi(t[4][...])),
                                          destination: dst))
    }

    mutating func parseBundle(_ value: String, load: Bool) throws(OFActionError) -> OFAction {
        // `strtok_r` with a different delimiter set per token.
        var tokenizer = StrTok(value)
        var t: [String] = []
        for _ in 0..<(load ? 5 : 4) { if let x = tokenizer.next(", ") { t.append(x) } }
        let fixed = load ? 6 : 5
        guard t.count == fixed - 1, let delimiter = tokenizer.next(": ") else {
            throw OFActionError("\(value): not enough arguments to \(load ? "bundle_load" : "bundle") action")
        }
        if delimiter.lowercased() != "members" && delimiter.lowercased() != "slaves" {
            throw OFActionError("\(value): missing member delimiter, expected `members', got `\(delimiter)'")
        }
        var members: [OFPort] = []
        while let m = tokenizer.next(", []") {
            if members.count >= 2048 { break }
            guard let p = PortText.parse(m) else { throw OFActionError("\(m): bad port number") }
            members.append(p)
        }
        guard let fields = OFActionParser.hashFields.first(where: { $0 == t[0].lowercased() }) else {
            throw OFActionError("\(value): unknown fields `\(t[0])'")
        }
        let algorithms = ["active_backup", "hrw"]
        guard let algorithm = algorithms.first(where: { $0 == t[2].lowercased() }) else {
            throw OFActionError("\(value): unknown algorithm `\(t[2])'")
        }
        if t[3].lowercased() != "ofport" { throw OFActionError("\(value): unknown member_type `\(t[3])'") }
        var dst: OFSubfield? = nil
        if load {
            let d = try OFSubfield.parse(t[4])
            if d.field.nxm == nil && d.field.oxm?.isExperimenter != false {
                throw OFActionError("\(value): experimenter OXM field '\(t[4])' not supported")
            }
            dst = d
        }
        return .bundle(BundleAction(fields: fields, basis: UInt16(truncatingIfNeeded: atoi(t[1][...])), algorithm: algorithm,
                                    destination: dst, members: members))
    }

    mutating func parseLearn(_ value: String) throws(OFActionError) -> OFAction {
        var l = LearnAction()
        var scanner = KeyValueScanner(value)
        func notSupported(_ name: String) -> OFActionError {
            OFActionError("\(value): experimenter OXM field '\(name)' not supported")
        }
        func nxmOK(_ f: OFField) -> Bool { f.nxm != nil || f.oxm?.isExperimenter == false }
        while let (k, v) = scanner.next() {
            switch k {
            case "table":
                guard let t = NumberText.decimalUInt32(v), t <= 255 else { throw OFActionError("unknown table \"\(v)\"") }
                if t == 255 { throw OFActionError("\(value): table id 255 not valid for `learn' action") }
                l.table = UInt8(t)
            case "priority": l.priority = UInt16(truncatingIfNeeded: atoi(v[...]))
            case "idle_timeout": l.idleTimeout = UInt16(truncatingIfNeeded: atoi(v[...]))
            case "hard_timeout": l.hardTimeout = UInt16(truncatingIfNeeded: atoi(v[...]))
            case "fin_idle_timeout": l.finIdleTimeout = UInt16(truncatingIfNeeded: atoi(v[...]))
            case "fin_hard_timeout": l.finHardTimeout = UInt16(truncatingIfNeeded: atoi(v[...]))
            case "cookie": l.cookie = NumberText.strtoull(Array(v.utf8)[...]).value
            case "send_flow_rem": l.sendFlowRemoved = true
            case "delete_learned": l.deleteLearned = true
            case "limit": l.limit = UInt32(truncatingIfNeeded: atoi(v[...]))
            case "result_dst":
                let d = try OFSubfield.parse(v)
                if !d.field.writable { throw OFActionError("\(v) is read-only") }
                if d.bits != 1 { throw OFActionError("result_dst in 'learn' action must be a single bit") }
                l.resultDestination = d
            default:
                if let dst = try? OFSubfield.parse(k) {
                    if !nxmOK(dst.field) { throw notSupported(k) }
                    if v.isEmpty {
                        l.specs.append(.matchField(destination: dst, source: dst))
                    } else if let src = try? OFSubfield.parse(v) {
                        if src.bits != dst.bits {
                            throw OFActionError("\(value): bit widths of \(k) (\(src.bits)) and \(v) (\(dst.bits)) differ")
                        }
                        l.specs.append(.matchField(destination: dst, source: src))
                    } else if dst.isWholeField {
                        guard let (imm, _) = try? dst.field.parseValue(v) else {
                            throw OFActionError("\(value): \(k) value \(v) cannot be parsed as a subfield or an immediate value")
                        }
                        l.specs.append(.matchValue(destination: dst, value: imm))
                    } else {
                        let b = Array(v.utf8)
                        guard let (imm, rest) = NumberText.fieldInteger(b[...], bytes: dst.field.bytes), rest.isEmpty,
                              dst.bits >= 128 || imm >> UInt128(dst.bits) == 0 else {
                            throw OFActionError("\(value): \(k) value \(v) cannot be parsed as a subfield or an immediate value")
                        }
                        l.specs.append(.matchValue(destination: dst, value: imm))
                    }
                } else if k == "load" {
                    let b = Array(v.utf8)
                    guard let arrow = b.firstOffset(of: "->") else { throw OFActionError("load: missing `->' in `\(v)'") }
                    if arrow == 0 { throw OFActionError("load: missing source before `->' in `\(v)'") }
                    if let (imm, rest) = NumberText.fieldInteger(b[..<arrow], bytes: 16), rest.count < arrow {
                        if !rest.isEmpty { throw OFActionError("load: garbage before `->' in `\(v)'") }
                        let dstText = String(decoding: b[(arrow + 2)...], as: UTF8.self)
                        let dst = try OFSubfield.parse(dstText)
                        if !nxmOK(dst.field) { throw OFActionError("\(v): experimenter OXM field '\(dstText)' not supported") }
                        if dst.bits < 128 && imm >> UInt128(dst.bits) != 0 {
                            throw OFActionError("\(v): value does not fit into \(dst.bits) bits")
                        }
                        l.specs.append(.loadValue(destination: dst, value: imm))
                    } else {
                        guard case .move(let s, let d) = try parseMove(v) else { continue }
                        l.specs.append(.loadField(destination: d, source: s))
                    }
                } else if k == "output" {
                    l.specs.append(.output(source: try OFSubfield.parse(v)))
                } else {
                    throw OFActionError("\(value): unknown keyword \(k)")
                }
            }
        }
        return .learn(l)
    }

    mutating func parseSample(_ value: String) throws(OFActionError) -> OFAction {
        var s = SampleAction()
        var scanner = KeyValueScanner(value)
        while let (k, v) = scanner.next() {
            switch k {
            case "probability":
                s.probability = try NumberText.u16(v, "probability")
                if s.probability == 0 { throw OFActionError("invalid probability value \"\(v)\"") }
            case "collector_set_id": s.collectorSetID = try NumberText.u32(v)
            case "obs_domain_id": s.observationDomainID = try NumberText.u32(v)
            case "obs_point_id": s.observationPointID = try NumberText.u32(v)
            case "sampling_port":
                guard let p = PortText.parse(v) else { throw OFActionError("\(v): unknown port") }
                s.samplingPort = p
            case "ingress": s.direction = 1
            case "egress": s.direction = 2
            default: throw OFActionError("invalid key \"\(k)\" in \"sample\" argument")
            }
        }
        if s.probability == 0 { throw OFActionError("non-zero \"probability\" must be specified on sample") }
        return .sample(s)
    }

    mutating func parseConntrack(_ value: String) throws(OFActionError) -> OFAction {
        var c = ConntrackAction()
        var scanner = KeyValueScanner(value)
        while let (k, v) = scanner.next() {
            switch k {
            case "commit": c.commit = true
            case "force": c.force = true
            case "table":
                guard let t = NumberText.decimalUInt32(v), t <= 255 else { throw OFActionError("unknown table \(v)") }
                c.recirculationTable = UInt8(t)
            case "zone":
                if let z = NumberText.int(v), z >= 0, z <= 0xffff {
                    c.zone = UInt16(z)
                } else {
                    let sf = try OFSubfield.parse(v)
                    if sf.bits != 16 { throw OFActionError("zone field must be 16 bits") }
                    c.zoneSource = sf
                }
            case "alg":
                switch v {
                case "ftp": c.alg = 21
                case "tftp": c.alg = 69
                default: c.alg = try NumberText.u16(v, "alg")
                }
            case "exec":
                let inner = try parse(v, allowInstructions: false, outer: .conntrack)
                c.actions.append(contentsOf: inner)
            case "nat":
                c.actions.append(try parseNAT(v))
            default: throw OFActionError("invalid argument to \"ct\" action: `\(k)'")
            }
        }
        if c.commit == false, c.force {
            // OVS: "force" implies commit semantics checks elsewhere.
        }
        return .conntrack(c)
    }

    mutating func parseNAT(_ value: String) throws(OFActionError) -> OFAction {
        var n = NATAction()
        var scanner = KeyValueScanner(value)
        while let (k, v) = scanner.next() {
            switch k {
            case "src", "dst":
                if n.kind != .unspecified { throw OFActionError("May only specify one of \"src\" or \"dst\".") }
                n.kind = k == "src" ? .source : .destination
                if v.isEmpty { continue }
                try parseNATRange(v, into: &n)
            case "persistent": n.persistent = true
            case "hash": n.hash = true
            case "random": n.random = true
            default: throw OFActionError("Invalid key \"\(k)\" in \"nat\" argument")
            }
        }
        if n.kind == .unspecified && n.addressMin != nil {
            throw OFActionError("Flags allowed only with \"src\" or \"dst\".")
        }
        return .nat(n)
    }

    /// `str_to_nat_range`: `ADDR[-ADDR][:PORT[-PORT]]`, IPv6 addresses bare
    /// or in brackets.
    func parseNATRange(_ v: String, into n: inout NATAction) throws(OFActionError) {
        let b = Array(v.utf8)
        var i = 0
        let invalid = OFActionError("invalid nat range \"\(v)\"")
        func digits(_ i: inout Int) -> UInt64? {
            let start = i
            var value: UInt64 = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { value = value &* 10 &+ UInt64(b[i] - 0x30); i += 1 }
            return i > start ? value : nil
        }
        func ipv4(_ i: inout Int) -> UInt32? {
            var j = i
            var a: UInt32 = 0
            for k in 0..<4 {
                if k > 0 { guard j < b.count, b[j] == 0x2e else { return nil }; j += 1 }
                guard let d = digits(&j) else { return nil }
                a = a << 8 | UInt32(d & 0xff)
            }
            i = j
            return a
        }
        func ipv6(_ i: inout Int) -> UInt128? {
            var j = i
            let bracket = j < b.count && b[j] == 0x5b
            if bracket { j += 1 }
            let start = j
            while j < b.count, j - start < 46,
                  (NumberText.digit(b[j]) != nil || b[j] == 0x3a || b[j] == 0x2e) { j += 1 }
            guard j > start else { return nil }
            let text = String(decoding: b[start..<j], as: UTF8.self)
            if bracket { guard j < b.count, b[j] == 0x5d else { return nil }; j += 1 }
            guard let a = IPv6AddressParse.parse(text) else { return nil }
            i = j
            return a
        }
        if let lo = ipv4(&i) {
            n.addressMin = .v4(lo)
            if i < b.count, b[i] == 0x2d {
                i += 1
                guard let hi = ipv4(&i), hi >= lo else { throw invalid }
                n.addressMax = .v4(hi)
            }
        } else if let lo = ipv6(&i) {
            n.addressMin = .v6(lo)
            if i < b.count, b[i] == 0x2d {
                i += 1
                guard let hi = ipv6(&i), hi >= lo else { throw invalid }
                n.addressMax = .v6(hi)
            }
        }
        if n.addressMin != nil, i < b.count, b[i] == 0x3a {
            i += 1
            // `%hu` wraps.
            guard let lo = digits(&i).map({ UInt16(truncatingIfNeeded: $0) }) else { throw invalid }
            n.portMin = lo
            if i < b.count, b[i] == 0x2d {
                i += 1
                guard let hi = digits(&i).map({ UInt16(truncatingIfNeeded: $0) }), hi >= lo else { throw invalid }
                n.portMax = hi
            }
        }
        if i != b.count {
            throw OFActionError("garbage (\(String(decoding: b[i...], as: UTF8.self))) after nat range \"\(v)\" (pos: \(i))")
        }
    }
}

import Wire

enum IPv6AddressParse {
    static func parse(_ s: String) -> UInt128? {
        guard let a = IPv6Address(s) else { return nil }
        return UInt128(a.high) << 64 | UInt128(a.low)
    }
}

/// `atoi`: leading digits, 0 if none.
private func atoi(_ s: Substring) -> Int {
    let b = Array(s.utf8)
    var i = 0
    while i < b.count, NumberText.isSpace(b[i]) { i += 1 }
    var neg = false
    if i < b.count, b[i] == 0x2d || b[i] == 0x2b { neg = b[i] == 0x2d; i += 1 }
    var v = 0
    while i < b.count, b[i] >= 0x30, b[i] <= 0x39, v < 1 << 40 { v = v * 10 + Int(b[i] - 0x30); i += 1 }
    return neg ? -v : v
}

extension OFField {
    /// Fields that only `ct(exec(...))` may set (`field_requires_ct`).
    var requiresConntrack: Bool { name == "ct_mark" || name == "ct_label" }
}

extension OFAction {
    /// The field the action writes, if any (`ofpact_get_mf_dst`).
    var destinationField: OFField? {
        switch self {
        case .setField(let f, _, _, _): return f
        case .move(_, let d): return d.field
        case .checkPacketLarger(_, let d): return d.field
        case .stackPop(let d): return d.field
        default: return nil
        }
    }

    /// Open vSwitch's name for the action kind (`ofpact_name`), as its errors use.
    var ofpactName: String {
        switch self {
        case .output: return "output"
        case .controller: return "controller"
        case .enqueue: return "enqueue"
        case .outputRegister: return "output_reg"
        case .group: return "group"
        case .outputTruncate: return "output_trunc"
        case .checkPacketLarger: return "check_pkt_larger"
        case .deleteField: return "delete_field"
        case .decrementNSHTTL: return "dec_nsh_ttl"
        case .debugRecirculate: return "debug_recirc"
        case .debugSlowPath: return "debug_slow"
        case .bundle: return "bundle"
        case .setVLANVID: return "set_vlan_vid"
        case .setVLANPCP: return "set_vlan_pcp"
        case .stripVLAN: return "strip_vlan"
        case .pushVLAN: return "push_vlan"
        case .setEthSource: return "mod_dl_src"
        case .setEthDestination: return "mod_dl_dst"
        case .setIPv4Source: return "mod_nw_src"
        case .setIPv4Destination: return "mod_nw_dst"
        case .setIPDSCP: return "mod_nw_tos"
        case .setIPECN: return "mod_nw_ecn"
        case .setIPTTL: return "mod_nw_ttl"
        case .setTransportSource: return "mod_tp_src"
        case .setTransportDestination: return "mod_tp_dst"
        case .setField: return "set_field"
        case .move: return "move"
        case .stackPush: return "push"
        case .stackPop: return "pop"
        case .decrementTTL: return "dec_ttl"
        case .setMPLSLabel: return "set_mpls_label"
        case .setMPLSTC: return "set_mpls_tc"
        case .setMPLSTTL: return "set_mpls_ttl"
        case .decrementMPLSTTL: return "dec_mpls_ttl"
        case .pushMPLS: return "push_mpls"
        case .popMPLS: return "pop_mpls"
        case .setTunnel: return "set_tunnel"
        case .setQueue: return "set_queue"
        case .popQueue: return "pop_queue"
        case .finTimeout: return "fin_timeout"
        case .resubmit: return "resubmit"
        case .learn: return "learn"
        case .conjunction: return "conjunction"
        case .multipath: return "multipath"
        case .note: return "note"
        case .exit: return "exit"
        case .sample: return "sample"
        case .clone: return "clone"
        case .conntrack: return "ct"
        case .conntrackClear: return "ct_clear"
        case .nat: return "nat"
        case .meter: return "meter"
        case .clearActions: return "clear_actions"
        case .writeActions: return "write_actions"
        case .writeMetadata: return "write_metadata"
        case .gotoTable: return "goto_table"
        }
    }
}
