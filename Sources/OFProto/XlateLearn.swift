import Flow

// The `learn` action in translation (OVS's xlate_learn_action with
// lib/learn.c's learn_execute and learn_mask): the action builds a flow-mod
// from the packet's fields and adds it to the bridge's tables at once, when
// the packet is real (an upcall, a revalidation of an active flow, or a trace
// with `-generate`). The fields it reads are un-wildcarded either way.

/// The flow-mod a `learn` action makes for one packet (`learn_execute`).
public struct LearnedFlow: Equatable, Sendable {
    public var table: UInt8
    public var spec: OpenFlowRuleSpec<[OFAction]>

    public static func == (a: LearnedFlow, b: LearnedFlow) -> Bool {
        a.table == b.table && a.spec.match == b.spec.match && a.spec.priority == b.spec.priority
            && a.spec.cookie == b.spec.cookie && a.spec.idleTimeout == b.spec.idleTimeout
            && a.spec.hardTimeout == b.spec.hardTimeout && a.spec.flags == b.spec.flags
            && a.spec.actions == b.spec.actions
    }

    /// Builds the flow `learn` makes for a packet whose flow is `flow`.
    public init(_ learn: LearnAction, flow: FlowKey) {
        table = learn.table
        var key = FlowKey()
        var mask = FlowKey()
        var actions: [OFAction] = []
        if learn.finIdleTimeout != 0 || learn.finHardTimeout != 0 {
            var f = FinTimeoutAction()
            f.idle = learn.finIdleTimeout
            f.hard = learn.finHardTimeout
            actions.append(.finTimeout(f))
        }
        func read(_ sf: OFSubfield) -> UInt128 {
            sf.field.value(in: flow) >> UInt128(sf.offset) & Self.ones(sf.bits)
        }
        for spec in learn.specs {
            switch spec {
            case .matchField(let dst, let src):
                Self.match(dst, read(src), key: &key, mask: &mask)
            case .matchValue(let dst, let value):
                Self.match(dst, value, key: &key, mask: &mask)
            case .loadField(let dst, let src):
                actions.append(Self.load(dst, read(src)))
            case .loadValue(let dst, let value):
                actions.append(Self.load(dst, value))
            case .output(let src):
                let v = read(src)
                if src.bits <= 16 || v >> 16 == 0 {
                    let port = OFPort(rawValue: UInt16(truncatingIfNeeded: v))
                    if port.rawValue < 0xff00 || port == .inPort || port == .flood || port == .local || port == .all {
                        actions.append(.output(port: port, maxLength: 0))
                    }
                }
            }
        }
        spec = OpenFlowRuleSpec(match: Match(key: key, mask: FlowMask(words: mask.words)), priority: learn.priority,
                                cookie: learn.cookie, idleTimeout: learn.idleTimeout, hardTimeout: learn.hardTimeout,
                                flags: learn.sendFlowRemoved ? [.sendFlowRemoved] : [], actions: actions)
    }

    /// Matches `dst` on `value` (right-aligned) in the learned flow.
    static func match(_ dst: OFSubfield, _ value: UInt128, key: inout FlowKey, mask: inout FlowKey) {
        let m = ones(dst.bits) << UInt128(dst.offset)
        dst.field.write(value << UInt128(dst.offset), mask: m, into: &key)
        dst.field.write(.max, mask: m, into: &mask)
        // match_add_ethernet_prereq: a field with prerequisites makes the
        // flow Ethernet-only (packet_type=eth), as a parsed flow-mod's.
        if dst.field.prerequisite != .none && mask[.packetType] == 0 {
            key[.packetType] = 0
            mask[.packetType] = FlowField.packetType.maxValue
        }
    }

    static func ones(_ bits: Int) -> UInt128 { bits >= 128 ? .max : (UInt128(1) << UInt128(bits)) - 1 }

    /// `load:VALUE->DST` as the learned flow carries it (`NXAST_REG_LOAD`).
    static func load(_ dst: OFSubfield, _ value: UInt128) -> OFAction {
        let m = ones(dst.bits) << UInt128(dst.offset)
        return .setField(field: dst.field, value: (value << UInt128(dst.offset)) & m, mask: m, origin: .load)
    }

    /// The trace's line for the flow-mod (xlate_learn_action's report).
    public var traceText: String {
        var s = "table=\(table) " + spec.match.formatted()
        while s.last == " " { s.removeLast() }
        s += " priority=\(spec.priority)"
        if spec.cookie != 0 { s += " cookie=0x" + String(spec.cookie, radix: 16) }
        if spec.idleTimeout != 0 { s += " idle=\(spec.idleTimeout)" }
        if spec.hardTimeout != 0 { s += " hard=\(spec.hardTimeout)" }
        if spec.flags.contains(.sendFlowRemoved) { s += " send_flow_rem" }
        return s + " actions=" + OFAction.format(spec.actions)
    }
}

/// What adding a learned flow did.
public enum LearnOutcome: Equatable, Sendable {
    /// Added, replaced or refreshed.
    case learned
    /// `limit` rules with the cookie are in the table already.
    case limitExceeded
    /// The table refused it (full...).
    case failed(OpenFlowTableError)
}

