import Flow

/// What a table does with a packet that matches no rule (OVS's
/// `ofputil_table_miss`, set by OpenFlow 1.1's table-mod).
public enum OpenFlowTableMiss: Sendable, Equatable {
    /// The OpenFlow version's default: OpenFlow 1.0-1.2 send to the
    /// controller, 1.3+ drop. OVS decides per packet; so does the caller.
    case `default`
    /// Send to the controller.
    case controller
    /// Continue with the next table.
    case `continue`
    /// Drop.
    case drop
}

/// Why a flow-mod failed (the OpenFlow `OFPFMFC_*` codes that tables raise).
public enum OpenFlowTableError: Error, Equatable, Sendable {
    /// `check_overlap` and an overlapping rule of the same priority exists.
    case overlap
    /// The table's flow limit is reached.
    case tableFull
    /// The table number is 255 (`OFPTT_ALL`) where a single table is needed.
    case badTableID
}

/// The changes a transaction made, to undo or finish them (rules added, and
/// rules made invisible from the transaction's version).
struct OpenFlowJournal {
    var added: [ClassifierRule] = []
    var hidden: [ClassifierRule] = []
}

/// One OpenFlow table (OVS's `struct oftable`): its rules in a `Classifier`,
/// its configuration, and the flow-mod operations on it.
///
/// Not thread-safe by itself: use it through `OpenFlowPipeline`, whose
/// transactions call the mutating operations under its write lock with the
/// version being prepared, and whose readers look up under its read lock.
public final class OpenFlowTable<Actions: Sendable>: @unchecked Sendable {
    public let id: OpenFlowTableID
    let classifier: Classifier
    /// The table's name (`Flow_Table` `name`), if set.
    public internal(set) var name: String?
    public internal(set) var missBehavior: OpenFlowTableMiss = .default
    /// The most rules the table holds (`flow_limit`); adds beyond fail with
    /// `tableFull` (eviction is not implemented).
    public internal(set) var maxFlows = Int.max
    /// Rules not made invisible (in the newest version, prepared or published).
    public private(set) var ruleCount = 0
    /// Rules with a timeout, for `expire`.
    private var timed: [ObjectIdentifier: OpenFlowRule<Actions>] = [:]
    /// Rules in the classifier (visible or not) whose actions are
    /// `conjunction`s: while there are any, lookups handle conjunctive
    /// matches (see `ClassifierConjunction.swift`).
    private(set) var conjunctiveRules = 0

    init(id: OpenFlowTableID, prefixFields: [ClassifierPrefixField]) {
        self.id = id
        classifier = Classifier(prefixFields: prefixFields)
    }

    /// The fields with prefix tries (`Flow_Table` `prefixes`).
    public var prefixFields: [ClassifierPrefixField] { classifier.prefixFields }

    @inline(__always)
    static func cast(_ rule: ClassifierRule) -> OpenFlowRule<Actions> {
        unsafeDowncast(rule, to: OpenFlowRule<Actions>.self)
    }

    // MARK: Lookup

    /// The highest-priority rule visible at `version` that `key` matches;
    /// the bits it depended on are set in `wildcards`.
    @inline(__always)
    public func lookup(_ key: borrowing FlowKey, version: ClassifierVersion,
                       wildcards: inout FlowMask) -> OpenFlowRule<Actions>? {
        if conjunctiveRules > 0 {
            return classifier.lookupConjunctive(copy key, version: version, wildcards: &wildcards) { r in
                Self.conjunctionClauses(of: Self.cast(r))
            }.map(Self.cast)
        }
        return classifier.lookup(key, version: version, wildcards: &wildcards).map(Self.cast)
    }

    /// The rule with exactly `match` and `priority` visible at `version`.
    public func find(_ match: Match, priority: UInt16, version: ClassifierVersion) -> OpenFlowRule<Actions>? {
        classifier.find(match, priority: Int(priority), version: version).map(Self.cast)
    }

    /// The rules visible at `version` in classifier order (see `Classifier.forEach`).
    public func rules(visibleIn version: ClassifierVersion) -> [OpenFlowRule<Actions>] {
        classifier.rules(visibleIn: version).map(Self.cast)
    }

