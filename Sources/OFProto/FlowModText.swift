import Flow

/// A flow as `ovs-ofctl add-flow` and `parse-flow` read it
/// (`parse_ofp_str`): match, priority, table, cookie, timeouts, flags and
/// instructions.
public struct FlowModText: Hashable, Sendable {
    public var match: Match
    public var priority: Int = Match.defaultPriority
    /// 255: not given (any table / table 0 on add).
    public var table: UInt8 = 255
    public var cookie: UInt64 = 0
    public var idleTimeout: UInt16 = 0
    public var hardTimeout: UInt16 = 0
    public var importance: UInt16 = 0
    public var flags = FlowModFlags()
    public var outPort: OFPort = .any
    public var outGroup: UInt32 = 0xffff_ffff
    public var actions: [OFAction] = []
    /// The protocols that can carry this flow.
    public var usableProtocols = OFProtocols.any

    public init(match: Match) { self.match = match }
}

/// `OFPUTIL_FF_*` flags.
public struct FlowModFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let sendFlowRemoved = FlowModFlags(rawValue: 1 << 0)
    public static let checkOverlap = FlowModFlags(rawValue: 1 << 1)
    public static let resetCounts = FlowModFlags(rawValue: 1 << 2)
    public static let noPacketCounts = FlowModFlags(rawValue: 1 << 3)
    public static let noByteCounts = FlowModFlags(rawValue: 1 << 4)
}

extension FlowModText {
    /// Parses an `add-flow` line.
    public static func parse(_ text: String) throws(OFActionError) -> FlowModText {
        var bytes = Array(text.utf8)
        if bytes.contains(0) { throw OFActionError("flow contains a NUL byte") }
        // `ofp_extract_actions`: everything after the first "action...=".
        var actionText: String? = nil
        if let start = bytes.firstOffset(of: "action") {
            let after = Array(bytes[(start + 1)...])
            if let eq = after.firstIndex(of: 0x3d) {
                actionText = String(decoding: after[(eq + 1)...], as: UTF8.self)
            }
            bytes = Array(bytes[..<start])
        }
        guard let actionText else { throw OFActionError("must specify an action") }

        var usable = OFProtocols.any
        var flow = FlowModText(match: .catchAll)
        var matchParts: [String] = []
        var scanner = KeyValueScanner(bytes)
        while let (name, value) = scanner.next() {
            switch name {
            case "send_flow_rem": flow.flags.insert(.sendFlowRemoved)
            case "check_overlap": flow.flags.insert(.checkOverlap)
            case "reset_counts": flow.flags.insert(.resetCounts); usable.formIntersection(.of12Up)
            case "no_packet_counts": flow.flags.insert(.noPacketCounts); usable.formIntersection(.of13Up)
            case "no_byte_counts": flow.flags.insert(.noByteCounts); usable.formIntersection(.of13Up)
            case "table", "out_port", "out_group", "idle_timeout", "hard_timeout", "importance", "cookie",
                 "duration", "n_packets", "n_bytes", "idle_age", "hard_age":
                if OFField.named(name) != nil { fallthrough }
                if value.isEmpty { throw OFActionError("field \(name) missing value") }
                switch name {
                case "table":
                    guard let t = NumberText.decimalUInt32(value), t <= 255 else { throw OFActionError("unknown table \"\(value)\"") }
                    flow.table = UInt8(t)
                    if t != 255 { usable.formIntersection(.tid) }
                case "out_port", "out_group":
                    throw OFActionError("unknown keyword \(name)")
                case "idle_timeout": flow.idleTimeout = try NumberText.u16(value, name)
                case "hard_timeout": flow.hardTimeout = try NumberText.u16(value, name)
                case "importance": flow.importance = try NumberText.u16(value, name)
                case "cookie":
                    if value.contains("/") { throw OFActionError("flow additions cannot use a cookie mask") }
                    flow.cookie = try NumberText.u64(value)
                default: break
                }
            default:
                if name.contains("["), OFField.named(name) == nil {
                    // `parse_subfield`: NAME[bits]=VALUE matches those bits.
                    let sf = try OFSubfield.parse(name)
                    let b = Array(value.utf8)
                    guard let (v, rest) = NumberText.fieldInteger(b[...], bytes: sf.field.bytes), rest.isEmpty else {
                        throw OFActionError("\(value): cannot parse integer value")
                    }
                    let ones: UInt128 = sf.bits >= 128 ? .max : (UInt128(1) << UInt128(sf.bits)) - 1
                    if v & ~ones != 0 {
                        throw OFActionError("\(value): value too large for \(sf.bits)-bit field \(name)")
                    }
                    let mask = ones << UInt128(sf.offset)
                    matchParts.append(sf.field.name + "=0x" + HexText.hex128(v << UInt128(sf.offset)) + "/0x" + HexText.hex128(mask))
                    continue
                }
                if value.isEmpty && name.contains("(") == false {
                    matchParts.append(name)
                } else {
                    matchParts.append(name + "=" + value)
                }
            }
        }
        do {
            let parsed = try Match.parse(matchParts.joined(separator: ","))
            flow.match = parsed.match
            flow.priority = parsed.priority
        } catch {
            throw OFActionError(error.message)
        }
        usable.formIntersection(FlowModText.matchProtocols(matchParts, flow.match))

        var parser = OFActionParser()
        flow.actions = try parser.parseInstructions(actionText)
        usable.formIntersection(parser.usableProtocols)
        var checkProtocols = OFProtocols.any
        let problem = OFActionCheck.check(flow.actions, match: flow.match, table: flow.table, protocols: &checkProtocols)
        usable.formIntersection(checkProtocols)
        if let problem {
            throw OFActionError("actions are invalid with specified match (\(problem))")
        }
        if usable.isEmpty {
            throw OFActionError("actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)")
        }
        flow.usableProtocols = usable
        return flow
    }

