import DPIF
import Datapath
import Flow
import Synchronization

// Packet-ins and the other asynchronous messages of a bridge (OVS's
// `ofproto_async_msg` and the connection manager's fan-out): translation
// freezes the state of a `controller` action, the slow path turns the
// datapath's ACTION upcall back into a packet-in, and the OpenFlow side,
// which registers on the bridge's `asyncMessages`, encodes it for each
// connection.

/// Why a packet goes to a controller, in Open vSwitch's internal numbering
/// (`enum ofp_packet_in_reason`): the two miss kinds are encoded as
/// `no_match` (or `action` before OpenFlow 1.3) on the wire.
public struct PacketInReason: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let noMatch = PacketInReason(rawValue: 0)
    public static let action = PacketInReason(rawValue: 1)
    public static let invalidTTL = PacketInReason(rawValue: 2)
    public static let actionSet = PacketInReason(rawValue: 3)
    public static let group = PacketInReason(rawValue: 4)
    public static let packetOut = PacketInReason(rawValue: 5)
    /// A `controller` action of a table-miss rule (priority 0, match all).
    public static let explicitMiss = PacketInReason(rawValue: 6)
    /// The table-miss behaviour sent it (no rule matched).
    public static let implicitMiss = PacketInReason(rawValue: 7)

    /// True for the reasons a table miss causes.
    public var isMiss: Bool { self == .noMatch || self == .explicitMiss || self == .implicitMiss }

    /// The reason as OpenFlow `version` carries it (`encode_packet_in_reason`).
    public func wire(version: UInt8) -> UInt8 {
        switch self {
        case .actionSet, .group, .packetOut: return version < 5 ? 1 : rawValue
        case .explicitMiss: return version < 4 ? 1 : 0
        case .implicitMiss: return 0
        default: return rawValue
        }
    }
}

/// A packet for the controllers (OVS's `ofputil_packet_in`).
public struct PacketIn: Sendable {
    /// The whole frame, as the pipeline had it at the `controller` action.
    public var packet: [UInt8]
    public var reason: PacketInReason
    public var tableID: UInt8
    /// The cookie of the rule whose action sent it (`UInt64.max` if none).
    public var cookie: UInt64
    /// The action's `max_len` (Open vSwitch keeps no buffers and sends the
    /// whole frame whatever it says).
    public var maxLength: UInt16
    /// Only connections with this controller id receive it.
    public var controllerID: UInt16
    /// The pipeline metadata at the action (`flow_get_metadata`): in_port,
    /// and whichever of tunnel, metadata, registers, pkt_mark and
    /// conntrack fields are set.
    public var metadata: Match
    /// The `controller` action's `userdata` (NXT_PACKET_IN2 only).
    public var userdata: [UInt8] = []

    public init(packet: [UInt8], reason: PacketInReason, tableID: UInt8, cookie: UInt64, maxLength: UInt16 = 0xffff,
                controllerID: UInt16 = 0, metadata: Match) {
        self.packet = packet
        self.reason = reason
        self.tableID = tableID
        self.cookie = cookie
        self.maxLength = maxLength
        self.controllerID = controllerID
        self.metadata = metadata
    }

    /// The in_port of `metadata`.
    public var inPort: OFPort { metadata.key.openFlowInPort }

    /// The fields `flow_get_metadata` copies when they are not zero.
    static let metadataFields: [OFField] = {
        let names = ["tun_id", "tun_src", "tun_dst", "tun_ipv6_src", "tun_ipv6_dst", "metadata"]
            + (0..<16).map { "reg\($0)" } + ["pkt_mark", "ct_state", "ct_zone", "ct_mark", "ct_label"]
        return names.compactMap { OFField.named($0) }
    }()

    /// The metadata match of `flow` (`flow_get_metadata`).
    public static func metadata(of flow: FlowKey) -> Match {
        var key = FlowKey(), mask = FlowKey()
        func set(_ f: OFField, _ v: UInt128) {
            f.write(v, mask: f.allOnes, into: &key)
            f.write(f.allOnes, mask: f.allOnes, into: &mask)
        }
        for f in metadataFields {
            let v = f.value(in: flow)
            if v != 0 {
                set(f, v)
                if f.name == "ct_state", let t = OFField.named("dl_type") { set(t, t.value(in: flow)) }
            }
        }
        if let p = OFField.named("in_port") { set(p, p.value(in: flow)) }
        return Match(key: key, mask: FlowMask(words: mask.words))
    }
}

/// A port's change, for OFPT_PORT_STATUS (`OFPPR_*`).
public enum PortStatusReason: UInt8, Sendable {
    case add = 0, delete = 1, modify = 2
}

/// A rule's removal, for OFPT_FLOW_REMOVED (`OFPRR_*`).
public struct FlowRemoved: Sendable {
    public var rule: OpenFlowRule<[OFAction]>
    public var reason: OpenFlowRemovalReason
    public init(rule: OpenFlowRule<[OFAction]>, reason: OpenFlowRemovalReason) {
        self.rule = rule
        self.reason = reason
    }
}