    /// Every rule of `version` selected by `criteria`: non-strict, the rules
    /// at least as specific as `criteria.match`; strict, the rule with exactly
    /// that match and priority. Then filtered by cookie and `filter`.
    func select(_ criteria: OpenFlowRuleCriteria<Actions>, version: ClassifierVersion) -> [OpenFlowRule<Actions>] {
        var selected: [OpenFlowRule<Actions>] = []
        func consider(_ rule: OpenFlowRule<Actions>) {
            guard (rule.cookie ^ criteria.cookie) & criteria.cookieMask == 0 else { return }
            if let filter = criteria.filter, !filter(rule) { return }
            selected.append(rule)
        }
        if let priority = criteria.strictPriority {
            if let rule = find(criteria.match, priority: priority, version: version) { consider(rule) }
        } else {
            classifier.forEach(visibleIn: version) { r in
                if r.isLooseMatch(for: criteria.match) { consider(Self.cast(r)) }
            }
        }
        return selected
    }

    // MARK: Changes (under the pipeline's write lock)

    func insert(_ rule: OpenFlowRule<Actions>, version: ClassifierVersion, journal: inout OpenFlowJournal) {
        classifier.insert(rule, version: version)
        journal.added.append(rule)
        ruleCount += 1
        if Self.conjunctionClauses(of: rule) != nil { conjunctiveRules += 1 }
        if rule.idleTimeout > 0 || rule.hardTimeout > 0 { timed[ObjectIdentifier(rule)] = rule }
    }

    func hide(_ rule: OpenFlowRule<Actions>, version: ClassifierVersion, journal: inout OpenFlowJournal) {
        classifier.makeInvisible(rule, from: version)
        journal.hidden.append(rule)
        ruleCount -= 1
        timed[ObjectIdentifier(rule)] = nil
    }

    /// Undoes `insert`.
    func revertInsert(_ rule: ClassifierRule) {
        classifier.remove(rule)
        if Self.conjunctionClauses(of: Self.cast(rule)) != nil { conjunctiveRules -= 1 }
        ruleCount -= 1
        timed[ObjectIdentifier(rule)] = nil
    }

    /// Undoes `hide`.
    func revertHide(_ rule: ClassifierRule) {
        classifier.restoreVisibility(rule)
        ruleCount += 1
        let r = Self.cast(rule)
        r.forward(to: nil, counts: false)
        if r.idleTimeout > 0 || r.hardTimeout > 0 { timed[ObjectIdentifier(r)] = r }
    }

    /// Removes a hidden rule once no lookup can see it.
    func collect(_ rule: ClassifierRule) {
        classifier.remove(rule)
        if Self.conjunctionClauses(of: Self.cast(rule)) != nil { conjunctiveRules -= 1 }
    }

    /// OpenFlow's add (OVS's `add_flow_start`): a rule with the same match
    /// and priority is replaced (its counters carry over unless
    /// `resetCounts`); otherwise `checkOverlap` and the flow limit apply.
    func add(_ spec: OpenFlowRuleSpec<Actions>, version: ClassifierVersion, now: Duration,
             journal: inout OpenFlowJournal) throws(OpenFlowTableError) -> OpenFlowRule<Actions> {
        let old = find(spec.match, priority: spec.priority, version: version)
        if old == nil {
            let probe = ClassifierRule(match: spec.match, priority: Int(spec.priority))
            if spec.flags.contains(.checkOverlap) && classifier.hasOverlap(with: probe, version: version) {
                throw .overlap
            }
            if ruleCount >= maxFlows { throw .tableFull }
        }
        var newSpec = spec
        if let old, spec.cookie == .max { newSpec.cookie = old.cookie }
        let keep = old != nil && !spec.flags.contains(.resetCounts)
        let rule = OpenFlowRule(table: id, spec: newSpec, created: now, modified: now,
                                packets: keep ? old!.packetCount : 0, bytes: keep ? old!.byteCount : 0,
                                used: keep ? old!.used : nil)
        if let old {
            hide(old, version: version, journal: &journal)
            old.forward(to: rule, counts: keep)
        }
        insert(rule, version: version, journal: &journal)
        return rule
    }