    /// The protocols that can carry the match fields written in `parts`
    /// (`key=value` tokens), as `ofp_parse_field` narrows them field by field.
    static func matchProtocols(_ parts: [String], _ match: Match) -> OFProtocols {
        var usable = OFProtocols.any
        for part in parts {
            let b = Array(part.utf8)
            let eq = b.firstIndex(of: 0x3d)
            let name = eq.map { String(decoding: b[..<$0], as: UTF8.self) } ?? part
            var value = eq.map { String(decoding: b[($0 + 1)...], as: UTF8.self) } ?? ""
            guard let field = OFField.named(name) else { continue }
            if value.isEmpty { value = "0/0" }
            let mask = (try? field.parseValue(value))?.mask ?? field.byteMask
            usable.formIntersection(field.usableProtocols(mask: mask))
        }
        let k = match.key, m = match.mask
        if k[.ethType] == 0x86dd, m[.networkProtocol] != 0 || m[.networkTOS] != 0
            || m[.transportSource] != 0 || m[.transportDestination] != 0 {
            usable.formIntersection(.nxmOXMAny)
        }
        return usable
    }

    /// The protocol `ovs-ofctl` picks among `allowed`: the lowest usable bit.
    public func chosenProtocol(allowed: OFProtocols) -> OFProtocols? {
        let both = usableProtocols.intersection(allowed)
        for i in 0..<9 where both.contains(OFProtocols(rawValue: 1 << i)) { return OFProtocols(rawValue: 1 << i) }
        return nil
    }

    /// The output of `ovs-ofctl [-O VERSION] parse-flow`, or its error
    /// (`ovs-ofctl: MESSAGE`) as the last line.
    public static func parseFlowOutput(_ text: String, version: OFVersion) -> String {
        let flow: FlowModText
        do {
            flow = try parse(text)
        } catch {
            return "ovs-ofctl: \(error.message)\n"
        }
        var out = "usable protocols: \(flow.usableProtocols.listDescription)\n"
        guard let chosen = flow.chosenProtocol(allowed: version.protocols) else {
            return out + "ovs-ofctl: no usable protocol\n"
        }
        out += "chosen protocol: \(chosen.singleName)\n"
        out += flow.flowModLine(protocol: chosen) + "\n"
        return out
    }

    /// `OFPT_FLOW_MOD ... ADD ...` as `ofp_print` prints the encoded flow-mod.
    public func flowModLine(protocol chosen: OFProtocols) -> String {
        let version = chosen.version
        var s: String
        switch version {
        case .of10: s = chosen.isSubset(of: .of10NXMAny) ? "NXT_FLOW_MOD (xid=0x1):" : "OFPT_FLOW_MOD (xid=0x1):"
        default: s = "OFPT_FLOW_MOD (OF1.\(version.rawValue - 1)) (xid=0x1):"
        }
        s += " ADD"
        let tableID: UInt8 = table == 255 ? 0 : table
        if tableID != 0 { s += " table:\(tableID)" }
        s += " "
        let matchText = match.normalized().formatted(priority: priority)
        s += matchText
        if !s.hasSuffix(" ") { s += " " }
        if cookie != 0 && cookie != .max { s += "cookie:" + "0x" + HexText.hex(cookie) + " " }
        if idleTimeout != 0 { s += "idle:\(idleTimeout) " }
        if hardTimeout != 0 { s += "hard:\(hardTimeout) " }
        if importance != 0 && version >= .of14 { s += "importance:\(importance) " }
        var f = flags
        if version <= .of11 { f.remove(.resetCounts) }
        if f.contains(.sendFlowRemoved) { s += "send_flow_rem " }
        if f.contains(.checkOverlap) { s += "check_overlap " }
        if f.contains(.resetCounts) { s += "reset_counts " }
        if f.contains(.noPacketCounts) { s += "no_packet_counts " }
        if f.contains(.noByteCounts) { s += "no_byte_counts " }
        s += "actions=" + OFAction.format(OFActionEncoding.roundTrip(actions, version: version, match: match))
        return s
    }
}