extension OFProtoBridge {
    /// Adds a learned flow (OVS's `ofproto_flow_mod_learn`): a modify-strict
    /// that adds the rule if none has its match and priority. An identical
    /// rule (same timeouts, flags, cookie and actions) is only refreshed:
    /// its hard timeout starts again (the rule is replaced, creation time
    /// and counters kept) if it has one, and the tables' version does not
    /// change otherwise, so
    /// packets learning the same flow again do not make the revalidators
    /// re-translate everything. A new rule is refused when the table holds
    /// `limit` (non-zero) rules with the learned cookie.
    public func learn(_ flow: LearnedFlow, limit: UInt32, now: Duration = OFProtoBridge.now()) -> LearnOutcome {
        let table = OpenFlowTableID(flow.table)
        let spec = flow.spec
        let (existing, sameCookie) = pipeline.read { r in
            let t = r.tables[Int(flow.table)]
            let old = t.find(spec.match, priority: spec.priority, version: r.version)
            var n = 0
            if limit > 0 {
                for rule in t.rules(visibleIn: r.version) where rule.cookie == spec.cookie { n += 1 }
            }
            return (old, n)
        }
        if let old = existing, old.idleTimeout == spec.idleTimeout, old.hardTimeout == spec.hardTimeout,
           old.importance == spec.importance, old.flags == spec.flags, old.cookie == spec.cookie,
           old.actions == spec.actions {
            // Refresh: the hard timeout starts again (at most once a second).
            if old.hardTimeout != 0 && now - old.modified >= .seconds(1) {
                _ = pipeline.transaction { tx in tx.replace(old, with: spec, modified: now) }
            }
            return .learned
        }
        if limit > 0 && Int(limit) <= sameCookie { return .limitExceeded }
        do {
            try pipeline.transaction { (tx) throws(OpenFlowTableError) in
                _ = try tx.add(spec, table: table, now: now)
            }
        } catch {
            return .failed(error)
        }
        return .learned
    }
}

extension XlateContext {
    /// `xlate_learn_action`.
    mutating func learnAction(_ learn: LearnAction) {
        // learn_mask: every source field the flow-mod reads.
        var m = FlowKey(words: wc.words)
        for spec in learn.specs {
            switch spec {
            case .matchField(_, let src), .loadField(_, let src), .output(let src):
                src.field.write(.max, mask: ones(src.bits) << UInt128(src.offset), into: &m)
            case .matchValue, .loadValue:
                break
            }
        }
        wc.words = m.words
        guard mayLearn else {
            report(.warn, "suppressing side effects, so learn action ignored")
            return
        }
        let learned = LearnedFlow(learn, flow: flow)
        if tracing { report(.detail, learned.traceText) }
        let id = ObjectIdentifier(bridge)
        if pinnedVersions[id] == nil { pinnedVersions[id] = bridge.pipeline.version }
        let outcome = bridge.learn(learned, limit: learn.limit)
        if case .failed(let e) = outcome {
            report(.error, "LEARN action execution failed (\(Self.learnErrorText(e))).")
            return
        }
        let success = outcome == .learned
        if let dst = learn.resultDestination {
            let mask = ones(dst.bits) << UInt128(dst.offset)
            var w = FlowKey(words: wc.words)
            dst.field.write(.max, mask: mask, into: &w)
            wc.words = w.words
            dst.field.write(success ? UInt128(1) << UInt128(dst.offset) : 0, mask: mask, into: &flow)
            reportSubfield(dst)
        }
        if !success { report(.detail, "Limit exceeded, learn failed") }
    }

    static func learnErrorText(_ e: OpenFlowTableError) -> String {
        switch e {
        case .tableFull: "OFPFMFC_TABLE_FULL"
        case .overlap: "OFPFMFC_OVERLAP"
        case .badTableID: "OFPBRC_BAD_TABLE_ID"
        }
    }
}

extension XlateContext {
    /// `xlate_fin_timeout`: a TCP FIN or RST reduces the timeouts of the
    /// rule whose actions run (never raises them; 0 is no timeout), when the
    /// packet is real.
    mutating func finTimeoutAction(_ f: FinTimeoutAction) {
        guard mayLearn, let rule = currentRule, flow.tcpFlags & 0x5 != 0 else { return }
        func reduce(_ timeout: UInt16, _ max: UInt16) -> UInt16 {
            max != 0 && (timeout == 0 || timeout > max) ? max : timeout
        }
        var spec = rule.spec
        spec.idleTimeout = reduce(rule.idleTimeout, f.idle)
        spec.hardTimeout = reduce(rule.hardTimeout, f.hard)
        guard spec.idleTimeout != rule.idleTimeout || spec.hardTimeout != rule.hardTimeout else { return }
        let id = ObjectIdentifier(bridge)
        if pinnedVersions[id] == nil { pinnedVersions[id] = bridge.pipeline.version }
        if let new = bridge.pipeline.transaction({ tx in tx.replace(rule, with: spec) }) { currentRule = new }
    }
}
