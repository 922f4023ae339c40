import Flow

/// An OpenFlow classifier (OVS's `lib/classifier.c`): rules with a match and
/// a priority; a lookup returns the highest-priority rule a flow key matches
/// and reports, in a wildcard mask, the bits of the key the answer depended
/// on, so the megaflow built from it is as wide as is correct.
///
/// **Search.** Tuple space search: one `ClassifierSubtable` per distinct mask,
/// kept sorted by the highest priority they hold. A lookup stops at the first
/// subtable whose maximum priority cannot beat the best rule found so far;
/// skipped subtables un-wildcard nothing. Inside a subtable the lookup is
/// staged (metadata, L2, L3, L4: a miss on the metadata hash un-wildcards
/// only the metadata fields of the mask), and prefix tries on the
/// `prefixFields` (default `nw_dst`, `nw_src`) let a subtable matching, say,
/// `nw_dst=10.1.0.0/16` be skipped for a packet to 192.168.0.1 with only the
/// first few bits of `nw_dst` un-wildcarded.
///
/// **Ties.** Rules with the same match and priority are the same rule: at
/// most one of them is visible in any version (`OpenFlowTable` replaces).
/// Distinct overlapping rules of equal priority are allowed (OpenFlow leaves
/// the winner undefined); here, as in OVS, the winner is deterministic: the
/// rule of the first subtable in search order (highest maximum priority,
/// then the oldest subtable), and within a subtable, the first inserted.
///
/// **Versions.** Rules carry the versions they are visible in; a lookup is at
/// one version. The classifier is not thread-safe by itself:
/// `OpenFlowPipeline` guards it with a readers-writer lock and uses versions
/// so that a batch of changes made in several write sections becomes visible
/// at once.
///
/// Conjunctive matches (`conjunction`) are a second kind of lookup, in
/// `ClassifierConjunction.swift`, used by tables that hold conjunction rules.
public final class Classifier: @unchecked Sendable {
    /// Subtables in search order: maximum priority descending, then age.
    @exclusivity(unchecked) private(set) var subtables: [ClassifierSubtable] = []
    private var byMask: [FlowMask: ClassifierSubtable] = [:]
    private var nextSequence = 0
    private var insertions: UInt64 = 0
    /// One trie per prefix field.
    @exclusivity(unchecked) private(set) var tries: [ClassifierTrie]
    /// Rules in the classifier (visible or not).
    public private(set) var count = 0

    /// A classifier with prefix tries on `prefixFields` (at most 4).
    public init(prefixFields: [ClassifierPrefixField] = ClassifierPrefixField.defaults) {
        tries = prefixFields.prefix(ClassifierTrieContext.capacity).map { ClassifierTrie(field: $0) }
    }

    /// The fields with prefix tries.
    public var prefixFields: [ClassifierPrefixField] { tries.map(\.field) }

    /// Replaces the prefix fields (OVS's `classifier_set_prefix_fields`);
    /// rebuilds the tries from the rules present.
    public func setPrefixFields(_ fields: [ClassifierPrefixField]) {
        tries = fields.prefix(ClassifierTrieContext.capacity).map { ClassifierTrie(field: $0) }
        for t in subtables {
            t.configureTries(tries)
            for rule in t.members { addToTries(rule, t) }
        }
    }

    /// Distinct masks (subtables).
    public var subtableCount: Int { subtables.count }

    // MARK: Changes

    /// Adds `rule`, visible from `version` on. The rule must not be in a
    /// classifier already.
    public func insert(_ rule: ClassifierRule, version: ClassifierVersion) {
        precondition(rule.subtable == nil, "rule already in a classifier")
        rule.addedIn = version
        rule.removedIn = .notRemoved
        insertions &+= 1
        rule.insertionNumber = insertions
        let table: ClassifierSubtable
        if let t = byMask[rule.match.mask] {
            table = t
        } else {
            table = ClassifierSubtable(mask: rule.match.mask, sequence: nextSequence, tries: tries)
            nextSequence += 1
            byMask[rule.match.mask] = table
            subtables.append(table)
        }
        let oldMax = table.maxPriority
        table.insert(rule)
        addToTries(rule, table)
        count += 1
        if table.maxPriority != oldMax || table.count == 1 { reposition(table) }
    }

    /// Makes `rule` invisible from `version` on (it stays in the classifier,
    /// visible to lookups at earlier versions, until `remove`).
    public func makeInvisible(_ rule: ClassifierRule, from version: ClassifierVersion) {
        rule.removedIn = version
    }

    /// Undoes `makeInvisible` (a reverted transaction).
    public func restoreVisibility(_ rule: ClassifierRule) {
        rule.removedIn = .notRemoved
    }

