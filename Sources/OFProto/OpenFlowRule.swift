import Flow
import Synchronization

/// An OpenFlow table number, 0...254 (255, `OFPTT_ALL`, means every table
/// in requests).
public struct OpenFlowTableID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt8) { self.rawValue = rawValue }
    /// `OFPTT_ALL`: every table (requests only).
    public static let all = OpenFlowTableID(rawValue: 255)
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// Flow-mod flags kept with a rule (OpenFlow 1.3 `OFPFF_*` bit values).
public struct OpenFlowRuleFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// Send a flow-removed message when the rule goes.
    public static let sendFlowRemoved = OpenFlowRuleFlags(rawValue: 1 << 0)
    /// Refuse to add the rule if it overlaps one of the same priority.
    public static let checkOverlap = OpenFlowRuleFlags(rawValue: 1 << 1)
    /// Modify: start the counters from zero.
    public static let resetCounts = OpenFlowRuleFlags(rawValue: 1 << 2)
    /// Do not count packets.
    public static let noPacketCounts = OpenFlowRuleFlags(rawValue: 1 << 3)
    /// Do not count bytes.
    public static let noByteCounts = OpenFlowRuleFlags(rawValue: 1 << 4)
}

/// Why a rule left its table (OpenFlow's `ofp_flow_removed_reason`).
public enum OpenFlowRemovalReason: UInt8, Sendable {
    case idleTimeout = 0
    case hardTimeout = 1
    case delete = 2
    case groupDelete = 3
    case meterDelete = 4
    case eviction = 5
}

/// What a flow-mod says about a new rule (OVS's `ofputil_flow_mod` minus
/// the command): everything but the counters.
public struct OpenFlowRuleSpec<Actions: Sendable>: Sendable {
    public var match: Match
    public var priority: UInt16
    public var cookie: UInt64
    /// Seconds without a packet before the rule expires; 0: never.
    public var idleTimeout: UInt16
    /// Seconds after the rule was added (or last modified) before it
    /// expires; 0: never.
    public var hardTimeout: UInt16
    public var flags: OpenFlowRuleFlags
    /// Eviction importance (OpenFlow 1.4).
    public var importance: UInt16
    public var actions: Actions

    public init(match: Match, priority: UInt16 = 0x8000, cookie: UInt64 = 0, idleTimeout: UInt16 = 0,
                hardTimeout: UInt16 = 0, flags: OpenFlowRuleFlags = [], importance: UInt16 = 0,
                actions: Actions) {
        self.match = match
        self.priority = priority
        self.cookie = cookie
        self.idleTimeout = idleTimeout
        self.hardTimeout = hardTimeout
        self.flags = flags
        self.importance = importance
        self.actions = actions
    }
}

/// A rule of an OpenFlow table (OVS's `struct rule`).
///
/// Immutable but for its counters and last-use time: a modify flow-mod
/// replaces the rule with a new one (visible from the next version), so a
/// handler translating at the old version keeps a consistent rule.
/// `Actions` is whatever the action model is (`[OFAction]`); the table does
/// not look inside it.
///
/// Times are `Duration`s since the origin of the clock the owner passes
/// to every operation (`now:`), for example a `ContinuousClock` origin.
public final class OpenFlowRule<Actions: Sendable>: ClassifierRule, @unchecked Sendable {
    // The 8-byte fields first, then the small ones: no padding between.
    public let cookie: UInt64
    public let actions: Actions
    /// When the rule was added (kept across modifications), in nanoseconds.
    private let createdNanoseconds: Int64
    /// When the rule was added or last modified (the hard timeout's
    /// origin), in nanoseconds.
    private let modifiedNanoseconds: Int64

    private let packets: Atomic<UInt64>
    private let bytes: Atomic<UInt64>
    private let usedNanoseconds: Atomic<Int64>
    public let table: OpenFlowTableID
    /// `flags` in one byte, so that with the other small fields the rule
    /// stays within a 192-byte malloc chunk: bits 0-5 as they are, 14-15
    /// (kept by the OpenFlow layer) in 6-7; no other bit is used.
    private let storedFlags: UInt8
    public let idleTimeout: UInt16
    public let hardTimeout: UInt16
    public let importance: UInt16

    public var flags: OpenFlowRuleFlags {
        OpenFlowRuleFlags(rawValue: UInt16(storedFlags & 0x3f) | UInt16(storedFlags & 0xc0) << 8)
    }

    init(table: OpenFlowTableID, spec: OpenFlowRuleSpec<Actions>, created: Duration, modified: Duration,
         packets: UInt64 = 0, bytes: UInt64 = 0, used: Duration? = nil) {
        self.table = table
        cookie = spec.cookie
        idleTimeout = spec.idleTimeout
        hardTimeout = spec.hardTimeout
        let kept = spec.flags.subtracting([.checkOverlap, .resetCounts]).rawValue
        assert(kept & 0x3fc0 == 0, "a rule flag has no room in storedFlags")
        storedFlags = UInt8(kept & 0x3f) | UInt8(truncatingIfNeeded: kept >> 8) & 0xc0
        importance = spec.importance
        actions = spec.actions
        createdNanoseconds = created.totalNanoseconds
        modifiedNanoseconds = modified.totalNanoseconds
        self.packets = Atomic(packets)
        self.bytes = Atomic(bytes)
        usedNanoseconds = Atomic((used ?? modified).totalNanoseconds)
        super.init(match: spec.match, priority: Int(spec.priority))
    }

