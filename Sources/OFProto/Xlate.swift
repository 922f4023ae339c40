import Datapath
import Flow
import Wire

// Translation (OVS's ofproto-dpif-xlate): a packet's flow key through a
// bridge's OpenFlow pipeline, giving datapath actions and the megaflow's
// wildcards.

/// The result of translating one flow.
public struct XlateResult: Sendable {
    /// The datapath actions (empty: drop).
    public var actions: [DatapathAction]
    /// Which bits of the input key the actions depend on (the megaflow's mask).
    public var mask: FlowMask
    /// The flow after the pipeline's changes (`Final flow`).
    public var finalFlow: FlowKey
    /// The translation error that made it drop, if any.
    public var error: DropCode?
    /// The rules the translation went through, for statistics.
    public var rules: [OpenFlowRule<[OFAction]>]
    /// True if the flow must not be cached (controller actions...).
    public var slowPath: Bool
    /// The groups (and buckets) the translation went through, for statistics.
    public var groups: [OFGroupHit] = []
}

/// One line of an `ofproto/trace` report (OVS's `oftrace_node`).
final class TraceNode {
    /// `bucket`: a group bucket, terminal like an action (its actions below it).
    enum Kind { case bridge, table, action, detail, warn, error, bucket }
    let kind: Kind
    let text: String
    var subs: [TraceNode] = []
    init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }
    var isTerminal: Bool {
        switch kind {
        case .action, .detail, .warn, .error, .bucket: true
        case .bridge, .table: false
        }
    }

    /// `oftrace_node_print_details`.
    static func print(_ nodes: [TraceNode], level: Int, into out: inout String) {
        for (i, n) in nodes.enumerated() {
            if n.kind == .bridge { out += "\n" }
            let more = (i != nodes.count - 1 || n.isTerminal) ? 1 : 0
            let indent = String(repeating: " ", count: (level + more) * 4)
            out += indent
            switch n.kind {
            case .detail: out += " -> \(n.text)\n"
            case .warn: out += " >> \(n.text)\n"
            case .error: out += " >>>> \(n.text) <<<<\n"
            case .bridge:
                out += n.text + "\n" + indent + String(repeating: "-", count: n.text.utf8.count) + "\n"
            case .table, .action, .bucket: out += n.text + "\n"
            }
            print(n.subs, level: level + 2 * more, into: &out)
        }
    }
}

/// The translation limits of OVS (`MAX_DEPTH`, `MAX_RESUBMITS`).
enum XlateLimits {
    static let maxDepth = 64
    static let maxResubmits = 4096
}

/// What a table lookup found.
enum XlateRule {
    case rule(OpenFlowRule<[OFAction]>)
    /// The table missed and nobody wants a packet-in (`no_packet_in_rule`).
    case noMatch
    /// The table missed and a packet-in is called for (`miss_rule`).
    case packetIn
}

/// How a table's actions are run: directly, or as a clone (patch ports).
enum XlateRunner { case direct, clone }

/// The state of one translation (OVS's `struct xlate_ctx`).
struct XlateContext {
    let bridges: OFProtoBridges
    var bridge: OFProtoBridge
    /// The bridge the translation started in (`xin->ofproto`).
    let rootBridge: OFProtoBridge
    var config: BridgeConfig
    /// The flow as the actions have changed it.
    var flow: FlowKey
    /// The flow as the datapath actions so far leave the packet.
    var base: FlowKey
    /// The flow the translation started with.
    let upcallFlow: FlowKey
    var wc = FlowMask.catchAll
    var actions: [DatapathAction] = []
    var tableID: UInt8 = 0
    var depth = 0
    var resubmits = 0
    var exit = false
    var error: DropCode?
    var actionSet: [OFAction] = []
    var actionSetHasGroup = false
    var stack: [UInt128] = []
    var inActionSet = false
    var slow = false
    /// The actions need the slow path (`SLOW_ACTION`: ICMP rewrites, `debug_slow`).
    var slowAction = false
    var origSkbPriority: UInt32
    var rules: [OpenFlowRule<[OFAction]>] = []
    /// The groups (and buckets) gone through, for statistics.
    var groupHits: [OFGroupHit] = []
    /// The cookie of the rule whose actions run (packet-ins carry it).
    var ruleCookie: UInt64 = 0
    /// The rule whose actions run (`ctx->rule`: `fin_timeout` changes it).
    var currentRule: OpenFlowRule<[OFAction]>?
    /// Counter standing in for the recirculation ids of packet-in continuations.
    var controllerRecirculation: UInt32 = 0
    /// Translating a packet-out's actions (PacketOut.swift).
    var inPacketOut = false
    /// MAC learning and other side effects are allowed (a real packet).
    let mayLearn: Bool
    /// The tables' version of each bridge a `learn` action changed, from
    /// before the change: later lookups of the translation stay at it.
    var pinnedVersions: [ObjectIdentifier: ClassifierVersion] = [:]
    /// Where trace nodes go (nil: not tracing).
    var trace: TraceNode?
    let tracing: Bool

