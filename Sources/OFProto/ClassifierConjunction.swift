import Flow

// Conjunctive matches (OVS's `conjunction` actions, lib/classifier.c's
// `classifier_lookup__` with `find_conjunctive_match`), as an extension of
// `Classifier` that reads its subtables and rule chains without changing
// them. Kept apart from Classifier.swift so that the classifier's storage
// can change under it: it needs only `subtables`, `ClassifierSubtable.lookup`
// (the highest-priority visible rule of one subtable), and the bucket chain
// (`nextInBucket`) to find a lower-priority rule with the same match.

/// One clause of a conjunctive flow: `conjunction(id, clause+1/count)`.
public struct ConjunctionClause: Hashable, Sendable {
    public var id: UInt32
    /// 0-based clause number (`k - 1` of `k/n`).
    public var clause: UInt8
    /// Number of clauses `n` (2...64).
    public var count: UInt8

    public init(id: UInt32, clause: UInt8, count: UInt8) {
        self.id = id
        self.clause = clause
        self.count = count
    }
}

extension Classifier {
    /// The highest-priority rule visible at `version` that `key` matches,
    /// with conjunctive matches (OVS's `classifier_lookup`): a rule for
    /// which `clauses` returns a non-nil list is a "soft" match, a clause
    /// of one or more conjunctions. When the highest-priority soft matches
    /// outrank every ordinary ("hard") match and together complete every
    /// clause of a conjunction `id`, the lookup is done again with
    /// `conj_id=id` in the key (soft matches ignored), and its answer, if
    /// any, wins. Otherwise lower-priority rules with the same match as the
    /// soft ones are considered, down to the best hard match.
    ///
    /// Every bit the answer depended on is set in `wildcards`, as the
    /// subtables visited set them (as OVS does).
    func lookupConjunctive(_ key: FlowKey, version: ClassifierVersion, wildcards: inout FlowMask,
                           clauses: (ClassifierRule) -> [ConjunctionClause]?) -> ClassifierRule? {
        lookupConjunctive(key, version: version, wildcards: &wildcards, allowSoft: true, clauses: clauses)
    }

    private struct Soft {
        var rule: ClassifierRule
        var clauses: [ConjunctionClause]
        var minCount: Int
        init(_ rule: ClassifierRule, _ clauses: [ConjunctionClause]) {
            self.rule = rule
            self.clauses = clauses
            minCount = clauses.map { Int($0.count) }.min() ?? 0
        }
    }

    private func lookupConjunctive(_ key: FlowKey, version: ClassifierVersion, wildcards: inout FlowMask,
                                   allowSoft: Bool,
                                   clauses: (ClassifierRule) -> [ConjunctionClause]?) -> ClassifierRule? {
        var hard: ClassifierRule?
        var hardPriority = Int.min
        var soft: [Soft?] = []
        var softPriority = Int.min
        var context = ClassifierTrieContext()
        for table in subtables {
            if table.maxPriority <= hardPriority { break }
            guard let rule = table.lookup(key, version: version, tries: tries, context: &context,
                                          wildcards: &wildcards),
                rule.priority > hardPriority else { continue }
            if let c = clauses(rule) {
                if allowSoft {
                    soft.append(Soft(rule, c))
                    softPriority = max(softPriority, rule.priority)
                }
            } else {
                hard = rule
                hardPriority = rule.priority
            }
        }
        if hardPriority >= softPriority { return hard }

        while true {
            // Drop the emptied ones and those the hard match outranks
            // (swapping in the last one, as OVS does: the order decides
            // which conjunction is tried first).
            var i = 0
            while i < soft.count {
                if let s = soft[i], s.rule.priority > hardPriority {
                    i += 1
                } else {
                    soft[i] = soft[soft.count - 1]
                    soft.removeLast()
                }
            }
            if soft.isEmpty { break }
            var top = Int.min, atTop = 0
            for s in soft {
                let p = s!.rule.priority
                if p > top { top = p; atTop = 1 } else if p == top { atTop += 1 }
            }
            // Clauses seen per conjunction id: bit k set for clause k, the
            // bits beyond the conjunction's count set from the start.
            var seen: [(id: UInt32, bits: UInt64)] = []
            for s in soft {
                guard let s, s.rule.priority == top, atTop >= s.minCount else { continue }
                for c in s.clauses where Int(c.count) <= atTop {
                    let bit = UInt64(1) << UInt64(c.clause & 63)
                    let complete: Bool
                    if let k = seen.firstIndex(where: { $0.id == c.id }) {
                        seen[k].bits |= bit
                        complete = seen[k].bits == .max
                    } else {
                        let bits = (UInt64.max << UInt64(c.count & 63)) | bit
                        seen.append((c.id, bits))
                        complete = bits == .max
                    }
                    guard complete else { continue }
                    var k = key
                    k[.conjunctionID] = UInt64(c.id)
                    if let rule = lookupConjunctive(k, version: version, wildcards: &wildcards, allowSoft: false,
                                                    clauses: clauses) {
                        return rule
                    }
                    break
                }
            }
            // No conjunction completed at this priority: the same matches
            // at lower priorities take the soft ones' places.
            for i in soft.indices {
                guard let s = soft[i], s.rule.priority == top else { continue }
                if let next = s.rule.nextWithSameMatch(visibleIn: version) {
                    if let c = clauses(next) {
                        soft[i] = Soft(next, c)
                    } else {
                        soft[i] = nil
                        if next.priority > hardPriority {
                            hard = next
                            hardPriority = next.priority
                        }
                    }
                } else {
                    soft[i] = nil
                }
            }
        }
        return hard
    }
}

extension ClassifierRule {
    /// The next lower-priority rule visible at `version` with exactly this
    /// rule's match (OVS's `next_visible_rule_in_list`).
    func nextWithSameMatch(visibleIn version: ClassifierVersion) -> ClassifierRule? {
        var r = nextInBucket
        while let candidate = r {
            if candidate.priority < priority && candidate.isVisible(in: version)
                && candidate.compactMatch == compactMatch {
                return candidate
            }
            r = candidate.nextInBucket
        }
        return nil
    }
}

extension OpenFlowTable {
    /// The conjunction clauses of `rule` if its actions are `conjunction`s
    /// (with `note`s at most: the flow-mod check allows nothing else beside
    /// them), nil for an ordinary rule (OVS's `get_conjunctions`).
    static func conjunctionClauses(of rule: OpenFlowRule<Actions>) -> [ConjunctionClause]? {
        guard let actions = openFlowActions(rule.actions) else { return nil }
        var result: [ConjunctionClause]?
        for a in actions {
            switch a {
            case .conjunction(let id, let clause, let count):
                result = (result ?? []) + [ConjunctionClause(id: id, clause: clause, count: count)]
            case .note:
                continue
            default:
                return nil
            }
        }
        return result
    }
}