    /// When the rule was added (kept across modifications).
    public var created: Duration { .nanoseconds(createdNanoseconds) }
    /// When the rule was added or last modified (the hard timeout's origin).
    public var modified: Duration { .nanoseconds(modifiedNanoseconds) }

    /// The OpenFlow priority.
    public var openFlowPriority: UInt16 { UInt16(truncatingIfNeeded: priority) }

    /// The spec that would recreate this rule.
    public var spec: OpenFlowRuleSpec<Actions> {
        OpenFlowRuleSpec(match: match, priority: openFlowPriority, cookie: cookie, idleTimeout: idleTimeout,
                         hardTimeout: hardTimeout, flags: flags, importance: importance, actions: actions)
    }

    /// Packets counted (0 with `.noPacketCounts`).
    public var packetCount: UInt64 { packets.load(ordering: .relaxed) }
    /// Bytes counted (0 with `.noByteCounts`).
    public var byteCount: UInt64 { bytes.load(ordering: .relaxed) }
    /// When the rule last matched a packet (its creation if never).
    public var used: Duration { .nanoseconds(usedNanoseconds.load(ordering: .relaxed)) }

    /// Adds statistics pushed by the datapath (revalidators) or a packet
    /// handled in the slow path. Safe from any thread.
    public func account(packets p: UInt64, bytes b: UInt64, usedAt time: Duration) {
        if hasSuccessor, let next = ruleSuccessors.withLock({ $0[ObjectIdentifier(self)] }) {
            let rule = unsafeDowncast(next.rule, to: OpenFlowRule<Actions>.self)
            rule.account(packets: next.forwardsCounts ? p : 0, bytes: next.forwardsCounts ? b : 0, usedAt: time)
            return
        }
        if !flags.contains(.noPacketCounts) { packets.wrappingAdd(p, ordering: .relaxed) }
        if !flags.contains(.noByteCounts) { bytes.wrappingAdd(b, ordering: .relaxed) }
        usedNanoseconds.max(time.totalNanoseconds, ordering: .relaxed)
    }

    /// Sends later statistics to `rule` (nil: keep them, a reverted replacement).
    /// Called once the rule is hidden (`removedIn` set), or with `nil` when
    /// a hide is reverted.
    func forward(to rule: OpenFlowRule<Actions>?, counts: Bool) {
        ruleSuccessors.withLock { $0[ObjectIdentifier(self)] = rule.map { ($0, counts) } }
    }

    /// Only a removed rule can have a successor in `ruleSuccessors`; asking
    /// the version instead of keeping a flag saves the rule a byte.
    private var hasSuccessor: Bool { removedIn != .notRemoved }

    deinit {
        if hasSuccessor {
            _ = ruleSuccessors.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) }
        }
    }

    /// Why the rule expires at `now`, if it does (OVS's `rule_expire`:
    /// hard timeout from `modified`, idle timeout from `used`).
    public func expiry(at now: Duration) -> OpenFlowRemovalReason? {
        if hardTimeout > 0 && now > modified + .seconds(Int(hardTimeout)) { return .hardTimeout }
        if idleTimeout > 0 && now > used + .seconds(Int(idleTimeout)) { return .idleTimeout }
        return nil
    }
}

/// For each rule replaced by another (an add or modify of the same rule),
/// its replacement and whether counts go to it: statistics for the old rule
/// that arrive later (revalidators push them after the fact) are credited
/// to the new one, as OVS's `rule_dpif->new_rule`. Few rules are replaced
/// at any moment, so one table serves them all rather than a lock in every
/// rule; an entry goes with its rule.
private let ruleSuccessors = Mutex<[ObjectIdentifier: (rule: ClassifierRule, forwardsCounts: Bool)]>([:])

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : ns &+ attoseconds / 1_000_000_000
    }
}

/// Rules with equal action lists share one copy of the list: a table of
/// 100,000 flows usually has a handful of distinct action lists, and each
/// `[OFAction]` is two allocations (the array and the boxed action).
///
/// The last few distinct lists seen are kept (flow-mods in bulk repeat a
/// few lists), so the cache never holds more than `capacity` lists whatever
/// the tables hold. Whoever makes rules from decoded flow-mods passes their
/// actions through `shared`.
public enum SharedActionLists {
    static let capacity = 64
    /// The most recently used lists, newest last.
    private static let recent = Mutex<[[OFAction]]>([])

    /// `actions`, or an equal list already in use, sharing its storage.
    public static func shared(_ actions: [OFAction]) -> [OFAction] {
        guard !actions.isEmpty else { return actions }
        return recent.withLock { recent in
            if let i = recent.lastIndex(where: { $0 == actions }) { return recent[i] }
            if recent.count >= capacity { recent.removeFirst() }
            recent.append(actions)
            return actions
        }
    }

    /// Forgets the lists kept. (Tests and fuzz targets that check for
    /// leaks at exit: an `OFAction` list's boxes are referenced through
    /// tagged enum payloads, which a leak checker does not recognize as
    /// pointers, so lists still cached at exit look leaked.)
    public static func removeAll() {
        recent.withLock { $0.removeAll() }
    }
}
