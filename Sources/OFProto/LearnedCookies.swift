import Flow

// `learn(...,delete_learned)` (OVS's learned_cookies in ofproto.c): when the
// last rule whose actions hold a `learn` with `delete_learned` for a given
// (table, cookie) goes (deleted, modified to other actions, or expired), the
// rules of that table with that cookie go too, in the same transaction.

extension OpenFlowTransaction {
    /// The (table, cookie) pairs of `learn` actions with `delete_learned` in `actions`.
    static func learnedCookies(_ actions: Actions) -> [LearnedCookie] {
        guard let list = openFlowActions(actions) else { return [] }
        var result: [LearnedCookie] = []
        func scan(_ acts: [OFAction]) {
            for a in acts {
                switch a {
                case .learn(let l) where l.deleteLearned: result.append(LearnedCookie(table: l.table, cookie: l.cookie))
                case .writeActions(let inner), .clone(let inner): scan(inner)
                default: break
                }
            }
        }
        scan(list)
        return result
    }

    /// Deletes the learned rules whose last `delete_learned` learner this
    /// transaction removed (called before the commit).
    func flushLearnedCookies() {
        var checked = 0
        while checked < journal.hidden.count {
            var dead = Set<LearnedCookie>()
            for rule in journal.hidden[checked...] {
                dead.formUnion(Self.learnedCookies(OpenFlowTable<Actions>.cast(rule).actions))
            }
            checked = journal.hidden.count
            guard !dead.isEmpty else { return }
            // Cookies some rule of the new version still learns with delete stay.
            withPreview { r in
                for t in r.tables {
                    for rule in t.rules(visibleIn: r.version) {
                        for c in Self.learnedCookies(rule.actions) { dead.remove(c) }
                    }
                }
            }
            for c in dead.sorted(by: { ($0.table, $0.cookie) < ($1.table, $1.cookie) }) {
                delete(table: OpenFlowTableID(c.table),
                       OpenFlowRuleCriteria(match: .catchAll, cookie: c.cookie, cookieMask: .max))
            }
        }
    }
}

/// The table and cookie of a `learn ... delete_learned` action.
struct LearnedCookie: Hashable {
    var table: UInt8
    var cookie: UInt64
}