    init(bridges: OFProtoBridges, bridge: OFProtoBridge, flow: FlowKey, mayLearn: Bool, trace: TraceNode?) {
        self.bridges = bridges
        self.bridge = bridge
        rootBridge = bridge
        config = bridge.snapshot
        self.flow = flow
        var b = flow
        for w in 0...16 { b.words[w] = 0 }     // the datapath keeps no tunnel
        base = b
        upcallFlow = flow
        origSkbPriority = flow.skbPriority
        self.mayLearn = mayLearn
        self.trace = trace
        tracing = trace != nil
    }

    // MARK: Reports

    @discardableResult
    mutating func report(_ kind: TraceNode.Kind, _ text: String) -> TraceNode? {
        guard let t = trace else { return nil }
        let n = TraceNode(kind, text)
        t.subs.append(n)
        return n
    }

    // MARK: Entry

    /// `xlate_actions`: the whole translation from table 0.
    mutating func run() {
        wcInit()
        let name = bridge.name
        let bridgeNode = report(.bridge, "bridge(\"\(name)\")")
        if tracing { trace = bridgeNode }
        if flow.recirculationID != 0 {
            report(.error, "Recirculation context not found for ID \(String(flow.recirculationID, radix: 16))")
            error = .noRecirculationContext
            return
        }
        if bridge.asyncMessages.isFailOpen { runFailOpen(); return }     // PacketIn.swift
        var table: UInt8 = 0
        let found = lookup(from: &table, inPort: flow.openFlowInPort, mayPacketIn: true, honorMiss: true)
        tableID = table
        reportTable(found, table: table)
        if case .rule(let r) = found { rules.append(r); ruleCookie = r.cookie; currentRule = r }
        // `may_receive`: a port with NO_RECV runs no actions (PortConfig.swift).
        if mayReceive(flow.openFlowInPort) {
            doActions(actions(of: found), isLast: true)
            if error != nil { return }
            executeActionSet()
        }
        wcFinish()
    }

    /// The actions of a lookup's result.
    func actions(of r: XlateRule) -> [OFAction] {
        switch r {
        case .rule(let rule): return rule.actions
        case .noMatch: return []
        case .packetIn:
            var c = ControllerAction()
            c.reason = 7    // OFPR_IMPLICIT_MISS
            return [.controller(c)]
        }
    }

    mutating func reportTable(_ r: XlateRule, table: UInt8) {
        guard tracing else { return }
        var s = table < 10 ? " \(table). " : "\(table). "
        switch r {
        // Behind a patch port, Open vSwitch compares the peer bridge's miss
        // rules with the first bridge's and shows them as rules.
        case .noMatch: s += bridge === rootBridge ? "No match." : "reg0=0x2, priority 0"
        case .packetIn: s += bridge === rootBridge ? "No match, and a \"packet-in\" is called for." : "reg0=0x1, priority 0"
        case .rule(let rule):
            s += rule.match.formatted()
            if s.last != " " { s += ", " }
            s += "priority \(rule.priority)"
            if rule.cookie != 0 { s += ", cookie 0x" + String(rule.cookie, radix: 16) }
        }
        trace = report(.table, s)
    }

    // MARK: Wildcards

    /// `xlate_wc_init`.
    mutating func wcInit() {
        wc = .catchAll
        wc.setExact(.packetType)
        wc.setExact(.inPort)
        wc.setExact(.ethType)
        if flow.isIPAny { wc[.networkFragment] = 3 }
        wc.setExact(.recirculationID)
    }