    /// Replaces `old` by a rule with `spec` (the same match and priority),
    /// keeping its creation time, counters and (unless given) modification
    /// time: timeouts reduced by `fin_timeout`, a learned flow refreshed.
    func replace(_ old: OpenFlowRule<Actions>, with spec: OpenFlowRuleSpec<Actions>, modified: Duration?,
                 version: ClassifierVersion, journal: inout OpenFlowJournal) -> OpenFlowRule<Actions> {
        let rule = OpenFlowRule(table: id, spec: spec, created: old.created, modified: modified ?? old.modified,
                                packets: old.packetCount, bytes: old.byteCount, used: old.used)
        hide(old, version: version, journal: &journal)
        old.forward(to: rule, counts: true)
        insert(rule, version: version, journal: &journal)
        return rule
    }

    /// OpenFlow's modify (OVS's `modify_flows_start__`): every selected rule
    /// is replaced by one with `actions` (and `newCookie` if given), keeping
    /// its timeouts, flags, importance, creation time and (unless
    /// `resetCounts`) counters. If none is selected and the criteria do not
    /// filter on the cookie, `addIfNone` is added instead.
    func modify(_ criteria: OpenFlowRuleCriteria<Actions>, actions: Actions, newCookie: UInt64?,
                resetCounts: Bool, addIfNone: OpenFlowRuleSpec<Actions>?, version: ClassifierVersion,
                now: Duration, journal: inout OpenFlowJournal) throws(OpenFlowTableError) -> [OpenFlowRule<Actions>] {
        let selected = select(criteria, version: version)
        if selected.isEmpty {
            guard let spec = addIfNone, criteria.cookieMask == 0, newCookie != .max else { return [] }
            return [try add(spec, version: version, now: now, journal: &journal)]
        }
        var result: [OpenFlowRule<Actions>] = []
        for old in selected {
            var spec = old.spec
            spec.actions = actions
            if let newCookie, newCookie != .max { spec.cookie = newCookie }
            let rule = OpenFlowRule(table: id, spec: spec, created: old.created, modified: now,
                                    packets: resetCounts ? 0 : old.packetCount,
                                    bytes: resetCounts ? 0 : old.byteCount,
                                    used: resetCounts ? nil : old.used)
            hide(old, version: version, journal: &journal)
            old.forward(to: rule, counts: !resetCounts)
            insert(rule, version: version, journal: &journal)
            result.append(rule)
        }
        return result
    }

    /// OpenFlow's delete: makes every selected rule invisible from `version`.
    func delete(_ criteria: OpenFlowRuleCriteria<Actions>, version: ClassifierVersion,
                journal: inout OpenFlowJournal) -> [OpenFlowRule<Actions>] {
        let selected = select(criteria, version: version)
        for rule in selected { hide(rule, version: version, journal: &journal) }
        return selected
    }

    /// Makes every rule whose idle or hard timeout has passed at `now`
    /// invisible from `version`; returns them with the reason.
    func expire(now: Duration, version: ClassifierVersion,
                journal: inout OpenFlowJournal) -> [(rule: OpenFlowRule<Actions>, reason: OpenFlowRemovalReason)] {
        var expired: [(rule: OpenFlowRule<Actions>, reason: OpenFlowRemovalReason)] = []
        for rule in timed.values where rule.isVisible(in: version) {
            if let reason = rule.expiry(at: now) { expired.append((rule, reason)) }
        }
        // In insertion order, so the order does not depend on hashing.
        expired.sort { $0.rule.insertionNumber < $1.rule.insertionNumber }
        for (rule, _) in expired { hide(rule, version: version, journal: &journal) }
        return expired
    }
}

/// Which rules a modify or delete flow-mod selects (OVS's `rule_criteria`).
public struct OpenFlowRuleCriteria<Actions: Sendable> {
    public var match: Match
    /// Strict: the priority a rule must have (with exactly `match`); nil: non-strict.
    public var strictPriority: UInt16?
    public var cookie: UInt64
    public var cookieMask: UInt64
    /// Further selection, e.g. `out_port`/`out_group` (a rule whose actions
    /// output to the port), which needs the action model.
    public var filter: ((OpenFlowRule<Actions>) -> Bool)?

    public init(match: Match, strictPriority: UInt16? = nil, cookie: UInt64 = 0, cookieMask: UInt64 = 0,
                filter: ((OpenFlowRule<Actions>) -> Bool)? = nil) {
        self.match = match
        self.strictPriority = strictPriority
        self.cookie = cookie
        self.cookieMask = cookieMask
        self.filter = filter
    }

    /// Every rule (a non-strict criteria with the catch-all match).
    public static var all: Self { Self(match: .catchAll) }
}