/// One asynchronous message of a bridge.
public enum BridgeAsyncEvent: Sendable {
    case packetIn(PacketIn)
    case portStatus(PortStatusReason, BridgePort)
    /// OFPT_PORT_MOD changed a port's description (PortConfig.swift).
    case portModified(PortModification)
    case flowRemoved(FlowRemoved)
}

/// Where a bridge's asynchronous messages go: each OpenFlow connection
/// that wants them registers a listener; the slow path and the bridge
/// layer post events. Listeners run on the poster's thread and must not
/// block (they queue the message for their connection).
public final class BridgeAsyncMessages: @unchecked Sendable {
    private let listeners = Mutex<(next: UInt64, all: [UInt64: @Sendable (BridgeAsyncEvent) -> Void])>((1, [:]))
    /// Packet-ins posted while no listener was registered.
    private let unheard = Atomic<UInt64>(0)
    /// The slow path that runs packet-outs (PacketOut.swift).
    let executor = Mutex<SlowPath?>(nil)
    private let failOpen = Atomic<Bool>(false)

    /// Fail-open mode (OVS's fail-open.c): the bridge's controllers have
    /// been unreachable for a while in `fail_mode=standalone`, and every
    /// packet takes NORMAL, as the hidden priority-0xf0f0f0 rule of Open
    /// vSwitch makes it. Changing it makes the slow path re-translate.
    public var isFailOpen: Bool {
        get { failOpen.load(ordering: .relaxed) }
        set {
            if failOpen.exchange(newValue, ordering: .relaxed) != newValue {
                bridgeConfigGeneration.add(1, ordering: .releasing)
            }
        }
    }

    public init() {}

    /// Adds a listener; returns the token that removes it.
    public func register(_ listener: @escaping @Sendable (BridgeAsyncEvent) -> Void) -> UInt64 {
        listeners.withLock { l in
            defer { l.next += 1 }
            l.all[l.next] = listener
            return l.next
        }
    }

    /// Removes the listener `token` named.
    public func unregister(_ token: UInt64) {
        _ = listeners.withLock { $0.all.removeValue(forKey: token) }
    }

    /// True while somebody listens.
    public var hasListeners: Bool { listeners.withLock { !$0.all.isEmpty } }

    /// Hands `event` to every listener.
    public func post(_ event: BridgeAsyncEvent) {
        let all = listeners.withLock { Array($0.all.values) }
        if all.isEmpty, case .packetIn = event { unheard.add(1, ordering: .relaxed) }
        for l in all { l(event) }
    }
}

/// What translation remembers of a `controller` action for the packet-in
/// it causes (OVS's `frozen_state` behind a recirculation id).
struct FrozenPacketIn {
    var bridge: OFProtoBridge
    var tableID: UInt8
    var flow: FlowKey
    var reason: PacketInReason
    /// The `controller` action's `userdata`.
    var userdata: [UInt8] = []
}

/// The frozen states of `controller` actions, by the id their
/// `user_action_cookie` carries. Ids are process-wide, as OVS's
/// recirculation ids; the store keeps the most recent `capacity` states.
enum PacketInFreezer {
    static let capacity = 4096
    private static let state = Mutex<(next: UInt32, slots: [(id: UInt32, state: FrozenPacketIn)?])>(
        (1, Array(repeating: nil, count: 4096)))

    /// Stores `s`; returns its id (never 0).
    static func freeze(_ s: FrozenPacketIn) -> UInt32 {
        state.withLock { st in
            let id = st.next
            st.next = st.next == .max ? 1 : st.next + 1
            st.slots[Int(id % UInt32(capacity))] = (id, s)
            return id
        }
    }

    /// Takes the state of `id` (nil if it was overwritten or never was).
    static func thaw(_ id: UInt32) -> FrozenPacketIn? {
        state.withLock { st in
            let i = Int(id % UInt32(capacity))
            guard let slot = st.slots[i], slot.id == id else { return nil }
            st.slots[i] = nil
            return slot.state
        }
    }
}

/// The fields of a `user_action_cookie` of type controller (48 bytes,
/// host order), as `XlateContext.controllerAction` writes them.
struct ControllerCookie {
    var dontSend: Bool
    var reason: PacketInReason
    var recirculationID: UInt32
    var ruleCookie: UInt64
    var controllerID: UInt16
    var maxLength: UInt16

    /// Reads `bytes`; nil if they are not a controller cookie.
    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 40, bytes[0] == 5, bytes[1] == 0 else { return nil }
        func le16(_ i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }
        dontSend = bytes[20] != 0
        reason = PacketInReason(rawValue: bytes[22])
        recirculationID = (0..<4).reduce(0) { $0 | UInt32(bytes[24 + $1]) << (8 * UInt32($1)) }
        ruleCookie = (0..<8).reduce(0) { $0 << 8 | UInt64(bytes[28 + $1]) }
        controllerID = le16(36)
        maxLength = le16(38)
    }
}