extension FlowModText {
    /// The flow in `add-flow` syntax, which `parse` reads back to the same
    /// flow: keywords, then the normalised match with its priority, then
    /// `actions=` as parsed (before any OpenFlow encoding).
    public func formatted() -> String {
        var parts: [String] = []
        if table != 255 { parts.append("table=\(table)") }
        if cookie != 0 { parts.append("cookie=0x" + HexText.hex(cookie)) }
        if idleTimeout != 0 { parts.append("idle_timeout=\(idleTimeout)") }
        if hardTimeout != 0 { parts.append("hard_timeout=\(hardTimeout)") }
        if importance != 0 { parts.append("importance=\(importance)") }
        if flags.contains(.sendFlowRemoved) { parts.append("send_flow_rem") }
        if flags.contains(.checkOverlap) { parts.append("check_overlap") }
        if flags.contains(.resetCounts) { parts.append("reset_counts") }
        if flags.contains(.noPacketCounts) { parts.append("no_packet_counts") }
        if flags.contains(.noByteCounts) { parts.append("no_byte_counts") }
        let m = match.normalized().formatted(priority: priority)
        if !m.isEmpty { parts.append(m) }
        // `set_field` with an empty mask prints as `ANY` (as Open vSwitch
        // prints it) but is written `*`.
        let actionText = OFAction.format(actions).split(separator: "set_field:ANY->", omittingEmptySubsequences: false)
            .joined(separator: "set_field:*->")
        parts.append("actions=" + actionText)
        return parts.joined(separator: ",")
    }
}

/// A rule's counters as a flow-stats reply carries them.
public struct FlowStatsCounters: Hashable, Sendable {
    public var durationSeconds: UInt32 = 0
    public var durationNanoseconds: UInt32 = 0
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    /// Seconds since the last packet (-1: not reported).
    public var idleAge: Int = -1
    /// Seconds since the last modification (-1: not reported).
    public var hardAge: Int = -1
    public init() {}
}

extension FlowModText {
    /// One line of `ovs-ofctl dump-flows` (`ofputil_flow_stats_format`
    /// with statistics) for a rule added with OpenFlow `added` and dumped
    /// with `dumped`: the switch keeps the actions as the add message
    /// carried them and encodes them again for the dump.
    public func dumpFlowsLine(_ stats: FlowStatsCounters, addedWith added: OFVersion, dumpedWith version: OFVersion) -> String {
        var flags = self.flags
        // OpenFlow 1.0 and 1.1 flow-mods always reset the counters.
        if added <= .of11 { flags.insert(.resetCounts) }
        var s = " cookie=0x" + HexText.hex(cookie) + ", duration=" + FlowModText.duration(stats.durationSeconds, stats.durationNanoseconds) + ", "
        s += "table=\(table == 255 ? 0 : table), "
        s += "n_packets=\(stats.packets), n_bytes=\(stats.bytes), "
        if idleTimeout != 0 { s += "idle_timeout=\(idleTimeout), " }
        if hardTimeout != 0 { s += "hard_timeout=\(hardTimeout), " }
        if version >= .of13 {
            // Only OpenFlow 1.3+ flow stats carry the flags.
            if flags.contains(.sendFlowRemoved) { s += "send_flow_rem " }
            if flags.contains(.checkOverlap) { s += "check_overlap " }
            if flags.contains(.resetCounts) { s += "reset_counts " }
            if flags.contains(.noPacketCounts) { s += "no_packet_counts " }
            if flags.contains(.noByteCounts) { s += "no_byte_counts " }
        }
        if importance != 0 && version >= .of14 { s += "importance=\(importance), " }
        if stats.idleAge >= 0 { s += "idle_age=\(stats.idleAge), " }
        if stats.hardAge >= 0 && stats.hardAge != Int(stats.durationSeconds) { s += "hard_age=\(stats.hardAge), " }
        let m = match.normalized().formatted(priority: priority)
        if !m.isEmpty { s += m + " " }
        let stored = OFActionEncoding.roundTrip(actions, version: added, match: match)
        s += "actions=" + OFAction.format(OFActionEncoding.roundTrip(stored, version: version, match: match))
        return s
    }

    /// `ofp_print_duration`: seconds, then 3 or 9 decimals when not whole.
    static func duration(_ sec: UInt32, _ nsec: UInt32) -> String {
        var s = String(sec)
        if nsec > 0 {
            let msec = nsec / 1_000_000
            if msec * 1_000_000 == nsec {
                let t = String(msec)
                s += "." + String(repeating: "0", count: 3 - t.count) + t
            } else {
                let t = String(nsec)
                s += "." + String(repeating: "0", count: 9 - t.count) + t
            }
        }
        return s + "s"
    }
}