    /// Takes `rule` out of the classifier now, whatever its versions.
    public func remove(_ rule: ClassifierRule) {
        guard let table = rule.subtable else { return }
        let oldMax = table.maxPriority
        removeFromTries(rule, table)
        table.remove(rule)
        count -= 1
        if table.count == 0 {
            byMask[table.mask] = nil
            subtables.removeAll { $0 === table }
        } else if table.maxPriority != oldMax {
            reposition(table)
        }
    }

    private func addToTries(_ rule: ClassifierRule, _ table: ClassifierSubtable) {
        for t in tries.indices where table.triePrefixLengths[t] > 0 {
            tries[t].insert(tries[t].field.value(rule.match.key.words.span), length: table.triePrefixLengths[t])
        }
    }

    private func removeFromTries(_ rule: ClassifierRule, _ table: ClassifierSubtable) {
        for t in tries.indices where table.triePrefixLengths[t] > 0 {
            tries[t].remove(tries[t].field.value(rule.match.key.words.span), length: table.triePrefixLengths[t])
        }
    }

    /// True if `a` is searched before `b`.
    private static func precedes(_ a: ClassifierSubtable, _ b: ClassifierSubtable) -> Bool {
        a.maxPriority != b.maxPriority ? a.maxPriority > b.maxPriority : a.sequence < b.sequence
    }

    /// Moves `table` to its place in search order after its maximum
    /// priority changed (one insertion-sort pass: O(subtables)).
    private func reposition(_ table: ClassifierSubtable) {
        guard var i = subtables.firstIndex(where: { $0 === table }) else { return }
        while i > 0 && Self.precedes(table, subtables[i - 1]) {
            subtables.swapAt(i, i - 1)
            i -= 1
        }
        while i + 1 < subtables.count && Self.precedes(subtables[i + 1], table) {
            subtables.swapAt(i, i + 1)
            i += 1
        }
    }

    // MARK: Lookup

    /// The highest-priority rule visible at `version` that `key` matches.
    ///
    /// Every bit of `key` the answer depends on is set in `wildcards` (bits
    /// already set stay set): any key that agrees with `key` on the bits set
    /// in `wildcards` afterwards gets the same answer.
    public func lookup(_ key: borrowing FlowKey, version: ClassifierVersion,
                       wildcards: inout FlowMask) -> ClassifierRule? {
        var best: ClassifierRule?
        var bestPriority = Int.min
        var context = ClassifierTrieContext()
        for table in subtables {
            if table.maxPriority <= bestPriority { break }
            if let rule = table.lookup(key, version: version, tries: tries, context: &context,
                                       wildcards: &wildcards),
                rule.priority > bestPriority {
                best = rule
                bestPriority = rule.priority
            }
        }
        return best
    }

    /// `lookup(_:version:wildcards:)` when the wildcards are not wanted.
    public func lookup(_ key: borrowing FlowKey, version: ClassifierVersion) -> ClassifierRule? {
        var ignored = FlowMask.catchAll
        return lookup(key, version: version, wildcards: &ignored)
    }

    // MARK: Queries

    /// The rule with exactly `match` and `priority` visible at `version`
    /// (OVS's `classifier_find_match_exactly`).
    public func find(_ match: Match, priority: Int, version: ClassifierVersion) -> ClassifierRule? {
        byMask[match.mask]?.find(match, priority: priority, version: version)
    }

    /// True if a rule visible at `version`, other than `rule`, has `rule`'s
    /// priority and matches some packet `rule` matches (OVS's
    /// `classifier_rule_overlaps`). Scans the rules of every subtable whose
    /// maximum priority reaches `rule`'s: O(rules), as in OVS.
    public func hasOverlap(with rule: ClassifierRule, version: ClassifierVersion) -> Bool {
        for table in subtables where table.maxPriority >= rule.priority {
            for other in table.members where other !== rule && other.priority == rule.priority
                && other.isVisible(in: version) && other.overlaps(rule) {
                return true
            }
        }
        return false
    }

    /// Calls `body` on every rule visible at `version` (every rule if `nil`),
    /// in classifier order, as OVS's `cls_cursor` (the order of
    /// `ovs-ofctl dump-flows` without `--sort`): subtables in search order
    /// (highest maximum priority first), rules of a subtable in insertion
    /// order (a modified rule is a new rule: it moves to the end).
    public func forEach(visibleIn version: ClassifierVersion?, _ body: (ClassifierRule) throws -> Void) rethrows {
        for table in subtables {
            for rule in table.members where version.map(rule.isVisible(in:)) ?? true { try body(rule) }
        }
    }

    /// The rules visible at `version` (every rule if `nil`), in classifier order.
    public func rules(visibleIn version: ClassifierVersion?) -> [ClassifierRule] {
        var result: [ClassifierRule] = []
        result.reserveCapacity(count)
        forEach(visibleIn: version) { result.append($0) }
        return result
    }
}