extension XlateContext {
    /// The id a `controller` action's cookie carries: for a real packet, a
    /// frozen state for the packet-in; in a trace, a counter.
    mutating func packetInID(reason: UInt8, userdata: [UInt8] = []) -> (id: UInt32, reason: UInt8, cookie: UInt64) {
        var why = PacketInReason(rawValue: reason)
        // A packet-out's packet-ins have their own reason, and no cookie
        // until a rule runs.
        let cookie = inPacketOut && rules.isEmpty ? UInt64.max : ruleCookie
        if inPacketOut && why == .action { why = .packetOut }
        // A `controller` action in a table-miss rule is an explicit miss.
        if why == .action, let r = rules.last, r.cookie == ruleCookie, r.openFlowPriority == 0,
           r.match.mask.isCatchAll {
            why = .explicitMiss
        }
        guard mayLearn else {
            controllerRecirculation += 1
            return (controllerRecirculation, why.rawValue, cookie)
        }
        let id = PacketInFreezer.freeze(FrozenPacketIn(bridge: bridge, tableID: tableID, flow: flow, reason: why,
                                                       userdata: userdata))
        return (id, why.rawValue, cookie)
    }
}

extension SlowPath {
    /// An ACTION upcall: a `controller` action's packet goes to the
    /// bridge's OpenFlow connections as a packet-in (OVS's
    /// `process_upcall`, CONTROLLER_UPCALL). Other cookies are ignored.
    func handleActionUpcall(_ u: Upcall, ports: [UInt32: (OFProtoBridge, OFPort)]) {
        guard let bytes = u.userdata, let cookie = ControllerCookie(bytes), !cookie.dontSend else { return }
        let frozen = PacketInFreezer.thaw(cookie.recirculationID)
        let bridge: OFProtoBridge
        var flow: FlowKey
        var tableID: UInt8 = 0
        var userdata: [UInt8] = []
        if let f = frozen {
            userdata = f.userdata
            bridge = f.bridge
            flow = f.flow
            tableID = f.tableID
        } else if let (b, ofport) = ports[u.inPort.rawValue] {
            bridge = b
            flow = u.key
            flow.openFlowInPort = ofport
        } else {
            return
        }
        var pin = PacketIn(packet: u.packet, reason: cookie.reason, tableID: tableID, cookie: cookie.ruleCookie,
                           maxLength: cookie.maxLength, controllerID: cookie.controllerID,
                           metadata: PacketIn.metadata(of: flow))
        pin.userdata = userdata
        bridge.asyncMessages.post(.packetIn(pin))
    }
}

extension OFProtoBridge {
    /// Posts OFPT_PORT_STATUS for the ports that came, went or changed
    /// between `old` and `new`.
    func postPortChanges(from old: [BridgePort], to new: [BridgePort]) {
        guard asyncMessages.hasListeners else { return }
        let before = Dictionary(old.map { ($0.ofport.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.map { ($0.ofport.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        for p in old where after[p.ofport.rawValue] == nil { asyncMessages.post(.portStatus(.delete, p)) }
        for p in new {
            if let was = before[p.ofport.rawValue] {
                if was.name != p.name || was.mac != p.mac || was.isLive != p.isLive { asyncMessages.post(.portStatus(.modify, p)) }
            } else {
                asyncMessages.post(.portStatus(.add, p))
            }
        }
    }

    /// Posts OFPT_FLOW_REMOVED for the rules of `removed` that asked for it
    /// (`send_flow_rem`).
    public func postRemoved(_ removed: [OpenFlowRule<[OFAction]>], reason: OpenFlowRemovalReason) {
        for r in removed where r.flags.contains(OpenFlowRuleFlags(rawValue: 1)) {
            asyncMessages.post(.flowRemoved(FlowRemoved(rule: r, reason: reason)))
        }
    }

    /// Removes the rules whose idle or hard timeout passed (OVS's
    /// `ofproto_rule_expire`, once a second), telling the controllers;
    /// returns how many went.
    @discardableResult
    public func expireRules() -> Int {
        let expired = pipeline.transaction { tx in tx.expire(now: OFProtoBridge.now()) }
        for (rule, reason) in expired where rule.flags.contains(OpenFlowRuleFlags(rawValue: 1)) {
            asyncMessages.post(.flowRemoved(FlowRemoved(rule: rule, reason: reason)))
        }
        return expired.count
    }
}

extension XlateContext {
    /// Translation in fail-open mode: NORMAL, whatever the tables hold.
    mutating func runFailOpen() {
        report(.table, " 0. priority 15790320 (fail-open)")
        doActions([.output(port: .normal, maxLength: 0)], isLast: true)
        if error == nil { wcFinish() }
    }
}