    /// `xlate_wc_finish`.
    mutating func wcFinish() {
        // Non-packet fields: metadata, registers, actset_output, conj_id.
        for w in 17...25 { wc.words[w] = 0 }
        wc.words[FlowField.conjunctionID.word] = 0
        if upcallFlow.packetType != 0 {
            wc[.ethSource] = 0
            wc[.ethDestination] = 0
        }
        if upcallFlow.isICMPAny {
            wc[.transportSource] &= 0xff
            wc[.transportDestination] &= 0xff
        }
        if wc[.vlan0TCI] != 0 { wc[.vlan0TCI] |= 0x1000 }
        if wc[.vlan1TCI] != 0 { wc[.vlan1TCI] |= 0x1000 }
        if upcallFlow.networkFragment.contains(.later) {
            wc[.transportSource] = 0
            wc[.transportDestination] = 0
        }
        if !upcallFlow.ethType.isMPLSType {
            wc[.mplsLSE0] = 0
            wc[.mplsLSE1] = 0
            wc[.mplsLSE2] = 0
        }
        if !isVLANTPID(upcallFlow[.vlan0TPID]) { wc[.vlan0] = 0 }
        if !isVLANTPID(upcallFlow[.vlan1TPID]) { wc[.vlan1] = 0 }
        if upcallFlow.tunnelIPv4Destination.rawValue == 0 && upcallFlow.tunnelIPv6Destination == .any {
            for w in 0...16 { wc.words[w] = 0 }
        }
    }

    // MARK: Tables

    /// `rule_dpif_lookup_from_table`: looks up from table `table` on,
    /// following `continue` misses; `table` ends as the last table looked at.
    mutating func lookup(from table: inout UInt8, inPort: OFPort, mayPacketIn: Bool, honorMiss: Bool) -> XlateRule {
        let oldTP = (flow[.transportSource], flow[.transportDestination])
        let oldInPort = flow.openFlowInPort
        if flow.networkFragment.contains(.any) {
            // Fragment handling "normal": transport ports are not available.
            flow[.transportSource] = 0
            flow[.transportDestination] = 0
        }
        flow.openFlowInPort = inPort
        defer {
            flow[.transportSource] = oldTP.0
            flow[.transportDestination] = oldTP.1
            flow.openFlowInPort = oldInPort
        }
        var miss = OpenFlowTableMiss.continue
        var id = Int(table)
        let key = flow
        while id < 254 {
            table = UInt8(id)
            let tid = OpenFlowTableID(UInt8(id))
            let found = pinnedVersions.isEmpty
                ? bridge.pipeline.read { r in r.lookup(table: tid, key, wildcards: &wc) }
                : bridge.pipeline.read(at: pinnedVersions[ObjectIdentifier(bridge)]) { r in
                    r.lookup(table: tid, key, wildcards: &wc)
                }
            if let found { return .rule(found) }
            if honorMiss {
                miss = bridge.pipeline.read { $0.missBehavior(of: tid) }
                if miss == .continue { id += 1; continue }
            }
            break
        }
        if mayPacketIn && (miss == .continue || miss == .controller) && config.port(oldInPort) != nil {
            return .packetIn
        }
        return .noMatch
    }

    /// `xlate_table_action`.
    mutating func tableAction(inPort: OFPort, table: UInt8, mayPacketIn: Bool, honorMiss: Bool,
                              isLast: Bool, runner: XlateRunner) {
        guard resourceCheck() else { return }
        let oldTable = tableID
        var t = table
        tableID = table
        let found = lookup(from: &t, inPort: inPort, mayPacketIn: mayPacketIn, honorMiss: honorMiss)
        tableID = t
        let oldTrace = trace
        reportTable(found, table: table)
        if case .rule(let r) = found { rules.append(r) }
        resubmits += 1
        let deepens = table <= oldTable ? 1 : 0
        depth += deepens
        let acts = actions(of: found)
        let oldCookie = ruleCookie, oldRule = currentRule
        if case .rule(let r) = found { ruleCookie = r.cookie; currentRule = r }
        switch runner {
        case .direct: doActions(acts, isLast: isLast)
        case .clone: cloneActions(acts, isLast: isLast)
        }
        ruleCookie = oldCookie
        currentRule = oldRule
        depth -= deepens
        trace = oldTrace
        tableID = oldTable
    }

    /// `xlate_resubmit_resource_check`.
    mutating func resourceCheck() -> Bool {
        if depth >= XlateLimits.maxDepth {
            report(.error, "over max translation depth \(XlateLimits.maxDepth)")
            error = .recursionTooDeep
            return false
        }
        if resubmits >= XlateLimits.maxResubmits {
            report(.error, "over \(XlateLimits.maxResubmits) resubmit actions")
            error = .tooManyResubmits
            return false
        }
        return true
    }

    /// `clone_xlate_actions`: runs `acts` so that their changes do not
    /// reach the actions after them.
    mutating func cloneActions(_ acts: [OFAction], isLast: Bool) {
        let oldStack = stack, oldSet = actionSet, oldFlow = flow
        if isLast || acts.allSatisfy(\.isReversible) {
            doActions(acts, isLast: isLast)
            executeActionSet()
            actionSet = oldSet
            stack = oldStack
            flow = oldFlow
            return
        }
        commit()
        let oldBase = base
        let outer = actions
        actions = []
        doActions(acts, isLast: true)
        executeActionSet()
        let inner = actions
        actions = outer
        if !inner.isEmpty { actions.append(.clone(inner)) }
        base = oldBase
        actionSet = oldSet
        stack = oldStack
        flow = oldFlow
    }

    /// `xlate_action_set`.
    mutating func executeActionSet() {
        let list = OFActionSet.executionList(actionSet)
        actionSet = []
        actionSetHasGroup = false
        guard !list.isEmpty else { return }
        inActionSet = true
        let oldTrace = trace
        if tracing { trace = report(.table, "--. Executing action set:") }
        doActions(list, isLast: true)
        trace = oldTrace
        inActionSet = false
    }
}

extension OFAction {
    /// `reversible_actions`: false for the actions a clone cannot undo.
    var isReversible: Bool {
        switch self {
        case .conntrack, .meter, .nat, .outputTruncate, .decrementNSHTTL: false
        default: true
        }
    }
}

/// The OpenFlow action set (`ofpacts_execute_action_set`).
enum OFActionSet {
    /// Where an action goes in the set's execution order.
    static func rank(_ a: OFAction) -> Int? {
        switch a {
        case .stripVLAN, .popMPLS: 1
        case .pushMPLS: 2
        case .pushVLAN: 3
        case .decrementTTL, .decrementMPLSTTL: 4
        case .setField, .setVLANVID, .setVLANPCP, .setEthSource, .setEthDestination, .setIPv4Source,
             .setIPv4Destination, .setIPDSCP, .setIPECN, .setIPTTL, .setTransportSource,
             .setTransportDestination, .setMPLSLabel, .setMPLSTC, .setMPLSTTL, .setTunnel, .move: 5
        case .setQueue: 6
        case .group: 7
        case .output: 8
        default: nil
        }
    }

    /// Merges `written` into `set` (`write_actions`): one action per kind,
    /// one set per field.
    static func write(_ written: [OFAction], into set: inout [OFAction]) {
        for a in written {
            set.removeAll { old in sameSlot(old, a) }
            set.append(a)
        }
    }

    static func sameSlot(_ a: OFAction, _ b: OFAction) -> Bool {
        switch (a, b) {
        case (.setField(let f, _, _, _), .setField(let g, _, _, _)): return f == g
        case (.setField, _), (_, .setField): return false
        default:
            guard let ra = rank(a), let rb = rank(b), ra == rb else { return false }
            return discriminator(a) == discriminator(b)
        }
    }

    private static func discriminator(_ a: OFAction) -> String {
        let m = Mirror(reflecting: a)
        return m.children.first?.label ?? String(describing: a)
    }

    /// The actions the set runs, in OpenFlow's order.
    static func executionList(_ set: [OFAction]) -> [OFAction] {
        guard !set.isEmpty else { return [] }
        let hasGroup = set.contains { if case .group = $0 { true } else { false } }
        var list: [OFAction] = []
        for r in 1...8 {
            for a in set where rank(a) == r {
                if r == 8 && hasGroup { continue }
                list.append(a)
            }
        }
        return list
    }
}

extension FlowKey {
    /// IPv4 or IPv6.
    var isIPAny: Bool { self[.ethType] == 0x0800 || self[.ethType] == 0x86dd }
    var isICMPAny: Bool {
        (self[.ethType] == 0x0800 && self[.networkProtocol] == 1) || (self[.ethType] == 0x86dd && self[.networkProtocol] == 58)
    }
}

extension EtherType {
    var isMPLSType: Bool { rawValue == 0x8847 || rawValue == 0x8848 }
}

func isVLANTPID(_ t: UInt64) -> Bool { t == 0x8100 || t == 0x88a8 }
